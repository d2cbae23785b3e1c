package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Action says what one run did about one thing it takes over.
type Action string

const (
	Done          Action = "done"           // this run did it
	AlreadyDone   Action = "already-done"   // an earlier run (or someone) had done it
	NotApplicable Action = "not-applicable" // nothing to do: a secret without a host
	Waiting       Action = "waiting"        // AWS is still changing it: a later run does it
)

// Summary is what a run returns once the region has taken over: per step, what it
// did and what it found done.
type Summary struct {
	Replica string `json:"replica"`
	// Endpoint is the promoted instance's address, now in the database secrets.
	Endpoint string `json:"endpoint"`
	// Promotion is AlreadyDone in every summary: a run that promotes returns an
	// InProgressError instead, and the run that finds the promotion finished goes on.
	Promotion Action            `json:"promotion"`
	Secrets   []SecretSummary   `json:"secrets"`
	Consumers []ConsumerSummary `json:"consumers"`
	// Drain is Done when this run made the old primary's health check fail for
	// good, NotApplicable where the stage has no such check.
	Drain Action `json:"drain"`
}

// SecretSummary is what became of one secret.
type SecretSummary struct {
	Secret string `json:"secret"`
	// Replication is Done when this run stopped its replication from the primary
	// region, making it a standalone, writable secret here.
	Replication Action `json:"replication"`
	// Host is Done when this run pointed its "host" at the promoted instance.
	Host Action `json:"host"`
}

// ConsumerSummary is what became of one consumer's event source mapping.
type ConsumerSummary struct {
	UUID    string `json:"uuid"`
	Enabled Action `json:"enabled"`
}

// InProgressError says a step has started and AWS has not finished it: run the
// function again later and it goes on from there. ARC does, every
// RetryIntervalMinutes of the plan's step, until the step's timeout.
type InProgressError struct {
	Step   string
	Detail string
}

func (e *InProgressError) Error() string {
	return fmt.Sprintf("%s in progress, retry later: %s", e.Step, e.Detail)
}

// RefusedError says a failover now would be unsafe; nothing was changed. A run
// after the cause is gone (or, for the lag, after an operator accepts the data
// loss) goes on.
type RefusedError struct {
	Step   string
	Reason string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("failover refused at %s: %s", e.Step, e.Reason)
}

// Retryable reports whether err only says that a step is still in progress.
func Retryable(err error) bool {
	var p *InProgressError
	return errors.As(err, &p)
}

// Failover makes the function's region the one that writes. Every step looks at
// the state first, so a run after a failed or unfinished one resumes where it
// stopped, and a run after a complete one changes nothing.
type Failover struct {
	Config     Config
	DB         DBInstances
	Metrics    MetricData
	Parameters Parameters
	Secrets    Secrets
	Mappings   EventSourceMappings
	Checks     HealthChecks
	Now        func() time.Time
	Log        *slog.Logger
}

// Handle runs the failover step. The event is logged and otherwise ignored: what
// the step does depends only on the configuration and on what it finds.
func (f Failover) Handle(ctx context.Context, event json.RawMessage) (Summary, error) {
	f.Log.InfoContext(ctx, "failover step", slog.String("region", f.Config.Region), slog.String("replica", f.Config.ReplicaID), slog.Any("event", event))
	s, err := f.run(ctx)
	switch {
	case err == nil:
		f.Log.InfoContext(ctx, "failover step complete", slog.Any("summary", s))
	case Retryable(err):
		f.Log.InfoContext(ctx, "failover step in progress", slog.String("detail", err.Error()), slog.Any("summary", s))
	default:
		f.Log.ErrorContext(ctx, "failover step failed", slog.String("error", err.Error()), slog.Any("summary", s))
	}
	return s, err
}

func (f Failover) run(ctx context.Context) (Summary, error) {
	s := Summary{Replica: f.Config.ReplicaID}
	target, err := f.target(ctx)
	if err != nil {
		return s, err
	}
	if target.replica {
		if err := f.checkLag(ctx); err != nil {
			return s, err
		}
		return s, f.promote(ctx)
	}
	s.Promotion, s.Endpoint = AlreadyDone, target.endpoint
	for _, id := range f.Config.Secrets {
		r, err := f.takeOverSecret(ctx, id, target.endpoint)
		if err != nil {
			return s, err
		}
		s.Secrets = append(s.Secrets, r)
	}
	if s.Consumers, err = f.enableConsumers(ctx); err != nil {
		return s, err
	}
	s.Drain, err = f.drain(ctx)
	return s, err
}
