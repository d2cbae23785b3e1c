package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/alarms"
	"github.com/example/scalable-web/infra/config"
	"github.com/example/scalable-web/infra/dashboard"
	"github.com/example/scalable-web/infra/edge"
	"github.com/example/scalable-web/infra/gofunction"
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

// dashboardRows are the golden signals of every tier, each row built by its tier,
// in the order a request meets them: edge, API, load balancer and fleet, data,
// then the asynchronous work.
func dashboardRows(cfg config.Config, s *Stacks) []dashboard.Row {
	e := s.Events
	return []dashboard.Row{
		dashboard.Business(cfg.Prefix, orderevents.ConsumerNames()),
		s.CDN.Site.DashboardRow(edge.WebACLMetricName(cfg.Prefix)),
		s.API.API.DashboardRow(),
		s.Web.Web.DashboardRow(),
		s.Stateful.Database.DashboardRow(),
		s.Stateful.Cache.DashboardRow(),
		e.Messaging.DashboardRow(orderevents.ConsumerNames(), e.Report.DeadLetterQueue),
		gofunction.DashboardRow("Lambda functions and the daily report", e.Functions(), e.Report.SuccessGraph()),
	}
}
