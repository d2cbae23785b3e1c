package test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/example/scalable-web/infra/config"
	"github.com/example/scalable-web/internal/orderevents"
)

// TestRecipeAddAConsumer follows the README's "Add a consumer": one row in
// orderevents.Consumers and a folder under lambdas/. It adds a consumer of
// OrderPlaced that uses no database, and checks that synth wires all of it: the
// queue with its two dead-letter queues, the subscription's filter, the function
// outside the VPC, its event source, its alarms and its dashboard lines.
func TestRecipeAddAConsumer(t *testing.T) {
	const name = "loyalty"
	dir := filepath.Join("..", "lambdas", name)
	if _, err := os.Stat(dir); err == nil {
		t.Fatalf("%s exists: the recipe test needs a consumer name of its own", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	saved := orderevents.Consumers
	orderevents.Consumers = append(slices.Clone(saved), orderevents.Consumer{
		Name: name, Types: []orderevents.Type{orderevents.OrderPlaced}, Description: "Credits loyalty points for each order",
	})
	s := func() *synthesis {
		defer func() { orderevents.Consumers = saved }()
		return synthesizeVariant(t, "dev-"+name, "dev", func(*config.Config) {})
	}()
	if s.err != nil {
		t.Fatalf("synth: %v", s.err)
	}
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
