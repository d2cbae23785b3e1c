package stacks

import (
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/config"
	"github.com/example/scalable-web/infra/edge"
	"github.com/example/scalable-web/infra/removal"
	"github.com/example/scalable-web/infra/routing"
	"github.com/example/scalable-web/internal/stackoutputs"
)

// CDN is the stateless stack of the CloudFront distribution, in the stage's region:
// the static-file bucket and the DNS records of the domain.
type CDN struct {
	awscdk.Stack
	// Site is the distribution, its static files and its logs.
	Site *edge.Distribution
}

// NewCDN creates the CDN stack in front of the API, with what CloudFront needs from
// us-east-1 read from the edge stack.
func NewCDN(scope constructs.Construct, id string, cfg config.Config, sourceDir string, edgeStack *Edge, stateful *Stateful, api *API, standby *Standby) *CDN {
	stack := awscdk.NewStack(scope, jsii.String(id), stackProps(cfg, "CDN: CloudFront in front of the API and the static files"))
	stack.AddStackDependency(edgeStack.Stack, jsii.String("reads the web ACL and certificate ARNs from its outputs (Fn::GetStackOutput)"))
	stack.AddStackDependency(api.Stack, jsii.String("sends dynamic paths to the HTTP API"))
	stack.AddStackDependency(stateful.Stack, jsii.String("sends the origin secret's value to the API"))
	e := cfg.Edge
	props := edge.DistributionProps{
		Comment:                    cfg.Prefix + ": static files from S3, everything else to the API",
		APIDomain:                  *apiHost(stack, api.API),
		OriginHeaderValue:          edge.OriginHeaderValue(stateful.Origin, e.OriginSecretVersion),
		StaticDir:                  filepath.Join(sourceDir, "service", "static"),
		WebACLArn:                  *fromEdge(edgeStack, WebACLArnOutput),
		PriceClass:                 e.PriceClass,
		LogRetentionDays:           e.LogRetentionDays,
		DeploymentLogRetentionDays: cfg.Web.LogRetentionDays,
		RemovalPolicy:              removal.Policy(cfg.RemovalPolicy),
		LogsKey:                    stateful.LogsKey,
	}
	if e.HasDomain() {
		props.Domain = e.Domain
		props.Certificate = awscertificatemanager.Certificate_FromCertificateArn(stack, jsii.String("Certificate"), fromEdge(edgeStack, CertificateArnOutput))
		props.Zone = edge.Zone(stack, "Zone", e.HostedZoneID, e.HostedZoneName)
	}
	if standby != nil {
		stack.AddStackDependency(standby.API.Stack, jsii.String("sends reads to the standby region's API too"))
		if e.HasDomain() {
			props.APIDomain, props.WriteDomain = routing.ReadName(e.Domain), routing.WriteName(e.Domain)
		} else {
			props.WriteDomain = props.APIDomain
			props.FallbackAPIDomain = *fromStack(standby.API.Stack, cfg.Secondary.Region, APIHostOutput)
		}
	}
	d := edge.NewDistribution(stack, "Cdn", props)
	url := awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("https://"), d.Distribution.DistributionDomainName()})
	if e.HasDomain() {
		url = jsii.String("https://" + e.Domain)
	}
	output(stack, stackoutputs.SiteURL.Key, url, "The shop's address")
	output(stack, "DistributionId", d.Distribution.DistributionId(), "For cache invalidations: aws cloudfront create-invalidation --distribution-id ...")
	return &CDN{Stack: stack, Site: d}
}
