package test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/example/scalable-web/infra/config"
	"github.com/example/scalable-web/infra/edge"
	"github.com/example/scalable-web/infra/routing"
	"github.com/example/scalable-web/infra/stacks"
	"github.com/example/scalable-web/internal/securityheaders"
	"github.com/example/scalable-web/internal/shopapi"
)

// CloudFront's managed policies, by the IDs the templates carry.
const (
	cachingDisabled           = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
	cachingOptimized          = "658327ea-f89d-4fab-a63d-7e88639e58f6"
	allViewerExceptHostHeader = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
	testZoneID                = "Z0123456789ABCDEFGHIJ"
	testRepository            = "example-org/shop"
	testOwnerID               = "123456"
	testRepositoryID          = "456789"
)

// testDomain is the domain a stage's with-domain variant uses, derived from its
// place in the stage list so that a new stage needs no entry here. The three shapes
// a team uses all appear: a subdomain of the zone, a subdomain of a delegated zone,
// and, for the last stage (prod), the zone apex.
func testDomain(stage string) (domain, zone string) {
	names := config.StageNames()
	switch i := slices.Index(names, stage); {
	case i == len(names)-1:
		return "example.com", "example.com"
	case i%2 == 0:
		return "shop-" + stage + ".example.com", "example.com"
	default:
		return stage + ".shop.example.com", "shop.example.com"
	}
}

// forEachEdgeVariant runs test on every stage, without a domain (as configured) and
// with one, as subtests named stage and stage-domain.
func forEachEdgeVariant(t *testing.T, test func(t *testing.T, s *synthesis)) {
	t.Helper()
	for _, stage := range config.StageNames() {
		t.Run(stage, func(t *testing.T) { test(t, synthesize(t, stage)) })
		t.Run(stage+"-domain", func(t *testing.T) { test(t, withDomain(t, stage)) })
	}
}

// withDomain is the stage as a team running it in production configures it: with
// a domain, and with its GitHub repository, which adds the delivery stack.
func withDomain(t *testing.T, stage string) *synthesis {
	t.Helper()
	domain, zone := testDomain(stage)
	return synthesizeVariant(t, stage+"-domain", stage, func(c *config.Config) {
		setDomain(c, domain, testZoneID, zone)
		c.Delivery.GitHubRepository, c.Delivery.GitHubOwnerID, c.Delivery.GitHubRepositoryID = testRepository, testOwnerID, testRepositoryID
	})
}

func edgeStack(s *synthesis) string { return *s.stacks.Edge.StackName() }
func cdnStack(s *synthesis) string  { return *s.stacks.CDN.StackName() }

// only returns the properties of the one resource of a type in a stack.
func only(t *testing.T, s *synthesis, stack, typ string) map[string]any {
	t.Helper()
	found := s.resources(stack, typ)
	if len(found) != 1 {
		t.Fatalf("%s: %d resources of type %s, want 1", stack, len(found), typ)
	}
	for _, r := range found {
		return props(r)
	}
	return nil
}

// TestEdgeStackIsInUsEast1: the edge stack is in us-east-1 whatever the stage's
// region; every other stack is in the stage's own region (left to deploy time when
// the stage names none), never pinned to us-east-1 because the edge is.
func TestEdgeStackIsInUsEast1(t *testing.T) {
	forEachEdgeVariant(t, func(t *testing.T, s *synthesis) {
		if got := *s.stacks.Edge.Region(); got != edge.Region {
			t.Errorf("edge stack region %s, want %s", got, edge.Region)
		}
		for _, stack := range s.stacks.All() {
			if stack == s.stacks.Edge.Stack {
				continue
			}
			region := *stack.Region()
			if strings.HasPrefix(region, "${Token[") { // left to deploy time
				region = ""
			}
			if !slices.Contains(s.cfg.Regions(), region) {
				t.Errorf("%s is in %q, want one of the stage's regions %q", *stack.StackName(), region, s.cfg.Regions())
			}
		}
	})
}

func TestWebACL(t *testing.T) {
	forEachEdgeVariant(t, func(t *testing.T, s *synthesis) {
		acl := only(t, s, edgeStack(s), "AWS::WAFv2::WebACL")
		if acl["Scope"] != "CLOUDFRONT" {
			t.Errorf("scope %v, want CLOUDFRONT", acl["Scope"])
		}
		if fmt.Sprint(acl["DefaultAction"]) != "map[Allow:map[]]" {
			t.Errorf("default action %v, want allow", acl["DefaultAction"])
		}
		visible := func(what string, v any) {
			c, _ := v.(map[string]any)
			if c["CloudWatchMetricsEnabled"] != true || c["SampledRequestsEnabled"] != true {
				t.Errorf("%s: visibility %v, want metrics and sampled requests on", what, v)
			}
		}
		visible("web ACL", acl["VisibilityConfig"])
		var groups []string
		rate, session := false, false
		for _, r := range asList(acl["Rules"]) {
			visible(fmt.Sprint(r["Name"]), r["VisibilityConfig"])
			st := r["Statement"].(map[string]any)
			if m, ok := st["ManagedRuleGroupStatement"].(map[string]any); ok {
				groups = append(groups, fmt.Sprint(m["Name"]))
				if m["VendorName"] != "AWS" || fmt.Sprint(r["OverrideAction"]) != "map[None:map[]]" {
					t.Errorf("%v: vendor %v, override %v; want AWS and none (the group's own blocks apply)", m["Name"], m["VendorName"], r["OverrideAction"])
				}
			}
			if rb, ok := st["RateBasedStatement"].(map[string]any); ok && r["Name"] == edge.SessionRateRuleName {
				session = true
				e := s.cfg.Edge
				key, _ := json.Marshal(rb["CustomKeys"])
				if rb["AggregateKeyType"] != "CUSTOM_KEYS" || string(key) != `[{"Cookie":{"Name":"`+shopapi.SessionCookie+`","TextTransformations":[{"Priority":0,"Type":"NONE"}]}}]` ||
					rb["Limit"] != float64(e.SessionRateLimit) || rb["EvaluationWindowSec"] != float64(e.SessionRateLimitWindowSeconds) {
					t.Errorf("session rate rule %v, want keyed on the %s cookie, %d per %d s", rb, shopapi.SessionCookie, e.SessionRateLimit, e.SessionRateLimitWindowSeconds)
				}
				scope, _ := json.Marshal(rb["ScopeDownStatement"])
				if !strings.Contains(string(scope), `"NotStatement"`) || !strings.Contains(string(scope), `"SearchString":"/static/"`) {
					t.Errorf("session rate rule scope %s, want every path but /static/", scope)
				}
				if fmt.Sprint(r["Action"]) != "map[Block:map[CustomResponse:map[ResponseCode:429]]]" || r["Priority"] != float64(1) {
					t.Errorf("session rate rule action %v priority %v, want block with 429, second", r["Action"], r["Priority"])
				}
				continue
			}
			if rb, ok := st["RateBasedStatement"].(map[string]any); ok {
				rate = true
				e := s.cfg.Edge
				if rb["AggregateKeyType"] != "IP" || rb["Limit"] != float64(e.RateLimit) || rb["EvaluationWindowSec"] != float64(e.RateLimitWindowSeconds) {
					t.Errorf("rate rule %v, want per IP, %d per %d s", rb, e.RateLimit, e.RateLimitWindowSeconds)
				}
				if fmt.Sprint(r["Action"]) != "map[Block:map[CustomResponse:map[ResponseCode:429]]]" {
					t.Errorf("rate rule action %v, want block with 429", r["Action"])
				}
			}
		}
		if !rate || !session {
			t.Errorf("per-IP rate rule %v, per-session rate rule %v: want both", rate, session)
		}
		for _, want := range []string{"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesAmazonIpReputationList"} {
			if !slices.Contains(groups, want) {
				t.Errorf("managed rule groups %v, want %s among them", groups, want)
			}
		}
	})
}

// distribution returns the DistributionConfig of the CDN stack.
func distribution(t *testing.T, s *synthesis) map[string]any {
	t.Helper()
	return only(t, s, cdnStack(s), "AWS::CloudFront::Distribution")["DistributionConfig"].(map[string]any)
}

// origin returns the origin a behaviour targets: with an origin group, its
// primary member (origins returns them all).
func origin(t *testing.T, dist, behaviour map[string]any) map[string]any {
	t.Helper()
	return origins(t, dist, behaviour)[0]
}

// origins returns the origins a behaviour may reach, in the order CloudFront
// tries them: one, or an origin group's members.
func origins(t *testing.T, dist, behaviour map[string]any) []map[string]any {
	t.Helper()
	ids := []any{behaviour["TargetOriginId"]}
	for _, g := range asList(mapOf(dist["OriginGroups"])["Items"]) {
		if g["Id"] == behaviour["TargetOriginId"] {
			ids = nil
			for _, m := range asList(mapOf(g["Members"])["Items"]) {
				ids = append(ids, m["OriginId"])
			}
		}
	}
	var out []map[string]any
	for _, id := range ids {
		for _, o := range asList(dist["Origins"]) {
			if o["Id"] == id {
				out = append(out, o)
			}
		}
	}
	if len(out) != len(ids) {
		t.Fatalf("behaviour %v: origins %v, found %d of them", behaviour["PathPattern"], ids, len(out))
	}
	return out
}

// TestDistributionSendsDynamicPathsToTheAPIUncached: every path but the static
// files goes to the API, uncached, over HTTPS. In one region, to its API. With a
// standby region the default behaviour takes only reads: with a domain to the
// latency-routed name, without one to the primary's API and then the standby's
// (an origin group); TestWritesGoToTheRegionThatTakesThem checks the writes.
func TestDistributionSendsDynamicPathsToTheAPIUncached(t *testing.T) {
	forEachEdgeVariant(t, func(t *testing.T, s *synthesis) {
		dist := distribution(t, s)
		def := dist["DefaultCacheBehavior"].(map[string]any)
		if def["CachePolicyId"] != cachingDisabled || def["OriginRequestPolicyId"] != allViewerExceptHostHeader {
			t.Errorf("default behaviour: cache policy %v, origin request policy %v; want CachingDisabled and AllViewerExceptHostHeader", def["CachePolicyId"], def["OriginRequestPolicyId"])
		}
		methods := 7
		if s.cfg.Secondary.Enabled() {
			methods = 3 // GET, HEAD, OPTIONS: what CloudFront may send to either region
		}
		if def["ViewerProtocolPolicy"] != "redirect-to-https" || len(asStrings(def["AllowedMethods"])) != methods {
			t.Errorf("default behaviour: viewer protocol %v, methods %v; want redirect-to-https and %d methods", def["ViewerProtocolPolicy"], def["AllowedMethods"], methods)
		}
		var domains []string
		for _, api := range origins(t, dist, def) {
			custom, _ := api["CustomOriginConfig"].(map[string]any)
			if custom["OriginProtocolPolicy"] != "https-only" || fmt.Sprint(custom["OriginSSLProtocols"]) != "[TLSv1.2]" {
				t.Errorf("API origin %v, want HTTPS only with TLSv1.2", custom)
			}
			domains = append(domains, fmt.Sprint(api["DomainName"]))
		}
		primaryAPI := func(d string) bool {
			return strings.Contains(d, ".execute-api.") && strings.Contains(d, *s.stacks.API.StackName())
		}
		switch {
		case !s.cfg.Secondary.Enabled():
			if len(domains) != 1 || !primaryAPI(domains[0]) {
				t.Errorf("API origins %v, want the HTTP API's execute-api host read from the API stack", domains)
			}
		case s.cfg.Edge.HasDomain():
			if fmt.Sprint(domains) != "["+routing.ReadName(s.cfg.Edge.Domain)+"]" {
				t.Errorf("API origins %v, want the latency-routed %s", domains, routing.ReadName(s.cfg.Edge.Domain))
			}
		default:
			standby := *s.stacks.Standby.API.StackName()
			if len(domains) != 2 || !primaryAPI(domains[0]) || !strings.Contains(domains[1], standby) {
				t.Errorf("API origins %v, want the primary's API, then the standby's (%s)", domains, standby)
			}
		}
	})
}

// TestWritesGoToTheRegionThatTakesThem: with a standby region, every route that
// writes, and the order lookup, has a behaviour of its own that takes every
// method and goes only to the region that takes writes: writer.api.<domain>
// (failover-routed) with a domain, the primary's API without one. A read that
// fails over tries the primary twice for 5 s each, then the standby, on 5xx.
func TestWritesGoToTheRegionThatTakesThem(t *testing.T) {
	for _, route := range append(slices.Clone(shopapi.Routes), shopapi.Order) {
		method, path := shopapi.Split(route)
		if method == "GET" && route != shopapi.Order {
			continue
		}
		if !slices.ContainsFunc(edge.WritePaths, func(p string) bool { return pathMatches(p, path) }) {
			t.Errorf("route %s: no pattern of edge.WritePaths %v takes it", route, edge.WritePaths)
		}
	}
	forEachStandbyVariant(t, func(t *testing.T, s *synthesis) {
		dist := distribution(t, s)
		var seen []string
		for _, b := range asList(dist["CacheBehaviors"]) {
			path := fmt.Sprint(b["PathPattern"])
			if path == edge.StaticPath {
				continue
			}
			seen = append(seen, path)
			to := origins(t, dist, b)
			if len(asStrings(b["AllowedMethods"])) != 7 || b["CachePolicyId"] != cachingDisabled || len(to) != 1 {
				t.Errorf("%s: methods %v, cache policy %v, %d origins; want all seven, CachingDisabled, one origin", path, b["AllowedMethods"], b["CachePolicyId"], len(to))
				continue
			}
			domain := fmt.Sprint(to[0]["DomainName"])
			if want := routing.WriteName(s.cfg.Edge.Domain); s.cfg.Edge.HasDomain() && domain != want {
				t.Errorf("%s goes to %s, want the failover-routed %s", path, domain, want)
			}
			if !s.cfg.Edge.HasDomain() && !strings.Contains(domain, *s.stacks.API.StackName()) {
				t.Errorf("%s goes to %s, want the primary region's API", path, domain)
			}
		}
		if !slices.Equal(seen, edge.WritePaths) {
			t.Errorf("API behaviours %v, want %v in that order", seen, edge.WritePaths)
		}
		if s.cfg.Edge.HasDomain() {
			return
		}
		groups := asList(mapOf(dist["OriginGroups"])["Items"])
		if len(groups) != 1 {
			t.Fatalf("origin groups %v, want one", groups)
		}
		if got := fmt.Sprint(mapOf(mapOf(groups[0]["FailoverCriteria"])["StatusCodes"])["Items"]); got != "[500 502 503 504]" {
			t.Errorf("failover on %s, want 500 502 503 504", got)
		}
		for _, o := range origins(t, dist, dist["DefaultCacheBehavior"].(map[string]any)) {
			if fmt.Sprint(o["ConnectionAttempts"], o["ConnectionTimeout"]) != "2 5" {
				t.Errorf("origin %v: %v attempts of %v s, want 2 of 5 s", o["Id"], o["ConnectionAttempts"], o["ConnectionTimeout"])
			}
		}
	})
}

// pathMatches reports whether a CloudFront path pattern (* matching anything)
// takes a route's path, whose {parameters} stand for one segment.
func pathMatches(pattern, path string) bool {
	path = regexp.MustCompile(`\{[^}]+\}`).ReplaceAllString(path, "x")
	re := "^" + strings.ReplaceAll(regexp.QuoteMeta(pattern), `\*`, ".*") + "$"
	return regexp.MustCompile(re).MatchString(path)
}

func TestDistributionServesStaticFilesThroughOriginAccessControl(t *testing.T) {
	forEachEdgeVariant(t, func(t *testing.T, s *synthesis) {
		dist := distribution(t, s)
		behaviours := asList(dist["CacheBehaviors"])
		want := 1
		if s.cfg.Secondary.Enabled() {
			want += len(edge.WritePaths)
		}
		if len(behaviours) != want || behaviours[0]["PathPattern"] != edge.StaticPath {
			t.Fatalf("cache behaviours %v, want %s first, and %d in all", behaviours, edge.StaticPath, want)
		}
		static := behaviours[0]
		if static["CachePolicyId"] != cachingOptimized || fmt.Sprint(static["AllowedMethods"]) != "[GET HEAD]" {
			t.Errorf("static behaviour: cache policy %v, methods %v; want CachingOptimized, GET and HEAD", static["CachePolicyId"], static["AllowedMethods"])
		}
		o := origin(t, dist, static)
		if o["OriginAccessControlId"] == nil || fmt.Sprint(o["S3OriginConfig"]) != "map[OriginAccessIdentity:]" {
			t.Errorf("static origin %v, want an origin access control and no origin access identity", o)
		}
		cdn := cdnStack(s)
		if n := len(s.resources(cdn, "AWS::CloudFront::CloudFrontOriginAccessIdentity")); n != 0 {
			t.Errorf("%d origin access identities, want none", n)
		}
		oac := only(t, s, cdn, "AWS::CloudFront::OriginAccessControl")["OriginAccessControlConfig"].(map[string]any)
		if oac["OriginAccessControlOriginType"] != "s3" || oac["SigningBehavior"] != "always" || oac["SigningProtocol"] != "sigv4" {
			t.Errorf("origin access control %v, want s3, always signed, sigv4", oac)
		}
		// The bucket admits CloudFront for this distribution only, and nobody in public.
		policy := fmt.Sprint(s.resources(cdn, "AWS::S3::BucketPolicy"))
		if !strings.Contains(policy, "cloudfront.amazonaws.com") || !strings.Contains(policy, "AWS:SourceArn") {
			t.Errorf("no bucket policy admits CloudFront on the distribution's SourceArn: %s", policy)
		}
		for id, b := range s.resources(cdn, "AWS::S3::Bucket") {
			p := props(b)
			if fmt.Sprint(p["PublicAccessBlockConfiguration"]) != "map[BlockPublicAcls:true BlockPublicPolicy:true IgnorePublicAcls:true RestrictPublicBuckets:true]" || p["BucketEncryption"] == nil {
				t.Errorf("bucket %s: public access %v, encryption %v; want all public access blocked and encryption on", id, p["PublicAccessBlockConfiguration"], p["BucketEncryption"])
			}
		}
		deploy := only(t, s, cdn, "Custom::CDKBucketDeployment")
		if deploy["DestinationBucketKeyPrefix"] != "static/" || fmt.Sprint(deploy["DistributionPaths"]) != "["+edge.StaticPath+"]" {
			t.Errorf("static-file deployment %v %v, want static/ and an invalidation of %s", deploy["DestinationBucketKeyPrefix"], deploy["DistributionPaths"], edge.StaticPath)
		}
	})
}

func TestDistributionProtocolsHeadersAndLogs(t *testing.T) {
	forEachEdgeVariant(t, func(t *testing.T, s *synthesis) {
		dist := distribution(t, s)
		if dist["HttpVersion"] != "http2and3" || dist["IPV6Enabled"] != true {
			t.Errorf("HTTP version %v, IPv6 %v; want http2and3 and IPv6", dist["HttpVersion"], dist["IPV6Enabled"])
		}
		if want := map[string]string{"100": "PriceClass_100", "200": "PriceClass_200", "All": "PriceClass_All"}[s.cfg.Edge.PriceClass]; dist["PriceClass"] != want {
			t.Errorf("price class %v, want %s", dist["PriceClass"], want)
		}
		logging, _ := dist["Logging"].(map[string]any)
		if logging["Bucket"] == nil {
			t.Error("no access logs")
		}
		headers := only(t, s, cdnStack(s), "AWS::CloudFront::ResponseHeadersPolicy")["ResponseHeadersPolicyConfig"].(map[string]any)
		sec := headers["SecurityHeadersConfig"].(map[string]any)
		hsts, _ := sec["StrictTransportSecurity"].(map[string]any)
		if hsts["AccessControlMaxAgeSec"] != float64(63072000) || hsts["IncludeSubdomains"] != true || hsts["Override"] != true {
			t.Errorf("HSTS %v, want two years, subdomains, override", hsts)
		}
		for _, h := range []string{"ContentTypeOptions", "FrameOptions", "ReferrerPolicy", "ContentSecurityPolicy"} {
			if c, _ := sec[h].(map[string]any); c["Override"] != true {
				t.Errorf("%s %v, want set and overriding the origin", h, sec[h])
			}
		}
		if got, want := cloudFrontHeaders(sec), securityheaders.Header(); !reflect.DeepEqual(got, want) {
			t.Errorf("CloudFront adds %v, want securityheaders.Header(), what the local run sets: %v", got, want)
		}
		for _, b := range append(asList(dist["CacheBehaviors"]), dist["DefaultCacheBehavior"].(map[string]any)) {
			if p, ok := b["ResponseHeadersPolicyId"].(map[string]any); !ok || p["Ref"] == nil {
				t.Errorf("behaviour %v has no security headers policy", b["PathPattern"])
			}
		}
		if acl := fmt.Sprint(dist["WebACLId"]); !strings.Contains(acl, "Fn::GetStackOutput") {
			t.Errorf("web ACL %s, want the edge stack's output", acl)
		}
		logBucket := mapOf(logging["Bucket"])["Fn::GetAtt"]
		ref, _ := logBucket.([]any)
		if len(ref) != 2 {
			t.Fatalf("log bucket %v, want a bucket of the stack", logging["Bucket"])
		}
		b := mapOf(s.templates[cdnStack(s)]["Resources"])[fmt.Sprint(ref[0])]
		if rules := fmt.Sprint(props(mapOf(b))["LifecycleConfiguration"]); !strings.Contains(rules, fmt.Sprintf("ExpirationInDays:%d", s.cfg.Edge.LogRetentionDays)) {
			t.Errorf("log bucket lifecycle %s, want expiry after %d days", rules, s.cfg.Edge.LogRetentionDays)
		}
		if enc := props(mapOf(b))["BucketEncryption"]; enc == nil {
			t.Error("log bucket not encrypted")
		}
	})
}

func TestDomainCertificateAndRecords(t *testing.T) {
	forEachEdgeVariant(t, func(t *testing.T, s *synthesis) {
		e, cdn, edgeName := s.cfg.Edge, cdnStack(s), edgeStack(s)
		dist := distribution(t, s)
		records := s.resources(cdn, "AWS::Route53::RecordSet")
		certs := s.resources(edgeName, "AWS::CertificateManager::Certificate")
		if !e.HasDomain() {
			if dist["Aliases"] != nil || dist["ViewerCertificate"] != nil || len(records) != 0 || len(certs) != 0 {
				t.Errorf("no domain configured, yet aliases %v, viewer certificate %v, %d records, %d certificates", dist["Aliases"], dist["ViewerCertificate"], len(records), len(certs))
			}
			return
		}
		cert := only(t, s, edgeName, "AWS::CertificateManager::Certificate")
		if cert["DomainName"] != e.Domain || cert["ValidationMethod"] != "DNS" ||
			fmt.Sprint(cert["DomainValidationOptions"]) != fmt.Sprintf("[map[DomainName:%s HostedZoneId:%s]]", e.Domain, e.HostedZoneID) {
			t.Errorf("certificate %v, want %s validated by DNS in zone %s", cert, e.Domain, e.HostedZoneID)
		}
		if fmt.Sprint(dist["Aliases"]) != "["+e.Domain+"]" {
			t.Errorf("aliases %v, want [%s]", dist["Aliases"], e.Domain)
		}
		vc, _ := dist["ViewerCertificate"].(map[string]any)
		if vc["MinimumProtocolVersion"] != "TLSv1.2_2021" || vc["SslSupportMethod"] != "sni-only" {
			t.Errorf("viewer certificate %v, want TLSv1.2_2021 over SNI", vc)
		}
		types := map[string]int{}
		for id, r := range records {
			p := props(r)
			types[fmt.Sprint(p["Type"])]++
			alias, _ := p["AliasTarget"].(map[string]any)
			if p["HostedZoneId"] != e.HostedZoneID || p["Name"] != e.Domain+"." || !strings.Contains(fmt.Sprint(alias["DNSName"]), "DomainName") ||
				!strings.Contains(fmt.Sprint(alias["HostedZoneId"]), "CloudFront") {
				t.Errorf("record %s: zone %v, name %v, alias %v; want an alias to CloudFront for %s. in %s", id, p["HostedZoneId"], p["Name"], alias, e.Domain, e.HostedZoneID)
			}
		}
		if types["A"] != 1 || types["AAAA"] != 1 || len(records) != 2 {
			t.Errorf("records %v, want one A and one AAAA", types)
		}
		for _, v := range s.report.nag() {
			t.Errorf("cdk-nag: %s", v)
		}
		if s.err != nil {
			t.Errorf("synth: %v", s.err)
		}
	})
}

// TestReferencesAcrossRegionsHaveNoExports proves the edge and CDN stacks can
// deploy in order and update without the export deadlock: no template exports or
// imports anything (an export cannot change while another stack imports it), the
// CDN stack reads the edge stack's plain outputs with Fn::GetStackOutput naming
// us-east-1, each output it reads exists, and the CDN stack depends on the edge
// stack, so `cdk deploy` deploys the edge first.
func TestReferencesAcrossRegionsHaveNoExports(t *testing.T) {
	forEachEdgeVariant(t, func(t *testing.T, s *synthesis) {
		for name, template := range s.templates {
			if n := len(findKey(template, "Fn::ImportValue")); n != 0 {
				t.Errorf("%s imports %d exported values; want none", name, n)
			}
			for id, o := range mapOf(template["Outputs"]) {
				if o.(map[string]any)["Export"] != nil {
					t.Errorf("%s exports output %s; want plain outputs only", name, id)
				}
			}
			for _, r := range mapOf(template["Resources"]) {
				if typ := fmt.Sprint(r.(map[string]any)["Type"]); strings.Contains(typ, "CrossRegionExport") {
					t.Errorf("%s has a %s: the CDK's strong cross-region references lock values like exports", name, typ)
				}
			}
		}
		edgeName, cdn := edgeStack(s), cdnStack(s)
		outputs := mapOf(s.templates[edgeName]["Outputs"])
		var read []string
		for _, ref := range findKey(s.templates[cdn], "Fn::GetStackOutput") {
			r := ref.(map[string]any)
			if r["StackName"] != edgeName {
				continue
			}
			read = append(read, fmt.Sprint(r["OutputName"]))
			if r["Region"] != edge.Region {
				t.Errorf("reads %v from %s without naming region %s", r["OutputName"], edgeName, edge.Region)
			}
			if _, ok := outputs[fmt.Sprint(r["OutputName"])]; !ok {
				t.Errorf("reads output %v, which %s does not have", r["OutputName"], edgeName)
			}
		}
		want := []string{stacks.WebACLArnOutput}
		if s.cfg.Edge.HasDomain() {
			want = append(want, stacks.CertificateArnOutput)
		}
		slices.Sort(read)
		slices.Sort(want)
		if !slices.Equal(slices.Compact(read), want) {
			t.Errorf("%s reads %v from %s, want %v", cdn, read, edgeName, want)
		}
		manifest := readJSON[struct {
			Artifacts map[string]struct {
				Dependencies []string `json:"dependencies"`
			} `json:"artifacts"`
		}](t, filepath.Join(s.outdir, "manifest.json"))
		if deps := manifest.Artifacts[cdn].Dependencies; !slices.Contains(deps, edgeName) {
			t.Errorf("%s depends on %v, want %s among them so that it deploys second", cdn, deps, edgeName)
		}
	})
}

// findKey returns the values of every key named key anywhere in v.
func findKey(v any, key string) []any {
	var found []any
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			if k == key {
				found = append(found, child)
			}
			found = append(found, findKey(child, key)...)
		}
	case []any:
		for _, child := range x {
			found = append(found, findKey(child, key)...)
		}
	}
	return found
}

func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func asStrings(v any) []string {
	if one, ok := v.(string); ok {
		return []string{one} // IAM's one-action, one-resource form
	}
	var out []string
	for _, x := range v.([]any) {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

// TestOnlyCloudFrontReachesTheAPI: CloudFront sends the origin secret's value to
// the API, resolved from Secrets Manager at deploy (never in the template), and
// the service, which refuses a request without it (service/shop/origin_test.go),
// is told which secret that is and may read it.
func TestOnlyCloudFrontReachesTheAPI(t *testing.T) {
	forEachEdgeVariant(t, func(t *testing.T, s *synthesis) {
		dist := distribution(t, s)
		stateful := *s.stacks.Stateful.StackName()
		for _, api := range asList(dist["Origins"]) {
			if api["S3OriginConfig"] != nil {
				continue
			}
			headers := asList(api["OriginCustomHeaders"])
			if len(headers) != 1 || headers[0]["HeaderName"] != shopapi.OriginHeader {
				t.Fatalf("API origin %v: custom headers %v, want exactly %s", api["Id"], headers, shopapi.OriginHeader)
			}
			value, _ := json.Marshal(headers[0]["HeaderValue"])
			for _, want := range []string{"{{resolve:secretsmanager:", stateful, ":SecretString:" + shopapi.OriginSecretKey + "::}}"} {
				if !strings.Contains(string(value), want) {
					t.Errorf("origin header value %s lacks %q: want a dynamic reference to the stateful stack's origin secret", value, want)
				}
			}
		}
		for _, o := range asList(dist["Origins"]) {
			if o["S3OriginConfig"] != nil && o["OriginCustomHeaders"] != nil {
				t.Errorf("the static-file origin carries custom headers %v: the secret is for the API only", o["OriginCustomHeaders"])
			}
		}

		secrets := s.resources(stateful, "AWS::SecretsManager::Secret")
		var originSecret string
		for id, r := range secrets {
			gen, _ := props(r)["GenerateSecretString"].(map[string]any)
			if gen["GenerateStringKey"] == shopapi.OriginSecretKey {
				originSecret = id
				if gen["PasswordLength"] != float64(64) || gen["ExcludePunctuation"] != true {
					t.Errorf("origin secret generator %v, want 64 letters and digits (header-safe)", gen)
				}
			}
		}
		if originSecret == "" {
			t.Fatalf("no secret with a generated %q key in %s", shopapi.OriginSecretKey, stateful)
		}

		web := *s.stacks.Web.StackName()
		launch, _ := json.Marshal(s.resources(web, "AWS::EC2::LaunchTemplate"))
		if !strings.Contains(string(launch), "ORIGIN_SECRET_ARN=") {
			t.Error("the service is not given ORIGIN_SECRET_ARN: it would not check the header")
		}
		if !roleReadsSecret(s, web, originSecret) {
			t.Errorf("the fleet's role may not read the origin secret %s", originSecret)
		}
	})
}

// TestOriginSecretVersionPinsTheReference: `make rotate-origin-secret` deploys the
// CDN stack with the new version, which changes the reference, so CloudFormation
// reads the secret again.
func TestOriginSecretVersionPinsTheReference(t *testing.T) {
	const version = testOriginSecretVersion
	s := devOptions(t)
	dist := distribution(t, s)
	api := origin(t, dist, dist["DefaultCacheBehavior"].(map[string]any))
	value, _ := json.Marshal(asList(api["OriginCustomHeaders"])[0]["HeaderValue"])
	if !strings.Contains(string(value), ":SecretString:"+shopapi.OriginSecretKey+"::"+version+"}}") {
		t.Errorf("origin header value %s, want the reference pinned to version %s", value, version)
	}
}

// roleReadsSecret reports whether a policy in stack allows secretsmanager:GetSecretValue
// on the secret with the logical ID secret (of the stateful stack).
func roleReadsSecret(s *synthesis, stack, secret string) bool {
	for _, p := range s.resources(stack, "AWS::IAM::Policy") {
		for _, st := range asList(mapOf(mapOf(props(p)["PolicyDocument"]))["Statement"]) {
			b, _ := json.Marshal(st)
			if strings.Contains(string(b), "secretsmanager:GetSecretValue") && strings.Contains(string(b), secret) {
				return true
			}
		}
	}
	return false
}

// cloudFrontHeaders are the headers a response headers policy's
// SecurityHeadersConfig adds, written as CloudFront writes them.
func cloudFrontHeaders(sec map[string]any) http.Header {
	h := http.Header{}
	if c, ok := sec["StrictTransportSecurity"].(map[string]any); ok {
		seconds, _ := c["AccessControlMaxAgeSec"].(float64)
		v := fmt.Sprintf("max-age=%d", int64(seconds))
		if c["IncludeSubdomains"] == true {
			v += "; includeSubDomains"
		}
		if c["Preload"] == true {
			v += "; preload"
		}
		h.Set("Strict-Transport-Security", v)
	}
	if _, ok := sec["ContentTypeOptions"]; ok {
		h.Set("X-Content-Type-Options", "nosniff")
	}
	if c, ok := sec["FrameOptions"].(map[string]any); ok {
		h.Set("X-Frame-Options", fmt.Sprint(c["FrameOption"]))
	}
	if c, ok := sec["ReferrerPolicy"].(map[string]any); ok {
		h.Set("Referrer-Policy", fmt.Sprint(c["ReferrerPolicy"]))
	}
	if c, ok := sec["ContentSecurityPolicy"].(map[string]any); ok {
		h.Set("Content-Security-Policy", fmt.Sprint(c["ContentSecurityPolicy"]))
	}
	if c, ok := sec["XSSProtection"]; ok { // not one of securityheaders': the comparison fails
		h.Set("X-XSS-Protection", fmt.Sprint(c))
	}
	return h
}
