package test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/example/scalable-web/infra/edge"
	"github.com/example/scalable-web/infra/storage"
)

// TestEveryLogGroupIsEncrypted: every log group the stacks create is encrypted
// with a KMS key of its region (the stateful stack's, or the edge stack's own).
func TestEveryLogGroupIsEncrypted(t *testing.T) {
	forEachEdgeVariant(t, func(t *testing.T, s *synthesis) {
		groups := 0
		for _, stack := range stackNames(s.stacks) {
			for id, r := range s.resources(stack, "AWS::Logs::LogGroup") {
				groups++
				if props(r)["KmsKeyId"] == nil {
					t.Errorf("%s/%s: log group without a KMS key", stack, id)
				}
			}
		}
		if groups < 8 {
			t.Errorf("found %d log groups, want at least 8: is the check looking at the right templates?", groups)
		}
	})
}

// TestLogsKeysAdmitOnlyThisAccountsGroups: CloudWatch Logs may use a logs key only
// with the encryption context of a log group of this account and region.
func TestLogsKeysAdmitOnlyThisAccountsGroups(t *testing.T) {
	forEachEdgeVariant(t, func(t *testing.T, s *synthesis) {
		for _, stack := range []string{*s.stacks.Stateful.StackName(), edgeStack(s)} {
			found := 0
			for id, k := range s.resources(stack, "AWS::KMS::Key") {
				for _, st := range asList(mapOf(props(k)["KeyPolicy"])["Statement"]) {
					principal, _ := json.Marshal(st["Principal"])
					if !strings.Contains(string(principal), "logs.${AWS::Region}.amazonaws.com") {
						continue
					}
					found++
					cond, _ := json.Marshal(st["Condition"])
					if !strings.Contains(string(cond), `"kms:EncryptionContext:aws:logs:arn"`) || !strings.Contains(string(cond), `:logs:${AWS::Region}:${AWS::AccountId}:log-group:*`) {
						t.Errorf("%s/%s: CloudWatch Logs statement condition %s, want the encryption context limited to this account's log groups", stack, id, cond)
					}
					if props(k)["EnableKeyRotation"] != true {
						t.Errorf("%s/%s: logs key without rotation", stack, id)
					}
				}
			}
			if found != 1 {
				t.Errorf("%s: %d keys admit CloudWatch Logs, want 1", stack, found)
			}
		}
	})
}

// TestLoadBalancerAccessLogsInEveryStage: the load balancer writes access logs in
// every stage, environment-agnostic ones included: the access-log bucket admits the
// region's ELB account (from a mapping of every region) or, in newer regions, the
// log-delivery service for this account's load balancers only.
func TestLoadBalancerAccessLogsInEveryStage(t *testing.T) {
	forEachEdgeVariant(t, func(t *testing.T, s *synthesis) {
		web, stateful := *s.stacks.Web.StackName(), *s.stacks.Stateful.StackName()
		lb := only(t, s, web, "AWS::ElasticLoadBalancingV2::LoadBalancer")
		attrs := map[string]string{}
		for _, a := range asList(lb["LoadBalancerAttributes"]) {
			b, _ := json.Marshal(a["Value"])
			attrs[fmt.Sprint(a["Key"])] = strings.Trim(string(b), `"`)
		}
		if attrs["access_logs.s3.enabled"] != "true" || attrs["access_logs.s3.prefix"] != storage.LoadBalancerLogPrefix ||
			!strings.Contains(attrs["access_logs.s3.bucket"], "StorageAccessLogs") {
			t.Errorf("load balancer attributes %v, want access logs on, to the access-log bucket under %s/", attrs, storage.LoadBalancerLogPrefix)
		}

		accounts := mapOf(mapOf(s.templates[stateful]["Mappings"])["ElbLogDeliveryAccounts"])
		if fmt.Sprint(mapOf(accounts["us-east-1"])["account"]) != "127311923021" || fmt.Sprint(mapOf(accounts["eu-west-1"])["account"]) != "156460612806" {
			t.Errorf("ELB log-delivery accounts: us-east-1 %v, eu-west-1 %v; want AWS's documented accounts", accounts["us-east-1"], accounts["eu-west-1"])
		}
		if len(accounts) < 30 {
			t.Errorf("the mapping knows %d regions, want every region the CDK knows", len(accounts))
		}
		var sids []string
		for _, p := range s.resources(stateful, "AWS::S3::BucketPolicy") {
			for _, st := range asList(mapOf(props(p)["PolicyDocument"])["Statement"]) {
				sid := fmt.Sprint(st["Sid"])
				if !strings.HasPrefix(sid, "LoadBalancerLogs") {
					continue
				}
				sids = append(sids, sid)
				res, _ := json.Marshal(st["Resource"])
				if st["Action"] != "s3:PutObject" || !strings.Contains(string(res), "/"+storage.LoadBalancerLogPrefix+"/AWSLogs/") {
					t.Errorf("%s: %v on %s, want s3:PutObject under %s/AWSLogs/<account>/ only", sid, st["Action"], res, storage.LoadBalancerLogPrefix)
				}
				if sid == "LoadBalancerLogsFromLogDelivery" {
					cond, _ := json.Marshal(st["Condition"])
					if !strings.Contains(string(cond), `"aws:SourceAccount"`) || !strings.Contains(string(cond), `:loadbalancer/*`) {
						t.Errorf("log-delivery statement condition %s, want this account's load balancers only", cond)
					}
				}
			}
		}
		slices.Sort(sids)
		if !slices.Equal(sids, []string{"LoadBalancerLogsFromLogDelivery", "LoadBalancerLogsFromRegionalAccount"}) {
			t.Errorf("access-log bucket statements for the load balancer %v, want the regional account's and the log-delivery service's", sids)
		}
	})
}

// TestWafLogsRedactCredentials: the web ACL logs every request it evaluates to an
// encrypted log group named as WAF requires, without cookies or credentials.
func TestWafLogsRedactCredentials(t *testing.T) {
	forEachEdgeVariant(t, func(t *testing.T, s *synthesis) {
		logging := only(t, s, edgeStack(s), "AWS::WAFv2::LoggingConfiguration")
		arn, _ := json.Marshal(logging["ResourceArn"])
		if !strings.Contains(string(arn), "WebAcl") {
			t.Errorf("logging configuration for %s, want the web ACL", arn)
		}
		group := only(t, s, edgeStack(s), "AWS::Logs::LogGroup")
		if group["LogGroupName"] != "aws-waf-logs-"+s.cfg.Prefix || group["KmsKeyId"] == nil || group["RetentionInDays"] != float64(s.cfg.Edge.LogRetentionDays) {
			t.Errorf("WAF log group %v, want aws-waf-logs-%s, encrypted, kept %d days", group, s.cfg.Prefix, s.cfg.Edge.LogRetentionDays)
		}
		dest, _ := json.Marshal(logging["LogDestinationConfigs"])
		if !strings.Contains(string(dest), ":log-group:") || strings.Contains(string(dest), ":*") {
			t.Errorf("log destination %s, want the group's ARN without the trailing :*", dest)
		}
		var redacted []string
		for _, f := range asList(logging["RedactedFields"]) {
			redacted = append(redacted, fmt.Sprint(mapOf(f["SingleHeader"])["Name"]))
		}
		if !slices.Equal(redacted, edge.RedactedLogFields) || !slices.Contains(redacted, "cookie") || !slices.Contains(redacted, "authorization") {
			t.Errorf("redacted headers %v, want cookie and authorization", redacted)
		}
	})
}
