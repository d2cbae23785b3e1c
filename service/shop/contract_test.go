package shop

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/example/scalable-web/internal/shopapi"
)

// leaks are what an error body must never carry: Go's type names, driver and
// network errors, host and user names.
var leaks = []string{"Go struct", "shop.", "OrderRequest", "LineRequest", "int64", "pgx", "pgconn", "SQLSTATE", "dial tcp", "127.0.0.1", "user=", "password"}

func TestFaultBadInput(t *testing.T) {
	s := newShop(t, options{})
	good := `{"customerEmail":"a@example.com","lines":[{"productId":1,"quantity":1}]}`
	for _, tt := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"trailing object", good + ` {"x":1}`, 400, "want one JSON object and nothing after it"},
		{"trailing garbage", good + `garbage`, 400, "want one JSON object and nothing after it"},
		{"two orders", good + good, 400, "want one JSON object and nothing after it"},
		{"empty", ``, 400, "want a JSON object, got nothing"},
		{"truncated", `{"customerEmail":`, 400, "the JSON ends too soon"},
		{"malformed", `{"customerEmail" "a"}`, 400, "malformed at byte"},
		{"wrong type for a string", `{"customerEmail":42,"lines":[]}`, 400, "customerEmail: want a string, got number"},
		{"wrong type for a number", `{"customerEmail":"a@example.com","lines":[{"productId":"one","quantity":1}]}`, 400, "lines.productId: want a whole number, got string"},
		{"an array", `[1,2]`, 400, "want a JSON object, got array"},
		{"unknown field", `{"customerEmail":"a@example.com","lines":[],"coupon":"FREE"}`, 400, `unknown field "coupon"`},
		{"too large", `{"customerEmail":"` + strings.Repeat("a", maxBodyBytes) + `"}`, 413, "want at most 65536 bytes"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Post(s.http.URL+"/api/orders", "application/json", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			var answer struct{ Error string }
			_ = json.NewDecoder(resp.Body).Decode(&answer)
			resp.Body.Close()
			if resp.StatusCode != tt.status || !strings.Contains(answer.Error, tt.want) {
				t.Errorf("got %d %q, want %d naming %q", resp.StatusCode, answer.Error, tt.status, tt.want)
			}
			for _, leak := range leaks {
				if strings.Contains(answer.Error, leak) {
					t.Errorf("the error %q carries %q", answer.Error, leak)
				}
			}
		})
	}
	if n := s.db.Int(t, "SELECT count(*) FROM orders"); n != 0 {
		t.Errorf("%d orders written, want none", n)
	}
}

func TestIdempotencyKeyWithAnotherRequestIs422(t *testing.T) {
	s := newShop(t, options{})
	key := map[string]string{"Idempotency-Key": "checkout-7"}
	first := `{"customerEmail":"first@example.com","lines":[{"productId":1,"quantity":1}]}`
	other := `{"customerEmail":"second@example.com","lines":[{"productId":2,"quantity":5}]}`
	if code := s.do(t, "POST", "/api/orders", first, key, nil); code != 201 {
		t.Fatalf("first: %d", code)
	}
	req, _ := http.NewRequest("POST", s.http.URL+"/api/orders", strings.NewReader(other))
	req.Header.Set("Idempotency-Key", "checkout-7")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 422 || !strings.Contains(string(b), "Idempotency-Key") {
		t.Errorf("same key, other body: %d %s, want 422 naming the key", resp.StatusCode, b)
	}
	if strings.Contains(string(b), "first@example.com") {
		t.Errorf("the 422 discloses the first order: %s", b)
	}
	if n := s.db.Int(t, "SELECT count(*) FROM orders"); n != 1 {
		t.Errorf("%d orders, want the first only", n)
	}
	// The same request again is still a retry.
	if code := s.do(t, "POST", "/api/orders", first, key, nil); code != 200 {
		t.Errorf("retry of the first: %d, want 200", code)
	}
}

func TestIdempotencyKeysExpire(t *testing.T) {
	s := newShop(t, options{})
	key := map[string]string{"Idempotency-Key": "checkout-old"}
	body := `{"customerEmail":"a@example.com","lines":[{"productId":1,"quantity":1}]}`
	var first, second Order
	if code := s.do(t, "POST", "/api/orders", body, key, &first); code != 201 {
		t.Fatalf("first: %d", code)
	}
	s.db.Exec(t, `UPDATE orders SET created_at = now() - interval '25 hours'`)
	if code := s.do(t, "POST", "/api/orders", body, key, &second); code != 201 || second.ID == first.ID {
		t.Errorf("after 25 hours: %d, order %s; want 201 and a new order (the key expired after %s)", code, second.ID, DefaultKeyLifetime)
	}
}

// TestOnlyPublicRoutesAreShopRoutes checks the routes the API forwards are the
// shop's own, and that the instance's health, readiness and counters are not
// among them.
func TestOnlyPublicRoutesAreShopRoutes(t *testing.T) {
	for _, route := range shopapi.Routes {
		_, path := shopapi.Split(route)
		for _, private := range []string{"/healthz", "/readyz", "/internal/"} {
			if strings.HasPrefix(path, private) {
				t.Errorf("public route %s exposes %s", route, private)
			}
		}
	}
	// No databases: a handler that runs panics into a 500, which tells the route
	// is served; the router's own answers are 404 and 405.
	h := (&Server{Log: quiet, AdminToken: "t", Static: fstest.MapFS{"index.html": {Data: []byte("<html>")}}}).Handler()
	for _, route := range shopapi.Routes {
		method, path := shopapi.Split(route)
		path = strings.NewReplacer("{id}", "1").Replace(path)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
		if rec.Code == http.StatusNotFound || rec.Code == http.StatusMethodNotAllowed {
			t.Errorf("%s: %d, want the service to serve it", route, rec.Code)
		}
	}
}
