// Package database builds the PostgreSQL tier: an encrypted primary for writes,
// read replicas spread over the AZs, and one private DNS name for reads.
package database

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/checks"
	"github.com/example/scalable-web/infra/logs"
	"github.com/example/scalable-web/infra/removal"
)

// Port is PostgreSQL's port. A non-default port hides nothing from anyone who can
// reach the database; the security group is what keeps everyone else out.
const Port = 5432

// ReaderRecord is the host name, inside the private zone, that spreads reads.
const ReaderRecord = "reader"

// Props configure the database tier. The stage configuration has validated them.
type Props struct {
	// Vpc is the network of the instances, their security groups, the rotation
	// functions and the private hosted zone; replicas spread over its AZs.
	Vpc awsec2.IVpc
	// SecretsKey encrypts the admin secret and every login's. Readers in other
	// stacks get explicit grants on it (see grant.ReadSecret), never the CDK's
	// grantRead, which would name them in this stack's key policy: a cycle.
	SecretsKey awskms.IKey
	// Subnets hold the instances: the isolated data subnets.
	Subnets *awsec2.SubnetSelection
	// RotationSubnets hold the secret-rotation function, which must reach the
	// Secrets Manager API: subnets with a route out.
	RotationSubnets *awsec2.SubnetSelection
	// ZoneName is the private hosted zone of the reader name, e.g. "shop-dev.internal".
	ZoneName string
	// DatabaseName is the database created on the primary.
	DatabaseName string

	EngineVersion string // e.g. "17.9"
	InstanceClass string // e.g. "db.t4g.micro"; replicas use the same class
	// MemoryGiB is InstanceClass's memory in GiB (config.DatabaseInstanceClasses); it
	// sizes the free-memory and connection-count alarms.
	MemoryGiB float64
	// MultiAZ keeps a synchronous standby of the primary in another AZ (from config
	// Database.MultiAZ, required in production).
	MultiAZ bool
	// Replicas is the number of read replicas, 0 to 5 (from config Database.Replicas,
	// at least 2 in production); 0 points the reader name at the primary.
	Replicas int

	// AllocatedStorageGiB is the primary's initial gp3 storage in GiB, 20 to 65536; the
	// free-storage alarms fire below 10% of it.
	AllocatedStorageGiB int
	// MaxAllocatedStorageGiB is the ceiling, in GiB, up to which storage autoscaling
	// grows: at least 10% above AllocatedStorageGiB, up to 65536.
	MaxAllocatedStorageGiB int
	// BackupRetentionDays is how many days the primary's automated backups (and so
	// point-in-time recovery) reach back, 1 to 35: replicas need backups on the primary.
	BackupRetentionDays int
	// DeletionProtection stops the primary and the replicas from being deleted until it
	// is turned off (from config Database.DeletionProtection, required in production).
	DeletionProtection bool

	// PerformanceInsights turns Performance Insights on for every instance, its data
	// encrypted with the tier's key (from config Database.PerformanceInsights).
	PerformanceInsights       bool
	MonitoringIntervalSeconds int // 0 turns enhanced monitoring off
	// LogRetentionDays is how long, in days, the postgresql and upgrade logs exported to
	// CloudWatch Logs are kept: one of config.LogRetentionDays.
	LogRetentionDays int
	// SlowQueryMillis is log_min_duration_statement: statements slower than this many
	// milliseconds are logged, 0 to 600000 (0 logs every statement).
	SlowQueryMillis int
	// RotationDays is how many days pass between rotations of the admin secret and of
	// every login's, 1 to 365 (from config Database.SecretRotationDays).
	RotationDays int
	// Logins are the components' users, by the role each is a member of: each gets
	// a secret of its own, rotated with alternating users.
	Logins map[string]string

	// ReplicaLagAlarmSeconds is the replica lag that raises an alarm.
	ReplicaLagAlarmSeconds int
	// BackupWindow is the primary's daily backup window, "hh:mm-hh:mm" in UTC, at
	// least an hour long (from config Database.BackupWindow).
	BackupWindow string
	// MaintenanceWindow is every instance's weekly maintenance window,
	// "ddd:hh:mm-ddd:hh:mm" in UTC, at least an hour, not overlapping BackupWindow.
	MaintenanceWindow string

	// SecretReplicas are the regions, each with a key of its own, the admin
	// secret and every login's are replicated to, so a standby region's components
	// read the same credentials, rotations included; nil for none.
	SecretReplicas *[]*awssecretsmanager.ReplicaRegion

	// RemovalPolicy applies to the primary, its key and its logs. Replicas hold no
	// data of their own and are always deleted with the stack.
	RemovalPolicy awscdk.RemovalPolicy
}

// Database is the PostgreSQL tier. Nothing can reach it until a later tier is
// allowed in through Connections().
type Database struct {
	constructs.Construct
	Key      awskms.Key
	Primary  awsrds.DatabaseInstance
	Replicas []awsrds.DatabaseInstanceReadReplica
	// Secret holds the admin credentials (username, password, host, port, dbname).
	Secret awssecretsmanager.ISecret
	// Logins hold each component's credentials, by role (Props.Logins).
	Logins map[string]awssecretsmanager.ISecret
	Zone   awsroute53.PrivateHostedZone
	// WriterEndpoint is the primary's host name; ReaderName spreads reads over the
	// replicas, or names the primary when there are none.
	WriterEndpoint *string
	ReaderName     string
	Port           int
	Alarms         []awscloudwatch.Alarm

	securityGroup awsec2.SecurityGroup
}

// Connections controls who may connect: grant with AllowDefaultPortFrom.
func (d *Database) Connections() awsec2.Connections {
	if d.Primary == nil { // a standby region's cross-region replica
		return d.Replicas[0].Connections()
	}
	return d.Primary.Connections()
}

// New creates the database tier.
func New(scope constructs.Construct, id string, props Props) *Database {
	d, engine := newTier(scope, id, props,
		"Encrypts the database storage and its Performance Insights data",
		"PostgreSQL primary and replicas: no inbound rule until a tier is granted access")
	shared := d.sharedOptions(props, engine)

	d.addPrimary(props, engine, shared)
	d.addRotations(props)
	checks.Suppress(d.Primary, checks.NIST+"RDSInBackupPlan",
		"RDS automated backups with point-in-time recovery for BackupRetentionDays (7 to 30 by stage) and a final snapshot on delete; an AWS Backup plan (cross-account or cross-region copies) is the step to add for a compliance regime that needs vaulted copies.")
	for i := range props.Replicas {
		d.addReplica(i+1, props, shared)
	}
	d.suppress(props)

	d.Zone = awsroute53.NewPrivateHostedZone(d.Construct, jsii.String("Zone"), &awsroute53.PrivateHostedZoneProps{
		ZoneName: jsii.String(props.ZoneName),
		Vpc:      props.Vpc,
		Comment:  jsii.String("Private names of the data tier"),
	})
	d.ReaderName = ReaderRecord + "." + props.ZoneName
	d.addReaderRecords()
	d.addAlarms(props)
	return d
}

// newTier starts a data tier: its construct, its key (rotated, kept with the
// data) and its security group (no rule in until a tier is granted), and the
// engine of props' version.
func newTier(scope constructs.Construct, id string, props Props, keyDescription, groupDescription string) (*Database, awsrds.IInstanceEngine) {
	this := constructs.NewConstruct(scope, jsii.String(id))
	d := &Database{Construct: this, Port: Port, Logins: map[string]awssecretsmanager.ISecret{}}
	d.Key = awskms.NewKey(this, jsii.String("Key"), &awskms.KeyProps{
		Description:       jsii.String(keyDescription),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     removal.Keep(props.RemovalPolicy),
	})
	d.securityGroup = awsec2.NewSecurityGroup(this, jsii.String("SecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              props.Vpc,
		Description:      jsii.String(groupDescription),
		AllowAllOutbound: jsii.Bool(false),
	})
	engine := awsrds.DatabaseInstanceEngine_Postgres(&awsrds.PostgresInstanceEngineProps{
		Version: awsrds.PostgresEngineVersion_Of(jsii.String(props.EngineVersion), jsii.String(majorVersion(props.EngineVersion)), nil),
	})
	return d, engine
}

// sharedOptions are the options the primary and every replica have in common,
// written once. The CDK's DatabaseInstanceProps and DatabaseInstanceReadReplicaProps
// both extend DatabaseInstanceNewProps; Go's bindings flatten them into separate
// structs, so withShared copies these onto each, field by field.
func (d *Database) sharedOptions(props Props, engine awsrds.IInstanceEngine) awsrds.DatabaseInstanceNewProps {
	o := awsrds.DatabaseInstanceNewProps{
		Vpc:                     props.Vpc,
		VpcSubnets:              props.Subnets,
		StorageType:             awsrds.StorageType_GP3,
		MaxAllocatedStorage:     jsii.Number(props.MaxAllocatedStorageGiB),
		DeletionProtection:      jsii.Bool(props.DeletionProtection),
		SecurityGroups:          &[]awsec2.ISecurityGroup{d.securityGroup},
		ParameterGroup:          d.newParameters(props, engine),
		PubliclyAccessible:      jsii.Bool(false),
		AutoMinorVersionUpgrade: jsii.Bool(true),
		// Performance Insights data is encrypted with the storage's key.
		EnablePerformanceInsights:  jsii.Bool(props.PerformanceInsights),
		CloudwatchLogsExports:      jsii.Strings("postgresql", "upgrade"),
		CloudwatchLogsRetention:    logs.Retention(props.LogRetentionDays),
		PreferredMaintenanceWindow: jsii.String(props.MaintenanceWindow),
		Port:                       jsii.Number(Port),
	}
	if props.PerformanceInsights {
		o.PerformanceInsightEncryptionKey = d.Key
	}
	if props.MonitoringIntervalSeconds > 0 {
		o.MonitoringInterval = awscdk.Duration_Seconds(jsii.Number(props.MonitoringIntervalSeconds))
		o.MonitoringRole = d.newMonitoringRole()
	}
	return o
}

// withShared sets every option of shared that is set onto props, a pointer to a
// struct with the same field names (the primary's or a replica's props).
func withShared(props any, shared awsrds.DatabaseInstanceNewProps) {
	dst, src := reflect.ValueOf(props).Elem(), reflect.ValueOf(shared)
	for i := range src.NumField() {
		if value := src.Field(i); !value.IsZero() {
			dst.FieldByName(src.Type().Field(i).Name).Set(value)
		}
	}
}

// newParameters forces TLS and logs slow statements and lock waits.
func (d *Database) newParameters(props Props, engine awsrds.IInstanceEngine) awsrds.ParameterGroup {
	return awsrds.NewParameterGroup(d.Construct, jsii.String("Parameters"), &awsrds.ParameterGroupProps{
		Engine:      engine,
		Description: jsii.String("TLS only, slow queries and lock waits logged"),
		Parameters: &map[string]*string{
			"rds.force_ssl":              jsii.String("1"),
			"log_min_duration_statement": jsii.String(strconv.Itoa(props.SlowQueryMillis)),
			"log_lock_waits":             jsii.String("1"),
		},
	})
}

// instanceType is the class without RDS's "db." prefix, as the CDK takes it.
func instanceType(class string) awsec2.InstanceType {
	return awsec2.NewInstanceType(jsii.String(strings.TrimPrefix(class, "db.")))
}

// addPrimary creates the encrypted primary with the admin credentials, generated
// by Secrets Manager at deploy time. The secret stays as long as the data does: a
// retained database needs its password.
func (d *Database) addPrimary(props Props, engine awsrds.IInstanceEngine, shared awsrds.DatabaseInstanceNewProps) {
	secret := awsrds.NewDatabaseSecret(d.Construct, jsii.String("Secret"), &awsrds.DatabaseSecretProps{
		Username:       jsii.String("dbadmin"),
		EncryptionKey:  props.SecretsKey,
		ReplicaRegions: props.SecretReplicas,
	})
	secret.ApplyRemovalPolicy(removal.Keep(props.RemovalPolicy))
	primary := &awsrds.DatabaseInstanceProps{
		Engine:       engine,
		InstanceType: instanceType(props.InstanceClass),
		// No manageMasterUserPassword: RDS does not support it with read replicas.
		Credentials:           awsrds.Credentials_FromSecret(secret, nil),
		DatabaseName:          jsii.String(props.DatabaseName),
		MultiAz:               jsii.Bool(props.MultiAZ),
		AllocatedStorage:      jsii.Number(props.AllocatedStorageGiB),
		StorageEncrypted:      jsii.Bool(true),
		StorageEncryptionKey:  d.Key,
		BackupRetention:       awscdk.Duration_Days(jsii.Number(props.BackupRetentionDays)),
		CopyTagsToSnapshot:    jsii.Bool(true),
		RemovalPolicy:         props.RemovalPolicy,
		PreferredBackupWindow: jsii.String(props.BackupWindow),
	}
	withShared(primary, shared)
	d.Primary = awsrds.NewDatabaseInstance(d.Construct, jsii.String("Primary"), primary)
	d.Secret = d.Primary.Secret()
	d.WriterEndpoint = d.Primary.DbInstanceEndpointAddress()
}

// addRotations rotates the admin secret (single user) and each component's login
// (alternating users). The rotation functions reach the Secrets Manager API over
// HTTPS and the database on its port (the CDK adds that rule through
// Connections), nothing else.
func (d *Database) addRotations(props Props) {
	rotation := awsec2.NewSecurityGroup(d.Construct, jsii.String("RotationSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              props.Vpc,
		Description:      jsii.String("Secret rotation function: HTTPS to Secrets Manager, PostgreSQL to the primary"),
		AllowAllOutbound: jsii.Bool(false),
	})
	rotation.AddEgressRule(awsec2.Peer_AnyIpv4(), awsec2.Port_Tcp(jsii.Number(443)), jsii.String("Secrets Manager API through NAT"), nil)
	d.Primary.AddRotationSingleUser(&awsrds.RotationSingleUserOptions{
		AutomaticallyAfter: awscdk.Duration_Days(jsii.Number(props.RotationDays)),
		VpcSubnets:         props.RotationSubnets,
		SecurityGroup:      rotation,
	})
	for _, role := range slices.Sorted(maps.Keys(props.Logins)) {
		d.Logins[role] = d.addLogin(role, props.Logins[role], props, rotation)
	}
}

// addReplica creates read replica n, in the AZ n after the primary's preferred one.
func (d *Database) addReplica(n int, props Props, shared awsrds.DatabaseInstanceNewProps) {
	azs := *props.Vpc.AvailabilityZones()
	replica := &awsrds.DatabaseInstanceReadReplicaProps{
		SourceDatabaseInstance: d.Primary,
		InstanceType:           instanceType(props.InstanceClass),
		AvailabilityZone:       azs[n%len(azs)],
		// No StorageEncrypted or key: a replica in the source's region is encrypted
		// with the source's key, and CloudFormation rejects StorageEncrypted on a
		// replica (F3020). Replicas hold no data of their own: always deleted.
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	}
	withShared(replica, shared)
	r := awsrds.NewDatabaseInstanceReadReplica(d.Construct, jsii.String(fmt.Sprintf("Replica%d", n)), replica)
	d.Replicas = append(d.Replicas, r)
	checks.Suppress(r, checks.NIST+"RDSStorageEncrypted",
		"Encrypted with the source's KMS key (a replica in its source's region always is); CloudFormation rejects StorageEncrypted on a replica.")
	checks.Suppress(r, checks.NIST+"RDSMultiAZSupport",
		"Read replicas are spread over the AZs and serve reads only; a lost one leaves its reads to the others and the service falls back to the primary, which is Multi-AZ in production stages.")
	checks.Suppress(r, checks.NIST+"RDSInBackupPlan",
		"A read replica cannot be backed up (RDS backs up the primary); it is rebuilt from the primary.")
	checks.Suppress(r, "AwsSolutions-RDS2",
		"Encrypted: a read replica in its source's region is encrypted with the source's KMS key (this construct's Key); CloudFormation rejects StorageEncrypted on a replica.")
	checks.Suppress(r, "AwsSolutions-RDS3",
		"Read replicas scale reads and are spread over the AZs; the reader name leaves a lost replica to the others and the service falls back to the primary. The primary is Multi-AZ where the stage needs it (every production stage, by validation).")
}

// addLogin makes a component's secret: its own user, made a member of role by the
// deploy-time migration. It rotates with alternating users: the rotation makes
// user_clone (a member of user) current with a new password, and the previous
// user keeps working until the next rotation, so a client holding the old
// password for a while never fails; the master secret is what sets them.
func (d *Database) addLogin(role, username string, props Props, rotation awsec2.ISecurityGroup) awssecretsmanager.ISecret {
	id := LoginID(role)
	secret := awsrds.NewDatabaseSecret(d.Construct, jsii.String(id), &awsrds.DatabaseSecretProps{
		Username:       jsii.String(username),
		MasterSecret:   d.Secret,
		EncryptionKey:  props.SecretsKey,
		ReplicaRegions: props.SecretReplicas,
	})
	secret.ApplyRemovalPolicy(removal.Keep(props.RemovalPolicy))
	attached := secret.Attach(d.Primary) // adds host, port, dbname and engine
	d.Primary.AddRotationMultiUser(jsii.String(id+"Rotation"), &awsrds.RotationMultiUserOptions{
		Secret:             attached,
		AutomaticallyAfter: awscdk.Duration_Days(jsii.Number(props.RotationDays)),
		VpcSubnets:         props.RotationSubnets,
		SecurityGroup:      rotation,
	})
	return attached
}

// LoginID is the construct ID of a role's login secret, e.g. "ShopServiceLogin".
func LoginID(role string) string {
	var id strings.Builder
	for _, word := range strings.Split(role, "_") {
		if word != "" {
			id.WriteString(strings.ToUpper(word[:1]) + word[1:])
		}
	}
	return id.String() + "Login"
}

// newMonitoringRole is the one role enhanced monitoring uses for every instance.
func (d *Database) newMonitoringRole() awsiam.Role {
	role := awsiam.NewRole(d.Construct, jsii.String("MonitoringRole"), &awsiam.RoleProps{
		AssumedBy:       awsiam.NewServicePrincipal(jsii.String("monitoring.rds.amazonaws.com"), nil),
		Description:     jsii.String("Lets RDS enhanced monitoring publish OS metrics of the instances"),
		ManagedPolicies: &[]awsiam.IManagedPolicy{awsiam.ManagedPolicy_FromAwsManagedPolicyName(jsii.String("service-role/AmazonRDSEnhancedMonitoringRole"))},
	})
	checks.Suppress(role, "AwsSolutions-IAM4",
		"AmazonRDSEnhancedMonitoringRole is the service-role policy AWS documents for enhanced monitoring: it allows only writing to the RDSOSMetrics log group, and AWS keeps it current.",
		"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole")
	return role
}

// suppress records the AwsSolutions rules this tier breaks on purpose.
func (d *Database) suppress(props Props) {
	for _, instance := range d.instances() {
		checks.Suppress(instance, "AwsSolutions-RDS11",
			"PostgreSQL keeps its default port 5432: a different port hides nothing from a scanner inside the VPC, and the security group admits only the tiers granted through Connections().")
	}
	if !props.MultiAZ {
		checks.Suppress(d.Primary, "AwsSolutions-RDS3",
			"This stage runs a single-AZ primary to keep its cost down; Config.Validate requires Multi-AZ in production stages.")
	}
	if !props.DeletionProtection {
		for _, instance := range d.instances() {
			checks.Suppress(instance, "AwsSolutions-RDS10",
				"This stage is meant to be torn down with make destroy; Config.Validate requires deletion protection in production stages.")
		}
	}
	d.suppressLogRetention()
}

// suppressLogRetention records why the CDK's stack-wide LogRetention function,
// which sets the retention of the log groups RDS creates itself (their names are
// known only once RDS has made them), has the grants it has.
func (d *Database) suppressLogRetention() {
	if fn := awscdk.Stack_Of(d.Construct).Node().TryFindChild(jsii.String(logRetentionFunction)); fn != nil {
		checks.Suppress(fn, "AwsSolutions-IAM4",
			"The CDK's LogRetention function logs through AWSLambdaBasicExecutionRole (CreateLogGroup/CreateLogStream/PutLogEvents), the policy AWS documents for a Lambda's own logs.",
			"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
		checks.Suppress(fn, "AwsSolutions-IAM5",
			"The CDK's LogRetention function sets retention on the /aws/rds/instance/<id>/* log groups, which RDS creates with names known only after deploy; it can do nothing but logs:PutRetentionPolicy/DeleteRetentionPolicy.",
			"Resource::*")
	}
}

// logRetentionFunction is the construct ID of the CDK's stack-wide LogRetention function.
const logRetentionFunction = "LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a"

func (d *Database) instances() []constructs.IConstruct {
	out := []constructs.IConstruct{d.Primary}
	for _, r := range d.Replicas {
		out = append(out, r)
	}
	return out
}

// readerTTL is short so that a new replica takes its share of new connections soon.
const readerTTL = 10

// addReaderRecords points the reader name at every replica with equal weights, so
// each lookup picks one at random, or at the primary when there are no replicas.
func (d *Database) addReaderRecords() {
	if len(d.Replicas) == 0 {
		awsroute53.NewCnameRecord(d.Construct, jsii.String("Reader"), &awsroute53.CnameRecordProps{
			Zone:       d.Zone,
			RecordName: jsii.String(ReaderRecord),
			DomainName: d.WriterEndpoint,
			Ttl:        awscdk.Duration_Seconds(jsii.Number(readerTTL)),
			Comment:    jsii.String("No replicas in this stage: reads go to the primary"),
		})
		return
	}
	for i, replica := range d.Replicas {
		awsroute53.NewCnameRecord(d.Construct, jsii.String(fmt.Sprintf("Reader%d", i+1)), &awsroute53.CnameRecordProps{
			Zone:          d.Zone,
			RecordName:    jsii.String(ReaderRecord),
			DomainName:    replica.DbInstanceEndpointAddress(),
			Ttl:           awscdk.Duration_Seconds(jsii.Number(readerTTL)),
			Weight:        jsii.Number(1),
			SetIdentifier: jsii.String(fmt.Sprintf("replica-%d", i+1)),
		})
	}
}

func majorVersion(version string) string {
	major, _, _ := strings.Cut(version, ".")
	return major
}

// CrossRegionRecord is the host name, inside the standby region's private zone,
// that the standby's writers connect to: its cross-region replica, read-only until
// a failover promotes it, writable after, under the same name.
const CrossRegionRecord = "writer"

// NewCrossRegionReplica creates the data tier of a standby region: an encrypted
// read replica of source, the primary in another region, with a key, parameter
// group (TLS only), logs and monitoring of this region, and a private zone whose
// writer and reader names both point at it. sourceArn is the primary's ARN,
// read from its stack's outputs, in sourceRegion. It can be promoted to a
// standalone primary (make failover). props gives the settings the primary and replicas
// share (the instance class, storage ceiling, Performance Insights, monitoring,
// logs, maintenance window, deletion protection and lag alarm); the
// primary's own (Multi-AZ, backups, logins, rotation, replicas) stay with it.
func NewCrossRegionReplica(scope constructs.Construct, id string, props Props, sourceArn *string, sourceRegion string) *Database {
	d, engine := newTier(scope, id, props,
		"Encrypts the cross-region replica's storage and its Performance Insights data: a replica in another region needs a key of its own region",
		"PostgreSQL cross-region replica: no inbound rule until a tier is granted access")
	this := d.Construct
	// The CDK's replica takes its source as a construct, and uses only its ARN and
	// engine: one imported here stands for the primary of the other region, and its
	// ARN, which the import would build in this region, is replaced below.
	source := awsrds.DatabaseInstance_FromDatabaseInstanceAttributes(this, jsii.String("Source"), &awsrds.DatabaseInstanceAttributes{
		InstanceIdentifier:      jsii.String("primary-region-source"),
		InstanceEndpointAddress: jsii.String("primary-region-source"),
		Port:                    jsii.Number(Port),
		SecurityGroups:          &[]awsec2.ISecurityGroup{},
		Engine:                  engine,
	})
	replica := &awsrds.DatabaseInstanceReadReplicaProps{
		SourceDatabaseInstance: source,
		InstanceType:           instanceType(props.InstanceClass),
		StorageEncryptionKey:   d.Key,
		// Promoted, it holds the data: it is kept as the primary would be.
		RemovalPolicy: props.RemovalPolicy,
	}
	withShared(replica, d.sharedOptions(props, engine))
	r := awsrds.NewDatabaseInstanceReadReplica(this, jsii.String("Replica"), replica)
	cfn := r.Node().DefaultChild().(awsrds.CfnDBInstance)
	cfn.AddPropertyOverride(jsii.String("SourceDBInstanceIdentifier"), sourceArn)
	cfn.AddPropertyOverride(jsii.String("SourceRegion"), sourceRegion)
	// Encrypted by KmsKeyId, a key of this region; CloudFormation rejects
	// StorageEncrypted on a replica (F3020), which the CDK sets with the key.
	cfn.AddPropertyDeletionOverride(jsii.String("StorageEncrypted"))
	d.Replicas = []awsrds.DatabaseInstanceReadReplica{r}
	d.WriterEndpoint = r.DbInstanceEndpointAddress()
	d.suppressCrossRegion(props, r)

	d.Zone = awsroute53.NewPrivateHostedZone(this, jsii.String("Zone"), &awsroute53.PrivateHostedZoneProps{
		ZoneName: jsii.String(props.ZoneName),
		Vpc:      props.Vpc,
		Comment:  jsii.String("Private names of the standby region's data tier"),
	})
	d.ReaderName = ReaderRecord + "." + props.ZoneName
	for _, name := range []string{CrossRegionRecord, ReaderRecord} {
		awsroute53.NewCnameRecord(this, jsii.String(strings.ToUpper(name[:1])+name[1:]), &awsroute53.CnameRecordProps{
			Zone:       d.Zone,
			RecordName: jsii.String(name),
			DomainName: d.WriterEndpoint,
			Ttl:        awscdk.Duration_Seconds(jsii.Number(readerTTL)),
			Comment:    jsii.String("The cross-region replica: read-only until a failover promotes it"),
		})
	}
	d.watch("CrossRegionReplica", r, props, fmt.Sprintf("CrossRegionReplica: more than %ds behind the primary region; a failover now would lose that much", props.ReplicaLagAlarmSeconds))
	return d
}

// suppressCrossRegion records the AwsSolutions and NIST rules the cross-region
// replica breaks on purpose.
func (d *Database) suppressCrossRegion(props Props, r awsrds.DatabaseInstanceReadReplica) {
	checks.Suppress(r, "AwsSolutions-RDS11",
		"PostgreSQL keeps its default port 5432: a different port hides nothing from a scanner inside the VPC, and the security group admits only the tiers granted through Connections().")
	checks.Suppress(r, "AwsSolutions-RDS3",
		"A cross-region read replica cannot be Multi-AZ while it replicates; once a failover promotes it, Multi-AZ is the first change the runbook makes.")
	checks.Suppress(r, checks.NIST+"RDSMultiAZSupport",
		"A cross-region read replica cannot be Multi-AZ while it replicates; once a failover promotes it, Multi-AZ is the first change the runbook makes.")
	checks.Suppress(r, checks.NIST+"RDSInBackupPlan",
		"A read replica cannot be backed up while it replicates (RDS backs up its source); once promoted it takes automated backups like any primary.")
	if !props.DeletionProtection {
		checks.Suppress(r, "AwsSolutions-RDS10",
			"This stage is meant to be torn down with make destroy; Config.Validate requires deletion protection in production stages.")
	}
	d.suppressLogRetention()
}
