package test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/config"
	"github.com/example/scalable-web/infra/stacks"
)

// forEachStage runs test once per stage, as a subtest, on that stage's synthesis
// and the name of its stateful stack.
func forEachStage(t *testing.T, test func(t *testing.T, s *synthesis, stack string)) {
	t.Helper()
	forEachStageStack(t, func(s *stacks.Stacks) awscdk.Stack { return s.Stateful.Stack }, test)
}

// forEachStageStack runs test once per stage on the stack that pick chooses.
func forEachStageStack(t *testing.T, pick func(*stacks.Stacks) awscdk.Stack, test func(t *testing.T, s *synthesis, stack string)) {
	t.Helper()
	for _, stage := range config.StageNames() {
		t.Run(stage, func(t *testing.T) {
			s := synthesize(t, stage)
			test(t, s, *pick(s.stacks).StackName())
		})
	}
}

func TestVpc(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesis, stack string) {
		tpl := s.template(t, stack)
		check(t, "one VPC", func() { tpl.ResourceCountIs(jsii.String("AWS::EC2::VPC"), jsii.Number(1)) })
		check(t, "VPC CIDR and DNS", func() {
			tpl.HasResourceProperties(jsii.String("AWS::EC2::VPC"), map[string]any{
				"CidrBlock":          s.cfg.Network.CIDR,
				"EnableDnsHostnames": true,
				"EnableDnsSupport":   true,
			})
		})
	})
}

func TestSubnetsPerTier(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesis, stack string) {
		// Public and database subnets get 1/256 of the VPC each, application subnets 1/16.
		bits := netip.MustParsePrefix(s.cfg.Network.CIDR).Bits()
		tiers := []struct{ name, cdkType, mask string }{
			{"public", "Public", fmt.Sprintf("/%d", bits+8)},
			{"app", "Private", fmt.Sprintf("/%d", bits+4)},
			{"data", "Isolated", fmt.Sprintf("/%d", bits+8)},
		}
		subnets := s.resources(stack, "AWS::EC2::Subnet")
		if got, want := len(subnets), 3*s.cfg.Network.AZs; got != want {
			t.Errorf("got %d subnets, want %d (3 tiers x %d AZs)", got, want, s.cfg.Network.AZs)
		}
		for _, tier := range tiers {
			var found []string
			for id, r := range subnets {
				props := r["Properties"].(map[string]any)
				if tagValue(props, "aws-cdk:subnet-name") != tier.name {
					continue
				}
				found = append(found, id)
				if got := tagValue(props, "aws-cdk:subnet-type"); got != tier.cdkType {
					t.Errorf("%s: got subnet type %q, want %q", id, got, tier.cdkType)
				}
				if cidr := props["CidrBlock"].(string); !strings.HasSuffix(cidr, tier.mask) {
					t.Errorf("%s: got CIDR %s, want a %s", id, cidr, tier.mask)
				}
				if props["MapPublicIpOnLaunch"] != false {
					t.Errorf("%s: got MapPublicIpOnLaunch %v, want false", id, props["MapPublicIpOnLaunch"])
				}
			}
			if len(found) != s.cfg.Network.AZs {
				t.Errorf("got %d %s subnets, want one per AZ (%d)", len(found), tier.name, s.cfg.Network.AZs)
			}
		}
		// Environment-agnostic stacks pick their AZs at deploy time, one index each.
		if s.cfg.Region == "" {
			for i := range s.cfg.Network.AZs {
				check(t, fmt.Sprintf("a data subnet in AZ index %d", i), func() {
					tpl := s.template(t, stack)
					tpl.HasResourceProperties(jsii.String("AWS::EC2::Subnet"), map[string]any{
						"AvailabilityZone": map[string]any{"Fn::Select": []any{i, map[string]any{"Fn::GetAZs": ""}}},
						"Tags":             assertions.Match_ArrayWith(&[]any{map[string]any{"Key": "aws-cdk:subnet-name", "Value": "data"}}),
					})
				})
			}
		}
	})
}

func TestNatGateways(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesis, stack string) {
		tpl := s.template(t, stack)
		n := s.cfg.Network.NATGateways
		check(t, "NAT gateways", func() { tpl.ResourceCountIs(jsii.String("AWS::EC2::NatGateway"), jsii.Number(n)) })
		check(t, "elastic IPs", func() { tpl.ResourceCountIs(jsii.String("AWS::EC2::EIP"), jsii.Number(n)) })
	})
	if prod := synthesize(t, "prod").cfg.Network; prod.NATGateways != prod.AZs {
		t.Errorf("prod: got %d NAT gateways, want one per AZ (%d)", prod.NATGateways, prod.AZs)
	}
}

// TestDataSubnetsHaveNoRouteOut checks that only public subnets route to the internet
// gateway, only application subnets route through NAT, and database subnets have no
// default route at all.
func TestDataSubnetsHaveNoRouteOut(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesis, stack string) {
		var viaIGW, viaNAT int
		for id, r := range s.resources(stack, "AWS::EC2::Route") {
			props := r["Properties"].(map[string]any)
			table := props["RouteTableId"].(map[string]any)["Ref"].(string)
			switch {
			case strings.HasPrefix(table, "Networkdata"):
				t.Errorf("%s: a route out of a database subnet (%s)", id, table)
			case props["GatewayId"] != nil && strings.HasPrefix(table, "Networkpublic"):
				viaIGW++
			case props["NatGatewayId"] != nil && strings.HasPrefix(table, "Networkapp"):
				viaNAT++
			default:
				t.Errorf("%s: unexpected route %v", id, props)
			}
		}
		azs := s.cfg.Network.AZs
		if viaIGW != azs || viaNAT != azs {
			t.Errorf("got %d routes to the internet gateway and %d through NAT, want %d of each", viaIGW, viaNAT, azs)
		}
	})
}

func TestFlowLogs(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesis, stack string) {
		tpl := s.template(t, stack)
		check(t, "flow log of all VPC traffic to CloudWatch Logs", func() {
			tpl.HasResourceProperties(jsii.String("AWS::EC2::FlowLog"), map[string]any{
				"ResourceType":       "VPC",
				"TrafficType":        "ALL",
				"LogDestinationType": "cloud-watch-logs",
			})
		})
		deletion := "Retain"
		if s.cfg.RemovalPolicy == config.Destroy {
			deletion = "Delete"
		}
		check(t, "flow-log group retention and removal policy", func() {
			tpl.HasResource(jsii.String("AWS::Logs::LogGroup"), map[string]any{
				"Properties":     map[string]any{"RetentionInDays": s.cfg.Network.FlowLogRetentionDays},
				"DeletionPolicy": deletion,
			})
		})
	})
}

func TestS3GatewayEndpoint(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesis, stack string) {
		endpoints := s.resources(stack, "AWS::EC2::VPCEndpoint")
		if len(endpoints) != 1 {
			t.Fatalf("got %d VPC endpoints, want 1 (S3)", len(endpoints))
		}
		for id, r := range endpoints {
			props := r["Properties"].(map[string]any)
			if props["VpcEndpointType"] != nil && props["VpcEndpointType"] != "Gateway" {
				t.Errorf("%s: got type %v, want Gateway", id, props["VpcEndpointType"])
			}
			if service := fmt.Sprint(props["ServiceName"]); !strings.Contains(service, ".s3") {
				t.Errorf("%s: got service %s, want S3", id, service)
			}
			// Every subnet reaches S3 without NAT: one route table per subnet.
			if got, want := len(props["RouteTableIds"].([]any)), 3*s.cfg.Network.AZs; got != want {
				t.Errorf("%s: attached to %d route tables, want %d", id, got, want)
			}
		}
	})
}

func TestDefaultSecurityGroupRestricted(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesis, stack string) {
		tpl := s.template(t, stack)
		check(t, "the default security group loses its rules", func() {
			tpl.HasResourceProperties(jsii.String("Custom::VpcRestrictDefaultSG"), map[string]any{
				"DefaultSecurityGroupId": map[string]any{"Fn::GetAtt": []any{assertions.Match_StringLikeRegexp(jsii.String("^Network[0-9A-F]{8}$")), "DefaultSecurityGroup"}},
			})
		})
		for id := range s.resources(stack, "AWS::EC2::SecurityGroup") {
			if strings.HasPrefix(id, "Network") {
				t.Errorf("%s: the network tier creates no security group; each tier owns its own", id)
			}
		}
	})
}

func TestEveryTaggableResourceIsTagged(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesis, stack string) {
		want := map[string]string{
			"project":     s.cfg.Tags.Project,
			"stage":       s.cfg.Stage,
			"owner":       s.cfg.Tags.Owner,
			"cost-centre": s.cfg.Tags.CostCentre,
		}
		tagged := 0
		for id, r := range s.templates[stack]["Resources"].(map[string]any) {
			props, _ := r.(map[string]any)["Properties"].(map[string]any)
			if _, ok := props["Tags"].([]any); !ok {
				continue
			}
			tagged++
			for key, value := range want {
				if got := tagValue(props, key); got != value {
					t.Errorf("%s: tag %s is %q, want %q", id, key, got, value)
				}
			}
		}
		if tagged < 10 {
			t.Errorf("only %d resources carry tags, want the VPC, subnets, log group and more", tagged)
		}
	})
}

func TestTerminationProtection(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesis, stack string) {
		got := *s.stacks.Stateful.TerminationProtection()
		if want := s.cfg.TerminationProtection; got != want {
			t.Errorf("stateful stack termination protection %v, want %v", got, want)
		}
	})
}

// tagValue returns the value of a tag in a resource's Tags list, or "".
func tagValue(props map[string]any, key string) string {
	tags, _ := props["Tags"].([]any)
	for _, tag := range tags {
		kv := tag.(map[string]any)
		if kv["Key"] == key {
			v, _ := kv["Value"].(string)
			return v
		}
	}
	return ""
}
