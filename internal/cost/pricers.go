package cost

import (
	"errors"
	"fmt"
)

// pricer costs one resource type from its properties. Items come out in the order
// of this list, so it also orders the lines of each tier.
type pricer struct {
	typ  string
	cost func(r resource, p Price, hours float64) ([]Item, error)
}

var pricers = []pricer{
	{"AWS::EC2::NatGateway", perHour("NAT gateways")},
	{"AWS::EC2::EIP", perHour("public IPv4 addresses")},
	{"AWS::EC2::VPCEndpoint", vpcEndpoint},
	{"AWS::RDS::DBInstance", dbInstance},
	{"AWS::ElastiCache::ReplicationGroup", replicationGroup},
	{"AWS::ElasticLoadBalancingV2::LoadBalancer", loadBalancer},
	{"AWS::AutoScaling::AutoScalingGroup", autoScalingGroup},
	{"AWS::WAFv2::WebACL", webACL},
	{"AWS::KMS::Key", perMonth("KMS keys")},
	{"AWS::SecretsManager::Secret", secret},
	{"AWS::Route53::HostedZone", perMonth("Route 53 hosted zones")},
	{"AWS::ARCRegionSwitch::Plan", perMonth("ARC Region switch plans")},
	{"AWS::CloudWatch::Alarm", alarm},
	{"AWS::CloudWatch::CompositeAlarm", perMonth("composite alarms")},
	{"AWS::CloudWatch::Dashboard", perMonth("CloudWatch dashboards")},
}

func perHour(name string) func(resource, Price, float64) ([]Item, error) {
	return func(_ resource, p Price, hours float64) ([]Item, error) {
		return []Item{{Name: name, Quantity: 1, Monthly: p.Hourly * hours}}, nil
	}
}

func perMonth(name string) func(resource, Price, float64) ([]Item, error) {
	return func(_ resource, p Price, _ float64) ([]Item, error) {
		return []Item{{Name: name, Quantity: 1, Monthly: p.Monthly}}, nil
	}
}

// secret: Secrets Manager bills each replica in another region as a secret of
// its own.
func secret(r resource, p Price, _ float64) ([]Item, error) {
	replicas, _ := lookup(r.props, "ReplicaRegions").([]any)
	n := float64(1 + len(replicas))
	return []Item{{Name: "Secrets Manager secrets (each replica counts)", Quantity: n, Monthly: n * p.Monthly}}, nil
}

// vpcEndpoint: gateway endpoints (S3, DynamoDB) are free; an interface endpoint
// bills each AZ it has a network interface in.
func vpcEndpoint(r resource, p Price, hours float64) ([]Item, error) {
	kind, err := r.str("VpcEndpointType")
	if err != nil {
		return nil, err
	}
	if kind == "" {
		kind = "Gateway"
	}
	hourly, err := sized(p, "VpcEndpointType", kind)
	if err != nil || hourly == 0 {
		return nil, err
	}
	subnets, ok := lookup(r.props, "SubnetIds").([]any)
	if !ok {
		return nil, literal("SubnetIds", lookup(r.props, "SubnetIds"), "list of subnets")
	}
	n := float64(len(subnets))
	return []Item{{Name: "interface VPC endpoints", Quantity: n, Unit: "AZs", Monthly: n * hourly * hours}}, nil
}

// dbInstance: a PostgreSQL primary or read replica. Multi-AZ bills a standby's
// instance and storage too; a replica has as much storage as its source.
func dbInstance(r resource, p Price, hours float64) ([]Item, error) {
	if err := r.rejectSet("provisioned IOPS and throughput are not in the price table", "Iops", "StorageThroughput"); err != nil {
		return nil, err
	}
	class, err := r.required("DBInstanceClass")
	if err != nil {
		return nil, err
	}
	multiAZ, err := r.boolean("MultiAZ")
	if err != nil {
		return nil, err
	}
	storage := r // the primary holds the storage settings; a replica inherits them
	if lookup(r.props, "SourceDBInstanceIdentifier") != nil {
		if storage, err = r.ref("SourceDBInstanceIdentifier", r.typ); err != nil {
			return nil, err
		}
	}
	engine, err := storage.str("Engine")
	if err != nil {
		return nil, err
	}
	if engine != "postgres" {
		return nil, fmt.Errorf("property Engine %q: the price table has RDS for PostgreSQL's prices (postgres)", engine)
	}
	gb, ok, err := storage.number("AllocatedStorage")
	if err == nil && !ok {
		err = errors.New("property AllocatedStorage is not set")
	}
	if err != nil {
		return nil, fmt.Errorf("storage of %s: %w", storage.id, err)
	}
	volume, err := r.str("StorageType")
	if err == nil && volume == "" {
		volume, err = storage.required("StorageType")
	}
	if err != nil {
		return nil, err
	}
	hourly, err := sized(p, "DBInstanceClass", class)
	if err != nil {
		return nil, err
	}
	gbMonth, err := perGB(p, "StorageType", volume)
	if err != nil {
		return nil, err
	}
	copies := 1.0
	if multiAZ {
		copies = 2
	}
	return []Item{
		{Name: "PostgreSQL instances (Multi-AZ counts twice)", Size: class, Quantity: copies, Monthly: copies * hourly * hours},
		{Name: volume + " storage (Multi-AZ counts twice)", Quantity: copies * gb, Unit: "GB", Monthly: copies * gb * gbMonth},
	}, nil
}

// replicationGroup: Valkey nodes, NumCacheClusters of them, or NumNodeGroups
// shards of a primary and ReplicasPerNodeGroup replicas.
func replicationGroup(r resource, p Price, hours float64) ([]Item, error) {
	engine, err := r.str("Engine")
	if err != nil {
		return nil, err
	}
	if engine != "valkey" {
		return nil, fmt.Errorf("property Engine %q: the price table has ElastiCache for Valkey's prices (valkey)", engine)
	}
	nodeType, err := r.required("CacheNodeType")
	if err != nil {
		return nil, err
	}
	nodes, ok, err := r.number("NumCacheClusters")
	if err != nil {
		return nil, err
	}
	if !ok {
		shards, set, err := r.number("NumNodeGroups")
		if err != nil {
			return nil, err
		}
		if !set {
			shards = 1
		}
		replicas, _, err := r.number("ReplicasPerNodeGroup")
		if err != nil {
			return nil, err
		}
		nodes = shards * (1 + replicas)
	}
	hourly, err := sized(p, "CacheNodeType", nodeType)
	if err != nil {
		return nil, err
	}
	return []Item{{Name: "Valkey nodes", Size: nodeType, Quantity: nodes, Monthly: nodes * hourly * hours}}, nil
}

// loadBalancer: the hourly charge; LCUs grow with traffic.
func loadBalancer(r resource, p Price, hours float64) ([]Item, error) {
	kind, err := r.str("Type")
	if err != nil {
		return nil, err
	}
	if kind == "" {
		kind = "application"
	}
	hourly, err := sized(p, "Type", kind)
	if err != nil {
		return nil, err
	}
	return []Item{{Name: "load balancers (LCUs extra, with traffic)", Size: kind, Quantity: 1, Monthly: hourly * hours}}, nil
}

// autoScalingGroup: the group's minimum number of instances, which is what target
// tracking scales an idle group in to, of its launch template's type, each with the template's EBS volumes and, when the
// template turns it on, detailed monitoring.
func autoScalingGroup(r resource, p Price, hours float64) ([]Item, error) {
	if err := r.rejectSet("only a single launch template is priced", "MixedInstancesPolicy", "LaunchConfigurationName"); err != nil {
		return nil, err
	}
	n, ok, err := r.number("MinSize")
	if err == nil && !ok {
		err = errors.New("property MinSize is not set")
	}
	if err != nil {
		return nil, err
	}
	lt, err := r.ref("LaunchTemplate.LaunchTemplateId", "AWS::EC2::LaunchTemplate")
	if err != nil {
		return nil, err
	}
	items, err := launchTemplate(lt, p, hours, n)
	if err != nil {
		return nil, fmt.Errorf("launch template %s: %w", lt.id, err)
	}
	return items, nil
}

func launchTemplate(lt resource, p Price, hours, n float64) ([]Item, error) {
	instanceType, err := lt.required("LaunchTemplateData.InstanceType")
	if err != nil {
		return nil, err
	}
	hourly, err := sized(p, "LaunchTemplateData.InstanceType", instanceType)
	if err != nil {
		return nil, err
	}
	items := []Item{{Name: "EC2 instances (the group's minimum size)", Size: instanceType, Quantity: n, Monthly: n * hourly * hours}}

	const path = "LaunchTemplateData.BlockDeviceMappings"
	mappings, ok := lookup(lt.props, path).([]any)
	if !ok || len(mappings) == 0 {
		return nil, fmt.Errorf("property %s is not a list of volumes: the root volume's size would come from the AMI, which the estimate cannot read", path)
	}
	for i, m := range mappings {
		volume := resource{stack: lt.stack, id: lt.id, typ: lt.typ}
		volume.props, _ = m.(map[string]any)
		if lookup(volume.props, "Ebs") == nil {
			continue // an instance-store or suppressed device
		}
		if err := volume.rejectSet("provisioned IOPS and throughput are not in the price table", "Ebs.Iops", "Ebs.Throughput"); err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", path, i, err)
		}
		gb, ok, err := volume.number("Ebs.VolumeSize")
		if err == nil && !ok {
			err = errors.New("property Ebs.VolumeSize is not set")
		}
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", path, i, err)
		}
		kind, err := volume.required("Ebs.VolumeType")
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", path, i, err)
		}
		gbMonth, err := perGB(p, "Ebs.VolumeType", kind)
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", path, i, err)
		}
		items = append(items, Item{Name: "EBS " + kind + " volumes", Quantity: n * gb, Unit: "GB", Monthly: n * gb * gbMonth})
	}

	monitoring, err := lt.boolean("LaunchTemplateData.Monitoring.Enabled")
	if err != nil {
		return nil, err
	}
	if monitoring {
		items = append(items, Item{Name: "EC2 detailed monitoring (per instance)", Quantity: n, Monthly: n * p.Extras["detailedMonitoring"]})
	}
	return items, nil
}

// webACL: the web ACL, each rule, and the subscription of the AWS managed rule
// groups that charge one. Marketplace rule groups are not in the price table.
func webACL(r resource, p Price, _ float64) ([]Item, error) {
	rules, ok := lookup(r.props, "Rules").([]any)
	if !ok && lookup(r.props, "Rules") != nil {
		return nil, literal("Rules", lookup(r.props, "Rules"), "list of rules")
	}
	n := float64(len(rules))
	items := []Item{
		{Name: "WAF web ACLs", Quantity: 1, Monthly: p.Monthly},
		{Name: "WAF rules", Quantity: n, Monthly: n * p.Extras["rule"]},
	}
	for i, rule := range rules {
		group := resource{stack: r.stack, id: r.id, typ: r.typ}
		group.props, _ = rule.(map[string]any)
		if lookup(group.props, "Statement.ManagedRuleGroupStatement") == nil {
			continue
		}
		vendor, err := group.required("Statement.ManagedRuleGroupStatement.VendorName")
		if err != nil {
			return nil, fmt.Errorf("rule %d: %w", i, err)
		}
		name, err := group.required("Statement.ManagedRuleGroupStatement.Name")
		if err != nil {
			return nil, fmt.Errorf("rule %d: %w", i, err)
		}
		if vendor != "AWS" {
			return nil, fmt.Errorf("rule %d: rule group %s of %s: Marketplace rule groups are not in the price table", i, name, vendor)
		}
		if fee, ok := p.Extras[name]; ok {
			items = append(items, Item{Name: "WAF managed rule group subscriptions (requests extra)", Size: name, Quantity: 1, Monthly: fee})
		}
	}
	return items, nil
}

// alarm: each metric the alarm reads, at the high-resolution price when its
// period is under a minute. Metric-math expressions are free.
func alarm(r resource, p Price, _ float64) ([]Item, error) {
	var standard, high float64
	count := func(periodPath string, m resource) error {
		period, _, err := m.number(periodPath)
		if err != nil {
			return err
		}
		if period > 0 && period < 60 {
			high++
		} else {
			standard++
		}
		return nil
	}
	if lookup(r.props, "MetricName") != nil {
		if err := count("Period", r); err != nil {
			return nil, err
		}
	}
	metrics, _ := lookup(r.props, "Metrics").([]any)
	for i, m := range metrics {
		metric := resource{stack: r.stack, id: r.id, typ: r.typ}
		metric.props, _ = m.(map[string]any)
		if lookup(metric.props, "MetricStat") == nil {
			continue
		}
		if err := count("MetricStat.Period", metric); err != nil {
			return nil, fmt.Errorf("metric %d: %w", i, err)
		}
	}
	if standard+high == 0 {
		return nil, errors.New("no metric: want MetricName or Metrics with a MetricStat")
	}
	var items []Item
	if standard > 0 {
		items = append(items, Item{Name: "CloudWatch alarms", Quantity: standard, Unit: "metrics", Monthly: standard * p.Extras["metric"]})
	}
	if high > 0 {
		items = append(items, Item{Name: "CloudWatch high-resolution alarms", Quantity: high, Unit: "metrics", Monthly: high * p.Extras["highResolutionMetric"]})
	}
	return items, nil
}
