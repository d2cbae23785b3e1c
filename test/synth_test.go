// Package test synthesizes the whole app, once per stage and test binary, and
// asserts against the result: snapshots, fine-grained properties, the offline
// checks (cdk-nag, CloudFormation validation) and the stage configuration.
package test

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/example/scalable-web/infra/checks"
	"github.com/example/scalable-web/infra/config"
	"github.com/example/scalable-web/infra/stacks"
)

var update = flag.Bool("update", false, "rewrite the snapshot files from this synth (make snapshot-update)")

// outRoot holds every cloud assembly this test binary writes; TestMain removes it.
var outRoot string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "cdk-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	outRoot = dir
	// make test runs this package with CDK_VALIDATION=false (scripts/test.sh): its
	// synths then skip aws-cdk-lib's CloudFormation validation, the slowest part of
	// a synth, since TestFinalTemplatesValidate runs the same engine over every one
	// of their final templates, with every rule, and fails on a finding of any
	// severity the CDK reports. (It must be set before the test binary starts: jsii
	// takes the Node process's environment when its packages register.) The real
	// entry point's runs keep that validation, as cdk deploy does (runApp), and
	// TestAppSynthesizesDevByDefault reads its report. Run without the variable,
	// the synths validate twice, which costs only time.
	synthScript.done = make(chan struct{})
	startValidation()
	go startAppRuns()
	go runSynthScript()
	code := m.Run()
	// Their folders are under outRoot.
	<-appDone
	<-synthScript.done
	stopValidation()
	os.RemoveAll(outRoot)
	jsii.Close()
	os.Exit(code)
}

// synthesis is one stage synthesized the way `cdk synth -c stage=NAME` does it.
type synthesis struct {
	cfg       config.Config
	stacks    *stacks.Stacks
	templates map[string]map[string]any // by stack name
	report    validationReport
	// outdir is the cloud assembly: templates, manifest.json, assets.
	outdir string
	// err is set when synth stopped on a failed check; the templates are still there.
	err error

	mu         sync.Mutex
	assertions map[string]assertions.Template
}

var (
	synthMu sync.Mutex
	synths  = map[string]*synthesis{}
)

// synthesize returns the stage's synthesis, running it the first time it is asked for.
func synthesize(t *testing.T, stage string) *synthesis {
	t.Helper()
	return synthesizeVariant(t, stage, stage, func(*config.Config) {})
}

// synthesizeVariant synthesizes a stage with a change to its configuration, once
// per name, for the tests of options no stage uses by default.
func synthesizeVariant(t *testing.T, name, stage string, change func(*config.Config)) *synthesis {
	t.Helper()
	synthMu.Lock()
	defer synthMu.Unlock()
	if s, ok := synths[name]; ok {
		return s
	}
	cfg, err := config.ForStage(stage)
	if err == nil {
		change(&cfg)
		err = cfg.Validate()
	}
	if err != nil {
		t.Fatalf("stage %s: %v", stage, err)
	}
	s := &synthesis{cfg: cfg, templates: map[string]map[string]any{}, assertions: map[string]assertions.Template{}}
	var app awscdk.App
	s.err = synth(t, name, func(scope constructs.Construct) {
		s.stacks = stacks.New(scope, cfg, "..")
		if name == nistVariant {
			awscdk.Aspects_Of(scope).Add(cdknag.NewNIST80053R5Checks(&cdknag.NagPackProps{}), nil)
		}
	}, &app)
	outdir := *app.Outdir()
	s.outdir = outdir
	for _, stack := range stackNames(s.stacks) {
		s.templates[stack] = readJSON[map[string]any](t, filepath.Join(outdir, stack+".template.json"))
	}
	s.report = readReport(t, outdir)
	if s.err == nil {
		validateInBackground(outdir, name)
	}
	synths[name] = s
	return s
}

// The options no default stage turns on, each read by its own test.
const (
	testPaymentURL          = "https://payments.example.com/v1"
	testSubjectPrefix       = "repository_owner_id:" + testOwnerID + ":repository_id:" + testRepositoryID
	testOriginSecretVersion = "0d7f0c7e-3c8a-4b7a-9d5e-1f2a3b4c5d6e"
	testDataReader          = "arn:aws:iam::123456789012:role/analysts"
)

// devOptions is dev with the options no default stage uses, all in one synth
// since none changes what another's test reads: a payment route, a GitHub OIDC
// subject prefix (and so the delivery stack), a pinned origin-secret version.
func devOptions(t *testing.T) *synthesis {
	t.Helper()
	return synthesizeVariant(t, "dev-options", "dev", func(c *config.Config) {
		c.API.PaymentURL = testPaymentURL
		c.Delivery.GitHubRepository, c.Delivery.GitHubOwnerID, c.Delivery.GitHubRepositoryID = testRepository, testOwnerID, testRepositoryID
		c.Delivery.SubjectPrefix = testSubjectPrefix
		c.Edge.OriginSecretVersion = testOriginSecretVersion
	})
}

// prodOptions is prod with on-call subscribers and a reader of the customer data,
// in one region: what its tests read is the primary region's, and prod's
// standby stacks (the other variants check them) would double its synth.
func prodOptions(t *testing.T) *synthesis {
	t.Helper()
	return synthesizeVariant(t, "prod-options", "prod", func(c *config.Config) {
		c.Ops.AlarmEmails = []string{"oncall@example.com", "cto@example.com"}
		c.Ops.AlarmHTTPSEndpoints = []string{"https://events.example.com/integration/sns/abc"}
		c.Storage.DataReaderRoleArns = []string{testDataReader}
		c.Secondary = config.Secondary{}
	})
}

// synth builds an app with the project's cdk.json context and checks, lets build add
// its constructs, and synthesizes it into a fresh folder. It returns the error that
// stopped synth, if any, so that the reports written before it can still be read.
func synth(t *testing.T, name string, build func(constructs.Construct), app *awscdk.App) (err error) {
	t.Helper()
	outdir, mkErr := os.MkdirTemp(outRoot, name+"-")
	if mkErr != nil {
		t.Fatal(mkErr)
	}
	ctx := cdkContext(t)
	*app = awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir), Context: &ctx})
	build(*app)
	checks.Apply(*app)
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("synth of %s failed: %v", name, r)
		}
	}()
	(*app).Synth(nil)
	return nil
}

// cdkContext is the "context" of cdk.json, so tests run with the feature flags that
// `cdk synth` uses, plus no asset bundling: these tests never need it.
func cdkContext(t *testing.T) map[string]any {
	t.Helper()
	ctx, err := loadCDKContext()
	if err != nil {
		t.Fatal(err)
	}
	return ctx
}

// loadCDKContext is cdkContext for code that has no test to fail.
func loadCDKContext() (map[string]any, error) {
	var cdk struct {
		Context map[string]any `json:"context"`
	}
	raw, err := os.ReadFile("../cdk.json")
	if err == nil {
		err = json.Unmarshal(raw, &cdk)
	}
	if err != nil {
		return nil, fmt.Errorf("cdk.json: %w", err)
	}
	cdk.Context["aws:cdk:bundling-stacks"] = []string{}
	// The pinned variant's zones in its two regions, as `cdk synth` would record
	// them in cdk.context.json.
	for _, region := range []string{pinnedRegion, pinnedStandby} {
		cdk.Context["availability-zones:account="+pinnedAccount+":region="+region] = []string{region + "a", region + "b", region + "c"}
	}
	return cdk.Context, nil
}

func stackNames(s *stacks.Stacks) []string {
	var names []string
	for _, stack := range s.All() {
		names = append(names, *stack.StackName())
	}
	return names
}

// template returns the assertions view of one stack's template, built once.
func (s *synthesis) template(t *testing.T, stack string) assertions.Template {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if tpl, ok := s.assertions[stack]; ok {
		return tpl
	}
	raw, ok := s.templates[stack]
	if !ok {
		t.Fatalf("no template for stack %s", stack)
	}
	tpl := assertions.Template_FromJSON(&raw, nil)
	s.assertions[stack] = tpl
	return tpl
}

// resources returns the logical IDs and bodies of a stack's resources of one type.
func (s *synthesis) resources(stack, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range s.templates[stack]["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}

// check runs one assertions call, which panics on a mismatch, as a test error.
func check(t *testing.T, what string, assert func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", what, r)
		}
	}()
	assert()
}

func readJSON[T any](t *testing.T, path string) T {
	t.Helper()
	var v T
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

// validationReport is the validation-report.json the CDK writes after a synth:
// CloudFormation validation findings and, with annotationsInValidationReport, every
// construct annotation, among them cdk-nag's findings.
type validationReport struct {
	PluginReports []struct {
		PluginName string      `json:"pluginName"`
		Violations []violation `json:"violations"`
	} `json:"pluginReports"`
}

// readReport reads a cloud assembly's validation report. Without the CDK's
// CloudFormation validation, a synth that no check annotated writes none: that is
// an empty report (TestChecksCatchFindings proves findings do write one).
func readReport(t *testing.T, outdir string) validationReport {
	t.Helper()
	path := filepath.Join(outdir, "validation-report.json")
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return validationReport{}
	}
	return readJSON[validationReport](t, path)
}

type violation struct {
	RuleName    string `json:"ruleName"`
	Description string `json:"description"`
	Severity    string `json:"severity"`
	Constructs  []struct {
		Path string `json:"constructPath"`
	} `json:"violatingConstructs"`
}

func (v violation) String() string {
	paths := make([]string, len(v.Constructs))
	for i, c := range v.Constructs {
		paths[i] = c.Path
	}
	return fmt.Sprintf("%s %s at %s: %s", v.Severity, v.RuleName, strings.Join(paths, ", "), strings.TrimSpace(v.Description))
}

const (
	cfnValidatePlugin = "CloudFormation Validate"
	annotationsPlugin = "Construct Annotations"
)

// violations returns what one plugin reported that keep accepts.
func (r validationReport) violations(plugin string, keep func(violation) bool) []violation {
	var out []violation
	for _, p := range r.PluginReports {
		if p.PluginName != plugin {
			continue
		}
		for _, v := range p.Violations {
			if keep(v) {
				out = append(out, v)
			}
		}
	}
	return out
}

// nag reports the cdk-nag findings, which reach the report as construct annotations.
func (r validationReport) nag() []violation {
	return r.violations(annotationsPlugin, isNag)
}

// cloudFormation reports the CDK's CloudFormation validation findings.
func (r validationReport) cloudFormation() []violation {
	return r.violations(cfnValidatePlugin, func(violation) bool { return true })
}

// annotations reports the construct warnings and errors that are not cdk-nag's.
func (r validationReport) annotations() []violation {
	return r.violations(annotationsPlugin, func(v violation) bool { return !isNag(v) })
}

func isNag(v violation) bool { return strings.HasPrefix(v.Description, "AwsSolutions-") }
