package test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/config"
)

// deletionPolicy is what the stage's removal policy becomes on a database or cache,
// and on what must outlive them (keys, secrets, logs).
func deletionPolicy(p config.RemovalPolicy) (data, keep string) {
	switch p {
	case config.Destroy:
		return "Delete", "Delete"
	case config.Snapshot:
		return "Snapshot", "Retain"
	default:
		return "Retain", "Retain"
	}
}

// instances splits the stack's DB instances into the primary and its replicas.
func instances(t *testing.T, s *synthesis, stack string) (primaryID string, primary map[string]any, replicas map[string]map[string]any) {
	t.Helper()
	replicas = map[string]map[string]any{}
	for id, r := range s.resources(stack, "AWS::RDS::DBInstance") {
		if _, ok := props(r)["SourceDBInstanceIdentifier"]; ok {
			replicas[id] = r
		} else if primary != nil {
			t.Fatalf("two primaries: %s and %s", primaryID, id)
		} else {
			primaryID, primary = id, r
		}
	}
	if primary == nil {
		t.Fatal("no primary DB instance")
	}
	return primaryID, primary, replicas
}

func props(resource map[string]any) map[string]any {
	p, _ := resource["Properties"].(map[string]any)
	return p
}

func TestDatabasePrimary(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesis, stack string) {
		db := s.cfg.Database
		data, _ := deletionPolicy(s.cfg.RemovalPolicy)
		monitoring := any(assertions.Match_Absent())
		if db.MonitoringIntervalSeconds > 0 {
			monitoring = db.MonitoringIntervalSeconds
		}
		check(t, "primary", func() {
			s.template(t, stack).HasResource(jsii.String("AWS::RDS::DBInstance"), map[string]any{
				"Properties": map[string]any{
					"Engine":                      "postgres",
					"EngineVersion":               db.EngineVersion,
					"DBInstanceClass":             db.InstanceClass,
					"DBName":                      "shop",
					"MultiAZ":                     db.MultiAZ,
					"StorageType":                 "gp3",
					"AllocatedStorage":            strconv.Itoa(db.AllocatedStorageGiB),
					"MaxAllocatedStorage":         db.MaxAllocatedStorageGiB,
					"StorageEncrypted":            true,
					"KmsKeyId":                    map[string]any{"Fn::GetAtt": []any{assertions.Match_StringLikeRegexp(jsii.String("^DatabaseKey")), "Arn"}},
					"BackupRetentionPeriod":       db.BackupRetentionDays,
					"DeletionProtection":          db.DeletionProtection,
					"PubliclyAccessible":          false,
					"EnablePerformanceInsights":   db.PerformanceInsights,
					"MonitoringInterval":          monitoring,
					"EnableCloudwatchLogsExports": []any{"postgresql", "upgrade"},
					"CopyTagsToSnapshot":          true,
					"PreferredBackupWindow":       db.BackupWindow,
					"PreferredMaintenanceWindow":  db.MaintenanceWindow,
					"SourceDBInstanceIdentifier":  assertions.Match_Absent(),
				},
				"DeletionPolicy": data,
			})
		})
	})
}

func TestDatabaseReplicas(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesis, stack string) {
		db := s.cfg.Database
		primaryID, _, replicas := instances(t, s, stack)
		if len(replicas) != db.Replicas {
			t.Fatalf("got %d replicas, want %d", len(replicas), db.Replicas)
		}
		var azs []string
		for id, r := range replicas {
			p := props(r)
			if source := fmt.Sprint(p["SourceDBInstanceIdentifier"]); !strings.Contains(source, primaryID) {
				t.Errorf("%s: replicates %s, want the primary %s", id, source, primaryID)
			}
			if p["DBInstanceClass"] != db.InstanceClass || p["EnablePerformanceInsights"] != db.PerformanceInsights {
				t.Errorf("%s: class %v, Performance Insights %v; want %s, %v like the primary", id, p["DBInstanceClass"], p["EnablePerformanceInsights"], db.InstanceClass, db.PerformanceInsights)
			}
			if r["DeletionPolicy"] != "Delete" {
				t.Errorf("%s: DeletionPolicy %v, want Delete (a replica holds no data of its own)", id, r["DeletionPolicy"])
			}
			if p["PubliclyAccessible"] != false {
				t.Errorf("%s: publicly accessible", id)
			}
			azs = append(azs, fmt.Sprint(p["AvailabilityZone"]))
		}
		slices.Sort(azs)
		if len(slices.Compact(slices.Clone(azs))) != min(len(azs), s.cfg.Network.AZs) {
			t.Errorf("replica AZs %v: want them spread over the AZs", azs)
		}
	})
}

func TestDatabaseParameters(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesis, stack string) {
		db := s.cfg.Database
		major, _, _ := strings.Cut(db.EngineVersion, ".")
		check(t, "parameter group", func() {
			s.template(t, stack).HasResourceProperties(jsii.String("AWS::RDS::DBParameterGroup"), map[string]any{
				"Family": "postgres" + major,
				"Parameters": map[string]any{
					"rds.force_ssl":              "1",
					"log_min_duration_statement": strconv.Itoa(db.SlowQueryMillis),
				},
			})
		})
		for id, r := range s.resources(stack, "AWS::RDS::DBInstance") {
			if group := fmt.Sprint(props(r)["DBParameterGroupName"]); !strings.Contains(group, "DatabaseParameters") {
				t.Errorf("%s: parameter group %s, want the TLS-only group", id, group)
			}
		}
	})
}

// TestDataTierInIsolatedSubnets checks that every subnet group of RDS and
// ElastiCache lists only the data subnets, which have no route out.
func TestDataTierInIsolatedSubnets(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesis, stack string) {
		groups := s.resources(stack, "AWS::RDS::DBSubnetGroup")
		for id, r := range s.resources(stack, "AWS::ElastiCache::SubnetGroup") {
			groups[id] = r
		}
		if len(groups) < 2 {
			t.Fatalf("got %d subnet groups, want one for RDS and one for the cache at least", len(groups))
		}
		for id, r := range groups {
			subnets := props(r)["SubnetIds"].([]any)
			if len(subnets) != s.cfg.Network.AZs {
				t.Errorf("%s: %d subnets, want one per AZ", id, len(subnets))
			}
			for _, subnet := range subnets {
				if ref := fmt.Sprint(subnet); !strings.Contains(ref, "Networkdata") {
					t.Errorf("%s: subnet %s is not a data subnet", id, ref)
				}
			}
		}
	})
}

func TestReaderName(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesis, stack string) {
		zone := s.cfg.Prefix + ".internal."
		check(t, "private hosted zone on the VPC", func() {
			s.template(t, stack).HasResourceProperties(jsii.String("AWS::Route53::HostedZone"), map[string]any{
				"Name": zone,
				"VPCs": []any{map[string]any{"VPCId": map[string]any{"Ref": "Network6E62CE96"}, "VPCRegion": assertions.Match_AnyValue()}},
			})
		})
		primaryID, _, replicas := instances(t, s, stack)
		records := s.resources(stack, "AWS::Route53::RecordSet")
		want := map[string]bool{}
		for id := range replicas {
			want[id] = true
		}
		if len(replicas) == 0 {
			want[primaryID] = true
		}
		if len(records) != len(want) {
			t.Fatalf("got %d reader records, want %d", len(records), len(want))
		}
		for id, r := range records {
			p := props(r)
			if p["Name"] != "reader."+zone || p["Type"] != "CNAME" {
				t.Errorf("%s: %v %v, want CNAME reader.%s", id, p["Type"], p["Name"], zone)
			}
			target := p["ResourceRecords"].([]any)[0].(map[string]any)["Fn::GetAtt"].([]any)
			if !want[target[0].(string)] || target[1] != "Endpoint.Address" {
				t.Errorf("%s: points at %v, want one of %v", id, target, want)
			}
			delete(want, target[0].(string))
			if len(replicas) > 0 && (p["Weight"] != float64(1) || p["SetIdentifier"] == nil) {
				t.Errorf("%s: weight %v, set %v; want equal weights to spread the reads", id, p["Weight"], p["SetIdentifier"])
			}
		}
		if len(want) > 0 {
			t.Errorf("no reader record for %v", want)
		}
	})
}

func TestDatabaseSecretRotated(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesis, stack string) {
		tpl := s.template(t, stack)
		check(t, "rotation schedule", func() {
			tpl.HasResourceProperties(jsii.String("AWS::SecretsManager::RotationSchedule"), map[string]any{
				"RotationRules": map[string]any{"ScheduleExpression": fmt.Sprintf("rate(%d days)", s.cfg.Database.SecretRotationDays)},
			})
		})
		check(t, "the admin secret is generated at deploy time", func() {
			tpl.HasResourceProperties(jsii.String("AWS::SecretsManager::Secret"), map[string]any{
				"GenerateSecretString": assertions.Match_ObjectLike(&map[string]any{"GenerateStringKey": "password", "SecretStringTemplate": `{"username":"dbadmin"}`}),
				"SecretString":         assertions.Match_Absent(),
			})
		})
	})
}

func TestCacheReplicationGroup(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesis, stack string) {
		c := s.cfg.Cache
		data, keep := deletionPolicy(s.cfg.RemovalPolicy)
		tpl := s.template(t, stack)
		check(t, "replication group", func() {
			tpl.HasResource(jsii.String("AWS::ElastiCache::ReplicationGroup"), map[string]any{
				"Properties": map[string]any{
					"Engine":                     "valkey",
					"EngineVersion":              c.EngineVersion,
					"CacheNodeType":              c.NodeType,
					"NumCacheClusters":           1 + c.Replicas,
					"AutomaticFailoverEnabled":   c.AutomaticFailover,
					"MultiAZEnabled":             c.MultiAZ,
					"TransitEncryptionEnabled":   true,
					"TransitEncryptionMode":      "required",
					"AtRestEncryptionEnabled":    true,
					"KmsKeyId":                   map[string]any{"Fn::GetAtt": []any{assertions.Match_StringLikeRegexp(jsii.String("^CacheKey")), "Arn"}},
					"SnapshotRetentionLimit":     c.SnapshotRetentionDays,
					"SnapshotWindow":             c.SnapshotWindow,
					"PreferredMaintenanceWindow": c.MaintenanceWindow,
					"Port":                       6379,
					"LogDeliveryConfigurations": []any{map[string]any{
						"LogType":            "slow-log",
						"DestinationType":    "cloudwatch-logs",
						"DestinationDetails": map[string]any{"CloudWatchLogsDetails": map[string]any{"LogGroup": map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^CacheSlowLog"))}}},
						"LogFormat":          "json",
					}},
				},
				"DeletionPolicy": data,
			})
		})
		check(t, "slow-log group", func() {
			tpl.HasResource(jsii.String("AWS::Logs::LogGroup"), map[string]any{
				"Properties":     map[string]any{"RetentionInDays": c.LogRetentionDays},
				"DeletionPolicy": keep,
			})
		})
		check(t, "parameter group for a cache", func() {
			tpl.HasResourceProperties(jsii.String("AWS::ElastiCache::ParameterGroup"), map[string]any{
				"CacheParameterGroupFamily": "valkey" + c.EngineVersion[:1],
				"Properties":                map[string]any{"maxmemory-policy": "allkeys-lru"},
			})
		})
	})
}

func TestKeysRotateAndOutliveTheirData(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesis, stack string) {
		_, keep := deletionPolicy(s.cfg.RemovalPolicy)
		keys := s.resources(stack, "AWS::KMS::Key")
		if len(keys) != 7 {
			t.Errorf("got %d KMS keys, want 7 (database, cache, ops topic, log groups, customer data, secrets, catalog imports)", len(keys))
		}
		for id, r := range keys {
			if props(r)["EnableKeyRotation"] != true {
				t.Errorf("%s: key rotation off", id)
			}
			if r["DeletionPolicy"] != keep {
				t.Errorf("%s: DeletionPolicy %v, want %s: snapshots need their key", id, r["DeletionPolicy"], keep)
			}
		}
		for id, r := range s.resources(stack, "AWS::SecretsManager::Secret") {
			if r["DeletionPolicy"] != keep {
				t.Errorf("%s: DeletionPolicy %v, want %s", id, r["DeletionPolicy"], keep)
			}
		}
	})
}

// TestNoOpenSecurityGroupRules checks every security group rule of every stack:
// nothing is open to the internet inbound, and the only way out to any address is
// HTTPS (AWS APIs through NAT).
func TestNoOpenSecurityGroupRules(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesis, _ string) {
		for _, rule := range s.securityGroupRules() {
			open := rule.cidr == "0.0.0.0/0" || rule.cidr == "::/0"
			switch {
			case open && rule.ingress:
				t.Errorf("%s: ingress from %s", rule.resource, rule.cidr)
			case open && (rule.protocol != "tcp" || rule.from != 443 || rule.to != 443):
				t.Errorf("%s: egress to %s on %s %v-%v, want only tcp 443", rule.resource, rule.cidr, rule.protocol, rule.from, rule.to)
			}
		}
	})
}

// TestDataTierAdmitsOnlyGrantedTiers checks who can reach the stores, across every
// stack: the database from the rotation function, the functions that use it and the
// web fleet, on its port; the cache from the web fleet only.
func TestDataTierAdmitsOnlyGrantedTiers(t *testing.T) {
	granted := []string{"DatabaseRotationSecurityGroup", "MigrationSecurityGroup", "InventoryConsumerSecurityGroup", "NotificationsConsumerSecurityGroup", "DailyReportFunctionSecurityGroup", "CatalogImportFunctionSecurityGroup", "WebInstanceSecurityGroup"}
	// The cache: the fleet reads and writes it; the catalog import drops what it changed.
	cacheGranted := []string{"WebInstanceSecurityGroup", "CatalogImportFunctionSecurityGroup"}
	forEachStage(t, func(t *testing.T, s *synthesis, _ string) {
		admitted, cacheAdmitted := map[string]bool{}, map[string]bool{}
		for _, rule := range s.securityGroupRules() {
			if !rule.ingress {
				continue
			}
			switch {
			case strings.Contains(rule.group, "DatabaseSecurityGroup"):
				ok := slices.ContainsFunc(granted, func(g string) bool { return strings.HasPrefix(rule.source, g) })
				if !ok || !isDatabasePort(rule.from) || !isDatabasePort(rule.to) {
					t.Errorf("%s: the database admits %s%s on %v-%v, want only %v on 5432", rule.resource, rule.source, rule.cidr, rule.from, rule.to, granted)
				}
				admitted[rule.source[:len(rule.source)-8]] = true
			case strings.Contains(rule.group, "CacheSecurityGroup"):
				ok := slices.ContainsFunc(cacheGranted, func(g string) bool { return strings.HasPrefix(rule.source, g) })
				if !ok || rule.from != 6379 || rule.to != 6379 {
					t.Errorf("%s: the cache admits %s%s on %v, want only %v on 6379", rule.resource, rule.source, rule.cidr, rule.from, cacheGranted)
				}
				cacheAdmitted[rule.source[:len(rule.source)-8]] = true
			}
		}
		if len(admitted) != len(granted) {
			t.Errorf("the database admits %v, want each of %v", admitted, granted)
		}
		if len(cacheAdmitted) != len(cacheGranted) {
			t.Errorf("the cache admits %v, want each of %v", cacheAdmitted, cacheGranted)
		}
	})
}

type sgRule struct {
	resource, group, source, cidr, protocol string
	ingress                                 bool
	from, to                                any
}

// securityGroupRules lists the rules of every stack of the stage.
func (s *synthesis) securityGroupRules() []sgRule {
	var rules []sgRule
	for _, stack := range stackNames(s.stacks) {
		rules = append(rules, securityGroupRules(s.templates[stack])...)
	}
	return rules
}

// securityGroupRules lists the inline and standalone rules of a template. A group
// from another stack is named by the output it is read from (Fn::GetStackOutput).
func securityGroupRules(template map[string]any) []sgRule {
	var rules []sgRule
	ref := func(v any) string {
		m, _ := v.(map[string]any)
		if att, ok := m["Fn::GetAtt"].([]any); ok {
			return fmt.Sprint(att[0])
		}
		if out, ok := m["Fn::GetStackOutput"].(map[string]any); ok {
			return fmt.Sprint(out["OutputName"])
		}
		return fmt.Sprint(m["Ref"])
	}
	add := func(resource, group string, ingress bool, p map[string]any) {
		cidr, _ := p["CidrIp"].(string)
		if v6, ok := p["CidrIpv6"].(string); ok {
			cidr = v6
		}
		source := ""
		if p["SourceSecurityGroupId"] != nil {
			source = ref(p["SourceSecurityGroupId"])
		}
		protocol, _ := p["IpProtocol"].(string)
		rules = append(rules, sgRule{resource, group, source, cidr, protocol, ingress, p["FromPort"], p["ToPort"]})
	}
	for id, r := range template["Resources"].(map[string]any) {
		res := r.(map[string]any)
		p := props(res)
		switch res["Type"] {
		case "AWS::EC2::SecurityGroup":
			for _, in := range asList(p["SecurityGroupIngress"]) {
				add(id, id, true, in)
			}
			for _, out := range asList(p["SecurityGroupEgress"]) {
				add(id, id, false, out)
			}
		case "AWS::EC2::SecurityGroupIngress":
			add(id, ref(p["GroupId"]), true, p)
		case "AWS::EC2::SecurityGroupEgress":
			add(id, ref(p["GroupId"]), false, p)
		}
	}
	for i := range rules {
		if f, ok := rules[i].from.(float64); ok {
			rules[i].from = int(f)
		}
		if f, ok := rules[i].to.(float64); ok {
			rules[i].to = int(f)
		}
	}
	return rules
}

func asList(v any) []map[string]any {
	var out []map[string]any
	list, _ := v.([]any)
	for _, item := range list {
		if m, ok := item.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func TestDataTierAlarms(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesis, stack string) {
		db, c := s.cfg.Database, s.cfg.Cache
		counts := map[string]int{}
		for id, r := range s.resources(stack, "AWS::CloudWatch::Alarm") {
			p := props(r)
			switch {
			case p["Namespace"] == "AWS/RDS":
				counts[p["MetricName"].(string)]++
				if p["MetricName"] == "ReplicaLag" && p["Threshold"] != float64(db.ReplicaLagAlarmSeconds) {
					t.Errorf("%s: replica lag threshold %v, want %d", id, p["Threshold"], db.ReplicaLagAlarmSeconds)
				}
			case strings.HasPrefix(id, "Cache"):
				metrics := p["Metrics"].([]any)
				expression := metrics[0].(map[string]any)["Expression"]
				if len(metrics) != 2+c.Replicas || !strings.HasPrefix(fmt.Sprint(expression), "MAX(") {
					t.Errorf("%s: %v over %d metrics, want MAX over %d nodes", id, expression, len(metrics)-1, 1+c.Replicas)
				}
				counts["cache"]++
			default:
				t.Errorf("%s: an alarm of neither store", id)
			}
			if p["TreatMissingData"] != "notBreaching" {
				t.Errorf("%s: TreatMissingData %v, want notBreaching set on purpose", id, p["TreatMissingData"])
			}
		}
		instances := 1 + db.Replicas
		want := map[string]int{
			"CPUUtilization": instances, "FreeStorageSpace": instances, "FreeableMemory": instances,
			"DatabaseConnections": instances, "ReplicaLag": db.Replicas, "cache": 5,
		}
		if c.Replicas > 0 {
			want["cache"] = 6 // plus replication lag
		}
		for metric, n := range want {
			if counts[metric] != n {
				t.Errorf("%s: %d alarms, want %d", metric, counts[metric], n)
			}
		}
	})
}

// isDatabasePort reports whether a rule's port is PostgreSQL's: 5432, or the
// primary's Endpoint.Port, which the CDK's rotation rule uses.
func isDatabasePort(port any) bool {
	if port == 5432 {
		return true
	}
	att, _ := port.(map[string]any)["Fn::GetAtt"].([]any)
	return len(att) == 2 && att[1] == "Endpoint.Port"
}
