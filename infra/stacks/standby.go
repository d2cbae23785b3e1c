package stacks

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/alarms"
	"github.com/example/scalable-web/infra/config"
	"github.com/example/scalable-web/infra/consumer"
	"github.com/example/scalable-web/infra/database"
	"github.com/example/scalable-web/infra/failover"
	"github.com/example/scalable-web/infra/gofunction"
	"github.com/example/scalable-web/infra/messaging"
	"github.com/example/scalable-web/infra/removal"
	"github.com/example/scalable-web/infra/storage"
	"github.com/example/scalable-web/internal/orderevents"
	"github.com/example/scalable-web/internal/schema"
)

// Standby is the stage's stacks in its secondary region, a warm standby of the
// primary region. The stacks' names carry the region: the primary's stacks keep
// theirs, and after a failover "standby" would no longer be true.
type Standby struct {
	// Stateful holds the region's network, keys, cache, buckets and alarm topic,
	// what the primary region replicates into: it deploys before the primary's
	// stateful stack.
	Stateful *StandbyStateful
	// Database holds the cross-region read replica of the primary's database: it
	// deploys after the primary's stateful stack.
	Database *StandbyDatabase
	// Events, Web and API are the region's fan-out, fleet and HTTP API, warm:
	// the fleet serves reads from the region's replica and cache.
	Events *StandbyEvents
	Web    *Web
	API    *API
	// Failover holds the failover plan into this region and its Go step.
	Failover *StandbyFailover
}

// StandbyStateful is the stateful stack of the secondary region. Its network
// has a block of its own (config Secondary.CIDR); its cache starts cold (the
// README says why); its customer-data buckets receive the primary's by S3
// replication, and its secrets key encrypts the replicas of the primary's
// secrets.
type StandbyStateful struct {
	awscdk.Stack
	Regional
}

// StandbyDatabase is the stack of the secondary region's cross-region read
// replica and the private names its components connect to.
type StandbyDatabase struct {
	awscdk.Stack
	Database *database.Database
}

// standbyID names a stack of the secondary region, e.g. "shop-prod-us-west-2-stateful".
func standbyID(cfg config.Config, stack string) string { return cfg.StandbyStackName(stack) }

// standbyProps are the properties of a stack of the secondary region.
func standbyProps(cfg config.Config, description string) *awscdk.StackProps {
	props := stackProps(cfg, description+" ("+cfg.Secondary.Region+", standby)")
	props.Env = &awscdk.Environment{Region: jsii.String(cfg.Secondary.Region)}
	if cfg.Account != "" {
		props.Env.Account = jsii.String(cfg.Account)
	}
	return props
}

// NewStandbyStateful creates the stateful stack of the secondary region.
func NewStandbyStateful(scope constructs.Construct, cfg config.Config) *StandbyStateful {
	props := standbyProps(cfg, "Stateful tier of the standby region: network, cache, S3 buckets the primary replicates into")
	props.TerminationProtection = jsii.Bool(cfg.TerminationProtection)
	stack := awscdk.NewStack(scope, jsii.String(standbyID(cfg, "stateful")), props)
	s := &StandbyStateful{Stack: stack}
	// The primary region's replication role writes into this region's buckets.
	s.Regional = newRegional(stack, cfg, cfg.Secondary.CIDR, []string{roleArn(stack, replicationRole(cfg))}, nil, false)
	output(stack, "OpsTopicArn", s.AlarmTopic.Topic.TopicArn(), "The topic every alarm of this region notifies: subscribe on-call here (config: Ops)")
	output(stack, "CachePrimaryEndpoint", s.Cache.PrimaryEndpoint, "Host name of this region's cache primary (TLS); it starts cold")
	// What the primary region's stateful stack reads (Fn::GetStackOutput).
	output(stack, standbySecretsKeyOutput, s.SecretsKey.KeyArn(), "The key of the replicas of the primary region's secrets (read by its stateful stack)")
	output(stack, standbyDataKeyOutput, s.Storage.DataKey.KeyArn(), "The key of the replicated customer data (read by the primary region's stateful stack)")
	// In a fixed order: the template's bytes do not change from one synth to the next.
	for _, b := range []struct {
		name   string
		bucket awss3.IBucket
	}{{"Events", s.Storage.Events}, {"Reports", s.Storage.Reports}} {
		output(stack, b.name+"BucketArn", b.bucket.BucketArn(), "Receives the primary region's "+strings.ToLower(b.name)+" bucket by replication")
		output(stack, b.name+"BucketName", b.bucket.BucketName(), "Receives the primary region's "+strings.ToLower(b.name)+" bucket by replication")
	}
	return s
}

// The outputs of the standby's stateful stack the primary's reads from another region.
const (
	standbySecretsKeyOutput = "SecretsKeyArn"
	standbyDataKeyOutput    = "DataKeyArn"
)

// replicaTargets are what the primary region's stateful stack replicates into,
// imported from the standby's outputs: a construct of another region cannot be
// referenced directly (the CDK refuses; only physical names cross environments).
func (s *StandbyStateful) replicaTargets(scope constructs.Construct, cfg config.Config) (secretsKey awskms.IKey, replication *storage.Replication) {
	read := func(output string) *string { return fromStack(s.Stack, cfg.Secondary.Region, output) }
	bucket := func(name string) awss3.IBucket {
		return awss3.Bucket_FromBucketAttributes(scope, jsii.String("Standby"+name+"Bucket"), &awss3.BucketAttributes{
			BucketArn: read(name + "BucketArn"), BucketName: read(name + "BucketName"),
		})
	}
	secretsKey = awskms.Key_FromKeyArn(scope, jsii.String("StandbySecretsKey"), read(standbySecretsKeyOutput))
	return secretsKey, &storage.Replication{
		RoleName: replicationRole(cfg),
		Key:      awskms.Key_FromKeyArn(scope, jsii.String("StandbyDataKey"), read(standbyDataKeyOutput)),
		Events:   bucket("Events"), Reports: bucket("Reports"),
	}
}

// NewStandbyDatabase creates the secondary region's cross-region read replica of
// the primary's database, in the standby's network, alarming to its topic.
func NewStandbyDatabase(scope constructs.Construct, cfg config.Config, primary *Stateful, standby *StandbyStateful) *StandbyDatabase {
	props := standbyProps(cfg, "Cross-region read replica of the primary region's PostgreSQL, promotable")
	// Promoted, the replica holds the stage's data.
	props.TerminationProtection = jsii.Bool(cfg.TerminationProtection)
	stack := awscdk.NewStack(scope, jsii.String(standbyID(cfg, "database")), props)
	stack.AddStackDependency(primary.Stack, jsii.String("replicates the primary region's database, whose ARN it reads from its outputs (Fn::GetStackOutput)"))
	stack.AddStackDependency(standby.Stack, jsii.String("runs in the standby region's network"))
	dbProps := primary.databaseProps(cfg)
	dbProps.Vpc, dbProps.Subnets, dbProps.RotationSubnets = standby.Network.Vpc, standby.Network.Data, standby.Network.App
	dbProps.SecretsKey = standby.SecretsKey
	source := fromStack(primary.Stack, cfg.Region, primaryDatabaseArnOutput)
	d := database.NewCrossRegionReplica(stack, "Database", dbProps, source, cfg.Region)
	alarms.Notify(standby.AlarmTopic.Topic, d.Alarms...)
	output(stack, "DatabaseWriterName", jsii.String(database.CrossRegionRecord+"."+dbProps.ZoneName), "Host name the standby's writers use: the replica, read-only until a failover promotes it")
	output(stack, "DatabaseReplicaEndpoint", d.WriterEndpoint, "Host name of the cross-region replica")
	return &StandbyDatabase{Stack: stack, Database: d}
}

// fromStack reads an output of a stack of the stage with Fn::GetStackOutput,
// naming its region. Unlike an export (Fn::ImportValue, or the CDK's cross-region
// ExportWriter), a plain output never locks the value: the producer can replace
// the resource, and the reader takes the new value on its next deploy. The reader
// must deploy after the producer: the caller adds that dependency.
func fromStack(producer awscdk.Stack, region, output string) *string {
	return awscdk.Fn_GetStackOutput(producer.StackName(), jsii.String(output), jsii.String(region), nil)
}

// StandbyFailover is the stack, in the secondary region, of the failover into it:
// the Go step and the ARC Region switch plan (make failover).
type StandbyFailover struct {
	awscdk.Stack
	Failover *failover.Failover
}

// failoverRTOMinutes is the plan's stated recovery time objective: approval, a
// promotion (RDS: usually several minutes) and the secrets, with room for the
// step's retries. The README's runbook sets out the estimate.
const failoverRTOMinutes = 30

// NewStandbyFailover creates the failover stack of the secondary region.
func NewStandbyFailover(scope constructs.Construct, cfg config.Config, sourceDir string, primary *Stateful, primaryWeb *Web, primaryAPI *API, standby *Standby) *StandbyFailover {
	stack := awscdk.NewStack(scope, jsii.String(standbyID(cfg, "failover")), standbyProps(cfg, "The failover into this region: the ARC Region switch plan and its Go step"))
	stack.AddStackDependency(primary.Stack, jsii.String("reads the ARNs of the secrets' replicas from its outputs (Fn::GetStackOutput)"))
	stack.AddStackDependency(standby.Database.Stack, jsii.String("promotes its replica"))
	stack.AddStackDependency(standby.Events.Stack, jsii.String("enables its disabled consumers"))
	stack.AddStackDependency(primaryWeb.Stack, jsii.String("reads the primary fleet's ARN from its outputs (Fn::GetStackOutput)"))
	stack.AddStackDependency(standby.Web.Stack, jsii.String("scales its fleet"))
	var drain *string
	if primaryAPI.Routing != nil {
		stack.AddStackDependency(primaryAPI.Stack, jsii.String("reads the primary region's health check from its outputs (Fn::GetStackOutput)"))
		drain = fromStack(primaryAPI.Stack, cfg.Region, HealthCheckIDOutput)
	}
	var secrets []*string
	for _, name := range primary.StandbySecretOutputs {
		secrets = append(secrets, fromStack(primary.Stack, cfg.Region, name))
	}
	f := failover.New(stack, "Failover", failover.Props{
		SourceDir:                    sourceDir,
		Name:                         cfg.Prefix + "-failover",
		PrimaryRegion:                cfg.Region,
		Replica:                      standby.Database.Database.Replicas[0],
		Secrets:                      secrets,
		EventSourceMappings:          standby.Events.Disabled,
		SecretsKey:                   standby.Stateful.SecretsKey,
		MaxLagSeconds:                cfg.Secondary.FailoverMaxLagSeconds,
		OverrideParameter:            "/" + cfg.Prefix + "/failover/accept-data-loss",
		RecoveryTimeObjectiveMinutes: failoverRTOMinutes,
		DrainHealthCheck:             drain,
		Fleets:                       [2]*string{fromStack(primaryWeb.Stack, cfg.Region, FleetArnOutput), fromStack(standby.Web.Stack, cfg.Secondary.Region, FleetArnOutput)},
		LogRetentionDays:             cfg.Messaging.LogRetentionDays,
		LogsKey:                      standby.Stateful.LogsKey,
		RemovalPolicy:                removal.Policy(cfg.RemovalPolicy),
	})
	alarms.Notify(standby.Stateful.AlarmTopic.Topic, f.Step.Alarms...)
	output(stack, "PlanArn", f.Plan.AttrArn(), "The failover plan: make failover STAGE="+cfg.Stage+" TO="+cfg.Secondary.Region)
	output(stack, "ApproverRoleArn", f.Approver.RoleArn(), "Assume it to approve the failover plan's execution")
	return &StandbyFailover{Stack: stack, Failover: f}
}

// StandbyEvents is the order-event fan-out of the secondary region: its own
// topic, the one its fleet's outbox relay publishes to once a failover promotes
// the region's database, a queue (with its dead-letter queues) per consumer of
// the contract, and the consumers. Those that write to the database are created
// disabled (their queues keep what arrives) until the failover enables them.
type StandbyEvents struct {
	awscdk.Stack
	Messaging *messaging.Messaging
	Consumers map[string]*gofunction.Function
	// Disabled are the IDs of the event source mappings the failover enables.
	Disabled []*string
}

// NewStandbyEvents creates the standby's fan-out and consumers. They log in with
// the replicas, in this region, of the primary's login secrets.
func NewStandbyEvents(scope constructs.Construct, cfg config.Config, sourceDir string, primary *Stateful, standby *Standby) *StandbyEvents {
	stack := awscdk.NewStack(scope, jsii.String(standbyID(cfg, "events")), standbyProps(cfg, "Order-event fan-out and consumers of the standby region"))
	stack.AddStackDependency(standby.Stateful.Stack, jsii.String("references the network, buckets and keys"))
	stack.AddStackDependency(standby.Database.Stack, jsii.String("the consumers reach the region's database"))
	stack.AddStackDependency(primary.Stack, jsii.String("reads the ARNs of the logins' replicas from its outputs (Fn::GetStackOutput)"))
	e := &StandbyEvents{Stack: stack, Consumers: map[string]*gofunction.Function{}}
	e.Messaging = messaging.New(stack, "Messaging", messaging.Props{
		Subscribers:               subscribers(cfg),
		FilterAttribute:           orderevents.TypeAttribute,
		MaxReceiveCount:           cfg.Messaging.MaxReceiveCount,
		OldestMessageAlarmSeconds: cfg.Messaging.OldestMessageAlarmSeconds,
		RemovalPolicy:             removal.Policy(cfg.RemovalPolicy),
	})
	logins := map[string]awssecretsmanager.ISecret{}
	for _, c := range orderevents.Consumers {
		if role := c.DatabaseRole; role != "" {
			logins[role] = awssecretsmanager.Secret_FromSecretCompleteArn(stack, jsii.String(database.LoginID(role)),
				fromStack(primary.Stack, cfg.Region, database.LoginID(role)+standbyOutputSuffix))
		}
	}
	w := eventsWiring{cfg: cfg, sourceDir: sourceDir, stack: stack,
		Regional: standby.Stateful.Regional, db: standby.Database.Database, logins: logins}
	for _, c := range orderevents.Consumers {
		props := w.consumer(c, e.Messaging.Queues[c.Name], nil)
		props.Disabled = c.DatabaseRole != ""
		fn, source := consumer.New(stack, consumerID(c.Name), props)
		e.Consumers[c.Name] = fn
		if props.Disabled {
			e.Disabled = append(e.Disabled, source.EventSourceMappingId())
		}
		alarms.Notify(standby.Stateful.AlarmTopic.Topic, fn.Alarms...)
	}
	alarms.Notify(standby.Stateful.AlarmTopic.Topic, e.Messaging.Alarms...)
	return e
}

// NewStandbyWeb creates the standby's fleet, Secondary.MinCapacity instances
// until a failover scales it: it reads from the region's replica and cache, and
// its writes, which the replica refuses until a failover promotes it, answer 503.
// The secrets it reads are the replicas, in this region, of the primary's.
func NewStandbyWeb(scope constructs.Construct, cfg config.Config, sourceDir string, primary *Stateful, standby *Standby, events *StandbyEvents) *Web {
	stack := awscdk.NewStack(scope, jsii.String(standbyID(cfg, "web")), standbyProps(cfg, "Web of the standby region: internal load balancer and the service fleet, reading locally"))
	stack.AddStackDependency(standby.Stateful.Stack, jsii.String("references the network, cache and buckets"))
	stack.AddStackDependency(standby.Database.Stack, jsii.String("reads and, after a failover, writes the region's database"))
	stack.AddStackDependency(events.Stack, jsii.String("publishes to the region's order-event topic"))
	stack.AddStackDependency(primary.Stack, jsii.String("reads the ARNs of the secrets' replicas from its outputs (Fn::GetStackOutput)"))
	replica := func(id, output string) awssecretsmanager.ISecret {
		return awssecretsmanager.Secret_FromSecretCompleteArn(stack, jsii.String(id), fromStack(primary.Stack, cfg.Region, output))
	}
	return buildWeb(stack, cfg, sourceDir, site{
		Regional:     standby.Stateful.Regional,
		db:           standby.Database.Database,
		serviceLogin: replica("ServiceLogin", database.LoginID(schema.ServiceRole)+standbyOutputSuffix),
		origin:       replica("OriginSecret", "OriginSecret"+standbyOutputSuffix),
		topic:        events.Messaging.Topic,
	}, cfg.Secondary.MinCapacity)
}

// NewStandbyAPI creates the standby's HTTP API in front of its fleet.
func NewStandbyAPI(scope constructs.Construct, cfg config.Config, standby *StandbyStateful, web *Web) *API {
	stack := awscdk.NewStack(scope, jsii.String(standbyID(cfg, "api")), standbyProps(cfg, "API of the standby region: HTTP API with a VPC link to its internal load balancer"))
	stack.AddStackDependency(standby.Stack, jsii.String("references the network"))
	stack.AddStackDependency(web.Stack, jsii.String("references the load balancer and its listener"))
	a := buildAPI(stack, cfg, standby.Regional, web, cfg.Secondary.Region, false)
	// The primary region's CloudFront sends reads here when its own API fails.
	output(stack, APIHostOutput, apiHost(stack, a.API), "The API's own host name: CloudFront's fallback origin for reads")
	return a
}

// APIHostOutput is the output of the standby's API stack that names its API's
// host, which the primary region's distribution reads (Fn::GetStackOutput).
const APIHostOutput = "ApiHost"
