package shop

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/fstest"
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
