package shop

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
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
