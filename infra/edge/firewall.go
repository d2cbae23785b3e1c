// Package edge builds what stands between the internet and the API: the WAF web
// ACL and the certificate (both in us-east-1, where CloudFront reads them) and
// the CloudFront distribution, with its static-file bucket and DNS records.
package edge

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awswafv2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/logs"
	"github.com/example/scalable-web/internal/shopapi"
)

var noTransformation = &[]any{&awswafv2.CfnWebACL_TextTransformationProperty{Priority: jsii.Number(0), Type: jsii.String("NONE")}}

// Region is where CloudFront reads certificates and web ACLs from.
const Region = "us-east-1"

// FirewallProps configure the web ACL.
type FirewallProps struct {
	// MetricPrefix starts the CloudWatch metric name of the ACL and of each rule.
	MetricPrefix string
	// RateLimit requests per IP address in RateLimitWindowSeconds; more get 429.
	RateLimit int
	// RateLimitWindowSeconds is the window, in seconds, over which RateLimit counts:
	// 60, 120, 300 or 600 (from config Edge.RateLimitWindowSeconds).
	RateLimitWindowSeconds int
	// SessionRateLimit requests to the API per storefront session (the
	// shopapi.SessionCookie value) in SessionRateLimitWindowSeconds; more get 429.
	SessionRateLimit int
	// SessionRateLimitWindowSeconds is the window, in seconds, over which
	// SessionRateLimit counts: 60, 120, 300 or 600 (from config Edge).
	SessionRateLimitWindowSeconds int
}

// ManagedRuleGroups are the AWS managed rule groups the ACL runs, in order.
var ManagedRuleGroups = []string{
	"AWSManagedRulesAmazonIpReputationList", // bots and scanners AWS has seen misbehave
	"AWSManagedRulesCommonRuleSet",          // the OWASP top 10 basics
	"AWSManagedRulesKnownBadInputsRuleSet",  // Log4Shell, Java deserialisation and other known exploits
}

// requireRegion stops synth when what is built in a stack of a known region other
// than us-east-1, where CloudFront would not find it.
func requireRegion(scope constructs.Construct, what string) {
	if region := awscdk.Stack_Of(scope).Region(); !*awscdk.Token_IsUnresolved(region) && *region != Region {
		panic(fmt.Sprintf("edge: a CloudFront %s must be in %s, not %s", what, Region, *region))
	}
}

// WebACLMetricName is the CloudWatch name of the ACL's metrics (its WebACL
// dimension), for dashboards.
func WebACLMetricName(metricPrefix string) string { return metricPrefix + "-WebAcl" }

// The rate-based rules: per IP address, and per storefront session.
const (
	RateRuleName        = "RateLimitPerIP"
	SessionRateRuleName = "RateLimitPerSession"
)

// NewFirewall creates a web ACL of CloudFront scope: the per-IP and per-session
// rate limits first, then the managed rule groups. Every rule publishes metrics and samples requests.
// Its stack must be in us-east-1.
func NewFirewall(scope constructs.Construct, id string, props FirewallProps) awswafv2.CfnWebACL {
	requireRegion(scope, "web ACL")
	visibility := func(metric string) *awswafv2.CfnWebACL_VisibilityConfigProperty {
		return &awswafv2.CfnWebACL_VisibilityConfigProperty{
			CloudWatchMetricsEnabled: jsii.Bool(true),
			MetricName:               jsii.String(props.MetricPrefix + "-" + metric),
			SampledRequestsEnabled:   jsii.Bool(true),
		}
	}
	// 429 tells a well-behaved client to back off; WAF's default is a bare 403.
	tooMany := &awswafv2.CfnWebACL_RuleActionProperty{
		Block: &awswafv2.CfnWebACL_BlockActionProperty{
			CustomResponse: &awswafv2.CfnWebACL_CustomResponseProperty{ResponseCode: jsii.Number(429)},
		},
	}
	rules := []any{&awswafv2.CfnWebACL_RuleProperty{
		Name:     jsii.String(RateRuleName),
		Priority: jsii.Number(0),
		Statement: &awswafv2.CfnWebACL_StatementProperty{
			RateBasedStatement: &awswafv2.CfnWebACL_RateBasedStatementProperty{
				AggregateKeyType:    jsii.String("IP"),
				Limit:               jsii.Number(props.RateLimit),
				EvaluationWindowSec: jsii.Number(props.RateLimitWindowSeconds),
			},
		},
		Action:           tooMany,
		VisibilityConfig: visibility(RateRuleName),
	}, sessionRateRule(props, tooMany, visibility(SessionRateRuleName))}
	for i, group := range ManagedRuleGroups {
		rules = append(rules, &awswafv2.CfnWebACL_RuleProperty{
			Name:     jsii.String(group),
			Priority: jsii.Number(i + 2),
			Statement: &awswafv2.CfnWebACL_StatementProperty{
				ManagedRuleGroupStatement: &awswafv2.CfnWebACL_ManagedRuleGroupStatementProperty{
					VendorName: jsii.String("AWS"), Name: jsii.String(group),
				},
			},
			// The group's own actions apply (block); "count" here would only watch.
			OverrideAction:   &awswafv2.CfnWebACL_OverrideActionProperty{None: map[string]any{}},
			VisibilityConfig: visibility(group),
		})
	}
	return awswafv2.NewCfnWebACL(scope, jsii.String(id), &awswafv2.CfnWebACLProps{
		Scope:         jsii.String("CLOUDFRONT"),
		Description:   jsii.String("In front of CloudFront: per-IP rate limit and AWS managed rules"),
		DefaultAction: &awswafv2.CfnWebACL_DefaultActionProperty{Allow: map[string]any{}},
		Rules:         &rules,
		VisibilityConfig: &awswafv2.CfnWebACL_VisibilityConfigProperty{
			CloudWatchMetricsEnabled: jsii.Bool(true),
			MetricName:               jsii.String(WebACLMetricName(props.MetricPrefix)),
			SampledRequestsEnabled:   jsii.Bool(true),
		},
	})
}

// RedactedLogFields are the request headers the WAF's logs never hold: the session
// cookie and any credentials a client sends.
var RedactedLogFields = []string{"cookie", "authorization"}

// LogFirewall sends the web ACL's logs, every request it evaluated and what it
// decided, to a log group of their own, encrypted with a key of this region (the
// edge stack's, us-east-1), with RedactedLogFields left out. WAF requires the
// group's name to start with "aws-waf-logs-".
func LogFirewall(scope constructs.Construct, id string, acl awswafv2.CfnWebACL, name string, retentionDays int, removalPolicy awscdk.RemovalPolicy) awslogs.LogGroup {
	this := constructs.NewConstruct(scope, jsii.String(id))
	group := logs.NewGroup(this, "Group", logs.GroupProps{
		RetentionDays: retentionDays, RemovalPolicy: removalPolicy,
		Key:  logs.NewKey(this, "Key", removalPolicy),
		Name: "aws-waf-logs-" + name,
	})
	var redacted []any
	for _, header := range RedactedLogFields {
		redacted = append(redacted, &awswafv2.CfnLoggingConfiguration_FieldToMatchProperty{
			SingleHeader: map[string]any{"Name": header},
		})
	}
	stack := awscdk.Stack_Of(this)
	// WAF takes the group's ARN without the ":*" the CDK's LogGroupArn ends with.
	arn := stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("logs"), Resource: jsii.String("log-group"), ResourceName: group.LogGroupName(),
		ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
	awswafv2.NewCfnLoggingConfiguration(this, jsii.String("Logging"), &awswafv2.CfnLoggingConfigurationProps{
		ResourceArn:           acl.AttrArn(),
		LogDestinationConfigs: &[]any{arn},
		RedactedFields:        &redacted,
	})
	return group
}

// sessionRateRule limits each shopper, keyed on the session cookie: one shopper
// behind a shared address (an office, a carrier's NAT) is held to their own share.
// A request without the cookie has no key and only the per-IP rule applies to it.
func sessionRateRule(props FirewallProps, action *awswafv2.CfnWebACL_RuleActionProperty, visibility *awswafv2.CfnWebACL_VisibilityConfigProperty) *awswafv2.CfnWebACL_RuleProperty {
	return &awswafv2.CfnWebACL_RuleProperty{
		Name:     jsii.String(SessionRateRuleName),
		Priority: jsii.Number(1),
		Statement: &awswafv2.CfnWebACL_StatementProperty{
			RateBasedStatement: &awswafv2.CfnWebACL_RateBasedStatementProperty{
				AggregateKeyType:    jsii.String("CUSTOM_KEYS"),
				CustomKeys:          &[]any{&awswafv2.CfnWebACL_RateBasedStatementCustomKeyProperty{Cookie: &awswafv2.CfnWebACL_RateLimitCookieProperty{Name: jsii.String(shopapi.SessionCookie), TextTransformations: noTransformation}}},
				Limit:               jsii.Number(props.SessionRateLimit),
				EvaluationWindowSec: jsii.Number(props.SessionRateLimitWindowSeconds),
				// Static files, cached by CloudFront, do not count against a shopper.
				ScopeDownStatement: &awswafv2.CfnWebACL_StatementProperty{NotStatement: &awswafv2.CfnWebACL_NotStatementProperty{
					Statement: &awswafv2.CfnWebACL_StatementProperty{ByteMatchStatement: &awswafv2.CfnWebACL_ByteMatchStatementProperty{
						FieldToMatch:         &awswafv2.CfnWebACL_FieldToMatchProperty{UriPath: map[string]any{}},
						PositionalConstraint: jsii.String("STARTS_WITH"),
						SearchString:         jsii.String(strings.TrimSuffix(StaticPath, "*")),
						TextTransformations:  noTransformation,
					}},
				}},
			},
		},
		Action:           action,
		VisibilityConfig: visibility,
	}
}
