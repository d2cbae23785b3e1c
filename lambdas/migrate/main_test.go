package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/example/scalable-web/internal/envnames"
	"github.com/example/scalable-web/internal/schema"
)

// secretsByARN is Secrets Manager holding one RDS secret per ARN.
type secretsByARN map[string]map[string]any

func (s secretsByARN) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	b, _ := json.Marshal(s[*in.SecretId])
	str := string(b)
	return &secretsmanager.GetSecretValueOutput{SecretString: &str}, nil
}

func TestReadLogins(t *testing.T) {
	sm, arns := secretsByARN{}, map[string]string{}
	for _, role := range schema.Roles {
		arn := "arn:aws:secretsmanager:us-east-1:100010001000:secret:" + role
		sm[arn] = map[string]any{"username": schema.LoginUser(role) + "_clone", "password": "pw-" + role}
		arns[role] = arn
	}
	env, _ := json.Marshal(arns)
	logins, err := readLogins(context.Background(), sm, string(env))
	if err != nil || len(logins) != len(schema.Roles) {
		t.Fatalf("got %v, %v; want a login per role", logins, err)
	}
	for i, l := range logins {
		if l.Role != schema.Roles[i] || l.Username != schema.LoginUser(l.Role)+"_clone" || l.Password != "pw-"+l.Role {
			t.Errorf("login %d: %+v, want the secret's current user and password for %s", i, l, schema.Roles[i])
		}
	}

	delete(arns, schema.ReportRole)
	env, _ = json.Marshal(arns)
	if _, err := readLogins(context.Background(), sm, string(env)); err == nil || !strings.Contains(err.Error(), "no secret for role shop_report") {
		t.Errorf("a missing role: %v, want an error naming it", err)
	}
	if _, err := readLogins(context.Background(), sm, ""); err == nil || !strings.Contains(err.Error(), envnames.LoginSecrets) {
		t.Errorf("no variable: %v, want an error naming it", err)
	}
}
