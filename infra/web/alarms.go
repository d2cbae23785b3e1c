package web

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	elbv2 "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/alarms"
	"github.com/example/scalable-web/infra/checks"
	"github.com/example/scalable-web/infra/dashboard"
	"github.com/example/scalable-web/internal/emf"
)

// addAlarms watches what users feel (errors, slow answers, no instance to answer)
// and what precedes it (unhealthy targets, a fleet that cannot grow). Missing
// data is not breaching, except for healthy hosts: no data there means no load
// balancer reporting, which is as bad as none healthy.
func (w *Web) addAlarms(props Props) {
	five := awscdk.Duration_Minutes(jsii.Number(5))
	sum := &awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")}
	lb, tg := w.LoadBalancer.Metrics(), w.TargetGroup.Metrics()
	w.LoadBalancer5xx = w.alarm("LoadBalancer5xx", lb.HttpCodeElb(elbv2.HttpCodeElb_ELB_5XX_COUNT, sum), 10, 3,
		"The load balancer answered 5xx more than 10 times in 5 minutes: no healthy target, or targets refusing connections")
	w.alarm("Target5xx", lb.HttpCodeTarget(elbv2.HttpCodeTarget_TARGET_5XX_COUNT, sum), 10, 3,
		"The service answered 5xx more than 10 times in 5 minutes")
	w.alarm("P99ResponseTime", lb.TargetResponseTime(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("p99")}),
		float64(props.P99LatencyAlarmMillis)/1000, 3, fmt.Sprintf("p99 response time of the service above %d ms for 15 minutes", props.P99LatencyAlarmMillis))
	w.alarm("UnhealthyHosts", tg.UnhealthyHostCount(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(1)), Statistic: jsii.String("Maximum")}), 0, 5,
		"A target failed its health checks for 5 minutes")
	w.NoHealthyHosts = alarms.New(w.Construct, "NoHealthyHosts", alarms.Props{
		Metric:    w.HealthyHosts(awscdk.Duration_Minutes(jsii.Number(1)), "Minimum"),
		Threshold: 1, Below: true, Periods: 2, MissingBreaches: true,
		Description: "No healthy instance behind the load balancer for 2 minutes: every request fails",
	})
	w.Alarms = append(w.Alarms, w.NoHealthyHosts)
	// The relay publishes within a second when SNS answers; an event that has
	// waited 5 minutes means it does not (SNS or its key refusing, or no relay).
	// No data means no instance running, which the alarms above already say.
	w.OutboxStuck = w.alarm("OutboxStuck", w.BusinessMetric(emf.OutboxOldestAge, five, "Maximum"), outboxStuckSeconds, 3,
		fmt.Sprintf("An order event has waited over %d s in the outbox for 15 minutes: the relay cannot publish to SNS (its log says why); nothing is lost, the consumers are behind", outboxStuckSeconds))
	// A parked row is an order event the relay gave up on while others went out:
	// it is kept in the outbox, but no consumer will see it until someone looks.
	w.alarm("OutboxParked", w.BusinessMetric(emf.OutboxParked, five, "Maximum"), 0, 1,
		"An order event is parked in the outbox: it failed to publish while other events went out. Read outbox.last_error, fix the row, then redrive it (README: Failure behaviour)")
	w.alarm("FleetAtMaxCapacity", w.InService(five, "Minimum"), float64(props.MaxCapacity)-0.5, 3,
		fmt.Sprintf("The fleet has run at its maximum of %d instances for 15 minutes: raise web.maxCapacity or look for the bottleneck", props.MaxCapacity))
	// The worst instance's memory and root disk, from the CloudWatch agent. No data
	// means no instance running, which the alarms above already say.
	w.alarm("HostMemory", w.HostMetric(HostMemoryMetric, five, "Maximum"), hostMemoryAlarmPercent, 3,
		fmt.Sprintf("An instance has used over %d%% of its memory for 15 minutes: the service is near the kernel's OOM killer. Look at the instance (Session Manager), then at web.instanceType", hostMemoryAlarmPercent))
	w.alarm("HostDisk", w.HostMetric(HostDiskMetric, five, "Maximum"), hostDiskAlarmPercent, 3,
		fmt.Sprintf("An instance's root file system is over %d%% full: logs are filling it faster than the agent ships and rotates them. Look at /var/log on the instance (Session Manager)", hostDiskAlarmPercent))
}

// Host pressure that alarms, on the worst instance: memory in use, root disk full.
const (
	hostMemoryAlarmPercent = 90
	hostDiskAlarmPercent   = 85
)

// HostMetric is one of the CloudWatch agent's host metrics (HostMemoryMetric,
// HostDiskMetric, HostDiskIOMetric) over the whole fleet: the series without
// dimensions the agent aggregates for it.
func (w *Web) HostMetric(name string, period awscdk.Duration, statistic string) awscloudwatch.Metric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace: jsii.String(w.metricsNamespace), MetricName: jsii.String(name),
		Period: period, Statistic: jsii.String(statistic),
	})
}

// outboxStuckSeconds is the age of the oldest unpublished order event that alarms.
const outboxStuckSeconds = 300

// BusinessMetric is one of the service's business metrics (emf's names), summed
// or maximised over its instances.
func (w *Web) BusinessMetric(name string, period awscdk.Duration, statistic string) awscloudwatch.Metric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace: jsii.String(w.metricsNamespace), MetricName: jsii.String(name),
		DimensionsMap: &map[string]*string{emf.ServiceDimension: jsii.String(emf.ServiceShop)},
		Period:        period, Statistic: jsii.String(statistic),
	})
}

// HealthyHosts is the number of healthy targets behind the load balancer. Its
// dimensions are the load balancer's and the target group's own full-name
// attributes: the CDK's TargetGroup.Metrics() derives the load balancer's name by
// splitting the listener's ARN, and another stack reading it gets a Fn::Split
// over a Fn::GetStackOutput, which CloudFormation does not accept.
func (w *Web) HealthyHosts(period awscdk.Duration, statistic string) awscloudwatch.Metric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace: jsii.String("AWS/ApplicationELB"), MetricName: jsii.String("HealthyHostCount"),
		DimensionsMap: &map[string]*string{
			"LoadBalancer": w.LoadBalancer.LoadBalancerFullName(),
			"TargetGroup":  w.TargetGroup.TargetGroupFullName(),
		},
		Period: period, Statistic: jsii.String(statistic),
	})
}

// InService is the number of instances in service in the group (GroupMetrics).
func (w *Web) InService(period awscdk.Duration, statistic string) awscloudwatch.Metric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace: jsii.String("AWS/AutoScaling"), MetricName: jsii.String("GroupInServiceInstances"),
		DimensionsMap: &map[string]*string{"AutoScalingGroupName": w.Fleet.AutoScalingGroupName()},
		Period:        period, Statistic: jsii.String(statistic),
	})
}

func (w *Web) alarm(what string, metric awscloudwatch.IMetric, threshold float64, periods int, description string) awscloudwatch.Alarm {
	alarm := alarms.New(w.Construct, what, alarms.Props{Metric: metric, Threshold: threshold, Periods: periods, Description: description})
	w.Alarms = append(w.Alarms, alarm)
	return alarm
}

// suppress records the AwsSolutions rules this tier breaks on purpose; it runs
// last, after the grants that create the policies it covers.
func (w *Web) suppress() {
	checks.Suppress(w.Role, "AwsSolutions-IAM5",
		"Session Manager, the only way in (no SSH key, no bastion): ssm:UpdateInstanceInformation and the four ssmmessages channel actions, which the agent calls for its own instance, are the minimum AWS documents and are granted on Resource * there; no other Systems Manager action (no parameter, document or command) is allowed.",
		"Resource::*")
	checks.Suppress(w.Role, "AwsSolutions-IAM5",
		"cloudwatch:PutMetricData supports no resource-level permissions (IAM takes only Resource *): the CloudWatch agent publishes the host's memory and disk with it, and the cloudwatch:namespace condition holds it to the fleet's own namespace.",
		"Resource::*")
}

// DashboardRow charts the load balancer and the fleet: requests and response
// time, 5xx by who answered, healthy and in-service instances, and per host (the
// worst instance) CPU, memory, disk and disk I/O.
func (w *Web) DashboardRow() dashboard.Row {
	lb, stat := w.LoadBalancer.Metrics(), dashboard.Stat
	cpu := awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace: jsii.String("AWS/EC2"), MetricName: jsii.String("CPUUtilization"),
		DimensionsMap: &map[string]*string{"AutoScalingGroupName": w.Fleet.AutoScalingGroupName()},
		Period:        dashboard.Period(), Statistic: jsii.String("Average"),
	})
	return dashboard.Row{Title: "Load balancer and fleet", Graphs: []dashboard.Graph{
		{Title: "Requests / p99 response time (s)", Metrics: []awscloudwatch.IMetric{lb.RequestCount(stat("Sum")), lb.TargetResponseTime(stat("p99"))}},
		{Title: "5xx: load balancer / targets", Metrics: []awscloudwatch.IMetric{
			lb.HttpCodeElb(elbv2.HttpCodeElb_ELB_5XX_COUNT, stat("Sum")), lb.HttpCodeTarget(elbv2.HttpCodeTarget_TARGET_5XX_COUNT, stat("Sum"))}},
		{Title: "Healthy hosts / in service", Metrics: []awscloudwatch.IMetric{w.HealthyHosts(dashboard.Period(), "Minimum"), w.InService(dashboard.Period(), "Minimum")}},
		{Title: "Fleet CPU (%)", Metrics: []awscloudwatch.IMetric{cpu}},
		{Title: "Worst host: memory / root disk used (%)", Metrics: []awscloudwatch.IMetric{
			w.HostMetric(HostMemoryMetric, dashboard.Period(), "Maximum"), w.HostMetric(HostDiskMetric, dashboard.Period(), "Maximum")}},
		{Title: "Worst host: disk I/O time (ms)", Metrics: []awscloudwatch.IMetric{w.HostMetric(HostDiskIOMetric, dashboard.Period(), "Maximum")}},
	}}
}
