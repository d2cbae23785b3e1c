package orderevents

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"go.opentelemetry.io/otel/trace"
)

func spanContext(t *testing.T, traceID, spanID string, flags trace.TraceFlags) trace.SpanContext {
	t.Helper()
	tid, err := trace.TraceIDFromHex(traceID)
	if err != nil {
		t.Fatal(err)
	}
	sid, err := trace.SpanIDFromHex(spanID)
	if err != nil {
		t.Fatal(err)
	}
	return trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: flags})
}

func TestTraceHeader(t *testing.T) {
	for _, tt := range []struct {
		name string
		sc   trace.SpanContext
		want string
	}{
		{"sampled", spanContext(t, "5759e988bd862e3fe1be46a994272793", "53995c3f42cd8ad8", trace.FlagsSampled),
			"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"},
		{"not sampled", spanContext(t, "5759e988bd862e3fe1be46a994272793", "53995c3f42cd8ad8", 0),
			"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0"},
		{"no span", trace.SpanContext{}, ""},
	} {
		if got := TraceHeader(tt.sc); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestPublishSendsTheTraceHeader: the header reaches SNS as X-Amzn-Trace-Id, on
// loopback, where a stand-in records what the SDK sends.
func TestPublishSendsTheTraceHeader(t *testing.T) {
	got := make(chan string, 1)
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("X-Amzn-Trace-Id")
		http.Error(w, "stand-in", http.StatusInternalServerError)
	}))
	defer endpoint.Close()
	client := sns.NewFromConfig(aws.Config{Region: "us-east-1", RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")},
		func(o *sns.Options) { o.BaseEndpoint = aws.String(endpoint.URL) })

	header := "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
	e := Event{EventID: "e-1", Type: OrderPlaced, OrderID: "o-1"}
	_ = Publish(context.Background(), client, "arn:aws:sns:us-east-1:100010001000:orders", e, WithTraceHeader(header))
	if h := <-got; h != header {
		t.Errorf("X-Amzn-Trace-Id %q, want %q", h, header)
	}
}
