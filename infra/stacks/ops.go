package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	elbv2 "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/alarms"
	"github.com/example/scalable-web/infra/config"
	"github.com/example/scalable-web/infra/dashboard"
	"github.com/example/scalable-web/infra/edge"
	"github.com/example/scalable-web/internal/emf"
	"github.com/example/scalable-web/internal/orderevents"
)

// Ops is the stack that watches the others: the composite "shop is down" alarm
// and the stage's dashboard. It deploys last, since it reads from the stacks it
// watches.
type Ops struct {
	awscdk.Stack
	ShopDown  awscloudwatch.CompositeAlarm
	Dashboard awscloudwatch.Dashboard
}

// NewOps creates the ops stack.
func NewOps(scope constructs.Construct, id string, cfg config.Config, s *Stacks) *Ops {
	stack := awscdk.NewStack(scope, jsii.String(id), stackProps(cfg, "Ops: the shop-is-down alarm and the dashboard"))
	stack.AddStackDependency(s.Stateful.Stack, jsii.String("notifies the ops topic"))
	stack.AddStackDependency(s.Web.Stack, jsii.String("watches the load balancer's alarms"))
	stack.AddStackDependency(s.API.Stack, jsii.String("watches the API's alarms"))
	stack.AddStackDependency(s.Events.Stack, jsii.String("charts the queues and functions"))
	stack.AddStackDependency(s.CDN.Stack, jsii.String("charts the distribution"))
	o := &Ops{Stack: stack}
	o.ShopDown = alarms.NewShopDown(stack, "ShopDown", cfg.Prefix+"-shop-down", []awscloudwatch.IAlarm{
		s.API.API.ServerErrors, s.Web.Web.LoadBalancer5xx, s.Web.Web.NoHealthyHosts,
	})
	alarms.Notify(s.Stateful.AlarmTopic.Topic, o.ShopDown)
	o.Dashboard = dashboard.New(stack, "Dashboard", cfg.Prefix, dashboardRows(cfg, s))
	return o
}

// businessRow charts what the shop does, from the business metrics the service
// and the functions record (internal/emf): orders, the cache's hit ratio as the
// service sees it, the outbox, the consumers' work, and the daily report's sales.
func businessRow(cfg config.Config, s *Stacks) dashboard.Row {
	five, day := awscdk.Duration_Minutes(jsii.Number(5)), awscdk.Duration_Days(jsii.Number(1))
	service := s.Web.Web.BusinessMetric
	metric := func(producer, name string, period awscdk.Duration) awscloudwatch.Metric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String(cfg.Prefix), MetricName: jsii.String(name),
			DimensionsMap: &map[string]*string{emf.ServiceDimension: jsii.String(producer)},
			Period:        period, Statistic: jsii.String("Sum"),
		})
	}
	hitRatio := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String("100 * hits / (hits + misses)"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{
			"hits": service(emf.CacheHits, five, "Sum"), "misses": service(emf.CacheMisses, five, "Sum"),
		},
		Label: jsii.String("product reads served from the cache (%)"), Period: five,
	})
	var processed, failed []awscloudwatch.IMetric
	for _, name := range orderevents.ConsumerNames() {
		processed = append(processed, metric(name, emf.MessagesProcessed, five))
		failed = append(failed, metric(name, emf.MessagesFailed, five))
	}
	return dashboard.Row{Title: "The shop: business metrics", Graphs: []dashboard.Graph{
		{Title: "Orders placed", Metrics: []awscloudwatch.IMetric{service(emf.OrdersPlaced, five, "Sum")}},
		{Title: "Cache hit ratio (%)", Metrics: []awscloudwatch.IMetric{hitRatio}},
		{Title: "Outbox: events waiting / oldest (s) / parked", Metrics: []awscloudwatch.IMetric{
			service(emf.OutboxBacklog, five, "Maximum"), service(emf.OutboxOldestAge, five, "Maximum"), service(emf.OutboxParked, five, "Maximum")}},
		{Title: "Order events processed, per consumer", Metrics: processed},
		{Title: "Order events failed / stock shortages", Metrics: append(failed, metric("inventory", emf.StockShortages, five))},
		{Title: "Daily report: orders / revenue", Metrics: []awscloudwatch.IMetric{
			metric(emf.ServiceDailyReport, emf.DailyOrders, day), metric(emf.ServiceDailyReport, emf.DailyRevenue, day)}},
	}}
}

// dashboardRows are the golden signals of every tier, in the order a request
// meets them: edge, API, load balancer and fleet, data, then the asynchronous work.
func dashboardRows(cfg config.Config, s *Stacks) []dashboard.Row {
	five := awscdk.Duration_Minutes(jsii.Number(5))
	stat := func(statistic string) *awscloudwatch.MetricOptions {
		return &awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String(statistic)}
	}
	// CloudFront and CloudFront-scope WAF publish their metrics in us-east-1.
	global := func(namespace, metric, statistic string, dims map[string]*string) awscloudwatch.IMetric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String(namespace), MetricName: jsii.String(metric), DimensionsMap: &dims,
			Region: jsii.String(edge.Region), Period: five, Statistic: jsii.String(statistic),
		})
	}
	cdn := map[string]*string{"DistributionId": s.CDN.Edge.Distribution.DistributionId(), "Region": jsii.String("Global")}
	acl := map[string]*string{"WebACL": jsii.String(edge.WebACLMetricName(cfg.Prefix)), "Rule": jsii.String("ALL")}
	api := s.API.API.HTTPAPI
	lb, fleet := s.Web.Web.LoadBalancer.Metrics(), s.Web.Web.Fleet
	group := map[string]*string{"AutoScalingGroupName": fleet.AutoScalingGroupName()}
	db, kv := s.Stateful.Database, s.Stateful.Cache

	rows := []dashboard.Row{
		businessRow(cfg, s),
		{Title: "CloudFront and WAF", Graphs: []dashboard.Graph{
			{Title: "Requests", Metrics: []awscloudwatch.IMetric{global("AWS/CloudFront", "Requests", "Sum", cdn)}},
			{Title: "Error rates (%)", Metrics: []awscloudwatch.IMetric{
				global("AWS/CloudFront", "4xxErrorRate", "Average", cdn), global("AWS/CloudFront", "5xxErrorRate", "Average", cdn)}},
			{Title: "WAF allowed and blocked", Metrics: []awscloudwatch.IMetric{
				global("AWS/WAFV2", "AllowedRequests", "Sum", acl), global("AWS/WAFV2", "BlockedRequests", "Sum", acl)}},
		}},
		{Title: "API Gateway", Graphs: []dashboard.Graph{
			{Title: "Requests", Metrics: []awscloudwatch.IMetric{api.MetricCount(stat("Sum"))}},
			{Title: "Latency p50 / p99 (ms)", Metrics: []awscloudwatch.IMetric{api.MetricLatency(stat("p50")), api.MetricLatency(stat("p99"))}},
			{Title: "4xx (throttled requests are 429s) / 5xx", Metrics: []awscloudwatch.IMetric{api.MetricClientError(stat("Sum")), api.MetricServerError(stat("Sum"))}},
		}},
		{Title: "Load balancer and fleet", Graphs: []dashboard.Graph{
			{Title: "Requests / p99 response time (s)", Metrics: []awscloudwatch.IMetric{lb.RequestCount(stat("Sum")), lb.TargetResponseTime(stat("p99"))}},
			{Title: "5xx: load balancer / targets", Metrics: []awscloudwatch.IMetric{
				lb.HttpCodeElb(elbv2.HttpCodeElb_ELB_5XX_COUNT, stat("Sum")), lb.HttpCodeTarget(elbv2.HttpCodeTarget_TARGET_5XX_COUNT, stat("Sum"))}},
			{Title: "Healthy hosts / in service", Metrics: []awscloudwatch.IMetric{
				s.Web.Web.HealthyHosts(five, "Minimum"),
				s.Web.Web.InService(five, "Minimum")}},
			{Title: "Fleet CPU (%)", Metrics: []awscloudwatch.IMetric{
				awscloudwatch.NewMetric(&awscloudwatch.MetricProps{Namespace: jsii.String("AWS/EC2"), MetricName: jsii.String("CPUUtilization"), DimensionsMap: &group, Period: five, Statistic: jsii.String("Average")})}},
		}},
	}

	instances := []awsrds.IDatabaseInstance{db.Primary}
	for _, r := range db.Replicas {
		instances = append(instances, r)
	}
	var cpu, conns, storage, lag []awscloudwatch.IMetric
	for i, in := range instances {
		cpu = append(cpu, in.MetricCPUUtilization(stat("Average")))
		conns = append(conns, in.MetricDatabaseConnections(stat("Maximum")))
		storage = append(storage, in.MetricFreeStorageSpace(stat("Minimum")))
		if i > 0 {
			lag = append(lag, in.Metric(jsii.String("ReplicaLag"), stat("Maximum")))
		}
	}
	data := []dashboard.Graph{{Title: "CPU (%)", Metrics: cpu}, {Title: "Connections", Metrics: conns}, {Title: "Free storage (bytes)", Metrics: storage}}
	if len(lag) > 0 {
		data = append(data, dashboard.Graph{Title: "Replica lag (s)", Metrics: lag})
	}
	rows = append(rows, dashboard.Row{Title: "PostgreSQL: the primary and each replica", Graphs: data})
	rows = append(rows, dashboard.Row{Title: "Valkey: each node", Graphs: []dashboard.Graph{
		{Title: "Hit ratio (%)", Metrics: kv.NodeMetrics("CacheHitRate", "Average")},
		{Title: "Evictions", Metrics: kv.NodeMetrics("Evictions", "Sum")},
		{Title: "Engine CPU (%)", Metrics: kv.NodeMetrics("EngineCPUUtilization", "Average")},
		{Title: "Memory used (% of maxmemory)", Metrics: kv.NodeMetrics("DatabaseMemoryUsagePercentage", "Average")},
	}})

	m := s.Events.Messaging
	var depth, age []awscloudwatch.IMetric
	for _, name := range orderevents.ConsumerNames() {
		for _, q := range []awssqs.Queue{m.Queues[name], m.DeadLetterQueues[name], m.SubscriptionDeadLetterQueues[name]} {
			depth = append(depth, q.MetricApproximateNumberOfMessagesVisible(stat("Maximum")))
			age = append(age, q.MetricApproximateAgeOfOldestMessage(stat("Maximum")))
		}
	}
	depth = append(depth, s.Events.Report.DeadLetterQueue.MetricApproximateNumberOfMessagesVisible(stat("Maximum")))
	rows = append(rows, dashboard.Row{Title: "Order events: each queue and its DLQs", Graphs: []dashboard.Graph{
		{Title: "Messages waiting", Metrics: depth}, {Title: "Age of the oldest message (s)", Metrics: age},
	}})

	var invocations, errors, throttles, duration []awscloudwatch.IMetric
	for _, fn := range s.Events.Functions() {
		f := fn.Function
		invocations = append(invocations, f.MetricInvocations(stat("Sum")))
		errors = append(errors, f.MetricErrors(stat("Sum")))
		throttles = append(throttles, f.MetricThrottles(stat("Sum")))
		duration = append(duration, f.MetricDuration(stat("p99")))
	}
	report := s.Events.Report.Function.Function
	day := &awscloudwatch.MetricOptions{Period: awscdk.Duration_Days(jsii.Number(1)), Statistic: jsii.String("Sum")}
	succeeded := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression:   jsii.String("invocations - errors"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{"invocations": report.MetricInvocations(day), "errors": report.MetricErrors(day)},
		Label:        jsii.String("daily report: successful runs per day (0 = no report that day)"),
		Period:       awscdk.Duration_Days(jsii.Number(1)),
	})
	rows = append(rows, dashboard.Row{Title: "Lambda functions and the daily report", Graphs: []dashboard.Graph{
		{Title: "Invocations", Metrics: invocations}, {Title: "Errors", Metrics: errors},
		{Title: "Throttles", Metrics: throttles}, {Title: "Duration p99 (ms)", Metrics: duration},
		{Title: "Daily report: last successes", Metrics: []awscloudwatch.IMetric{succeeded}},
	}})
	return rows
}
