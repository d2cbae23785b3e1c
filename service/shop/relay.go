package shop

import (
	"context"
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
//
// One row that cannot be published never holds the others back: rows that failed
// before are tried after the fresh ones, and a row that has failed ParkAfter
// times while other rows went out (or whose payload is not an event at all) is
// parked: kept, counted in OutboxParked, alarmed, and no longer tried. When every
// publish fails (the topic is down), nothing is parked and the relay backs off.
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
	// ParkAfter is how many failed publishes park a row (0: DefaultParkAfter).
	ParkAfter int

	failing atomic.Bool
	sent    atomic.Int64
}

const (
	relayBatch = 50
	// DefaultParkAfter failures, tried at least Interval apart while other rows
	// go out, tell a row that cannot be published from a passing fault.
	DefaultParkAfter = 10
	// flushTimeout bounds one batch, so a primary that hangs holds the relay no
	// longer than that.
	flushTimeout = 30 * time.Second
	// failuresInARow ends a batch: the topic, not a row, is failing.
	failuresInARow = 3
)

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

// Flush publishes up to one batch of unsent events, fresh ones first in order,
// and records each failure on its row.
func (r *Relay) Flush(ctx context.Context) (sent int, err error) {
	ctx, cancel := context.WithTimeout(ctx, flushTimeout)
	defer cancel()
	tx, err := r.DB.Begin(ctx)
	if err != nil {
		return 0, r.state(fmt.Errorf("begin: %w", err))
	}
	defer func() { _ = tx.Rollback(ctx) }()
	rows, err := tx.Query(ctx, `SELECT id, payload, coalesce(trace_header, ''), attempts FROM outbox
		WHERE sent_at IS NULL AND parked_at IS NULL ORDER BY attempts > 0, id LIMIT $1 FOR UPDATE SKIP LOCKED`, relayBatch)
	if err != nil {
		return 0, r.state(fmt.Errorf("claim: %w", err))
	}
	type row struct {
		id          int64
		payload     []byte
		traceHeader string
		attempts    int
	}
	var batch []row
	for rows.Next() {
		var x row
		if err := rows.Scan(&x.id, &x.payload, &x.traceHeader, &x.attempts); err != nil {
			rows.Close()
			return 0, r.state(err)
		}
		batch = append(batch, x)
	}
	rows.Close()
	var (
		failure  error
		inARow   int
		worn     []int64 // failed ParkAfter times: parked if others went out
		parkNow  []int64 // not an event: parked at once
		lastErrs = map[int64]string{}
	)
	parkAfter := r.ParkAfter
	if parkAfter <= 0 {
		parkAfter = DefaultParkAfter
	}
	for _, x := range batch {
		e, err := orderevents.Parse(x.payload)
		if err != nil {
			err = fmt.Errorf("outbox row %d: %w", x.id, err)
			parkNow = append(parkNow, x.id)
		} else {
			pctx, cancel := context.WithTimeout(ctx, r.PublishTimeout)
			var opts []func(*sns.Options)
			if x.traceHeader != "" {
				opts = append(opts, orderevents.WithTraceHeader(x.traceHeader))
			}
			err = orderevents.Publish(pctx, r.Publisher, r.TopicARN, e, opts...)
			cancel()
		}
		if err != nil {
			failure, inARow = err, inARow+1
			lastErrs[x.id] = err.Error()
			if x.attempts+1 >= parkAfter {
				worn = append(worn, x.id)
			}
			if inARow >= failuresInARow {
				break
			}
			continue
		}
		inARow = 0
		if _, err := tx.Exec(ctx, `UPDATE outbox SET sent_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = $1`, x.id); err != nil {
			return 0, r.state(err)
		}
		sent++
	}
	for id, msg := range lastErrs {
		if _, err := tx.Exec(ctx, `UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1`, id, msg); err != nil {
			return 0, r.state(err)
		}
	}
	if sent > 0 {
		parkNow = append(parkNow, worn...) // others went out: these rows are the problem
	}
	if len(parkNow) > 0 {
		if _, err := tx.Exec(ctx, `UPDATE outbox SET parked_at = now() WHERE id = ANY($1)`, parkNow); err != nil {
			return 0, r.state(err)
		}
		r.Log.Error("outbox rows parked: they failed to publish while others went out; see outbox.last_error, then redrive",
			slog.Any("ids", parkNow))
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, r.state(fmt.Errorf("commit: %w", err))
	}
	r.sent.Add(int64(sent))
	if sent > 0 && len(parkNow) > 0 {
		failure = nil // the topic works; the parked rows are counted and alarmed
	}
	return sent, r.state(failure)
}

// Backlog counts the events waiting to be published and says how long the
// oldest of them has waited; parked rows are not among them.
func (r *Relay) Backlog(ctx context.Context) (n int64, oldest time.Duration, err error) {
	var seconds float64
	err = r.DB.QueryRow(ctx, `SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8
		FROM outbox WHERE sent_at IS NULL AND parked_at IS NULL`).Scan(&n, &seconds)
	return n, time.Duration(seconds * float64(time.Second)), err
}

// Parked counts the rows parked and not yet redriven.
func (r *Relay) Parked(ctx context.Context) (n int64, err error) {
	err = r.DB.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE parked_at IS NOT NULL AND sent_at IS NULL`).Scan(&n)
	return n, err
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
