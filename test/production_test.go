package test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/config"
)

// The pinned variant's environment: an account and region that cdk.context.json
// does not know, so its availability zones come from the tests' own context.
const (
	pinnedAccount = "111111111111"
	pinnedRegion  = "eu-west-1"
	// pinnedStandby is the pinned copy's secondary region.
	pinnedStandby = "eu-central-1"
)

// prodCopy is prod's configuration under another name, pinned to an account and a
// region: what a team writes to run a second production stage.
func prodCopy(c *config.Config) {
	c.Stage, c.Prefix, c.BootstrapQualifier = "prod-eu", "shop-prod-eu", "shopprodeu"
	c.Account, c.Region = pinnedAccount, pinnedRegion
	c.Network.CIDR = "10.40.0.0/16"
	c.Secondary.Region, c.Secondary.CIDR = pinnedStandby, "10.41.0.0/16"
}

// TestACopyOfProdKeepsEveryGuard: the production guards hang on Production, not on
// the stage's name, so a copy of prod under another name refuses each weakening
// that prod refuses, and builds the same protections.
func TestACopyOfProdKeepsEveryGuard(t *testing.T) {
	base, err := config.ForStage("prod")
	if err != nil {
		t.Fatal(err)
	}
	prodCopy(&base)
	if err := base.Validate(); err != nil {
		t.Fatalf("the copy of prod is invalid: %v", err)
	}
	for _, weaken := range []struct {
		field  string
		change func(*config.Config)
	}{
		{"terminationProtection", func(c *config.Config) { c.TerminationProtection = false }},
		{"removalPolicy", func(c *config.Config) { c.RemovalPolicy = config.Destroy }},
		{"database.multiAZ", func(c *config.Config) { c.Database.MultiAZ = false }},
		{"database.replicas", func(c *config.Config) { c.Database.Replicas = 1 }},
		{"database.deletionProtection", func(c *config.Config) { c.Database.DeletionProtection = false }},
		{"cache.automaticFailover", func(c *config.Config) { c.Cache.AutomaticFailover, c.Cache.MultiAZ = false, false }},
		{"web.minCapacity", func(c *config.Config) { c.Web.MinCapacity = 1 }},
		{"web.deletionProtection", func(c *config.Config) { c.Web.DeletionProtection = false }},
		{"ops.requireSubscriber", func(c *config.Config) { c.Ops.RequireSubscriber = false }},
	} {
		cfg := base
		weaken.change(&cfg)
		err := cfg.Validate()
		want := "prod-eu config: " + weaken.field + " "
		if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "in a production stage (production: true)") || strings.Count(err.Error(), "\n") > 0 {
			t.Errorf("%s weakened: got %v, want one line %q… naming the production guard", weaken.field, err, want)
		}
		cfg.Production = false
		if err := cfg.Validate(); err != nil {
			t.Errorf("%s weakened in a stage that is not production: %v, want it allowed", weaken.field, err)
		}
	}

	s := synthesizeVariant(t, "prod-eu", "prod", prodCopy)
	if !*s.stacks.Stateful.TerminationProtection() {
		t.Error("the copy's stateful stack has no termination protection")
	}
	tpl := s.template(t, *s.stacks.Web.StackName())
	lbs := tpl.FindResources(jsii.String("AWS::ElasticLoadBalancingV2::LoadBalancer"), nil)
	for id, lb := range *lbs {
		props, _ := (*lb)["Properties"].(map[string]any)
		attrs := props["LoadBalancerAttributes"]
		if !containsAttribute(attrs, "deletion_protection.enabled", "true") {
			t.Errorf("load balancer %s of the copy: deletion protection off", id)
		}
	}
}

// TestAPinnedStagePassesEveryCheck: a stage pinned to an account and region (the
// copy of prod above) synthesizes with cdk-nag and the construct annotations
// reporting nothing; TestFinalTemplatesValidate runs the CloudFormation
// validation over its final templates.
func TestAPinnedStagePassesEveryCheck(t *testing.T) {
	s := synthesizeVariant(t, "prod-eu", "prod", prodCopy)
	if s.err != nil {
		t.Fatalf("synth: %v", s.err)
	}
	for _, v := range s.report.nag() {
		t.Errorf("cdk-nag: %s", v)
	}
	for _, v := range s.report.annotations() {
		t.Errorf("annotation: %s", v)
	}
	if got := *s.stacks.Web.Region(); got != pinnedRegion {
		t.Errorf("web stack region %s, want %s", got, pinnedRegion)
	}
}

func containsAttribute(attrs any, key, value string) bool {
	list, _ := attrs.([]any)
	for _, a := range list {
		kv, _ := a.(map[string]any)
		if kv["Key"] == key && kv["Value"] == value {
			return true
		}
	}
	return false
}

// TestProductionStagesAskForConfirmation: make's changing targets read Production
// from the config, not the stage's name: a production stage needs CONFIRM=<stage>.
func TestProductionStagesAskForConfirmation(t *testing.T) {
	for _, stage := range config.StageNames() {
		cfg, _ := config.ForStage(stage)
		out, err := exec.Command("make", "-s", "-C", "..", "production-confirmed", "STAGE="+stage).CombinedOutput()
		if cfg.Production {
			if err == nil || !strings.Contains(string(out), "needs CONFIRM="+stage) {
				t.Errorf("%s is a production stage: make without CONFIRM gave %v %q, want a refusal naming CONFIRM=%s", stage, err, out, stage)
			}
			out, err = exec.Command("make", "-s", "-C", "..", "production-confirmed", "STAGE="+stage, "CONFIRM="+stage).CombinedOutput()
		}
		if err != nil {
			t.Errorf("%s: make production-confirmed: %v\n%s", stage, err, out)
		}
	}
}
