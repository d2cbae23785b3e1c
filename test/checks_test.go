package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

func TestCdkNagReportsNothing(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesis, _ string) {
		for _, v := range s.report.nag() {
			t.Errorf("cdk-nag: %s", v)
		}
	})
}

func TestCloudFormationValidationReportsNothing(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesis, _ string) {
		for _, v := range s.report.cloudFormation() {
			t.Errorf("CloudFormation validation: %s", v)
		}
	})
}

func TestNoConstructWarnings(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesis, _ string) {
		for _, v := range s.report.annotations() {
			t.Errorf("annotation: %s", v)
		}
		if s.err != nil {
			t.Errorf("synth: %v", s.err)
		}
	})
}

// TestChecksCatchFindings proves the checks above can fail: a stack with a bucket
// that breaks two AwsSolutions rules and a log group with a retention CloudFormation
// does not accept must stop synth and show up in the report.
func TestChecksCatchFindings(t *testing.T) {
	var app awscdk.App
	err := synth(t, "bad", func(scope constructs.Construct) {
		// The report is expected here: keep it out of the test output.
		scope.Node().SetContext(jsii.String("@aws-cdk/core:validationReportPrettyPrint"), false)
		stack := awscdk.NewStack(scope, jsii.String("Bad"), nil)
		awss3.NewBucket(stack, jsii.String("Bucket"), &awss3.BucketProps{RemovalPolicy: awscdk.RemovalPolicy_DESTROY})
		awslogs.NewCfnLogGroup(stack, jsii.String("Logs"), &awslogs.CfnLogGroupProps{RetentionInDays: jsii.Number(42)})
	}, &app)
	if err == nil {
		t.Error("synth succeeded, want it to stop on the cdk-nag errors")
	}
	report := readJSON[validationReport](t, *app.Outdir()+"/validation-report.json")

	var nag []string
	for _, v := range report.nag() {
		rule, _, _ := strings.Cut(v.Description, ":")
		nag = append(nag, rule)
	}
	for _, want := range []string{"AwsSolutions-S1", "AwsSolutions-S10"} {
		if !slices.Contains(nag, want) {
			t.Errorf("cdk-nag findings %v, want %s among them", nag, want)
		}
	}
	var rules []string
	for _, v := range report.cloudFormation() {
		rules = append(rules, v.RuleName)
	}
	if !slices.Contains(rules, "W3030") {
		t.Errorf("CloudFormation validation rules %v, want W3030 (RetentionInDays 42)", rules)
	}
}

// TestFinalTemplatesValidate runs AWS's CloudFormation validator over the final
// templates of every stage, with and without a domain, as they deploy: only there do
// cross-stack references appear as Fn::GetStackOutput, which the validation inside
// synth runs too early to see.
func TestFinalTemplatesValidate(t *testing.T) {
	forEachEdgeVariant(t, func(t *testing.T, s *synthesis) {
		if out, err := validateTemplates(s.outdir); err != nil {
			t.Errorf("%v\n%s", err, out)
		}
	})
}

// TestNoFunctionWrapsAnotherStacksValue: CloudFormation's Fn::Split and Fn::Select
// do not take a Fn::GetStackOutput, so a value read from another stack is used as
// the producer outputs it, already derived.
func TestNoFunctionWrapsAnotherStacksValue(t *testing.T) {
	forEachEdgeVariant(t, func(t *testing.T, s *synthesis) {
		for stack, tpl := range s.templates {
			for _, fn := range []string{"Fn::Split", "Fn::Select"} {
				for _, args := range findKey(tpl, fn) {
					if len(findKey(args, "Fn::GetStackOutput")) > 0 {
						t.Errorf("%s: %s wraps a value read from another stack: %v", stack, fn, args)
					}
				}
			}
		}
	})
}

// TestValidatorCatchesWrappedStackOutput proves the validator run above can fail:
// a Fn::Split over a Fn::GetStackOutput is the error it exists to catch.
func TestValidatorCatchesWrappedStackOutput(t *testing.T) {
	dir := t.TempDir()
	bad := `{"Resources":{"Topic":{"Type":"AWS::SNS::Topic","Properties":{"TopicName":{"Fn::Select":[1,{"Fn::Split":["/",
		{"Fn::GetStackOutput":{"StackName":"other","OutputName":"Arn","Region":{"Ref":"AWS::Region"}}}]}]}}}}}`
	if err := os.WriteFile(filepath.Join(dir, "bad.template.json"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := validateTemplates(dir)
	if err == nil || !strings.Contains(out, "E1018") {
		t.Errorf("validator: err %v, output %q; want it to fail with E1018", err, out)
	}
}

// validateTemplates runs scripts/validate-templates.mjs over a cloud assembly.
func validateTemplates(dir string) (string, error) {
	out, err := exec.Command("node", "../scripts/validate-templates.mjs", dir).CombinedOutput()
	return string(out), err
}
