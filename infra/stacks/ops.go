package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/config"
	"github.com/example/scalable-web/infra/ops"
)

// Ops is the stack that watches the others: the composite "shop is down" alarm.
// It deploys last, since it reads alarms from the stacks it watches.
type Ops struct {
	awscdk.Stack
	ShopDown awscloudwatch.CompositeAlarm
}

// NewOps creates the ops stack.
func NewOps(scope constructs.Construct, id string, cfg config.Config, s *Stacks) *Ops {
	stack := awscdk.NewStack(scope, jsii.String(id), stackProps(cfg, "Ops: the shop-is-down alarm"))
	stack.AddStackDependency(s.Stateful.Stack, jsii.String("notifies the ops topic"))
	stack.AddStackDependency(s.Web.Stack, jsii.String("watches the load balancer's alarms"))
	stack.AddStackDependency(s.API.Stack, jsii.String("watches the API's alarms"))
	o := &Ops{Stack: stack}
	o.ShopDown = ops.NewShopDown(stack, "ShopDown", cfg.Prefix+"-shop-down", []awscloudwatch.IAlarm{
		s.API.API.ServerErrors, s.Web.Web.LoadBalancer5xx, s.Web.Web.NoHealthyHosts,
	})
	ops.Notify(s.Stateful.Ops.Topic, o.ShopDown)
	return o
}
