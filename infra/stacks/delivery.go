package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/config"
	"github.com/example/scalable-web/infra/delivery"
)

// Delivery is the stack of the roles GitHub Actions assumes to diff and deploy the
// stage. It exists only when the stage names its GitHub repository.
type Delivery struct {
	awscdk.Stack
	Delivery *delivery.Delivery
}

// NewDelivery creates the delivery stack. The GitHub environment that deploys the
// stage is named after it.
func NewDelivery(scope constructs.Construct, id string, cfg config.Config) *Delivery {
	stack := awscdk.NewStack(scope, jsii.String(id), stackProps(cfg, "Delivery: the roles GitHub Actions assumes through OIDC"))
	d := delivery.New(stack, "GitHub", delivery.Props{
		Repository:      cfg.Delivery.GitHubRepository,
		SubjectPrefixes: cfg.Delivery.SubjectPrefixes(),
		Environment:     cfg.Stage,
		NamePrefix:      cfg.Prefix,
		CreateProvider:  cfg.Delivery.CreateOIDCProvider,
		Regions:         cfg.Regions(),
		Qualifier:       cfg.BootstrapQualifier,
	})
	output(stack, "DeployRoleArn", d.DeployRole.RoleArn(), "role the "+cfg.Stage+" environment's deploy job assumes")
	output(stack, "DiffRoleArn", d.DiffRole.RoleArn(), "role pull-request jobs assume for cdk diff")
	return &Delivery{Stack: stack, Delivery: d}
}
