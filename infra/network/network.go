// Package network builds the VPC every other tier lives in.
package network

import (
	"net/netip"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/checks"
	"github.com/example/scalable-web/infra/logs"
)

// Subnet group names, as later tiers select them.
const (
	PublicSubnets      = "public"
	ApplicationSubnets = "app"
	DataSubnets        = "data"
)

// Props configure the network. The stage configuration has validated them.
type Props struct {
	// CIDR is the VPC's IPv4 block, /16 to /19.
	CIDR string
	// AZs is the number of availability zones to span.
	AZs int
	// NATGateways is the number of NAT gateways, 1 to AZs.
	NATGateways int
	// FlowLogRetentionDays is how long flow logs are kept.
	FlowLogRetentionDays int
	// LogsKey encrypts the log groups (logs.NewKey, in the stateful stack).
	LogsKey awskms.IKey
	// RemovalPolicy applies to the flow-log group; the zero value retains it.
	RemovalPolicy awscdk.RemovalPolicy
}

// Network is a VPC with three subnet tiers in every AZ:
//   - public: NAT gateways and, later, nothing else (the ALB is internal);
//   - app (private with egress): the EC2 fleet, the Lambdas, the API Gateway VPC link;
//   - data (isolated, no route out): RDS and ElastiCache.
//
// All traffic is logged to CloudWatch Logs, S3 is reached through a gateway endpoint,
// and the VPC's default security group has no rules.
type Network struct {
	constructs.Construct
	Vpc          awsec2.Vpc
	FlowLogGroup awslogs.LogGroup
	// App and Data select the application and database subnets.
	App  *awsec2.SubnetSelection
	Data *awsec2.SubnetSelection
}

// New creates the network.
func New(scope constructs.Construct, id string, props Props) *Network {
	this := constructs.NewConstruct(scope, jsii.String(id))
	cidr := netip.MustParsePrefix(props.CIDR)
	small, large := cidr.Bits()+8, cidr.Bits()+4

	vpc := awsec2.NewVpc(this, jsii.String("Resource"), &awsec2.VpcProps{
		IpAddresses:       awsec2.IpAddresses_Cidr(jsii.String(props.CIDR)),
		AvailabilityZones: availabilityZones(scope, props.AZs),
		MaxAzs:            maxAZs(scope, props.AZs),
		NatGateways:       jsii.Number(props.NATGateways),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{
			{Name: jsii.String(PublicSubnets), SubnetType: awsec2.SubnetType_PUBLIC, CidrMask: jsii.Number(small), MapPublicIpOnLaunch: jsii.Bool(false)},
			{Name: jsii.String(ApplicationSubnets), SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS, CidrMask: jsii.Number(large)},
			{Name: jsii.String(DataSubnets), SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED, CidrMask: jsii.Number(small)},
		},
		RestrictDefaultSecurityGroup: jsii.Bool(true),
		GatewayEndpoints: &map[string]*awsec2.GatewayVpcEndpointOptions{
			"S3": {Service: awsec2.GatewayVpcEndpointAwsService_S3()},
		},
	})

	checks.Suppress(vpc, checks.NIST+"VPCNoUnrestrictedRouteToIGW",
		"Only the public subnets route 0.0.0.0/0 to the internet gateway: they hold nothing but the NAT gateways (no instance maps a public IP). The app subnets go out through NAT, the data subnets have no route out.")
	flowLogs := logs.NewGroup(this, "FlowLogs", logs.GroupProps{
		RetentionDays: props.FlowLogRetentionDays,
		RemovalPolicy: props.RemovalPolicy,
		Key:           props.LogsKey,
	})
	vpc.AddFlowLog(jsii.String("FlowLog"), &awsec2.FlowLogOptions{
		Destination: awsec2.FlowLogDestination_ToCloudWatchLogs(flowLogs, nil),
		TrafficType: awsec2.FlowLogTrafficType_ALL,
	})

	return &Network{
		Construct:    this,
		Vpc:          vpc,
		FlowLogGroup: flowLogs,
		App:          &awsec2.SubnetSelection{SubnetGroupName: jsii.String(ApplicationSubnets)},
		Data:         &awsec2.SubnetSelection{SubnetGroupName: jsii.String(DataSubnets)},
	}
}

// availabilityZones names the AZs of a stack whose account or region is left to
// deploy time. Without them the CDK stops at two AZs, because it cannot look them
// up; Fn::GetAZs picks them at deploy time instead. A stack pinned to an account
// and region returns nil and uses MaxAzs, with the AZ names read from
// cdk.context.json.
func availabilityZones(scope constructs.Construct, n int) *[]*string {
	if !agnostic(scope) {
		return nil
	}
	azs := make([]*string, n)
	for i := range azs {
		azs[i] = awscdk.Fn_Select(jsii.Number(i), awscdk.Fn_GetAzs(jsii.String("")))
	}
	return &azs
}

func maxAZs(scope constructs.Construct, n int) *float64 {
	if agnostic(scope) {
		return nil
	}
	return jsii.Number(n)
}

func agnostic(scope constructs.Construct) bool {
	stack := awscdk.Stack_Of(scope)
	return *awscdk.Token_IsUnresolved(stack.Region()) || *awscdk.Token_IsUnresolved(stack.Account())
}
