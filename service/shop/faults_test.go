package shop

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/example/scalable-web/internal/orderevents"
	"github.com/example/scalable-web/internal/testdb"
)

// The fault tests freeze a real local server (SIGSTOP: its sockets stay open and
// nothing answers, as with a host that hangs) under a shop wired as main wires
// it, and assert what a client sees. They use the fault set of local services,
// so no other test sees the fault. make faults runs them alone.

// timed sends n GET requests to paths(i), 8 at a time, and returns their status
// codes and latencies.
func (s *shopUnderTest) timed(t *testing.T, n int, path func(i int) string) (codes []int, took []time.Duration) {
	t.Helper()
	codes, took = make([]int, n), make([]time.Duration, n)
	client := &http.Client{Timeout: 10 * time.Second}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			start := time.Now()
			resp, err := client.Get(s.http.URL + path(i))
			took[i] = time.Since(start)
			if err == nil {
				codes[i] = resp.StatusCode
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	return codes, took
}

// percentile is the p-th percentile of d (p in 0..100).
func percentile(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

func failures(codes []int) int {
	n := 0
	for _, c := range codes {
		if c != 200 {
			n++
		}
	}
	return n
}

// TestFaultCacheFrozen: with the cache hung, reads go on from the database, and
// once the breaker has opened a request no longer waits for the cache at all.
func TestFaultCacheFrozen(t *testing.T) {
	s := newShop(t, options{faults: true})
	product := func(i int) string { return fmt.Sprintf("/api/products/%d", i%50+1) }
	codes, _ := s.timed(t, 400, product) // every product cached
	if failures(codes) > 0 {
		t.Fatalf("warm-up: %d failures", failures(codes))
	}
	// On a busy machine a warm-up call can time out too: wait until the breaker is
	// closed, so that it is the freeze that opens it.
	for deadline := time.Now().Add(5 * time.Second); s.cache.breaker.open(); {
		if time.Now().After(deadline) {
			t.Fatal("the breaker stayed open with the cache up")
		}
		s.timed(t, 1, product) // a probe, once ProbeEvery has passed
		time.Sleep(50 * time.Millisecond)
	}
	testdb.Freeze(t, "SHOP_FAULT_REDIS_PID")
	before := s.cache.calls.Load()
	start := time.Now()
	codes, took := s.timed(t, 400, product)
	elapsed := time.Since(start)
	calls := s.cache.calls.Load() - before
	t.Logf("cache frozen: 400 reads in %s, p50 %s, p99 %s, slowest %s; %d cache calls made", elapsed, percentile(took, 50), percentile(took, 99), slices.Max(took), calls)
	if n := failures(codes); n > 0 {
		t.Errorf("%d of 400 reads failed, want 0: the database answers while the cache hangs", n)
	}
	// Each call that reaches the hung cache waits DefaultCacheTimeout. The breaker
	// lets through the calls already under way when it opens (8 reads at a time,
	// and BreakAfter failures open it), then one probe every ProbeEvery. Without
	// it every read made its calls, and with go-redis' three retries a read waited
	// hundreds of milliseconds. Counted, not timed: on a busy machine a read from
	// the database alone can take as long as a cache timeout.
	if allowed := int64(8 + BreakAfter + int(elapsed/ProbeEvery) + 1); calls > allowed {
		t.Errorf("%d cache calls reached the hung cache, want at most %d: the breaker should skip it", calls, allowed)
	}
	if calls == 0 {
		t.Error("no cache call reached the frozen cache: the reads did not use it")
	}
	if slowest := slices.Max(took); slowest > 10*DefaultCacheTimeout {
		t.Errorf("the slowest read took %s, want under %s: a hung cache must cost a read at most its timeout", slowest, 10*DefaultCacheTimeout)
	}
	if up, _, _ := s.cache.Stats(); up {
		t.Error("the cache is reported up while frozen")
	}
}

// TestFaultReplicaFrozen: with the replica hung, no read fails: each read that
// finds it hung goes on to the primary, and the replica is taken out of use.
func TestFaultReplicaFrozen(t *testing.T) {
	s := newShop(t, options{faults: true, redisAddr: "127.0.0.1:1"}) // no cache: every read is a query
	if inUse, _ := s.dbs.ReplicaState(); !inUse {
		t.Fatal("the replica does not serve reads before the fault")
	}
	testdb.Freeze(t, "SHOP_FAULT_PG_REPLICA_PID")
	codes, took := s.timed(t, 200, func(i int) string { return fmt.Sprintf("/api/products/%d", i%50+1) })
	t.Logf("replica frozen: 200 uncached reads, p50 %s, p99 %s, slowest %s", percentile(took, 50), percentile(took, 99), slices.Max(took))
	if n := failures(codes); n > 0 {
		t.Errorf("%d of 200 reads failed, want 0", n)
	}
	if inUse, _ := s.dbs.ReplicaState(); inUse {
		t.Error("the hung replica still serves reads")
	}
	if slowest := slices.Max(took); slowest > DefaultReplicaTimeout+time.Second {
		t.Errorf("the slowest read took %s, want under %s: the replica's try is bounded by DefaultReplicaTimeout", slowest, DefaultReplicaTimeout+time.Second)
	}
}

// TestFaultPrimaryFrozen: with the primary hung, a write answers 503 with
// Retry-After within DefaultWriteTimeout and writes nothing, reads go on from the
// cache and the replica, and writes work again once it answers.
func TestFaultPrimaryFrozen(t *testing.T) {
	s := newShop(t, options{faults: true})
	body := `{"customerEmail":"a@example.com","lines":[{"productId":2,"quantity":1}]}`
	if code := s.do(t, "POST", "/api/orders", body, nil, nil); code != 201 {
		t.Fatalf("before the fault: %d", code)
	}
	thaw := testdb.Freeze(t, "SHOP_FAULT_PG_PRIMARY_PID")
	// Three clients at once, as a hung primary meets them: each is answered in time.
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			start := time.Now()
			req, _ := http.NewRequest("POST", s.http.URL+"/api/orders", strings.NewReader(body))
			req.Header.Set("Idempotency-Key", fmt.Sprintf("frozen-%d", i))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			took := time.Since(start)
			t.Logf("primary frozen: POST %d answered %d in %s", i, resp.StatusCode, took)
			if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
				t.Errorf("POST while the primary hangs: %d, Retry-After %q; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
			}
			if took > 2*time.Second {
				t.Errorf("POST while the primary hangs took %s, want an answer within 2 s", took)
			}
		})
	}
	wg.Wait()
	codes, _ := s.timed(t, 100, func(i int) string { return fmt.Sprintf("/api/products/%d", i%50+1) })
	if n := failures(codes); n > 0 {
		t.Errorf("%d of 100 reads failed while the primary hangs, want 0 (cache and replica)", n)
	}
	var ready map[string]any
	if code := s.do(t, "GET", "/readyz", "", nil, &ready); code != 503 || ready["primary"] != false {
		t.Errorf("readyz %d %v, want 503 with the primary reported down", code, ready)
	}
	if code := s.do(t, "GET", "/healthz", "", nil, nil); code != 200 {
		t.Errorf("healthz %d, want 200: a database outage must not take the instance out of the load balancer", code)
	}
	thaw()
	if code := s.do(t, "POST", "/api/orders", body, map[string]string{"Idempotency-Key": "frozen-0"}, nil); code != 201 {
		t.Errorf("retry after the primary is back: %d, want 201 (the 503 wrote nothing)", code)
	}
	if n := s.db.Int(t, "SELECT count(*) FROM orders"); n != 2 {
		t.Errorf("%d orders, want 2: the one before and the retried one", n)
	}
}

// failFor is a publisher that refuses the events of one order, as SNS refuses a
// message it cannot take, and passes the rest to the real one.
type failFor struct {
	orderevents.Publisher
	orderID string
}

// TestFaultPoisonOutboxRow: a row that cannot be published is parked after
// DefaultParkAfter tries while later rows go out; when every publish fails (the
// topic is down) nothing is parked.
func TestFaultPoisonOutboxRow(t *testing.T) {
	s := newShop(t, options{})
	var poison Order
	s.do(t, "POST", "/api/orders", `{"customerEmail":"p@example.com","lines":[{"productId":1,"quantity":1}]}`, nil, &poison)
	ctx := context.Background()
	s.relay.Publisher = refusing{}
	for range DefaultParkAfter + 2 {
		_, _ = s.relay.Flush(ctx) // the topic is down: every publish fails
	}
	if n, _ := s.relay.Parked(ctx); n != 0 {
		t.Fatalf("%d rows parked while the topic was down, want 0: an outage must not park events", n)
	}
	snsClient, _ := localAWS(t, "")
	topic := createTopic(t, snsClient, "poison-"+s.db.Name)
	s.relay.Publisher, s.relay.TopicARN = failFor{Publisher: snsClient, orderID: poison.ID}, topic
	for i := range 5 {
		s.do(t, "POST", "/api/orders", fmt.Sprintf(`{"customerEmail":"ok%d@example.com","lines":[{"productId":2,"quantity":1}]}`, i), nil, nil)
		sent, _ := s.relay.Flush(ctx)
		if sent != 1 {
			t.Errorf("flush %d: %d sent, want the new order's event to go out past the poison row", i, sent)
		}
	}
	if n, _ := s.relay.Parked(ctx); n != 1 {
		t.Errorf("%d rows parked, want the poison row", n)
	}
	if n, _, _ := s.relay.Backlog(ctx); n != 0 {
		t.Errorf("backlog %d, want 0: the parked row is counted apart", n)
	}
	if errText := s.db.Int(t, "SELECT count(*) FROM outbox WHERE parked_at IS NOT NULL AND last_error LIKE '%refused%'"); errText != 1 {
		t.Error("the parked row does not keep its last error")
	}
	if s.relay.Failing() {
		t.Error("the relay reports failing while it publishes; the parked row is alarmed on its own")
	}
}

func (f failFor) Publish(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error) {
	if in.Message != nil && strings.Contains(*in.Message, f.orderID) {
		return nil, errors.New("sns: InvalidParameter: refused")
	}
	return f.Publisher.Publish(ctx, in, opts...)
}

// refusing is a topic that is down.
type refusing struct{}

func (refusing) Publish(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error) {
	return nil, errors.New("sns: connection refused")
}

func createTopic(t *testing.T, client *sns.Client, name string) string {
	t.Helper()
	out, err := client.CreateTopic(context.Background(), &sns.CreateTopicInput{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	return *out.TopicArn
}

// open reports whether the breaker skips the cache.
func (b *breaker) open() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.failures >= BreakAfter
}
