package test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
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
// templates of every cloud assembly this package synthesizes (every stage, with and
// without a domain, the pinned copy of prod, each option and recipe variant), as
// they deploy: only there do cross-stack references appear as Fn::GetStackOutput,
// which the validation inside synth runs too early to see. One run of the validator
// takes them all, each as soon as it is written (see validateInBackground), with a
// template it must fail on (a Fn::Split over a Fn::GetStackOutput, E1018) to prove
// it can.
func TestFinalTemplatesValidate(t *testing.T) {
	// Parallel: it runs after every other test, once their synths are validated.
	t.Parallel()
	bad := t.TempDir()
	template := `{"Resources":{"Topic":{"Type":"AWS::SNS::Topic","Properties":{"TopicName":{"Fn::Select":[1,{"Fn::Split":["/",
		{"Fn::GetStackOutput":{"StackName":"other","OutputName":"Arn","Region":{"Ref":"AWS::Region"}}}]}]}}}}}`
	if err := os.WriteFile(filepath.Join(bad, "bad.template.json"), []byte(template), 0o644); err != nil {
		t.Fatal(err)
	}
	// What must be validated however the tests were filtered with -run.
	for _, stage := range config.StageNames() {
		synthesize(t, stage)
		withDomain(t, stage)
	}
	synthesizeVariant(t, "prod-eu", "prod", prodCopy)
	validateInBackground(bad, "the wrapped stack output")
	out, dirs := finishValidation(t)
	for dir, name := range dirs {
		var found []string
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, dir+"/") && (strings.Contains(line, "[ERROR]") || strings.Contains(line, "[FATAL]")) {
				found = append(found, line)
			}
		}
		summary := regexp.MustCompile(regexp.QuoteMeta(dir) + `: \d+ templates validated`).MatchString(out)
		switch {
		case !summary:
			t.Errorf("%s: the validator did not run over %s:\n%s", name, dir, out)
		case dir == bad && !strings.Contains(strings.Join(found, "\n"), "E1018"):
			t.Errorf("the validator passed a Fn::Split over a Fn::GetStackOutput (want E1018):\n%s", out)
		case dir != bad && len(found) > 0:
			t.Errorf("%s:\n%s", name, strings.Join(found, "\n"))
		}
	}
}

// TestSynthFailsOnAValidatorFinding: make synth (scripts/synth.sh) fails when AWS's
// validator, which checks its output instead of the CDK's validation in the app's
// process, finds an error in a template, and names it, every time: a template
// that fails is never cached as passed. A stand-in for the CDK CLI writes it.
func TestSynthFailsOnAValidatorFinding(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "cdk")
	script := `#!/bin/sh
while [ $# -gt 0 ]; do [ "$1" = --output ] && out=$2; shift; done
mkdir -p "$out"
cat > "$out/bad.template.json" <<'EOF'
{"Resources":{"Topic":{"Type":"AWS::SNS::Topic","Properties":{"TopicName":{"Fn::Select":[1,{"Fn::Split":["/",
  {"Fn::GetStackOutput":{"StackName":"other","OutputName":"Arn","Region":{"Ref":"AWS::Region"}}}]}]}}}}}
EOF
`
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	for run := 1; run <= 2; run++ {
		cmd := exec.Command("bash", "scripts/synth.sh", out)
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), "CDK_CLI="+fake)
		output, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Fatalf("synth %d with a bad template: %v, want exit status 1\n%s", run, err, output)
		}
		for _, want := range []string{out + "/bad.template.json: [ERROR] E1018", "error: AWS's CloudFormation validator found errors in " + out} {
			if !strings.Contains(string(output), want) {
				t.Errorf("synth %d: output lacks %q:\n%s", run, want, output)
			}
		}
	}
}

// backgroundValidation is one run of scripts/validate-templates.mjs --stdin, fed
// each cloud assembly as it is synthesized: its Node process validates on the
// second core while the tests go on synthesizing on the first.
var backgroundValidation struct {
	mu    sync.Mutex
	stdin io.WriteCloser
	out   bytes.Buffer
	done  chan error
	dirs  map[string]string // cloud assembly → what it is, for messages
}

// validateInBackground queues a cloud assembly for the validator, starting it the
// first time.
func validateInBackground(dir, name string) {
	v := &backgroundValidation
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.done == nil {
		v.dirs = map[string]string{}
		v.done = make(chan error, 1)
		cmd := exec.Command("node", "../scripts/validate-templates.mjs", "--stdin")
		cmd.Stdout, cmd.Stderr = &v.out, &v.out
		stdin, err := cmd.StdinPipe()
		if err == nil {
			err = cmd.Start()
		}
		if err != nil {
			v.done <- fmt.Errorf("start the validator: %w", err)
			return
		}
		v.stdin = stdin
		go func() { v.done <- cmd.Wait() }()
	}
	if v.stdin == nil {
		return // it did not start; finishValidation says why
	}
	v.dirs[dir] = name
	fmt.Fprintln(v.stdin, dir)
}

// finishValidation waits for the validator to finish what it was given and returns
// its output and the assemblies it was given.
func finishValidation(t *testing.T) (string, map[string]string) {
	t.Helper()
	v := &backgroundValidation
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.stdin != nil {
		v.stdin.Close()
	}
	err := <-v.done
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) { // 1: errors found, reported per folder
		t.Fatalf("validator: %v\n%s", err, v.out.String())
	}
	return v.out.String(), v.dirs
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
