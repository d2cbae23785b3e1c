package test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/example/scalable-web/infra/config"
	"github.com/example/scalable-web/internal/schema"
)

// loginSecretMarker is what names a role's secret in a template: the logical ID
// of its attachment, which every reference to it goes through.
func loginSecretMarker(role string) string {
	var id strings.Builder
	for _, word := range strings.Split(role, "_") {
		id.WriteString(strings.ToUpper(word[:1]) + word[1:])
	}
	return "Database" + id.String() + "LoginAttachment"
}

const adminSecretMarker = "DatabaseSecretAttachment"

// TestEachComponentHasItsOwnRotatedLogin: a secret per component role, for its
// own user, holding the master secret's ARN, rotated on the stage's schedule by
// the alternating-users (multi-user) rotation.
func TestEachComponentHasItsOwnRotatedLogin(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesis, stack string) {
		secrets := s.resources(stack, "AWS::SecretsManager::Secret")
		for _, role := range schema.Roles {
			found := false
			for _, r := range secrets {
				template := fmt.Sprint(jsonOf(props(r)["GenerateSecretString"]))
				if strings.Contains(template, `\"username\":\"`+schema.LoginUser(role)+`\"`) && strings.Contains(template, "masterarn") {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: no secret for user %s with the master secret's ARN", role, schema.LoginUser(role))
			}
			schedule := false
			for _, r := range s.resources(stack, "AWS::SecretsManager::RotationSchedule") {
				p := jsonOf(props(r))
				if strings.Contains(p, loginSecretMarker(role)) && strings.Contains(p, fmt.Sprintf("rate(%d days)", s.cfg.Database.SecretRotationDays)) {
					schedule = true
				}
			}
			if !schedule {
				t.Errorf("%s: its secret has no rotation every %d days", role, s.cfg.Database.SecretRotationDays)
			}
		}
		tpl := jsonOf(s.templates[stack])
		if n := strings.Count(tpl, "arn:aws:serverlessrepo:us-east-1:297356227824:applications/SecretsManagerRDSPostgreSQLRotationMultiUser\""); n != len(schema.Roles) {
			t.Errorf("%d multi-user rotation applications, want one per role (%d)", n, len(schema.Roles))
		}
	})
}

// TestEachComponentReadsOnlyItsOwnSecret: every function and the fleet may read
// the secret of their own role and no other; only the migration reads the admin
// secret (and every login's, to make the users).
func TestEachComponentReadsOnlyItsOwnSecret(t *testing.T) {
	want := map[string][]string{
		"InventoryConsumerServiceRole":     {loginSecretMarker(schema.InventoryRole)},
		"NotificationsConsumerServiceRole": {loginSecretMarker(schema.NotificationsRole)},
		"DailyReportFunctionServiceRole":   {loginSecretMarker(schema.ReportRole)},
		"CatalogImportFunctionServiceRole": {loginSecretMarker(schema.CatalogRole)},
		"MigrationServiceRole":             {adminSecretMarker},
		"WebRole":                          {loginSecretMarker(schema.ServiceRole)},
	}
	for _, role := range schema.Roles {
		want["MigrationServiceRole"] = append(want["MigrationServiceRole"], loginSecretMarker(role))
	}
	all := append([]string{adminSecretMarker}, want["MigrationServiceRole"][1:]...)
	for _, stage := range config.StageNames() {
		t.Run(stage, func(t *testing.T) {
			s := synthesize(t, stage)
			got := map[string][]string{}
			for _, stack := range []string{*s.stacks.Events.StackName(), *s.stacks.Web.StackName()} {
				for _, policy := range s.resources(stack, "AWS::IAM::Policy") {
					p := props(policy)
					var reads []any
					for _, st := range p["PolicyDocument"].(map[string]any)["Statement"].([]any) {
						if strings.Contains(jsonOf(st.(map[string]any)["Action"]), "secretsmanager:GetSecretValue") {
							reads = append(reads, st.(map[string]any)["Resource"])
						}
					}
					if len(reads) == 0 {
						continue
					}
					owner := jsonOf(p["Roles"])
					for _, marker := range all {
						if strings.Contains(jsonOf(reads), marker) {
							got[owner] = append(got[owner], marker)
						}
					}
				}
			}
			for owner, secrets := range got {
				matched := false
				for prefix, w := range want {
					if strings.Contains(owner, prefix) {
						matched = true
						if slices.Sort(secrets); !slices.Equal(secrets, slices.Sorted(slices.Values(w))) {
							t.Errorf("%s reads %v, want %v", prefix, secrets, w)
						}
					}
				}
				if !matched {
					t.Errorf("%s reads database secrets %v, want none", owner, secrets)
				}
			}
			if len(got) != len(want) {
				t.Errorf("%d roles read database secrets, want %d: %v", len(got), len(want), got)
			}
		})
	}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
