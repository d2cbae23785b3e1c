package test

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/example/scalable-web/infra/checks"
)

// nistCeiling is how many NIST 800-53 rev 5 findings prod may leave suppressed in
// its primary region, and nistStandbyCeiling in its standby region; lower one when
// a finding is fixed at its root (the README's suppression table lists them). The
// primary's include the catalog import's function, its role's policy and its
// bucket (not replicated: copies of what the database holds, kept a week). The
// standby's are the primary's kinds again: routes to the internet gateway, the
// CDK's inline policies and custom-resource functions, the cross-region replica's
// and its buckets', the internal load balancer's, the consumers', and the
// failover step's (a function run only by the plan). In both, the CDK's
// AwsCustomResource function that looks up the fleet's ARN for the plan.
const (
	nistCeiling        = 55
	nistStandbyCeiling = 35
)

// nistVariant is the synthesis cdk-nag's NIST 800-53 rev 5 pack also runs over:
// prod as a team runs it, with a domain and a repository (withDomain).
const nistVariant = "prod-domain"

// TestNIST80053R5 runs cdk-nag's NIST 800-53 rev 5 pack over prod as a report: not
// in `make synth` (it is a measure, not the house rules), but here, where every
// finding must be fixed or suppressed next to its resource with a reason, and the
// number suppressed may not grow past nistCeiling. (A finding left unsuppressed
// is also an error annotation, which stops that synth.)
func TestNIST80053R5(t *testing.T) {
	s := withDomain(t, "prod")
	cfg := s.cfg
	reports, _ := filepath.Glob(filepath.Join(s.outdir, checks.NIST+"*-NagReport.csv"))
	if len(reports) < 7 {
		t.Fatalf("found %d NIST reports, want one per stack", len(reports))
	}
	suppressed := map[bool]map[string]int{false: {}, true: {}} // by region: standby or not
	total, standby := 0, 0
	for _, report := range reports {
		inStandby := cfg.Secondary.Enabled() && strings.Contains(filepath.Base(report), "-"+cfg.Secondary.Region+"-")
		f, err := os.Open(report)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", report, err)
		}
		for _, row := range rows[1:] { // Rule ID, Resource ID, Compliance, Exception Reason, ...
			rule, resource, compliance := row[0], row[1], row[2]
			switch compliance {
			case "Non-Compliant":
				t.Errorf("%s at %s: fix it, or suppress it next to the resource with checks.Suppress(…, checks.NIST+%q, reason)", rule, resource, strings.TrimPrefix(rule, checks.NIST))
			case "Suppressed":
				suppressed[inStandby][strings.TrimPrefix(rule, checks.NIST)]++
				if inStandby {
					standby++
				} else {
					total++
				}
			}
		}
	}
	summary := func(inStandby bool) string {
		var rules []string
		for rule, n := range suppressed[inStandby] {
			rules = append(rules, rule+" "+strconv.Itoa(n))
		}
		slices.Sort(rules)
		return strings.Join(rules, ", ")
	}
	t.Logf("NIST 800-53 rev 5, prod: %d findings suppressed with reasons in its primary region (%s), %d in its standby region (%s)", total, summary(false), standby, summary(true))
	if total > nistCeiling {
		t.Errorf("%d NIST findings suppressed in prod's primary region, more than the ceiling of %d: fix the new ones at their root", total, nistCeiling)
	}
	if standby > nistStandbyCeiling {
		t.Errorf("%d NIST findings suppressed in prod's standby region, more than the ceiling of %d: fix the new ones at their root", standby, nistStandbyCeiling)
	}
}
