package test

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/example/scalable-web/infra/config"
	"github.com/example/scalable-web/infra/stacks"
	"github.com/example/scalable-web/internal/orderevents"
	"github.com/example/scalable-web/internal/shopapi"
)

// Each recipe test makes its change where the README says to, and checks what
// synth does with it. The changes of "Add a consumer" and "Add a route" touch
// different stacks, so one synthesis takes both (devRecipes).
const (
	recipeConsumer = "loyalty"
	recipeRoute    = "GET /api/categories"
)

// devRecipes is dev with a consumer and a route added as the README's recipes say:
// a row in orderevents.Consumers with its folder under lambdas/, and a key in
// internal/shopapi.Routes.
func devRecipes(t *testing.T) *synthesis {
	t.Helper()
	synthMu.Lock()
	s, ok := synths["dev-recipes"]
	synthMu.Unlock()
	if ok {
		return s
	}
	dir := filepath.Join("..", "lambdas", recipeConsumer)
	if _, err := os.Stat(dir); err == nil {
		t.Fatalf("%s exists: the recipe test needs a consumer name of its own", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	consumers, routes := orderevents.Consumers, shopapi.Routes
	defer func() { orderevents.Consumers, shopapi.Routes = consumers, routes }()
	orderevents.Consumers = append(slices.Clone(consumers), orderevents.Consumer{
		Name: recipeConsumer, Types: []orderevents.Type{orderevents.OrderPlaced}, Description: "Credits loyalty points for each order",
	})
	shopapi.Routes = append(slices.Clone(routes), recipeRoute)
	s = synthesizeVariant(t, "dev-recipes", "dev", func(*config.Config) {})
	if s.err != nil {
		t.Fatalf("synth: %v", s.err)
	}
	return s
}

// TestRecipeAddAConsumer follows the README's "Add a consumer": one row in
// orderevents.Consumers and a folder under lambdas/. It adds a consumer of
// OrderPlaced that uses no database, and checks that synth wires all of it: the
// queue with its two dead-letter queues, the subscription's filter, the function
// outside the VPC, its event source, its alarms and its dashboard lines.
func TestRecipeAddAConsumer(t *testing.T) {
	const name = recipeConsumer
	s := devRecipes(t)
	events := *s.stacks.Events.StackName()
	tpl := s.templates[events]
	resources := tpl["Resources"].(map[string]any)
	count := func(typ, prefix string) int {
		n := 0
		for id, r := range resources {
			if r.(map[string]any)["Type"] == typ && strings.HasPrefix(id, prefix) {
				n++
			}
		}
		return n
	}
	for _, want := range []struct {
		typ, prefix string
		n           int
	}{
		{"AWS::SQS::Queue", "Messaging" + name + "Queue", 1},
		{"AWS::SQS::Queue", "Messaging" + name + "DeadLetterQueue", 1},
		{"AWS::SQS::Queue", "Messaging" + name + "SubscriptionDeadLetterQueue", 1},
		{"AWS::SNS::Subscription", "Messaging" + name + "Queue", 1},
		{"AWS::Lambda::Function", "LoyaltyConsumer", 1},
		{"AWS::Lambda::EventSourceMapping", "LoyaltyConsumer", 1},
		{"AWS::CloudWatch::Alarm", "LoyaltyConsumer", 2},
		{"AWS::CloudWatch::Alarm", "Messaging" + name, 3},
	} {
		if got := count(want.typ, want.prefix); got != want.n {
			t.Errorf("%s %s*: %d, want %d", want.typ, want.prefix, got, want.n)
		}
	}
	for id, r := range resources {
		res := r.(map[string]any)
		p, _ := res["Properties"].(map[string]any)
		switch {
		case res["Type"] == "AWS::SNS::Subscription" && strings.HasPrefix(id, "Messaging"+name):
			if got := fmt.Sprint(p["FilterPolicy"]); got != "map[eventType:[OrderPlaced]]" {
				t.Errorf("%s: filter %s, want OrderPlaced only", id, got)
			}
		case res["Type"] == "AWS::Lambda::Function" && strings.HasPrefix(id, "LoyaltyConsumer"):
			if p["VpcConfig"] != nil {
				t.Errorf("%s: in the VPC, want it outside (no database role)", id)
			}
			if p["Description"] != "Credits loyalty points for each order" {
				t.Errorf("%s: description %v", id, p["Description"])
			}
		}
	}
	dashboard := fmt.Sprint(s.templates[*s.stacks.Ops.StackName()])
	if !strings.Contains(dashboard, name) {
		t.Errorf("the dashboard does not chart the %s consumer", name)
	}
}

// TestRecipeAddAStage follows the README's "Add a stage": a copy of staging's
// block with a name, prefix, bootstrap qualifier and network of its own. It
// synthesizes under its own stack names, tagged with its name, and passes every
// check (TestFinalTemplatesValidate validates its templates); being no production
// stage, it asks for no confirmation.
func TestRecipeAddAStage(t *testing.T) {
	s := synthesizeVariant(t, "qa", "staging", func(c *config.Config) {
		c.Stage, c.Prefix, c.BootstrapQualifier = "qa", "shop-qa", "shopqa"
		c.Network.CIDR = "10.50.0.0/16"
	})
	if s.err != nil {
		t.Fatalf("synth: %v", s.err)
	}
	for _, v := range append(s.report.nag(), s.report.annotations()...) {
		t.Errorf("check: %v", v)
	}
	for _, stack := range stackNames(s.stacks) {
		if !strings.HasPrefix(stack, "shop-qa-") {
			t.Errorf("stack %s: want it named after the stage's prefix shop-qa", stack)
		}
	}
	vpc := only(t, s, *s.stacks.Stateful.StackName(), "AWS::EC2::VPC")
	if tagValue(vpc, "stage") != "qa" || vpc["CidrBlock"] != "10.50.0.0/16" {
		t.Errorf("VPC tagged stage %q with CIDR %v, want qa and 10.50.0.0/16", tagValue(vpc, "stage"), vpc["CidrBlock"])
	}
}

// TestRecipeAddARoute follows the README's "Add a route": one key in
// internal/shopapi.Routes (and its handler in the service, which the service's
// contract test asks for). The API creates the route, sent to the load balancer
// like the others, with nothing else changed.
func TestRecipeAddARoute(t *testing.T) {
	const route = recipeRoute
	s := devRecipes(t)
	routes := s.resources(*s.stacks.API.StackName(), "AWS::ApiGatewayV2::Route")
	keys := map[string]map[string]any{}
	for _, r := range routes {
		keys[fmt.Sprint(props(r)["RouteKey"])] = props(r)
	}
	added, ok := keys[route]
	if !ok {
		t.Fatalf("routes %v: no %s", slices.Sorted(maps.Keys(keys)), route)
	}
	if len(keys) != len(shopapi.Routes)+1 {
		t.Errorf("%d routes, want the %d of the contract and the new one", len(keys), len(shopapi.Routes))
	}
	if fmt.Sprint(added["Target"]) != fmt.Sprint(keys[shopapi.Products]["Target"]) {
		t.Errorf("%s targets %v, want the load balancer's integration like %s (%v)", route, added["Target"], shopapi.Products, keys[shopapi.Products]["Target"])
	}
}

// TestRecipeChangeATierDefault follows the README's "Change a tier default": a
// value in a stage's block of stages.go reaches the template, and only where that
// value is used.
func TestRecipeChangeATierDefault(t *testing.T) {
	s := synthesizeVariant(t, "dev-cpu-target", "dev", func(c *config.Config) { c.Web.CPUTargetPercent = 45 })
	base := synthesize(t, "dev")
	targets := 0
	for _, p := range s.resources(*s.stacks.Web.StackName(), "AWS::AutoScaling::ScalingPolicy") {
		tracking, _ := props(p)["TargetTrackingConfiguration"].(map[string]any)
		if fmt.Sprint(tracking["PredefinedMetricSpecification"]) == "map[PredefinedMetricType:ASGAverageCPUUtilization]" {
			targets++
			if tracking["TargetValue"] != float64(45) {
				t.Errorf("CPU target %v, want 45", tracking["TargetValue"])
			}
		}
	}
	if targets != 1 {
		t.Errorf("%d CPU target-tracking policies, want 1", targets)
	}
	for _, stack := range stackNames(s.stacks) {
		if stack == *s.stacks.Web.StackName() {
			continue
		}
		if a, b := normalize(t, s.templates[stack]), normalize(t, base.templates[stack]); string(a) != string(b) {
			t.Errorf("%s changed with web.cpuTargetPercent: %s", stack, diff(string(b), string(a)))
		}
	}
}

// TestConsumerExtrasNameConsumers: an entry of consumerExtras (a consumer's own
// resources) whose consumer left the contract is an error on the events stack,
// naming it, which stops synth. Building the stacks shows it; nothing needs
// synthesizing.
func TestConsumerExtrasNameConsumers(t *testing.T) {
	saved := orderevents.Consumers
	defer func() { orderevents.Consumers = saved }()
	orderevents.Consumers = slices.DeleteFunc(slices.Clone(saved), func(c orderevents.Consumer) bool { return c.Name == "notifications" })
	cfg, err := config.ForStage("dev")
	if err != nil {
		t.Fatal(err)
	}
	ctx := cdkContext(t)
	built := stacks.New(awscdk.NewApp(&awscdk.AppProps{Context: &ctx}), cfg, "..")
	var errs []string
	for _, entry := range *built.Events.Node().Metadata() {
		if *entry.Type == "aws:cdk:error" {
			errs = append(errs, fmt.Sprint(entry.Data))
		}
	}
	if !strings.Contains(strings.Join(errs, "\n"), `consumerExtras["notifications"] names no consumer`) {
		t.Errorf("errors on the events stack %q: want one naming consumerExtras[\"notifications\"]", errs)
	}
}
