// Package api builds the API Gateway HTTP API in front of the internal load
// balancer: a VPC link to the ALB, token-bucket throttling per stage and tighter on
// writes, JSON access logs, an optional third-party payment route, and alarms.
package api

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	elbv2 "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawsec2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/alarms"
	"github.com/example/scalable-web/infra/checks"
	"github.com/example/scalable-web/infra/dashboard"
	"github.com/example/scalable-web/infra/logs"
	"github.com/example/scalable-web/internal/shopapi"
)

// OrdersRoute is the write route with limits of its own.
const OrdersRoute = shopapi.PlaceOrder

// Props configure the API. The stage configuration has validated them.
type Props struct {
	// Vpc is the network of the VPC link and its security group.
	Vpc awsec2.IVpc
	// Subnets hold the VPC link's network interfaces (the stacks pass the
	// application subnets).
	Subnets *awsec2.SubnetSelection
	// Listener is the internal ALB's listener, where every route is sent.
	Listener elbv2.IApplicationListener
	// LoadBalancer is the internal ALB, which will admit the VPC link on port 80
	// and nothing else.
	LoadBalancer elbv2.IApplicationLoadBalancer

	// RateLimit is the stage's steady rate in requests per second, shared by every
	// route: more than 0, up to 10000 (from config API.RateLimit).
	RateLimit float64
	// BurstLimit is the size of the stage's token bucket, in requests: how many may
	// arrive at once above RateLimit, 1 to 5000 (from config API.BurstLimit).
	BurstLimit int
	// OrdersRateLimit is the steady rate of OrdersRoute in requests per second, more
	// than 0, up to RateLimit (from config API.OrdersRateLimit).
	OrdersRateLimit float64
	// OrdersBurstLimit is the token bucket's size on OrdersRoute, in requests, 1 to
	// BurstLimit (from config API.OrdersBurstLimit).
	OrdersBurstLimit int
	// PaymentURL is the https:// base URL of a third-party payment API that
	// /api/pay/{proxy+} forwards to; empty creates no payment route.
	PaymentURL string

	// LogRetentionDays is how long, in days, the access-log group keeps its logs: one
	// of config.LogRetentionDays (from config API.LogRetentionDays).
	LogRetentionDays int
	// LatencyAlarmMillis is the p99 latency, in milliseconds, above which for 15
	// minutes the Latency alarm fires (from config API.LatencyAlarmMillis).
	LatencyAlarmMillis int
	// LogsKey encrypts the log groups (logs.NewKey, in the stateful stack).
	LogsKey awskms.IKey
	// RemovalPolicy applies to the access-log group: DESTROY deletes it, anything
	// else (and the zero value) retains it.
	RemovalPolicy awscdk.RemovalPolicy
}

// API is the HTTP API and its default stage.
type API struct {
	constructs.Construct
	HTTPAPI awsapigatewayv2.HttpApi
	Stage   awsapigatewayv2.HttpStage
	VpcLink awsapigatewayv2.VpcLink
	Logs    awslogs.LogGroup
	Alarms  []awscloudwatch.Alarm
	// ServerErrors is among Alarms: it means the shop is down.
	ServerErrors awscloudwatch.Alarm
}

// New creates the API.
func New(scope constructs.Construct, id string, props Props) *API {
	this := constructs.NewConstruct(scope, jsii.String(id))
	a := &API{Construct: this}

	linkSG := awsec2.NewSecurityGroup(this, jsii.String("VpcLinkSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              props.Vpc,
		Description:      jsii.String("API Gateway VPC link: to the internal load balancer only"),
		AllowAllOutbound: jsii.Bool(false),
	})
	a.VpcLink = awsapigatewayv2.NewVpcLink(this, jsii.String("VpcLink"), &awsapigatewayv2.VpcLinkProps{
		Vpc: props.Vpc, Subnets: props.Subnets, SecurityGroups: &[]interfacesawsec2.ISecurityGroupRef{linkSG},
	})
	// From the link's side, so both halves of the rule live in this stack.
	linkSG.Connections().AllowTo(props.LoadBalancer.Connections(), awsec2.Port_Tcp(jsii.Number(80)), jsii.String("API Gateway VPC link"))

	toALB := awsapigatewayv2integrations.NewHttpAlbIntegration(jsii.String("LoadBalancer"), props.Listener, &awsapigatewayv2integrations.HttpAlbIntegrationProps{
		VpcLink: a.VpcLink,
	})
	// No default route: a path the shop does not serve (the instances' health
	// checks and counters among them) gets API Gateway's 404 and never reaches one.
	a.HTTPAPI = awsapigatewayv2.NewHttpApi(this, jsii.String("Resource"), &awsapigatewayv2.HttpApiProps{
		Description:        jsii.String("The shop's API: its public routes to the internal load balancer"),
		CreateDefaultStage: jsii.Bool(false),
	})
	for _, route := range shopapi.Routes {
		method, path := shopapi.Split(route)
		a.HTTPAPI.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
			Path: jsii.String(path), Methods: &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod(method)}, Integration: toALB,
		})
	}
	if props.PaymentURL != "" {
		a.HTTPAPI.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
			Path: jsii.String("/api/pay/{proxy+}"), Methods: &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_ANY},
			Integration: awsapigatewayv2integrations.NewHttpUrlIntegration(jsii.String("Payments"),
				jsii.String(strings.TrimSuffix(props.PaymentURL, "/")+"/{proxy}"), nil),
		})
	}

	a.Logs = logs.NewGroup(this, "AccessLogs", logs.GroupProps{RetentionDays: props.LogRetentionDays, RemovalPolicy: props.RemovalPolicy, Key: props.LogsKey})
	a.Stage = a.HTTPAPI.AddStage(jsii.String("Stage"), &awsapigatewayv2.HttpStageOptions{
		StageName:              jsii.String("$default"),
		AutoDeploy:             jsii.Bool(true),
		DetailedMetricsEnabled: jsii.Bool(true),
		Throttle:               &awsapigatewayv2.ThrottleSettings{RateLimit: jsii.Number(props.RateLimit), BurstLimit: jsii.Number(props.BurstLimit)},
	})
	// On the L1 stage, where cdk-nag and the tests read them.
	stage := a.Stage.Node().DefaultChild().(awsapigatewayv2.CfnStage)
	stage.SetAccessLogSettings(&awsapigatewayv2.CfnStage_AccessLogSettingsProperty{
		DestinationArn: a.Logs.LogGroupArn(),
		Format:         jsii.String(accessLogFormat()),
	})
	stage.SetRouteSettings(map[string]any{
		OrdersRoute: map[string]any{"ThrottlingRateLimit": props.OrdersRateLimit, "ThrottlingBurstLimit": props.OrdersBurstLimit, "DetailedMetricsEnabled": true},
	})
	// The route must exist before its settings.
	for _, child := range *a.HTTPAPI.Node().Children() {
		if strings.HasPrefix(*child.Node().Id(), "POST--api--orders") {
			stage.Node().AddDependency(child)
		}
	}

	a.addAlarms(props)
	checks.Suppress(a.HTTPAPI, "AwsSolutions-APIG4",
		"A public storefront API: product and order routes are open to shoppers by design, throttled per stage and per route, behind CloudFront and its WAF web ACL (the cdn and edge stacks). Add an authorizer for routes that need one.")
	return a
}

// accessLogFormat is one JSON object per request, with the fields that answer
// "who called what, how did it go, how long did it take".
func accessLogFormat() string {
	fields := map[string]string{
		"requestId": "$context.requestId", "ip": "$context.identity.sourceIp", "requestTime": "$context.requestTime",
		"method": "$context.httpMethod", "path": "$context.path", "routeKey": "$context.routeKey", "status": "$context.status",
		"protocol": "$context.protocol", "responseLength": "$context.responseLength", "latencyMs": "$context.responseLatency",
		"integrationLatencyMs": "$context.integrationLatency", "integrationError": "$context.integrationErrorMessage",
		"userAgent": "$context.identity.userAgent",
	}
	b, _ := json.Marshal(fields)
	return string(b)
}

func (a *API) addAlarms(props Props) {
	five := awscdk.Duration_Minutes(jsii.Number(5))
	api := a.HTTPAPI
	errors := api.MetricServerError(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")})
	a.ServerErrors = a.alarm("ServerErrors", errors, 10, "The API answered 5xx more than 10 times in 5 minutes")
	clientRate := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String("IF(requests > 100, 100 * errors / requests, 0)"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{
			"errors":   api.MetricClientError(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")}),
			"requests": api.MetricCount(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")}),
		},
		Label: jsii.String("4xx rate (%)"), Period: five,
	})
	a.alarm("ClientErrorRate", clientRate, 10, "More than 10% of requests answered 4xx (with over 100 requests in 5 minutes): a broken client, throttling, or abuse")
	latency := api.MetricLatency(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("p99")})
	a.alarm("Latency", latency, float64(props.LatencyAlarmMillis), fmt.Sprintf("p99 latency of the API above %d ms for 15 minutes", props.LatencyAlarmMillis))
}

func (a *API) alarm(what string, metric awscloudwatch.IMetric, threshold float64, description string) awscloudwatch.Alarm {
	alarm := alarms.New(a.Construct, what, alarms.Props{Metric: metric, Threshold: threshold, Description: description})
	a.Alarms = append(a.Alarms, alarm)
	return alarm
}

// DashboardRow charts the API's requests, latency and errors.
func (a *API) DashboardRow() dashboard.Row {
	api, stat := a.HTTPAPI, dashboard.Stat
	return dashboard.Row{Title: "API Gateway", Graphs: []dashboard.Graph{
		{Title: "Requests", Metrics: []awscloudwatch.IMetric{api.MetricCount(stat("Sum"))}},
		{Title: "Latency p50 / p99 (ms)", Metrics: []awscloudwatch.IMetric{api.MetricLatency(stat("p50")), api.MetricLatency(stat("p99"))}},
		{Title: "4xx (throttled requests are 429s) / 5xx", Metrics: []awscloudwatch.IMetric{api.MetricClientError(stat("Sum")), api.MetricServerError(stat("Sum"))}},
	}}
}
