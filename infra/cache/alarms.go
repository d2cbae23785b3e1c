package cache

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/alarms"
	"github.com/example/scalable-web/infra/dashboard"
)

// addAlarms watches every node and alarms on the worst of them, so an alarm keeps
// its meaning after a failover swaps the primary and a replica. The stack sends them
// to the ops topic.
func (c *Cache) addAlarms() {
	c.alarm("Cpu", "CPUUtilization", "Average", 90, "host CPU above 90% on a node for 15 minutes")
	c.alarm("EngineCpu", "EngineCPUUtilization", "Average", 80, "the Valkey thread above 80% on a node for 15 minutes: it is single-threaded")
	c.alarm("Memory", "DatabaseMemoryUsagePercentage", "Average", 95, "memory above 95% of maxmemory: LRU evictions follow; see the evictions alarm")
	c.alarm("Evictions", "Evictions", "Sum", 1000, "over 1,000 keys evicted per 5 minutes for 15 minutes: the cache is too small for its working set")
	c.alarm("Connections", "CurrConnections", "Maximum", 5000, "over 5,000 client connections on a node: a connection leak or pools too large")
	if c.nodes > 1 {
		c.alarm("ReplicationLag", "ReplicationLag", "Maximum", 5, "a replica more than 5 s behind the primary")
	}
}

// alarm fires when the worst node is past threshold in 3 consecutive 5-minute periods.
func (c *Cache) alarm(id, metric, statistic string, threshold float64, description string) {
	using := map[string]awscloudwatch.IMetric{}
	names := make([]string, c.nodes)
	for node := 1; node <= c.nodes; node++ {
		names[node-1] = fmt.Sprintf("node%d", node)
		using[names[node-1]] = c.nodeMetric(metric, node, statistic)
	}
	worst := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression:   jsii.String("MAX([" + strings.Join(names, ",") + "])"),
		UsingMetrics: &using,
		Label:        jsii.String(metric + " (worst node)"),
		Period:       awscdk.Duration_Minutes(jsii.Number(5)),
	})
	c.Alarms = append(c.Alarms, alarms.New(c.Construct, id, alarms.Props{Metric: worst, Threshold: threshold, Description: description}))
}

// DashboardRow charts each node: hit ratio, evictions, engine CPU, memory.
func (c *Cache) DashboardRow() dashboard.Row {
	return dashboard.Row{Title: "Valkey: each node", Graphs: []dashboard.Graph{
		{Title: "Hit ratio (%)", Metrics: c.NodeMetrics("CacheHitRate", "Average")},
		{Title: "Evictions", Metrics: c.NodeMetrics("Evictions", "Sum")},
		{Title: "Engine CPU (%)", Metrics: c.NodeMetrics("EngineCPUUtilization", "Average")},
		{Title: "Memory used (% of maxmemory)", Metrics: c.NodeMetrics("DatabaseMemoryUsagePercentage", "Average")},
	}}
}
