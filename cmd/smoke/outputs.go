package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"

	"github.com/example/scalable-web/internal/smoke"
	"github.com/example/scalable-web/internal/stackoutputs"
)

// stacks reads a deployed stack: CloudFormation, faked in the tests.
type stacks interface {
	DescribeStacks(context.Context, *cloudformation.DescribeStacksInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
}

// newStacks is CloudFormation in the stage's region, or, for a stage that names
// none, in the region of the caller's AWS configuration (AWS_REGION), where its
// stacks were deployed.
func newStacks(ctx context.Context, region string) (stacks, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if region != "" {
		opts = append(opts, awsconfig.WithRegion(region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, err
	}
	if cfg.Region == "" {
		return nil, errors.New("no AWS region: the stage names none, so set AWS_REGION to the one it was deployed to")
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
		v, err := output(ctx, cf, want.output.StackName(prefix), want.output.Key)
		if err != nil {
			return err
		}
		*want.into = v
	}
	return nil
}

// output is the value of one output of a stack.
func output(ctx context.Context, cf stacks, stack, key string) (string, error) {
	out, err := cf.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if err != nil {
		return "", fmt.Errorf("reading stack %s: %w", stack, err)
	}
	for _, s := range out.Stacks {
		for _, o := range s.Outputs {
			if aws.ToString(o.OutputKey) == key && aws.ToString(o.OutputValue) != "" {
				return aws.ToString(o.OutputValue), nil
			}
		}
	}
	return "", fmt.Errorf("stack %s has no output %s: is the stage deployed (make deploy STAGE=…)?", stack, key)
}
