// Package storage builds the S3 buckets that hold data: the order-event archive,
// the daily reports, and the server access logs of both.
package storage

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
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
	s.Events = bucket(this, "Events", policy, s.AccessLogs, nil)
	s.Reports = bucket(this, "Reports", policy, s.AccessLogs, nil)
	return s
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
