package test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/example/scalable-web/infra/routing"
	"github.com/example/scalable-web/infra/stacks"
)

// TestRegionsRoutedByHealth: with a domain and a standby region, each region's
// API stack serves the API as api.<domain> (a latency record) and
// writer.api.<domain> (a failover record: PRIMARY in the primary region), over a
// certificate of its own for both, and both records carry the region's health
// check: a calculated one that fails when any of its "shop is down" alarms
// fires, each watched by a CloudWatch-metric check in that region. Those alarms
// notify the region's ops topic going into alarm and coming out, so every
// change of the check is paged. Without a domain, or in one region, there is none
// of this.
func TestRegionsRoutedByHealth(t *testing.T) {
	routedStages := 0
	defer func() {
		if routedStages == 0 {
			t.Error("no stage has a domain and a standby region: the routing was never checked")
		}
	}()
	forEachEdgeVariant(t, func(t *testing.T, s *synthesis) {
		apis := []*stacks.API{s.stacks.API}
		if s.stacks.Standby != nil {
			apis = append(apis, s.stacks.Standby.API)
		}
		routed := s.cfg.Secondary.Enabled() && s.cfg.Edge.HasDomain()
		for i, a := range apis {
			stack := *a.StackName()
			checks := s.resources(stack, "AWS::Route53::HealthCheck")
			records := s.resources(stack, "AWS::Route53::RecordSet")
			domains := s.resources(stack, "AWS::ApiGatewayV2::DomainName")
			if !routed {
				if len(checks)+len(records)+len(domains) != 0 || a.Routing != nil {
					t.Errorf("%s: %d health checks, %d records, %d API domain names; want none without a domain and a standby region", stack, len(checks), len(records), len(domains))
				}
				continue
			}
			routedStages++
			primary, region := i == 0, s.cfg.Region
			if !primary {
				region = s.cfg.Secondary.Region
			}
			read, write := routing.ReadName(s.cfg.Edge.Domain), routing.WriteName(s.cfg.Edge.Domain)
			cert := only(t, s, stack, "AWS::CertificateManager::Certificate")
			if cert["DomainName"] != read || fmt.Sprint(cert["SubjectAlternativeNames"]) != "["+write+"]" || cert["ValidationMethod"] != "DNS" {
				t.Errorf("%s: certificate %v, want %s and %s, validated through DNS", stack, cert, read, write)
			}
			var names []string
			for _, d := range domains {
				p := props(d)
				names = append(names, fmt.Sprint(p["DomainName"]))
				config := asList(p["DomainNameConfigurations"])
				if len(config) != 1 || config[0]["SecurityPolicy"] != "TLS_1_2" || config[0]["EndpointType"] != "REGIONAL" {
					t.Errorf("%s: domain %v, want a regional endpoint with TLS 1.2", stack, config)
				}
			}
			slices.Sort(names)
			if fmt.Sprint(names) != fmt.Sprint([]string{read, write}) {
				t.Errorf("%s: API domain names %v, want %s and %s", stack, names, read, write)
			}
			if n := len(s.resources(stack, "AWS::ApiGatewayV2::ApiMapping")); n != 2 {
				t.Errorf("%s: %d API mappings, want one per name", stack, n)
			}

			// The health check: calculated over one metric check per alarm.
			var calculated string
			metricChecks := map[string]map[string]any{}
			for id, c := range checks {
				cfg := mapOf(props(c)["HealthCheckConfig"])
				switch cfg["Type"] {
				case "CALCULATED":
					calculated = id
					if fmt.Sprint(cfg["HealthThreshold"]) != "3" || len(asList(cfg["ChildHealthChecks"])) != 3 {
						t.Errorf("%s: calculated check %v, want all 3 children healthy", stack, cfg)
					}
				case "CLOUDWATCH_METRIC":
					metricChecks[id] = cfg
				default:
					t.Errorf("%s: health check of type %v: want no check that needs a public endpoint", stack, cfg["Type"])
				}
			}
			if calculated == "" || len(metricChecks) != 3 {
				t.Fatalf("%s: calculated check %q and %d metric checks, want one and 3", stack, calculated, len(metricChecks))
			}
			for id, cfg := range metricChecks {
				alarm := mapOf(cfg["AlarmIdentifier"])
				if alarm["Region"] != region {
					t.Errorf("%s: %s watches an alarm in %v, want %s", stack, id, alarm["Region"], region)
				}
				producer, alarmID := alarmRef(t, s, stack, alarm["Name"])
				ap := props(mapOf(mapOf(s.templates[producer]["Resources"])[alarmID]))
				topic := fmt.Sprint(ap["AlarmActions"])
				if topic == "[]" || topic != fmt.Sprint(ap["OKActions"]) {
					t.Errorf("%s: alarm %s notifies %v on alarm and %v on OK, want the ops topic both times", stack, alarmID, ap["AlarmActions"], ap["OKActions"])
				}
				want := "Healthy"
				if ap["TreatMissingData"] == "breaching" {
					want = "Unhealthy"
				}
				if cfg["InsufficientDataHealthStatus"] != want {
					t.Errorf("%s: %s with too little data is %v, want %s as its alarm %s would be", stack, id, cfg["InsufficientDataHealthStatus"], want, alarmID)
				}
			}

			// The records: a latency one and a failover one, both with the check.
			if len(records) != 2 {
				t.Fatalf("%s: %d records, want 2", stack, len(records))
			}
			for _, r := range records {
				p := props(r)
				if fmt.Sprint(mapOf(p["HealthCheckId"])["Ref"]) != calculated || p["SetIdentifier"] != region || p["Type"] != "A" {
					t.Errorf("%s: record %v, want an A alias set %s with the calculated health check", stack, p["Name"], region)
				}
				switch p["Name"] {
				case read + ".":
					if p["Region"] != region || p["Failover"] != nil {
						t.Errorf("%s: %s routes by region %v, failover %v; want latency to %s", stack, read, p["Region"], p["Failover"], region)
					}
				case write + ".":
					want := "SECONDARY"
					if primary {
						want = "PRIMARY"
					}
					if p["Failover"] != want || p["Region"] != nil {
						t.Errorf("%s: %s fails over as %v, want %s", stack, write, p["Failover"], want)
					}
				default:
					t.Errorf("%s: record %v, want only %s and %s", stack, p["Name"], read, write)
				}
			}
			if mapOf(s.templates[stack]["Outputs"])[stacks.HealthCheckIDOutput] == nil {
				t.Errorf("%s: no %s output for the failover step", stack, stacks.HealthCheckIDOutput)
			}
		}
	})
}

// alarmRef follows an alarm's name, as a health check in stack reads it, to the
// stack and logical ID of the alarm: a Ref in the same stack, or a stack output
// of a Ref in another.
func alarmRef(t *testing.T, s *synthesis, stack string, name any) (string, string) {
	t.Helper()
	if ref, ok := mapOf(name)["Ref"].(string); ok {
		return stack, ref
	}
	out := mapOf(mapOf(name)["Fn::GetStackOutput"])
	producer := fmt.Sprint(out["StackName"])
	value := mapOf(mapOf(mapOf(s.templates[producer]["Outputs"])[fmt.Sprint(out["OutputName"])])["Value"])
	if ref, ok := value["Ref"].(string); ok {
		return producer, ref
	}
	t.Fatalf("%s: alarm name %v, want a Ref or a stack output of one", stack, name)
	return "", ""
}
