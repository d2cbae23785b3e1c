// Package envnames names the environment variables that the infrastructure sets on
// the fleet and the functions and that the service and the functions read, so the
// two sides share one spelling and a rename cannot leave one of them behind.
package envnames

// Set by infra on the fleet (infra/stacks/web.go, infra/web) and read by the service
// (service/shop.Load).
const (
	// ShopAddr is the service's listen address, e.g. ":8080".
	ShopAddr = "SHOP_ADDR"
	// DrainTimeout is how long the service drains connections on shutdown, e.g. "20s".
	DrainTimeout = "DRAIN_TIMEOUT"
	// ReplicaMaxLag is the replica lag past which reads go to the primary, e.g. "30s".
	ReplicaMaxLag = "REPLICA_MAX_LAG"
	// RedisAddr is the cache's host:port; RedisTLS is "true" for TLS.
	RedisAddr = "REDIS_ADDR"
	RedisTLS  = "REDIS_TLS"
	// RedisAuthSecretARN is the secret holding the cache's AUTH token.
	RedisAuthSecretARN = "REDIS_AUTH_SECRET_ARN"
	// CacheTTL is how long a product stays cached, e.g. "300s".
	CacheTTL = "CACHE_TTL"
	// EventsTopicARN is the topic the outbox relay publishes order events to.
	EventsTopicARN = "EVENTS_TOPIC_ARN"
	// OriginSecretARN is the secret holding CloudFront's X-Origin-Verify value.
	OriginSecretARN = "ORIGIN_SECRET_ARN"
	// TracingEndpoint is the OpenTelemetry collector (the CloudWatch agent).
	TracingEndpoint = "OTEL_EXPORTER_OTLP_ENDPOINT"
)

// Read by the service when it runs outside AWS (make run-local, the tests).
const (
	// DatabaseURL and ReplicaURL are PostgreSQL URLs used instead of a secret.
	DatabaseURL = "DATABASE_URL"
	ReplicaURL  = "REPLICA_URL"
	// CacheJitter spreads product expiries, e.g. "60s".
	CacheJitter = "CACHE_JITTER"
	// MetricsPeriod is how often the service flushes its metrics, e.g. "60s".
	MetricsPeriod = "METRICS_PERIOD"
)

// Set on the fleet and the functions alike.
const (
	// DBSecretARN is the secret of the component's own database login.
	DBSecretARN = "DB_SECRET_ARN"
	// DBWriterHost and DBReaderHost are the primary's endpoint and the readers' name.
	DBWriterHost = "DB_WRITER_HOST"
	DBReaderHost = "DB_READER_HOST"
	// MetricsNamespace is the CloudWatch namespace of the embedded-format metrics.
	MetricsNamespace = "METRICS_NAMESPACE"
)

// Set on one function each.
const (
	// LoginSecrets is the migration's JSON object of database role to secret ARN,
	// whose passwords it sets.
	LoginSecrets = "DB_LOGIN_SECRETS"
	// SenderEmail is the notifications consumer's SES sender, empty to log only.
	SenderEmail = "SENDER_EMAIL"
	// EventsBucket is where the analytics consumer archives order events.
	EventsBucket = "EVENTS_BUCKET"
	// ReportsBucket and ReportsTopicARN are where the daily report writes and tells.
	ReportsBucket   = "REPORTS_BUCKET"
	ReportsTopicARN = "REPORTS_TOPIC_ARN"
	// ReportTimeZone is the IANA zone whose day the report covers.
	ReportTimeZone = "REPORT_TIME_ZONE"
	// CatalogImportBucket is the bucket the catalog import function reads the
	// uploaded files from (under catalog.ImportPrefix).
	CatalogImportBucket = "CATALOG_IMPORT_BUCKET"
)

// Set on the failover function in the standby region (lambdas/failover), which an ARC
// Region switch plan runs there to make that region the one that writes.
const (
	// FailoverReplicaID is the DB instance identifier of the region's cross-region
	// read replica, the instance the failover promotes.
	FailoverReplicaID = "FAILOVER_REPLICA_ID"
	// FailoverSecrets is a JSON list of the ARNs (or names) of the region's secret
	// replicas that the failover makes standalone; those holding a database login
	// (a JSON object with a "host") are repointed at the promoted instance.
	FailoverSecrets = "FAILOVER_SECRETS"
	// FailoverEventSourceMappings is a JSON list of the UUIDs of the region's
	// consumers' event source mappings, created disabled, that the failover enables.
	FailoverEventSourceMappings = "FAILOVER_EVENT_SOURCE_MAPPINGS"
	// FailoverMaxLagSeconds is the most replica lag, in whole seconds, that a
	// failover may lose, e.g. "60".
	FailoverMaxLagSeconds = "FAILOVER_MAX_LAG_SECONDS"
	// FailoverOverrideParameter is the name of the SSM parameter through which an
	// operator accepts losing data: while it holds exactly
	// "accept-data-loss:<replica identifier>", the failover promotes a replica whose
	// lag is above the bound or unknown. No such parameter means no override.
	FailoverOverrideParameter = "FAILOVER_OVERRIDE_PARAMETER"
	// FailoverDrainHealthCheck is the ID of the old primary region's Route 53
	// health check (a calculated one), which the failover makes fail for good so
	// that DNS sends no more traffic there; empty where the stage has no domain.
	FailoverDrainHealthCheck = "FAILOVER_DRAIN_HEALTH_CHECK"
)
