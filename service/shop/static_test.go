package shop

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"testing/fstest"

	"github.com/example/scalable-web/internal/securityheaders"
	"github.com/example/scalable-web/internal/shopapi"
)

func TestStorefrontFiles(t *testing.T) {
	s := &Server{
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Static: fstest.MapFS{
			"index.html": {Data: []byte("<h1>shop</h1>")},
			"app.js":     {Data: []byte("// js")},
		},
	}
	h := s.Handler()
	for _, c := range []struct {
		path   string
		status int
		body   string
	}{
		{"/", http.StatusOK, "<h1>shop</h1>"},
		{"/static/app.js", http.StatusOK, "// js"},
		{"/static/missing.js", http.StatusNotFound, ""},
		{"/nowhere", http.StatusNotFound, ""},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, c.path, nil))
		if rec.Code != c.status || (c.body != "" && rec.Body.String() != c.body) {
			t.Errorf("GET %s: %d %q, want %d %q", c.path, rec.Code, rec.Body.String(), c.status, c.body)
		}
	}
}

// TestStorefrontStartsASession: the page gives a browser without one a random
// session cookie, which the WAF's per-session rate rule is keyed on; a browser
// that has a well-formed one keeps it.
func TestStorefrontStartsASession(t *testing.T) {
	s := &Server{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Static: fstest.MapFS{"index.html": {Data: []byte("<h1>shop</h1>")}}}
	h := s.Handler()
	get := func(cookie string) *http.Cookie {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: shopapi.SessionCookie, Value: cookie})
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		for _, c := range rec.Result().Cookies() {
			if c.Name == shopapi.SessionCookie {
				return c
			}
		}
		return nil
	}
	first, second := get(""), get("")
	if first == nil || second == nil {
		t.Fatal("GET / without a session set no session cookie")
	}
	if len(first.Value) != 32 || first.Value == second.Value {
		t.Errorf("session values %q and %q, want 32 random hex characters each, different", first.Value, second.Value)
	}
	if !first.HttpOnly || !first.Secure || first.SameSite != http.SameSiteLaxMode || first.Path != "/" {
		t.Errorf("session cookie %+v, want HttpOnly, Secure, SameSite=Lax, Path=/", first)
	}
	if c := get(first.Value); c != nil {
		t.Errorf("GET / with a session set another: %v", c)
	}
	if c := get("forged; value"); c == nil {
		t.Error("GET / with a malformed session kept it, want a new one")
	}
}

// TestSecurityHeadersOnTheLocalRun: with SecurityHeaders (the local run), every
// response carries the headers CloudFront adds in AWS, a missing file's 404 too;
// without (behind CloudFront, which sets them), the service sends no policy.
func TestSecurityHeadersOnTheLocalRun(t *testing.T) {
	static := fstest.MapFS{"index.html": {Data: []byte("<h1>shop</h1>")}, "app.js": {Data: []byte("// js")}}
	for _, on := range []bool{true, false} {
		s := &Server{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Static: static, SecurityHeaders: on}
		h := s.Handler()
		for _, path := range []string{"/", "/static/app.js", "/static/missing.js", "/healthz"} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
			if !on {
				if csp := rec.Header().Get("Content-Security-Policy"); csp != "" {
					t.Errorf("without SecurityHeaders, GET %s: Content-Security-Policy %q, want none", path, csp)
				}
				continue
			}
			for name, want := range securityheaders.Header() {
				if got := rec.Header().Values(name); !reflect.DeepEqual(got, want) {
					t.Errorf("GET %s: %s %q, want %q", path, name, got, want)
				}
			}
		}
	}
}
