package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/alarms"
	"github.com/example/scalable-web/infra/cache"
	"github.com/example/scalable-web/infra/config"
	"github.com/example/scalable-web/infra/database"
	"github.com/example/scalable-web/infra/edge"
	"github.com/example/scalable-web/infra/logs"
	"github.com/example/scalable-web/infra/network"
	"github.com/example/scalable-web/infra/removal"
	"github.com/example/scalable-web/infra/storage"
	"github.com/example/scalable-web/internal/schema"
	"github.com/example/scalable-web/internal/shopapi"
)

// databaseName is the database the sample service uses on the primary.
const databaseName = "shop"

// Stateful is the stack of long-lived resources. Its logical IDs are pinned by
// tests: renaming a construct here replaces the resource, and with it the data.
type Stateful struct {
	awscdk.Stack
	Network  *network.Network
	Database *database.Database
	Cache    *cache.Cache
	Storage  *storage.Storage
	// Origin holds the value CloudFront sends the API to prove a request came
	// through it (edge.NewOriginSecret).
	Origin awssecretsmanager.Secret
	// LogsKey encrypts the stage's log groups in this region (logs.NewKey).
	LogsKey awskms.Key
	// SecretsKey encrypts the stage's secrets; read one with grant.ReadSecret.
	SecretsKey awskms.Key
	// AlarmTopic is the ops topic every alarm of the stage notifies. It lives
	// here, in the stack every other one depends on, and its email subscriptions
	// are state: recreating the topic would make everyone confirm again.
	AlarmTopic *alarms.Topic
}

// NewStateful creates the stateful stack.
func NewStateful(scope constructs.Construct, id string, cfg config.Config) *Stateful {
	props := stackProps(cfg, "Stateful tier: network, PostgreSQL, cache, S3 buckets")
	props.TerminationProtection = jsii.Bool(cfg.TerminationProtection)
	stack := awscdk.NewStack(scope, jsii.String(id), props)
	policy := removal.Policy(cfg.RemovalPolicy)
	s := &Stateful{Stack: stack}
	// One key encrypts every log group of the stage in this region, this stack's
	// and the stateless stacks' alike.
	s.LogsKey = logs.NewKey(stack, "OpsLogsKey", policy)
	// One key encrypts every secret of the stage: readers get explicit grants on it
	// (grant.ReadSecret), so its policy never names a role of another stack.
	s.SecretsKey = awskms.NewKey(stack, jsii.String("OpsSecretsKey"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the stage's secrets: database logins, the cache AUTH token, the origin secret"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     removal.Keep(policy),
	})
	s.Network = network.New(stack, "Network", network.Props{
		CIDR:                 cfg.Network.CIDR,
		AZs:                  cfg.Network.AZs,
		NATGateways:          cfg.Network.NATGateways,
		FlowLogRetentionDays: cfg.Network.FlowLogRetentionDays,
		LogsKey:              s.LogsKey,
		RemovalPolicy:        policy,
	})
	s.Database = database.New(stack, "Database", s.databaseProps(cfg))
	s.Cache = cache.New(stack, "Cache", s.cacheProps(cfg))
	var writers []string
	for _, fn := range dataWriters {
		writers = append(writers, dataWriterRoleArn(stack, cfg, fn))
	}
	s.Storage = storage.New(stack, "Storage", storage.Props{
		AccessLogRetentionDays: cfg.Storage.AccessLogRetentionDays,
		DataRetentionDays:      cfg.Storage.DataRetentionDays,
		NoncurrentVersionDays:  cfg.Storage.NoncurrentVersionDays,
		DataWriters:            writers,
		DataReaders:            cfg.Storage.DataReaderRoleArns,
		RemovalPolicy:          policy,
	})
	s.Origin = edge.NewOriginSecret(stack, "EdgeOriginSecret", s.SecretsKey, removal.Keep(policy))
	s.AlarmTopic = alarms.NewTopic(stack, "Ops", alarms.TopicProps{
		Emails: cfg.Ops.AlarmEmails, HTTPSEndpoints: cfg.Ops.AlarmHTTPSEndpoints, RemovalPolicy: policy,
	})
	alarms.Notify(s.AlarmTopic.Topic, s.Database.Alarms...)
	alarms.Notify(s.AlarmTopic.Topic, s.Cache.Alarms...)
	s.outputs()
	return s
}

// databaseProps are the database tier's props from the stage's config.
func (s *Stateful) databaseProps(cfg config.Config) database.Props {
	db := cfg.Database
	return database.Props{
		SecretsKey:                s.SecretsKey,
		Vpc:                       s.Network.Vpc,
		Subnets:                   s.Network.Data,
		RotationSubnets:           s.Network.App,
		ZoneName:                  cfg.Prefix + ".internal",
		DatabaseName:              databaseName,
		EngineVersion:             db.EngineVersion,
		InstanceClass:             db.InstanceClass,
		MemoryGiB:                 config.DatabaseInstanceClasses[db.InstanceClass],
		MultiAZ:                   db.MultiAZ,
		Replicas:                  db.Replicas,
		AllocatedStorageGiB:       db.AllocatedStorageGiB,
		MaxAllocatedStorageGiB:    db.MaxAllocatedStorageGiB,
		BackupRetentionDays:       db.BackupRetentionDays,
		DeletionProtection:        db.DeletionProtection,
		PerformanceInsights:       db.PerformanceInsights,
		MonitoringIntervalSeconds: db.MonitoringIntervalSeconds,
		LogRetentionDays:          db.LogRetentionDays,
		SlowQueryMillis:           db.SlowQueryMillis,
		RotationDays:              db.SecretRotationDays,
		Logins:                    logins(),
		ReplicaLagAlarmSeconds:    db.ReplicaLagAlarmSeconds,
		BackupWindow:              db.BackupWindow,
		MaintenanceWindow:         db.MaintenanceWindow,
		RemovalPolicy:             removal.Policy(cfg.RemovalPolicy),
	}
}

// cacheProps are the cache tier's props from the stage's config.
func (s *Stateful) cacheProps(cfg config.Config) cache.Props {
	cc := cfg.Cache
	return cache.Props{
		SecretsKey:            s.SecretsKey,
		Vpc:                   s.Network.Vpc,
		Subnets:               s.Network.Data,
		EngineVersion:         cc.EngineVersion,
		NodeType:              cc.NodeType,
		Replicas:              cc.Replicas,
		AutomaticFailover:     cc.AutomaticFailover,
		MultiAZ:               cc.MultiAZ,
		SnapshotRetentionDays: cc.SnapshotRetentionDays,
		SnapshotWindow:        cc.SnapshotWindow,
		MaintenanceWindow:     cc.MaintenanceWindow,
		LogRetentionDays:      cc.LogRetentionDays,
		LogsKey:               s.LogsKey,
		RemovalPolicy:         removal.Policy(cfg.RemovalPolicy),
	}
}

// outputs show, after deploy, the names and secrets an operator looks up.
func (s *Stateful) outputs() {
	data, kv := s.Database, s.Cache
	output(s.Stack, "DatabaseWriterEndpoint", data.WriterEndpoint, "Host name of the PostgreSQL primary: writes and read-your-own-write")
	output(s.Stack, "DatabaseReaderName", jsii.String(data.ReaderName), "Host name that spreads reads over the replicas (the primary when there are none)")
	output(s.Stack, "DatabaseSecretArn", data.Secret.SecretArn(), "Secret with the admin credentials (migrations and rotation only)")
	output(s.Stack, "CachePrimaryEndpoint", kv.PrimaryEndpoint, "Host name of the cache primary (TLS)")
	output(s.Stack, "CacheReaderEndpoint", kv.ReaderEndpoint, "Host name that spreads cache reads over the replicas")
	output(s.Stack, "CacheAuthTokenSecretArn", kv.AuthToken.SecretArn(), "Secret with the cache AUTH token")
	output(s.Stack, "OriginSecretArn", s.Origin.SecretArn(), "The value CloudFront sends the API in "+shopapi.OriginHeader+" (make rotate-origin-secret)")
	output(s.Stack, "OpsTopicArn", s.AlarmTopic.Topic.TopicArn(), "The topic every alarm notifies: subscribe on-call here (config: Ops)")
}

// dataWriters are the functions of the events stack that write customer data.
var dataWriters = []string{"analytics", "dailyreport"}

// dataWriterRole names the role of a function that writes customer data: the data
// key, in this stack, admits it by name before the events stack creates it. IAM
// names are global to the account, so the name carries the region.
func dataWriterRole(stack awscdk.Stack, cfg config.Config, function string) string {
	return cfg.Prefix + "-" + function + "-" + *stack.Region()
}

func dataWriterRoleArn(stack awscdk.Stack, cfg config.Config, function string) string {
	return *stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("iam"), Region: jsii.String(""), Resource: jsii.String("role"),
		ResourceName: jsii.String(dataWriterRole(stack, cfg, function)),
	})
}

// logins are the components' users, by the role each is a member of.
func logins() map[string]string {
	users := map[string]string{}
	for _, role := range schema.Roles {
		users[role] = schema.LoginUser(role)
	}
	return users
}

// output shows a value after deploy (cdk deploy, the console). It is not exported:
// other stacks take references through the stacks' fields.
func output(stack awscdk.Stack, id string, value *string, description string) {
	awscdk.NewCfnOutput(stack, jsii.String(id), &awscdk.CfnOutputProps{Value: value, Description: jsii.String(description)})
}
