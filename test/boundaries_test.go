package test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/edge"
	"github.com/example/scalable-web/infra/storage"
	"github.com/example/scalable-web/infra/trust"
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
// region's ELB account (named in a stack pinned to its region, from a mapping of
// every region otherwise) and the log-delivery service, which newer regions use,
// for this account's load balancers only.
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
		if region := s.cfg.Region; region != "" {
			// Pinned to a region: its ELB account, written out, and no mapping.
			if len(accounts) != 0 {
				t.Errorf("%s is pinned to %s, but carries a mapping of %d regions' ELB accounts", stateful, region, len(accounts))
			}
			if want := elbAccounts[region]; want == "" {
				t.Errorf("no documented ELB account for %s in this test: add it", region)
			} else if policy, _ := json.Marshal(s.resources(stateful, "AWS::S3::BucketPolicy")); !strings.Contains(string(policy), ":iam::"+want+":root") {
				t.Errorf("%s: no bucket policy admits %s's ELB account %s", stateful, region, want)
			}
		} else {
			if fmt.Sprint(mapOf(accounts["us-east-1"])["account"]) != elbAccounts["us-east-1"] || fmt.Sprint(mapOf(accounts["eu-west-1"])["account"]) != elbAccounts["eu-west-1"] {
				t.Errorf("ELB log-delivery accounts: us-east-1 %v, eu-west-1 %v; want AWS's documented accounts", accounts["us-east-1"], accounts["eu-west-1"])
			}
			if len(accounts) < 30 {
				t.Errorf("the mapping knows %d regions, want every region the CDK knows", len(accounts))
			}
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

// elbAccounts are Elastic Load Balancing's log-delivery accounts of the regions the
// stages use, as AWS documents them (Enable access logs for your Application Load
// Balancer, "Regions available before August 2022").
var elbAccounts = map[string]string{"us-east-1": "127311923021", "us-west-2": "797873946194", "eu-west-1": "156460612806"}

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

// TestCustomerDataBehindAKey: the event archive and the reports are encrypted with
// the data key, versioned, and expire (previous versions too); the key lets the
// account administer it but only the two writer functions (by role name) and the
// configured readers use it, so no other principal of the account, such as the
// CDK's lookup role that pull-request diffs may assume, can read the data.
func TestCustomerDataBehindAKey(t *testing.T) {
	const analyst = testDataReader
	withReader := prodOptions(t)
	for _, s := range []*synthesis{synthesize(t, "dev"), synthesize(t, "staging"), synthesize(t, "prod"), withReader} {
		t.Run(s.cfg.Stage+fmt.Sprint(len(s.cfg.Storage.DataReaderRoleArns)), func(t *testing.T) {
			stateful, events := *s.stacks.Stateful.StackName(), *s.stacks.Events.StackName()
			dataKey := resourceID(t, s, stateful, "AWS::KMS::Key", "StorageDataKey")
			for _, name := range []string{"StorageEvents", "StorageReports"} {
				var b map[string]any
				for id, r := range s.resources(stateful, "AWS::S3::Bucket") {
					if strings.HasPrefix(id, name) {
						b = props(r)
					}
				}
				enc, _ := json.Marshal(b["BucketEncryption"])
				if !strings.Contains(string(enc), `"SSEAlgorithm":"aws:kms"`) || !strings.Contains(string(enc), dataKey) || !strings.Contains(string(enc), `"BucketKeyEnabled":true`) {
					t.Errorf("%s encryption %s, want SSE-KMS with %s and a bucket key", name, enc, dataKey)
				}
				if fmt.Sprint(mapOf(b["VersioningConfiguration"])["Status"]) != "Enabled" {
					t.Errorf("%s versioning %v, want enabled", name, b["VersioningConfiguration"])
				}
				rules := asList(mapOf(b["LifecycleConfiguration"])["Rules"])
				if len(rules) != 1 || rules[0]["ExpirationInDays"] != float64(s.cfg.Storage.DataRetentionDays) ||
					mapOf(rules[0]["NoncurrentVersionExpiration"])["NoncurrentDays"] != float64(s.cfg.Storage.NoncurrentVersionDays) {
					t.Errorf("%s lifecycle %v, want expiry after %d days and previous versions after %d", name, rules, s.cfg.Storage.DataRetentionDays, s.cfg.Storage.NoncurrentVersionDays)
				}
			}

			usage := []string{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncrypt", "kms:*"}
			var principals []string
			for _, st := range asList(mapOf(props(s.resources(stateful, "AWS::KMS::Key")[dataKey])["KeyPolicy"])["Statement"]) {
				uses := false
				for _, a := range asStrings(st["Action"]) {
					for _, u := range usage {
						if strings.HasPrefix(a, u) {
							uses = true
						}
					}
				}
				if !uses {
					continue
				}
				arns := mapOf(mapOf(st["Condition"])["ArnEquals"])["aws:PrincipalArn"]
				if arns == nil {
					t.Errorf("statement %v uses the key with no aws:PrincipalArn condition: any principal of the account could", st["Sid"])
				}
				b, _ := json.Marshal(arns)
				principals = append(principals, string(b))
			}
			all := strings.Join(principals, " ")
			for _, role := range []string{s.cfg.Prefix + "-analytics-", s.cfg.Prefix + "-dailyreport-"} {
				if !strings.Contains(all, ":role/"+role) {
					t.Errorf("the data key does not admit the writer %s: %s", role, all)
				}
			}
			want := 2 + len(s.cfg.Storage.DataReaderRoleArns)
			if s.cfg.Secondary.Enabled() {
				want++ // S3 replication reads the data into the standby region
				if !strings.Contains(all, ":role/"+s.cfg.Prefix+"-replication-") {
					t.Errorf("the data key does not admit the replication role: %s", all)
				}
			}
			if got := strings.Count(all, ":role/"); got != want {
				t.Errorf("the data key admits %d roles (%s), want %d: the two writers, the configured readers and, with a standby region, the replication role", got, all, want)
			}
			if len(s.cfg.Storage.DataReaderRoleArns) > 0 && !strings.Contains(all, analyst) {
				t.Errorf("the configured reader %s is not admitted: %s", analyst, all)
			}

			// The writers' roles carry the names the key admits.
			var names []string
			for _, r := range s.resources(events, "AWS::IAM::Role") {
				if n, ok := props(r)["RoleName"]; ok {
					b, _ := json.Marshal(n)
					names = append(names, string(b))
				}
			}
			joined := strings.Join(names, " ")
			if len(names) != 2 || !strings.Contains(joined, s.cfg.Prefix+"-analytics-") || !strings.Contains(joined, s.cfg.Prefix+"-dailyreport-") {
				t.Errorf("named roles in the events stack %v, want the analytics and daily-report functions'", names)
			}
		})
	}
}

// TestEveryServiceTrustIsConditioned: every statement of every template that admits
// an AWS service (a role trust, a key, bucket or queue policy) is conditioned on
// this account (aws:SourceAccount, aws:SourceArn, or a KMS encryption context that
// names this account's resources), except the trusts of trust.Unconditioned, whose
// services send no source to condition on.
func TestEveryServiceTrustIsConditioned(t *testing.T) {
	forEachEdgeVariant(t, func(t *testing.T, s *synthesis) {
		checked := 0
		for _, stack := range stackNames(s.stacks) {
			for id, r := range s.templates[stack]["Resources"].(map[string]any) {
				for _, st := range findServiceStatements(mapOf(r)["Properties"]) {
					service := fmt.Sprint(mapOf(st["Principal"])["Service"])
					if _, exempt := trust.Unconditioned[service]; exempt {
						continue
					}
					checked++
					cond, _ := json.Marshal(st["Condition"])
					c := strings.ToLower(string(cond))
					if !strings.Contains(c, "aws:sourceaccount") && !strings.Contains(c, "aws:sourcearn") && !strings.Contains(c, "kms:encryptioncontext:") {
						t.Errorf("%s/%s: statement admitting %s has no confused-deputy condition: %s", stack, id, service, cond)
					}
				}
			}
		}
		if checked < 15 {
			t.Errorf("checked %d service statements, want at least 15: is the walk finding them?", checked)
		}
	})
}

// TestTrustAspectRefusesAnUnknownService proves the aspect cannot pass a service
// nobody decided about: it stops synth, naming the role and the service.
func TestTrustAspectRefusesAnUnknownService(t *testing.T) {
	var app awscdk.App
	err := synth(t, "unknown-service", func(scope constructs.Construct) {
		// The report is expected here: keep it out of the test output.
		scope.Node().SetContext(jsii.String("@aws-cdk/core:validationReportPrettyPrint"), false)
		stack := awscdk.NewStack(scope, jsii.String("Roles"), nil)
		awsiam.NewRole(stack, jsii.String("StepFunctions"), &awsiam.RoleProps{AssumedBy: awsiam.NewServicePrincipal(jsii.String("states.amazonaws.com"), nil)})
		trust.Apply(scope)
	}, &app)
	var found []string
	for _, v := range readJSON[validationReport](t, *app.Outdir()+"/validation-report.json").annotations() {
		found = append(found, v.Description)
	}
	if err == nil || !strings.Contains(strings.Join(found, "\n"), "trust: Roles/StepFunctions/Resource may be assumed by states.amazonaws.com") {
		t.Errorf("synth error %v, annotations %v: want synth stopped by the trust aspect naming the role and the service", err, found)
	}
}

// findServiceStatements returns the policy statements below v whose principal is
// an AWS service.
func findServiceStatements(v any) []map[string]any {
	var found []map[string]any
	switch x := v.(type) {
	case map[string]any:
		if p, ok := x["Principal"].(map[string]any); ok && p["Service"] != nil {
			found = append(found, x)
		}
		for _, child := range x {
			found = append(found, findServiceStatements(child)...)
		}
	case []any:
		for _, child := range x {
			found = append(found, findServiceStatements(child)...)
		}
	}
	return found
}

// TestSecretsOnTheStagesKey: every secret of the stage is encrypted with the
// stateful stack's secrets key, and every role outside that stack that reads a
// secret may decrypt with the key only through Secrets Manager.
func TestSecretsOnTheStagesKey(t *testing.T) {
	forEachEdgeVariant(t, func(t *testing.T, s *synthesis) {
		stateful := *s.stacks.Stateful.StackName()
		key := resourceID(t, s, stateful, "AWS::KMS::Key", "OpsSecretsKey")
		secrets := s.resources(stateful, "AWS::SecretsManager::Secret")
		for id, r := range secrets {
			b, _ := json.Marshal(props(r)["KmsKeyId"])
			if !strings.Contains(string(b), key) {
				t.Errorf("secret %s: KmsKeyId %s, want the secrets key %s", id, b, key)
			}
		}
		if len(secrets) < 7 {
			t.Errorf("found %d secrets, want at least 7 (admin, four logins, cache token, origin)", len(secrets))
		}
		readers := 0
		for _, stack := range stackNames(s.stacks) {
			if stack == stateful {
				continue
			}
			for id, p := range s.resources(stack, "AWS::IAM::Policy") {
				var reads, decrypts bool
				for _, st := range asList(mapOf(props(p)["PolicyDocument"])["Statement"]) {
					actions := asStrings(st["Action"])
					if slices.Contains(actions, "secretsmanager:GetSecretValue") {
						reads = true
					}
					if slices.Contains(actions, "kms:Decrypt") {
						res, _ := json.Marshal(st["Resource"])
						if !strings.Contains(string(res), key) {
							continue // another key (the topic's, the data key)
						}
						decrypts = true
						cond, _ := json.Marshal(st["Condition"])
						if !strings.Contains(string(cond), `"kms:ViaService"`) || !strings.Contains(string(cond), "secretsmanager.") {
							t.Errorf("%s/%s: decrypts with the secrets key without kms:ViaService secretsmanager: %s", stack, id, cond)
						}
					}
				}
				if reads {
					readers++
					if !decrypts {
						t.Errorf("%s/%s reads a secret but may not decrypt it with the secrets key", stack, id)
					}
				}
			}
		}
		if readers < 5 {
			t.Errorf("found %d secret readers outside the stateful stack, want the fleet, the migration, and three functions", readers)
		}
	})
}

// resourceID is the logical ID of the resource of type typ in stack whose ID starts
// with prefix; the test stops if there is none.
func resourceID(t *testing.T, s *synthesis, stack, typ, prefix string) string {
	t.Helper()
	for id := range s.resources(stack, typ) {
		if strings.HasPrefix(id, prefix) {
			return id
		}
	}
	t.Fatalf("no %s %s… in %s", typ, prefix, stack)
	return ""
}
