package failover

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/customresources"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/checks"
	"github.com/example/scalable-web/infra/logs"
)

// FleetArnProps configure the lookup of a fleet's ARN.
type FleetArnProps struct {
	// Group is the Auto Scaling group whose ARN is looked up.
	Group awsautoscaling.IAutoScalingGroup
	// LogRetentionDays is how long the lookup function's logs are kept, one of
	// config.LogRetentionDays.
	LogRetentionDays int
	// LogsKey encrypts the lookup function's log group.
	LogsKey awskms.IKey
	// RemovalPolicy applies to that log group.
	RemovalPolicy awscdk.RemovalPolicy
}

// FleetArn returns the ARN of an Auto Scaling group, which the plan's EC2 Auto
// Scaling block needs: CloudFormation returns only the group's name, and the ARN
// holds an ID AWS picks. The CDK's AwsCustomResource reads it once per deploy of
// the group (DescribeAutoScalingGroups).
func FleetArn(scope constructs.Construct, id string, props FleetArnProps) *string {
	name := props.Group.AutoScalingGroupName()
	call := &customresources.AwsSdkCall{
		Service:            jsii.String("AutoScaling"),
		Action:             jsii.String("describeAutoScalingGroups"),
		Parameters:         map[string]any{"AutoScalingGroupNames": []*string{name}},
		PhysicalResourceId: customresources.PhysicalResourceId_Of(name),
		OutputPaths:        jsii.Strings(arnPath),
	}
	lookup := customresources.NewAwsCustomResource(scope, jsii.String(id), &customresources.AwsCustomResourceProps{
		OnCreate: call,
		OnUpdate: call,
		Policy: customresources.AwsCustomResourcePolicy_FromStatements(&[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("autoscaling:DescribeAutoScalingGroups"), Resources: jsii.Strings("*"),
		})}),
		InstallLatestAwsSdk: jsii.Bool(false),
		LogGroup:            logs.NewGroup(scope, id+"Logs", logs.GroupProps{RetentionDays: props.LogRetentionDays, RemovalPolicy: props.RemovalPolicy, Key: props.LogsKey}),
	})
	checks.Suppress(lookup, "AwsSolutions-IAM5",
		"autoscaling:DescribeAutoScalingGroups supports no resource-level permissions (IAM takes only Resource *); the lookup reads the fleet's ARN with it and does nothing else.",
		"Resource::*")
	if fn := awscdk.Stack_Of(scope).Node().TryFindChild(jsii.String(awsCustomResourceFunction)); fn != nil {
		checks.SuppressDeployTimeFunction(fn, checks.DeployTimeFunction{Construct: "AwsCustomResource", Name: "fleet-ARN lookup function", Calls: "the Auto Scaling API"})
	}
	return lookup.GetResponseField(jsii.String(arnPath))
}

const (
	arnPath = "AutoScalingGroups.0.AutoScalingGroupARN"
	// awsCustomResourceFunction is the construct ID of the CDK's stack-wide
	// function behind every AwsCustomResource.
	awsCustomResourceFunction = "AWS679f53fac002430cb0da5b7982bd2287"
)
