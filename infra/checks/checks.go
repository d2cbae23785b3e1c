// Package checks wires the offline template checks into an app: cdk-nag's
// AwsSolutions rules, reported as errors so that any unsuppressed finding fails synth.
// The CDK's own CloudFormation validation runs on every synth and is made strict by
// "@aws-cdk/core:validateAgainstDefaultRules" in cdk.json.
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
