package shop

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/example/scalable-web/internal/emf"
)

// TestReporterRecordsBusinessMetrics: against the real services, a record counts
// the orders placed (not the retries), the cache's hits and misses since the last
// record, and the outbox backlog.
func TestReporterRecordsBusinessMetrics(t *testing.T) {
	s := newShop(t, options{awsEndpoint: "http://127.0.0.1:1"}) // SNS down: the event stays in the outbox
	var out bytes.Buffer
	r := &Reporter{Recorder: &emf.Recorder{Out: &out, Namespace: "shop-test", Service: "service"},
		Orders: s.server.Orders, Cache: s.cache, Relay: s.relay, Period: time.Minute, Log: quiet}

	key := map[string]string{"Idempotency-Key": "metrics-1"}
	body := `{"customerEmail":"a@example.com","lines":[{"productId":2,"quantity":1}]}`
	s.do(t, "POST", "/api/orders", body, key, nil)
	s.do(t, "POST", "/api/orders", body, key, nil)  // a retry: not a new order
	s.do(t, "GET", "/api/products/9", "", nil, nil) // miss
	s.do(t, "GET", "/api/products/9", "", nil, nil) // hit
	s.do(t, "GET", "/api/products/9", "", nil, nil) // hit
	if err := r.Report(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := r.Report(context.Background()); err != nil {
		t.Fatal(err)
	}

	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d records, want 2:\n%s", len(lines), out.String())
	}
	for i, want := range []map[string]float64{
		{emf.OrdersPlaced: 1, emf.CacheHits: 2, emf.CacheMisses: 1, emf.OutboxBacklog: 1},
		{emf.OrdersPlaced: 0, emf.CacheHits: 0, emf.CacheMisses: 0, emf.OutboxBacklog: 1},
	} {
		var got map[string]any
		if err := json.Unmarshal([]byte(lines[i]), &got); err != nil {
			t.Fatal(err)
		}
		for name, v := range want {
			if got[name] != v {
				t.Errorf("record %d: %s = %v, want %v", i+1, name, got[name], v)
			}
		}
		if age, _ := got[emf.OutboxOldestAge].(float64); age < 0 || age > 60 {
			t.Errorf("record %d: %s = %v, want the seconds since the order", i+1, emf.OutboxOldestAge, got[emf.OutboxOldestAge])
		}
	}
}
