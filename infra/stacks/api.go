package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/alarms"
	"github.com/example/scalable-web/infra/api"
	"github.com/example/scalable-web/infra/config"
	"github.com/example/scalable-web/infra/edge"
	"github.com/example/scalable-web/infra/removal"
	"github.com/example/scalable-web/infra/routing"
	"github.com/example/scalable-web/internal/stackoutputs"
)

// API is the stateless stack of the HTTP API that fronts the internal load balancer.
type API struct {
	awscdk.Stack
	API *api.API
	// Routing is the region's API names, health check and DNS records, when the
	// stage has a domain and a standby region (routing.New); nil otherwise.
	Routing *routing.Region
}

// NewAPI creates the API stack on top of the web stack.
func NewAPI(scope constructs.Construct, id string, cfg config.Config, stateful *Stateful, web *Web) *API {
	stack := awscdk.NewStack(scope, jsii.String(id), stackProps(cfg, "API: HTTP API with a VPC link to the internal load balancer"))
	stack.AddStackDependency(stateful.Stack, jsii.String("references the network"))
	stack.AddStackDependency(web.Stack, jsii.String("references the load balancer and its listener"))
	return buildAPI(stack, cfg, stateful.Regional, web, cfg.Region, true)
}

// buildAPI builds a region's HTTP API in stack, in front of its web tier, and its
// DNS routing when the stage has a domain and a standby region. primary says
// whether region is the stage's primary region.
func buildAPI(stack awscdk.Stack, cfg config.Config, at Regional, web *Web, region string, primary bool) *API {
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
	output(stack, stackoutputs.APIURL.Key, httpAPI.HTTPAPI.ApiEndpoint(), "The API's endpoint (CloudFront will sit in front of it)")
	out := &API{Stack: stack, API: httpAPI}
	if cfg.Secondary.Enabled() && cfg.Edge.HasDomain() {
		e := cfg.Edge
		out.Routing = routing.New(stack, "Routing", routing.Props{
			Domain: e.Domain, Zone: edge.Zone(stack, "Zone", e.HostedZoneID, e.HostedZoneName),
			Region: region, Primary: primary, API: httpAPI.HTTPAPI, Stage: httpAPI.Stage,
			Down: []awscloudwatch.Alarm{httpAPI.ServerErrors, web.Web.LoadBalancer5xx, web.Web.NoHealthyHosts},
		})
		output(stack, HealthCheckIDOutput, out.Routing.HealthCheck.HealthCheckId(), "The region's Route 53 health check: a failover makes the old primary's fail for good (README: Failover runbook)")
	}
	return out
}

// HealthCheckIDOutput is the output of an API stack that names its region's
// health check, where the stage has one (routing.Region).
const HealthCheckIDOutput = "HealthCheckId"

// apiHost is the host name of an HTTP API's own endpoint, from its ID: a
// CloudFront origin must not carry a scheme or path.
func apiHost(stack awscdk.Stack, httpAPI *api.API) *string {
	return awscdk.Fn_Join(jsii.String(""), &[]*string{httpAPI.HTTPAPI.ApiId(), jsii.String(".execute-api."), stack.Region(), jsii.String("."), stack.UrlSuffix()})
}
