package shop

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"testing/fstest"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace/noop"
	collector "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/example/scalable-web/internal/orderevents"
)

// otlpReceiver stands in for the CloudWatch agent's OTLP/HTTP receiver, on loopback.
type otlpReceiver struct {
	mu    sync.Mutex
	spans []*tracepb.Span
	names []string // service.name of each span's resource
}

func (o *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req collector.ExportTraceServiceRequest
	if r.URL.Path != "/v1/traces" || proto.Unmarshal(body, &req) != nil {
		http.Error(w, "want OTLP protobuf on /v1/traces", http.StatusBadRequest)
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, rs := range req.ResourceSpans {
		var service string
		for _, a := range rs.Resource.GetAttributes() {
			if a.Key == "service.name" {
				service = a.Value.GetStringValue()
			}
		}
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				o.spans = append(o.spans, s)
				o.names = append(o.names, service)
			}
		}
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(nil)
}

// TestTracingSendsOneSpanPerRequest: with tracing on, a request becomes one server
// span named after its route, exported over OTLP/HTTP, and the request's log line
// carries its trace ID; health checks are not traced.
func TestTracingSendsOneSpanPerRequest(t *testing.T) {
	receiver := &otlpReceiver{}
	agent := httptest.NewServer(receiver)
	defer agent.Close()
	t.Cleanup(func() { otel.SetTracerProvider(noop.NewTracerProvider()) })

	stop, err := StartTracing(context.Background(), agent.URL, "shop")
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	server := &Server{Log: slog.New(slog.NewJSONHandler(&logs, nil)), Static: fstest.MapFS{"app.js": {Data: []byte("//")}}}
	shop := httptest.NewServer(Traced(server.Handler()))
	defer shop.Close()
	for _, path := range []string{"/static/app.js", "/healthz"} {
		resp, err := http.Get(shop.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if err := stop(context.Background()); err != nil { // flushes the batch
		t.Fatal(err)
	}

	receiver.mu.Lock()
	defer receiver.mu.Unlock()
	if len(receiver.spans) != 1 {
		t.Fatalf("got %d spans, want 1 (health checks are not traced)", len(receiver.spans))
	}
	span := receiver.spans[0]
	if span.Name != "GET /static/" || span.Kind != tracepb.Span_SPAN_KIND_SERVER || receiver.names[0] != "shop" {
		t.Errorf("got span %q of kind %v from service %q, want a server span \"GET /static/\" from shop", span.Name, span.Kind, receiver.names[0])
	}
	var status int64
	for _, a := range span.Attributes {
		if a.Key == "http.response.status_code" {
			status = a.Value.GetIntValue()
		}
	}
	if status != 200 {
		t.Errorf("span status code %d, want 200", status)
	}
	var line struct {
		Path    string `json:"path"`
		TraceID string `json:"traceId"`
	}
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatalf("log %q: %v", logs.String(), err)
	}
	if want := hex.EncodeToString(span.TraceId); line.Path != "/static/app.js" || line.TraceID != want {
		t.Errorf("logged %+v, want path /static/app.js with trace ID %s", line, want)
	}
}

func TestTracingOffWithoutEndpoint(t *testing.T) {
	before := otel.GetTracerProvider()
	stop, err := StartTracing(context.Background(), "", "shop")
	if err != nil || stop(context.Background()) != nil {
		t.Errorf("got %v, want tracing off without an error", err)
	}
	if otel.GetTracerProvider() != before {
		t.Error("a tracer provider was installed without an endpoint")
	}
}

// TestOrderTraceGoesWithItsEvent: against the real PostgreSQL, an order placed in a
// traced request keeps the request's X-Ray trace header in its outbox row, and the
// relay sends it with the event to SNS (a stand-in on loopback records it); an
// untraced order sends none.
func TestOrderTraceGoesWithItsEvent(t *testing.T) {
	headers := make(chan string, 4)
	sns := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		headers <- r.Header.Get("X-Amzn-Trace-Id")
		w.Header().Set("Content-Type", "text/xml")
		_, _ = io.WriteString(w, `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-1</MessageId></PublishResult></PublishResponse>`)
	}))
	defer sns.Close()
	s := newShop(t, options{awsEndpoint: sns.URL})

	ctx, span := sdktrace.NewTracerProvider().Tracer("test").Start(context.Background(), "POST /api/orders")
	defer span.End()
	order := OrderRequest{CustomerEmail: "a@example.com", Lines: []LineRequest{{ProductID: 1, Quantity: 1}}}
	if _, _, err := s.server.Orders.Place(ctx, order, ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.server.Orders.Place(context.Background(), order, ""); err != nil {
		t.Fatal(err)
	}
	if n, err := s.relay.Flush(context.Background()); n != 2 || err != nil {
		t.Fatalf("flushed %d (%v), want both events", n, err)
	}
	want := orderevents.TraceHeader(span.SpanContext())
	if got := []string{<-headers, <-headers}; got[0] != want || got[1] != "" {
		t.Errorf("sent trace headers %q, want %q for the traced order and none for the other", got, want)
	}
}
