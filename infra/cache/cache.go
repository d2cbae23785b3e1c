// Package cache builds the ElastiCache tier: a Valkey replication group with TLS,
// an AUTH token from Secrets Manager, encryption at rest and LRU eviction.
//
// The CDK has only the L1 constructs for ElastiCache; this package keeps them
// behind one typed construct.
package cache

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticache"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/checks"
	"github.com/example/scalable-web/infra/logs"
	"github.com/example/scalable-web/infra/removal"
)

// Port is the Valkey/Redis port. The security group, not the port number, is what
// keeps others out.
const Port = 6379

// Props configure the cache. The stage configuration has validated them.
type Props struct {
	// SecretsKey encrypts the AUTH token (readers get explicit grants on it).
	SecretsKey awskms.IKey
	// Vpc is the network the cache's security group is created in.
	Vpc awsec2.IVpc
	// Subnets hold the cache nodes (the stacks pass the isolated data subnets); they
	// make up the cache's subnet group.
	Subnets *awsec2.SubnetSelection

	EngineVersion string // Valkey, e.g. "8.1"
	NodeType      string // e.g. "cache.t4g.micro"
	// Replicas is the number of read replicas of the one shard; failover needs one.
	Replicas int
	// AutomaticFailover promotes a replica when the primary fails; it needs at least
	// one replica (from config Cache.AutomaticFailover, required in production).
	AutomaticFailover bool
	// MultiAZ places the replicas in other AZs than the primary; it needs
	// AutomaticFailover (from config Cache.MultiAZ).
	MultiAZ bool

	SnapshotRetentionDays int    // 0 turns automatic snapshots off
	SnapshotWindow        string // e.g. "03:00-04:00", UTC
	MaintenanceWindow     string // e.g. "sun:05:00-sun:06:00", UTC
	// LogRetentionDays is how long the slow log is kept in CloudWatch Logs, in days:
	// one of config.LogRetentionDays (from config Cache.LogRetentionDays).
	LogRetentionDays int

	// LogsKey encrypts the log groups (logs.NewKey, in the stateful stack).
	LogsKey awskms.IKey
	// RemovalPolicy applies to the replication group (SNAPSHOT keeps a final
	// snapshot), its key, its secret and its logs.
	RemovalPolicy awscdk.RemovalPolicy
}

// Cache is the ElastiCache tier. Nothing can reach it until a later tier is allowed
// in through Connections().
type Cache struct {
	constructs.Construct
	Key              awskms.Key
	ReplicationGroup awselasticache.CfnReplicationGroup
	// AuthToken is the secret holding the AUTH token, a plain string.
	AuthToken awssecretsmanager.Secret
	// PrimaryEndpoint takes writes; ReaderEndpoint spreads reads over the replicas.
	PrimaryEndpoint *string
	ReaderEndpoint  *string
	Port            int
	SlowLog         awslogs.LogGroup
	Alarms          []awscloudwatch.Alarm

	connections awsec2.Connections
	nodes       int
}

// Connections controls who may connect: grant with AllowDefaultPortFrom.
func (c *Cache) Connections() awsec2.Connections { return c.connections }

// New creates the cache tier.
func New(scope constructs.Construct, id string, props Props) *Cache {
	this := constructs.NewConstruct(scope, jsii.String(id))
	c := &Cache{Construct: this, Port: Port, nodes: 1 + props.Replicas}
	c.Key = awskms.NewKey(this, jsii.String("Key"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the cache at rest and its snapshots"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     removal.Keep(props.RemovalPolicy),
	})
	c.addAuthToken(props)
	securityGroup := awsec2.NewSecurityGroup(this, jsii.String("SecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              props.Vpc,
		Description:      jsii.String("Cache nodes: no inbound rule until a tier is granted access"),
		AllowAllOutbound: jsii.Bool(false),
	})
	c.connections = awsec2.NewConnections(&awsec2.ConnectionsProps{
		SecurityGroups: &[]awsec2.ISecurityGroup{securityGroup},
		DefaultPort:    awsec2.Port_Tcp(jsii.Number(Port)),
	})
	c.SlowLog = logs.NewGroup(this, "SlowLog", logs.GroupProps{
		RetentionDays: props.LogRetentionDays,
		RemovalPolicy: props.RemovalPolicy,
		Key:           props.LogsKey,
	})
	c.addReplicationGroup(props, securityGroup)
	c.PrimaryEndpoint = c.ReplicationGroup.AttrPrimaryEndPointAddress()
	c.ReaderEndpoint = c.ReplicationGroup.AttrReaderEndPointAddress()
	c.addAlarms()
	return c
}

// authTokenLength is the AUTH token's length: ElastiCache allows 16 to 128
// printable characters but not @, ", / or space, so the token has no punctuation.
const authTokenLength = 64

// addAuthToken generates the AUTH token clients send after the TLS handshake.
func (c *Cache) addAuthToken(props Props) {
	c.AuthToken = awssecretsmanager.NewSecret(c.Construct, jsii.String("AuthToken"), &awssecretsmanager.SecretProps{
		Description:   jsii.String("AUTH token of the cache: clients send it after the TLS handshake"),
		EncryptionKey: props.SecretsKey,
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			PasswordLength:     jsii.Number(authTokenLength),
			ExcludePunctuation: jsii.Bool(true),
			IncludeSpace:       jsii.Bool(false),
		},
		RemovalPolicy: removal.Keep(props.RemovalPolicy),
	})
	checks.Suppress(c.AuthToken, checks.NIST+"SecretsManagerRotationEnabled",
		"ElastiCache has no hosted rotation for AUTH tokens; the README's 'Rotating the cache AUTH token' gives the both-tokens procedure.")
	checks.Suppress(c.AuthToken, "AwsSolutions-SMG4",
		"ElastiCache has no hosted rotation for AUTH tokens: a token is changed with modify-replication-group --auth-token-update-strategy ROTATE, then SET, while clients still hold the old one. The README's 'Rotating the cache AUTH token' gives the steps.")
}

// addReplicationGroup is the Valkey replication group (an L1 resource: the CDK
// has no L2 for it): TLS required, encrypted at rest with Key, AUTH from the
// secret by dynamic reference, slow log to CloudWatch, and LRU eviction.
func (c *Cache) addReplicationGroup(props Props, securityGroup awsec2.SecurityGroup) {
	subnets := awselasticache.NewCfnSubnetGroup(c.Construct, jsii.String("Subnets"), &awselasticache.CfnSubnetGroupProps{
		Description: jsii.String("Isolated data subnets of the cache"),
		SubnetIds:   subnetIDs(props.Vpc, props.Subnets),
	})
	parameters := awselasticache.NewCfnParameterGroup(c.Construct, jsii.String("Parameters"), &awselasticache.CfnParameterGroupProps{
		CacheParameterGroupFamily: jsii.String(family(props.EngineVersion)),
		Description:               jsii.String("A cache: evict the least recently used keys when memory is full"),
		Properties:                &map[string]*string{"maxmemory-policy": jsii.String("allkeys-lru")},
	})
	c.ReplicationGroup = awselasticache.NewCfnReplicationGroup(c.Construct, jsii.String("Resource"), &awselasticache.CfnReplicationGroupProps{
		ReplicationGroupDescription: jsii.String("Cache of the sample service (cache-aside)"),
		Engine:                      jsii.String("valkey"),
		EngineVersion:               jsii.String(props.EngineVersion),
		CacheNodeType:               jsii.String(props.NodeType),
		NumCacheClusters:            jsii.Number(c.nodes),
		AutomaticFailoverEnabled:    jsii.Bool(props.AutomaticFailover),
		MultiAzEnabled:              jsii.Bool(props.MultiAZ),
		CacheSubnetGroupName:        subnets.Ref(),
		CacheParameterGroupName:     parameters.Ref(),
		SecurityGroupIds:            jsii.Strings(*securityGroup.SecurityGroupId()),
		Port:                        jsii.Number(Port),
		TransitEncryptionEnabled:    jsii.Bool(true),
		TransitEncryptionMode:       jsii.String("required"),
		AtRestEncryptionEnabled:     jsii.Bool(true),
		KmsKeyId:                    c.Key.KeyArn(),
		// A dynamic reference: CloudFormation reads the token at deploy time, and the
		// template holds only {{resolve:secretsmanager:...}}.
		AuthToken:                  c.AuthToken.SecretValue().UnsafeUnwrap(),
		AutoMinorVersionUpgrade:    jsii.Bool(true),
		SnapshotRetentionLimit:     jsii.Number(props.SnapshotRetentionDays),
		SnapshotWindow:             jsii.String(props.SnapshotWindow),
		PreferredMaintenanceWindow: jsii.String(props.MaintenanceWindow),
		LogDeliveryConfigurations: []any{&awselasticache.CfnReplicationGroup_LogDeliveryConfigurationRequestProperty{
			LogType:         jsii.String("slow-log"),
			LogFormat:       jsii.String("json"),
			DestinationType: jsii.String("cloudwatch-logs"),
			DestinationDetails: &awselasticache.CfnReplicationGroup_DestinationDetailsProperty{
				CloudWatchLogsDetails: &awselasticache.CfnReplicationGroup_CloudWatchLogsDestinationDetailsProperty{
					LogGroup: c.SlowLog.LogGroupName(),
				},
			},
		}},
	})
	c.ReplicationGroup.ApplyRemovalPolicy(props.RemovalPolicy, nil)
	if !props.MultiAZ {
		checks.Suppress(c.ReplicationGroup, "AwsSolutions-AEC4",
			"This stage runs a cache without a replica in another AZ to keep its cost down; the service reads from the database while the cache is down, and Config.Validate requires automatic failover in production stages.")
	}
}

// family is the parameter-group family of a Valkey version: "8.1" → "valkey8".
func family(version string) string {
	return "valkey" + version[:1]
}

// subnetIDs lists the selected subnets as the L1 subnet group wants them.
func subnetIDs(vpc awsec2.IVpc, selection *awsec2.SubnetSelection) *[]any {
	var ids []any
	for _, id := range *vpc.SelectSubnets(selection).SubnetIds {
		ids = append(ids, id)
	}
	return &ids
}

// NodeMetrics returns one metric per node of the replication group, for dashboards.
func (c *Cache) NodeMetrics(name, statistic string) []awscloudwatch.IMetric {
	metrics := make([]awscloudwatch.IMetric, c.nodes)
	for node := 1; node <= c.nodes; node++ {
		metrics[node-1] = c.nodeMetric(name, node, statistic)
	}
	return metrics
}

// nodeMetric is one metric of one node: ElastiCache names the nodes of a
// replication group <id>-001, <id>-002, ...
func (c *Cache) nodeMetric(name string, node int, statistic string) awscloudwatch.Metric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:  jsii.String("AWS/ElastiCache"),
		MetricName: jsii.String(name),
		DimensionsMap: &map[string]*string{
			"CacheClusterId": awscdk.Fn_Join(jsii.String(""), jsii.Strings(*c.ReplicationGroup.Ref(), fmt.Sprintf("-%03d", node))),
		},
		Statistic: jsii.String(statistic),
		Period:    awscdk.Duration_Minutes(jsii.Number(5)),
	})
}
