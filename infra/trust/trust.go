// Package trust adds confused-deputy conditions to the roles that AWS services
// assume: a service may assume one of this account's roles only on behalf of this
// account (aws:SourceAccount) and, where the service says which of its resources it
// acts for, one of this account's and region's (aws:SourceArn). It covers every
// role of the app, the ones the CDK creates for its own helpers included.
package trust

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// SourceArns are the services whose role trusts get aws:SourceArn too: the ARN
// pattern (a CloudFormation Fn::Sub string) of the resources each acts for. Every
// other service of Conditioned gets aws:SourceAccount alone.
var SourceArns = map[string][]string{
	"vpc-flow-logs.amazonaws.com":  {"arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:vpc-flow-log/*"},
	"monitoring.rds.amazonaws.com": {"arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:db:*"},
	// Scheduler's documentation names the schedule group as the source; either
	// form of this account's and region's schedules is admitted.
	"scheduler.amazonaws.com": {
		"arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule-group/*",
		"arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/*",
	},
}

// Conditioned are the services whose role trusts are conditioned: those that send
// aws:SourceAccount when they assume a role.
var Conditioned = []string{"lambda.amazonaws.com", "vpc-flow-logs.amazonaws.com", "monitoring.rds.amazonaws.com", "scheduler.amazonaws.com"}

// Unconditioned are the services that assume roles without saying for whom, with
// why a condition cannot apply: a condition would stop them assuming the role.
var Unconditioned = map[string]string{
	"ec2.amazonaws.com":               "EC2 passes no source account or ARN when an instance profile's role is assumed; iam:PassRole, which only this account's principals hold, is what limits who launches an instance with it.",
	"arc-region-switch.amazonaws.com": "A Region switch plan assumes its execution role only when someone starts the plan, which takes arc-region-switch:StartPlanExecution on this account's plan; the role may only invoke the plan's one step function and pass the approver role. A source condition Region switch does not send would stop the failover itself.",
	"s3.amazonaws.com":                "S3 live replication's documented trust names no source account or ARN; setting a bucket's replication takes iam:PassRole on the role, which only this account's principals hold, and the role may only read this stage's data buckets and write their replicas.",
}

// Apply conditions every role trust below scope (the app). Call it once every
// construct exists: it walks the tree once, which costs far less than an aspect
// (Node calling into Go for each of thousands of constructs); the tests check the
// final templates for any trust it missed.
func Apply(scope constructs.Construct) {
	for _, node := range *scope.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		visit(node)
	}
}

func visit(node constructs.IConstruct) {
	res, ok := node.(awscdk.CfnResource)
	if !ok || *res.CfnResourceType() != "AWS::IAM::Role" {
		return
	}
	role, ok := node.(awsiam.CfnRole)
	if !ok {
		// The CDK's custom-resource providers write their role as a plain resource,
		// always with one statement: lambda.amazonaws.com may assume it.
		if strings.HasSuffix(*node.Node().Path(), "CustomResourceProvider/Role") {
			res.AddPropertyOverride(jsii.String("AssumeRolePolicyDocument.Statement.0.Condition"), Condition("lambda.amazonaws.com"))
			return
		}
		// An error annotation stops synth with the others, naming the construct.
		awscdk.Annotations_Of(node).AddError(jsii.String(fmt.Sprintf("trust: %s is a role whose trust policy this aspect cannot read", *node.Node().Path())))
		return
	}
	document, _ := awscdk.Stack_Of(node).Resolve(role.AssumeRolePolicyDocument()).(map[string]any)
	statements, _ := document["Statement"].([]any)
	for i, s := range statements {
		st, _ := s.(map[string]any)
		service := principalService(st)
		if service == "" || st["Condition"] != nil {
			continue
		}
		if _, known := Unconditioned[service]; known {
			continue
		}
		if !slices.Contains(Conditioned, service) {
			awscdk.Annotations_Of(node).AddError(jsii.String(fmt.Sprintf("trust: %s may be assumed by %s: add it to trust.Conditioned if it sends aws:SourceAccount, or to trust.Unconditioned with the reason it cannot", *node.Node().Path(), service)))
			continue
		}
		res.AddPropertyOverride(jsii.String(fmt.Sprintf("AssumeRolePolicyDocument.Statement.%d.Condition", i)), Condition(service))
	}
}

// Condition is the confused-deputy condition for a role trust of service.
func Condition(service string) map[string]any {
	cond := map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()}}
	if patterns, ok := SourceArns[service]; ok {
		var arns []any
		for _, p := range patterns {
			arns = append(arns, awscdk.Fn_Sub(jsii.String(p), nil))
		}
		cond["ArnLike"] = map[string]any{"aws:SourceArn": arns}
	}
	return cond
}

// principalService is the one service a statement admits, or "".
func principalService(st map[string]any) string {
	p, _ := st["Principal"].(map[string]any)
	switch s := p["Service"].(type) {
	case string:
		return s
	case []any:
		if len(s) == 1 {
			if one, ok := s[0].(string); ok {
				return one
			}
		}
	}
	return ""
}
