package test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// secretProperties are the template properties that carry a password, token or
// secret value. Each must be a Secrets Manager dynamic reference, which
// CloudFormation resolves at deploy time, never the value itself.
var secretProperties = map[string]bool{
	"MasterUserPassword": true, // RDS
	"AuthToken":          true, // ElastiCache
	"Password":           true,
	"SecretString":       true, // a secret whose value is in the template
	"HeaderValue":        true, // CloudFront's origin header: the origin secret
}

// plaintextSecrets walks a template and returns the path of every secret property
// whose value is not a dynamic reference.
func plaintextSecrets(template map[string]any) []string {
	var found []string
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for key, value := range v {
				if secretProperties[key] && !isDynamicReference(value) {
					found = append(found, path+"."+key)
					continue
				}
				walk(path+"."+key, value)
			}
		case []any:
			for i, value := range v {
				walk(fmt.Sprintf("%s[%d]", path, i), value)
			}
		}
	}
	walk("", template)
	return found
}

// isDynamicReference reports whether v is "{{resolve:secretsmanager:...}}", as a
// string or as an Fn::Join whose literal text starts with it.
func isDynamicReference(v any) bool {
	const prefix = "{{resolve:secretsmanager:"
	if s, ok := v.(string); ok {
		return strings.HasPrefix(s, prefix) && strings.HasSuffix(s, "}}")
	}
	join, ok := v.(map[string]any)["Fn::Join"].([]any)
	if !ok || len(join) != 2 || join[0] != "" {
		return false
	}
	parts, _ := join[1].([]any)
	if len(parts) < 2 {
		return false
	}
	first, _ := parts[0].(string)
	last, _ := parts[len(parts)-1].(string)
	return strings.HasPrefix(first, prefix) && strings.HasSuffix(last, "}}")
}

func TestNoPlaintextSecretInAnyTemplate(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesis, _ string) {
		checked := 0
		for _, stack := range stackNames(s.stacks) {
			for _, path := range plaintextSecrets(s.templates[stack]) {
				t.Errorf("%s%s: a secret value in the template, want a {{resolve:secretsmanager:...}} reference", stack, path)
			}
			b, _ := json.Marshal(s.templates[stack])
			checked += strings.Count(string(b), "{{resolve:secretsmanager:")
		}
		// The database password and user name, and the cache AUTH token.
		if checked < 3 {
			t.Errorf("found %d dynamic references, want at least 3: is the check looking at the right templates?", checked)
		}
	})
}

// TestPlaintextSecretsFindsThem proves the detector above can fail.
func TestPlaintextSecretsFindsThem(t *testing.T) {
	reference := map[string]any{"Fn::Join": []any{"", []any{"{{resolve:secretsmanager:", map[string]any{"Ref": "S"}, ":SecretString:password::}}"}}}
	tests := []struct {
		name     string
		template string
		want     []string
	}{
		{"password in clear", `{"Resources":{"Db":{"Properties":{"MasterUserPassword":"hunter2hunter2"}}}}`, []string{".Resources.Db.Properties.MasterUserPassword"}},
		{"token from a parameter default", `{"Resources":{"C":{"Properties":{"AuthToken":{"Ref":"TokenParam"}}}}}`, []string{".Resources.C.Properties.AuthToken"}},
		{"secret string in a secret", `{"Resources":{"S":{"Properties":{"SecretString":"{\"password\":\"x\"}"}}}}`, []string{".Resources.S.Properties.SecretString"}},
		{"dynamic reference as a string", `{"Resources":{"C":{"Properties":{"AuthToken":"{{resolve:secretsmanager:arn:SecretString:::}}"}}}}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var template map[string]any
			if err := json.Unmarshal([]byte(tt.template), &template); err != nil {
				t.Fatal(err)
			}
			got := plaintextSecrets(template)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	if !isDynamicReference(reference) {
		t.Errorf("an Fn::Join dynamic reference is not recognised")
	}
}
