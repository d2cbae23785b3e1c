// Package stackoutputs names the CloudFormation outputs that tools read from a
// deployed stage, with the stacks that hold them, so that infra/stacks, which
// writes them, and the tools, which read them (cmd/smoke, cmd/catalog-import),
// share one spelling.
package stackoutputs

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
)

// Output is one output of one of a stage's stacks.
type Output struct {
	// Stack is the stack's name after the stage's prefix: "cdn" for shop-dev-cdn.
	Stack string
	// Key is the output's name.
	Key string
}

var (
	// SiteURL is the shop's address: https:// and CloudFront's own domain name, or
	// the stage's domain.
	SiteURL = Output{Stack: "cdn", Key: "SiteUrl"}
	// APIURL is the HTTP API's own endpoint, https://<id>.execute-api.<region>.amazonaws.com,
	// which answers only requests that came through CloudFront.
	APIURL = Output{Stack: "api", Key: "ApiUrl"}
	// CatalogImportBucket is the name of the bucket catalog imports are uploaded
	// to, and CatalogImportFunction the name of the function that loads them
	// (make catalog-import STAGE=…), in the region whose database takes writes.
	CatalogImportBucket   = Output{Stack: "events", Key: "CatalogImportBucket"}
	CatalogImportFunction = Output{Stack: "events", Key: "CatalogImportFunction"}
	// CatalogImportKeyArn is the key the import bucket encrypts with, which an
	// importer's IAM policy names (kms:GenerateDataKey through S3).
	CatalogImportKeyArn = Output{Stack: "events", Key: "CatalogImportKeyArn"}
)

// StackName is the name of the output's stack in the stage whose prefix is
// given, e.g. shop-dev-cdn.
func (o Output) StackName(prefix string) string { return prefix + "-" + o.Stack }

// Stacks reads deployed stacks: CloudFormation's client, or a fake in the tests.
type Stacks interface {
	DescribeStacks(context.Context, *cloudformation.DescribeStacksInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
}

// Read is the value of the output in the deployed stage whose prefix is given.
func Read(ctx context.Context, cf Stacks, prefix string, o Output) (string, error) {
	stack := o.StackName(prefix)
	out, err := cf.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if err != nil {
		return "", fmt.Errorf("reading stack %s: %w", stack, err)
	}
	for _, s := range out.Stacks {
		for _, v := range s.Outputs {
			if aws.ToString(v.OutputKey) == o.Key && aws.ToString(v.OutputValue) != "" {
				return aws.ToString(v.OutputValue), nil
			}
		}
	}
	return "", fmt.Errorf("stack %s has no output %s: is the stage deployed (make deploy STAGE=…)?", stack, o.Key)
}

// Config is the caller's AWS configuration (the default chain: environment,
// profile, SSO, …) in the stage's region, or, for a stage that names none, in
// the configuration's own region (AWS_REGION), where its stacks were deployed.
func Config(ctx context.Context, region string) (aws.Config, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if region != "" {
		opts = append(opts, awsconfig.WithRegion(region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, err
	}
	if cfg.Region == "" {
		return aws.Config{}, errors.New("no AWS region: the stage names none, so set AWS_REGION to the one it was deployed to")
	}
	return cfg, nil
}
