package test

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/example/scalable-web/infra/config"
	"github.com/example/scalable-web/infra/delivery"
	"github.com/example/scalable-web/infra/edge"
)

// forEachDeliveryStage runs test on each stage configured with a GitHub repository.
func forEachDeliveryStage(t *testing.T, test func(t *testing.T, s *synthesis, stack string)) {
	t.Helper()
	for _, stage := range config.StageNames() {
		t.Run(stage, func(t *testing.T) {
			s := withDomain(t, stage)
			if s.stacks.Delivery == nil {
				t.Fatal("no delivery stack with a GitHub repository configured")
			}
			test(t, s, *s.stacks.Delivery.StackName())
		})
	}
}

func TestDeliveryStackOnlyWithARepository(t *testing.T) {
	for _, stage := range config.StageNames() {
		if s := synthesize(t, stage); s.stacks.Delivery != nil {
			t.Errorf("%s: delivery stack %s without a GitHub repository", stage, *s.stacks.Delivery.StackName())
		}
	}
}

// TestDeliveryProviderOncePerAccount: the stage that creates GitHub's provider
// creates exactly it; the others create none and trust the account's.
func TestDeliveryProviderOncePerAccount(t *testing.T) {
	forEachDeliveryStage(t, func(t *testing.T, s *synthesis, stack string) {
		providers := s.resources(stack, "AWS::IAM::OIDCProvider")
		if !s.cfg.Delivery.CreateOIDCProvider {
			if len(providers) != 0 {
				t.Errorf("got %d OIDC providers, want none: the stage uses the account's", len(providers))
			}
			return
		}
		for id, r := range providers {
			if r["DeletionPolicy"] != "Retain" || r["UpdateReplacePolicy"] != "Retain" {
				t.Errorf("%s: deletion policy %v, want Retain: the account's other stages trust it", id, r["DeletionPolicy"])
			}
		}
		p := only(t, s, stack, "AWS::IAM::OIDCProvider")
		if p["Url"] != "https://"+delivery.Issuer {
			t.Errorf("got provider URL %v, want https://%s", p["Url"], delivery.Issuer)
		}
		if got := asStrings(p["ClientIdList"]); !slices.Equal(got, []string{delivery.Audience}) {
			t.Errorf("got client IDs %v, want [%s]", got, delivery.Audience)
		}
	})
}

// TestDeliveryRolesAreScopedToTheRepository: each role trusts GitHub's tokens for
// this repository and one kind of job only, in both forms of GitHub's default
// subject (name-only, and the immutable IDs that repositories created since April
// 2026 get), with exact matches and no wildcards.
func TestDeliveryRolesAreScopedToTheRepository(t *testing.T) {
	forEachDeliveryStage(t, func(t *testing.T, s *synthesis, stack string) {
		name := "repo:" + testRepository
		ids := "repo:example-org@" + testOwnerID + "/shop@" + testRepositoryID
		want := map[string][]string{
			delivery.DiffRoleName(s.cfg.Prefix):   {name + ":pull_request", ids + ":pull_request"},
			delivery.DeployRoleName(s.cfg.Prefix): {name + ":environment:" + s.cfg.Stage, ids + ":environment:" + s.cfg.Stage},
		}
		checkTrusts(t, s, stack, want)
	})
}

// TestDeliverySubjectPrefixOverride: an organisation with its own claim template
// names its subject prefix, and the roles trust exactly that.
func TestDeliverySubjectPrefixOverride(t *testing.T) {
	const prefix = testSubjectPrefix
	s := devOptions(t)
	checkTrusts(t, s, *s.stacks.Delivery.StackName(), map[string][]string{
		delivery.DiffRoleName(s.cfg.Prefix):   {prefix + ":pull_request"},
		delivery.DeployRoleName(s.cfg.Prefix): {prefix + ":environment:dev"},
	})
}

// TestTrustCheckCatchesWildcardsAndWrongIDs proves the check above can fail: a
// trust with a wildcard subject, a wrong ID, or one form missing is reported.
func TestTrustCheckCatchesWildcardsAndWrongIDs(t *testing.T) {
	want := []string{"repo:example-org/shop:pull_request", "repo:example-org@123456/shop@456789:pull_request"}
	for _, tc := range []struct {
		name      string
		condition map[string]any
	}{
		{"wildcard subject", map[string]any{"StringLike": map[string]any{delivery.Issuer + ":aud": delivery.Audience, delivery.Issuer + ":sub": "repo:example-org/*"}}},
		{"wildcard in the list", map[string]any{"StringEquals": map[string]any{delivery.Issuer + ":aud": delivery.Audience, delivery.Issuer + ":sub": []any{want[0], "repo:example-org@123456/*"}}}},
		{"wrong repository ID", map[string]any{"StringEquals": map[string]any{delivery.Issuer + ":aud": delivery.Audience, delivery.Issuer + ":sub": []any{want[0], "repo:example-org@123456/shop@999999:pull_request"}}}},
		{"name-only form alone", map[string]any{"StringEquals": map[string]any{delivery.Issuer + ":aud": delivery.Audience, delivery.Issuer + ":sub": want[0]}}},
	} {
		if problem := trustProblem(tc.condition, want); problem == "" {
			t.Errorf("%s: the trust check passed %v", tc.name, tc.condition)
		}
	}
	ok := map[string]any{"StringEquals": map[string]any{delivery.Issuer + ":aud": delivery.Audience, delivery.Issuer + ":sub": []any{want[0], want[1]}}}
	if problem := trustProblem(ok, want); problem != "" {
		t.Errorf("the right trust: %s", problem)
	}
}

// checkTrusts checks that the stack's roles are exactly want's, each trusting GitHub's
// OIDC provider for exactly want's subjects.
func checkTrusts(t *testing.T, s *synthesis, stack string, want map[string][]string) {
	t.Helper()
	roles := s.resources(stack, "AWS::IAM::Role")
	if len(roles) != len(want) {
		t.Fatalf("got %d roles, want %d", len(roles), len(want))
	}
	for id, r := range roles {
		p := props(r)
		name, _ := p["RoleName"].(string)
		subjects, ok := want[name]
		if !ok {
			t.Errorf("%s: role name %q, want one of the names the workflow assumes", id, name)
			continue
		}
		statements := mapOf(p["AssumeRolePolicyDocument"])["Statement"].([]any)
		if len(statements) != 1 {
			t.Fatalf("%s: %d trust statements, want 1", name, len(statements))
		}
		st := mapOf(statements[0])
		if st["Action"] != "sts:AssumeRoleWithWebIdentity" || st["Effect"] != "Allow" {
			t.Errorf("%s: trust %v %v, want Allow sts:AssumeRoleWithWebIdentity", name, st["Effect"], st["Action"])
		}
		federated, _ := json.Marshal(mapOf(st["Principal"])["Federated"])
		if !strings.Contains(string(federated), "oidc-provider/"+delivery.Issuer) && !strings.Contains(string(federated), `"Ref":"GitHubProvider`) {
			t.Errorf("%s: trusts %s, want GitHub's OIDC provider", name, federated)
		}
		if problem := trustProblem(mapOf(st["Condition"]), subjects); problem != "" {
			t.Errorf("%s: %s", name, problem)
		}
	}
}

// trustProblem says what is wrong with a trust condition that should admit GitHub
// tokens for exactly the subjects want, or "".
func trustProblem(condition map[string]any, want []string) string {
	if len(condition) != 1 || condition["StringEquals"] == nil {
		b, _ := json.Marshal(condition)
		return "trust condition " + string(b) + ": want StringEquals only (no StringLike: no wildcard)"
	}
	eq := mapOf(condition["StringEquals"])
	if eq[delivery.Issuer+":aud"] != delivery.Audience || len(eq) != 2 {
		return "trust condition keys " + strings.Join(slices.Sorted(maps.Keys(eq)), ", ") + ": want exactly the audience " + delivery.Audience + " and the subject"
	}
	var got []string
	switch sub := eq[delivery.Issuer+":sub"].(type) {
	case string:
		got = []string{sub}
	case []any:
		got = asStrings(sub)
	}
	for _, g := range got {
		if strings.ContainsAny(g, "*?") {
			return "subject " + g + " has a wildcard"
		}
	}
	if !slices.Equal(got, want) {
		return "subjects " + strings.Join(got, ", ") + ", want " + strings.Join(want, ", ")
	}
	return ""
}

// TestDeliveryRolesOnlyReachTheCdkRoles: the deploy role may assume the CDK
// bootstrap's deploy, file-publishing and lookup roles of the stage's region and
// us-east-1, and describe the stage's stacks (make smoke reads their outputs), and
// nothing else; the diff role assumes no role at all and reads only the stage's
// deployed templates and the bootstrap's version.
func TestDeliveryRolesOnlyReachTheCdkRoles(t *testing.T) {
	var qualifier string
	cdkRole := func(kind, region string) string {
		return "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-" + qualifier + "-" + kind + "-role-${AWS::AccountId}-" + region
	}
	forEachDeliveryStage(t, func(t *testing.T, s *synthesis, stack string) {
		qualifier = s.cfg.BootstrapQualifier
		diff, deploy := delivery.DiffRoleName(s.cfg.Prefix), delivery.DeployRoleName(s.cfg.Prefix)
		// want: role → "action list" → resources
		want := map[string]map[string][]string{diff: {}, deploy: {}}
		templates, ssm, assume := strings.Join(delivery.DiffTemplateActions, ","), "ssm:GetParameter", "sts:AssumeRole,sts:TagSession"
		outputs := strings.Join(delivery.DeployReadActions, ",")
		var regions []string // the stage's regions and the edge's, as the policies write them
		for _, region := range append(s.cfg.Regions(), edge.Region) {
			if region == "" {
				region = "${AWS::Region}"
			}
			if !slices.Contains(regions, region) {
				regions = append(regions, region)
			}
		}
		for _, region := range regions {
			stacks := "arn:${AWS::Partition}:cloudformation:" + region + ":${AWS::AccountId}:stack/" + s.cfg.Prefix + "-*/*"
			want[diff][templates] = append(want[diff][templates], stacks)
			want[deploy][outputs] = append(want[deploy][outputs], stacks)
			want[diff][ssm] = append(want[diff][ssm], "arn:${AWS::Partition}:ssm:"+region+":${AWS::AccountId}:parameter/cdk-bootstrap/"+qualifier+"/version")
			for _, kind := range []string{"deploy", "file-publishing", "lookup"} {
				want[deploy][assume] = append(want[deploy][assume], cdkRole(kind, region))
			}
		}
		roles := s.resources(stack, "AWS::IAM::Role")
		policies := s.resources(stack, "AWS::IAM::Policy")
		if len(policies) != len(want) {
			t.Fatalf("got %d policies, want one per role", len(policies))
		}
		for _, pol := range policies {
			attached := asStrings(findKey(props(pol)["Roles"], "Ref"))
			if len(attached) != 1 {
				t.Fatalf("policy attached to %v, want one role", attached)
			}
			role, _ := props(roles[attached[0]])["RoleName"].(string)
			got := map[string][]string{}
			for _, st := range mapOf(props(pol)["PolicyDocument"])["Statement"].([]any) {
				st := mapOf(st)
				actions := strings.Join(asStrings(st["Action"]), ",")
				resources, ok := st["Resource"].([]any)
				if !ok {
					resources = []any{st["Resource"]}
				}
				for _, r := range resources {
					arn, _ := mapOf(r)["Fn::Sub"].(string)
					got[actions] = append(got[actions], arn)
				}
			}
			for actions := range got {
				slices.Sort(got[actions])
			}
			for actions := range want[role] {
				slices.Sort(want[role][actions])
			}
			if fmt.Sprint(got) != fmt.Sprint(want[role]) {
				t.Errorf("%s may\n%v\nwant\n%v", role, got, want[role])
			}
			if role == diff && strings.Contains(fmt.Sprint(got), "sts:") {
				t.Errorf("the diff role may assume a role: %v", got)
			}
		}
	})
}

// TestStagesDeployThroughTheirOwnBootstrap: every stage has its own bootstrap
// qualifier; each of its stacks checks that bootstrap's version and publishes and
// deploys through its roles, and names no other stage's (or the default one).
func TestStagesDeployThroughTheirOwnBootstrap(t *testing.T) {
	seen := map[string]string{}
	for _, stage := range config.StageNames() {
		s := withDomain(t, stage)
		q := s.cfg.BootstrapQualifier
		if other, ok := seen[q]; ok {
			t.Errorf("%s and %s share the bootstrap qualifier %q: each stage needs its own", other, stage, q)
		}
		seen[q] = stage
		for _, stack := range stackNames(s.stacks) {
			param := mapOf(mapOf(s.templates[stack]["Parameters"])["BootstrapVersion"])
			if param["Default"] != "/cdk-bootstrap/"+q+"/version" {
				t.Errorf("%s: BootstrapVersion parameter %v, want /cdk-bootstrap/%s/version", stack, param["Default"], q)
			}
			if problem := qualifierProblem(s.templates[stack], q); problem != "" {
				t.Errorf("%s: %s", stack, problem)
			}
		}
	}
}

// TestQualifierCheckCatchesAnotherStagesRoles proves the check above can fail: a
// template that names another stage's bootstrap roles, the default qualifier's, or
// a wildcard is reported.
func TestQualifierCheckCatchesAnotherStagesRoles(t *testing.T) {
	role := func(q string) map[string]any {
		return map[string]any{"Resources": map[string]any{"P": map[string]any{"Properties": map[string]any{
			"Resource": map[string]any{"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-" + q + "-deploy-role-${AWS::AccountId}-us-east-1"}}}}}
	}
	for _, q := range []string{"shopprod", delivery.DefaultQualifier, "*"} {
		if qualifierProblem(role(q), "shopdev") == "" {
			t.Errorf("a template naming cdk-%s-deploy-role passed the check for shopdev", q)
		}
	}
	if problem := qualifierProblem(role("shopdev"), "shopdev"); problem != "" {
		t.Errorf("the stage's own role: %s", problem)
	}
}

var cdkBootstrapName = regexp.MustCompile(`cdk-([a-z0-9*]+)-(deploy|file-publishing|image-publishing|lookup|cfn-exec|assets)`)

// qualifierProblem reports a bootstrap role or bucket of template that is not of
// qualifier.
func qualifierProblem(template map[string]any, qualifier string) string {
	b, _ := json.Marshal(template)
	for _, m := range cdkBootstrapName.FindAllStringSubmatch(string(b), -1) {
		if m[1] != qualifier {
			return "names " + m[0] + ", of another bootstrap than the stage's (" + qualifier + ")"
		}
	}
	return ""
}
