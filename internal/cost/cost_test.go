package cost

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// testPrices are round numbers, so every expected cost can be checked by hand.
func testPrices() Prices {
	return Prices{
		Date: "2026-01-01", Region: "us-east-1", Currency: "USD", HoursPerMonth: 100,
		Prices: map[string]Price{
			"AWS::EC2::NatGateway":                      {Hourly: 0.1},
			"AWS::EC2::EIP":                             {Hourly: 0.01},
			"AWS::EC2::VPCEndpoint":                     {Sizes: map[string]float64{"Gateway": 0, "Interface": 0.01}},
			"AWS::RDS::DBInstance":                      {Sizes: map[string]float64{"db.t4g.micro": 0.02}, Storage: map[string]float64{"gp3": 0.1}},
			"AWS::ElastiCache::ReplicationGroup":        {Sizes: map[string]float64{"cache.t4g.small": 0.03}},
			"AWS::ElasticLoadBalancingV2::LoadBalancer": {Sizes: map[string]float64{"application": 0.02}},
			"AWS::AutoScaling::AutoScalingGroup": {Sizes: map[string]float64{"t4g.small": 0.01},
				Storage: map[string]float64{"gp3": 0.1}, Extras: map[string]float64{"detailedMonitoring": 2}},
			"AWS::WAFv2::WebACL":              {Monthly: 5, Extras: map[string]float64{"rule": 1, "AWSManagedRulesBotControlRuleSet": 10}},
			"AWS::KMS::Key":                   {Monthly: 1},
			"AWS::SecretsManager::Secret":     {Monthly: 0.4},
			"AWS::Route53::HostedZone":        {Monthly: 0.5},
			"AWS::CloudWatch::Alarm":          {Extras: map[string]float64{"metric": 0.1, "highResolutionMetric": 0.3}},
			"AWS::CloudWatch::CompositeAlarm": {Monthly: 0.5},
			"AWS::CloudWatch::Dashboard":      {Monthly: 3},
			"AWS::EC2::LaunchTemplate":        {Free: "priced with its group"},
			"AWS::SQS::Queue":                 {Free: "per request"},
		},
	}
}

// testTemplates is a small stage: a stateful stack holding several tiers, a web
// stack and an edge stack, in the shapes the CDK synthesizes.
const testTemplates = `{
  "shop-test-stateful": {"Resources": {
    "NetworkNATGateway1": {"Type": "AWS::EC2::NatGateway", "Properties": {"AllocationId": {"Fn::GetAtt": ["NetworkEIP1", "AllocationId"]}}},
    "NetworkEIP1": {"Type": "AWS::EC2::EIP", "Properties": {"Domain": "vpc"}},
    "NetworkS3": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {"VpcEndpointType": "Gateway"}},
    "NetworkSsm": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {"VpcEndpointType": "Interface", "SubnetIds": [{"Ref": "A"}, {"Ref": "B"}]}},
    "DatabasePrimary": {"Type": "AWS::RDS::DBInstance", "Properties": {
      "Engine": "postgres", "DBInstanceClass": "db.t4g.micro", "MultiAZ": true, "AllocatedStorage": "20", "StorageType": "gp3"}},
    "DatabaseReplica1": {"Type": "AWS::RDS::DBInstance", "Properties": {
      "DBInstanceClass": "db.t4g.micro", "StorageType": "gp3",
      "SourceDBInstanceIdentifier": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":rds:db:", {"Ref": "DatabasePrimary"}]]}}},
    "DatabaseKey": {"Type": "AWS::KMS::Key", "Properties": {}},
    "DatabaseZone": {"Type": "AWS::Route53::HostedZone", "Properties": {"Name": "test.internal."}},
    "DatabaseAlarmCpu": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"MetricName": "CPUUtilization", "Period": 300}},
    "Cache": {"Type": "AWS::ElastiCache::ReplicationGroup", "Properties": {
      "Engine": "valkey", "CacheNodeType": "cache.t4g.small", "NumCacheClusters": 2}},
    "CacheAuthToken": {"Type": "AWS::SecretsManager::Secret", "Properties": {}},
    "CacheAlarmCpu": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"Metrics": [
      {"Id": "expr", "Expression": "MAX([node1,node2])"},
      {"Id": "node1", "MetricStat": {"Period": 300}},
      {"Id": "node2", "MetricStat": {"Period": 10}}]}},
    "OpsKey": {"Type": "AWS::KMS::Key", "Properties": {}}
  }},
  "shop-test-web": {"Resources": {
    "WebLoadBalancer": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {"Type": "application"}},
    "WebGroup": {"Type": "AWS::AutoScaling::AutoScalingGroup", "Properties": {
      "MinSize": "2", "MaxSize": "4", "LaunchTemplate": {"LaunchTemplateId": {"Ref": "WebLaunchTemplate"}}}},
    "WebLaunchTemplate": {"Type": "AWS::EC2::LaunchTemplate", "Properties": {"LaunchTemplateData": {
      "InstanceType": "t4g.small", "Monitoring": {"Enabled": true},
      "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 20, "VolumeType": "gp3"}}]}}},
    "Queue": {"Type": "AWS::SQS::Queue", "Properties": {}}
  }},
  "shop-test-edge": {"Resources": {
    "WebAcl": {"Type": "AWS::WAFv2::WebACL", "Properties": {"Rules": [
      {"Name": "RateLimit", "Statement": {"RateBasedStatement": {"Limit": 100}}},
      {"Name": "Bots", "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesBotControlRuleSet"}}}]}}
  }},
  "shop-test-ops": {"Resources": {
    "Dashboard": {"Type": "AWS::CloudWatch::Dashboard", "Properties": {}},
    "ShopDown": {"Type": "AWS::CloudWatch::CompositeAlarm", "Properties": {}}
  }}
}`

func parseTemplates(t *testing.T, change func(map[string]map[string]any)) map[string]map[string]any {
	t.Helper()
	var templates map[string]map[string]any
	if err := json.Unmarshal([]byte(testTemplates), &templates); err != nil {
		t.Fatal(err)
	}
	if change != nil {
		change(templates)
	}
	return templates
}

// props returns the properties of a resource of the test templates, to change them.
func props(templates map[string]map[string]any, stack, id string) map[string]any {
	return templates[stack]["Resources"].(map[string]any)[id].(map[string]any)["Properties"].(map[string]any)
}

func TestEstimate(t *testing.T) {
	b, err := Estimate(parseTemplates(t, nil), testPrices())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		tier, name, size string
		quantity         float64
		monthly          float64
	}{
		{"network", "NAT gateways", "", 1, 10},
		{"network", "public IPv4 addresses", "", 1, 1},
		{"network", "interface VPC endpoints", "", 2, 2},
		// Multi-AZ primary (2) and a replica (1); the replica has its source's 20 GB.
		{"database", "PostgreSQL instances (Multi-AZ counts twice)", "db.t4g.micro", 3, 6},
		{"database", "gp3 storage (Multi-AZ counts twice)", "", 60, 6},
		{"database", "KMS keys", "", 1, 1},
		{"database", "Route 53 hosted zones", "", 1, 0.5},
		{"database", "CloudWatch alarms", "", 1, 0.1},
		{"cache", "Valkey nodes", "cache.t4g.small", 2, 6},
		{"cache", "Secrets Manager secrets (each replica counts)", "", 1, 0.4},
		{"cache", "CloudWatch alarms", "", 1, 0.1},
		{"cache", "CloudWatch high-resolution alarms", "", 1, 0.3},
		{"web", "load balancers (LCUs extra, with traffic)", "application", 1, 2},
		{"web", "EC2 instances (the group's minimum size)", "t4g.small", 2, 2},
		{"web", "EBS gp3 volumes", "", 40, 4},
		{"web", "EC2 detailed monitoring (per instance)", "", 2, 4},
		{"edge", "WAF web ACLs", "", 1, 5},
		{"edge", "WAF rules", "", 2, 2},
		{"edge", "WAF managed rule group subscriptions (requests extra)", "AWSManagedRulesBotControlRuleSet", 1, 10},
		{"ops", "KMS keys", "", 1, 1},
		{"ops", "CloudWatch dashboards", "", 1, 3},
		{"ops", "composite alarms", "", 1, 0.5},
	}
	var total float64
	for _, tt := range tests {
		total += tt.monthly
		var found bool
		for _, it := range b.Items {
			if it.Tier == tt.tier && it.Name == tt.name && it.Size == tt.size {
				found = true
				if it.Quantity != tt.quantity || !near(it.Monthly, tt.monthly) {
					t.Errorf("%s %s %s: got %g for $%.2f, want %g for $%.2f", tt.tier, tt.name, tt.size, it.Quantity, it.Monthly, tt.quantity, tt.monthly)
				}
			}
		}
		if !found {
			t.Errorf("%s %s %s: no such item in %+v", tt.tier, tt.name, tt.size, b.Items)
		}
	}
	if len(b.Items) != len(tests) {
		t.Errorf("got %d items, want %d: %+v", len(b.Items), len(tests), b.Items)
	}
	if !near(b.Total(), total) {
		t.Errorf("total: got %.2f, want %.2f", b.Total(), total)
	}
	if got, want := strings.Join(b.Tiers(), " "), "network database cache web edge ops"; got != want {
		t.Errorf("tiers: got %q, want %q", got, want)
	}
	if got := b.Free; got["AWS::SQS::Queue"] != 1 || got["AWS::EC2::LaunchTemplate"] != 1 || len(got) != 2 {
		t.Errorf("free: got %v, want one queue and one launch template", got)
	}
}

func TestEstimateErrors(t *testing.T) {
	tests := []struct {
		name   string
		change func(map[string]map[string]any)
		want   string
	}{
		{"a type neither priced nor free",
			func(ts map[string]map[string]any) {
				ts["shop-test-web"]["Resources"].(map[string]any)["Bastion"] = map[string]any{"Type": "AWS::EC2::Instance"}
			},
			"stack shop-test-web, resource Bastion (AWS::EC2::Instance): no price for AWS::EC2::Instance in prices.json: price it, or list it as free at idle and say why"},
		{"an instance class from an intrinsic",
			func(ts map[string]map[string]any) {
				props(ts, "shop-test-stateful", "DatabasePrimary")["DBInstanceClass"] = map[string]any{"Ref": "Class"}
			},
			`stack shop-test-stateful, resource DatabasePrimary (AWS::RDS::DBInstance): property DBInstanceClass is the CloudFormation intrinsic {"Ref":"Class"}: want a string the estimate can read at synth`},
		{"a node type from Fn::If",
			func(ts map[string]map[string]any) {
				props(ts, "shop-test-stateful", "Cache")["CacheNodeType"] = map[string]any{"Fn::If": []any{"Prod", "cache.m7g.large", "cache.t4g.small"}}
			},
			`stack shop-test-stateful, resource Cache (AWS::ElastiCache::ReplicationGroup): property CacheNodeType is the CloudFormation intrinsic {"Fn::If":["Prod","cache.m7g.large","cache.t4g.small"]}`},
		{"an instance class with no price",
			func(ts map[string]map[string]any) {
				props(ts, "shop-test-stateful", "DatabaseReplica1")["DBInstanceClass"] = "db.x2g.large"
			},
			`resource DatabaseReplica1 (AWS::RDS::DBInstance): property DBInstanceClass "db.x2g.large": no price for it in prices.json (want one of db.t4g.micro)`},
		{"another engine",
			func(ts map[string]map[string]any) {
				props(ts, "shop-test-stateful", "DatabasePrimary")["Engine"] = "mysql"
			},
			`resource DatabasePrimary (AWS::RDS::DBInstance): property Engine "mysql": the price table has RDS for PostgreSQL's prices`},
		{"a replica whose source is elsewhere",
			func(ts map[string]map[string]any) {
				props(ts, "shop-test-stateful", "DatabaseReplica1")["SourceDBInstanceIdentifier"] = "arn:aws:rds:us-east-1:123456789012:db:other"
			},
			"resource DatabaseReplica1 (AWS::RDS::DBInstance): property SourceDBInstanceIdentifier: want a reference to an AWS::RDS::DBInstance in the same stack, or an output of another stack that refers to one"},
		{"an instance type from an intrinsic, in the launch template",
			func(ts map[string]map[string]any) {
				props(ts, "shop-test-web", "WebLaunchTemplate")["LaunchTemplateData"].(map[string]any)["InstanceType"] = map[string]any{"Ref": "Type"}
			},
			`resource WebGroup (AWS::AutoScaling::AutoScalingGroup): launch template WebLaunchTemplate: property LaunchTemplateData.InstanceType is the CloudFormation intrinsic {"Ref":"Type"}`},
		{"a group size from an intrinsic",
			func(ts map[string]map[string]any) {
				props(ts, "shop-test-web", "WebGroup")["MinSize"] = map[string]any{"Ref": "Min"}
			},
			`resource WebGroup (AWS::AutoScaling::AutoScalingGroup): property MinSize is the CloudFormation intrinsic {"Ref":"Min"}: want a number`},
		{"a Marketplace rule group",
			func(ts map[string]map[string]any) {
				rule := props(ts, "shop-test-edge", "WebAcl")["Rules"].([]any)[1].(map[string]any)
				rule["Statement"].(map[string]any)["ManagedRuleGroupStatement"].(map[string]any)["VendorName"] = "Acme"
			},
			"resource WebAcl (AWS::WAFv2::WebACL): rule 1: rule group AWSManagedRulesBotControlRuleSet of Acme: Marketplace rule groups are not in the price table"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Estimate(parseTemplates(t, tt.change), testPrices())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestEstimateReportsEveryProblem(t *testing.T) {
	templates := parseTemplates(t, func(ts map[string]map[string]any) {
		ts["shop-test-web"]["Resources"].(map[string]any)["Bastion"] = map[string]any{"Type": "AWS::EC2::Instance"}
		props(ts, "shop-test-stateful", "Cache")["CacheNodeType"] = map[string]any{"Ref": "NodeType"}
	})
	_, err := Estimate(templates, testPrices())
	if err == nil || !strings.Contains(err.Error(), "Bastion") || !strings.Contains(err.Error(), "CacheNodeType") {
		t.Errorf("got error %v, want both the unpriced type and the intrinsic", err)
	}
}

func TestPricedTypeWithoutPricer(t *testing.T) {
	p := testPrices()
	p.Prices["AWS::SQS::Queue"] = Price{Monthly: 1}
	_, err := Estimate(parseTemplates(t, nil), p)
	want := "resource Queue (AWS::SQS::Queue): AWS::SQS::Queue has a price in prices.json that the estimator does not read"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got error %v, want one containing %q", err, want)
	}
}

func TestTierOf(t *testing.T) {
	tests := []struct{ stack, id, want string }{
		{"shop-dev-web", "WebLoadBalancer1234", "web"},
		{"shop-dev-edge", "WebAcl1234", "edge"}, // the stack's tier wins over the ID
		{"shop-dev-stateful", "DatabasePrimaryEDE0B3D0", "database"},
		{"shop-dev-stateful", "NetworkpublicSubnet1NATGateway48CAD185", "network"},
		{"shop-dev-stateful", "CacheKeyCDF9DE27", "cache"},
		{"shop-dev-stateful", "OpsKeyD2AEB59B", "ops"},
		{"shop-dev-stateful", "LogRetentionaae0aa3c", "stateful"},
	}
	for _, tt := range tests {
		if got := tierOf(tt.stack, tt.id); got != tt.want {
			t.Errorf("tierOf(%q, %q): got %q, want %q", tt.stack, tt.id, got, tt.want)
		}
	}
}

func TestMoney(t *testing.T) {
	tests := []struct {
		v    float64
		want string
	}{
		{0, "$0.00"}, {0.4, "$0.40"}, {9.34, "$9.34"}, {9.996, "$10"}, {36.5, "$37"}, {1137.68, "$1,138"}, {1234567, "$1,234,567"},
	}
	for _, tt := range tests {
		if got := money(tt.v); got != tt.want {
			t.Errorf("money(%g): got %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestMarkdown(t *testing.T) {
	p := testPrices()
	small := Breakdown{Items: []Item{
		{Tier: "network", Name: "NAT gateways", Quantity: 1, Monthly: 32.85, rank: 0},
		{Tier: "database", Name: "PostgreSQL instances", Size: "db.t4g.micro", Quantity: 1, Monthly: 11.68, rank: 30},
	}}
	big := Breakdown{Items: []Item{
		{Tier: "network", Name: "NAT gateways", Quantity: 3, Monthly: 98.55, rank: 0},
		{Tier: "database", Name: "PostgreSQL instances", Size: "db.m7g.large", Quantity: 4, Monthly: 490.56, rank: 30},
		{Tier: "database", Name: "PostgreSQL instances", Size: "db.r7g.large", Quantity: 1, Monthly: 174.47, rank: 30},
		{Tier: "database", Name: "gp3 storage", Quantity: 400, Unit: "GB", Monthly: 46, rank: 31},
	}}
	got := Markdown(p, []string{"dev", "prod"}, map[string]Breakdown{"dev": small, "prod": big})
	want := "Monthly cost of each stage, idle, in USD: on-demand list prices in us-east-1 on 2026-01-01, 100 hours a month.\n" +
		"`make cost` writes this table from the synthesized templates and `internal/cost/prices.json`.\n\n" +
		"| tier / item | dev | prod |\n" +
		"|---|---|---|\n" +
		"| **network** | **$33** | **$99** |\n" +
		"| NAT gateways | 1 ≈ $33 | 3 ≈ $99 |\n" +
		"| **database** | **$12** | **$711** |\n" +
		"| PostgreSQL instances | db.t4g.micro × 1 ≈ $12 | db.m7g.large × 4 + db.r7g.large × 1 ≈ $665 |\n" +
		"| gp3 storage | – | 400 GB ≈ $46 |\n" +
		"| **total, idle** | **$45** | **$810** |\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestDefaultPrices(t *testing.T) {
	p, err := DefaultPrices()
	if err != nil {
		t.Fatal(err)
	}
	if p.Date == "" || p.Region != "us-east-1" || p.HoursPerMonth != 730 || len(p.Assumptions) == 0 {
		t.Errorf("got date %q, region %q, %g hours, %d assumptions; want a dated us-east-1 table of 730 hours with its assumptions",
			p.Date, p.Region, p.HoursPerMonth, len(p.Assumptions))
	}
}

func TestParsePricesWantsEveryCostedType(t *testing.T) {
	_, err := ParsePrices([]byte(`{"date": "2026-01-01", "region": "us-east-1", "currency": "USD", "hoursPerMonth": 730,
		"prices": {"AWS::EC2::NatGateway": {"free": "wrong"}}}`))
	for _, want := range []string{"AWS::EC2::NatGateway: want a price", "AWS::RDS::DBInstance: want a price"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got error %v, want one containing %q", err, want)
		}
	}
	_, err = ParsePrices([]byte(`{"date": "2026-01-01", "prices": {}, "sizes": {}}`))
	if want := `unknown field "sizes"`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got error %v, want one containing %q", err, want)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// TestReplicatedSecretCountsPerRegion: a secret replicated to another region is
// billed there as a secret of its own.
func TestReplicatedSecretCountsPerRegion(t *testing.T) {
	b, err := Estimate(parseTemplates(t, func(ts map[string]map[string]any) {
		props(ts, "shop-test-stateful", "CacheAuthToken")["ReplicaRegions"] = []any{map[string]any{"Region": "us-west-2"}}
	}), testPrices())
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range b.Items {
		if it.Tier == "cache" && it.Name == "Secrets Manager secrets (each replica counts)" {
			if it.Quantity != 2 || it.Monthly != 0.8 {
				t.Errorf("got %g secrets for $%.2f, want 2 for $0.80", it.Quantity, it.Monthly)
			}
			return
		}
	}
	t.Errorf("no cache secrets in %+v", b.Items)
}
