package edge

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53targets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3deployment"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/example/scalable-web/infra/checks"
	"github.com/example/scalable-web/infra/dashboard"
	"github.com/example/scalable-web/infra/logs"
	"github.com/example/scalable-web/infra/removal"
	"github.com/example/scalable-web/infra/storage"
	"github.com/example/scalable-web/internal/securityheaders"
	"github.com/example/scalable-web/internal/shopapi"
)

// StaticPath is the path pattern CloudFront serves from the static bucket; every
// other path goes to the API.
const StaticPath = "/static/*"

// DistributionProps configure the distribution. The stage configuration has
// validated them.
type DistributionProps struct {
	// Comment says which stage the distribution serves, in the CloudFront console.
	Comment string
	// APIDomain is the host name of the HTTP API, the origin of every dynamic path.
	// With a standby region it serves the reads (ReadPaths): the latency-routed
	// name (routing.ReadName) with a domain, the primary region's API without one.
	APIDomain string
	// WriteDomain, set with a standby region, is the origin of WritePaths: the
	// failover-routed name (routing.WriteName) with a domain, the primary region's
	// API without one. Empty sends them to APIDomain.
	WriteDomain string
	// FallbackAPIDomain, set with a standby region and no domain, is the standby's
	// API: reads fail over to it when APIDomain answers 5xx or cannot be reached
	// (an origin group). Writes never do: CloudFront fails over only GET, HEAD and
	// OPTIONS.
	FallbackAPIDomain string
	// OriginHeaderValue is sent to the API in shopapi.OriginHeader on every
	// request (OriginHeaderValue); it replaces a header of that name a viewer sent.
	OriginHeaderValue string
	// StaticDir holds the files served under /static/; they are deployed with the stack.
	StaticDir string
	// WebACLArn is the ARN of the us-east-1 web ACL that filters every request.
	WebACLArn string
	// Domain is the site's own host name (from config Edge.Domain); empty serves the
	// site on CloudFront's *.cloudfront.net name and leaves Certificate and Zone nil.
	Domain string
	// Certificate is the us-east-1 ACM certificate of Domain (from the edge stack);
	// set exactly when Domain is.
	Certificate awscertificatemanager.ICertificate
	// Zone is the Route 53 public hosted zone of Domain, which gets the A and AAAA
	// alias records; set exactly when Domain is.
	Zone awsroute53.IHostedZone

	// PriceClass picks CloudFront's edge locations: "100", "200" or "All" (from
	// config Edge.PriceClass).
	PriceClass string
	// LogRetentionDays is how many days the log bucket keeps CloudFront's access logs
	// and the static bucket's server logs (from config Edge.LogRetentionDays).
	LogRetentionDays int
	// DeploymentLogRetentionDays applies to the log group of the static-file upload.
	DeploymentLogRetentionDays int
	// LogsKey encrypts the log groups (logs.NewKey, in the stateful stack).
	LogsKey awskms.IKey
	// RemovalPolicy applies to both buckets and the upload's log group: DESTROY deletes
	// them (emptying the buckets), anything else retains them.
	RemovalPolicy awscdk.RemovalPolicy
}

// Distribution is the CloudFront distribution and what it owns.
type Distribution struct {
	constructs.Construct
	Distribution awscloudfront.Distribution
	// Static holds the static files: private, read by CloudFront through Origin
	// Access Control.
	Static awss3.Bucket
	// Logs receives CloudFront's access logs (and the static bucket's server logs).
	Logs    awss3.Bucket
	Headers awscloudfront.ResponseHeadersPolicy
}

var priceClasses = map[string]awscloudfront.PriceClass{
	"100": awscloudfront.PriceClass_PRICE_CLASS_100,
	"200": awscloudfront.PriceClass_PRICE_CLASS_200,
	"All": awscloudfront.PriceClass_PRICE_CLASS_ALL,
}

// NewDistribution creates the distribution: /static/* from a private bucket through
// Origin Access Control, cached; everything else to the API, never cached, with
// every viewer header but Host forwarded (API Gateway routes on its own Host).
func NewDistribution(scope constructs.Construct, id string, props DistributionProps) *Distribution {
	this := constructs.NewConstruct(scope, jsii.String(id))
	d := &Distribution{Construct: this}
	d.addBuckets(props)
	d.Headers = newSecurityHeaders(this)
	behaviors := map[string]*awscloudfront.BehaviorOptions{
		StaticPath: {
			Origin:                awscloudfrontorigins.S3BucketOrigin_WithOriginAccessControl(d.Static, nil),
			ViewerProtocolPolicy:  awscloudfront.ViewerProtocolPolicy_REDIRECT_TO_HTTPS,
			AllowedMethods:        awscloudfront.AllowedMethods_ALLOW_GET_HEAD(),
			CachePolicy:           awscloudfront.CachePolicy_CACHING_OPTIMIZED(),
			ResponseHeadersPolicy: d.Headers,
			Compress:              jsii.Bool(true),
		},
	}
	reads, writes := d.apiBehaviors(props)
	distribution := &awscloudfront.DistributionProps{
		Comment:             jsii.String(props.Comment),
		DefaultBehavior:     reads,
		AdditionalBehaviors: &behaviors,
		HttpVersion:         awscloudfront.HttpVersion_HTTP2_AND_3,
		EnableIpv6:          jsii.Bool(true),
		PriceClass:          priceClasses[props.PriceClass],
		WebAclId:            jsii.String(props.WebACLArn),
		EnableLogging:       jsii.Bool(true),
		LogBucket:           d.Logs,
		LogFilePrefix:       jsii.String("cloudfront/"),
	}
	if props.Domain != "" {
		distribution.DomainNames = jsii.Strings(props.Domain)
		distribution.Certificate = props.Certificate
		distribution.MinimumProtocolVersion = awscloudfront.SecurityPolicyProtocol_TLS_V1_2_2021
	}
	d.Distribution = awscloudfront.NewDistribution(this, jsii.String("Resource"), distribution)
	if writes != nil {
		// Added one by one, in order: CloudFront tries the patterns in turn.
		for _, path := range WritePaths {
			d.Distribution.AddBehavior(jsii.String(path), writes.Origin, &awscloudfront.AddBehaviorOptions{
				ViewerProtocolPolicy: writes.ViewerProtocolPolicy, AllowedMethods: writes.AllowedMethods,
				CachePolicy: writes.CachePolicy, OriginRequestPolicy: writes.OriginRequestPolicy,
				ResponseHeadersPolicy: writes.ResponseHeadersPolicy, Compress: writes.Compress,
			})
		}
	}
	d.suppress(props)
	if props.Domain != "" {
		target := awsroute53.RecordTarget_FromAlias(awsroute53targets.NewCloudFrontTarget(d.Distribution))
		awsroute53.NewARecord(this, jsii.String("AliasIPv4"), &awsroute53.ARecordProps{Zone: props.Zone, RecordName: jsii.String(props.Domain), Target: target})
		awsroute53.NewAaaaRecord(this, jsii.String("AliasIPv6"), &awsroute53.AaaaRecordProps{Zone: props.Zone, RecordName: jsii.String(props.Domain), Target: target})
	}
	d.deployStaticFiles(props)
	return d
}

// WritePaths are the path patterns CloudFront sends to the region that takes
// writes when the stage has two: every route that writes (shopapi.Routes), and
// the order lookup, which reads what the customer has just written.
var WritePaths = []string{"/api/orders*", "/api/admin/*", "/api/pay/*"}

// apiOrigin is an HTTP API as CloudFront's origin: HTTPS only, with the origin
// secret. Two tries of 5 s each before a read fails over (CloudFront's default is
// three of 10 s).
func apiOrigin(domain string, props DistributionProps) awscloudfront.IOrigin {
	o := &awscloudfrontorigins.HttpOriginProps{
		ProtocolPolicy:     awscloudfront.OriginProtocolPolicy_HTTPS_ONLY,
		OriginSslProtocols: &[]awscloudfront.OriginSslPolicy{awscloudfront.OriginSslPolicy_TLS_V1_2},
		CustomHeaders:      &map[string]*string{shopapi.OriginHeader: jsii.String(props.OriginHeaderValue)},
	}
	if props.FallbackAPIDomain != "" {
		o.ConnectionAttempts = jsii.Number(originConnectionAttempts)
		o.ConnectionTimeout = awscdk.Duration_Seconds(jsii.Number(originConnectionTimeoutSeconds))
	}
	return awscloudfrontorigins.NewHttpOrigin(jsii.String(domain), o)
}

// How CloudFront tries an API origin that has a fallback: twice, 5 s each, so a
// read fails over to the standby within about 10 s of the primary not answering.
const (
	originConnectionAttempts       = 2
	originConnectionTimeoutSeconds = 5
)

// apiBehaviors are the behaviors of the API's paths: reads, the default one, and
// with a standby region writes, the one of WritePaths (nil otherwise). In one
// region both are one behavior to the API. With two, writes go to the region that
// takes them; everything else, which only reads, to the nearest healthy region,
// or to the primary's with the standby's as its fallback.
func (d *Distribution) apiBehaviors(props DistributionProps) (reads, writes *awscloudfront.BehaviorOptions) {
	api := apiOrigin(props.APIDomain, props)
	if props.WriteDomain == "" {
		return d.apiBehavior(api, awscloudfront.AllowedMethods_ALLOW_ALL()), nil
	}
	writeOrigin := api
	if props.WriteDomain != props.APIDomain {
		writeOrigin = apiOrigin(props.WriteDomain, props)
	}
	readOrigin := api
	if props.FallbackAPIDomain != "" {
		readOrigin = awscloudfrontorigins.NewOriginGroup(&awscloudfrontorigins.OriginGroupProps{
			PrimaryOrigin:       api,
			FallbackOrigin:      apiOrigin(props.FallbackAPIDomain, props),
			FallbackStatusCodes: &[]*float64{jsii.Number(500), jsii.Number(502), jsii.Number(503), jsii.Number(504)},
		})
	}
	return d.apiBehavior(readOrigin, awscloudfront.AllowedMethods_ALLOW_GET_HEAD_OPTIONS()),
		d.apiBehavior(writeOrigin, awscloudfront.AllowedMethods_ALLOW_ALL())
}

// apiBehavior sends a path to an API origin: never cached, with every viewer
// header but Host forwarded (API Gateway routes on its own Host).
func (d *Distribution) apiBehavior(origin awscloudfront.IOrigin, methods awscloudfront.AllowedMethods) *awscloudfront.BehaviorOptions {
	return &awscloudfront.BehaviorOptions{
		Origin:                origin,
		ViewerProtocolPolicy:  awscloudfront.ViewerProtocolPolicy_REDIRECT_TO_HTTPS,
		AllowedMethods:        methods,
		CachePolicy:           awscloudfront.CachePolicy_CACHING_DISABLED(),
		OriginRequestPolicy:   awscloudfront.OriginRequestPolicy_ALL_VIEWER_EXCEPT_HOST_HEADER(),
		ResponseHeadersPolicy: d.Headers,
		Compress:              jsii.Bool(true),
	}
}

// addBuckets creates the log bucket and the static files' bucket. CloudFront's
// standard logs are written with ACLs, so the log bucket keeps them enabled
// (owner preferred: the account still owns every object). Both are versioned: a
// log overwritten or deleted stays readable for a week, and a static file the next
// deploy replaces or prunes can be put back for 30 days.
func (d *Distribution) addBuckets(props DistributionProps) {
	keep := removal.Keep(props.RemovalPolicy)
	d.Logs = awss3.NewBucket(d.Construct, jsii.String("Logs"), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_PREFERRED,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Expiration:                  awscdk.Duration_Days(jsii.Number(props.LogRetentionDays)),
			NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(logNoncurrentDays)),
		}},
		Versioned:         jsii.Bool(true),
		RemovalPolicy:     keep,
		AutoDeleteObjects: jsii.Bool(keep == awscdk.RemovalPolicy_DESTROY),
	})
	checks.Suppress(d.Logs, checks.NIST+"S3DefaultEncryptionKMS",
		"CloudFront's standard logs are delivered with ACLs to an SSE-S3 bucket; the logs hold no customer data beyond what every web server's access log does.")
	checks.Suppress(d.Logs, checks.NIST+"S3BucketReplicationEnabled", storage.ReplicationReason)
	checks.Suppress(d.Logs, "AwsSolutions-S1",
		"This bucket is where the access logs go, CloudFront's and the static bucket's; logging its own access would log the logging.")
	d.Static = awss3.NewBucket(d.Construct, jsii.String("Static"), &awss3.BucketProps{
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		Encryption:             awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:             jsii.Bool(true),
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		ServerAccessLogsBucket: d.Logs,
		ServerAccessLogsPrefix: jsii.String("s3/static/"),
		Versioned:              jsii.Bool(true),
		LifecycleRules:         &[]*awss3.LifecycleRule{{NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(staticNoncurrentDays))}},
		RemovalPolicy:          keep,
		AutoDeleteObjects:      jsii.Bool(keep == awscdk.RemovalPolicy_DESTROY),
	})
	checks.Suppress(d.Static, checks.NIST+"S3DefaultEncryptionKMS",
		"The static files are public by design (served to every visitor through CloudFront); SSE-S3 keeps them encrypted at rest without a key policy CloudFront would need.")
	checks.Suppress(d.Static, checks.NIST+"S3BucketReplicationEnabled",
		"The static files are deployed from the repository with every deploy of this stack: the repository is their copy.")
}

// How long an overwritten or deleted object stays restorable: a log for a week,
// a static file for 30 days.
const (
	logNoncurrentDays    = 7
	staticNoncurrentDays = 30
)

// newSecurityHeaders sets the security headers on every response, whatever the
// origin sent: the values of internal/securityheaders, which the local run of the
// service sets too.
func newSecurityHeaders(scope constructs.Construct) awscloudfront.ResponseHeadersPolicy {
	return awscloudfront.NewResponseHeadersPolicy(scope, jsii.String("SecurityHeaders"), &awscloudfront.ResponseHeadersPolicyProps{
		Comment: jsii.String("Security headers on every response, whatever the origin sent"),
		SecurityHeadersBehavior: &awscloudfront.ResponseSecurityHeadersBehavior{
			StrictTransportSecurity: &awscloudfront.ResponseHeadersStrictTransportSecurity{
				AccessControlMaxAge: awscdk.Duration_Seconds(jsii.Number(securityheaders.HSTSMaxAge.Seconds())),
				IncludeSubdomains:   jsii.Bool(securityheaders.HSTSIncludeSubdomains), Override: jsii.Bool(true),
			},
			// CloudFront's only value: nosniff.
			ContentTypeOptions: &awscloudfront.ResponseHeadersContentTypeOptions{Override: jsii.Bool(true)},
			FrameOptions: &awscloudfront.ResponseHeadersFrameOptions{
				FrameOption: cloudFrontName(frameOptions, "FrameOptions", securityheaders.FrameOptions), Override: jsii.Bool(true),
			},
			ReferrerPolicy: &awscloudfront.ResponseHeadersReferrerPolicy{
				ReferrerPolicy: cloudFrontName(referrerPolicies, "ReferrerPolicy", securityheaders.ReferrerPolicy), Override: jsii.Bool(true),
			},
			ContentSecurityPolicy: &awscloudfront.ResponseHeadersContentSecurityPolicy{
				ContentSecurityPolicy: jsii.String(securityheaders.ContentSecurityPolicy), Override: jsii.Bool(true),
			},
		},
	})
}

// CloudFront's names of the header values securityheaders may choose from.
var (
	frameOptions = map[string]awscloudfront.HeadersFrameOption{
		"DENY": awscloudfront.HeadersFrameOption_DENY, "SAMEORIGIN": awscloudfront.HeadersFrameOption_SAMEORIGIN,
	}
	referrerPolicies = map[string]awscloudfront.HeadersReferrerPolicy{
		"no-referrer":                     awscloudfront.HeadersReferrerPolicy_NO_REFERRER,
		"no-referrer-when-downgrade":      awscloudfront.HeadersReferrerPolicy_NO_REFERRER_WHEN_DOWNGRADE,
		"origin":                          awscloudfront.HeadersReferrerPolicy_ORIGIN,
		"origin-when-cross-origin":        awscloudfront.HeadersReferrerPolicy_ORIGIN_WHEN_CROSS_ORIGIN,
		"same-origin":                     awscloudfront.HeadersReferrerPolicy_SAME_ORIGIN,
		"strict-origin":                   awscloudfront.HeadersReferrerPolicy_STRICT_ORIGIN,
		"strict-origin-when-cross-origin": awscloudfront.HeadersReferrerPolicy_STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
		"unsafe-url":                      awscloudfront.HeadersReferrerPolicy_UNSAFE_URL,
	}
)

// cloudFrontName is CloudFront's name of the header value securityheaders.constant
// holds. A value CloudFront cannot express stops the synth: it is a constant of
// the code, not a setting, and the policy must not leave the header out.
func cloudFrontName[V any](names map[string]V, constant, value string) V {
	v, ok := names[value]
	if !ok {
		panic(fmt.Sprintf("securityheaders.%s %q: CloudFront's response headers policy has no such value", constant, value))
	}
	return v
}

// suppress records the AwsSolutions rules the distribution breaks on purpose.
func (d *Distribution) suppress(props DistributionProps) {
	checks.Suppress(d.Distribution, "AwsSolutions-CFR1",
		"A shop that sells worldwide: no geo restriction. The WAF web ACL filters abuse by behaviour, not by country; add GeoRestriction here if you must block countries.")
	if props.Domain == "" {
		checks.Suppress(d.Distribution, "AwsSolutions-CFR4",
			"No domain configured in this stage, so viewers use CloudFront's default *.cloudfront.net certificate, whose TLS policy cannot be set. With edge.domain set, the distribution requires TLSv1.2_2021.")
	}
}

// deployStaticFiles uploads service/static to the static bucket under static/ on
// every deploy, pruning what is gone, and invalidates /static/* in CloudFront.
func (d *Distribution) deployStaticFiles(props DistributionProps) {
	deployment := awss3deployment.NewBucketDeployment(d.Construct, jsii.String("StaticFiles"), &awss3deployment.BucketDeploymentProps{
		Sources:              &[]awss3deployment.ISource{awss3deployment.Source_Asset(jsii.String(props.StaticDir), nil)},
		DestinationBucket:    d.Static,
		DestinationKeyPrefix: jsii.String("static/"),
		Distribution:         d.Distribution,
		DistributionPaths:    jsii.Strings(StaticPath),
		LogGroup:             logs.NewGroup(d.Construct, "StaticFilesLogs", logs.GroupProps{RetentionDays: props.DeploymentLogRetentionDays, RemovalPolicy: props.RemovalPolicy, Key: props.LogsKey}),
	})
	suppressDeploymentHandler(deployment)
}

// suppressDeploymentHandler records why the CDK's upload function, a singleton at
// the top of the stack, may break three AwsSolutions rules.
func suppressDeploymentHandler(deployment awss3deployment.BucketDeployment) {
	stack := awscdk.Stack_Of(deployment)
	for _, child := range *stack.Node().Children() {
		if !strings.HasPrefix(*child.Node().Id(), "Custom::CDKBucketDeployment") {
			continue
		}
		checks.SuppressDeployTimeFunction(child, checks.DeployTimeFunction{Construct: "BucketDeployment", Name: "upload function", Calls: "S3 and CloudFront"})
		checks.Suppress(child, "AwsSolutions-L1",
			"The CDK's BucketDeployment picks this function's Python runtime; it moves to newer runtimes with aws-cdk-lib upgrades. The function runs only during deploys.")
		checks.Suppress(child, "AwsSolutions-IAM5",
			"The CDK's BucketDeployment grants: read the CDK asset bucket's objects (the zipped static files), write and prune objects in the static bucket only, and create and read CloudFront invalidations, which IAM cannot scope to one distribution through this construct.",
			"Action::s3:GetBucket*", "Action::s3:GetObject*", "Action::s3:List*", "Action::s3:Abort*", "Action::s3:DeleteObject*",
			// The asset bucket's name is tokens in an environment-agnostic stack and
			// literal in one pinned to an account and region.
			"/^Resource::arn:(<AWS::Partition>|aws[a-z-]*):s3:::cdk-[a-z0-9]+-assets-(<AWS::AccountId>|[0-9]{12})-(<AWS::Region>|[a-z]{2}(-[a-z]+)+-[0-9])\\/\\*$/",
			"/^Resource::<[A-Za-z0-9]*Static[0-9A-F]{8}\\.Arn>\\/\\*$/", "Resource::*")
	}
}

// DashboardRow charts the distribution and the web ACL named webACLMetricName
// (WebACLMetricName), whose metrics CloudFront and CloudFront-scope WAF publish in
// us-east-1.
func (d *Distribution) DashboardRow(webACLMetricName string) dashboard.Row {
	global := func(namespace, metric, statistic string, dims map[string]*string) awscloudwatch.IMetric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String(namespace), MetricName: jsii.String(metric), DimensionsMap: &dims,
			Region: jsii.String(Region), Period: dashboard.Period(), Statistic: jsii.String(statistic),
		})
	}
	cdn := map[string]*string{"DistributionId": d.Distribution.DistributionId(), "Region": jsii.String("Global")}
	acl := map[string]*string{"WebACL": jsii.String(webACLMetricName), "Rule": jsii.String("ALL")}
	return dashboard.Row{Title: "CloudFront and WAF", Graphs: []dashboard.Graph{
		{Title: "Requests", Metrics: []awscloudwatch.IMetric{global("AWS/CloudFront", "Requests", "Sum", cdn)}},
		{Title: "Error rates (%)", Metrics: []awscloudwatch.IMetric{
			global("AWS/CloudFront", "4xxErrorRate", "Average", cdn), global("AWS/CloudFront", "5xxErrorRate", "Average", cdn)}},
		{Title: "WAF allowed and blocked", Metrics: []awscloudwatch.IMetric{
			global("AWS/WAFV2", "AllowedRequests", "Sum", acl), global("AWS/WAFV2", "BlockedRequests", "Sum", acl)}},
	}}
}
