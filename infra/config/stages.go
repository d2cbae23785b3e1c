package config

// project, owner and costCentre tag every resource of every stage: change them when you fork.
const (
	project    = "shop"
	owner      = "platform-team"
	costCentre = "cc-0000"
)

// Versions and maintenance windows (UTC) shared by every stage.
const (
	postgresVersion        = "17.9"
	valkeyVersion          = "8.1"
	dbBackupWindow         = "02:00-03:00"
	dbMaintenanceWindow    = "sun:04:00-sun:05:00"
	cacheSnapshotWindow    = "03:00-04:00"
	cacheMaintenanceWindow = "sun:05:00-sun:06:00"
)

// stages are the deployment stages, in promotion order. Config values are copied on
// use, so ForStage callers may change what they get without touching these.
var stages = []Config{
	{
		Stage:              "dev",
		Prefix:             "shop-dev",
		BootstrapQualifier: "shopdev",
		Tags:               Tags{Project: project, Owner: owner, CostCentre: costCentre},
		RemovalPolicy:      Destroy,
		Network: Network{
			CIDR:                 "10.10.0.0/16",
			AZs:                  2,
			NATGateways:          1,
			FlowLogRetentionDays: 14,
		},
		// A founder can leave dev running: the smallest instances, no standby, no
		// replica (the reader name points at the primary), no cache replica.
		Database: Database{
			EngineVersion:             postgresVersion,
			InstanceClass:             "db.t4g.micro",
			MultiAZ:                   false,
			Replicas:                  0,
			AllocatedStorageGiB:       20,
			MaxAllocatedStorageGiB:    100,
			BackupRetentionDays:       1,
			DeletionProtection:        false,
			PerformanceInsights:       false,
			MonitoringIntervalSeconds: 0,
			LogRetentionDays:          14,
			SlowQueryMillis:           500,
			SecretRotationDays:        30,
			ReplicaLagAlarmSeconds:    30,
			BackupWindow:              dbBackupWindow,
			MaintenanceWindow:         dbMaintenanceWindow,
		},
		Cache: Cache{
			EngineVersion:         valkeyVersion,
			NodeType:              "cache.t4g.micro",
			Replicas:              0,
			AutomaticFailover:     false,
			MultiAZ:               false,
			SnapshotRetentionDays: 1,
			LogRetentionDays:      14,
			SnapshotWindow:        cacheSnapshotWindow,
			MaintenanceWindow:     cacheMaintenanceWindow,
		},
		Storage: Storage{AccessLogRetentionDays: 30, DataRetentionDays: 30, NoncurrentVersionDays: 1},
		Messaging: Messaging{
			MaxReceiveCount:           3,
			ConsumerTimeoutSeconds:    30,
			ConsumerConcurrency:       2,
			OldestMessageAlarmSeconds: 300,
			LogRetentionDays:          14,
			SenderEmail:               "",
		},
		Report: Report{
			Schedule:      "cron(0 2 * * ? *)",
			TimeZone:      "UTC",
			RetryAttempts: 3,
			Emails:        nil,
		},
		Web: Web{
			InstanceType:               "t4g.small",
			MinCapacity:                1,
			MaxCapacity:                2,
			CPUTargetPercent:           60,
			RequestsPerTargetPerMinute: 6000,
			DrainSeconds:               20,
			P99LatencyAlarmMillis:      500,
			LogRetentionDays:           14,
			CacheTTLSeconds:            300,
		},
		API: API{
			RateLimit:          20,
			BurstLimit:         10,
			OrdersRateLimit:    5,
			OrdersBurstLimit:   5,
			PaymentURL:         "",
			LogRetentionDays:   14,
			LatencyAlarmMillis: 1000,
		},
		// No domain: the site is served on CloudFront's own name. See the README's
		// "Add your domain" to set Domain, HostedZoneID and HostedZoneName.
		Edge: Edge{
			PriceClass:                    "100",
			RateLimit:                     100,
			RateLimitWindowSeconds:        60,
			SessionRateLimit:              100,
			SessionRateLimitWindowSeconds: 60,
			LogRetentionDays:              14,
		},
		// Who hears about alarms: add your on-call addresses before you deploy.
		Ops: Ops{AlarmEmails: nil, AlarmHTTPSEndpoints: nil, Tracing: false},
		// The stages share one account by default: dev creates GitHub's OIDC provider
		// and the others use it. A stage in an account of its own sets it to true.
		Delivery: Delivery{CreateOIDCProvider: true},
	},
	{
		Stage:              "staging",
		Prefix:             "shop-staging",
		BootstrapQualifier: "shopstg",
		Tags:               Tags{Project: project, Owner: owner, CostCentre: costCentre},
		RemovalPolicy:      Snapshot,
		Network: Network{
			CIDR:                 "10.20.0.0/16",
			AZs:                  2,
			NATGateways:          1,
			FlowLogRetentionDays: 90,
		},
		// Staging rehearses prod's shape at a smaller size: one replica, failover on.
		Database: Database{
			EngineVersion:             postgresVersion,
			InstanceClass:             "db.t4g.medium",
			MultiAZ:                   true,
			Replicas:                  1,
			AllocatedStorageGiB:       20,
			MaxAllocatedStorageGiB:    200,
			BackupRetentionDays:       7,
			DeletionProtection:        false,
			PerformanceInsights:       true,
			MonitoringIntervalSeconds: 60,
			LogRetentionDays:          90,
			SlowQueryMillis:           500,
			SecretRotationDays:        30,
			ReplicaLagAlarmSeconds:    30,
			BackupWindow:              dbBackupWindow,
			MaintenanceWindow:         dbMaintenanceWindow,
		},
		Cache: Cache{
			EngineVersion:         valkeyVersion,
			NodeType:              "cache.t4g.small",
			Replicas:              1,
			AutomaticFailover:     true,
			MultiAZ:               true,
			SnapshotRetentionDays: 3,
			LogRetentionDays:      90,
			SnapshotWindow:        cacheSnapshotWindow,
			MaintenanceWindow:     cacheMaintenanceWindow,
		},
		Storage: Storage{AccessLogRetentionDays: 90, DataRetentionDays: 90, NoncurrentVersionDays: 7},
		Messaging: Messaging{
			MaxReceiveCount:           3,
			ConsumerTimeoutSeconds:    30,
			ConsumerConcurrency:       5,
			OldestMessageAlarmSeconds: 300,
			LogRetentionDays:          90,
			SenderEmail:               "",
		},
		Report: Report{
			Schedule:      "cron(0 2 * * ? *)",
			TimeZone:      "UTC",
			RetryAttempts: 3,
			Emails:        nil,
		},
		Web: Web{
			InstanceType:               "t4g.small",
			MinCapacity:                2,
			MaxCapacity:                4,
			CPUTargetPercent:           60,
			RequestsPerTargetPerMinute: 6000,
			DrainSeconds:               20,
			P99LatencyAlarmMillis:      500,
			LogRetentionDays:           90,
			CacheTTLSeconds:            300,
		},
		API: API{
			RateLimit:          50,
			BurstLimit:         100,
			OrdersRateLimit:    10,
			OrdersBurstLimit:   20,
			PaymentURL:         "",
			LogRetentionDays:   90,
			LatencyAlarmMillis: 1000,
		},
		Edge: Edge{
			PriceClass:                    "100",
			RateLimit:                     100,
			RateLimitWindowSeconds:        60,
			SessionRateLimit:              100,
			SessionRateLimitWindowSeconds: 60,
			LogRetentionDays:              90,
		},
		Ops:      Ops{AlarmEmails: nil, AlarmHTTPSEndpoints: nil, Tracing: true},
		Delivery: Delivery{CreateOIDCProvider: false},
	},
	{
		Stage:      "prod",
		Production: true,
		// Two regions: the stacks run in us-east-1 and a warm standby in us-west-2
		// (make failover switches them). Set Secondary to Secondary{} for one region.
		Region:                "us-east-1",
		Secondary:             Secondary{Region: "us-west-2", CIDR: "10.31.0.0/16", MinCapacity: 1, FailoverMaxLagSeconds: 60},
		Prefix:                "shop-prod",
		BootstrapQualifier:    "shopprod",
		Tags:                  Tags{Project: project, Owner: owner, CostCentre: costCentre},
		TerminationProtection: true,
		RemovalPolicy:         Retain,
		Network: Network{
			CIDR:                 "10.30.0.0/16",
			AZs:                  3,
			NATGateways:          3,
			FlowLogRetentionDays: 365,
		},
		Database: Database{
			EngineVersion:             postgresVersion,
			InstanceClass:             "db.m7g.large",
			MultiAZ:                   true,
			Replicas:                  2,
			AllocatedStorageGiB:       100,
			MaxAllocatedStorageGiB:    1000,
			BackupRetentionDays:       30,
			DeletionProtection:        true,
			PerformanceInsights:       true,
			MonitoringIntervalSeconds: 15,
			LogRetentionDays:          365,
			SlowQueryMillis:           250,
			SecretRotationDays:        30,
			ReplicaLagAlarmSeconds:    30,
			BackupWindow:              dbBackupWindow,
			MaintenanceWindow:         dbMaintenanceWindow,
		},
		Cache: Cache{
			EngineVersion:         valkeyVersion,
			NodeType:              "cache.m7g.large",
			Replicas:              2,
			AutomaticFailover:     true,
			MultiAZ:               true,
			SnapshotRetentionDays: 15,
			LogRetentionDays:      365,
			SnapshotWindow:        cacheSnapshotWindow,
			MaintenanceWindow:     cacheMaintenanceWindow,
		},
		Storage: Storage{AccessLogRetentionDays: 365, DataRetentionDays: 730, NoncurrentVersionDays: 30},
		Messaging: Messaging{
			MaxReceiveCount:           3,
			ConsumerTimeoutSeconds:    30,
			ConsumerConcurrency:       20,
			OldestMessageAlarmSeconds: 300,
			LogRetentionDays:          365,
			SenderEmail:               "",
		},
		Report: Report{
			Schedule:      "cron(0 2 * * ? *)",
			TimeZone:      "UTC",
			RetryAttempts: 3,
			Emails:        nil,
		},
		Web: Web{
			InstanceType:               "c7g.large",
			MinCapacity:                3,
			MaxCapacity:                12,
			CPUTargetPercent:           60,
			RequestsPerTargetPerMinute: 6000,
			DrainSeconds:               20,
			P99LatencyAlarmMillis:      500,
			LogRetentionDays:           365,
			CacheTTLSeconds:            300,
			DeletionProtection:         true,
		},
		API: API{
			RateLimit:          500,
			BurstLimit:         1000,
			OrdersRateLimit:    50,
			OrdersBurstLimit:   100,
			PaymentURL:         "",
			LogRetentionDays:   365,
			LatencyAlarmMillis: 1000,
		},
		Edge: Edge{
			PriceClass:                    "All",
			RateLimit:                     100,
			RateLimitWindowSeconds:        60,
			SessionRateLimit:              100,
			SessionRateLimitWindowSeconds: 60,
			LogRetentionDays:              365,
		},
		// make deploy refuses prod until its alarms reach someone: add on-call here.
		Ops:      Ops{AlarmEmails: nil, AlarmHTTPSEndpoints: nil, Tracing: true, RequireSubscriber: true},
		Delivery: Delivery{CreateOIDCProvider: false},
	},
}
