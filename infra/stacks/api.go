package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/alarms"
	"github.com/example/scalable-web/infra/api"
	"github.com/example/scalable-web/infra/config"
	"github.com/example/scalable-web/infra/removal"
)

// API is the stateless stack of the HTTP API that fronts the internal load balancer.
type API struct {
	awscdk.Stack
	API *api.API
}

// NewAPI creates the API stack on top of the web stack.
func NewAPI(scope constructs.Construct, id string, cfg config.Config, stateful *Stateful, web *Web) *API {
	stack := awscdk.NewStack(scope, jsii.String(id), stackProps(cfg, "API: HTTP API with a VPC link to the internal load balancer"))
	stack.AddStackDependency(stateful.Stack, jsii.String("references the network"))
	stack.AddStackDependency(web.Stack, jsii.String("references the load balancer and its listener"))
	return buildAPI(stack, cfg, stateful.Regional, web)
}

// buildAPI builds a region's HTTP API in stack, in front of its web tier.
func buildAPI(stack awscdk.Stack, cfg config.Config, at Regional, web *Web) *API {
	a := cfg.API
	httpAPI := api.New(stack, "Api", api.Props{
		Vpc:                at.Network.Vpc,
		Subnets:            at.Network.App,
		Listener:           web.Web.Listener,
		LoadBalancer:       web.Web.LoadBalancer,
		RateLimit:          a.RateLimit,
		BurstLimit:         a.BurstLimit,
		OrdersRateLimit:    a.OrdersRateLimit,
		OrdersBurstLimit:   a.OrdersBurstLimit,
		PaymentURL:         a.PaymentURL,
		LogRetentionDays:   a.LogRetentionDays,
		LatencyAlarmMillis: a.LatencyAlarmMillis,
		RemovalPolicy:      removal.Policy(cfg.RemovalPolicy),
		LogsKey:            at.LogsKey,
	})
	alarms.Notify(at.AlarmTopic.Topic, httpAPI.Alarms...)
	output(stack, "ApiUrl", httpAPI.HTTPAPI.ApiEndpoint(), "The API's endpoint (CloudFront will sit in front of it)")
	return &API{Stack: stack, API: httpAPI}
}
