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
	// MinCapacity and MaxCapacity bound the group; at least 2 in production, one per
	// AZ ideally, so losing an instance or an AZ leaves one serving.
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
	// DeletionProtection stops the load balancer from being deleted, by a stack
	// update or by hand, until it is turned off (required in production).
	DeletionProtection bool
}

const (
	// maxWebMinCapacity and maxWebMaxCapacity bound the fleet: a larger floor belongs
	// in a larger instance type, and 50 instances is past what one ALB target group
	// and the database's connections are sized for here.
	maxWebMinCapacity = 20
	maxWebMaxCapacity = 50
)

// WebInstanceTypes are the instance types the starter supports (Graviton: the
// service is built for arm64).
var WebInstanceTypes = []string{
	"t4g.micro", "t4g.small", "t4g.medium", "t4g.large",
	"c7g.medium", "c7g.large", "c7g.xlarge", "m7g.medium", "m7g.large", "m7g.xlarge",
}

func (w Web) validate(p *problems) {
	if !slices.Contains(WebInstanceTypes, w.InstanceType) {
		p.add("web.instanceType", w.InstanceType, "one of "+strings.Join(WebInstanceTypes, ", "))
	}
	if w.MinCapacity < 1 || w.MinCapacity > maxWebMinCapacity {
		p.add("web.minCapacity", w.MinCapacity, fmt.Sprintf("1 to %d", maxWebMinCapacity))
	}
	if w.MaxCapacity <= w.MinCapacity || w.MaxCapacity > maxWebMaxCapacity {
		p.add("web.maxCapacity", w.MaxCapacity, fmt.Sprintf("%d to %d: above web.minCapacity, since a rolling update adds an instance before it removes one", w.MinCapacity+1, maxWebMaxCapacity))
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
