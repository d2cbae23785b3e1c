// Package testdb gives integration tests their own database on the local PostgreSQL
// primary started by scripts/services.sh, migrated to the newest schema and visible
// on the streaming replica. Tests fail, never skip, when the services are not there.
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/example/scalable-web/internal/schema"
)

// Env reads a variable that scripts/services.sh writes, or fails the test saying
// how to start the services.
func Env(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: run the integration tests with `make test` (or `make faults`), or start the local services with `bash scripts/services.sh start && . .services/env` (SERVICES_SET=faults and .services-faults/env for the fault tests)", name)
	}
	return v
}

// DB is one test's database.
type DB struct {
	Name    string
	Primary *pgxpool.Pool
	Replica *pgxpool.Pool
	// PrimaryURL and ReplicaURL connect to it, for code that opens its own pools.
	PrimaryURL, ReplicaURL string

	logins map[string]*Secrets // the users RoleURL made
}

// The sets of local services scripts/services.sh starts: the tests', and the one
// the fault tests freeze and thaw, so no other test sees their faults.
const (
	TestSet  = "SHOP_TEST"
	FaultSet = "SHOP_FAULT"
)

// New creates a database on the tests' services, at the newest schema, and drops it
// when the test ends.
func New(t testing.TB) *DB { return NewIn(t, TestSet) }

// NewIn is New on a set of services: TestSet or FaultSet.
func NewIn(t testing.TB, set string) *DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	primaryURL, replicaURL := Env(t, set+"_PG_PRIMARY"), Env(t, set+"_PG_REPLICA")

	admin, err := pgx.Connect(ctx, primaryURL)
	if err != nil {
		t.Fatalf("connect to the local primary: %v", err)
	}
	defer admin.Close(ctx)
	template, err := migratedTemplate(ctx, admin, primaryURL)
	if err != nil {
		t.Fatalf("the migrated template database: %v", err)
	}
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	name := "test_" + hex.EncodeToString(suffix)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE "+template); err != nil {
		t.Fatalf("create database: %v", err)
	}
	db := &DB{Name: name, PrimaryURL: withDatabase(t, primaryURL, name), ReplicaURL: withDatabase(t, replicaURL, name)}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if db.Primary != nil {
			db.Primary.Close()
		}
		if db.Replica != nil {
			db.Replica.Close()
		}
		if conn, err := pgx.Connect(ctx, primaryURL); err == nil {
			_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			conn.Close(ctx)
		}
	})

	if db.Primary, err = pgxpool.New(ctx, db.PrimaryURL); err != nil {
		t.Fatal(err)
	}
	if db.Replica, err = pgxpool.New(ctx, db.ReplicaURL); err != nil {
		t.Fatal(err)
	}
	db.WaitForReplica(t)
	return db
}

// WaitForReplica waits until the replica has replayed everything the primary has
// written so far. The local primary runs with synchronous_commit off, so the end of
// its WAL can sit unflushed in a partial page (a commit's record, or a prune record
// a read wrote), and the walsender sends only flushed WAL: one transaction that
// writes a record and commits synchronously flushes everything before it, and the
// wait is for the position flushed then.
func (db *DB) WaitForReplica(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var lsn string
	err := pgx.BeginFunc(ctx, db.Primary, func(tx pgx.Tx) error {
		// A commit flushes only if its transaction wrote WAL: a logical message is
		// the smallest record that touches no table.
		_, err := tx.Exec(ctx, "SET LOCAL synchronous_commit = on; SELECT pg_logical_emit_message(true, 'testdb', 'flush')")
		return err
	})
	if err == nil {
		err = db.Primary.QueryRow(ctx, "SELECT pg_current_wal_flush_lsn()::text").Scan(&lsn)
	}
	if err != nil {
		t.Fatal(err)
	}
	for {
		var caughtUp bool
		err := db.Replica.QueryRow(ctx, "SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", lsn).Scan(&caughtUp)
		if err == nil && caughtUp {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the replica did not replay up to %s: %v; %s", lsn, err, replayState(db.Replica))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// migrated holds the primaries on which this process knows the template exists.
var migrated sync.Map

// migratedTemplate returns the database each test's is copied from: every
// migration applied once, on each set of services and for each version of the
// migrations (its name holds their fingerprint), instead of once per test, which
// took about a third of the primary's work for a test database. The
// first test to ask creates it, under an advisory lock that test packages running
// at the same time share; the migrations still run on an empty database there, and
// a migration that fails fails every test. It takes no connections: a template
// with a session open cannot be copied.
func migratedTemplate(ctx context.Context, admin *pgx.Conn, primaryURL string) (string, error) {
	name := "template_" + schema.Fingerprint()
	if _, ok := migrated.Load(primaryURL); ok {
		return name, nil
	}
	const lock = 7_451_209 // any number no other advisory lock here uses
	if _, err := admin.Exec(ctx, "SELECT pg_advisory_lock($1)", lock); err != nil {
		return "", err
	}
	defer func() { _, _ = admin.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", lock) }()
	var exists bool
	err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists)
	if err == nil && !exists {
		err = createTemplate(ctx, admin, primaryURL, name)
	}
	if err != nil {
		return "", err
	}
	migrated.Store(primaryURL, true)
	return name, nil
}

// createTemplate migrates a new database and makes it the template called name.
func createTemplate(ctx context.Context, admin *pgx.Conn, primaryURL, name string) error {
	build := name + "_build" // what an interrupted run may have left
	for _, sql := range []string{"DROP DATABASE IF EXISTS " + build + " WITH (FORCE)", "CREATE DATABASE " + build} {
		if _, err := admin.Exec(ctx, sql); err != nil {
			return err
		}
	}
	buildURL, err := databaseURL(primaryURL, build)
	if err != nil {
		return err
	}
	pool, err := pgxpool.New(ctx, buildURL)
	if err != nil {
		return err
	}
	sqlDB := stdlib.OpenDBFromPool(pool)
	_, err = schema.Migrate(ctx, sqlDB)
	sqlDB.Close()
	pool.Close()
	if err != nil {
		return err
	}
	for _, sql := range []string{"ALTER DATABASE " + build + " RENAME TO " + name, "ALTER DATABASE " + name + " WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"} {
		if _, err := admin.Exec(ctx, sql); err != nil {
			return err
		}
	}
	return nil
}

func withDatabase(t testing.TB, raw, name string) string {
	u, err := databaseURL(raw, name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// databaseURL is the connection URL raw with its database replaced by name.
func databaseURL(raw, name string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

// Exec runs statements on the primary, failing the test on error.
func (db *DB) Exec(t testing.TB, sql string, args ...any) {
	t.Helper()
	if _, err := db.Primary.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// Int returns one integer from a query on the primary.
func (db *DB) Int(t testing.TB, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Primary.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// replayState says what the replica's replay waits for, and which of its sessions
// might hold it up, for a failure message.
func replayState(replica *pgxpool.Pool) string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	rows, err := replica.Query(ctx, `SELECT backend_type, coalesce(wait_event_type, ''), coalesce(wait_event, ''), coalesce(state, ''),
		coalesce(extract(epoch FROM now() - xact_start)::int, 0), left(coalesce(query, ''), 80)
		FROM pg_stat_activity WHERE backend_type = 'startup' OR (backend_type = 'client backend' AND pid <> pg_backend_pid())`)
	if err != nil {
		return "replay state unknown: " + err.Error()
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var kind, waitType, wait, state, query string
		var seconds int
		if rows.Scan(&kind, &waitType, &wait, &state, &seconds, &query) == nil {
			lines = append(lines, fmt.Sprintf("%s waits on %s/%s, %s for %d s: %q", kind, waitType, wait, state, seconds, query))
		}
	}
	return "replica sessions: " + strings.Join(lines, "; ")
}
