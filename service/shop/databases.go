package shop

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The request budgets. A write that the primary cannot take within
// DefaultWriteTimeout answers 503 with Retry-After, well inside the API's and the
// client's patience; a read may take longer, since it can go on elsewhere: a
// replica that does not answer within DefaultReplicaTimeout is left for the
// primary.
const (
	DefaultWriteTimeout   = 1500 * time.Millisecond
	DefaultReadTimeout    = 3 * time.Second
	DefaultReplicaTimeout = 500 * time.Millisecond
)

// Databases routes queries: writes and read-your-own-write to the primary, other
// reads to the replicas while they are reachable and not lagging beyond a bound.
type Databases struct {
	Primary *pgxpool.Pool
	// Replica is the pool on the reader name; nil means read from the primary.
	Replica *pgxpool.Pool
	// MaxLag is how far behind the primary a replica may be and still serve reads.
	MaxLag time.Duration
	// ReplicaTimeout bounds a read's try on the replica (0: DefaultReplicaTimeout).
	ReplicaTimeout time.Duration
	Log            *slog.Logger

	replicaOK atomic.Bool
	lag       atomic.Int64 // nanoseconds, last measured
}

// Reader is the pool plain reads go to now.
func (d *Databases) Reader() *pgxpool.Pool {
	if d.Replica != nil && d.replicaOK.Load() {
		return d.Replica
	}
	return d.Primary
}

// Read runs read on the reader. When the replica fails to answer, or answers
// later than ReplicaTimeout, it is taken out of use (the watcher brings it back)
// and read runs again on the primary, so losing a replica fails no read.
func Read[T any](ctx context.Context, d *Databases, read func(context.Context, *pgxpool.Pool) (T, error)) (T, error) {
	db := d.Reader()
	if db == d.Primary {
		return read(ctx, db)
	}
	timeout := d.ReplicaTimeout
	if timeout <= 0 {
		timeout = DefaultReplicaTimeout
	}
	tryCtx, cancel := context.WithTimeout(ctx, timeout)
	v, err := read(tryCtx, db)
	cancel()
	if err == nil || !Unavailable(err) || ctx.Err() != nil {
		return v, err
	}
	d.replicaDown(err)
	return read(ctx, d.Primary)
}

// replicaDown takes the replica out of use after a read failed on it.
func (d *Databases) replicaDown(err error) {
	if d.replicaOK.Swap(false) {
		d.Log.Warn("replica out of use after a failed read: reads go to the primary", slog.String("error", err.Error()))
	}
}

// ReplicaState reports whether reads use the replica, and its last lag.
func (d *Databases) ReplicaState() (inUse bool, lag time.Duration) {
	return d.Replica != nil && d.replicaOK.Load(), time.Duration(d.lag.Load())
}

// WatchReplica checks the replica every interval until ctx ends, and logs once
// each time it starts or stops serving reads.
func (d *Databases) WatchReplica(ctx context.Context, interval time.Duration) {
	if d.Replica == nil {
		return
	}
	d.checkReplica(ctx)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			d.checkReplica(ctx)
		}
	}
}

// replicaLag is 0 when the replica has replayed all it received, otherwise the
// age of the last transaction it replayed.
const replicaLag = `SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
	ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END`

func (d *Databases) checkReplica(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var seconds float64
	err := d.Replica.QueryRow(ctx, replicaLag).Scan(&seconds)
	lag := time.Duration(seconds * float64(time.Second))
	d.lag.Store(int64(lag))
	ok := err == nil && lag <= d.MaxLag
	if was := d.replicaOK.Swap(ok); was != ok {
		if ok {
			d.Log.Info("replica serves reads again", slog.Duration("lag", lag))
		} else {
			d.Log.Warn("replica out of use: reads go to the primary", slog.Duration("lag", lag), slog.Any("error", err))
		}
	}
}

// sqlstateReadOnly is read_only_sql_transaction: PostgreSQL's answer to a write
// on a replica (a hot standby), which stays read-only until it is promoted.
const sqlstateReadOnly = "25006"

// ReadOnly reports whether err is the database refusing a write because it is a
// replica. In a standby region the primary's name resolves to the region's
// cross-region read replica, so every write gets this until a failover promotes
// it; the transaction wrote nothing.
func ReadOnly(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == sqlstateReadOnly
}

// InRecovery reports whether db is a replica (in recovery, replaying its
// primary's WAL): true on a read replica, false once a failover has promoted it.
func InRecovery(ctx context.Context, db *pgxpool.Pool) (bool, error) {
	var replica bool
	err := db.QueryRow(ctx, `SELECT pg_is_in_recovery()`).Scan(&replica)
	return replica, err
}

// Unavailable reports whether err means the database could not do the work now,
// and did none of it: a timeout, a connection that failed or broke, a server
// shutting down or read-only (ReadOnly), a lock or statement timeout, a
// serialization failure. The client may retry; it gets 503 with Retry-After.
func Unavailable(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err) || pgconn.SafeToRetry(err) {
		return true
	}
	var connect *pgconn.ConnectError
	if errors.As(err, &connect) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case strings.HasPrefix(pgErr.Code, "08"), // connection exception
			strings.HasPrefix(pgErr.Code, "57"), // operator intervention: shutdown, query canceled
			strings.HasPrefix(pgErr.Code, "40"), // serialization failure, deadlock
			pgErr.Code == "55P03",               // lock_not_available: lock_timeout
			pgErr.Code == sqlstateReadOnly,      // a replica: a standby region, or a writer that became one
			pgErr.Code == "53300":               // too_many_connections
			return true
		}
		return false
	}
	var netErr net.Error
	return errors.As(err, &netErr) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed)
}
