// Command app synthesizes the stacks of one stage: cdk synth -c stage=NAME.
//
// This is the only place that reads CDK context or the environment: the stage name
// picks a typed configuration from infra/config, which is validated before any
// construct is built.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/checks"
	"github.com/example/scalable-web/infra/config"
	"github.com/example/scalable-web/infra/stacks"
)

// defaultStage is synthesized when no -c stage=NAME is given.
const defaultStage = "dev"

func main() {
	app := awscdk.NewApp(nil)
	cfg, err := stageConfig(app.Node().TryGetContext(jsii.String("stage")), app.Node().TryGetContext(jsii.String("githubRepository")),
		app.Node().TryGetContext(jsii.String("originSecretVersion")))
	if err != nil {
		fail(err)
	}
	// make deploy passes -c deploy=true: what synth allows, a deploy may not.
	if app.Node().TryGetContext(jsii.String("deploy")) == "true" {
		if err := cfg.ReadyToDeploy(); err != nil {
			fail(err)
		}
	}
	// The Lambda functions are built from the module root, where cdk runs the app.
	root, err := os.Getwd()
	if err != nil {
		fail(err)
	}
	build(func() {
		stacks.New(app, cfg, root)
		checks.Apply(app)
		app.Synth(nil)
	})
	// No jsii.Close(): the kernel process ends with ours, and closing it explicitly
	// only prints "Runtime process exited abnormally: waitid: no child processes".
}

// stageConfig returns the validated configuration of the stage named in context.
// A GitHub repository given in context (make passes $GITHUB_REPOSITORY) adds the
// stage's delivery stack; an origin secret version (make rotate-origin-secret)
// pins the value CloudFront sends the API.
func stageConfig(stage, repository, originSecretVersion any) (config.Config, error) {
	if stage == nil {
		stage = defaultStage
	}
	name, ok := stage.(string)
	if !ok {
		return config.Config{}, fmt.Errorf("context stage %v: want a stage name such as %s", stage, defaultStage)
	}
	cfg, err := config.ForStage(name)
	if err != nil {
		return cfg, err
	}
	if repository != nil {
		repo, ok := repository.(string)
		if !ok {
			return cfg, fmt.Errorf("context githubRepository %v: want owner/name of a GitHub repository", repository)
		}
		cfg.Delivery.GitHubRepository = repo
	}
	if originSecretVersion != nil {
		version, ok := originSecretVersion.(string)
		if !ok {
			return cfg, fmt.Errorf("context originSecretVersion %v: want a Secrets Manager version ID", originSecretVersion)
		}
		cfg.Edge.OriginSecretVersion = version
	}
	return cfg, cfg.Validate()
}

// build runs the construction and synth of the app. A failure inside the CDK (a
// failed check has already printed its report) ends with its message, not a trace.
func build(run func()) {
	defer func() {
		if r := recover(); r != nil {
			fail(fmt.Errorf("synth failed: %v", r))
		}
	}()
	run()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "error:", err)
	os.Exit(1)
}
