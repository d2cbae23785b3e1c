package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awswafv2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/config"
	"github.com/example/scalable-web/infra/edge"
	"github.com/example/scalable-web/infra/removal"
)

// The outputs of the edge stack that the CDN stack reads from another region.
const (
	WebACLArnOutput      = "WebAclArn"
	CertificateArnOutput = "CertificateArn"
)

// Edge is the small us-east-1 stack of what CloudFront can only take from there:
// the WAF web ACL and, with a domain, the certificate. It publishes their ARNs as
// plain outputs (no exports), which the CDN stack reads with Fn::GetStackOutput.
type Edge struct {
	awscdk.Stack
	Firewall    awswafv2.CfnWebACL
	Certificate awscertificatemanager.Certificate // nil without a domain
}

// NewEdge creates the edge stack in us-east-1, in the stage's account if it has one.
func NewEdge(scope constructs.Construct, id string, cfg config.Config) *Edge {
	props := stackProps(cfg, "Edge (us-east-1): the WAF web ACL and certificate of the CloudFront distribution")
	props.Env = &awscdk.Environment{Region: jsii.String(edge.Region)}
	if cfg.Account != "" {
		props.Env.Account = jsii.String(cfg.Account)
	}
	stack := awscdk.NewStack(scope, jsii.String(id), props)
	e := &Edge{Stack: stack}
	e.Firewall = edge.NewFirewall(stack, "WebAcl", edge.FirewallProps{
		MetricPrefix:                  cfg.Prefix,
		RateLimit:                     cfg.Edge.RateLimit,
		RateLimitWindowSeconds:        cfg.Edge.RateLimitWindowSeconds,
		SessionRateLimit:              cfg.Edge.SessionRateLimit,
		SessionRateLimitWindowSeconds: cfg.Edge.SessionRateLimitWindowSeconds,
	})
	edge.LogFirewall(stack, "WafLogs", e.Firewall, cfg.Prefix, cfg.Edge.LogRetentionDays, removal.Policy(cfg.RemovalPolicy))
	output(stack, WebACLArnOutput, e.Firewall.AttrArn(), "The WAF web ACL of the distribution (read by the CDN stack)")
	if d := cfg.Edge; d.HasDomain() {
		zone := edge.Zone(stack, "Zone", d.HostedZoneID, d.HostedZoneName)
		e.Certificate = edge.NewCertificate(stack, "Certificate", d.Domain, zone)
		output(stack, CertificateArnOutput, e.Certificate.CertificateArn(), "The certificate of "+d.Domain+" (read by the CDN stack)")
	}
	return e
}

// fromEdge reads an output of the edge stack with Fn::GetStackOutput, naming its
// region. Unlike an export (Fn::ImportValue, or the CDK's cross-region
// ExportWriter), a plain output never locks the value: the edge stack can replace
// its ACL or certificate, and the consumer takes the new ARN on its next deploy.
// The consumer must deploy after the edge stack: the caller adds that dependency.
func fromEdge(e *Edge, output string) *string {
	return awscdk.Fn_GetStackOutput(e.StackName(), jsii.String(output), jsii.String(edge.Region), nil)
}
