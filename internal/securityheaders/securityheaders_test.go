package securityheaders

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestStrictTransportSecurity(t *testing.T) {
	if got, want := StrictTransportSecurity(), "max-age=63072000; includeSubDomains"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestWrap: every response carries every header, whatever the handler answers.
func TestWrap(t *testing.T) {
	h := Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "not found", http.StatusNotFound)
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/nowhere", nil))
	for name, want := range map[string]string{
		"Strict-Transport-Security": "max-age=63072000; includeSubDomains",
		"X-Content-Type-Options":    "nosniff",
		"X-Frame-Options":           "DENY",
		"Referrer-Policy":           "strict-origin-when-cross-origin",
		"Content-Security-Policy":   ContentSecurityPolicy,
	} {
		if got := rec.Header().Values(name); len(got) != 1 || got[0] != want {
			t.Errorf("%s: got %q, want %q", name, got, want)
		}
	}
	if n := len(Header()); n != 5 {
		t.Errorf("Header() has %d headers, want the 5 this test checks", n)
	}
}
