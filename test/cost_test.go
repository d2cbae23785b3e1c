package test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/example/scalable-web/infra/config"
	"github.com/example/scalable-web/internal/cost"
)

// The README's cost table sits between these two lines; `go test ./test -run
// TestCostREADME -update` rewrites what is between them.
const (
	costTableBegin = "<!-- cost table: written by `make cost` (go run ./cmd/cost -markdown), checked by test/cost_test.go -->"
	costTableEnd   = "<!-- end of cost table -->"
	readmePath     = "../README.md"
)

// estimates costs every stage of this synth with the repository's price table.
func costEstimates(t *testing.T) (cost.Prices, map[string]cost.Breakdown) {
	t.Helper()
	prices, err := cost.DefaultPrices()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]cost.Breakdown{}
	for _, stage := range config.StageNames() {
		est, err := cost.Estimate(synthesize(t, stage).templates, prices)
		if err != nil {
			t.Fatalf("stage %s: every resource type must be priced or listed as free at idle in internal/cost/prices.json:\n%v", stage, err)
		}
		out[stage] = est
	}
	return prices, out
}

func TestCostItemisesEveryTier(t *testing.T) {
	_, est := costEstimates(t)
	for _, stage := range config.StageNames() {
		for _, tier := range []string{"network", "database", "cache", "web", "edge", "ops"} {
			if !slices.Contains(est[stage].Tiers(), tier) {
				t.Errorf("stage %s: no cost in tier %s (tiers %v)", stage, tier, est[stage].Tiers())
			}
		}
	}
}

// TestProductionCostsMore: every production stage costs more than every stage that
// is not one (two stages of the same size may cost the same).
func TestProductionCostsMore(t *testing.T) {
	_, est := costEstimates(t)
	for _, prod := range config.StageNames() {
		if cfg, _ := config.ForStage(prod); !cfg.Production {
			continue
		}
		for _, other := range config.StageNames() {
			if cfg, _ := config.ForStage(other); cfg.Production {
				continue
			}
			if est[other].Total() >= est[prod].Total() {
				t.Errorf("%s costs $%.2f a month, production stage %s $%.2f: want production to cost more", other, est[other].Total(), prod, est[prod].Total())
			}
		}
	}
}

// TestCostFollowsConfig checks that the estimate counts what each stage's
// configuration asks for: a Multi-AZ primary counts twice, each replica once, and
// a standby region its own NAT gateways, cache and fleet, and its cross-region
// replica.
func TestCostFollowsConfig(t *testing.T) {
	prices, est := costEstimates(t)
	hours := prices.HoursPerMonth
	for _, stage := range config.StageNames() {
		cfg, err := config.ForStage(stage)
		if err != nil {
			t.Fatal(err)
		}
		primary := 1
		if cfg.Database.MultiAZ {
			primary = 2
		}
		regions := 1.0
		if cfg.Secondary.Enabled() {
			regions = 2
		}
		dbInstances := float64(primary+cfg.Database.Replicas) + regions - 1
		cacheNodes := float64(1+cfg.Cache.Replicas) * regions
		nat := float64(cfg.Network.NATGateways) * regions
		instances := float64(cfg.Web.MinCapacity)
		if cfg.Secondary.Enabled() {
			instances += float64(cfg.Secondary.MinCapacity)
		}
		tests := []struct {
			tier, name, size  string
			quantity, monthly float64
		}{
			{"network", "NAT gateways", "", nat, nat * prices.Prices["AWS::EC2::NatGateway"].Hourly * hours},
			{"database", "PostgreSQL instances (Multi-AZ counts twice)", cfg.Database.InstanceClass, dbInstances,
				dbInstances * prices.Prices["AWS::RDS::DBInstance"].Sizes[cfg.Database.InstanceClass] * hours},
			{"database", "gp3 storage (Multi-AZ counts twice)", "", dbInstances * float64(cfg.Database.AllocatedStorageGiB),
				dbInstances * float64(cfg.Database.AllocatedStorageGiB) * prices.Prices["AWS::RDS::DBInstance"].Storage["gp3"]},
			{"cache", "Valkey nodes", cfg.Cache.NodeType, cacheNodes,
				cacheNodes * prices.Prices["AWS::ElastiCache::ReplicationGroup"].Sizes[cfg.Cache.NodeType] * hours},
			{"web", "EC2 instances (the group's minimum size)", cfg.Web.InstanceType, instances,
				instances * prices.Prices["AWS::AutoScaling::AutoScalingGroup"].Sizes[cfg.Web.InstanceType] * hours},
		}
		for _, tt := range tests {
			var got []cost.Item
			for _, it := range est[stage].Items {
				if it.Tier == tt.tier && it.Name == tt.name {
					got = append(got, it)
				}
			}
			if len(got) != 1 || got[0].Size != tt.size || got[0].Quantity != tt.quantity || !closeTo(got[0].Monthly, tt.monthly) {
				t.Errorf("stage %s, %s %q: got %+v, want one item of %s × %g for $%.2f", stage, tt.tier, tt.name, got, tt.size, tt.quantity, tt.monthly)
			}
		}
	}
}

// TestCostREADME keeps the README's cost table equal to what the estimator says
// of this synth, so a change of configuration or prices updates it.
func TestCostREADME(t *testing.T) {
	prices, est := costEstimates(t)
	table := cost.Markdown(prices, config.StageNames(), est)
	b, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	begin := strings.Index(readme, costTableBegin+"\n")
	end := strings.Index(readme, costTableEnd)
	if begin < 0 || end < begin {
		t.Fatalf("README.md: want the cost table between the lines %q and %q in \"## What it costs to run\"", costTableBegin, costTableEnd)
	}
	begin += len(costTableBegin) + 1
	if *update {
		updated := readme[:begin] + table + readme[end:]
		if err := os.WriteFile(readmePath, []byte(updated), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if inReadme := readme[begin:end]; inReadme != table {
		t.Errorf("README.md's cost table (-) is not what this synth costs (+): run `make cost` and paste the README table it\n"+
			"prints between the markers, or run `go test -count=1 ./test -run TestCostREADME -update`.\n%s", diff(inReadme, table))
	}
}

func closeTo(a, b float64) bool {
	d := a - b
	return d < 1e-6 && d > -1e-6
}
