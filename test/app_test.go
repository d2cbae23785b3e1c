package test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/example/scalable-web/infra/config"
)

var (
	buildOnce sync.Once
	appBinary string
	buildErr  error
)

// runApp builds app.go once and runs it the way the CDK CLI does: context in
// CDK_CONTEXT_JSON, the cloud assembly folder in CDK_OUTDIR.
func runApp(t *testing.T, context map[string]any) (outdir, stderr string, exitCode int) {
	t.Helper()
	buildOnce.Do(func() {
		appBinary = filepath.Join(outRoot, "app")
		out, err := exec.Command("go", "build", "-o", appBinary, "..").CombinedOutput()
		if err != nil {
			buildErr = errors.New(string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("go build: %v", buildErr)
	}
	ctx, _ := json.Marshal(context)
	outdir = t.TempDir()
	cmd := exec.Command(appBinary)
	cmd.Dir = ".." // the project root, where the CDK CLI runs the app
	cmd.Env = append(os.Environ(), "CDK_CONTEXT_JSON="+string(ctx), "CDK_OUTDIR="+outdir,
		// jsii's Node 20 end-of-life banner is not the app's output (the Makefile
		// silences it too); without this, stderr depends on the Node version.
		"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20")
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return outdir, errOut.String(), exit.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return outdir, errOut.String(), 0
}

// TestAppRejectsBadContext: a bad value in context stops the app with one line
// naming it and what is allowed, and no trace.
func TestAppRejectsBadContext(t *testing.T) {
	for _, tt := range []struct {
		key   string
		value any
		want  string
	}{
		{"stage", "nope", `error: stage "nope": want one of dev, staging, prod (choose with -c stage=NAME)`},
		{"stage", 3, "error: context stage 3: want a stage name such as dev"},
		{"githubRepository", "example-org", `error: dev config: delivery.gitHubRepository "example-org": want owner/name of a GitHub repository, such as example-org/shop, or empty for no delivery stack`},
	} {
		ctx := cdkContext(t)
		ctx["githubOwnerId"], ctx["githubRepositoryId"] = testOwnerID, testRepositoryID
		ctx[tt.key] = tt.value
		_, stderr, code := runApp(t, ctx)
		if code != 1 || stderr != tt.want+"\n" {
			t.Errorf("-c %s=%v: got exit %d and stderr\n%s\nwant exit 1 and stderr\n%s", tt.key, tt.value, code, stderr, tt.want)
		}
	}
}

// TestAppSynthesizesDevByDefault runs the real entry point end to end: the default
// stage, every stack written, cdk-nag run on each of them, and no trace on stderr.
func TestAppSynthesizesDevByDefault(t *testing.T) {
	outdir, stderr, code := runApp(t, cdkContext(t))
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
}

// TestDeployRefusesAStageWhoseAlarmsReachNoOne: make deploy passes -c deploy=true;
// prod, which requires an alarm subscriber, is refused with one line until it has
// one, while a plain synth of it (and of dev, which does not require one) works.
func TestDeployRefusesAStageWhoseAlarmsReachNoOne(t *testing.T) {
	ctx := cdkContext(t)
	ctx["stage"], ctx["deploy"] = "prod", "true"
	_, stderr, code := runApp(t, ctx)
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
