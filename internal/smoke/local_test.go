package smoke

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/example/scalable-web/internal/pg"
	"github.com/example/scalable-web/internal/schema"
	"github.com/example/scalable-web/internal/testdb"
	"github.com/example/scalable-web/service/shop"
)

// localShop runs the shop's own handler on loopback as make run-local does, over a
// database of its own on the local PostgreSQL primary and replica, with no
// CloudFront, WAF or API Gateway in front: a local run. wrap, when set, breaks it.
func localShop(t *testing.T, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	db := testdb.New(t)
	db.Exec(t, `INSERT INTO products (sku, name, price_cents) SELECT 'SKU-' || n, 'product ' || n, 100 + n FROM generate_series(1, 20) n`)
	db.Exec(t, `INSERT INTO stock (product_id, quantity) SELECT id, 1000 FROM products`)
	db.WaitForReplica(t)
	// The service's own login and session limits, as main opens its pools.
	open := func(replica bool) *pgxpool.Pool {
		p, err := pg.OpenURL(context.Background(), db.RoleURL(t, schema.ServiceRole, replica), pg.ServiceLimits)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		return p
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	dbs := &shop.Databases{Primary: open(false), Replica: open(true), MaxLag: 30 * time.Second, Log: quiet}
	cache := &shop.Cache{Log: quiet} // no Redis: every read is a miss, as when the cache is down
	server := &shop.Server{
		Catalog: &shop.Catalog{DB: dbs, Cache: cache, QueryTimeout: 5 * time.Second},
		Orders:  &shop.Orders{DB: dbs, QueryTimeout: 5 * time.Second},
		Relay:   &shop.Relay{DB: dbs.Primary, Log: quiet},
		DB:      dbs, Cache: cache, Log: quiet,
		Static: os.DirFS("../../service/static"),
	}
	h := server.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s.URL
}

// TestLocalRun: against a local run, the checks that need only the shop pass, and
// those that need CloudFront, the WAF, API Gateway or an API URL are skipped, each
// with its reason; nothing fails.
func TestLocalRun(t *testing.T) {
	site := localShop(t, nil)
	report := Run(context.Background(), nil, Target{SiteURL: site}, DefaultOptions())
	want := []string{
		"storefront page: pass",
		"storefront headers: skipped: no CloudFront in front of " + site + ", which adds them (",
		"static file: pass",
		"static file headers: skipped: no CloudFront in front of " + site + ", which adds them (",
		"product list: pass",
		"one product: pass",
		"order: pass",
		"order replay: pass",
		"API URL refused: skipped: no API URL given (API_URL=…)",
		"order route burst: skipped: no API Gateway in front of " + site,
		"WAF per-session limit: skipped: no WAF in front of " + site,
		"WAF per-IP limit: skipped: no WAF in front of " + site,
	}
	if len(report) != len(want) {
		t.Fatalf("got %d checks, want %d", len(report), len(want))
	}
	for i, res := range report {
		if got := res.Check + ": " + string(res.Status) + ": " + res.Detail; !strings.HasPrefix(got, want[i]) {
			// The local service may set the security headers itself: they pass then.
			if strings.HasSuffix(res.Check, "headers") && res.Status == Pass {
				continue
			}
			t.Errorf("got %q, want %q…", got, want[i])
		}
	}
	if report.Failed() {
		var b bytes.Buffer
		report.Print(&b)
		t.Errorf("a check failed against the local run:\n%s", b.String())
	}
}

// TestLocalRunBroken: a shop that breaks its contract fails the check that covers
// it, the checks that depend on it skip, and the run fails.
func TestLocalRunBroken(t *testing.T) {
	for _, tc := range []struct {
		name   string
		wrap   func(http.Handler) http.Handler
		failed string
		detail string
		skip   []string
	}{
		{
			name: "Idempotency-Key not honoured",
			wrap: func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					r.Header.Del("Idempotency-Key")
					next.ServeHTTP(w, r)
				})
			},
			failed: CheckOrderReplay, detail: "201 again: the same Idempotency-Key made a second order",
		},
		{
			name: "the product list answers 500",
			wrap: func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path == "/api/products" {
						http.Error(w, `{"error":"internal error"}`, http.StatusInternalServerError)
						return
					}
					next.ServeHTTP(w, r)
				})
			},
			failed: CheckProducts, detail: `got 500, want 200: {"error":"internal error"}`,
			skip: []string{CheckProduct, CheckOrder, CheckOrderReplay},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			report := Run(context.Background(), nil, Target{SiteURL: localShop(t, tc.wrap)}, DefaultOptions())
			if !report.Failed() {
				t.Error("the run did not fail")
			}
			for _, res := range report {
				switch {
				case res.Check == tc.failed:
					if res.Status != Fail || !strings.Contains(res.Detail, tc.detail) {
						t.Errorf("%s: got %s %q, want FAIL %q", res.Check, res.Status, res.Detail, tc.detail)
					}
				case res.Status == Fail:
					t.Errorf("%s failed too: %s", res.Check, res.Detail)
				}
			}
			for _, check := range tc.skip {
				if res, _ := report.Result(check); res.Status != Skipped || !strings.HasPrefix(res.Detail, "needs the ") {
					t.Errorf("%s: got %s %q, want skipped: needs the … check", check, res.Status, res.Detail)
				}
			}
		})
	}
}
