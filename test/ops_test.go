package test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/config"
	"github.com/example/scalable-web/infra/stacks"
	"github.com/example/scalable-web/infra/web"
	"github.com/example/scalable-web/internal/emf"
	"github.com/example/scalable-web/internal/orderevents"
)

// isOpsTopic reports whether an alarm action in stack names the ops topic of the
// stack's region: a Ref in that region's stateful stack, a Fn::GetStackOutput of
// that Ref everywhere else.
func isOpsTopic(s *synthesis, stack string, action any) bool {
	home, regional := s.stacks.Stateful.Stack, s.stacks.Stateful.Regional
	if sb := s.stacks.Standby; sb != nil && strings.HasPrefix(stack, s.cfg.StandbyStackName("")) {
		home, regional = sb.Stateful.Stack, sb.Stateful.Regional
	}
	stateful := *home.StackName()
	topic := *home.GetLogicalId(regional.AlarmTopic.Topic.Node().DefaultChild().(awscdk.CfnElement))
	got := fmt.Sprint(action)
	if stack == stateful {
		return got == fmt.Sprint(map[string]any{"Ref": topic})
	}
	ref, _ := mapOf(action)["Fn::GetStackOutput"].(map[string]any)
	return ref["StackName"] == stateful && strings.HasPrefix(fmt.Sprint(ref["OutputName"]), "PublishOutputRef"+topic)
}

func TestEveryAlarmNotifiesTheOpsTopic(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesis, _ string) {
		total := 0
		for _, stack := range stackNames(s.stacks) {
			for _, typ := range []string{"AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm"} {
				for id, r := range s.resources(stack, typ) {
					total++
					p := props(r)
					for _, actions := range []string{"AlarmActions", "OKActions"} {
						got := asList(p[actions])
						if list, _ := p[actions].([]any); len(got) != 1 || !isOpsTopic(s, stack, list[0]) {
							t.Errorf("%s/%s: %s %v, want the ops topic only", stack, id, actions, p[actions])
						}
					}
					if typ == "AWS::CloudWatch::Alarm" && p["TreatMissingData"] == nil {
						t.Errorf("%s/%s: no TreatMissingData; say on purpose what no data means", stack, id)
					}
				}
			}
		}
		if total < 30 {
			t.Errorf("%d alarms in the stage; the tiers make more than 30", total)
		}
	})
}

func TestOpsTopicCanReceiveFromAlarmsAndAutoScaling(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesis, stack string) {
		keyID := *s.stacks.Stateful.Stack.GetLogicalId(s.stacks.Stateful.AlarmTopic.Key.Node().DefaultChild().(awscdk.CfnElement))
		key := props(s.templates[stack]["Resources"].(map[string]any)[keyID].(map[string]any))
		if key["EnableKeyRotation"] != true {
			t.Error("the ops topic key does not rotate")
		}
		policy := fmt.Sprint(key["KeyPolicy"])
		for _, want := range []string{"cloudwatch.amazonaws.com", "AWSServiceRoleForAutoScaling", "kms:GenerateDataKey*", "kms:Decrypt"} {
			if !strings.Contains(policy, want) {
				t.Errorf("ops key policy lacks %s: CloudWatch alarms and Auto Scaling could not publish to the encrypted topic", want)
			}
		}
		topicID := *s.stacks.Stateful.Stack.GetLogicalId(s.stacks.Stateful.AlarmTopic.Topic.Node().DefaultChild().(awscdk.CfnElement))
		topic := props(s.templates[stack]["Resources"].(map[string]any)[topicID].(map[string]any))
		if fmt.Sprint(topic["KmsMasterKeyId"]) != fmt.Sprintf("map[Fn::GetAtt:[%s Arn]]", keyID) {
			t.Errorf("ops topic key %v, want %s", topic["KmsMasterKeyId"], keyID)
		}
		web := *s.stacks.Web.StackName()
		asg := only(t, s, web, "AWS::AutoScaling::AutoScalingGroup")
		notify := asList(asg["NotificationConfigurations"])
		if len(notify) != 1 || !strings.Contains(fmt.Sprint(notify[0]["TopicARN"]), "PublishOutputRefOps") ||
			len(asStrings(notify[0]["NotificationTypes"])) != 4 {
			t.Errorf("Auto Scaling notifications %v, want launches and terminations, failed ones too, to the ops topic", notify)
		}
		if n := len(s.resources(stack, "AWS::SNS::Subscription")); n != 0 && s.cfg.Ops.AlarmEmails == nil {
			t.Errorf("%d subscriptions in the stateful stack, want none without Ops endpoints", n)
		}
	})
}

func TestOpsSubscriptionsFromConfig(t *testing.T) {
	s := prodOptions(t)
	stack := *s.stacks.Stateful.StackName()
	var got []string
	for _, r := range s.resources(stack, "AWS::SNS::Subscription") {
		p := props(r)
		got = append(got, fmt.Sprint(p["Protocol"], " ", p["Endpoint"]))
	}
	slices.Sort(got)
	want := []string{"email cto@example.com", "email oncall@example.com", "https https://events.example.com/integration/sns/abc"}
	if !slices.Equal(got, want) {
		t.Errorf("subscriptions %v, want %v", got, want)
	}
	for _, v := range s.report.nag() {
		t.Errorf("cdk-nag: %s", v)
	}
}

// TestEveryQueueAndFunctionHasAlarms checks that every SQS queue (DLQs included)
// and every Go function of the events stack is watched.
func TestEveryQueueAndFunctionHasAlarms(t *testing.T) {
	forEachEventsStack(t, func(t *testing.T, s *synthesis, stack string) {
		watched := map[string][]string{} // logical ID of the queue or function -> metrics
		for _, r := range s.resources(stack, "AWS::CloudWatch::Alarm") {
			p := props(r)
			for _, d := range asList(p["Dimensions"]) {
				watched[fmt.Sprint(d["Value"])] = append(watched[fmt.Sprint(d["Value"])], fmt.Sprint(p["MetricName"]))
			}
			for _, m := range asList(p["Metrics"]) {
				stat, _ := m["MetricStat"].(map[string]any)
				metric, _ := stat["Metric"].(map[string]any)
				for _, d := range asList(metric["Dimensions"]) {
					watched[fmt.Sprint(d["Value"])] = append(watched[fmt.Sprint(d["Value"])], fmt.Sprint(metric["MetricName"]))
				}
			}
		}
		for id := range s.resources(stack, "AWS::SQS::Queue") {
			if ref := fmt.Sprintf("map[Fn::GetAtt:[%s QueueName]]", id); len(watched[ref]) == 0 {
				t.Errorf("queue %s has no alarm", id)
			}
		}
		functions := 0
		for id, r := range s.resources(stack, "AWS::Lambda::Function") {
			if props(r)["Runtime"] != "provided.al2023" {
				continue // the CDK's own helpers
			}
			functions++
			got := watched[fmt.Sprintf("map[Ref:%s]", id)]
			if !slices.Contains(got, "Errors") || !slices.Contains(got, "Throttles") {
				t.Errorf("function %s alarms on %v, want Errors and Throttles", id, got)
			}
		}
		if want := 3 + len(orderevents.Consumers); functions != want {
			t.Errorf("%d Go functions, want %d (migration, daily report, catalog import, one per consumer)", functions, want)
		}
	})
}

func TestShopDownAlarm(t *testing.T) {
	forEachStageStack(t, func(s *stacks.Stacks) awscdk.Stack { return s.Ops.Stack }, func(t *testing.T, s *synthesis, stack string) {
		alarm := only(t, s, stack, "AWS::CloudWatch::CompositeAlarm")
		rule := fmt.Sprint(alarm["AlarmRule"])
		for _, want := range []string{"ApiServerErrorsAlarm", "WebLoadBalancer5xxAlarm", "WebNoHealthyHostsAlarm"} {
			if !strings.Contains(rule, want) {
				t.Errorf("shop-down rule %s does not watch %s", rule, want)
			}
		}
		if strings.Count(rule, "OR ALARM") != 2 {
			t.Errorf("shop-down rule %s, want any of three alarms", rule)
		}
		if alarm["AlarmName"] != s.cfg.Prefix+"-shop-down" {
			t.Errorf("name %v", alarm["AlarmName"])
		}
		check(t, "no healthy hosts treats missing data as breaching", func() {
			s.template(t, *s.stacks.Web.StackName()).HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
				"MetricName": "HealthyHostCount", "ComparisonOperator": "LessThanThreshold", "Threshold": 1, "TreatMissingData": "breaching",
			})
		})
	})
}

// TestDashboardChartsEveryTier reads the dashboard's body and checks that it charts
// every tier, and in the data and event tiers every instance, queue and function.
func TestDashboardChartsEveryTier(t *testing.T) {
	forEachStageStack(t, func(s *stacks.Stacks) awscdk.Stack { return s.Ops.Stack }, func(t *testing.T, s *synthesis, stack string) {
		body := fmt.Sprint(only(t, s, stack, "AWS::CloudWatch::Dashboard")["DashboardBody"])
		for _, ns := range []string{"AWS/CloudFront", "AWS/WAFV2", "AWS/ApiGateway", "AWS/ApplicationELB", "AWS/AutoScaling", "AWS/EC2", "AWS/RDS", "AWS/ElastiCache", "AWS/SQS", "AWS/Lambda"} {
			if !strings.Contains(body, `\"`+ns+`\"`) && !strings.Contains(body, `"`+ns+`"`) {
				t.Errorf("the dashboard charts nothing from %s", ns)
			}
		}
		for _, metric := range []string{"BlockedRequests", "5xxErrorRate", "Latency", "TargetResponseTime", "HealthyHostCount", "GroupInServiceInstances",
			"FreeStorageSpace", "DatabaseConnections", "CacheHitRate", "Evictions", "ApproximateAgeOfOldestMessage", "Throttles", "Duration"} {
			if !strings.Contains(body, metric) {
				t.Errorf("the dashboard does not chart %s", metric)
			}
		}
		charted := func(what, stackName, id string) {
			if !strings.Contains(body, "StackName:"+stackName) || !strings.Contains(body, id) {
				t.Errorf("the dashboard does not chart %s %s of %s", what, id, stackName)
			}
		}
		stateful, events := *s.stacks.Stateful.StackName(), *s.stacks.Events.StackName()
		for id := range s.resources(stateful, "AWS::RDS::DBInstance") {
			charted("database instance", stateful, "PublishOutputRef"+id)
		}
		for id := range s.resources(events, "AWS::SQS::Queue") {
			charted("queue", events, "PublishOutputFnGetAtt"+id+"QueueName")
		}
		for id, r := range s.resources(events, "AWS::Lambda::Function") {
			if props(r)["Runtime"] == "provided.al2023" {
				charted("function", events, "PublishOutputRef"+id)
			}
		}
		if got := strings.Contains(body, "ReplicaLag"); got != (s.cfg.Database.Replicas > 0) {
			t.Errorf("replica lag charted: %v, want it exactly when the stage has replicas (%d)", got, s.cfg.Database.Replicas)
		}
		if got, want := strings.Count(body, "CacheClusterId"), 4*(1+s.cfg.Cache.Replicas); got != want {
			t.Errorf("%d cache node series, want %d (4 graphs × %d nodes)", got, want, 1+s.cfg.Cache.Replicas)
		}
	})
}

// TestBusinessMetrics: the service and every function record into the stage's
// namespace, and the dashboard and the outbox alarm read the names they record.
func TestBusinessMetrics(t *testing.T) {
	forEachStageStack(t, func(s *stacks.Stacks) awscdk.Stack { return s.Ops.Stack }, func(t *testing.T, s *synthesis, stack string) {
		ns := s.cfg.Prefix
		events, web := *s.stacks.Events.StackName(), *s.stacks.Web.StackName()
		for id, r := range s.resources(events, "AWS::Lambda::Function") {
			if props(r)["Runtime"] != "provided.al2023" {
				continue
			}
			env := mapOf(mapOf(props(r)["Environment"])["Variables"])
			if env["METRICS_NAMESPACE"] != ns {
				t.Errorf("function %s: METRICS_NAMESPACE %v, want %s", id, env["METRICS_NAMESPACE"], ns)
			}
		}
		userData, _ := json.Marshal(s.resources(web, "AWS::EC2::LaunchTemplate"))
		if !strings.Contains(string(userData), "METRICS_NAMESPACE="+ns) {
			t.Errorf("the service's environment does not set METRICS_NAMESPACE=%s", ns)
		}

		body := fmt.Sprint(only(t, s, stack, "AWS::CloudWatch::Dashboard")["DashboardBody"])
		for _, m := range []struct{ service, name string }{
			{emf.ServiceShop, emf.OrdersPlaced}, {emf.ServiceShop, emf.CacheHits}, {emf.ServiceShop, emf.CacheMisses},
			{emf.ServiceShop, emf.OutboxBacklog}, {emf.ServiceShop, emf.OutboxOldestAge},
			{"inventory", emf.MessagesProcessed}, {"notifications", emf.MessagesFailed}, {"analytics", emf.MessagesProcessed},
			{"inventory", emf.StockShortages}, {emf.ServiceDailyReport, emf.DailyOrders}, {emf.ServiceDailyReport, emf.DailyRevenue},
		} {
			want := fmt.Sprintf(`["%s","%s","%s","%s"`, ns, m.name, emf.ServiceDimension, m.service)
			if !strings.Contains(body, want) && !strings.Contains(body, strings.ReplaceAll(want, `"`, `\"`)) {
				t.Errorf("the dashboard does not chart %s of %s in %s", m.name, m.service, ns)
			}
		}

		var stuck map[string]any
		for _, a := range s.resources(web, "AWS::CloudWatch::Alarm") {
			if p := props(a); p["MetricName"] == emf.OutboxOldestAge {
				stuck = p
			}
		}
		if stuck == nil {
			t.Fatal("no alarm on the outbox's oldest event")
		}
		dims, _ := json.Marshal(stuck["Dimensions"])
		if stuck["Namespace"] != ns || stuck["Statistic"] != "Maximum" || stuck["Threshold"] != 300.0 ||
			stuck["TreatMissingData"] != "notBreaching" || string(dims) != `[{"Name":"Service","Value":"service"}]` {
			t.Errorf("outbox alarm %v, want the Maximum of %s/%s{Service=service} above 300 s, missing data not breaching", stuck, ns, emf.OutboxOldestAge)
		}
	})
}

// TestServiceTracingFollowsConfig: in the stages that trace, the service sends its
// spans to the CloudWatch agent on loopback, the agent receives OTLP and forwards
// to X-Ray, and the instance role may write to X-Ray; elsewhere none of it.
func TestServiceTracingFollowsConfig(t *testing.T) {
	forEachStageStack(t, func(s *stacks.Stacks) awscdk.Stack { return s.Web.Stack }, func(t *testing.T, s *synthesis, stack string) {
		userData, _ := json.Marshal(s.resources(stack, "AWS::EC2::LaunchTemplate"))
		policies, _ := json.Marshal(s.resources(stack, "AWS::IAM::Policy"))
		for what, got := range map[string]bool{
			"the OTLP endpoint in the service's environment": strings.Contains(string(userData), "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318"),
			"the agent's OTLP receiver for traces":           strings.Contains(string(userData), "traces_collected") && strings.Contains(string(userData), "otlp"),
			"xray:PutTraceSegments for the instance role":    strings.Contains(string(policies), "xray:PutTraceSegments"),
		} {
			if got != s.cfg.Ops.Tracing {
				t.Errorf("%s: present %v, want %v (ops.tracing)", what, got, s.cfg.Ops.Tracing)
			}
		}
	})
}

// TestTracingFollowsConfig: X-Ray active tracing on every Go function exactly in
// the stages that turn it on.
func TestTracingFollowsConfig(t *testing.T) {
	forEachStageStack(t, func(s *stacks.Stacks) awscdk.Stack { return s.Events.Stack }, func(t *testing.T, s *synthesis, stack string) {
		for id, r := range s.resources(stack, "AWS::Lambda::Function") {
			if props(r)["Runtime"] != "provided.al2023" {
				continue
			}
			mode := mapOf(props(r)["TracingConfig"])["Mode"]
			if got := mode == "Active"; got != s.cfg.Ops.Tracing {
				t.Errorf("function %s: tracing mode %v, want active %v (ops.tracing)", id, mode, s.cfg.Ops.Tracing)
			}
		}
	})
}

// TestAlarmsHaveOneIDScheme: every tier makes its alarms through alarms.New, whose
// construct IDs end in "Alarm" (PrimaryCpuAlarm, ErrorsAlarm, …).
func TestAlarmsHaveOneIDScheme(t *testing.T) {
	scheme := regexp.MustCompile(`[A-Za-z0-9]+Alarm[0-9A-F]{8}$`)
	for _, stage := range config.StageNames() {
		s := synthesize(t, stage)
		for stack := range s.templates {
			for id := range s.resources(stack, "AWS::CloudWatch::Alarm") {
				if !scheme.MatchString(id) {
					t.Errorf("%s: alarm %s: want its construct ID to end in Alarm (alarms.New)", stack, id)
				}
			}
		}
	}
}

// TestHostMetrics: on every instance the CloudWatch agent publishes memory, root
// disk and disk I/O into the fleet's namespace, one series per instance and one
// for the fleet (no dimensions), and may publish nowhere else; the fleet's worst
// instance alarms above 90% memory or 85% disk, paging the region's ops topic,
// and the dashboard charts all three. In both regions of a stage with two.
func TestHostMetrics(t *testing.T) {
	forEachStandbyVariant(t, func(t *testing.T, s *synthesis) { checkHostMetrics(t, s, *s.stacks.Standby.Web.StackName()) })
	forEachStageStack(t, func(s *stacks.Stacks) awscdk.Stack { return s.Web.Stack }, func(t *testing.T, s *synthesis, stack string) {
		checkHostMetrics(t, s, stack)
		dashboard, _ := json.Marshal(s.resources(*s.stacks.Ops.StackName(), "AWS::CloudWatch::Dashboard"))
		for _, metric := range []string{web.HostMemoryMetric, web.HostDiskMetric, web.HostDiskIOMetric} {
			if !strings.Contains(string(dashboard), metric) {
				t.Errorf("the dashboard charts no %s", metric)
			}
		}
	})
}

func checkHostMetrics(t *testing.T, s *synthesis, stack string) {
	t.Helper()
	ns := s.cfg.Prefix
	lt := only(t, s, stack, "AWS::EC2::LaunchTemplate")
	script := joinedText(mapOf(mapOf(lt["LaunchTemplateData"])["UserData"])["Fn::Base64"])
	m := regexp.MustCompile(`(?s)<<'AGENT'\n(.*?)\nAGENT`).FindStringSubmatch(script)
	if m == nil {
		t.Fatalf("%s: no CloudWatch agent configuration in the user data", stack)
	}
	var agent struct {
		Metrics struct {
			Namespace   string         `json:"namespace"`
			Aggregation [][]string     `json:"aggregation_dimensions"`
			Append      map[string]any `json:"append_dimensions"`
			Collected   map[string]struct {
				Measurement []string `json:"measurement"`
				Resources   []string `json:"resources"`
			} `json:"metrics_collected"`
		} `json:"metrics"`
	}
	if err := json.Unmarshal([]byte(m[1]), &agent); err != nil {
		t.Fatalf("%s: agent configuration: %v\n%s", stack, err, m[1])
	}
	c := agent.Metrics
	if c.Namespace != ns || fmt.Sprint(c.Aggregation) != "[[]]" || c.Append["InstanceId"] != "${aws:InstanceId}" {
		t.Errorf("%s: agent metrics in %q, aggregated by %v, per instance %v; want %s, one series for the fleet, and one per InstanceId", stack, c.Namespace, c.Aggregation, c.Append, ns)
	}
	for plugin, want := range map[string]string{"mem": "used_percent", "disk": "used_percent", "diskio": "io_time"} {
		if got := c.Collected[plugin].Measurement; fmt.Sprint(got) != "["+want+"]" {
			t.Errorf("%s: agent collects %s %v, want %s", stack, plugin, got, want)
		}
	}
	if got := c.Collected["disk"].Resources; fmt.Sprint(got) != "[/]" {
		t.Errorf("%s: disk use of %v, want the root file system", stack, got)
	}

	put := 0
	for id, pol := range s.resources(stack, "AWS::IAM::Policy") {
		for _, st := range asList(mapOf(props(pol)["PolicyDocument"])["Statement"]) {
			if strings.Join(asStrings(st["Action"]), ",") != "cloudwatch:PutMetricData" {
				continue
			}
			put++
			if got := mapOf(mapOf(st["Condition"])["StringEquals"])["cloudwatch:namespace"]; got != ns {
				t.Errorf("%s: %s may put metrics into namespace %v, want %s only", stack, id, got, ns)
			}
		}
	}
	if put != 1 {
		t.Errorf("%s: %d PutMetricData statements, want the instance role's one", stack, put)
	}

	found := map[string]bool{}
	for id, a := range s.resources(stack, "AWS::CloudWatch::Alarm") {
		p := props(a)
		for name, threshold := range map[string]float64{web.HostMemoryMetric: 90, web.HostDiskMetric: 85} {
			if p["MetricName"] != name {
				continue
			}
			found[name] = true
			if p["Namespace"] != ns || p["Statistic"] != "Maximum" || p["Threshold"] != threshold || p["Dimensions"] != nil || len(asList(p["AlarmActions"])) == 0 {
				t.Errorf("%s: alarm %s %v, want the Maximum of %s/%s (no dimensions) above %v, paging the ops topic", stack, id, p, ns, name, threshold)
			}
		}
	}
	if len(found) != 2 {
		t.Errorf("%s: alarms on %v, want memory and disk", stack, found)
	}
}

// joinedText is a Fn::Join of strings and tokens as one text, each token as TOKEN.
func joinedText(v any) string {
	join, ok := mapOf(v)["Fn::Join"].([]any)
	if !ok || len(join) != 2 {
		return fmt.Sprint(v)
	}
	var b strings.Builder
	for _, part := range join[1].([]any) {
		if text, ok := part.(string); ok {
			b.WriteString(text)
		} else {
			b.WriteString("TOKEN")
		}
	}
	return b.String()
}
