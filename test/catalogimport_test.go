package test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/example/scalable-web/internal/catalog"
	"github.com/example/scalable-web/internal/envnames"
	"github.com/example/scalable-web/internal/stackoutputs"
)

// importFunction is the catalog import's function in the stage's events stack.
func importFunction(t *testing.T, s *synthesis) (string, map[string]any) {
	t.Helper()
	events := *s.stacks.Events.StackName()
	id := resourceID(t, s, events, "AWS::Lambda::Function", "CatalogImportFunction")
	return id, s.resources(events, "AWS::Lambda::Function")[id]
}

// TestCatalogImportBucket: the bucket imports are uploaded to is private, TLS-only,
// encrypted with a key of its own (whose policy leaves who may upload to IAM),
// logged to the access-log bucket, keeps a file a week and abandons stale
// multipart uploads, and is kept or deleted as the stage's other buckets.
func TestCatalogImportBucket(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesis, stack string) {
		id := resourceID(t, s, stack, "AWS::S3::Bucket", "StorageImports")
		r := s.resources(stack, "AWS::S3::Bucket")[id]
		b := props(r)
		key := resourceID(t, s, stack, "AWS::KMS::Key", "StorageImportsKey")
		enc, _ := json.Marshal(b["BucketEncryption"])
		if !strings.Contains(string(enc), `"SSEAlgorithm":"aws:kms"`) || !strings.Contains(string(enc), key) || !strings.Contains(string(enc), `"BucketKeyEnabled":true`) {
			t.Errorf("encryption %s, want SSE-KMS with %s and a bucket key", enc, key)
		}
		if block := fmt.Sprint(b["PublicAccessBlockConfiguration"]); block != "map[BlockPublicAcls:true BlockPublicPolicy:true IgnorePublicAcls:true RestrictPublicBuckets:true]" {
			t.Errorf("public access block %s, want all four on", block)
		}
		logs := mapOf(b["LoggingConfiguration"])
		if !strings.Contains(fmt.Sprint(logs["DestinationBucketName"]), "StorageAccessLogs") || logs["LogFilePrefix"] != "Imports/" {
			t.Errorf("server access logs %v, want the access-log bucket under Imports/", logs)
		}
		rules := asList(mapOf(b["LifecycleConfiguration"])["Rules"])
		if len(rules) != 1 || rules[0]["ExpirationInDays"] != float64(7) ||
			mapOf(rules[0]["AbortIncompleteMultipartUpload"])["DaysAfterInitiation"] != float64(1) ||
			mapOf(rules[0]["NoncurrentVersionExpiration"])["NoncurrentDays"] != float64(1) {
			t.Errorf("lifecycle %v, want files expired after 7 days, previous versions after 1, stale multipart uploads aborted after 1", rules)
		}
		if _, keep := deletionPolicy(s.cfg.RemovalPolicy); r["DeletionPolicy"] != keep {
			t.Errorf("DeletionPolicy %v, want %s as the stage's other buckets", r["DeletionPolicy"], keep)
		}
		tlsOnly := false
		for _, p := range s.resources(stack, "AWS::S3::BucketPolicy") {
			doc := fmt.Sprint(props(p))
			if strings.Contains(doc, id) && strings.Contains(doc, "aws:SecureTransport:false") && strings.Contains(doc, "Effect:Deny") {
				tlsOnly = true
			}
		}
		if !tlsOnly {
			t.Error("no bucket policy denies requests without TLS")
		}
		// The key's default policy: the account, through IAM, and nobody named.
		policy := fmt.Sprint(props(s.resources(stack, "AWS::KMS::Key")[key])["KeyPolicy"])
		if strings.Contains(policy, "aws:PrincipalArn") || !strings.Contains(policy, ":root") {
			t.Errorf("key policy %s, want the account's, delegating to IAM", policy)
		}
	})
}

// TestCatalogImportFunction: the function runs in the application subnets, logs
// in to the writer with its own login and tells the cache over TLS, waits for the
// schema migration that makes its role, and has Lambda's longest timeout, which
// the CLI outwaits.
func TestCatalogImportFunction(t *testing.T) {
	forEachEventsStack(t, func(t *testing.T, s *synthesis, stack string) {
		id, r := importFunction(t, s)
		p := props(r)
		env := mapOf(mapOf(p["Environment"])["Variables"])
		for _, name := range []string{envnames.CatalogImportBucket, envnames.DBSecretARN, envnames.DBWriterHost, envnames.RedisAddr, envnames.RedisAuthSecretARN} {
			if env[name] == nil {
				t.Errorf("%s: no %s", id, name)
			}
		}
		if env[envnames.RedisTLS] != "true" || env[envnames.DBReaderHost] != nil {
			t.Errorf("%s: REDIS_TLS %v, DB_READER_HOST %v; want TLS to the cache and the writer only", id, env[envnames.RedisTLS], env[envnames.DBReaderHost])
		}
		for name, want := range map[string]string{envnames.CatalogImportBucket: "StorageImports", envnames.DBSecretARN: "DatabaseShopCatalogLoginAttachment", envnames.DBWriterHost: "DatabasePrimary"} {
			if !strings.Contains(jsonOf(env[name]), want) {
				t.Errorf("%s: %s is %s, want %s…", id, name, jsonOf(env[name]), want)
			}
		}
		vpc := mapOf(p["VpcConfig"])
		if !strings.Contains(jsonOf(vpc["SubnetIds"]), "NetworkappSubnet") || vpc["SecurityGroupIds"] == nil {
			t.Errorf("%s: VPC config %v, want the application subnets", id, vpc)
		}
		if p["Timeout"] != catalog.ImportTimeout.Seconds() {
			t.Errorf("%s: timeout %v, want %v s", id, p["Timeout"], catalog.ImportTimeout.Seconds())
		}
		if !slices.Contains(asStrings(r["DependsOn"]), "Schema") {
			t.Errorf("%s: depends on %v, want the Schema resource (its role must exist)", id, r["DependsOn"])
		}
		for _, key := range []string{stackoutputs.CatalogImportBucket.Key, stackoutputs.CatalogImportFunction.Key, stackoutputs.CatalogImportKeyArn.Key} {
			if mapOf(s.templates[stack]["Outputs"])[key] == nil {
				t.Errorf("no output %s in %s", key, stack)
			}
		}
		if stack != stackoutputs.CatalogImportFunction.StackName(s.cfg.Prefix) {
			t.Errorf("the function is in %s, where make catalog-import does not look", stack)
		}
	})
}

// TestCatalogImportReadsOnlyWhatItNeeds: the function's role may read its own
// login and the cache's AUTH token, get objects under imports/ of the import
// bucket and decrypt them through S3: no other action, no other resource.
func TestCatalogImportReadsOnlyWhatItNeeds(t *testing.T) {
	forEachEventsStack(t, func(t *testing.T, s *synthesis, stack string) {
		const role = "CatalogImportFunctionServiceRole"
		var got []string
		for _, pol := range s.resources(stack, "AWS::IAM::Policy") {
			if !strings.Contains(jsonOf(props(pol)["Roles"]), role) {
				continue
			}
			for _, st := range asList(mapOf(props(pol)["PolicyDocument"])["Statement"]) {
				resources, ok := st["Resource"].([]any)
				if !ok {
					resources = []any{st["Resource"]}
				}
				for _, a := range asStrings(st["Action"]) {
					for _, res := range resources {
						resource := jsonOf(res)
						switch {
						case strings.HasPrefix(a, "xray:") && s.cfg.Ops.Tracing:
							continue
						case strings.HasPrefix(a, "secretsmanager:") && strings.Contains(resource, "DatabaseShopCatalogLoginAttachment"):
							got = append(got, a+" login")
						case strings.HasPrefix(a, "secretsmanager:") && strings.Contains(resource, "CacheAuthToken"):
							got = append(got, a+" cache token")
						case a == "kms:Decrypt" && strings.Contains(resource, "OpsSecretsKey") && strings.Contains(jsonOf(st["Condition"]), "secretsmanager."):
							got = append(got, a+" secrets key via Secrets Manager")
						case a == "s3:GetObject" && strings.Contains(resource, "StorageImports") && strings.Contains(resource, `"/`+catalog.ImportPrefix+`*"`):
							got = append(got, a+" imports/*")
						case a == "kms:Decrypt" && strings.Contains(resource, "StorageImportsKey") && strings.Contains(jsonOf(st["Condition"]), `"s3."`):
							got = append(got, a+" imports key via S3")
						default:
							t.Errorf("%s may %s on %s: want nothing beyond its login, the cache token and the uploads", role, a, resource)
						}
					}
				}
			}
		}
		slices.Sort(got)
		want := []string{"kms:Decrypt imports key via S3", "kms:Decrypt secrets key via Secrets Manager",
			"s3:GetObject imports/*", "secretsmanager:DescribeSecret cache token", "secretsmanager:DescribeSecret login",
			"secretsmanager:GetSecretValue cache token", "secretsmanager:GetSecretValue login"}
		if !slices.Equal(got, want) {
			t.Errorf("%s may:\n%s\nwant:\n%s", role, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
}

// TestNoShopperReachesTheCatalogImport: no function URL, no resource policy that
// lets anything invoke it (API Gateway, a URL, another account), no event source,
// and no route of the API names it: only an IAM principal allowed
// lambda:InvokeFunction can run an import.
func TestNoShopperReachesTheCatalogImport(t *testing.T) {
	for _, stage := range []string{"dev", "staging", "prod"} {
		t.Run(stage, func(t *testing.T) {
			s := synthesize(t, stage)
			id, _ := importFunction(t, s)
			for name, template := range s.templates {
				for rid, r := range mapOf(template["Resources"]) {
					res := mapOf(r)
					typ := fmt.Sprint(res["Type"])
					if !strings.HasPrefix(typ, "AWS::Lambda::") && !strings.HasPrefix(typ, "AWS::ApiGatewayV2::") && !strings.HasPrefix(typ, "AWS::Events::") &&
						!strings.HasPrefix(typ, "AWS::Scheduler::") && !strings.HasPrefix(typ, "AWS::SNS::") {
						continue
					}
					if typ == "AWS::Lambda::Function" {
						continue
					}
					if strings.Contains(jsonOf(res["Properties"]), id) {
						t.Errorf("%s %s (%s) names the catalog import function", name, rid, typ)
					}
				}
			}
		})
	}
}

// TestCatalogImportOnlyWhereWritesGo: prod's standby region, whose database is a
// replica, has no import bucket and no import function.
func TestCatalogImportOnlyWhereWritesGo(t *testing.T) {
	s := synthesize(t, "prod")
	sb := s.stacks.Standby
	for _, check := range []struct{ stack, typ, prefix string }{
		{*sb.Stateful.StackName(), "AWS::S3::Bucket", "StorageImports"},
		{*sb.Stateful.StackName(), "AWS::KMS::Key", "StorageImportsKey"},
		{*sb.Events.StackName(), "AWS::Lambda::Function", "CatalogImport"},
	} {
		for id := range s.resources(check.stack, check.typ) {
			if strings.HasPrefix(id, check.prefix) {
				t.Errorf("%s has %s %s: imports go to the primary region only", check.stack, check.typ, id)
			}
		}
	}
	if outputs := mapOf(s.templates[*sb.Events.StackName()]["Outputs"]); outputs[stackoutputs.CatalogImportFunction.Key] != nil {
		t.Errorf("%s outputs %s", *sb.Events.StackName(), stackoutputs.CatalogImportFunction.Key)
	}
}
