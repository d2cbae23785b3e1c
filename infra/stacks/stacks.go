// Package stacks composes the tiers into CloudFormation stacks. Stacks only wire
// constructs together; the resources themselves are built in the tier packages.
package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/checks"
	"github.com/example/scalable-web/infra/config"
	"github.com/example/scalable-web/infra/trust"
	"github.com/example/scalable-web/internal/stackoutputs"
)

// Stacks are the stacks of one stage.
type Stacks struct {
	// Stateful holds what keeps data or is expensive to replace: the network, the
	// database, the cache and the buckets. Stateless stacks take references from it.
	Stateful *Stateful
	// Events holds the asynchronous work: migrations, fan-out, consumers, report.
	Events *Events
	// Web holds the internal load balancer and the service fleet.
	Web *Web
	// API holds the HTTP API in front of the load balancer.
	API *API
	// Edge holds, in us-east-1, the web ACL and certificate CloudFront uses.
	Edge *Edge
	// CDN holds the CloudFront distribution, its static files and DNS records.
	CDN *CDN
	// Ops holds what watches the others: the shop-is-down alarm.
	Ops *Ops
	// Delivery holds the roles GitHub Actions assumes; nil when the stage names no
	// GitHub repository.
	Delivery *Delivery
	// Standby holds the stacks of the stage's secondary region; nil for a stage in
	// one region.
	Standby *Standby
}

// New builds every stack of the stage described by cfg, which must be valid.
// sourceDir is the module root, where the Lambda functions are built from.
func New(scope constructs.Construct, cfg config.Config, sourceDir string) *Stacks {
	s := &Stacks{}
	var standby *StandbyStateful
	if cfg.Secondary.Enabled() {
		standby = NewStandbyStateful(scope, cfg)
	}
	s.Stateful = NewStateful(scope, cfg.Prefix+"-stateful", cfg, standby)
	if standby != nil {
		s.Standby = &Standby{Stateful: standby, Database: NewStandbyDatabase(scope, cfg, s.Stateful, standby)}
		s.Standby.Events = NewStandbyEvents(scope, cfg, sourceDir, s.Stateful, s.Standby)
		s.Standby.Web = NewStandbyWeb(scope, cfg, sourceDir, s.Stateful, s.Standby, s.Standby.Events)
		s.Standby.API = NewStandbyAPI(scope, cfg, standby, s.Standby.Web)
	}
	// The events stack is named where make catalog-import looks for its outputs.
	s.Events = NewEvents(scope, stackoutputs.CatalogImportFunction.StackName(cfg.Prefix), cfg, sourceDir, s.Stateful)
	s.Web = NewWeb(scope, cfg.Prefix+"-web", cfg, sourceDir, s.Stateful, s.Events)
	// The api and cdn stacks are named where make smoke looks for their outputs.
	s.API = NewAPI(scope, stackoutputs.APIURL.StackName(cfg.Prefix), cfg, s.Stateful, s.Web)
	if standby != nil {
		s.Standby.Failover = NewStandbyFailover(scope, cfg, sourceDir, s.Stateful, s.Web, s.API, s.Standby)
	}
	s.Edge = NewEdge(scope, cfg.Prefix+"-edge", cfg)
	s.CDN = NewCDN(scope, stackoutputs.SiteURL.StackName(cfg.Prefix), cfg, sourceDir, s.Edge, s.Stateful, s.API, s.Standby)
	s.Ops = NewOps(scope, cfg.Prefix+"-ops", cfg, s)
	if cfg.Delivery.GitHubRepository != "" {
		s.Delivery = NewDelivery(scope, cfg.Prefix+"-delivery", cfg)
	}
	tag(scope, cfg)
	// Every role a service assumes is conditioned on this account (trust.Condition).
	trust.Apply(scope)
	checks.SuppressEach(scope, "AWS::IAM::Policy", checks.NIST+"IAMNoInlinePolicy",
		"The CDK writes each grant into the role's own policy (AWS::IAM::Policy), attached to that one role and deleted with it; a customer-managed policy would be shared state that outlives its role. Each role's statements are asserted by the tests (least privilege per role), which is the control the rule stands for.")
	return s
}

// All lists the stacks, producers first.
func (s *Stacks) All() []awscdk.Stack {
	all := []awscdk.Stack{s.Stateful.Stack, s.Events.Stack, s.Web.Stack, s.API.Stack, s.Edge.Stack, s.CDN.Stack, s.Ops.Stack}
	if s.Delivery != nil {
		all = append(all, s.Delivery.Stack)
	}
	if s.Standby != nil {
		sb := s.Standby
		all = append(all, sb.Stateful.Stack, sb.Database.Stack, sb.Events.Stack, sb.Web.Stack, sb.API.Stack, sb.Failover.Stack)
	}
	return all
}

// tag puts the cost-allocation tags on every taggable resource below scope.
func tag(scope constructs.Construct, cfg config.Config) {
	tags := awscdk.Tags_Of(scope)
	for _, t := range [][2]string{
		{"project", cfg.Tags.Project},
		{"stage", cfg.Stage},
		{"owner", cfg.Tags.Owner},
		{"cost-centre", cfg.Tags.CostCentre},
	} {
		tags.Add(jsii.String(t[0]), jsii.String(t[1]), nil)
	}
}

// stackProps are the properties every stack of the stage shares.
func stackProps(cfg config.Config, description string) *awscdk.StackProps {
	props := &awscdk.StackProps{
		Description: jsii.String(description + " (" + cfg.Tags.Project + ", " + cfg.Stage + ")"),
		// The stage's own bootstrap: its roles, asset bucket and version parameter.
		Synthesizer: awscdk.NewDefaultStackSynthesizer(&awscdk.DefaultStackSynthesizerProps{Qualifier: jsii.String(cfg.BootstrapQualifier)}),
	}
	if cfg.Region != "" {
		props.Env = &awscdk.Environment{Region: jsii.String(cfg.Region)}
		if cfg.Account != "" {
			props.Env.Account = jsii.String(cfg.Account)
		}
	}
	return props
}
