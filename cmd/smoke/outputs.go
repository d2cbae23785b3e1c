package main

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation"

	"github.com/example/scalable-web/internal/smoke"
	"github.com/example/scalable-web/internal/stackoutputs"
)

// stacks reads a deployed stack: CloudFormation, faked in the tests.
type stacks = stackoutputs.Stacks

// newStacks is CloudFormation in the stage's region, or, for a stage that names
// none, in the region of the caller's AWS configuration (AWS_REGION), where its
// stacks were deployed.
func newStacks(ctx context.Context, region string) (stacks, error) {
	cfg, err := stackoutputs.Config(ctx, region)
	if err != nil {
		return nil, err
	}
	return cloudformation.NewFromConfig(cfg), nil
}

// lookUp fills in the target's URLs that are not given from the stage's stack
// outputs.
func lookUp(ctx context.Context, cf stacks, prefix string, target *smoke.Target) error {
	for _, want := range []struct {
		output stackoutputs.Output
		into   *string
	}{{stackoutputs.SiteURL, &target.SiteURL}, {stackoutputs.APIURL, &target.APIURL}} {
		if *want.into != "" {
			continue
		}
		v, err := stackoutputs.Read(ctx, cf, prefix, want.output)
		if err != nil {
			return err
		}
		*want.into = v
	}
	return nil
}
