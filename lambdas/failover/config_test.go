package main

import (
	"reflect"
	"strings"
	"testing"

	"github.com/example/scalable-web/internal/envnames"
)

// env is a complete, valid environment; each case changes one variable.
func env(name, value string) func(string) string {
	vars := map[string]string{
		envnames.FailoverReplicaID:           replicaID,
		envnames.FailoverSecrets:             `["arn:aws:secretsmanager:eu-central-1:111122223333:secret:admin-AbCdEf","origin"]`,
		envnames.FailoverEventSourceMappings: `["14e0db71-5d35-4eb5-b481-8945cf9d10c2"]`,
		envnames.FailoverMaxLagSeconds:       "60",
		envnames.FailoverOverrideParameter:   overrideParam,
	}
	if name != "" {
		vars[name] = value
	}
	return func(k string) string { return vars[k] }
}

func TestLoadConfig(t *testing.T) {
	got, err := LoadConfig(standby, env("", ""))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Region: standby, ReplicaID: replicaID,
		Secrets:             []string{"arn:aws:secretsmanager:eu-central-1:111122223333:secret:admin-AbCdEf", "origin"},
		EventSourceMappings: []string{"14e0db71-5d35-4eb5-b481-8945cf9d10c2"},
		MaxLagSeconds:       60, OverrideParameter: overrideParam}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestLoadConfigEmptyListsTakeOverNothing(t *testing.T) {
	got, err := LoadConfig(standby, func(k string) string {
		if k == envnames.FailoverSecrets || k == envnames.FailoverEventSourceMappings {
			return "[]"
		}
		return env("", "")(k)
	})
	if err != nil || len(got.Secrets) != 0 || len(got.EventSourceMappings) != 0 {
		t.Errorf("got %+v, %v, want no secrets, no mappings", got, err)
	}
}

func TestLoadConfigRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, variable, value, want string
	}{
		{"no replica", envnames.FailoverReplicaID, "", envnames.FailoverReplicaID + ": empty"},
		{"no override parameter", envnames.FailoverOverrideParameter, "", envnames.FailoverOverrideParameter + ": empty"},
		{"secrets unset", envnames.FailoverSecrets, "", envnames.FailoverSecrets + `: "", want a JSON list`},
		{"secrets not a list", envnames.FailoverSecrets, `{"admin":"arn"}`, "want a JSON list of secret ARNs"},
		{"an empty secret", envnames.FailoverSecrets, `["admin",""]`, "want no empty secret ARNs"},
		{"mappings comma-separated", envnames.FailoverEventSourceMappings, "a,b", "want a JSON list of event source mapping UUIDs"},
		{"lag unset", envnames.FailoverMaxLagSeconds, "", envnames.FailoverMaxLagSeconds + `: "", want whole seconds`},
		{"lag a duration", envnames.FailoverMaxLagSeconds, "60s", "want whole seconds"},
		{"lag negative", envnames.FailoverMaxLagSeconds, "-1", "want whole seconds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadConfig(standby, env(tc.variable, tc.value))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestLoadConfigNeedsARegion(t *testing.T) {
	if _, err := LoadConfig("", env("", "")); err == nil || !strings.Contains(err.Error(), "region") {
		t.Errorf("got %v, want an error about the region", err)
	}
}
