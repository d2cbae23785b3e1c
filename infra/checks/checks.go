// Package checks wires the offline template checks into an app: cdk-nag's
// AwsSolutions rules, reported as errors so that any unsuppressed finding fails synth.
// The CloudFormation validation is not here: the CDK's own, made strict by
// "@aws-cdk/core:validateAgainstDefaultRules" in cdk.json, runs in cdk deploy, cdk
// diff, a plain cdk synth and the tests; make synth runs AWS's validator over its
// output instead, in a process of its own (scripts/synth.sh).
package checks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// Apply adds the AwsSolutions rules to every construct below scope (the app).
func Apply(scope constructs.Construct) {
	awscdk.Aspects_Of(scope).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{
		Verbose: jsii.Bool(true),
	}), nil)
}

// NIST prefixes the rules of cdk-nag's NIST 800-53 rev 5 pack, which the tests run
// as a report (TestNIST80053R5): checks.Suppress(resource, checks.NIST+"RuleName", …).
const NIST = "NIST.800.53.R5-"

// SuppressEach suppresses rule on every CloudFormation resource of type cfnType
// below scope: for a decision about a whole kind of resource, such as the inline
// policies every CDK grant writes. Call it after every construct is built.
func SuppressEach(scope constructs.Construct, cfnType, rule, reason string) {
	for _, c := range *scope.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		if res, ok := c.(awscdk.CfnResource); ok && *res.CfnResourceType() == cfnType {
			Suppress(res, rule, reason)
		}
	}
}

// Suppress records that resource (and its children) knowingly breaks an AwsSolutions
// rule. The reason is part of the template's metadata and of the nag report, so
// write it for the reviewer: what the rule asks, why it does not apply here, and
// what protects the resource instead. appliesTo narrows a rule such as IAM4 or IAM5
// to the named policies or resources, e.g. "Resource::*"; one written /like this/ is a
// regular expression. It covers the children resource has now: call it after the
// grants that create the policies it excuses.
func Suppress(resource constructs.IConstruct, rule, reason string, appliesTo ...string) {
	suppression := &cdknag.NagPackSuppression{Id: jsii.String(rule), Reason: jsii.String(reason)}
	if len(appliesTo) > 0 {
		var targets []any
		for _, a := range appliesTo {
			if len(a) > 1 && a[0] == '/' && a[len(a)-1] == '/' {
				targets = append(targets, &cdknag.RegexAppliesTo{Regex: jsii.String(a)})
				continue
			}
			targets = append(targets, a)
		}
		suppression.AppliesTo = &targets
	}
	cdknag.NagSuppressions_AddResourceSuppressions(resource, &[]*cdknag.NagPackSuppression{suppression}, jsii.Bool(true))
}

// DeployTimeFunction names a function the CDK adds to a stack to run at deploy
// time, behind a custom resource, for SuppressDeployTimeFunction's reasons.
type DeployTimeFunction struct {
	// Construct is the CDK construct that adds it, e.g. "BucketDeployment".
	Construct string
	// Name says what it is, e.g. "upload function".
	Name string
	// Calls are the services it talks to, e.g. "S3 and CloudFront".
	Calls string
}

// SuppressDeployTimeFunction records why such a function (fn, with its role) may
// log through AWSLambdaBasicExecutionRole and run without reserved concurrency, a
// dead-letter queue or the VPC: CloudFormation invokes it once per deploy,
// synchronously, and it calls AWS APIs only.
func SuppressDeployTimeFunction(fn constructs.IConstruct, f DeployTimeFunction) {
	Suppress(fn, NIST+"LambdaConcurrency",
		"The CDK's "+f.Name+" runs once per deploy of this stack, never in parallel with itself.")
	Suppress(fn, NIST+"LambdaDLQ",
		"Invoked synchronously by CloudFormation (a custom resource); a failure fails the deploy, which rolls back.")
	Suppress(fn, NIST+"LambdaInsideVPC",
		"It talks to "+f.Calls+" only, outside the VPC; putting it in the VPC would route those calls through NAT for nothing.")
	Suppress(fn, "AwsSolutions-IAM4",
		"AWSLambdaBasicExecutionRole, set by the CDK's "+f.Construct+": it lets the "+f.Name+" write its own logs and nothing else.",
		"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
}
