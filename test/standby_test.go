package test

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/example/scalable-web/infra/config"
	"github.com/example/scalable-web/infra/database"
	"github.com/example/scalable-web/infra/stacks"
	"github.com/example/scalable-web/internal/orderevents"
)

// forEachStandbyVariant runs test on every synthesis of a stage with a secondary
// region: each stage that has one, with and without a domain, and the pinned copy
// of prod (which always has one).
func forEachStandbyVariant(t *testing.T, test func(t *testing.T, s *synthesis)) {
	t.Helper()
	for _, stage := range config.StageNames() {
		if cfg, err := config.ForStage(stage); err != nil || !cfg.Secondary.Enabled() {
			continue
		}
		t.Run(stage, func(t *testing.T) { test(t, synthesize(t, stage)) })
		t.Run(stage+"-domain", func(t *testing.T) { test(t, withDomain(t, stage)) })
	}
	t.Run("prod-eu", func(t *testing.T) { test(t, synthesizeVariant(t, "prod-eu", "prod", prodCopy)) })
}

// standbyStacks are the names of the standby's stateful and database stacks.
func standbyStacks(s *synthesis) (stateful, db string) {
	return *s.stacks.Standby.Stateful.StackName(), *s.stacks.Standby.Database.StackName()
}

// readsOutput reports whether v is a Fn::GetStackOutput of output from stack in region.
func readsOutput(v any, stack, output, region string) bool {
	ref, _ := mapOf(v)["Fn::GetStackOutput"].(map[string]any)
	return ref != nil && ref["StackName"] == stack && ref["OutputName"] == output && ref["Region"] == region
}

// TestStandbyStacksAreInTheSecondaryRegion: a stage with a secondary region has
// its standby stacks there, named after it; a stage without one has none, and
// every stack of it but the edge's is in its one region.
func TestStandbyStacksAreInTheSecondaryRegion(t *testing.T) {
	forEachStandbyVariant(t, func(t *testing.T, s *synthesis) {
		if s.stacks.Standby == nil {
			t.Fatal("no standby stacks")
		}
		sb := s.stacks.Standby
		for _, stack := range []awscdk.Stack{sb.Stateful.Stack, sb.Database.Stack, sb.Events.Stack, sb.Web.Stack, sb.API.Stack, sb.Failover.Stack} {
			if got := *stack.Region(); got != s.cfg.Secondary.Region {
				t.Errorf("%s is in %s, want the secondary region %s", *stack.StackName(), got, s.cfg.Secondary.Region)
			}
			if name := *stack.StackName(); !strings.HasPrefix(name, s.cfg.Prefix+"-"+s.cfg.Secondary.Region+"-") {
				t.Errorf("stack %s: want its name to carry the region, %s-%s-…", name, s.cfg.Prefix, s.cfg.Secondary.Region)
			}
		}
		for _, stack := range []awscdk.Stack{s.stacks.Standby.Stateful.Stack, s.stacks.Standby.Database.Stack} {
			if got, want := *stack.TerminationProtection(), s.cfg.TerminationProtection; got != want {
				t.Errorf("%s termination protection %v, want %v like the primary's stateful stack", *stack.StackName(), got, want)
			}
		}
	})
	for _, stage := range config.StageNames() {
		s := synthesize(t, stage)
		if !s.cfg.Secondary.Enabled() && s.stacks.Standby != nil {
			t.Errorf("%s has no secondary region but has standby stacks", stage)
		}
	}
}

// TestStandbyNetworkAndCache: the standby has a network of its own block, the
// same AZs and NAT gateways as the primary's, a cache of the primary's size
// (starting cold), and an ops topic of its own that its alarms notify.
func TestStandbyNetworkAndCache(t *testing.T) {
	forEachStandbyVariant(t, func(t *testing.T, s *synthesis) {
		stateful, _ := standbyStacks(s)
		if got := only(t, s, stateful, "AWS::EC2::VPC")["CidrBlock"]; got != s.cfg.Secondary.CIDR {
			t.Errorf("standby VPC %v, want secondary.cidr %s", got, s.cfg.Secondary.CIDR)
		}
		if got := len(s.resources(stateful, "AWS::EC2::NatGateway")); got != s.cfg.Network.NATGateways {
			t.Errorf("%d NAT gateways in the standby, want %d like the primary", got, s.cfg.Network.NATGateways)
		}
		cache := only(t, s, stateful, "AWS::ElastiCache::ReplicationGroup")
		if cache["CacheNodeType"] != s.cfg.Cache.NodeType || cache["NumCacheClusters"] != float64(1+s.cfg.Cache.Replicas) {
			t.Errorf("standby cache %v × %v, want %s × %d like the primary's", cache["CacheNodeType"], cache["NumCacheClusters"], s.cfg.Cache.NodeType, 1+s.cfg.Cache.Replicas)
		}
		if cache["GlobalReplicationGroupId"] != nil {
			t.Errorf("standby cache joins a global datastore; the design keeps it regional and cold")
		}
		only(t, s, stateful, "AWS::SNS::Topic")
	})
}

// TestCrossRegionReplica: the standby's database is an encrypted read replica of
// the primary region's, read by ARN from the primary's outputs, with a key, a
// TLS-only parameter group, logs and monitoring of its own region, and the
// private writer and reader names pointing at it.
func TestCrossRegionReplica(t *testing.T) {
	forEachStandbyVariant(t, func(t *testing.T, s *synthesis) {
		_, db := standbyStacks(s)
		primary := *s.stacks.Stateful.StackName()
		r := only(t, s, db, "AWS::RDS::DBInstance")
		if !readsOutput(r["SourceDBInstanceIdentifier"], primary, "DatabaseArn", s.cfg.Region) {
			t.Errorf("replica source %v, want the primary's DatabaseArn output read from %s in %s", r["SourceDBInstanceIdentifier"], primary, s.cfg.Region)
		}
		if _, ok := mapOf(s.templates[primary]["Outputs"])["DatabaseArn"]; !ok {
			t.Errorf("%s has no DatabaseArn output for the replica to read", primary)
		}
		if r["SourceRegion"] != s.cfg.Region {
			t.Errorf("SourceRegion %v, want %s", r["SourceRegion"], s.cfg.Region)
		}
		if r["StorageEncrypted"] != nil {
			t.Errorf("StorageEncrypted set on a replica: CloudFormation rejects it; KmsKeyId encrypts it")
		}
		key, _ := mapOf(r["KmsKeyId"])["Fn::GetAtt"].([]any)
		if len(key) == 0 || s.resources(db, "AWS::KMS::Key")[fmt.Sprint(key[0])] == nil {
			t.Errorf("KmsKeyId %v, want a key of the standby's own stack (its region)", r["KmsKeyId"])
		}
		params := only(t, s, db, "AWS::RDS::DBParameterGroup")
		if got := mapOf(params["Parameters"])["rds.force_ssl"]; got != "1" {
			t.Errorf("replica parameter group rds.force_ssl %v, want 1", got)
		}
		if !slices.Contains(asStrings(r["EnableCloudwatchLogsExports"]), "postgresql") {
			t.Errorf("replica log exports %v, want postgresql", r["EnableCloudwatchLogsExports"])
		}
		if got := r["EnablePerformanceInsights"]; got != s.cfg.Database.PerformanceInsights {
			t.Errorf("Performance Insights %v, want %v as the stage says", got, s.cfg.Database.PerformanceInsights)
		}
		if got := r["DeletionProtection"]; got != s.cfg.Database.DeletionProtection {
			t.Errorf("DeletionProtection %v, want %v as the stage says", got, s.cfg.Database.DeletionProtection)
		}
		names := map[string]bool{}
		for _, rec := range s.resources(db, "AWS::Route53::RecordSet") {
			p := props(rec)
			names[strings.Split(fmt.Sprint(p["Name"]), ".")[0]] = true
			if !strings.Contains(fmt.Sprint(p["ResourceRecords"]), "Endpoint.Address") {
				t.Errorf("record %v points at %v, want the replica's endpoint", p["Name"], p["ResourceRecords"])
			}
		}
		if !names[database.CrossRegionRecord] || !names[database.ReaderRecord] {
			t.Errorf("private names %v, want %s and %s", names, database.CrossRegionRecord, database.ReaderRecord)
		}
	})
}

// TestSecretsReplicatedToTheStandby: the database's admin secret, every login's
// and the origin secret are replicated to the secondary region, encrypted there
// with the standby's secrets key; the cache AUTH token, whose cache is the
// primary region's alone, is not.
func TestSecretsReplicatedToTheStandby(t *testing.T) {
	forEachStandbyVariant(t, func(t *testing.T, s *synthesis) {
		stateful, _ := standbyStacks(s)
		primary := *s.stacks.Stateful.StackName()
		replicated := 0
		for id, secret := range s.resources(primary, "AWS::SecretsManager::Secret") {
			replicas := asList(props(secret)["ReplicaRegions"])
			if strings.HasPrefix(id, "CacheAuthToken") {
				if len(replicas) != 0 {
					t.Errorf("%s is replicated; the standby's cache has a token of its own", id)
				}
				continue
			}
			if len(replicas) != 1 || replicas[0]["Region"] != s.cfg.Secondary.Region ||
				!readsOutput(replicas[0]["KmsKeyId"], stateful, "SecretsKeyArn", s.cfg.Secondary.Region) {
				t.Errorf("%s replicas %v, want one in %s with the standby's SecretsKeyArn", id, replicas, s.cfg.Secondary.Region)
			}
			replicated++
		}
		if want := 2 + len(s.stacks.Stateful.Database.Logins); replicated != want {
			t.Errorf("%d secrets replicated, want %d: the admin's, each login's and the origin secret", replicated, want)
		}
		if _, ok := mapOf(s.templates[stateful]["Outputs"])["SecretsKeyArn"]; !ok {
			t.Errorf("%s has no SecretsKeyArn output", stateful)
		}
	})
}

// TestCustomerDataReplicated: both customer-data buckets replicate every object,
// deletes included, into the standby's buckets, encrypted there with its data key,
// by a role named in advance that the standby's data key admits.
func TestCustomerDataReplicated(t *testing.T) {
	forEachStandbyVariant(t, func(t *testing.T, s *synthesis) {
		stateful, _ := standbyStacks(s)
		primary := *s.stacks.Stateful.StackName()
		region := s.cfg.Secondary.Region
		for _, name := range []string{"Events", "Reports"} {
			var bucket map[string]any
			for id, b := range s.resources(primary, "AWS::S3::Bucket") {
				if strings.HasPrefix(id, "Storage"+name) {
					bucket = props(b)
				}
			}
			rules := asList(mapOf(bucket["ReplicationConfiguration"])["Rules"])
			if len(rules) != 1 {
				t.Fatalf("%s bucket: replication rules %v, want one", name, rules)
			}
			rule := rules[0]
			dest := mapOf(rule["Destination"])
			if !readsOutput(dest["Bucket"], stateful, name+"BucketArn", region) {
				t.Errorf("%s replicates to %v, want the standby's %sBucketArn", name, dest["Bucket"], name)
			}
			if !readsOutput(mapOf(dest["EncryptionConfiguration"])["ReplicaKmsKeyID"], stateful, "DataKeyArn", region) {
				t.Errorf("%s replicas encrypted with %v, want the standby's data key", name, dest["EncryptionConfiguration"])
			}
			if fmt.Sprint(mapOf(mapOf(rule["SourceSelectionCriteria"])["SseKmsEncryptedObjects"])["Status"]) != "Enabled" ||
				fmt.Sprint(mapOf(rule["DeleteMarkerReplication"])["Status"]) != "Enabled" {
				t.Errorf("%s rule %v, want KMS-encrypted objects and delete markers replicated", name, rule)
			}
		}
		role := s.cfg.Prefix + "-replication-" + s.cfg.Region
		found := false
		for _, r := range s.resources(primary, "AWS::IAM::Role") {
			found = found || props(r)["RoleName"] == role
		}
		if !found {
			t.Errorf("no role named %s in %s", role, primary)
		}
		var standbyKey map[string]any
		for id, k := range s.resources(stateful, "AWS::KMS::Key") {
			if strings.HasPrefix(id, "StorageDataKey") {
				standbyKey = props(k)
			}
		}
		if policy := fmt.Sprint(standbyKey["KeyPolicy"]); !strings.Contains(policy, ":role/"+role) {
			t.Errorf("the standby's data key does not admit %s: %s", role, policy)
		}
	})
}

// TestEveryStackOutputReadExists: every value one stack reads from another, in
// every stage with and without a domain and in the pinned copy of prod, is a plain
// output (no exports or imports) that the producer has, read in the producer's
// region, and the cloud assembly deploys the producer first.
func TestEveryStackOutputReadExists(t *testing.T) {
	check := func(t *testing.T, s *synthesis) {
		regions := map[string]any{}
		for _, stack := range s.stacks.All() {
			var region any = *stack.Region()
			if *awscdk.Token_IsUnresolved(stack.Region()) {
				region = map[string]any{"Ref": "AWS::Region"}
			}
			regions[*stack.StackName()] = region
		}
		manifest := readJSON[struct {
			Artifacts map[string]struct {
				Dependencies []string `json:"dependencies"`
			} `json:"artifacts"`
		}](t, filepath.Join(s.outdir, "manifest.json"))
		var deployedBefore func(reader, producer string, seen map[string]bool) bool
		deployedBefore = func(reader, producer string, seen map[string]bool) bool {
			for _, dep := range manifest.Artifacts[reader].Dependencies {
				if dep == producer || !seen[dep] && func() bool { seen[dep] = true; return deployedBefore(dep, producer, seen) }() {
					return true
				}
			}
			return false
		}
		reads := 0
		for reader, template := range s.templates {
			if n := len(findKey(template, "Fn::ImportValue")); n != 0 {
				t.Errorf("%s imports %d exported values; want none", reader, n)
			}
			for id, o := range mapOf(template["Outputs"]) {
				if mapOf(o)["Export"] != nil {
					t.Errorf("%s exports output %s; want plain outputs only", reader, id)
				}
			}
			for _, ref := range findKey(template, "Fn::GetStackOutput") {
				reads++
				r := mapOf(ref)
				producer, output := fmt.Sprint(r["StackName"]), fmt.Sprint(r["OutputName"])
				region, known := regions[producer]
				switch {
				case !known:
					t.Errorf("%s reads %s from %s, which is not a stack of the stage", reader, output, producer)
				case fmt.Sprint(r["Region"]) != fmt.Sprint(region):
					t.Errorf("%s reads %s from %s in region %v, want the producer's, %v", reader, output, producer, r["Region"], region)
				case mapOf(s.templates[producer]["Outputs"])[output] == nil:
					t.Errorf("%s reads output %s, which %s does not have", reader, output, producer)
				case !deployedBefore(reader, producer, map[string]bool{}):
					t.Errorf("%s reads %s from %s, but the cloud assembly does not deploy %s first", reader, output, producer, producer)
				}
			}
		}
		if reads == 0 {
			t.Error("no stack reads another's outputs: the check ran over nothing")
		}
	}
	forEachEdgeVariant(t, check)
	t.Run("prod-eu", func(t *testing.T) { check(t, synthesizeVariant(t, "prod-eu", "prod", prodCopy)) })
}

// TestFailoverPlan: the failover stack, in the secondary region, holds an ARC
// Region switch plan that activates that region in two steps, a person's approval
// and the Go step run there, and the Go step is configured from the stage and
// may touch only the replica, the replicated secrets and the override parameter.
func TestFailoverPlan(t *testing.T) {
	forEachStandbyVariant(t, func(t *testing.T, s *synthesis) {
		stack := *s.stacks.Standby.Failover.StackName()
		if got := *s.stacks.Standby.Failover.Region(); got != s.cfg.Secondary.Region {
			t.Errorf("failover stack in %s, want the secondary region %s", got, s.cfg.Secondary.Region)
		}
		plan := only(t, s, stack, "AWS::ARCRegionSwitch::Plan")
		if fmt.Sprint(plan["Regions"]) != fmt.Sprint([]any{s.cfg.Region, s.cfg.Secondary.Region}) || plan["PrimaryRegion"] != s.cfg.Region || plan["RecoveryApproach"] != "activePassive" {
			t.Errorf("plan regions %v, primary %v, approach %v; want [%s %s], %s, activePassive", plan["Regions"], plan["PrimaryRegion"], plan["RecoveryApproach"], s.cfg.Region, s.cfg.Secondary.Region, s.cfg.Region)
		}
		workflows := asList(plan["Workflows"])
		if len(workflows) != 1 || workflows[0]["WorkflowTargetAction"] != "activate" || workflows[0]["WorkflowTargetRegion"] != s.cfg.Secondary.Region {
			t.Fatalf("workflows %v, want one that activates %s", workflows, s.cfg.Secondary.Region)
		}
		steps := asList(workflows[0]["Steps"])
		if len(steps) != 3 || steps[0]["ExecutionBlockType"] != "ManualApproval" || steps[1]["ExecutionBlockType"] != "EC2AutoScaling" || steps[2]["ExecutionBlockType"] != "CustomActionLambda" {
			t.Fatalf("steps %v, want a manual approval, the fleet scaled up, then the Go step", steps)
		}
		// The scale-up: the standby's fleet to the primary's, both read from
		// their web stacks, in their regions.
		webs := [2]string{*s.stacks.Web.StackName(), *s.stacks.Standby.Web.StackName()}
		scale := mapOf(mapOf(steps[1]["ExecutionBlockConfiguration"])["Ec2AsgCapacityIncreaseConfig"])
		asgs := asList(scale["Asgs"])
		if len(asgs) != 2 || !readsOutput(asgs[0]["Arn"], webs[0], stacks.FleetArnOutput, s.cfg.Region) ||
			!readsOutput(asgs[1]["Arn"], webs[1], stacks.FleetArnOutput, s.cfg.Secondary.Region) || fmt.Sprint(scale["TargetPercent"]) != "100" {
			t.Errorf("scale-up %v, want the primary's and the standby's fleets (their %s outputs) at 100%%", scale, stacks.FleetArnOutput)
		}
		for i, web := range webs {
			lookups := s.resources(web, "Custom::AWS")
			if len(lookups) != 1 {
				t.Errorf("%s: %d AwsCustomResource lookups, want the fleet's ARN's", web, len(lookups))
			}
			for _, l := range lookups {
				if create := fmt.Sprint(props(l)["Create"]); !strings.Contains(create, "describeAutoScalingGroups") || !strings.Contains(create, "AutoScalingGroups.0.AutoScalingGroupARN") {
					t.Errorf("%s: lookup %s, want DescribeAutoScalingGroups for the fleet's ARN", web, create)
				}
			}
			if mapOf(s.templates[web]["Outputs"])[stacks.FleetArnOutput] == nil {
				t.Errorf("%s (fleet %d): no %s output", web, i, stacks.FleetArnOutput)
			}
		}
		for id, pol := range s.resources(stack, "AWS::IAM::Policy") {
			for _, st := range asList(mapOf(props(pol)["PolicyDocument"])["Statement"]) {
				if actions := strings.Join(asStrings(st["Action"]), ","); actions == "autoscaling:UpdateAutoScalingGroup" &&
					(len(asList(st["Resource"])) != 2 || len(findKey(st["Resource"], "Fn::GetStackOutput")) != 2) {
					t.Errorf("%s: %s on %v, want the two fleets only", id, actions, st["Resource"])
				}
			}
		}
		lambda := mapOf(mapOf(steps[2]["ExecutionBlockConfiguration"])["CustomActionLambdaConfig"])
		functions := s.resources(stack, "AWS::Lambda::Function")
		var step map[string]any
		for id, fn := range functions {
			if fmt.Sprint(asList(lambda["Lambdas"])[0]["Arn"]) == fmt.Sprint(map[string]any{"Fn::GetAtt": []any{id, "Arn"}}) {
				step = props(fn)
			}
		}
		if step == nil || lambda["RegionToRun"] != "activatingRegion" {
			t.Fatalf("the plan runs %v in %v, want this stack's step function in the activating region", lambda["Lambdas"], lambda["RegionToRun"])
		}
		env := mapOf(mapOf(step["Environment"])["Variables"])
		if env["FAILOVER_MAX_LAG_SECONDS"] != fmt.Sprint(s.cfg.Secondary.FailoverMaxLagSeconds) {
			t.Errorf("lag bound %v, want secondary.failoverMaxLagSeconds %d", env["FAILOVER_MAX_LAG_SECONDS"], s.cfg.Secondary.FailoverMaxLagSeconds)
		}
		_, db := standbyStacks(s)
		if ref := mapOf(mapOf(env["FAILOVER_REPLICA_ID"])["Fn::GetStackOutput"]); ref["StackName"] != db {
			t.Errorf("replica %v, want the standby database stack's replica", env["FAILOVER_REPLICA_ID"])
		}
		primary := *s.stacks.Stateful.StackName()
		secrets := findKey(env["FAILOVER_SECRETS"], "Fn::GetStackOutput")
		if want := 2 + len(s.stacks.Stateful.Database.Logins); len(secrets) != want {
			t.Errorf("the step takes over %d secrets, want %d: the admin's, each login's and the origin secret", len(secrets), want)
		}
		for _, ref := range secrets {
			if r := mapOf(ref); r["StackName"] != primary || !strings.HasSuffix(fmt.Sprint(r["OutputName"]), "InStandby") {
				t.Errorf("secret %v, want an InStandby output of %s", r, primary)
			}
		}
		// The old primary's health check, with a domain: drained last, and only it.
		api, routed := *s.stacks.API.StackName(), s.stacks.API.Routing != nil
		drain := env["FAILOVER_DRAIN_HEALTH_CHECK"]
		if routed && !readsOutput(drain, api, stacks.HealthCheckIDOutput, s.cfg.Region) || !routed && drain != "" {
			t.Errorf("drained health check %v, want the primary API stack's %s output with a domain, none without", drain, stacks.HealthCheckIDOutput)
		}
		route53Grants := 0
		for id, pol := range s.resources(stack, "AWS::IAM::Policy") {
			for _, st := range asList(mapOf(props(pol)["PolicyDocument"])["Statement"]) {
				actions := strings.Join(asStrings(st["Action"]), ",")
				if strings.Contains(actions, "rds:") && !strings.Contains(fmt.Sprint(st["Resource"]), db) {
					t.Errorf("%s: %s on %v, want the replica only", id, actions, st["Resource"])
				}
				if strings.Contains(actions, "route53:") {
					route53Grants++
					if actions != "route53:GetHealthCheck,route53:UpdateHealthCheck" || len(findKey(st["Resource"], "Fn::GetStackOutput")) != 1 ||
						!strings.Contains(fmt.Sprint(st["Resource"]), ":route53:::healthcheck/") || !strings.Contains(fmt.Sprint(st["Resource"]), api) {
						t.Errorf("%s: %s on %v, want reading and updating the primary's health check only", id, actions, st["Resource"])
					}
				}
				if fmt.Sprint(st["Resource"]) == "*" && !slices.Contains([]string{"cloudwatch:GetMetricData", "autoscaling:DescribeAutoScalingGroups", "cloudwatch:GetMetricStatistics"}, actions) {
					t.Errorf("%s: %s on *, want only reads that take no resource (GetMetricData, DescribeAutoScalingGroups, GetMetricStatistics) there", id, actions)
				}
			}
		}
		if routed != (route53Grants == 1) {
			t.Errorf("%d Route 53 grants, want one exactly when the stage has a domain (%v)", route53Grants, routed)
		}
	})
}

// TestFailoverDryRunPrintsThePlan runs make failover's program in -dry-run over
// prod's synthesized templates: it prints the plan's steps and starts nothing.
func TestFailoverDryRunPrintsThePlan(t *testing.T) {
	s := synthesize(t, "prod")
	if !s.cfg.Secondary.Enabled() {
		t.Skip("prod runs in one region")
	}
	out, err := exec.Command("go", "run", "../cmd/failover", "-stage", "prod", "-to", s.cfg.Secondary.Region, "-dry-run", "-out", s.outdir).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"activate " + s.cfg.Secondary.Region, "1. approve (ManualApproval)", "2. scale-up (EC2AutoScaling)", "3. promote-and-take-over (CustomActionLambda)", "dry run: nothing started"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("dry run printed\n%s\nwant %q", out, want)
		}
	}
	out, err = exec.Command("go", "run", "../cmd/failover", "-stage", "prod", "-to", s.cfg.Region, "-dry-run", "-out", s.outdir).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "want "+s.cfg.Secondary.Region+", the standby region of prod") {
		t.Errorf("failover to the primary region: %v\n%s\nwant a refusal naming the standby region", err, out)
	}
}

// TestStandbyFleetServesReadsLocally: the standby runs its own fan-out, fleet and
// API. Its fleet, Secondary.MinCapacity instances until a failover, reads the
// region's replica and cache, logs in with the replica of the service's secret,
// checks CloudFront's header against the replica of the origin secret, and
// publishes to the region's own topic; its writes go to the replica, which
// refuses them (503) until a failover promotes it.
func TestStandbyFleetServesReadsLocally(t *testing.T) {
	forEachStandbyVariant(t, func(t *testing.T, s *synthesis) {
		sb := s.stacks.Standby
		web, events, db := *sb.Web.StackName(), *sb.Events.StackName(), *sb.Database.StackName()
		primary := *s.stacks.Stateful.StackName()
		group := only(t, s, web, "AWS::AutoScaling::AutoScalingGroup")
		if group["MinSize"] != fmt.Sprint(s.cfg.Secondary.MinCapacity) || group["MaxSize"] != fmt.Sprint(s.cfg.Web.MaxCapacity) {
			t.Errorf("standby fleet %v to %v instances, want secondary.minCapacity %d to web.maxCapacity %d", group["MinSize"], group["MaxSize"], s.cfg.Secondary.MinCapacity, s.cfg.Web.MaxCapacity)
		}
		userData := only(t, s, web, "AWS::EC2::LaunchTemplate")["LaunchTemplateData"]
		reads := map[string]map[string]any{} // environment variable → the output it reads
		joined := findKey(userData, "Fn::Join")
		if len(joined) == 0 {
			t.Fatal("no user data")
		}
		parts := joined[0].([]any)[1].([]any)
		for i := 1; i < len(parts); i++ {
			prev := fmt.Sprint(parts[i-1])
			ref := mapOf(mapOf(parts[i])["Fn::GetStackOutput"])
			if ref == nil {
				continue
			}
			name := prev[strings.LastIndex(prev, "\n")+1:]
			name = strings.TrimSuffix(name[strings.LastIndex(name, " ")+1:], "=")
			reads[name] = ref
		}
		for _, want := range []struct{ env, stack, output string }{
			{"DB_WRITER_HOST", db, ""},
			{"DB_SECRET_ARN", primary, "ShopServiceLoginInStandby"},
			{"ORIGIN_SECRET_ARN", primary, "OriginSecretInStandby"},
			{"EVENTS_TOPIC_ARN", events, ""},
		} {
			ref := reads[want.env]
			if ref == nil || ref["StackName"] != want.stack || want.output != "" && ref["OutputName"] != want.output {
				t.Errorf("%s reads %v, want %s's %s", want.env, ref, want.stack, want.output)
			}
		}
		if got, want := len(s.resources(events, "AWS::SQS::Queue")), 3*len(orderevents.Consumers); got != want {
			t.Errorf("standby fan-out has %d queues, want %d: each consumer's queue and its two dead-letter queues", got, want)
		}
		only(t, s, *sb.API.StackName(), "AWS::ApiGatewayV2::VpcLink")
	})
}

// TestStandbyConsumersWaitForTheFailover: in the standby, each consumer of the
// contract has its function and event source; those that write to the database,
// which is a read-only replica until a failover, are created disabled, their
// queues keeping what arrives, and the failover's Go step is given exactly those
// mappings to enable, with the grant to do it.
func TestStandbyConsumersWaitForTheFailover(t *testing.T) {
	forEachStandbyVariant(t, func(t *testing.T, s *synthesis) {
		events, failover := *s.stacks.Standby.Events.StackName(), *s.stacks.Standby.Failover.StackName()
		mappings := s.resources(events, "AWS::Lambda::EventSourceMapping")
		if len(mappings) != len(orderevents.Consumers) {
			t.Fatalf("%d event source mappings in the standby, want one per consumer (%d)", len(mappings), len(orderevents.Consumers))
		}
		var disabled []string
		for _, c := range orderevents.Consumers {
			for id, m := range mappings {
				if !strings.HasPrefix(id, consumerPrefix(c.Name)) {
					continue
				}
				enabled := props(m)["Enabled"] != false
				if writes := c.DatabaseRole != ""; enabled == writes {
					t.Errorf("standby consumer %s enabled %v, want %v: only consumers that write to the database wait for the failover", c.Name, enabled, !writes)
				}
				if !enabled {
					disabled = append(disabled, id)
				}
			}
		}
		var env map[string]any
		for _, fn := range s.resources(failover, "AWS::Lambda::Function") {
			if vars := mapOf(mapOf(props(fn)["Environment"])["Variables"]); vars["FAILOVER_EVENT_SOURCE_MAPPINGS"] != nil {
				env = vars
			}
		}
		refs := findKey(env["FAILOVER_EVENT_SOURCE_MAPPINGS"], "Fn::GetStackOutput")
		if len(refs) != len(disabled) {
			t.Errorf("the failover step enables %d mappings, want the %d disabled ones %v", len(refs), len(disabled), disabled)
		}
		for _, ref := range refs {
			r := mapOf(ref)
			if r["StackName"] != events || !slices.ContainsFunc(disabled, func(id string) bool { return strings.Contains(fmt.Sprint(r["OutputName"]), id) }) {
				t.Errorf("the failover step enables %v, want one of the standby's disabled mappings %v", r, disabled)
			}
		}
		var granted []any // the mappings lambda:UpdateEventSourceMapping is granted on
		for _, pol := range s.resources(failover, "AWS::IAM::Policy") {
			for _, st := range asList(mapOf(props(pol)["PolicyDocument"])["Statement"]) {
				if slices.Contains(asStrings(st["Action"]), "lambda:UpdateEventSourceMapping") {
					resources, ok := st["Resource"].([]any)
					if !ok {
						resources = []any{st["Resource"]}
					}
					granted = append(granted, resources...)
				}
			}
		}
		if len(granted) != len(disabled) {
			t.Errorf("the failover step may update %d mappings, want the %d disabled ones", len(granted), len(disabled))
		}
		for _, r := range granted {
			if !strings.Contains(fmt.Sprint(r), ":event-source-mapping:") || len(findKey(r, "Fn::GetStackOutput")) != 1 {
				t.Errorf("lambda:UpdateEventSourceMapping on %v, want one of the standby's mappings", r)
			}
		}
	})
}

// consumerPrefix starts the logical IDs of a consumer's resources: "InventoryConsumer".
func consumerPrefix(name string) string { return strings.ToUpper(name[:1]) + name[1:] + "Consumer" }
