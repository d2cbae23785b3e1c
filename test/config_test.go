package test

import (
	"testing"

	"github.com/example/scalable-web/infra/config"
)

func TestEveryStageIsValid(t *testing.T) {
	for _, stage := range config.StageNames() {
		cfg, err := config.ForStage(stage)
		if err != nil {
			t.Fatalf("ForStage(%q): %v", stage, err)
		}
		if err := cfg.Validate(); err != nil {
			t.Errorf("stage %s: %v", stage, err)
		}
	}
}

func TestUnknownStage(t *testing.T) {
	_, err := config.ForStage("nope")
	want := `stage "nope": want one of dev, staging, prod (choose with -c stage=NAME)`
	if err == nil || err.Error() != want {
		t.Errorf("got error %v, want %q", err, want)
	}
}

func TestBadConfigurations(t *testing.T) {
	tests := []struct {
		name   string
		stage  string // dev unless set
		change func(*config.Config)
		want   string
	}{
		{"stage name with capitals", "", func(c *config.Config) { c.Stage = "QA" },
			`QA config: stage "QA": want 1 to 20 lower-case letters, digits and hyphens, starting with a letter, such as prod-eu`},
		{"CIDR not a CIDR", "", func(c *config.Config) { c.Network.CIDR = "10.0.0/16" },
			`dev config: network.cidr "10.0.0/16": want an IPv4 CIDR block such as 10.0.0.0/16`},
		{"IPv6 CIDR", "", func(c *config.Config) { c.Network.CIDR = "fd00::/48" },
			`dev config: network.cidr "fd00::/48": want an IPv4 CIDR block such as 10.0.0.0/16`},
		{"CIDR with host bits", "", func(c *config.Config) { c.Network.CIDR = "10.0.0.1/16" },
			`dev config: network.cidr "10.0.0.1/16": want a network address with no host bits set (10.0.0.0/16)`},
		{"CIDR too small", "", func(c *config.Config) { c.Network.CIDR = "10.0.0.0/24" },
			`dev config: network.cidr "10.0.0.0/24": want a prefix length from /16 to /19`},
		{"CIDR too large", "", func(c *config.Config) { c.Network.CIDR = "10.0.0.0/8" },
			`dev config: network.cidr "10.0.0.0/8": want a prefix length from /16 to /19`},
		{"public CIDR", "", func(c *config.Config) { c.Network.CIDR = "8.8.0.0/16" },
			`dev config: network.cidr "8.8.0.0/16": want a private (RFC 1918) block inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16`},
		{"one AZ", "", func(c *config.Config) { c.Network.AZs = 1; c.Network.NATGateways = 1 },
			`dev config: network.azs "1": want 2 to 3`},
		{"four AZs", "", func(c *config.Config) { c.Network.AZs = 4 },
			`dev config: network.azs "4": want 2 to 3`},
		{"more NAT gateways than AZs", "", func(c *config.Config) { c.Network.NATGateways = 3 },
			`dev config: network.natGateways "3": want 1 to network.azs (2): the private subnets need a way out`},
		{"no NAT gateway", "", func(c *config.Config) { c.Network.NATGateways = 0 },
			`dev config: network.natGateways "0": want 1 to network.azs (2): the private subnets need a way out`},
		{"flow-log retention CloudWatch does not offer", "", func(c *config.Config) { c.Network.FlowLogRetentionDays = 10 },
			`dev config: network.flowLogRetentionDays "10": want one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653`},
		{"account not 12 digits", "", func(c *config.Config) { c.Account = "1234"; c.Region = "eu-west-1" },
			`dev config: account "1234": want 12 digits, or empty for an environment-agnostic synth`},
		{"region malformed", "", func(c *config.Config) { c.Account = "123456789012"; c.Region = "Europe" },
			`dev config: region "Europe": want an AWS region such as eu-west-1, or empty for an environment-agnostic synth`},
		{"account without region", "", func(c *config.Config) { c.Account = "123456789012" },
			`dev config: region "": want an AWS region such as eu-west-1: a stage pinned to account 123456789012 names its region too`},
		{"secondary region malformed", "prod", func(c *config.Config) { c.Secondary.Region = "Oregon" },
			`prod config: secondary.region "Oregon": want an AWS region such as us-west-2, or empty for a stage in one region`},
		{"secondary region without a primary region", "", func(c *config.Config) {
			c.Secondary = config.Secondary{Region: "us-west-2", CIDR: "10.11.0.0/16", MinCapacity: 1, FailoverMaxLagSeconds: 60}
		},
			`dev config: region "": want the primary region, such as us-east-1: a stage with a secondary region (us-west-2) names both regions`},
		{"secondary region the primary's", "prod", func(c *config.Config) { c.Secondary.Region = c.Region },
			`prod config: secondary.region "us-east-1": want a region other than the primary's (region): a standby in the same region shares its outages`},
		{"secondary CIDR malformed", "prod", func(c *config.Config) { c.Secondary.CIDR = "10.31.0.0" },
			`prod config: secondary.cidr "10.31.0.0": want an IPv4 CIDR block such as 10.0.0.0/16`},
		{"secondary CIDR overlapping the primary's", "prod", func(c *config.Config) { c.Secondary.CIDR = "10.30.128.0/17" },
			`prod config: secondary.cidr "10.30.128.0/17": want a block that does not overlap network.cidr (10.30.0.0/16), such as the next /16`},
		{"a failover that may lose nothing", "prod", func(c *config.Config) { c.Secondary.FailoverMaxLagSeconds = 0 },
			`prod config: secondary.failoverMaxLagSeconds "0": want 1 to 3600: the most replication lag a failover may lose`},
		{"no standby instance", "prod", func(c *config.Config) { c.Secondary.MinCapacity = 0 },
			`prod config: secondary.minCapacity "0": want 1 to web.minCapacity (3): the standby serves reads until a failover scales it up`},
		{"a standby larger than the primary", "prod", func(c *config.Config) { c.Secondary.MinCapacity = 4 },
			`prod config: secondary.minCapacity "4": want 1 to web.minCapacity (3): the standby serves reads until a failover scales it up`},
		{"prefix with capitals", "", func(c *config.Config) { c.Prefix = "Shop-Dev" },
			`dev config: prefix "Shop-Dev": want 2 to 32 lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen`},
		{"empty owner tag", "", func(c *config.Config) { c.Tags.Owner = "" },
			`dev config: tags.owner "": want 1 to 256 letters, digits, spaces and _ . : / = + - @`},
		{"cost centre with a comma", "", func(c *config.Config) { c.Tags.CostCentre = "a,b" },
			`dev config: tags.costCentre "a,b": want 1 to 256 letters, digits, spaces and _ . : / = + - @`},
		{"removal policy unknown", "", func(c *config.Config) { c.RemovalPolicy = "keep" },
			`dev config: removalPolicy "keep": want one of destroy, snapshot, retain`},
		{"every problem at once, in field order", "", func(c *config.Config) {
			c.Network.CIDR = "10.0.0.0/8"
			c.Network.AZs = 1
			c.Network.NATGateways = 2
		}, `dev config: network.cidr "10.0.0.0/8": want a prefix length from /16 to /19` + "\n" +
			`dev config: network.azs "1": want 2 to 3` + "\n" +
			`dev config: network.natGateways "2": want 1 to network.azs (1): the private subnets need a way out`},

		// Database
		{"PostgreSQL version too old", "", func(c *config.Config) { c.Database.EngineVersion = "15.4" },
			`dev config: database.engineVersion "15.4": want a PostgreSQL version major.minor with major 16, 17 or 18, e.g. 17.9`},
		{"instance class not supported", "", func(c *config.Config) { c.Database.InstanceClass = "db.t3.micro" },
			`dev config: database.instanceClass "db.t3.micro": want one of db.m7g.2xlarge, db.m7g.4xlarge, db.m7g.large, db.m7g.xlarge, db.r7g.2xlarge, db.r7g.4xlarge, db.r7g.large, db.r7g.xlarge, db.t4g.large, db.t4g.medium, db.t4g.micro, db.t4g.small`},
		{"too many replicas", "", func(c *config.Config) { c.Database.Replicas = 6 },
			`dev config: database.replicas "6": want 0 to 5`},
		{"prod with one replica", "prod", func(c *config.Config) { c.Database.Replicas = 1 },
			`prod config: database.replicas "1": want 2 or more in a production stage (production: true), so reads survive the loss of a replica`},
		{"prod without Multi-AZ", "prod", func(c *config.Config) { c.Database.MultiAZ = false },
			`prod config: database.multiAZ "false": want true in a production stage (production: true): a standby in another AZ takes over in a minute or two`},
		{"prod without deletion protection", "prod", func(c *config.Config) { c.Database.DeletionProtection = false },
			`prod config: database.deletionProtection "false": want true in a production stage (production: true)`},
		{"storage below gp3's minimum", "", func(c *config.Config) { c.Database.AllocatedStorageGiB = 10 },
			`dev config: database.allocatedStorageGiB "10": want 20 to 65536 (gp3)`},
		{"autoscaling ceiling too close", "", func(c *config.Config) { c.Database.MaxAllocatedStorageGiB = 21 },
			`dev config: database.maxAllocatedStorageGiB "21": want 22 (10% above database.allocatedStorageGiB) to 65536`},
		{"no backups", "", func(c *config.Config) { c.Database.BackupRetentionDays = 0 },
			`dev config: database.backupRetentionDays "0": want 1 to 35: read replicas need backups on the primary`},
		{"monitoring interval RDS does not offer", "", func(c *config.Config) { c.Database.MonitoringIntervalSeconds = 7 },
			`dev config: database.monitoringIntervalSeconds "7": want one of 0, 1, 5, 10, 15, 30, 60 (0 turns enhanced monitoring off)`},
		{"backup window inside the maintenance window", "", func(c *config.Config) { c.Database.BackupWindow = "03:30-04:30" },
			`dev config: database.maintenanceWindow "sun:04:00-sun:05:00": want a window that does not overlap database.backupWindow (03:30-04:30)`},
		{"backup window not a time", "", func(c *config.Config) { c.Database.BackupWindow = "25:00-26:00" },
			`dev config: database.backupWindow "25:00-26:00": want "hh:mm-hh:mm" in UTC, at least an hour long`},
		{"maintenance window under an hour", "", func(c *config.Config) { c.Database.MaintenanceWindow = "sun:04:00-sun:04:30" },
			`dev config: database.maintenanceWindow "sun:04:00-sun:04:30": want "ddd:hh:mm-ddd:hh:mm" in UTC (ddd: mon to sun), at least an hour long`},

		// Cache
		{"failover with no replica", "", func(c *config.Config) { c.Cache.AutomaticFailover = true },
			`dev config: cache.automaticFailover "true": want false when cache.replicas is 0: failover needs a replica to promote`},
		{"Multi-AZ without failover", "", func(c *config.Config) { c.Cache.Replicas = 1; c.Cache.MultiAZ = true },
			`dev config: cache.multiAZ "true": want false unless cache.automaticFailover is true`},
		{"prod without cache failover", "prod", func(c *config.Config) { c.Cache.AutomaticFailover = false; c.Cache.MultiAZ = false },
			`prod config: cache.automaticFailover "false": want true in a production stage (production: true): a replica takes over from a failed primary`},
		{"node type not supported", "", func(c *config.Config) { c.Cache.NodeType = "cache.t2.micro" },
			`dev config: cache.nodeType "cache.t2.micro": want one of cache.t4g.micro, cache.t4g.small, cache.t4g.medium, cache.m7g.large, cache.m7g.xlarge, cache.m7g.2xlarge, cache.r7g.large, cache.r7g.xlarge, cache.r7g.2xlarge`},
		{"engine version not Valkey's", "", func(c *config.Config) { c.Cache.EngineVersion = "7.0" },
			`dev config: cache.engineVersion "7.0": want one of 7.2, 8.0, 8.1 (Valkey)`},
		{"too many cache replicas", "", func(c *config.Config) { c.Cache.Replicas = 6 },
			`dev config: cache.replicas "6": want 0 to 5`},
		{"snapshots kept too long", "", func(c *config.Config) { c.Cache.SnapshotRetentionDays = 40 },
			`dev config: cache.snapshotRetentionDays "40": want 0 to 35 (0 turns automatic snapshots off)`},
		{"maintenance over Sunday midnight meets the snapshot window", "", func(c *config.Config) {
			c.Cache.MaintenanceWindow = "sun:23:30-mon:00:30"
			c.Cache.SnapshotWindow = "00:00-01:00"
		}, `dev config: cache.maintenanceWindow "sun:23:30-mon:00:30": want a window that does not overlap cache.snapshotWindow (00:00-01:00)`},

		// Messaging, batch, storage
		{"no retries before the DLQ", "", func(c *config.Config) { c.Messaging.MaxReceiveCount = 0 },
			`dev config: messaging.maxReceiveCount "0": want 1 to 10`},
		{"consumer timeout beyond Lambda's", "", func(c *config.Config) { c.Messaging.ConsumerTimeoutSeconds = 901 },
			`dev config: messaging.consumerTimeoutSeconds "901": want 3 to 900`},
		{"age alarm too eager", "", func(c *config.Config) { c.Messaging.OldestMessageAlarmSeconds = 10 },
			`dev config: messaging.oldestMessageAlarmSeconds "10": want 60 to 86400`},
		{"consumers without a concurrency cap", "", func(c *config.Config) { c.Messaging.ConsumerConcurrency = 0 },
			`dev config: messaging.consumerConcurrency "0": want 2 to 1000 (an SQS event source's maximum concurrency)`},
		{"sender not an address", "", func(c *config.Config) { c.Messaging.SenderEmail = "shop" },
			`dev config: messaging.senderEmail "shop": want an email address verified in SES, or empty to log messages instead`},
		{"schedule not a cron expression", "", func(c *config.Config) { c.Report.Schedule = "0 2 * * *" },
			`dev config: report.schedule "0 2 * * *": want an EventBridge Scheduler cron expression with 6 fields, e.g. cron(0 2 * * ? *)`},
		{"time zone unknown", "", func(c *config.Config) { c.Report.TimeZone = "Europe/Atlantis" },
			`dev config: report.timeZone "Europe/Atlantis": want an IANA time zone such as UTC or Europe/Paris`},
		{"report email malformed", "", func(c *config.Config) { c.Report.Emails = []string{"ops@example.com", "ops"} },
			`dev config: report.emails[1] "ops": want an email address`},
		{"retries beyond the scheduler's", "", func(c *config.Config) { c.Report.RetryAttempts = 200 },
			`dev config: report.retryAttempts "200": want 0 to 185`},
		{"access logs kept forever", "", func(c *config.Config) { c.Storage.AccessLogRetentionDays = 0 },
			`dev config: storage.accessLogRetentionDays "0": want 1 to 3653`},

		// Web
		{"an x86 instance type", "", func(c *config.Config) { c.Web.InstanceType = "t3.small" },
			`dev config: web.instanceType "t3.small": want one of t4g.micro, t4g.small, t4g.medium, t4g.large, c7g.medium, c7g.large, c7g.xlarge, m7g.medium, m7g.large, m7g.xlarge`},
		{"prod with one instance", "prod", func(c *config.Config) { c.Web.MinCapacity = 1 },
			`prod config: web.minCapacity "1": want 2 or more in a production stage (production: true), so one instance can fail`},
		{"no room for a rolling update", "", func(c *config.Config) { c.Web.MaxCapacity = 1 },
			`dev config: web.maxCapacity "1": want 2 to 50: above web.minCapacity, since a rolling update adds an instance before it removes one`},
		{"a fleet too large for the database's connections", "", func(c *config.Config) { c.Web.MaxCapacity = 4 },
			`dev config: database.instanceClass "db.t4g.micro": want a class whose max_connections (about 84) holds the stage's connections at its largest, ` +
				`114 = service 80 + consumers 4 + report 1 + migration 1 + catalog import 1 + rotation 12 + reserved and headroom 15: ` +
				`choose a larger class, or lower web.maxCapacity (4) or messaging.consumerConcurrency (2)`},
		{"a backlog drain too wide for prod's database", "prod", func(c *config.Config) { c.Messaging.ConsumerConcurrency = 1000 },
			`prod config: database.instanceClass "db.m7g.large": want a class whose max_connections (about 675) holds the stage's connections at its largest, ` +
				`2149 = service 120 + consumers 2000 + report 0 + migration 1 + catalog import 1 + rotation 12 + reserved and headroom 15: ` +
				`choose a larger class, or lower web.maxCapacity (12) or messaging.consumerConcurrency (1000)`},
		{"CPU target too high", "", func(c *config.Config) { c.Web.CPUTargetPercent = 95 },
			`dev config: web.cpuTargetPercent "95": want 10 to 90`},
		{"drain beyond the ALB's maximum", "", func(c *config.Config) { c.Web.DrainSeconds = 4000 },
			`dev config: web.drainSeconds "4000": want 0 to 3600 (the ALB's deregistration delay)`},

		// API
		{"order limit above the stage's", "", func(c *config.Config) { c.API.OrdersRateLimit = 50 },
			`dev config: api.ordersRateLimit "50": want more than 0, up to api.rateLimit (20)`},
		{"order burst above the stage's", "", func(c *config.Config) { c.API.OrdersBurstLimit = 11 },
			`dev config: api.ordersBurstLimit "11": want 1 to api.burstLimit (10)`},
		{"no burst", "", func(c *config.Config) { c.API.BurstLimit = 0; c.API.OrdersBurstLimit = 0 },
			`dev config: api.burstLimit "0": want 1 to 5000` + "\n" + `dev config: api.ordersBurstLimit "0": want 1 to api.burstLimit (0)`},
		{"payment URL over plain HTTP", "", func(c *config.Config) { c.API.PaymentURL = "http://pay.example.com" },
			`dev config: api.paymentURL "http://pay.example.com": want an https:// base URL without a query, or empty for no payment route`},
		{"zone without a domain", "", func(c *config.Config) {
			c.Edge.HostedZoneID = "Z0123456789ABCDEFGHIJ"
			c.Edge.HostedZoneName = "example.com"
		},
			`dev config: edge.domain "": want the site's host name inside edge.hostedZoneName (example.com), or clear edge.hostedZoneID and edge.hostedZoneName to use CloudFront's own domain`},
		{"domain without a zone", "", func(c *config.Config) { c.Edge.Domain = "shop.example.com" },
			`dev config: edge.hostedZoneID "": want the ID of the Route 53 public hosted zone of edge.domain, such as Z0123456789ABCDEFGHIJ (Route 53 console, or ` + "`aws route53 list-hosted-zones`" + `)` + "\n" +
				`dev config: edge.hostedZoneName "": want the name of the hosted zone edge.hostedZoneID, a lower-case domain such as example.com without a trailing dot`},
		{"zone ID in the wrong form", "", func(c *config.Config) { setDomain(c, "shop.example.com", "/hostedzone/Z0123", "example.com") },
			`dev config: edge.hostedZoneID "/hostedzone/Z0123": want the ID of the Route 53 public hosted zone of edge.domain, such as Z0123456789ABCDEFGHIJ (Route 53 console, or ` + "`aws route53 list-hosted-zones`" + `)`},
		{"domain outside the zone", "", func(c *config.Config) { setDomain(c, "shop.example.org", "Z0123456789ABCDEFGHIJ", "example.com") },
			`dev config: edge.domain "shop.example.org": want a name inside edge.hostedZoneName (example.com): example.com itself or a subdomain of it`},
		{"domain that only ends like the zone", "", func(c *config.Config) { setDomain(c, "myexample.com", "Z0123456789ABCDEFGHIJ", "example.com") },
			`dev config: edge.domain "myexample.com": want a name inside edge.hostedZoneName (example.com): example.com itself or a subdomain of it`},
		{"domain with a trailing dot and capitals", "", func(c *config.Config) { setDomain(c, "Shop.example.com.", "Z0123456789ABCDEFGHIJ", "example.com") },
			`dev config: edge.domain "Shop.example.com.": want a lower-case host name such as shop.example.com, without a trailing dot or wildcard` + "\n" +
				`dev config: edge.domain "Shop.example.com.": want a name inside edge.hostedZoneName (example.com): example.com itself or a subdomain of it`},
		{"wildcard domain", "", func(c *config.Config) { setDomain(c, "*.example.com", "Z0123456789ABCDEFGHIJ", "example.com") },
			`dev config: edge.domain "*.example.com": want a lower-case host name such as shop.example.com, without a trailing dot or wildcard`},
		{"unknown price class", "", func(c *config.Config) { c.Edge.PriceClass = "PriceClass_100" },
			`dev config: edge.priceClass "PriceClass_100": want one of 100, 200, All`},
		{"rate limit below WAF's minimum", "", func(c *config.Config) { c.Edge.RateLimit = 5 },
			`dev config: edge.rateLimit "5": want 10 to 2000000000 requests per IP address and window (WAF's bounds)`},
		{"rate window WAF does not offer", "", func(c *config.Config) { c.Edge.RateLimitWindowSeconds = 30 },
			`dev config: edge.rateLimitWindowSeconds "30": want one of 60, 120, 300, 600`},
		{"session limit below WAF's minimum", "", func(c *config.Config) { c.Edge.SessionRateLimit = 0 },
			`dev config: edge.sessionRateLimit "0": want 10 to 2000000000 requests per session and window (WAF's bounds)`},
		{"session window WAF does not offer", "", func(c *config.Config) { c.Edge.SessionRateLimitWindowSeconds = 90 },
			`dev config: edge.sessionRateLimitWindowSeconds "90": want one of 60, 120, 300, 600`},
		{"origin secret version that is not one", "", func(c *config.Config) { c.Edge.OriginSecretVersion = "latest" },
			`dev config: originSecretVersion (context) "latest": want a Secrets Manager version ID, 32 to 64 letters, digits and hyphens, as put-secret-value prints it`},
		{"no CloudFront log retention", "", func(c *config.Config) { c.Edge.LogRetentionDays = 0 },
			`dev config: edge.logRetentionDays "0": want one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 (CloudWatch Logs keeps the WAF's logs that long)`},
		{"alarm email with a display name", "", func(c *config.Config) { c.Ops.AlarmEmails = []string{"On call <oncall@example.com>"} },
			`dev config: ops.alarmEmails "On call <oncall@example.com>": want plain email addresses such as oncall@example.com`},
		{"alarm endpoint over plain HTTP", "", func(c *config.Config) { c.Ops.AlarmHTTPSEndpoints = []string{"http://hooks.example.com/sns"} },
			`dev config: ops.alarmHTTPSEndpoints "http://hooks.example.com/sns": want https:// URLs that accept SNS notifications`},
		{"bootstrap qualifier with capitals", "", func(c *config.Config) { c.BootstrapQualifier = "ShopDev" },
			`dev config: bootstrapQualifier "ShopDev": want 1 to 10 lower-case letters and digits, different in every stage, such as shopdev (make bootstrap STAGE=… creates it)`},
		{"GitHub repository as a URL", "", func(c *config.Config) { withRepository(c, "https://github.com/example-org/shop") },
			`dev config: delivery.gitHubRepository "https://github.com/example-org/shop": want owner/name of a GitHub repository, such as example-org/shop, or empty for no delivery stack`},
		{"GitHub repository without an owner", "", func(c *config.Config) { withRepository(c, "shop") },
			`dev config: delivery.gitHubRepository "shop": want owner/name of a GitHub repository, such as example-org/shop, or empty for no delivery stack`},
		{"GitHub repository without its owner's ID", "", func(c *config.Config) { withRepository(c, testRepository); c.Delivery.GitHubOwnerID = "" },
			`dev config: delivery.gitHubOwnerID "": want the repository owner's numeric ID, required with delivery.gitHubRepository: Actions sets GITHUB_REPOSITORY_OWNER_ID; locally, gh api repos/example-org/shop --jq .owner.id`},
		{"GitHub repository ID that is not a number", "", func(c *config.Config) { withRepository(c, testRepository); c.Delivery.GitHubRepositoryID = "shop" },
			`dev config: delivery.gitHubRepositoryID "shop": want the repository's numeric ID, required with delivery.gitHubRepository: Actions sets GITHUB_REPOSITORY_ID; locally, gh api repos/example-org/shop --jq .id`},
		{"subject prefix with a wildcard", "", func(c *config.Config) {
			withRepository(c, testRepository)
			c.Delivery.SubjectPrefix = "repo:example-org/*"
		},
			`dev config: delivery.subjectPrefix "repo:example-org/*": want the OIDC subject up to the job context, without wildcards, such as repository_owner_id:123456:repository_id:456789, or empty for GitHub's default forms`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stage := tt.stage
			if stage == "" {
				stage = "dev"
			}
			cfg, err := config.ForStage(stage)
			if err != nil {
				t.Fatal(err)
			}
			tt.change(&cfg)
			err = cfg.Validate()
			if err == nil {
				t.Fatalf("got no error, want %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("got error\n%s\nwant\n%s", err, tt.want)
			}
		})
	}
}

// setDomain gives a stage a custom domain in a hosted zone.
func setDomain(c *config.Config, domain, zoneID, zoneName string) {
	c.Edge.Domain, c.Edge.HostedZoneID, c.Edge.HostedZoneName = domain, zoneID, zoneName
}

// withRepository names a GitHub repository, with the test IDs, as make passes it.
func withRepository(c *config.Config, repository string) {
	c.Delivery.GitHubRepository, c.Delivery.GitHubOwnerID, c.Delivery.GitHubRepositoryID = repository, testOwnerID, testRepositoryID
}

// TestStagesMayNotShareNames: a block copied in stages.go for a new stage and not
// yet renamed stops every command with one line per shared setting.
func TestStagesMayNotShareNames(t *testing.T) {
	dev, _ := config.ForStage("dev")
	copyOfDev := dev
	copyOfDev.Stage = "qa"
	err := config.Distinct([]config.Config{dev, copyOfDev})
	want := `stages.go config: prefix "shop-dev": want a prefix of its own: the stack names start with it (stages dev and qa share it)` + "\n" +
		`stages.go config: bootstrapQualifier "shopdev": want a qualifier of its own: each stage deploys through its own bootstrap (stages dev and qa share it)`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want\n%s", err, want)
	}
	var all []config.Config
	for _, stage := range config.StageNames() {
		cfg, _ := config.ForStage(stage)
		all = append(all, cfg)
	}
	if err := config.Distinct(all); err != nil {
		t.Error(err)
	}
}
