package test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/example/scalable-web/infra/config"
)

// appRuns are the runs of the real entry point the tests check, by name: each
// changes the project's context. They start in the background when the test binary
// does (TestMain calls startAppRuns), all at once and niced (see
// background_test.go): the runs that stop on a bad context end in a second, and
// the full synth works on the second core while the tests synthesize in theirs.
var appRuns = map[string]func(ctx map[string]any){
	"dev by default":         func(map[string]any) {},
	"stage nope":             badContext("stage", "nope"),
	"stage 3":                badContext("stage", 3),
	"repository without ids": badContext("githubRepository", "example-org"),
	"deploy prod": func(ctx map[string]any) {
		ctx["stage"], ctx["deploy"] = "prod", "true"
	},
}

func badContext(key string, value any) func(map[string]any) {
	return func(ctx map[string]any) {
		ctx["githubOwnerId"], ctx["githubRepositoryId"] = testOwnerID, testRepositoryID
		ctx[key] = value
	}
}

// appResult is what one run of the app left: its cloud assembly folder, its
// stderr and exit code, or the error that kept it from running.
type appResult struct {
	outdir, stderr string
	code           int
	err            error
}

var (
	appDone    = make(chan struct{})
	appResults = map[string]appResult{}
)

// startAppRuns builds app.go where cdk.json's "app" does (bin/app, which go build
// leaves alone when it is up to date) and runs it once per appRuns entry the way
// the CDK CLI does (context in CDK_CONTEXT_JSON, the cloud assembly folder in
// CDK_OUTDIR), then closes appDone.
func startAppRuns() {
	defer close(appDone)
	binary, err := filepath.Abs(filepath.Join("..", "bin", "app"))
	if err != nil {
		panic(err)
	}
	if out, err := exec.Command("go", "build", "-o", binary, "..").CombinedOutput(); err != nil {
		for name := range appRuns {
			appResults[name] = appResult{err: fmt.Errorf("go build: %v\n%s", err, out)}
		}
		return
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, change := range appRuns {
		wg.Go(func() {
			ctx, err := loadCDKContext()
			r := appResult{err: err}
			if err == nil {
				change(ctx)
				r = runApp(binary, ctx)
			}
			mu.Lock()
			defer mu.Unlock()
			appResults[name] = r
		})
	}
	wg.Wait()
}

func runApp(binary string, context map[string]any) appResult {
	ctx, _ := json.Marshal(context)
	outdir, err := os.MkdirTemp(outRoot, "app-")
	if err != nil {
		return appResult{err: err}
	}
	cmd := niced(binary)
	cmd.Dir = ".." // the project root, where the CDK CLI runs the app
	// Without TestMain's CDK_VALIDATION=false: the app validates as cdk deploy runs it.
	env := slices.DeleteFunc(os.Environ(), func(v string) bool { return strings.HasPrefix(v, "CDK_VALIDATION=") })
	cmd.Env = append(env, "CDK_CONTEXT_JSON="+string(ctx), "CDK_OUTDIR="+outdir,
		// jsii's Node 20 end-of-life banner is not the app's output (the Makefile
		// silences it too); without this, stderr depends on the Node version.
		"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20")
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	err = cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return appResult{outdir: outdir, stderr: errOut.String(), code: exit.ExitCode()}
	}
	return appResult{outdir: outdir, stderr: errOut.String(), err: err}
}

// appRun waits for the named run of the app.
func appRun(t *testing.T, name string) (outdir, stderr string, exitCode int) {
	t.Helper()
	<-appDone
	r, ok := appResults[name]
	if !ok {
		t.Fatalf("no app run named %q in appRuns", name)
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.outdir, r.stderr, r.code
}

// TestAppRejectsBadContext: a bad value in context stops the app with one line
// naming it and what is allowed, and no trace.
func TestAppRejectsBadContext(t *testing.T) {
	t.Parallel() // it waits for the app's runs: the synths go on meanwhile
	for _, tt := range []struct{ run, want string }{
		{"stage nope", `error: stage "nope": want one of dev, staging, prod (choose with -c stage=NAME)`},
		{"stage 3", "error: context stage 3: want a stage name such as dev"},
		{"repository without ids", `error: dev config: delivery.gitHubRepository "example-org": want owner/name of a GitHub repository, such as example-org/shop, or empty for no delivery stack`},
	} {
		_, stderr, code := appRun(t, tt.run)
		if code != 1 || stderr != tt.want+"\n" {
			t.Errorf("%s: got exit %d and stderr\n%s\nwant exit 1 and stderr\n%s", tt.run, code, stderr, tt.want)
		}
	}
}

// TestAppSynthesizesDevByDefault runs the real entry point end to end: the default
// stage, every stack written, cdk-nag run on each of them, the CDK's CloudFormation
// validation run over them with nothing to report (as in cdk deploy), and no trace
// on stderr.
func TestAppSynthesizesDevByDefault(t *testing.T) {
	t.Parallel() // it waits for the app's runs: the synths go on meanwhile
	outdir, stderr, code := appRun(t, "dev by default")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	for _, bad := range []string{"panic", "goroutine", "Error:"} {
		if strings.Contains(stderr, bad) {
			t.Errorf("stderr contains %q:\n%s", bad, stderr)
		}
	}
	dev := synthesize(t, "dev")
	for _, stack := range stackNames(dev.stacks) {
		for _, file := range []string{stack + ".template.json", "AwsSolutions--" + stack + "-NagReport.csv"} {
			if _, err := os.Stat(filepath.Join(outdir, file)); err != nil {
				t.Errorf("app wrote no %s: %v", file, err)
			}
		}
	}
	// The CDK writes a validation report when a validation plugin ran, even with
	// nothing to report; with no construct annotations to report, dev's can only
	// come from the CloudFormation validation.
	path := filepath.Join(outdir, "validation-report.json")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("no validation report, so no CloudFormation validation: %v", err)
	}
	report := readJSON[validationReport](t, path)
	for _, v := range append(report.cloudFormation(), report.annotations()...) {
		t.Errorf("validation: %s", v)
	}
}

// TestDeployRefusesAStageWhoseAlarmsReachNoOne: make deploy passes -c deploy=true;
// prod, which requires an alarm subscriber, is refused with one line until it has
// one, while a plain synth of it (and of dev, which does not require one) works.
func TestDeployRefusesAStageWhoseAlarmsReachNoOne(t *testing.T) {
	t.Parallel() // it waits for the app's runs: the synths go on meanwhile
	_, stderr, code := appRun(t, "deploy prod")
	want := "error: prod config: ops.alarmEmails and ops.alarmHTTPSEndpoints are both empty: want at least one on-call address or paging URL before deploying prod (ops.requireSubscriber is true), so its alarms reach a person\n"
	if code != 1 || stderr != want {
		t.Errorf("deploy of prod without a subscriber: exit %d, stderr\n%s\nwant exit 1 and\n%s", code, stderr, want)
	}

	prod, err := config.ForStage("prod")
	if err != nil {
		t.Fatal(err)
	}
	prod.Ops.AlarmHTTPSEndpoints = []string{"https://events.pagerduty.com/integration/abc/enqueue"}
	if err := prod.ReadyToDeploy(); err != nil {
		t.Errorf("prod with a paging URL: %v, want ready", err)
	}
	dev, _ := config.ForStage("dev")
	if err := dev.ReadyToDeploy(); err != nil || dev.Ops.RequireSubscriber {
		t.Errorf("dev: %v (requires a subscriber: %v), want ready without one", err, dev.Ops.RequireSubscriber)
	}
	if !synthesize(t, "prod").cfg.Ops.RequireSubscriber {
		t.Error("prod does not require an alarm subscriber")
	}
}
