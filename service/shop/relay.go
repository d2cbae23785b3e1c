package shop

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
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
//
// The relay never publishes from a replica. In a standby region its database is
// the region's read replica, whose outbox is a copy of the active region's:
// publishing it would send every event twice. Before each round the relay asks
// whether its database is in recovery (at most once per RecoveryCheckEvery), and
// while it is, the relay stands by: it publishes nothing, logs once, is not
// failing, and the Reporter records no outbox metrics. Once a failover promotes
// the database, the relay resumes by itself.
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
	// RecoveryCheckEvery is how often the relay asks whether its database is a
	// replica; between two checks it goes by the last answer (0:
	// DefaultRecoveryCheckEvery).
	RecoveryCheckEvery time.Duration

	failing    atomic.Bool
	standingBy atomic.Bool
	sent       atomic.Int64

	mu        sync.Mutex
	nextCheck time.Time // when to ask the database again whether it is a replica
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
	// DefaultRecoveryCheckEvery spares an idle relay's rounds (500 ms apart in
	// the service) all but one recovery check in ten; a promotion takes minutes,
	// so resuming up to 5 s after it delays no event noticeably.
	DefaultRecoveryCheckEvery = 5 * time.Second
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

// outboxRow is one claimed row of the outbox.
type outboxRow struct {
	id          int64
	payload     []byte
	traceHeader string
	attempts    int
}

// Flush publishes up to one batch of unsent events, fresh ones first in order,
// and records on each row what became of it. On a replica it publishes nothing
// and returns no error: the relay stands by.
func (r *Relay) Flush(ctx context.Context) (sent int, err error) {
	ctx, cancel := context.WithTimeout(ctx, flushTimeout)
	defer cancel()
	replica, err := r.onReplica(ctx)
	if err != nil {
		return 0, r.state(err)
	}
	if replica {
		return 0, nil
	}
	tx, err := r.DB.Begin(ctx)
	if err != nil {
		return 0, r.state(fmt.Errorf("begin: %w", err))
	}
	defer func() { _ = tx.Rollback(ctx) }()
	batch, err := claim(ctx, tx)
	if ReadOnly(err) {
		// The database became a replica since the last check: its claim (FOR
		// UPDATE) is refused before anything is published.
		r.standBy(true)
		return 0, nil
	}
	if err != nil {
		return 0, r.state(err)
	}
	out := r.publish(ctx, batch)
	if err := out.record(ctx, tx); err != nil {
		return 0, r.state(err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, r.state(fmt.Errorf("commit: %w", err))
	}
	if len(out.parked) > 0 {
		r.Log.Error("outbox rows parked: they failed to publish while others went out; see outbox.last_error, then redrive",
			slog.Any("ids", out.parked))
	}
	r.sent.Add(int64(len(out.sent)))
	return len(out.sent), r.state(out.failure())
}

// claim locks up to one batch of rows to publish: rows that failed before come
// after the fresh ones, so they hold nothing back.
func claim(ctx context.Context, tx pgx.Tx) ([]outboxRow, error) {
	rows, err := tx.Query(ctx, `SELECT id, payload, coalesce(trace_header, ''), attempts FROM outbox
		WHERE sent_at IS NULL AND parked_at IS NULL ORDER BY attempts > 0, id LIMIT $1 FOR UPDATE SKIP LOCKED`, relayBatch)
	if err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (x outboxRow, err error) {
		err = row.Scan(&x.id, &x.payload, &x.traceHeader, &x.attempts)
		return x, err
	})
}

// flushOutcome is what became of a batch's rows.
type flushOutcome struct {
	sent   []int64
	failed map[int64]string // last error of each row that failed
	parked []int64          // not an event, or failed ParkAfter times while others went out
}

// publish publishes the batch in order, and stops after failuresInARow
// failures: then the topic, not a row, is failing.
func (r *Relay) publish(ctx context.Context, batch []outboxRow) flushOutcome {
	parkAfter := r.ParkAfter
	if parkAfter <= 0 {
		parkAfter = DefaultParkAfter
	}
	out := flushOutcome{failed: map[int64]string{}}
	var worn []int64
	inARow := 0
	for _, x := range batch {
		e, err := orderevents.Parse(x.payload)
		if err != nil {
			out.parked = append(out.parked, x.id) // it can never be published
		} else {
			err = r.publishOne(ctx, e, x.traceHeader)
		}
		if err == nil {
			out.sent, inARow = append(out.sent, x.id), 0
			continue
		}
		out.failed[x.id] = fmt.Sprintf("outbox row %d: %v", x.id, err)
		if x.attempts+1 >= parkAfter {
			worn = append(worn, x.id)
		}
		if inARow++; inARow >= failuresInARow {
			break
		}
	}
	if len(out.sent) > 0 {
		out.parked = append(out.parked, worn...) // others went out: these rows are the problem
	}
	return out
}

func (r *Relay) publishOne(ctx context.Context, e orderevents.Event, traceHeader string) error {
	ctx, cancel := context.WithTimeout(ctx, r.PublishTimeout)
	defer cancel()
	var opts []func(*sns.Options)
	if traceHeader != "" {
		opts = append(opts, orderevents.WithTraceHeader(traceHeader))
	}
	return orderevents.Publish(ctx, r.Publisher, r.TopicARN, e, opts...)
}

// record writes the outcome on the rows, in the claiming transaction.
func (o flushOutcome) record(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `UPDATE outbox SET sent_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = ANY($1)`, o.sent); err != nil {
		return fmt.Errorf("mark sent: %w", err)
	}
	for id, msg := range o.failed {
		if _, err := tx.Exec(ctx, `UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1`, id, msg); err != nil {
			return fmt.Errorf("record failure: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE outbox SET parked_at = now() WHERE id = ANY($1)`, o.parked); err != nil {
		return fmt.Errorf("park: %w", err)
	}
	return nil
}

// failure is the batch's failure for the relay's state: none when events went
// out, since the parked rows are counted and alarmed on their own.
func (o flushOutcome) failure() error {
	if len(o.sent) > 0 {
		return nil
	}
	for _, msg := range o.failed {
		return errors.New(msg)
	}
	return nil
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

// StandingBy reports whether the relay stands by: its database is a replica, so
// it publishes nothing.
func (r *Relay) StandingBy() bool { return r.standingBy.Load() }

// onReplica reports whether the relay's database is a replica. It asks the
// database at most once per RecoveryCheckEvery, and records the answer.
func (r *Relay) onReplica(ctx context.Context) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if time.Now().Before(r.nextCheck) {
		return r.standingBy.Load(), nil
	}
	replica, err := InRecovery(ctx, r.DB)
	if err != nil {
		return false, fmt.Errorf("recovery check: %w", err)
	}
	every := r.RecoveryCheckEvery
	if every <= 0 {
		every = DefaultRecoveryCheckEvery
	}
	r.nextCheck = time.Now().Add(every)
	r.standBy(replica)
	return replica, nil
}

// standBy records whether the relay stands by, logging once per change.
// Standing by is not failing: it clears the failing state.
func (r *Relay) standBy(on bool) {
	if on {
		r.failing.Store(false)
	}
	if was := r.standingBy.Swap(on); was != on {
		if on {
			r.Log.Info("outbox relay standing by: its database is a replica, whose outbox the active region publishes; it resumes once a failover promotes the database")
		} else {
			r.Log.Info("outbox relay resumes: its database was promoted")
		}
	}
}

// state records whether the relay works, logging once per change, and returns err.
func (r *Relay) state(err error) error {
	if errors.Is(err, context.Canceled) {
		return err // the service is shutting down: nothing to say about the outbox
	}
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
