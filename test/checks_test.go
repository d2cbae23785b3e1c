package test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
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
// that breaks two AwsSolutions rules must stop synth and show up in the report.
// (TestFinalTemplatesValidate proves the same of the CloudFormation validation.)
func TestChecksCatchFindings(t *testing.T) {
	var app awscdk.App
	err := synth(t, "bad", func(scope constructs.Construct) {
		// The report is expected here: keep it out of the test output.
		scope.Node().SetContext(jsii.String("@aws-cdk/core:validationReportPrettyPrint"), false)
		stack := awscdk.NewStack(scope, jsii.String("Bad"), nil)
		awss3.NewBucket(stack, jsii.String("Bucket"), &awss3.BucketProps{RemovalPolicy: awscdk.RemovalPolicy_DESTROY})
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
}

// TestFinalTemplatesValidate runs AWS's CloudFormation validator over the final
// templates of every cloud assembly this package synthesizes (every stage, with and
// without a domain, the pinned copy of prod, each option and recipe variant), as
// they deploy: only there do cross-stack references appear as Fn::GetStackOutput.
// It is this package's CloudFormation validation: the synths skip aws-cdk-lib's
// (see TestMain), which runs the same engine on the templates before those
// references are written, with fewer rules. So a finding of any severity fails, as
// it would that validation with "@aws-cdk/core:validateAgainstDefaultRules",
// except the warnings it skips (allowedWarnings). One run of the validator takes
// every assembly, each as soon as it is written (see validateInBackground), and
// first a template it must fail on twice to prove it can (badTemplate).
func TestFinalTemplatesValidate(t *testing.T) {
	// Parallel: it runs after every other test, once their synths are validated.
	t.Parallel()
	// What must be validated however the tests were filtered with -run.
	for _, stage := range config.StageNames() {
		synthesize(t, stage)
		withDomain(t, stage)
	}
	synthesizeVariant(t, "prod-eu", "prod", prodCopy)
	out, dirs := finishValidation(t)
	bad := backgroundValidation.bad
	finding := regexp.MustCompile(`^(\S+): \[(\w+)\] (\w+) `)
	for dir, name := range dirs {
		var found []string
		for _, line := range strings.Split(out, "\n") {
			m := finding.FindStringSubmatch(line)
			if m != nil && strings.HasPrefix(m[1], dir+"/") && !(m[2] == "WARN" && allowedWarnings[m[3]]) {
				found = append(found, line)
			}
		}
		summary := regexp.MustCompile(regexp.QuoteMeta(dir) + `: \d+ templates validated`).MatchString(out)
		all := strings.Join(found, "\n")
		switch {
		case !summary:
			t.Errorf("%s: the validator did not run over %s:\n%s", name, dir, out)
		case dir == bad:
			for _, want := range []string{"[ERROR] E1018", "[WARN] W3030"} {
				if !strings.Contains(all, want) {
					t.Errorf("the validator passed the bad template without %s:\n%s", want, out)
				}
			}
		case len(found) > 0:
			t.Errorf("%s:\n%s", name, all)
		}
	}
}

// allowedWarnings are the validator's warnings that aws-cdk-lib's validation does
// not report and the templates have:
//   - W3005, a DependsOn already implied by a Ref or Fn::GetAtt: the CDK writes both
//     for resources whose order it must pin (the target-tracking policy after its
//     listener, a custom resource after its role's policy);
//   - W3010, an availability zone written by name: a stage pinned to an account and
//     region spreads its subnets over the zones that account has, which the CDK
//     looks up and keeps in cdk.context.json.
var allowedWarnings = map[string]bool{"W3005": true, "W3010": true}

// TestSynthFailsOnAValidatorFinding: make synth (scripts/synth.sh) fails when AWS's
// validator, which checks its output instead of the CDK's validation in the app's
// process, finds an error in a template, and names it; and that template is not
// recorded as passed, so the next synth validates it again, while one with only a
// warning is, with its warning. A stand-in for the CDK CLI writes both.
func TestSynthFailsOnAValidatorFinding(t *testing.T) {
	t.Parallel() // it waits for the run TestMain started
	<-synthScript.done
	out, cache, output, err := synthScript.out, synthScript.cache, synthScript.output, synthScript.err
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("synth with a bad template: %v, want exit status 1\n%s", err, output)
	}
	for _, want := range []string{out + "/bad.template.json: [ERROR] E1018", "error: AWS's CloudFormation validator found errors in " + out} {
		if !strings.Contains(string(output), want) {
			t.Errorf("output lacks %q:\n%s", want, output)
		}
	}
	entries, _ := os.ReadDir(cache)
	if len(entries) != 1 {
		t.Fatalf("%s holds %v: want one entry, the template with a warning (the failed one is not recorded)", cache, entries)
	}
	if recorded, _ := os.ReadFile(filepath.Join(cache, entries[0].Name())); !strings.Contains(string(recorded), "W3030") || strings.Contains(string(recorded), "E1018") {
		t.Errorf("recorded %s, want the warned template's W3030 alone", recorded)
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
