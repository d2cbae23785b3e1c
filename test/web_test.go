package test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/stacks"
	"github.com/example/scalable-web/infra/web"
)

// forEachWebStack runs test once per stage on its web stack.
func forEachWebStack(t *testing.T, test func(t *testing.T, s *synthesis, stack string)) {
	t.Helper()
	forEachStageStack(t, func(s *stacks.Stacks) awscdk.Stack { return s.Web.Stack }, test)
}

func TestInternalLoadBalancer(t *testing.T) {
	forEachWebStack(t, func(t *testing.T, s *synthesis, stack string) {
		tpl := s.template(t, stack)
		check(t, "internal ALB", func() {
			tpl.HasResourceProperties(jsii.String("AWS::ElasticLoadBalancingV2::LoadBalancer"), map[string]any{
				"Scheme": "internal",
				"Type":   "application",
				// In the template's order, as arrayWith wants.
				"LoadBalancerAttributes": assertions.Match_ArrayWith(&[]any{
					map[string]any{"Key": "deletion_protection.enabled", "Value": fmt.Sprint(s.cfg.Web.DeletionProtection)},
					map[string]any{"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"},
				}),
			})
		})
		check(t, "HTTP listener", func() {
			tpl.HasResourceProperties(jsii.String("AWS::ElasticLoadBalancingV2::Listener"), map[string]any{"Port": 80, "Protocol": "HTTP"})
		})
		check(t, "target group", func() {
			tpl.HasResourceProperties(jsii.String("AWS::ElasticLoadBalancingV2::TargetGroup"), map[string]any{
				"Port": 8080, "Protocol": "HTTP", "HealthCheckPath": "/healthz",
				"TargetGroupAttributes": assertions.Match_ArrayWith(&[]any{
					map[string]any{"Key": "deregistration_delay.timeout_seconds", "Value": fmt.Sprint(s.cfg.Web.DrainSeconds)},
				}),
			})
		})
		// Only the API's VPC link reaches the load balancer, only the load balancer the
		// fleet, across every stack (a standby region has its own of each).
		viaLink := 0
		for _, rule := range s.securityGroupRules() {
			switch {
			case rule.ingress && strings.Contains(rule.group, "WebLoadBalancerSecurityGroup"):
				if !strings.HasPrefix(rule.source, "ApiVpcLinkSecurityGroup") || rule.from != 80 {
					t.Errorf("%s: the load balancer admits %s%s:%v, want the VPC link on 80 only", rule.resource, rule.cidr, rule.source, rule.from)
				}
				viaLink++
			case rule.ingress && strings.HasPrefix(rule.group, "WebInstanceSecurityGroup"):
				if !strings.HasPrefix(rule.source, "WebLoadBalancerSecurityGroup") || rule.from != 8080 {
					t.Errorf("%s: the fleet admits %s%s:%v, want the load balancer on 8080 only", rule.resource, rule.cidr, rule.source, rule.from)
				}
			}
		}
		if want := len(s.cfg.Regions()); viaLink != want {
			t.Errorf("%d rules admit a VPC link to a load balancer, want %d: one per region", viaLink, want)
		}
	})
}

func TestLaunchTemplate(t *testing.T) {
	forEachWebStack(t, func(t *testing.T, s *synthesis, stack string) {
		check(t, "IMDSv2, arm64 AL2023 from SSM, encrypted gp3, no key pair", func() {
			s.template(t, stack).HasResourceProperties(jsii.String("AWS::EC2::LaunchTemplate"), map[string]any{
				"LaunchTemplateData": assertions.Match_ObjectLike(&map[string]any{
					"MetadataOptions": map[string]any{"HttpTokens": "required", "HttpPutResponseHopLimit": 1},
					"ImageId":         map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("al2023.*arm64"))},
					"InstanceType":    s.cfg.Web.InstanceType,
					"BlockDeviceMappings": []any{map[string]any{"DeviceName": "/dev/xvda", "Ebs": map[string]any{
						"DeleteOnTermination": true, "Encrypted": true, "VolumeSize": 20, "VolumeType": "gp3"}}},
					"KeyName": assertions.Match_Absent(),
				}),
			})
		})
		userData := ""
		for _, r := range s.resources(stack, "AWS::EC2::LaunchTemplate") {
			b, _ := json.Marshal(props(r)["LaunchTemplateData"].(map[string]any)["UserData"])
			userData = string(b)
		}
		for _, want := range []string{"aws s3 cp", "/opt/shop/shop", "systemctl enable --now shop", "EnvironmentFile=/etc/shop.env", "User=shop",
			"DB_READER_HOST=reader." + s.cfg.Prefix + ".internal", "REDIS_TLS=true", "curl -fsS http://127.0.0.1:8080/readyz", "signal 0", "cfn-signal"} {
			if !strings.Contains(userData, want) {
				t.Errorf("user data lacks %q", want)
			}
		}
	})
}

func TestFleet(t *testing.T) {
	forEachWebStack(t, func(t *testing.T, s *synthesis, stack string) {
		w := s.cfg.Web
		check(t, "rolling update gated on signals, ELB health checks", func() {
			s.template(t, stack).HasResource(jsii.String("AWS::AutoScaling::AutoScalingGroup"), map[string]any{
				"Properties": assertions.Match_ObjectLike(&map[string]any{
					"MinSize": fmt.Sprint(w.MinCapacity), "MaxSize": fmt.Sprint(w.MaxCapacity), "HealthCheckType": "ELB",
					"DesiredCapacity": assertions.Match_Absent(), // a deploy never resets scaling
				}),
				"UpdatePolicy": map[string]any{
					"AutoScalingRollingUpdate":   assertions.Match_ObjectLike(&map[string]any{"MaxBatchSize": 1, "MinInstancesInService": w.MinCapacity, "WaitOnResourceSignals": true}),
					"AutoScalingScheduledAction": assertions.Match_AnyValue(),
				},
				"CreationPolicy": map[string]any{"ResourceSignal": map[string]any{"Count": w.MinCapacity, "Timeout": "PT15M"}},
			})
		})
		check(t, "CPU target tracking", func() {
			s.template(t, stack).HasResourceProperties(jsii.String("AWS::AutoScaling::ScalingPolicy"), map[string]any{
				"TargetTrackingConfiguration": assertions.Match_ObjectLike(&map[string]any{
					"PredefinedMetricSpecification": map[string]any{"PredefinedMetricType": "ASGAverageCPUUtilization"},
					"TargetValue":                   w.CPUTargetPercent,
				}),
			})
		})
		check(t, "requests-per-target tracking", func() {
			s.template(t, stack).HasResourceProperties(jsii.String("AWS::AutoScaling::ScalingPolicy"), map[string]any{
				"TargetTrackingConfiguration": assertions.Match_ObjectLike(&map[string]any{
					"PredefinedMetricSpecification": assertions.Match_ObjectLike(&map[string]any{"PredefinedMetricType": "ALBRequestCountPerTarget"}),
					"TargetValue":                   w.RequestsPerTargetPerMinute,
				}),
			})
		})
	})
}

func TestWebAlarms(t *testing.T) {
	forEachWebStack(t, func(t *testing.T, s *synthesis, stack string) {
		metrics := map[string]any{}
		for _, r := range s.resources(stack, "AWS::CloudWatch::Alarm") {
			p := props(r)
			metrics[fmt.Sprint(p["MetricName"])] = p["Threshold"]
		}
		want := map[string]any{
			"HTTPCode_ELB_5XX_Count":    float64(10),
			"HTTPCode_Target_5XX_Count": float64(10),
			"TargetResponseTime":        float64(s.cfg.Web.P99LatencyAlarmMillis) / 1000,
			"UnHealthyHostCount":        float64(0),
			"GroupInServiceInstances":   float64(s.cfg.Web.MaxCapacity) - 0.5,
		}
		for metric, threshold := range want {
			if metrics[metric] != threshold {
				t.Errorf("alarm on %s: threshold %v, want %v", metric, metrics[metric], threshold)
			}
		}
	})
}

// TestInstanceRoleReadsOnlyItsOwn: the fleet's role has no managed policy (not
// AmazonSSMManagedInstanceCore, which reads every SSM parameter of the account),
// no Systems Manager action beyond Session Manager's, and reads exactly the
// service's secrets: its database login, the cache AUTH token, the origin secret.
func TestInstanceRoleReadsOnlyItsOwn(t *testing.T) {
	forEachWebStack(t, func(t *testing.T, s *synthesis, stack string) {
		for id, r := range s.resources(stack, "AWS::IAM::Role") {
			if !strings.Contains(id, "WebRole") {
				continue
			}
			if arns := props(r)["ManagedPolicyArns"]; arns != nil {
				t.Errorf("%s: managed policies %v, want none", id, arns)
			}
		}
		var ssm []string
		secrets := map[string]bool{}
		for id, p := range s.resources(stack, "AWS::IAM::Policy") {
			if !strings.Contains(id, "WebRole") {
				continue
			}
			for _, st := range asList(mapOf(props(p)["PolicyDocument"])["Statement"]) {
				actions := asStrings(st["Action"])
				for _, a := range actions {
					if strings.HasPrefix(a, "ssm:") || strings.HasPrefix(a, "ssmmessages:") || strings.HasPrefix(a, "ec2messages:") {
						ssm = append(ssm, a)
					}
				}
				if slices.Contains(actions, "secretsmanager:GetSecretValue") {
					for _, ref := range findKey(st["Resource"], "Fn::GetStackOutput") {
						secrets[fmt.Sprint(mapOf(ref)["OutputName"])] = true
					}
				}
			}
		}
		slices.Sort(ssm)
		want := slices.Clone(web.SessionManagerActions)
		slices.Sort(want)
		if !slices.Equal(ssm, want) {
			t.Errorf("Systems Manager actions %v, want exactly Session Manager's %v", ssm, want)
		}
		if len(secrets) != 3 {
			t.Errorf("the role reads %d secrets (%v), want 3: its database login, the cache AUTH token, the origin secret", len(secrets), secrets)
		}
	})
}
