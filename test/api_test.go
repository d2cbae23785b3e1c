package test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/stacks"
	"github.com/example/scalable-web/internal/shopapi"
)

// forEachAPIStack runs test once per stage on its API stack.
func forEachAPIStack(t *testing.T, test func(t *testing.T, s *synthesis, stack string)) {
	t.Helper()
	forEachStageStack(t, func(s *stacks.Stacks) awscdk.Stack { return s.API.Stack }, test)
}

func TestAPIRoutesToTheLoadBalancerThroughTheVpcLink(t *testing.T) {
	forEachAPIStack(t, func(t *testing.T, s *synthesis, stack string) {
		tpl := s.template(t, stack)
		check(t, "VPC-link integration to the ALB listener", func() {
			tpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Integration"), map[string]any{
				"ConnectionType": "VPC_LINK", "IntegrationType": "HTTP_PROXY",
				"ConnectionId": map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^ApiVpcLink"))},
			})
		})
		var routes []string
		for _, r := range s.resources(stack, "AWS::ApiGatewayV2::Route") {
			routes = append(routes, fmt.Sprint(props(r)["RouteKey"]))
		}
		slices.Sort(routes)
		want := slices.Sorted(slices.Values(shopapi.Routes))
		if !slices.Equal(routes, want) {
			t.Errorf("routes %v, want the shop's public routes %v only: no $default (it would expose /healthz, /readyz and /internal/stats) and no payment route without a payment URL", routes, want)
		}
	})
}

func TestAPIThrottlingAndAccessLogs(t *testing.T) {
	forEachAPIStack(t, func(t *testing.T, s *synthesis, stack string) {
		a := s.cfg.API
		var stage map[string]any
		for _, r := range s.resources(stack, "AWS::ApiGatewayV2::Stage") {
			stage = props(r)
		}
		if stage == nil {
			t.Fatal("no stage")
		}
		want := fmt.Sprintf("map[DetailedMetricsEnabled:true ThrottlingBurstLimit:%d ThrottlingRateLimit:%v]", a.BurstLimit, a.RateLimit)
		if got := fmt.Sprint(stage["DefaultRouteSettings"]); got != want {
			t.Errorf("stage throttling %s, want %s", got, want)
		}
		orders, _ := stage["RouteSettings"].(map[string]any)["POST /api/orders"].(map[string]any)
		if orders["ThrottlingRateLimit"] != a.OrdersRateLimit || orders["ThrottlingBurstLimit"] != float64(a.OrdersBurstLimit) {
			t.Errorf("POST /api/orders limits %v, want rate %v and burst %d", orders, a.OrdersRateLimit, a.OrdersBurstLimit)
		}
		logs := stage["AccessLogSettings"].(map[string]any)
		var format map[string]string
		if err := json.Unmarshal([]byte(fmt.Sprint(logs["Format"])), &format); err != nil || format["status"] != "$context.status" || format["requestId"] != "$context.requestId" {
			t.Errorf("access log format %v (%v), want JSON with status and requestId", logs["Format"], err)
		}
		check(t, "access-log group retention", func() {
			s.template(t, stack).HasResourceProperties(jsii.String("AWS::Logs::LogGroup"), map[string]any{"RetentionInDays": a.LogRetentionDays})
		})
		check(t, "alarms on 5xx, 4xx rate and latency", func() {
			tpl := s.template(t, stack)
			tpl.ResourceCountIs(jsii.String("AWS::CloudWatch::Alarm"), jsii.Number(3))
			tpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{"MetricName": "5xx"})
			tpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{"MetricName": "Latency", "ExtendedStatistic": "p99", "Threshold": a.LatencyAlarmMillis})
		})
	})
}

func TestPaymentRouteOnlyWhenConfigured(t *testing.T) {
	s := devOptions(t)
	stack := *s.stacks.API.StackName()
	check(t, "the payment route", func() {
		s.template(t, stack).HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Route"), map[string]any{"RouteKey": "ANY /api/pay/{proxy+}"})
	})
	check(t, "to the payment provider", func() {
		s.template(t, stack).HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Integration"), map[string]any{
			"IntegrationType": "HTTP_PROXY", "IntegrationUri": testPaymentURL + "/{proxy}",
		})
	})
	for _, v := range s.report.nag() {
		t.Errorf("cdk-nag: %s", v)
	}
}
