package stacks

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/alarms"
	"github.com/example/scalable-web/infra/cache"
	"github.com/example/scalable-web/infra/checks"
	"github.com/example/scalable-web/infra/config"
	"github.com/example/scalable-web/infra/database"
	"github.com/example/scalable-web/infra/failover"
	"github.com/example/scalable-web/infra/grant"
	"github.com/example/scalable-web/infra/removal"
	"github.com/example/scalable-web/infra/web"
	"github.com/example/scalable-web/internal/envnames"
	"github.com/example/scalable-web/internal/schema"
)

// Web is the stateless stack of the fleet that serves users: the internal load
// balancer and the Auto Scaling group running the sample service.
type Web struct {
	awscdk.Stack
	Web *web.Web
	// FleetArn is the fleet's Auto Scaling group ARN, looked up where the stage
	// has a standby region (its failover plan scales the standby's fleet); nil
	// otherwise.
	FleetArn *string
}

// FleetArnOutput is the output of a web stack that holds its fleet's ARN.
const FleetArnOutput = "FleetArn"

// NewWeb creates the web stack of the primary region.
func NewWeb(scope constructs.Construct, id string, cfg config.Config, sourceDir string, stateful *Stateful, events *Events) *Web {
	stack := awscdk.NewStack(scope, jsii.String(id), stackProps(cfg, "Web: internal load balancer and the service fleet"))
	stack.AddStackDependency(stateful.Stack, jsii.String("references the network, database, cache and buckets"))
	stack.AddStackDependency(events.Stack, jsii.String("publishes to the order-event topic; needs the migrated schema"))
	return buildWeb(stack, cfg, sourceDir, site{
		Regional:     stateful.Regional,
		db:           stateful.Database,
		serviceLogin: stateful.Database.Logins[schema.ServiceRole],
		origin:       stateful.Origin,
		topic:        events.Messaging.Topic,
	}, cfg.Web.MinCapacity)
}

// site is what one region's web and API stacks build on: its stateful stack's
// pieces, its database (the primary, or the standby's replica), the secrets the
// service reads there, and its order-event topic.
type site struct {
	Regional
	db           *database.Database
	serviceLogin awssecretsmanager.ISecret
	origin       awssecretsmanager.ISecret
	topic        awssns.ITopic
}

// buildWeb builds the fleet of a region in stack, minCapacity instances at least.
func buildWeb(stack awscdk.Stack, cfg config.Config, sourceDir string, at site, minCapacity int) *Web {
	db, kv := at.db, at.Cache
	w := cfg.Web
	fleet := web.New(stack, "Web", web.Props{
		Vpc:       at.Network.Vpc,
		Subnets:   at.Network.App,
		SourceDir: sourceDir,
		Environment: map[string]string{
			envnames.DBSecretARN:        *at.serviceLogin.SecretArn(),
			envnames.DBWriterHost:       *db.WriterEndpoint,
			envnames.DBReaderHost:       db.ReaderName,
			envnames.ReplicaMaxLag:      fmt.Sprintf("%ds", cfg.Database.ReplicaLagAlarmSeconds),
			envnames.RedisAddr:          fmt.Sprintf("%s:%d", *kv.PrimaryEndpoint, cache.Port),
			envnames.RedisTLS:           "true",
			envnames.RedisAuthSecretARN: *kv.AuthToken.SecretArn(),
			envnames.CacheTTL:           fmt.Sprintf("%ds", w.CacheTTLSeconds),
			envnames.EventsTopicARN:     *at.topic.TopicArn(),
			envnames.OriginSecretARN:    *at.origin.SecretArn(),
		},
		MetricsNamespace:        cfg.Prefix,
		Tracing:                 cfg.Ops.Tracing,
		InstanceType:            w.InstanceType,
		MinCapacity:             minCapacity,
		MaxCapacity:             w.MaxCapacity,
		CPUTargetPercent:        w.CPUTargetPercent,
		RequestsPerTargetPerMin: w.RequestsPerTargetPerMinute,
		DrainSeconds:            w.DrainSeconds,
		P99LatencyAlarmMillis:   w.P99LatencyAlarmMillis,
		DeletionProtection:      w.DeletionProtection,
		AccessLogs:              at.Storage.AccessLogs,
		LogRetentionDays:        w.LogRetentionDays,
		RemovalPolicy:           removal.Policy(cfg.RemovalPolicy),
		LogsKey:                 at.LogsKey,
		Notifications:           at.AlarmTopic.Topic,
	})
	fleet.Connections().AllowTo(db.Connections(), awsec2.Port_Tcp(jsii.Number(database.Port)), jsii.String("the service fleet"))
	fleet.Connections().AllowTo(kv.Connections(), awsec2.Port_Tcp(jsii.Number(cache.Port)), jsii.String("the service fleet"))
	grant.ReadSecret(fleet.Role, at.serviceLogin, at.SecretsKey)
	grant.ReadSecret(fleet.Role, kv.AuthToken, at.SecretsKey)
	grant.ReadSecret(fleet.Role, at.origin, at.SecretsKey)
	at.topic.GrantPublish(fleet.Role)
	checks.Suppress(fleet.Role, "AwsSolutions-IAM5",
		"kms:GenerateDataKey* comes from the CDK's grantPublish on the encrypted order-event topic: the GenerateDataKey variants SNS may call, on that one key only.",
		"Action::kms:GenerateDataKey*")

	alarms.Notify(at.AlarmTopic.Topic, fleet.Alarms...)

	output(stack, "LoadBalancerDnsName", fleet.LoadBalancer.LoadBalancerDnsName(), "Internal DNS name of the load balancer (reachable from inside the VPC)")
	out := &Web{Stack: stack, Web: fleet}
	if cfg.Secondary.Enabled() {
		out.FleetArn = failover.FleetArn(stack, "FleetArnLookup", failover.FleetArnProps{
			Group: fleet.Fleet, LogRetentionDays: w.LogRetentionDays, LogsKey: at.LogsKey, RemovalPolicy: removal.Policy(cfg.RemovalPolicy),
		})
		output(stack, FleetArnOutput, out.FleetArn, "The fleet's Auto Scaling group, which the failover plan scales")
	}
	return out
}
