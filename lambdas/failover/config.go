package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/example/scalable-web/internal/envnames"
)

// Config is what the failover acts on, all of it in the function's own region.
type Config struct {
	// Region is the function's region: the one being activated.
	Region string
	// ReplicaID is the DB instance identifier of the cross-region read replica.
	ReplicaID string
	// Secrets are the ARNs or names of the secret replicas to take over.
	Secrets []string
	// EventSourceMappings are the UUIDs of the consumers' mappings to enable.
	EventSourceMappings []string
	// MaxLagSeconds is the most replica lag a failover may lose.
	MaxLagSeconds float64
	// OverrideParameter names the SSM parameter that accepts data loss.
	OverrideParameter string
	// DrainHealthCheck is the old primary region's health check to fail for
	// good; empty when the stage routes by no DNS name of its own.
	DrainHealthCheck string
}

// LoadConfig reads the configuration from getenv (os.Getenv) for a function
// running in region, and reports every variable that is missing or malformed.
func LoadConfig(region string, getenv func(string) string) (Config, error) {
	c := Config{
		Region:            region,
		ReplicaID:         getenv(envnames.FailoverReplicaID),
		OverrideParameter: getenv(envnames.FailoverOverrideParameter),
		DrainHealthCheck:  getenv(envnames.FailoverDrainHealthCheck),
	}
	var errs []error
	if c.Region == "" {
		errs = append(errs, errors.New("region: empty, want the region the function runs in (AWS_REGION)"))
	}
	if c.ReplicaID == "" {
		errs = append(errs, fmt.Errorf("%s: empty, want the replica's DB instance identifier", envnames.FailoverReplicaID))
	}
	if c.OverrideParameter == "" {
		errs = append(errs, fmt.Errorf("%s: empty, want the name of the SSM parameter that accepts data loss", envnames.FailoverOverrideParameter))
	}
	if err := jsonList(getenv, envnames.FailoverSecrets, "secret ARNs", &c.Secrets); err != nil {
		errs = append(errs, err)
	}
	if err := jsonList(getenv, envnames.FailoverEventSourceMappings, "event source mapping UUIDs", &c.EventSourceMappings); err != nil {
		errs = append(errs, err)
	}
	lag := getenv(envnames.FailoverMaxLagSeconds)
	seconds, err := strconv.ParseUint(lag, 10, 31)
	if err != nil {
		errs = append(errs, fmt.Errorf("%s: %q, want whole seconds, e.g. \"60\"", envnames.FailoverMaxLagSeconds, lag))
	}
	c.MaxLagSeconds = float64(seconds)
	return c, errors.Join(errs...)
}

// jsonList decodes the variable name, a JSON list of non-empty strings, into list.
func jsonList(getenv func(string) string, name, what string, list *[]string) error {
	value := getenv(name)
	if err := json.Unmarshal([]byte(value), list); err != nil {
		return fmt.Errorf("%s: %q, want a JSON list of %s: %w", name, value, what, err)
	}
	for _, item := range *list {
		if item == "" {
			return fmt.Errorf("%s: %q, want no empty %s", name, value, what)
		}
	}
	return nil
}
