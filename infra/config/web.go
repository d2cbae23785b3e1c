package config

import (
	"fmt"
	"slices"
	"strings"
)

// Web configures the internal ALB and the Auto Scaling group of the service.
type Web struct {
	// InstanceType is one of WebInstanceTypes (Graviton).
	InstanceType string
	// MinCapacity and MaxCapacity bound the group; at least 2 in prod, one per AZ
	// ideally, so losing an instance or an AZ leaves one serving.
	MinCapacity, MaxCapacity int
	// CPUTargetPercent and RequestsPerTargetPerMinute are the target-tracking goals.
	CPUTargetPercent           int
	RequestsPerTargetPerMinute int
	// DrainSeconds is the ALB's deregistration delay and the service's shutdown drain.
	DrainSeconds int
	// P99LatencyAlarmMillis raises an alarm when the targets' p99 response time is above it.
	P99LatencyAlarmMillis int
	LogRetentionDays      int
	// CacheTTLSeconds is how long the service caches a product.
	CacheTTLSeconds int
}

// WebInstanceTypes are the instance types the starter supports (Graviton: the
// service is built for arm64).
var WebInstanceTypes = []string{
	"t4g.micro", "t4g.small", "t4g.medium", "t4g.large",
	"c7g.medium", "c7g.large", "c7g.xlarge", "m7g.medium", "m7g.large", "m7g.xlarge",
}

func (w Web) validate(p *problems, stage string) {
	if !slices.Contains(WebInstanceTypes, w.InstanceType) {
		p.add("web.instanceType", w.InstanceType, "one of "+strings.Join(WebInstanceTypes, ", "))
	}
	least := 1
	if stage == "prod" {
		least = 2
	}
	if w.MinCapacity < least || w.MinCapacity > 20 {
		p.add("web.minCapacity", w.MinCapacity, fmt.Sprintf("%d to 20%s", least, map[bool]string{true: " in prod, so one instance can fail", false: ""}[stage == "prod"]))
	}
	if w.MaxCapacity <= w.MinCapacity || w.MaxCapacity > 50 {
		p.add("web.maxCapacity", w.MaxCapacity, fmt.Sprintf("%d to 50: above web.minCapacity, since a rolling update adds an instance before it removes one", w.MinCapacity+1))
	}
	if w.CPUTargetPercent < 10 || w.CPUTargetPercent > 90 {
		p.add("web.cpuTargetPercent", w.CPUTargetPercent, "10 to 90")
	}
	if w.RequestsPerTargetPerMinute < 1 {
		p.add("web.requestsPerTargetPerMinute", w.RequestsPerTargetPerMinute, "1 or more")
	}
	if w.DrainSeconds < 0 || w.DrainSeconds > 3600 {
		p.add("web.drainSeconds", w.DrainSeconds, "0 to 3600 (the ALB's deregistration delay)")
	}
	if w.P99LatencyAlarmMillis < 1 {
		p.add("web.p99LatencyAlarmMillis", w.P99LatencyAlarmMillis, "1 or more")
	}
	if !slices.Contains(LogRetentionDays, w.LogRetentionDays) {
		p.add("web.logRetentionDays", w.LogRetentionDays, "one of "+intList(LogRetentionDays))
	}
	if w.CacheTTLSeconds < 1 || w.CacheTTLSeconds > 86400 {
		p.add("web.cacheTTLSeconds", w.CacheTTLSeconds, "1 to 86400")
	}
}
