package test

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/config"
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
// templates of every stage, with and without a domain, and of the pinned copy of
// prod, as they deploy: only there do cross-stack references appear as
// Fn::GetStackOutput, which the validation inside synth runs too early to see. One
// run of the validator takes them all, with a template it must fail on (a
// Fn::Split over a Fn::GetStackOutput, E1018) to prove it can.
func TestFinalTemplatesValidate(t *testing.T) {
	bad := t.TempDir()
	template := `{"Resources":{"Topic":{"Type":"AWS::SNS::Topic","Properties":{"TopicName":{"Fn::Select":[1,{"Fn::Split":["/",
		{"Fn::GetStackOutput":{"StackName":"other","OutputName":"Arn","Region":{"Ref":"AWS::Region"}}}]}]}}}}}`
	if err := os.WriteFile(filepath.Join(bad, "bad.template.json"), []byte(template), 0o644); err != nil {
		t.Fatal(err)
	}
	dirs := map[string]string{bad: "the wrapped stack output"}
	for _, stage := range config.StageNames() {
		dirs[synthesize(t, stage).outdir] = stage
		dirs[withDomain(t, stage).outdir] = stage + " with a domain"
	}
	dirs[synthesizeVariant(t, "prod-eu", "prod", prodCopy).outdir] = "the pinned copy of prod"
	out, _ := exec.Command("node", append([]string{"../scripts/validate-templates.mjs"}, slices.Sorted(maps.Keys(dirs))...)...).CombinedOutput()
	for dir, name := range dirs {
		var errors []string
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, dir+"/") && strings.Contains(line, "[ERROR]") {
				errors = append(errors, line)
			}
		}
		summary := regexp.MustCompile(regexp.QuoteMeta(dir) + `: \d+ templates validated`).MatchString(string(out))
		switch {
		case !summary:
			t.Errorf("%s: the validator did not run over %s:\n%s", name, dir, out)
		case dir == bad && !strings.Contains(strings.Join(errors, "\n"), "E1018"):
			t.Errorf("the validator passed a Fn::Split over a Fn::GetStackOutput (want E1018):\n%s", out)
		case dir != bad && len(errors) > 0:
			t.Errorf("%s:\n%s", name, strings.Join(errors, "\n"))
		}
	}
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
