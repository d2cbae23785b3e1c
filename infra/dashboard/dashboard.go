// Package dashboard lays out the stage's dashboard: each tier exports its Row (a
// title and its graphs) and the ops stack stacks them in the order a request
// travels.
package dashboard

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

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
