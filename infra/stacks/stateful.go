package stacks

import (
	"maps"
	"slices"

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
	Regional
	Database *database.Database
	// Origin holds the value CloudFront sends the API to prove a request came
	// through it (edge.NewOriginSecret).
	Origin awssecretsmanager.Secret
	// StandbySecretOutputs name the outputs that hold the ARNs, in the standby
	// region, of the replicas of the secrets above (none without a standby).
	StandbySecretOutputs []string
}

// Regional is what the stateful stack of each of the stage's regions holds.
type Regional struct {
	Network *network.Network
	Cache   *cache.Cache
	Storage *storage.Storage
	// LogsKey encrypts the stage's log groups in this region (logs.NewKey).
	LogsKey awskms.Key
	// SecretsKey encrypts the stage's secrets in this region, the replicas of the
	// primary region's among them; read one with grant.ReadSecret.
	SecretsKey awskms.Key
	// AlarmTopic is the ops topic every alarm of the region notifies (an alarm
	// notifies only a topic of its own region). It lives here, in the stack every
	// other one depends on, and its email subscriptions are state: recreating the
	// topic would make everyone confirm again.
	AlarmTopic *alarms.Topic
}

// NewStateful creates the stateful stack of the primary region. With a standby
// region, the database's secrets and the origin secret are replicated into it,
// and the customer-data buckets replicate into its buckets; the standby's stateful
// stack then deploys first.
func NewStateful(scope constructs.Construct, id string, cfg config.Config, standby *StandbyStateful) *Stateful {
	props := stackProps(cfg, "Stateful tier: network, PostgreSQL, cache, S3 buckets")
	props.TerminationProtection = jsii.Bool(cfg.TerminationProtection)
	stack := awscdk.NewStack(scope, jsii.String(id), props)
	policy := removal.Policy(cfg.RemovalPolicy)
	s := &Stateful{Stack: stack}
	var replicas *[]*awssecretsmanager.ReplicaRegion
	var replication *storage.Replication
	if standby != nil {
		stack.AddStackDependency(standby.Stack, jsii.String("replicates the secrets and the customer data into its keys and buckets, read from its outputs (Fn::GetStackOutput)"))
		var key awskms.IKey
		key, replication = standby.replicaTargets(stack, cfg)
		replicas = &[]*awssecretsmanager.ReplicaRegion{{Region: jsii.String(cfg.Secondary.Region), EncryptionKey: key}}
	}
	s.Regional = newRegional(stack, cfg, cfg.Network.CIDR, nil, replication, true)
	dbProps := s.databaseProps(cfg)
	dbProps.SecretReplicas = replicas
	s.Database = database.New(stack, "Database", dbProps)
	s.Origin = edge.NewOriginSecret(stack, "EdgeOriginSecret", s.SecretsKey, removal.Keep(policy), replicas)
	alarms.Notify(s.AlarmTopic.Topic, s.Database.Alarms...)
	s.outputs(standby != nil)
	if standby != nil {
		s.outputStandbySecrets(cfg.Secondary.Region)
	}
	return s
}

// outputStandbySecrets outputs the ARN, in the standby region, of each replicated
// secret: the primary's ARN with the region changed, derived here, where the ARN
// is this stack's own (a reader may not split another stack's output).
func (s *Stateful) outputStandbySecrets(region string) {
	secrets := map[string]awssecretsmanager.ISecret{"DatabaseSecret": s.Database.Secret, "OriginSecret": s.Origin}
	for role, login := range s.Database.Logins {
		secrets[database.LoginID(role)] = login
	}
	for _, name := range slices.Sorted(maps.Keys(secrets)) {
		parts := awscdk.Fn_Split(jsii.String(":"), secrets[name].SecretArn(), jsii.Number(arnParts))
		at := func(i int) *string { return awscdk.Fn_Select(jsii.Number(i), parts) }
		arn := awscdk.Fn_Join(jsii.String(":"), &[]*string{at(0), at(1), at(2), jsii.String(region), at(4), at(5), at(6)})
		output(s.Stack, name+standbyOutputSuffix, arn, "The ARN of this secret's replica in "+region+" (read by the standby's stacks)")
		s.StandbySecretOutputs = append(s.StandbySecretOutputs, name+standbyOutputSuffix)
	}
}

// standbyOutputSuffix ends the name of the output of a secret's ARN in the
// standby region: "OriginSecretInStandby".
const standbyOutputSuffix = "InStandby"

// arnParts is how many colon-separated parts a secret's ARN has:
// arn:partition:secretsmanager:region:account:secret:name-suffix.
const arnParts = 7

// newRegional creates what every region's stateful stack holds, with the
// construct IDs the primary's logical IDs are pinned to. writers are extra roles
// that write the customer data (the primary region's replication role, in the
// standby's); replication, when set, replicates this region's customer data into
// another's buckets; writes says the region's database takes writes (the
// primary's), where catalog imports are uploaded.
func newRegional(stack awscdk.Stack, cfg config.Config, cidr string, writers []string, replication *storage.Replication, writes bool) Regional {
	policy := removal.Policy(cfg.RemovalPolicy)
	var r Regional
	// One key encrypts every log group of the stage in this region, this stack's
	// and the stateless stacks' alike.
	r.LogsKey = logs.NewKey(stack, "OpsLogsKey", policy)
	// One key encrypts every secret of the stage: readers get explicit grants on it
	// (grant.ReadSecret), so its policy never names a role of another stack.
	r.SecretsKey = awskms.NewKey(stack, jsii.String("OpsSecretsKey"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the stage's secrets: database logins, the cache AUTH token, the origin secret"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     removal.Keep(policy),
	})
	r.Network = network.New(stack, "Network", network.Props{
		CIDR:                 cidr,
		AZs:                  cfg.Network.AZs,
		NATGateways:          cfg.Network.NATGateways,
		FlowLogRetentionDays: cfg.Network.FlowLogRetentionDays,
		LogsKey:              r.LogsKey,
		RemovalPolicy:        policy,
	})
	r.Cache = cache.New(stack, "Cache", r.cacheProps(cfg))
	for _, fn := range dataWriters {
		writers = append(writers, dataWriterRoleArn(stack, cfg, fn))
	}
	readers := cfg.Storage.DataReaderRoleArns
	if replication != nil { // the replication role reads this region's data
		readers = append(slices.Clone(readers), roleArn(stack, replication.RoleName))
	}
	r.Storage = storage.New(stack, "Storage", storage.Props{
		AccessLogRetentionDays: cfg.Storage.AccessLogRetentionDays,
		DataRetentionDays:      cfg.Storage.DataRetentionDays,
		NoncurrentVersionDays:  cfg.Storage.NoncurrentVersionDays,
		DataWriters:            writers,
		DataReaders:            readers,
		Replication:            replication,
		CatalogImports:         writes,
		RemovalPolicy:          policy,
	})
	r.AlarmTopic = alarms.NewTopic(stack, "Ops", alarms.TopicProps{
		Emails: cfg.Ops.AlarmEmails, HTTPSEndpoints: cfg.Ops.AlarmHTTPSEndpoints, RemovalPolicy: policy,
	})
	alarms.Notify(r.AlarmTopic.Topic, r.Cache.Alarms...)
	return r
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
func (s *Regional) cacheProps(cfg config.Config) cache.Props {
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
func (s *Stateful) outputs(standby bool) {
	data, kv := s.Database, s.Cache
	output(s.Stack, "DatabaseWriterEndpoint", data.WriterEndpoint, "Host name of the PostgreSQL primary: writes and read-your-own-write")
	output(s.Stack, "DatabaseReaderName", jsii.String(data.ReaderName), "Host name that spreads reads over the replicas (the primary when there are none)")
	output(s.Stack, "DatabaseSecretArn", data.Secret.SecretArn(), "Secret with the admin credentials (migrations and rotation only)")
	output(s.Stack, "CachePrimaryEndpoint", kv.PrimaryEndpoint, "Host name of the cache primary (TLS)")
	output(s.Stack, "CacheReaderEndpoint", kv.ReaderEndpoint, "Host name that spreads cache reads over the replicas")
	output(s.Stack, "CacheAuthTokenSecretArn", kv.AuthToken.SecretArn(), "Secret with the cache AUTH token")
	output(s.Stack, "OriginSecretArn", s.Origin.SecretArn(), "The value CloudFront sends the API in "+shopapi.OriginHeader+" (make rotate-origin-secret)")
	output(s.Stack, "OpsTopicArn", s.AlarmTopic.Topic.TopicArn(), "The topic every alarm notifies: subscribe on-call here (config: Ops)")
	if standby {
		output(s.Stack, primaryDatabaseArnOutput, data.Primary.InstanceArn(), "The PostgreSQL primary (the standby region's cross-region replica reads it)")
	}
}

// primaryDatabaseArnOutput is the output of the primary's ARN, which a standby
// region's database stack reads.
const primaryDatabaseArnOutput = "DatabaseArn"

// dataWriters are the functions of the events stack that write customer data.
var dataWriters = []string{"analytics", "dailyreport"}

// dataWriterRole names the role of a function that writes customer data: the data
// key, in this stack, admits it by name before the events stack creates it. IAM
// names are global to the account, so the name carries the region.
func dataWriterRole(stack awscdk.Stack, cfg config.Config, function string) string {
	return cfg.Prefix + "-" + function + "-" + *stack.Region()
}

func dataWriterRoleArn(stack awscdk.Stack, cfg config.Config, function string) string {
	return roleArn(stack, dataWriterRole(stack, cfg, function))
}

// roleArn is the ARN of the role name in the stack's account.
func roleArn(stack awscdk.Stack, name string) string {
	return *stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("iam"), Region: jsii.String(""), Resource: jsii.String("role"),
		ResourceName: jsii.String(name),
	})
}

// replicationRole names the role S3 replicates the primary region's customer data
// with: the standby's data key admits it by name before the primary's stateful
// stack creates it.
func replicationRole(cfg config.Config) string {
	return cfg.Prefix + "-replication-" + cfg.Region
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
