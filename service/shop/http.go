package shop

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// Server is the shop's HTTP API.
type Server struct {
	Catalog *Catalog
	Orders  *Orders
	Relay   *Relay
	DB      *Databases
	Cache   *Cache
	Log     *slog.Logger
	// AdminToken guards PUT /api/admin/products/{id}; empty turns the route off.
	AdminToken string
	// Static holds the storefront: index.html is served at /, the rest under
	// /static/. In AWS, CloudFront serves /static/* from S3 and only / reaches here.
	Static fs.FS
}

const (
	defaultPageSize = 20
	maxPageSize     = 100
	maxBodyBytes    = 64 << 10
)

// Handler routes the API.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", s.ready)
	mux.HandleFunc("GET /api/products", s.products)
	mux.HandleFunc("GET /api/products/{id}", s.product)
	mux.HandleFunc("PUT /api/admin/products/{id}", s.updateProduct)
	mux.HandleFunc("POST /api/orders", s.placeOrder)
	mux.HandleFunc("GET /api/orders/{id}", s.order)
	if s.Static != nil {
		mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "no-cache")
			http.ServeFileFS(w, r, s.Static, "index.html")
		})
		mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(s.Static)))
	}
	return s.middleware(mux)
}

// middleware gives each request an ID (X-Request-Id, kept if the caller sent one),
// logs it once as JSON, and turns a panic into a 500.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 128 {
			b := make([]byte, 8)
			_, _ = rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set("X-Request-Id", id)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		start := time.Now()
		defer func() {
			if p := recover(); p != nil {
				s.Log.Error("panic", slog.String("requestId", id), slog.Any("panic", p))
				writeError(rec, http.StatusInternalServerError, "internal error")
			}
			span := trace.SpanFromContext(r.Context())
			if r.URL.Path != "/healthz" {
				// traceId finds the request in X-Ray; amznTraceId, which the ALB adds,
				// in the load balancer's access logs.
				s.Log.Info("request", slog.String("requestId", id), slog.String("traceId", traceID(span)),
					slog.String("amznTraceId", r.Header.Get("X-Amzn-Trace-Id")),
					slog.String("method", r.Method), slog.String("path", r.URL.Path),
					slog.Int("status", rec.status), slog.Duration("duration", time.Since(start)))
			}
		}()
		r.Body = http.MaxBytesReader(rec, r.Body, maxBodyBytes)
		next.ServeHTTP(rec, r)
	})
}

// traceID is the span's trace ID, or "" when the request is not traced.
func traceID(span trace.Span) string {
	if sc := span.SpanContext(); sc.HasTraceID() {
		return sc.TraceID().String()
	}
	return ""
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) { r.status = code; r.ResponseWriter.WriteHeader(code) }

func (s *Server) products(w http.ResponseWriter, r *http.Request) {
	limit, after := defaultPageSize, int64(0)
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageSize {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("limit %q: want 1 to %d", v, maxPageSize))
			return
		}
		limit = n
	}
	if v := r.URL.Query().Get("cursor"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("cursor %q: want the next value of a previous page", v))
			return
		}
		after = n
	}
	page, err := s.Catalog.Products(r.Context(), after, limit)
	s.respond(w, r, http.StatusOK, page, err)
}

func (s *Server) product(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	p, err := s.Catalog.Product(r.Context(), id)
	s.respond(w, r, http.StatusOK, p, err)
}

func (s *Server) updateProduct(w http.ResponseWriter, r *http.Request) {
	if s.AdminToken == "" {
		writeError(w, http.StatusNotFound, "not found")
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte("Bearer "+s.AdminToken)) != 1 {
		writeError(w, http.StatusUnauthorized, "Authorization: want Bearer <admin token>")
		return
	}
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var body struct {
		Name       string `json:"name"`
		PriceCents int64  `json:"priceCents"`
	}
	if !decode(w, r, &body) {
		return
	}
	if body.Name == "" || body.PriceCents < 0 {
		writeError(w, http.StatusBadRequest, "name: want a name; priceCents: want 0 or more")
		return
	}
	p, err := s.Catalog.Update(r.Context(), id, body.Name, body.PriceCents)
	s.respond(w, r, http.StatusOK, p, err)
}

func (s *Server) placeOrder(w http.ResponseWriter, r *http.Request) {
	var req OrderRequest
	if !decode(w, r, &req) {
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if len(key) > 255 {
		writeError(w, http.StatusBadRequest, "Idempotency-Key: want at most 255 characters")
		return
	}
	order, created, err := s.Orders.Place(r.Context(), req, key)
	status := http.StatusOK // a retry: the order the key made before
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", "/api/orders/"+order.ID)
	}
	s.respond(w, r, status, order, err)
}

func (s *Server) order(w http.ResponseWriter, r *http.Request) {
	order, err := s.Orders.Get(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusOK, order, err)
}

// ready reports whether the instance can serve: the primary must answer; the
// cache, the replica and the outbox are reported, since the service degrades
// around them instead of failing.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	primaryErr := s.DB.Primary.Ping(ctx)
	replica, lag := s.DB.ReplicaState()
	cacheUp, hits, misses := s.Cache.Stats()
	backlog, _, backlogErr := s.Relay.Backlog(ctx)
	report := map[string]any{
		"primary":        errString(primaryErr, "ok"),
		"replica":        map[string]any{"servesReads": replica, "lagSeconds": lag.Seconds()},
		"cache":          map[string]any{"up": cacheUp, "hits": hits, "misses": misses},
		"outbox":         map[string]any{"backlog": backlog, "publishing": !s.Relay.Failing(), "error": errString(backlogErr, "")},
		"catalogQueries": s.Catalog.Queries(),
	}
	status := http.StatusOK
	if primaryErr != nil {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, report)
}

// respond writes v, or the HTTP form of err.
func (s *Server) respond(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	var invalid *ValidationError
	switch {
	case err == nil:
		writeJSON(w, status, v)
	case errors.As(err, &invalid):
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid request", "problems": invalid.Problems})
	case errors.Is(err, ErrNotFound):
		writeError(w, http.StatusNotFound, "not found")
	default:
		s.Log.Error("request failed", slog.String("requestId", w.Header().Get("X-Request-Id")), slog.String("path", r.URL.Path), slog.String("error", err.Error()))
		writeError(w, http.StatusInternalServerError, "internal error")
	}
}

func pathID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("id %q: want a product ID", r.PathValue("id")))
		return 0, false
	}
	return id, true
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "body: want JSON of the documented shape: "+err.Error())
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]string{"error": message})
}

func errString(err error, ok string) string {
	if err != nil {
		return err.Error()
	}
	return ok
}
