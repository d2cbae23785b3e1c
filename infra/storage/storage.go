// Package storage builds the S3 buckets that hold data: the order-event archive,
// the daily reports, the catalog files uploaded for import, and the server access
// logs of all three.
package storage

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/regioninfo"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/checks"
	"github.com/example/scalable-web/infra/removal"
)

// Props configure the buckets.
type Props struct {
	// AccessLogRetentionDays is how many days the access-log bucket keeps the load
	// balancer's and the buckets' access logs, 1 to 3653 (from config Storage).
	AccessLogRetentionDays int
	// DataRetentionDays is how many days the customer data (the event archive and the
	// reports) is kept before it expires, 1 to 3653 (from config Storage).
	DataRetentionDays int
	// NoncurrentVersionDays is how many days an overwritten or deleted object's
	// previous version is kept, in every bucket here, 1 to 365 (from config Storage).
	NoncurrentVersionDays int
	// DataWriters are the ARNs of the roles that write the customer data (the
	// archive and report functions, named in advance: they live in a stack that
	// deploys after this one); DataReaders those that may read it. The data key
	// admits them and no one else.
	DataWriters, DataReaders []string
	// Replication, when set, replicates the customer data (Events, Reports) into
	// another region's buckets.
	Replication *Replication
	// CatalogImports adds the bucket catalog imports are uploaded to, and its key:
	// in the region whose database takes writes only.
	CatalogImports bool
	// RemovalPolicy applies to every bucket; DESTROY also empties them on delete.
	RemovalPolicy awscdk.RemovalPolicy
}

// Replication is where the customer data is replicated to: the buckets of another
// region and their key. S3 replicates every new object version, deletes included,
// with RoleName, a role this package creates (the destination key admits it by
// name, so it is named in advance).
type Replication struct {
	RoleName        string
	Events, Reports awss3.IBucket
	Key             awskms.IKey
}

// Storage is the data buckets. Every bucket is private, encrypted, TLS-only and
// owned by the account (no ACLs). The customer data (Events, Reports) is encrypted
// with DataKey, versioned, and expires.
type Storage struct {
	constructs.Construct
	AccessLogs awss3.Bucket
	DataKey    awskms.Key
	// Events holds the analytics archive: events/year=/month=/day=/<eventId>.json.
	Events awss3.Bucket
	// Reports holds the daily reports: reports/daily/YYYY-MM-DD.json.
	Reports awss3.Bucket
	// Imports holds the catalog files uploaded for import, under
	// catalog.ImportPrefix, for importDays; ImportsKey encrypts them. Nil
	// without Props.CatalogImports.
	Imports    awss3.Bucket
	ImportsKey awskms.Key
}

// The import bucket's fixed settings.
const (
	// importDays is how long an uploaded catalog file is kept: long enough to
	// look at the file of a failed import, short enough that copies of the
	// catalog do not pile up (the database holds what was loaded).
	importDays = 7
	// importNoncurrentDays keeps an overwritten upload for a day.
	importNoncurrentDays = 1
	// abortUploadDays abandons a multipart upload a crashed client left behind.
	abortUploadDays = 1
)

// New creates the buckets.
func New(scope constructs.Construct, id string, props Props) *Storage {
	this := constructs.NewConstruct(scope, jsii.String(id))
	s := &Storage{Construct: this}
	policy := removal.Keep(props.RemovalPolicy)
	// SSE-S3: the load balancer and S3's log delivery write only to such a bucket.
	s.AccessLogs = bucket(this, "AccessLogs", policy, nil, &awss3.LifecycleRule{
		Expiration:                  awscdk.Duration_Days(jsii.Number(props.AccessLogRetentionDays)),
		NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(props.NoncurrentVersionDays)),
	}, nil, nil)
	checks.Suppress(s.AccessLogs, checks.NIST+"S3DefaultEncryptionKMS",
		"The load balancer and S3's server-access-log delivery write only to buckets encrypted with S3-managed keys (SSE-S3).")
	checks.Suppress(s.AccessLogs, "AwsSolutions-S1",
		"This is the server-access-log bucket; logging its own access would log the logging.")
	allowLoadBalancerLogs(s.AccessLogs, LoadBalancerLogPrefix)
	s.DataKey = dataKey(this, "DataKey", policy, props.DataWriters, props.DataReaders)
	var role awsiam.Role
	if r := props.Replication; r != nil {
		role = awsiam.NewRole(this, jsii.String("ReplicationRole"), &awsiam.RoleProps{
			RoleName:    jsii.String(r.RoleName),
			AssumedBy:   awsiam.NewServicePrincipal(jsii.String("s3.amazonaws.com"), nil),
			Description: jsii.String("Replicates the customer data into the standby region's buckets"),
		})
	}
	customerData := func(id string, destination awss3.IBucket) awss3.Bucket {
		rule := &awss3.LifecycleRule{
			Expiration:                          awscdk.Duration_Days(jsii.Number(props.DataRetentionDays)),
			NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(props.NoncurrentVersionDays)),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
		}
		if destination == nil {
			return bucket(this, id, policy, s.AccessLogs, rule, s.DataKey, nil)
		}
		b := bucket(this, id, policy, s.AccessLogs, rule, s.DataKey, &replicationOf{role, destination, props.Replication.Key})
		b.GrantReplicationPermission(role, &awss3.GrantReplicationPermissionProps{
			SourceDecryptionKey: s.DataKey,
			Destinations:        &[]*awss3.GrantReplicationPermissionDestinationProps{{Bucket: destination, EncryptionKey: props.Replication.Key}},
		})
		return b
	}
	var events, reports awss3.IBucket
	if r := props.Replication; r != nil {
		events, reports = r.Events, r.Reports
	}
	s.Events = customerData("Events", events)
	s.Reports = customerData("Reports", reports)
	if props.CatalogImports {
		s.addImports(policy)
	}
	if role != nil {
		checks.Suppress(role, "AwsSolutions-IAM5",
			"S3 replication reads and writes object versions, so its grants name every object of the two source buckets and of their two replicas (<bucket ARN>/*, the CDK's grantReplicationPermission), and KMS's GenerateDataKey*/ReEncrypt* families on the two data keys only: no other bucket or key.",
			`/^Resource::.+\/\*$/`, "Action::kms:GenerateDataKey*", "Action::kms:ReEncrypt*")
	}
	return s
}

// addImports creates the import bucket and its key. Unlike the data key, whose
// policy names its few writers, this key's default policy leaves it to IAM: a
// team's own operators upload imports (make catalog-import STAGE=…), with roles
// this stack cannot name, and the import function reads them.
func (s *Storage) addImports(policy awscdk.RemovalPolicy) {
	s.ImportsKey = awskms.NewKey(s.Construct, jsii.String("ImportsKey"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the catalog files uploaded for import (make catalog-import STAGE=...)"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     removal.Keep(policy),
	})
	s.Imports = bucket(s.Construct, "Imports", policy, s.AccessLogs, &awss3.LifecycleRule{
		Expiration:                          awscdk.Duration_Days(jsii.Number(importDays)),
		NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(importNoncurrentDays)),
		AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(abortUploadDays)),
	}, s.ImportsKey, nil)
}

// replicationOf is a bucket's replication: every object, to destination,
// encrypted there with key.
type replicationOf struct {
	role        awsiam.IRole
	destination awss3.IBucket
	key         awskms.IKey
}

// dataKey creates the key of the customer data. Unlike a default key policy, which
// hands the key to every IAM principal of the account that an IAM policy allows
// (the CDK's lookup role, which pull-request diffs may assume, has ReadOnlyAccess),
// this one lets the account administer the key but lets only the writers and the
// readers named here encrypt or decrypt with it.
func dataKey(scope constructs.Construct, id string, policy awscdk.RemovalPolicy, writers, readers []string) awskms.Key {
	account := awsiam.NewAccountRootPrincipal()
	statements := []awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AccountAdministersTheKey"),
		Principals: &[]awsiam.IPrincipal{account},
		Actions: jsii.Strings("kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
			"kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource", "kms:UntagResource",
			"kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:RotateKeyOnDemand"),
		Resources: jsii.Strings("*"),
	})}
	only := func(sid string, arns []string, actions ...string) {
		if len(arns) == 0 {
			return
		}
		statements = append(statements, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String(sid),
			Principals: &[]awsiam.IPrincipal{account},
			Actions:    jsii.Strings(actions...),
			Resources:  jsii.Strings("*"),
			// Through IAM (the role's own policy must allow it too), for these roles only.
			Conditions: &map[string]any{"ArnEquals": map[string]any{"aws:PrincipalArn": arns}},
		}))
	}
	only("WritersEncrypt", writers, "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Decrypt", "kms:DescribeKey")
	only("ReadersDecrypt", readers, "kms:Decrypt", "kms:DescribeKey")
	return awskms.NewKey(scope, jsii.String(id), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the customer data: the order-event archive and the daily reports"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     removal.Keep(policy),
		Policy:            awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &statements}),
	})
}

// LoadBalancerLogPrefix is where in the access-log bucket the load balancer
// writes its access logs.
const LoadBalancerLogPrefix = "alb"

// allowLoadBalancerLogs lets Elastic Load Balancing write access logs under prefix,
// in whatever region the stack deploys to, so environment-agnostic stages log too.
// Regions opened before August 2022 deliver from a regional ELB account; newer ones
// from the log-delivery service principal, admitted only for this account's load
// balancers. A stack pinned to a region names its ELB account, if it has one; an
// environment-agnostic stack reads it from a mapping of every region the CDK knows.
func allowLoadBalancerLogs(bucket awss3.Bucket, prefix string) {
	stack := awscdk.Stack_Of(bucket)
	root := func(account *string) *string {
		return awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("arn:"), stack.Partition(), jsii.String(":iam::"), account, jsii.String(":root")})
	}
	var elbAccount *string
	if region := stack.Region(); !*awscdk.Token_IsUnresolved(region) {
		if account := regioninfo.RegionInfo_Get(region).Elbv2Account(); account != nil {
			elbAccount = root(account)
		}
	} else {
		elbAccount = elbAccountFromMapping(stack, root)
	}
	objects := bucket.ArnForObjects(jsii.String(prefix + "/AWSLogs/" + *stack.Account() + "/*"))
	if elbAccount != nil {
		bucket.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("LoadBalancerLogsFromRegionalAccount"),
			Principals: &[]awsiam.IPrincipal{awsiam.NewArnPrincipal(elbAccount)},
			Actions:    jsii.Strings("s3:PutObject"),
			Resources:  jsii.Strings(*objects),
		}))
	}
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

// elbAccountFromMapping is the root of the stack's region's ELB account, read at
// deploy time from a mapping of every region the CDK knows; in a region without
// one, the account's own root stands in, which admits nothing IAM does not.
func elbAccountFromMapping(stack awscdk.Stack, root func(account *string) *string) *string {
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
	return awscdk.Fn_ConditionIf(regional.LogicalId(), root(account), root(stack.Account())).ToString()
}

// bucket creates a private, versioned bucket: encrypted with key when it has one
// (one data key per bucket and hour, not a KMS call per object), with S3's own keys
// otherwise.
func bucket(scope constructs.Construct, id string, policy awscdk.RemovalPolicy, logs awss3.IBucket, rule *awss3.LifecycleRule, key awskms.IKey, replication *replicationOf) awss3.Bucket {
	props := &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		RemovalPolicy:     policy,
		// Versioned, with previous versions expiring by the lifecycle rule: an
		// overwritten or deleted object, a log an intruder would erase included, can
		// be read back for a while.
		Versioned: jsii.Bool(true),
		// A stage that is torn down takes its buckets' objects with it.
		AutoDeleteObjects: jsii.Bool(policy == awscdk.RemovalPolicy_DESTROY),
	}
	if key != nil {
		props.Encryption, props.EncryptionKey, props.BucketKeyEnabled = awss3.BucketEncryption_KMS, key, jsii.Bool(true)
	}
	if logs != nil {
		props.ServerAccessLogsBucket = logs
		props.ServerAccessLogsPrefix = jsii.String(id + "/")
	}
	if rule != nil {
		props.LifecycleRules = &[]*awss3.LifecycleRule{rule}
	}
	if r := replication; r != nil {
		props.ReplicationRole = r.role
		props.ReplicationRules = &[]*awss3.ReplicationRule{{
			Destination: r.destination, KmsKey: r.key, SseKmsEncryptedObjects: jsii.Bool(true),
			DeleteMarkerReplication: jsii.Bool(true),
		}}
	}
	b := awss3.NewBucket(scope, jsii.String(id), props)
	if replication == nil {
		checks.Suppress(b, checks.NIST+"S3BucketReplicationEnabled", ReplicationReason)
	}
	return b
}

// ReplicationReason is why a bucket is not replicated: it holds no customer data
// the standby region needs, or the stage has no standby region.
const ReplicationReason = "Not customer data the standby region needs, or a stage in one region: the bucket is versioned, retained with its stage's data, and its previous versions kept for a while. The customer-data buckets of a stage with a secondary region are replicated into it."
