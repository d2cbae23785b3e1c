package shop

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/example/scalable-web/internal/securityheaders"
	"github.com/example/scalable-web/internal/shopapi"
)

// Server is the shop's HTTP API.
type Server struct {
	Catalog *Catalog
	Orders  *Orders
	Relay   *Relay
	DB      *Databases
	Cache   *Cache
	Log     *slog.Logger
	// Origin, when set, refuses every request that did not come through CloudFront.
	Origin *OriginGuard
	// AdminToken guards PUT /api/admin/products/{id}; empty turns the route off.
	AdminToken string
	// Static holds the storefront: index.html is served at /, the rest under
	// /static/. In AWS, CloudFront serves /static/* from S3 and only / reaches here.
	Static fs.FS
	// SecurityHeaders sets on every response the headers CloudFront's response
	// headers policy adds in AWS (internal/securityheaders), for a run with no
	// CloudFront in front: the local one. Behind CloudFront they would only be
	// replaced.
	SecurityHeaders bool
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
	mux.HandleFunc("GET /internal/stats", s.stats)
	mux.HandleFunc(shopapi.Products, s.products)
	mux.HandleFunc(shopapi.Product, s.product)
	mux.HandleFunc(shopapi.UpdateProduct, s.updateProduct)
	mux.HandleFunc(shopapi.PlaceOrder, s.placeOrder)
	mux.HandleFunc(shopapi.Order, s.order)
	if s.Static != nil {
		mux.HandleFunc(shopapi.Storefront+"{$}", func(w http.ResponseWriter, r *http.Request) {
			startSession(w, r)
			w.Header().Set("Cache-Control", "no-cache")
			http.ServeFileFS(w, r, s.Static, "index.html")
		})
		mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(s.Static)))
	}
	var h http.Handler = mux
	if s.Origin != nil {
		h = s.Origin.Wrap(h)
	}
	h = s.middleware(h)
	if s.SecurityHeaders {
		h = securityheaders.Wrap(h)
	}
	return h
}

// startSession gives a browser that has none a storefront session: a random
// shopapi.SessionCookie, which the WAF rate-limits per value. It identifies
// nothing and authorises nothing; a client that drops it is limited per IP.
func startSession(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(shopapi.SessionCookie); err == nil && validSession(c.Value) {
		return
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	http.SetCookie(w, &http.Cookie{
		Name: shopapi.SessionCookie, Value: hex.EncodeToString(b), Path: "/",
		HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode,
	})
}

func validSession(v string) bool {
	if len(v) != 32 {
		return false
	}
	_, err := hex.DecodeString(v)
	return err == nil
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

// ready reports whether the instance can serve: the primary must answer. A
// primary that answers as a replica is ready too, reported as "standby": in a
// standby region it is the region's read replica until a failover promotes it,
// and the instance serves reads and refuses writes (503) meanwhile. Its deploys
// must pass the readiness gate and its fleet stay in service, so that a failover
// finds it running. The cache, the replica and the outbox are reported as
// flags, since the service degrades around them instead of failing. Only the
// instance itself and the load balancer's network reach it: the API routes only
// the shop's own paths.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	standby, err := InRecovery(ctx, s.DB.Primary) // one query: it answers, and says how
	primaryUp := err == nil
	replica, _ := s.DB.ReplicaState()
	cacheUp, _, _ := s.Cache.Stats()
	backlog, _, backlogErr := s.Relay.Backlog(ctx)
	parked, parkedErr := s.Relay.Parked(ctx)
	report := map[string]any{
		"primary": primaryUp,
		"standby": standby,
		"replica": replica,
		"cache":   cacheUp,
		"outbox":  map[string]any{"publishing": !s.Relay.Failing() && !s.Relay.StandingBy(), "readable": backlogErr == nil && parkedErr == nil, "backlog": backlog, "parked": parked},
	}
	status := http.StatusOK
	if !primaryUp {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, report)
}

// stats are this instance's counters since it started, for benchmarks on
// loopback; CloudWatch gets them as business metrics.
func (s *Server) stats(w http.ResponseWriter, _ *http.Request) {
	_, hits, misses := s.Cache.Stats()
	writeJSON(w, http.StatusOK, map[string]any{
		"cache":          map[string]any{"hits": hits, "misses": misses},
		"catalogQueries": s.Catalog.Queries(),
		"ordersPlaced":   s.Orders.Placed(),
	})
}

// RetryAfterSeconds is what a 503 asks the client to wait before it retries.
const RetryAfterSeconds = 1

// StandbyRetryAfterSeconds is what a write refused in a standby region asks the
// client to wait: the region's database is a read replica until a failover
// promotes it, which takes minutes, so a retry every second would only load a
// region that cannot write, while 5 s still finds the promoted database soon.
const StandbyRetryAfterSeconds = 5

// standbyMessage answers a write in a standby region.
const standbyMessage = "this region is standing by: writes resume after a failover; nothing was written"

// respond writes v, or the HTTP form of err. Error bodies say what the client
// can do; what went wrong inside (driver errors, host and user names) is logged
// with the request ID, never sent.
func (s *Server) respond(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	var invalid *ValidationError
	switch {
	case err == nil:
		writeJSON(w, status, v)
	case errors.As(err, &invalid):
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid request", "problems": invalid.Problems})
	case errors.Is(err, ErrNotFound):
		writeError(w, http.StatusNotFound, "not found")
	case errors.Is(err, ErrKeyReused):
		writeError(w, http.StatusUnprocessableEntity, ErrKeyReused.Error())
	case ReadOnly(err):
		// A standby region: expected until a failover, so not a warning.
		s.Log.Info("write refused: this region is standing by", slog.String("requestId", w.Header().Get("X-Request-Id")), slog.String("path", r.URL.Path), slog.String("error", err.Error()))
		w.Header().Set("Retry-After", strconv.Itoa(StandbyRetryAfterSeconds))
		writeError(w, http.StatusServiceUnavailable, standbyMessage)
	case Unavailable(err):
		s.Log.Warn("request refused: database unavailable", slog.String("requestId", w.Header().Get("X-Request-Id")), slog.String("path", r.URL.Path), slog.String("error", err.Error()))
		w.Header().Set("Retry-After", strconv.Itoa(RetryAfterSeconds))
		writeError(w, http.StatusServiceUnavailable, "temporarily unavailable: nothing was written; retry in a moment")
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

// decode reads exactly one JSON object of v's shape from the body. Its errors
// name the problem in the client's terms (a field, a byte offset), never Go's
// type names.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := decodeJSON(r.Body, v); err != nil {
		status := http.StatusBadRequest
		if errors.As(err, new(tooLargeError)) {
			status = http.StatusRequestEntityTooLarge
		}
		writeError(w, status, err.Error())
		return false
	}
	return true
}

// decodeJSON decodes one JSON value into v, refusing unknown fields and anything
// after the value. Its errors are safe to show to a client.
func decodeJSON(body io.Reader, v any) error {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bodyError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("body: want one JSON object and nothing after it")
	}
	return nil
}

// bodyError turns a decoding error into a message for the client.
func bodyError(err error) error {
	var (
		syntax    *json.SyntaxError
		wrongType *json.UnmarshalTypeError
		tooLarge  *http.MaxBytesError
	)
	switch {
	case errors.Is(err, io.EOF):
		return errors.New("body: want a JSON object, got nothing")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("body: want JSON of the documented shape: the JSON ends too soon")
	case errors.As(err, &syntax):
		return fmt.Errorf("body: want JSON of the documented shape: malformed at byte %d", syntax.Offset)
	case errors.As(err, &wrongType):
		field := wrongType.Field
		if field == "" {
			return fmt.Errorf("body: want a JSON object, got %s", wrongType.Value)
		}
		return fmt.Errorf("body: %s: want %s, got %s", field, jsonKind(wrongType.Type), wrongType.Value)
	case errors.As(err, &tooLarge):
		return tooLargeError{limit: tooLarge.Limit}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return fmt.Errorf("body: %s: not part of the request", strings.TrimPrefix(err.Error(), "json: "))
	default:
		return errors.New("body: want JSON of the documented shape")
	}
}

// tooLargeError is a body over the limit: 413, not 400.
type tooLargeError struct{ limit int64 }

func (e tooLargeError) Error() string { return fmt.Sprintf("body: want at most %d bytes", e.limit) }

// jsonKind names a Go type as the JSON a client should send for it.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	default:
		return "an object"
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]string{"error": message})
}
