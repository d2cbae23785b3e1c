// Command app synthesizes the stacks of one stage: cdk synth -c stage=NAME.
//
// This is the only place that reads CDK context or the environment: the stage name
// picks a typed configuration from infra/config, which is validated before any
// construct is built.
package main

import (
	"fmt"
	"os"
	"strconv"

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
	cfg, err := stageConfig(func(key string) any { return app.Node().TryGetContext(jsii.String(key)) })
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
// The rest of the context make may pass sets what is not a stage setting: the
// GitHub repository and its IDs (from $GITHUB_REPOSITORY, $GITHUB_REPOSITORY_OWNER_ID
// and $GITHUB_REPOSITORY_ID), which add the stage's delivery stack, and an origin
// secret version (make rotate-origin-secret), which pins the value CloudFront sends.
func stageConfig(context func(key string) any) (config.Config, error) {
	stage := context("stage")
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
	for _, c := range []struct {
		key, want string
		field     *string
	}{
		{"githubRepository", "owner/name of a GitHub repository", &cfg.Delivery.GitHubRepository},
		{"githubOwnerId", "the repository owner's numeric ID", &cfg.Delivery.GitHubOwnerID},
		{"githubRepositoryId", "the repository's numeric ID", &cfg.Delivery.GitHubRepositoryID},
		{"originSecretVersion", "a Secrets Manager version ID", &cfg.Edge.OriginSecretVersion},
	} {
		switch v := context(c.key).(type) {
		case nil:
		case string:
			*c.field = v
		case float64: // a numeric ID, where the context arrived as JSON
			*c.field = strconv.FormatFloat(v, 'f', -1, 64)
		default:
			return cfg, fmt.Errorf("context %s %v: want %s", c.key, v, c.want)
		}
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
