package shop

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/example/scalable-web/internal/orderevents"
)

// Relay publishes outbox rows to the order-event topic and marks them sent. An
// event is published at least once: a crash between publish and mark publishes it
// again, and the consumers are idempotent. Instances share the outbox safely: each
// batch is claimed with FOR UPDATE SKIP LOCKED.
type Relay struct {
	DB        *pgxpool.Pool
	Publisher orderevents.Publisher
	TopicARN  string
	Log       *slog.Logger
	// Interval is the pause when the outbox is empty; MaxBackoff caps the pause
	// after failures, which doubles from Interval.
	Interval, MaxBackoff time.Duration
	// PublishTimeout bounds each publish.
	PublishTimeout time.Duration

	failing atomic.Bool
	sent    atomic.Int64
}

const relayBatch = 50

// Run relays until ctx ends.
func (r *Relay) Run(ctx context.Context) {
	pause := r.Interval
	for {
		n, err := r.Flush(ctx)
		switch {
		case err != nil:
			pause = min(2*pause, r.MaxBackoff)
		case n == relayBatch:
			pause = 0 // more waiting
		default:
			pause = r.Interval
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
	}
}

// Flush publishes up to one batch of unsent events, in order, and stops at the
// first failure, which it records on the row.
func (r *Relay) Flush(ctx context.Context) (sent int, err error) {
	tx, err := r.DB.Begin(ctx)
	if err != nil {
		return 0, r.state(fmt.Errorf("begin: %w", err))
	}
	defer func() { _ = tx.Rollback(ctx) }()
	rows, err := tx.Query(ctx, `SELECT id, payload, coalesce(trace_header, '') FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`, relayBatch)
	if err != nil {
		return 0, r.state(fmt.Errorf("claim: %w", err))
	}
	type row struct {
		id          int64
		payload     []byte
		traceHeader string
	}
	var batch []row
	for rows.Next() {
		var x row
		if err := rows.Scan(&x.id, &x.payload, &x.traceHeader); err != nil {
			rows.Close()
			return 0, r.state(err)
		}
		batch = append(batch, x)
	}
	rows.Close()
	var failure error
	for _, x := range batch {
		var e orderevents.Event
		if err := json.Unmarshal(x.payload, &e); err != nil {
			failure = fmt.Errorf("outbox row %d: %w", x.id, err)
		} else {
			pctx, cancel := context.WithTimeout(ctx, r.PublishTimeout)
			var opts []func(*sns.Options)
			if x.traceHeader != "" {
				opts = append(opts, orderevents.WithTraceHeader(x.traceHeader))
			}
			failure = orderevents.Publish(pctx, r.Publisher, r.TopicARN, e, opts...)
			cancel()
		}
		if failure != nil {
			_, _ = tx.Exec(ctx, `UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1`, x.id, failure.Error())
			break
		}
		if _, err := tx.Exec(ctx, `UPDATE outbox SET sent_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = $1`, x.id); err != nil {
			return 0, r.state(err)
		}
		sent++
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, r.state(fmt.Errorf("commit: %w", err))
	}
	r.sent.Add(int64(sent))
	return sent, r.state(failure)
}

// Backlog counts the events not yet published and says how long the oldest of
// them has waited.
func (r *Relay) Backlog(ctx context.Context) (n int64, oldest time.Duration, err error) {
	var seconds float64
	err = r.DB.QueryRow(ctx, `SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8
		FROM outbox WHERE sent_at IS NULL`).Scan(&n, &seconds)
	return n, time.Duration(seconds * float64(time.Second)), err
}

// Failing reports whether the last publish failed.
func (r *Relay) Failing() bool { return r.failing.Load() }

// state records whether the relay works, logging once per change, and returns err.
func (r *Relay) state(err error) error {
	failing := err != nil
	if was := r.failing.Swap(failing); was != failing {
		if failing {
			r.Log.Warn("outbox relay failing: events wait in the outbox", slog.String("error", err.Error()))
		} else {
			r.Log.Info("outbox relay publishing again")
		}
	}
	return err
}
