// Package storage builds the S3 buckets that hold data: the order-event archive,
// the daily reports, and the server access logs of both.
package storage

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/regioninfo"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/checks"
	"github.com/example/scalable-web/infra/removal"
)

// Props configure the buckets.
type Props struct {
	AccessLogRetentionDays int
	// RemovalPolicy applies to every bucket; DESTROY also empties them on delete.
	RemovalPolicy awscdk.RemovalPolicy
}

// Storage is the data buckets. Every bucket is private, encrypted, TLS-only and
// owned by the account (no ACLs).
type Storage struct {
	constructs.Construct
	AccessLogs awss3.Bucket
	// Events holds the analytics archive: events/year=/month=/day=/<eventId>.json.
	Events awss3.Bucket
	// Reports holds the daily reports: reports/daily/YYYY-MM-DD.json.
	Reports awss3.Bucket
}

// New creates the buckets.
func New(scope constructs.Construct, id string, props Props) *Storage {
	this := constructs.NewConstruct(scope, jsii.String(id))
	s := &Storage{Construct: this}
	policy := removal.Keep(props.RemovalPolicy)
	s.AccessLogs = bucket(this, "AccessLogs", policy, nil, &awss3.LifecycleRule{
		Expiration: awscdk.Duration_Days(jsii.Number(props.AccessLogRetentionDays)),
	})
	checks.Suppress(s.AccessLogs, "AwsSolutions-S1",
		"This is the server-access-log bucket; logging its own access would log the logging.")
	allowLoadBalancerLogs(s.AccessLogs, LoadBalancerLogPrefix)
	s.Events = bucket(this, "Events", policy, s.AccessLogs, nil)
	s.Reports = bucket(this, "Reports", policy, s.AccessLogs, nil)
	return s
}

// LoadBalancerLogPrefix is where in the access-log bucket the load balancer
// writes its access logs.
const LoadBalancerLogPrefix = "alb"

// allowLoadBalancerLogs lets Elastic Load Balancing write access logs under prefix,
// in whatever region the stack deploys to, so environment-agnostic stages log too.
// Regions opened before August 2022 deliver from a regional ELB account, read from
// a mapping of every region the CDK knows; newer ones from the log-delivery service
// principal, admitted only for this account's load balancers.
func allowLoadBalancerLogs(bucket awss3.Bucket, prefix string) {
	stack := awscdk.Stack_Of(bucket)
	accounts := map[string]*map[string]any{}
	for _, r := range *regioninfo.RegionInfo_Regions() {
		account := "none"
		if a := r.Elbv2Account(); a != nil {
			account = *a
		}
		accounts[*r.Name()] = &map[string]any{"account": account}
	}
	mapping := awscdk.NewCfnMapping(stack, jsii.String("ElbLogDeliveryAccounts"), &awscdk.CfnMappingProps{Mapping: &accounts})
	account := mapping.FindInMap(stack.Region(), jsii.String("account"), nil)
	regional := awscdk.NewCfnCondition(stack, jsii.String("ElbLogDeliveryFromAccount"), &awscdk.CfnConditionProps{
		Expression: awscdk.Fn_ConditionNot(awscdk.Fn_ConditionEquals(account, jsii.String("none"))),
	})
	root := func(account *string) *string {
		return awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("arn:"), stack.Partition(), jsii.String(":iam::"), account, jsii.String(":root")})
	}
	// In a newer region the account's own root stands in: it admits nothing IAM
	// does not already allow.
	elbAccount := awscdk.Fn_ConditionIf(regional.LogicalId(), root(account), root(stack.Account())).ToString()
	objects := bucket.ArnForObjects(jsii.String(prefix + "/AWSLogs/" + *stack.Account() + "/*"))
	bucket.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("LoadBalancerLogsFromRegionalAccount"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewArnPrincipal(elbAccount)},
		Actions:    jsii.Strings("s3:PutObject"),
		Resources:  jsii.Strings(*objects),
	}))
	bucket.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("LoadBalancerLogsFromLogDelivery"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("logdelivery.elasticloadbalancing.amazonaws.com"), nil)},
		Actions:    jsii.Strings("s3:PutObject"),
		Resources:  jsii.Strings(*objects),
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": stack.Account()},
			"ArnLike": map[string]any{"aws:SourceArn": awscdk.Fn_Join(jsii.String(""), &[]*string{
				jsii.String("arn:"), stack.Partition(), jsii.String(":elasticloadbalancing:"), stack.Region(), jsii.String(":"), stack.Account(), jsii.String(":loadbalancer/*")})},
		},
	}))
}

func bucket(scope constructs.Construct, id string, policy awscdk.RemovalPolicy, logs awss3.IBucket, rule *awss3.LifecycleRule) awss3.Bucket {
	props := &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		RemovalPolicy:     policy,
		// A stage that is torn down takes its buckets' objects with it.
		AutoDeleteObjects: jsii.Bool(policy == awscdk.RemovalPolicy_DESTROY),
	}
	if logs != nil {
		props.ServerAccessLogsBucket = logs
		props.ServerAccessLogsPrefix = jsii.String(id + "/")
	}
	if rule != nil {
		props.LifecycleRules = &[]*awss3.LifecycleRule{rule}
	}
	return awss3.NewBucket(scope, jsii.String(id), props)
}
