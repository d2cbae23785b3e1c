package shop

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/example/scalable-web/internal/emf"
	"github.com/example/scalable-web/internal/schema"
)

// The standby tests run the shop as it runs in a standby region before a
// failover: its primary pool logs in to the local streaming replica, a real
// read-only database (PostgreSQL answers every write with SQLSTATE 25006).

// TestStandbyRefusesWrites: every write answers 503 with the standby's
// Retry-After and a JSON error saying the region is standing by, and nothing is
// written.
func TestStandbyRefusesWrites(t *testing.T) {
	s := newShop(t, options{standby: true})
	order := `{"customerEmail":"a@example.com","lines":[{"productId":2,"quantity":1}]}`
	for _, tt := range []struct {
		name, method, path, body string
		header                   map[string]string
	}{
		{"order", "POST", "/api/orders", order, nil},
		{"order with an idempotency key", "POST", "/api/orders", order, map[string]string{"Idempotency-Key": "standby-1"}},
		{"product update", "PUT", "/api/admin/products/7", `{"name":"seven","priceCents":777}`, map[string]string{"Authorization": "Bearer secret-admin-token"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, s.http.URL+tt.path, strings.NewReader(tt.body))
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			var got struct{ Error string }
			_ = json.Unmarshal(b, &got)
			if resp.StatusCode != http.StatusServiceUnavailable {
				t.Errorf("got %d %s, want 503", resp.StatusCode, b)
			}
			if ra, want := resp.Header.Get("Retry-After"), strconv.Itoa(StandbyRetryAfterSeconds); ra != want {
				t.Errorf("got Retry-After %q, want %q", ra, want)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" || !strings.Contains(got.Error, "standing by") || !strings.Contains(got.Error, "failover") {
				t.Errorf("got %s %s, want a JSON error saying the region is standing by until a failover", ct, b)
			}
		})
	}
	if n := s.db.Int(t, "SELECT count(*) FROM orders") + s.db.Int(t, "SELECT count(*) FROM order_lines") + s.db.Int(t, "SELECT count(*) FROM outbox"); n != 0 {
		t.Errorf("%d order, line or outbox rows on the primary, want none", n)
	}
	if n := s.db.Int(t, "SELECT count(*) FROM products WHERE id = 7 AND name = 'product 7' AND price_cents = 700"); n != 1 {
		t.Error("product 7 changed on the primary, want it as it was")
	}
}

// TestStandbyServesReads: products and orders are read as in the active region.
func TestStandbyServesReads(t *testing.T) {
	s := newShop(t, options{standby: true})
	var p Product
	if code := s.do(t, "GET", "/api/products/7", "", nil, &p); code != 200 || p.Name != "product 7" {
		t.Errorf("product: got %d %+v, want 200 and product 7", code, p)
	}
	var page Page
	if code := s.do(t, "GET", "/api/products?limit=5", "", nil, &page); code != 200 || len(page.Products) != 5 {
		t.Errorf("products: got %d with %d products, want 200 and 5", code, len(page.Products))
	}
	if code := s.do(t, "GET", "/api/orders/00000000-0000-4000-8000-000000000000", "", nil, nil); code != 404 {
		t.Errorf("an unknown order: got %d, want 404 from a read of the primary pool", code)
	}
}

// TestStandbyStaysReady: a read-only primary keeps /readyz and /healthz at 200,
// so a standby region's deploys pass their readiness gate and its instances stay
// in the load balancer; /readyz says the region is standing by.
func TestStandbyStaysReady(t *testing.T) {
	for _, tt := range []struct {
		name    string
		standby bool
	}{
		{"standby region", true},
		{"active region", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newShop(t, options{standby: tt.standby})
			var ready map[string]any
			if code := s.do(t, "GET", "/readyz", "", nil, &ready); code != 200 || ready["primary"] != true || ready["standby"] != tt.standby {
				t.Errorf("readyz: got %d %v, want 200 with primary true and standby %v", code, ready, tt.standby)
			}
			if code := s.do(t, "GET", "/healthz", "", nil, nil); code != 200 {
				t.Errorf("healthz: got %d, want 200", code)
			}
		})
	}
}

// standbyRelay is a relay as a standby region runs it: on the replica of a
// database where the active region has placed three orders, whose events wait in
// the outbox. It publishes to a counter, and asks the replica whether it is in
// recovery every round.
func standbyRelay(t *testing.T) (*shopUnderTest, *Relay, *countingPublisher, *logRecords, *atomic.Int64) {
	t.Helper()
	s := newShop(t, options{}) // the active region
	for i := range 3 {
		if code := s.do(t, "POST", "/api/orders", fmt.Sprintf(`{"customerEmail":"a%d@example.com","lines":[{"productId":2,"quantity":1}]}`, i), nil, nil); code != 201 {
			t.Fatalf("order %d in the active region: %d", i, code)
		}
	}
	s.db.WaitForReplica(t)
	checks := new(atomic.Int64)
	pub, logs := new(countingPublisher), new(logRecords)
	relay := &Relay{DB: tracedPool(t, s.db.RoleURL(t, schema.ServiceRole, true), recoveryChecks{checks}),
		Publisher: pub, TopicARN: "arn:aws:sns:us-east-1:100010001000:orders", Log: slog.New(logs),
		Interval: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, PublishTimeout: 2 * time.Second,
		RecoveryCheckEvery: time.Millisecond}
	return s, relay, pub, logs, checks
}

// TestRelayStandsByOnAReplica: running on the replica, round after round, the
// relay publishes none of the waiting events, is not failing, and says so once.
func TestRelayStandsByOnAReplica(t *testing.T) {
	s, relay, pub, logs, checks := standbyRelay(t)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { relay.Run(ctx); close(done) }()
	for deadline := time.Now().Add(10 * time.Second); checks.Load() < 5; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("%d recovery checks in 10 s, want 5 rounds", checks.Load())
		}
	}
	stop()
	<-done
	if n := pub.calls.Load(); n != 0 {
		t.Errorf("%d publishes from the replica, want 0", n)
	}
	if !relay.StandingBy() || relay.Failing() {
		t.Errorf("standing by %v, failing %v; want standing by and not failing", relay.StandingBy(), relay.Failing())
	}
	if n := s.db.Int(t, "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND attempts = 0"); n != 3 {
		t.Errorf("%d events waiting untouched on the primary, want 3", n)
	}
	if got := logs.lines(); len(got) != 1 || !strings.HasPrefix(got[0], "INFO outbox relay standing by") {
		t.Errorf("got logs %q over %d rounds, want one INFO line saying the relay stands by", got, checks.Load())
	}
}

// TestRelayResumesOncePromoted: a relay standing by on the replica publishes the
// waiting events by itself once its database takes writes, as the standby
// region's database does after a failover promotes it (here the relay's pool is
// moved to the primary: the shared local replica is never promoted).
func TestRelayResumesOncePromoted(t *testing.T) {
	s, relay, pub, logs, _ := standbyRelay(t)
	ctx := context.Background()
	if n, err := relay.Flush(ctx); n != 0 || err != nil || !relay.StandingBy() {
		t.Fatalf("on the replica: %d sent (%v), standing by %v; want 0, no error, standing by", n, err, relay.StandingBy())
	}
	relay.DB = s.dbs.Primary
	sent := 0
	for deadline := time.Now().Add(10 * time.Second); sent < 3; time.Sleep(5 * time.Millisecond) {
		n, err := relay.Flush(ctx)
		if err != nil {
			t.Fatalf("flush once promoted: %v", err)
		}
		if sent += n; time.Now().After(deadline) {
			t.Fatalf("%d events sent in 10 s once promoted, want 3", sent)
		}
	}
	if n := pub.calls.Load(); n != 3 || relay.StandingBy() || relay.Failing() {
		t.Errorf("%d publishes, standing by %v, failing %v; want 3, publishing and not failing", n, relay.StandingBy(), relay.Failing())
	}
	if n := s.db.Int(t, "SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL"); n != 3 {
		t.Errorf("%d events marked sent, want 3", n)
	}
	if got := logs.lines(); len(got) != 2 || !strings.HasPrefix(got[0], "INFO outbox relay standing by") || !strings.HasPrefix(got[1], "INFO outbox relay resumes") {
		t.Errorf("got logs %q, want one INFO line standing by, then one resuming", got)
	}
}

// TestRelayStandsByWhenItsDatabaseTurnsReplica: between two recovery checks, a
// database that has become a replica refuses the relay's claim before anything
// is published, and the relay stands by at once instead of failing.
func TestRelayStandsByWhenItsDatabaseTurnsReplica(t *testing.T) {
	s, relay, pub, _, checks := standbyRelay(t)
	ctx, replica := context.Background(), relay.DB
	relay.DB, relay.RecoveryCheckEvery = s.dbs.Primary, time.Hour
	if onReplica, err := relay.onReplica(ctx); onReplica || err != nil {
		t.Fatalf("the primary: replica %v (%v), want a writable database", onReplica, err)
	}
	relay.DB = replica // the answer above holds for an hour
	if n, err := relay.Flush(ctx); n != 0 || err != nil || !relay.StandingBy() || relay.Failing() {
		t.Errorf("%d sent (%v), standing by %v, failing %v; want 0, no error, standing by, not failing", n, err, relay.StandingBy(), relay.Failing())
	}
	if n, c := pub.calls.Load(), checks.Load(); n != 0 || c != 0 {
		t.Errorf("%d publishes after %d recovery checks on the replica, want none of either", n, c)
	}
}

// TestStandbyRecordsNoOutboxMetrics: while the relay stands by, the outbox is
// the active region's, which that region records: the standby records its own
// counts, no outbox metric, and /readyz says the relay is not publishing.
func TestStandbyRecordsNoOutboxMetrics(t *testing.T) {
	s := newShop(t, options{standby: true})
	if _, err := s.relay.Flush(context.Background()); err != nil || !s.relay.StandingBy() {
		t.Fatalf("flush on the replica: %v, standing by %v; want no error, standing by", err, s.relay.StandingBy())
	}
	var out bytes.Buffer
	r := &Reporter{Recorder: &emf.Recorder{Out: &out, Namespace: "shop-test", Service: "service"},
		Orders: s.server.Orders, Cache: s.cache, Relay: s.relay, Period: time.Minute, Log: quiet}
	if err := r.Report(context.Background()); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if _, ok := got[emf.OrdersPlaced]; !ok {
		t.Errorf("record %v, want the instance's own counts", got)
	}
	for _, name := range []string{emf.OutboxBacklog, emf.OutboxOldestAge, emf.OutboxParked} {
		if v, ok := got[name]; ok {
			t.Errorf("%s = %v, want no outbox metric while standing by", name, v)
		}
	}
	var ready struct{ Outbox map[string]any }
	if code := s.do(t, "GET", "/readyz", "", nil, &ready); code != 200 || ready.Outbox["publishing"] != false {
		t.Errorf("readyz %d, outbox %v; want 200 and publishing false", code, ready.Outbox)
	}
}

// countingPublisher is a topic that takes every event and counts them.
type countingPublisher struct{ calls atomic.Int64 }

func (p *countingPublisher) Publish(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error) {
	p.calls.Add(1)
	return &sns.PublishOutput{}, nil
}

// logRecords is a slog.Handler that keeps what was logged, as "LEVEL message".
type logRecords struct {
	mu   sync.Mutex
	kept []string
}

func (l *logRecords) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecords) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logRecords) WithGroup(string) slog.Handler            { return l }

func (l *logRecords) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.kept = append(l.kept, r.Level.String()+" "+r.Message)
	return nil
}

func (l *logRecords) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.kept...)
}

// recoveryChecks counts the queries that ask whether the database is a replica.
type recoveryChecks struct{ n *atomic.Int64 }

func (c recoveryChecks) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	if strings.Contains(data.SQL, "pg_is_in_recovery()") {
		c.n.Add(1)
	}
	return ctx
}

func (recoveryChecks) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// tracedPool is a pool on url whose queries go through tracer.
func tracedPool(t *testing.T, url string, tracer pgx.QueryTracer) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.Tracer = tracer
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}
