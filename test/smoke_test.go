package test

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/example/scalable-web/internal/stackoutputs"
)

// TestSmokeFindsTheStageByItsOutputs: make smoke STAGE=… reads the site's and the
// API's addresses from these outputs of these stacks, in the stage's own region
// (cmd/smoke asks CloudFormation there): every stage, with and without a domain,
// has them.
func TestSmokeFindsTheStageByItsOutputs(t *testing.T) {
	forEachEdgeVariant(t, func(t *testing.T, s *synthesis) {
		for _, o := range []stackoutputs.Output{stackoutputs.SiteURL, stackoutputs.APIURL} {
			name := o.StackName(s.cfg.Prefix)
			template, ok := s.templates[name]
			if !ok {
				t.Errorf("no stack %s, where make smoke reads %s", name, o.Key)
				continue
			}
			if mapOf(template["Outputs"])[o.Key] == nil {
				t.Errorf("%s has no output %s", name, o.Key)
			}
			for _, st := range s.stacks.All() {
				if *st.StackName() == name && !regionIs(st, s.cfg.Region) {
					t.Errorf("%s is in region %s, want the stage's, %q", name, *st.Region(), s.cfg.Region)
				}
			}
		}
	})
}

// regionIs reports whether a stack is in region, or, for "", in whichever region
// the deploy's credentials name.
func regionIs(st awscdk.Stack, region string) bool {
	if region == "" {
		return *awscdk.Token_IsUnresolved(st.Region())
	}
	return *st.Region() == region
}
