package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// Event source mapping states (State) the failover tells apart.
const (
	mappingDisabled = "Disabled"
)

// mappingOn are the states of a mapping that is on or turning on: left alone.
var mappingOn = map[string]bool{"Enabled": true, "Enabling": true}

// mappingBusy are the states of a mapping that Lambda is still changing: it cannot
// be updated now, and a later run finds it Disabled or Enabled.
var mappingBusy = map[string]bool{"Creating": true, "Updating": true, "Disabling": true}

// Secrets is the part of Secrets Manager the failover uses.
type Secrets interface {
	DescribeSecret(context.Context, *secretsmanager.DescribeSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
	StopReplicationToReplica(context.Context, *secretsmanager.StopReplicationToReplicaInput, ...func(*secretsmanager.Options)) (*secretsmanager.StopReplicationToReplicaOutput, error)
	GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
	PutSecretValue(context.Context, *secretsmanager.PutSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error)
}

// EventSourceMappings is the part of Lambda the failover uses.
type EventSourceMappings interface {
	GetEventSourceMapping(context.Context, *awslambda.GetEventSourceMappingInput, ...func(*awslambda.Options)) (*awslambda.GetEventSourceMappingOutput, error)
	UpdateEventSourceMapping(context.Context, *awslambda.UpdateEventSourceMappingInput, ...func(*awslambda.Options)) (*awslambda.UpdateEventSourceMappingOutput, error)
}

// takeOverSecret is step 4 for one secret: a replica of the primary region's
// secret becomes standalone here, and a database login's host becomes endpoint.
func (f Failover) takeOverSecret(ctx context.Context, id, endpoint string) (SecretSummary, error) {
	r := SecretSummary{Secret: id, Replication: AlreadyDone, Host: NotApplicable}
	d, err := f.Secrets.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: &id})
	if err != nil {
		return r, fmt.Errorf("describe secret %s: %w", id, err)
	}
	// A replica names its primary's region; a standalone secret names none, or
	// its own region when it has replicas of its own.
	if primary := aws.ToString(d.PrimaryRegion); primary != "" && primary != f.Config.Region {
		if _, err := f.Secrets.StopReplicationToReplica(ctx, &secretsmanager.StopReplicationToReplicaInput{SecretId: &id}); err != nil {
			return r, fmt.Errorf("stop replication of secret %s from %s: %w", id, primary, err)
		}
		r.Replication = Done
		f.Log.InfoContext(ctx, "secret made standalone", slog.String("secret", id), slog.String("primaryRegion", primary))
	}
	v, err := f.Secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &id})
	if err != nil {
		return r, fmt.Errorf("read secret %s: %w", id, err)
	}
	value, old, err := withHost(aws.ToString(v.SecretString), endpoint)
	if err != nil {
		return r, fmt.Errorf("secret %s: %w", id, err)
	}
	switch {
	case value == "":
		return r, nil
	case old == endpoint:
		r.Host = AlreadyDone
		return r, nil
	}
	if _, err := f.Secrets.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: &id, SecretString: &value}); err != nil {
		return r, fmt.Errorf("repoint secret %s at %s: %w", id, endpoint, err)
	}
	r.Host = Done
	f.Log.InfoContext(ctx, "secret repointed", slog.String("secret", id), slog.String("from", old), slog.String("to", endpoint))
	return r, nil
}

// withHost returns the secret value with its "host" set to host, and the host it
// had. A value that is not a JSON object with a "host" gives "": it is no database
// login. Every other field keeps its value; fields come out in sorted order.
func withHost(secret, host string) (value, old string, err error) {
	var fields map[string]json.RawMessage
	if json.Unmarshal([]byte(secret), &fields) != nil {
		return "", "", nil
	}
	raw, ok := fields["host"]
	if !ok {
		return "", "", nil
	}
	if err := json.Unmarshal(raw, &old); err != nil {
		return "", "", fmt.Errorf(`"host" is %s, want a string`, raw)
	}
	fields["host"], _ = json.Marshal(host)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // a password's & < > stay as they are
	if err := enc.Encode(fields); err != nil {
		return "", "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), old, nil
}

// enableConsumers is step 5: each consumer's mapping, created disabled, is
// enabled. Mappings that Lambda is still changing are left for a later run, after
// the others are enabled.
func (f Failover) enableConsumers(ctx context.Context) ([]ConsumerSummary, error) {
	var done []ConsumerSummary
	var busy []string
	for _, uuid := range f.Config.EventSourceMappings {
		m, err := f.Mappings.GetEventSourceMapping(ctx, &awslambda.GetEventSourceMappingInput{UUID: &uuid})
		if err != nil {
			return done, fmt.Errorf("event source mapping %s: %w", uuid, err)
		}
		state := aws.ToString(m.State)
		switch {
		case mappingOn[state]:
			done = append(done, ConsumerSummary{UUID: uuid, Enabled: AlreadyDone})
		case mappingBusy[state]:
			done = append(done, ConsumerSummary{UUID: uuid, Enabled: Waiting})
			busy = append(busy, uuid+" is "+state)
		case state == mappingDisabled:
			if _, err := f.Mappings.UpdateEventSourceMapping(ctx, &awslambda.UpdateEventSourceMappingInput{UUID: &uuid, Enabled: aws.Bool(true)}); err != nil {
				return done, fmt.Errorf("enable event source mapping %s: %w", uuid, err)
			}
			done = append(done, ConsumerSummary{UUID: uuid, Enabled: Done})
			f.Log.InfoContext(ctx, "consumer enabled", slog.String("eventSourceMapping", uuid), slog.String("function", aws.ToString(m.FunctionArn)))
		default:
			return done, fmt.Errorf("event source mapping %s is %q, want %q or enabled", uuid, state, mappingDisabled)
		}
	}
	if len(busy) > 0 {
		return done, &InProgressError{Step: "enabling consumers", Detail: "Lambda is still changing event source mappings: " + strings.Join(busy, ", ")}
	}
	return done, nil
}
