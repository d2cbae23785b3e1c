// Package dashboard lays out the stage's dashboard: each tier exports its Row (a
// title and its graphs) and the ops stack stacks them in the order a request
// travels.
package dashboard

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/internal/emf"
)

// Period is the period of every graph but the daily ones: five minutes, the
// finest that basic CloudWatch metrics of every tier report at. (A function, not
// a variable: a package-level jsii value would start Node at init, before main.)
func Period() awscdk.Duration { return awscdk.Duration_Minutes(jsii.Number(5)) }

// Stat is the metric options of a graph line: Period and the statistic.
func Stat(statistic string) *awscloudwatch.MetricOptions {
	return &awscloudwatch.MetricOptions{Period: Period(), Statistic: jsii.String(statistic)}
}

// Graph is one line graph of a dashboard row.
type Graph struct {
	Title   string
	Metrics []awscloudwatch.IMetric
}

// Row is one tier of the dashboard: a title and its graphs, side by side.
type Row struct {
	Title  string
	Graphs []Graph
}

// New creates a dashboard with one row per tier, top to bottom in the
// order a request travels, each row headed by its title.
func New(scope constructs.Construct, id, name string, rows []Row) awscloudwatch.Dashboard {
	d := awscloudwatch.NewDashboard(scope, jsii.String(id), &awscloudwatch.DashboardProps{
		DashboardName: jsii.String(name),
	})
	for _, row := range rows {
		d.AddWidgets(awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{
			Markdown: jsii.String("## " + row.Title), Width: jsii.Number(24), Height: jsii.Number(1),
		}))
		width := 24 / max(len(row.Graphs), 1)
		widgets := make([]awscloudwatch.IWidget, len(row.Graphs))
		for i, g := range row.Graphs {
			widgets[i] = awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
				Title: jsii.String(g.Title), Left: &g.Metrics, Width: jsii.Number(width), Height: jsii.Number(6),
			})
		}
		d.AddWidgets(widgets...)
	}
	return d
}

// Business charts what the shop does, from the business metrics the service and
// the functions record in namespace (internal/emf): orders, the cache's hit ratio
// as the service sees it, the outbox, each consumer's work, and the daily report's
// sales.
func Business(namespace string, consumers []string) Row {
	day := awscdk.Duration_Days(jsii.Number(1))
	metric := func(producer, name string, period awscdk.Duration, statistic string) awscloudwatch.Metric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String(namespace), MetricName: jsii.String(name),
			DimensionsMap: &map[string]*string{emf.ServiceDimension: jsii.String(producer)},
			Period:        period, Statistic: jsii.String(statistic),
		})
	}
	service := func(name, statistic string) awscloudwatch.Metric {
		return metric(emf.ServiceShop, name, Period(), statistic)
	}
	hitRatio := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String("100 * hits / (hits + misses)"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{
			"hits": service(emf.CacheHits, "Sum"), "misses": service(emf.CacheMisses, "Sum"),
		},
		Label: jsii.String("product reads served from the cache (%)"), Period: Period(),
	})
	var processed, failed []awscloudwatch.IMetric
	for _, name := range consumers {
		processed = append(processed, metric(name, emf.MessagesProcessed, Period(), "Sum"))
		failed = append(failed, metric(name, emf.MessagesFailed, Period(), "Sum"))
	}
	return Row{Title: "The shop: business metrics", Graphs: []Graph{
		{Title: "Orders placed", Metrics: []awscloudwatch.IMetric{service(emf.OrdersPlaced, "Sum")}},
		{Title: "Cache hit ratio (%)", Metrics: []awscloudwatch.IMetric{hitRatio}},
		{Title: "Outbox: events waiting / oldest (s) / parked", Metrics: []awscloudwatch.IMetric{
			service(emf.OutboxBacklog, "Maximum"), service(emf.OutboxOldestAge, "Maximum"), service(emf.OutboxParked, "Maximum")}},
		{Title: "Order events processed, per consumer", Metrics: processed},
		{Title: "Order events failed / stock shortages", Metrics: append(failed, metric("inventory", emf.StockShortages, Period(), "Sum"))},
		{Title: "Daily report: orders / revenue", Metrics: []awscloudwatch.IMetric{
			metric(emf.ServiceDailyReport, emf.DailyOrders, day, "Sum"), metric(emf.ServiceDailyReport, emf.DailyRevenue, day, "Sum")}},
	}}
}
