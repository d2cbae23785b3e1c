// Package delivery lets a GitHub Actions workflow reach a stage's account through
// GitHub's OpenID Connect provider, with no long-lived keys.
//
// It makes two roles, each trusted by one repository and one kind of job only:
//
//   - the diff role, for pull requests, reads the stage's deployed templates and the
//     bootstrap's version, which is all `cdk diff --method=template` needs, and
//     nothing else: not the CDK's lookup role, whose ReadOnlyAccess reads the account;
//   - the deploy role, for jobs of the stage's GitHub environment, may assume the
//     CDK's deploy and file-publishing roles, and read its stage's stacks' outputs,
//     where `make smoke` finds the deployed stage's addresses.
//
// Neither role can do anything else itself. What a deployment may change is decided by
// the bootstrap's CloudFormation execution role, as for any `cdk deploy`.
package delivery

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"slices"

	"github.com/example/scalable-web/infra/checks"
)

const (
	// Issuer is GitHub Actions' OIDC issuer, without its https:// scheme.
	Issuer = "token.actions.githubusercontent.com"
	// Audience is the audience aws-actions/configure-aws-credentials asks tokens for.
	Audience = "sts.amazonaws.com"
	// DefaultQualifier is the qualifier of `cdk bootstrap` when none is given.
	DefaultQualifier = "hnb659fds"
	// EdgeRegion is where CloudFront's certificate and web ACL are deployed.
	EdgeRegion = "us-east-1"
)

// Props configure the roles. Repository and Environment are required.
type Props struct {
	// Repository is the GitHub repository, "owner/name", whose workflow gets access.
	Repository string
	// SubjectPrefixes are the forms of the OIDC subject claim, up to the job
	// context, that name Repository (config.Delivery.SubjectPrefixes): a token whose
	// subject is one of them followed by the role's context may assume the role.
	SubjectPrefixes []string
	// Environment is the GitHub environment whose jobs may deploy: protection rules,
	// such as required reviewers for prod, are set on it in GitHub.
	Environment string
	// NamePrefix starts both role names: the workflow finds the roles by name.
	NamePrefix string
	// CreateProvider creates GitHub's OIDC provider; otherwise the account's existing
	// one is used. An account holds one provider per issuer.
	CreateProvider bool
	// Regions are the regions the stage deploys to (its primary and, with one, its
	// secondary region); an empty one means the region this stack is deployed to.
	// The roles also reach the CDK's roles in us-east-1, for the edge stack.
	Regions []string
	// Qualifier is the bootstrap qualifier; empty means DefaultQualifier.
	Qualifier string
}

// Delivery holds the provider and the two roles.
type Delivery struct {
	constructs.Construct
	Provider   awsiam.IOidcProvider
	DeployRole awsiam.Role
	DiffRole   awsiam.Role
}

// DiffTemplateActions are what the diff role may do on the stage's stacks: find
// them and read their deployed templates.
var DiffTemplateActions = []string{"cloudformation:DescribeStacks", "cloudformation:GetTemplate"}

// DeployReadActions are what the deploy role may do itself on the stage's stacks:
// read their outputs, where the smoke test after each deploy finds the site's and
// the API's addresses (cmd/smoke). It changes nothing, and shows nothing the
// deploy, which writes those stacks, could not.
var DeployReadActions = []string{"cloudformation:DescribeStacks"}

// DeployRoleName is the name of the role the deploy jobs of a stage assume.
func DeployRoleName(prefix string) string { return prefix + "-github-deploy" }

// DiffRoleName is the name of the role the pull-request jobs of a stage assume.
func DiffRoleName(prefix string) string { return prefix + "-github-diff" }

// Subjects are the OIDC subject claims a role trusts for a job context, e.g.
// "pull_request" or "environment:prod": each prefix followed by the context.
func Subjects(prefixes []string, context string) []string {
	subjects := make([]string, len(prefixes))
	for i, p := range prefixes {
		subjects[i] = p + ":" + context
	}
	return subjects
}

// New creates the provider (or imports the account's) and the two roles.
func New(scope constructs.Construct, id string, props Props) *Delivery {
	c := constructs.NewConstruct(scope, jsii.String(id))
	d := &Delivery{Construct: c}
	if props.CreateProvider {
		provider := awsiam.NewOidcProviderNative(c, jsii.String("Provider"), &awsiam.OidcProviderNativeProps{
			Url:       jsii.String("https://" + Issuer),
			ClientIds: jsii.Strings(Audience),
		})
		// The other stages of the account trust it too: destroying the stage that
		// created it must not take it away from them.
		provider.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN)
		d.Provider = provider
	} else {
		d.Provider = awsiam.OidcProviderNative_FromOidcProviderArn(c, jsii.String("Provider"),
			awscdk.Stack_Of(c).FormatArn(&awscdk.ArnComponents{
				Service:      jsii.String("iam"),
				Region:       jsii.String(""),
				Resource:     jsii.String("oidc-provider"),
				ResourceName: jsii.String(Issuer),
				ArnFormat:    awscdk.ArnFormat_SLASH_RESOURCE_NAME,
			}))
	}
	qualifier := props.Qualifier
	if qualifier == "" {
		qualifier = DefaultQualifier
	}
	cdkRoles := func(kinds ...string) *[]*string {
		var arns []*string
		for _, region := range regions(props.Regions) {
			for _, kind := range kinds {
				arns = append(arns, bootstrapRole(qualifier, kind, region))
			}
		}
		return &arns
	}

	d.DiffRole = d.role("DiffRole", DiffRoleName(props.NamePrefix), props.SubjectPrefixes, "pull_request",
		"pull requests of "+props.Repository+": cdk diff --method=template, reading the stage's templates", awscdk.Duration_Hours(jsii.Number(1)))
	// The CLI reads current templates through the lookup role when it can assume it
	// and with its own credentials otherwise (best effort); this role cannot, so it
	// reads them itself, and only the stage's.
	var stacks, versions []*string
	for _, region := range regions(props.Regions) {
		stacks = append(stacks, awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:cloudformation:"+region+":${AWS::AccountId}:stack/"+props.NamePrefix+"-*/*"), nil))
		versions = append(versions, awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:ssm:"+region+":${AWS::AccountId}:parameter/cdk-bootstrap/"+qualifier+"/version"), nil))
	}
	d.DiffRole.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings(DiffTemplateActions...),
		Resources: &stacks,
	}))
	d.DiffRole.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("ssm:GetParameter"),
		Resources: &versions,
	}))
	checks.Suppress(d.DiffRole, "AwsSolutions-IAM5",
		"Read the deployed templates of this stage's stacks only: their names start with the stage's prefix, and a stack's ARN ends with an ID CloudFormation makes up, hence stack/<prefix>-*/*.",
		"/^Resource::arn:<AWS::Partition>:cloudformation:(<AWS::Region>|[a-z0-9-]+):<AWS::AccountId>:stack\\/"+props.NamePrefix+"-\\*\\/\\*$/")

	// A prod deployment with a Multi-AZ database and its replicas can take over an
	// hour: the CDK CLI renews its deploy-role session from this one meanwhile.
	d.DeployRole = d.role("DeployRole", DeployRoleName(props.NamePrefix), props.SubjectPrefixes, "environment:"+props.Environment,
		"the "+props.Environment+" environment of "+props.Repository+": cdk deploy through the CDK deploy role", awscdk.Duration_Hours(jsii.Number(2)))
	d.DeployRole.AddToPolicy(assume(cdkRoles("deploy", "file-publishing", "lookup")))
	d.DeployRole.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings(DeployReadActions...),
		Resources: &stacks,
	}))
	checks.Suppress(d.DeployRole, "AwsSolutions-IAM5",
		"Read the outputs of this stage's stacks only (make smoke after a deploy): their names start with the stage's prefix, and a stack's ARN ends with an ID CloudFormation makes up, hence stack/<prefix>-*/*.",
		"/^Resource::arn:<AWS::Partition>:cloudformation:(<AWS::Region>|[a-z0-9-]+):<AWS::AccountId>:stack\\/"+props.NamePrefix+"-\\*\\/\\*$/")
	return d
}

// role is a role that only GitHub tokens for the repository (in any of its subject
// forms) and the job context can assume. StringEquals on a list: any one matches,
// and no wildcard can.
func (d *Delivery) role(id, name string, prefixes []string, context, description string, session awscdk.Duration) awsiam.Role {
	return awsiam.NewRole(d.Construct, jsii.String(id), &awsiam.RoleProps{
		// A fixed name, so that the workflow can name the role without an output.
		RoleName:    jsii.String(name),
		Description: jsii.String("GitHub Actions, " + description),
		AssumedBy: awsiam.NewWebIdentityPrincipal(d.Provider.OidcProviderArn(), &map[string]any{
			"StringEquals": map[string]any{
				Issuer + ":aud": Audience,
				Issuer + ":sub": Subjects(prefixes, context),
			},
		}),
		MaxSessionDuration: session,
	})
}

// assume allows assuming the given CDK bootstrap roles and tagging those sessions.
func assume(roles *[]*string) awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("sts:AssumeRole", "sts:TagSession"),
		Resources: roles,
	})
}

// regions are the stage's regions and the edge region, without repeats, as
// CloudFormation substitution strings.
func regions(stage []string) []string {
	var out []string
	for _, region := range append(slices.Clone(stage), EdgeRegion) {
		if region == "" {
			region = "${AWS::Region}"
		}
		if !slices.Contains(out, region) {
			out = append(out, region)
		}
	}
	return out
}

// bootstrapRole is the ARN of a role `cdk bootstrap` created, such as
// cdk-hnb659fds-deploy-role-111111111111-eu-west-1.
func bootstrapRole(qualifier, kind, region string) *string {
	return awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-"+qualifier+"-"+kind+"-role-${AWS::AccountId}-"+region), nil)
}
