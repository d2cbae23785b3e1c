package orderevents

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/sns"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"go.opentelemetry.io/otel/trace"
)

// TraceHeader is the X-Ray form of a span context, for X-Amzn-Trace-Id, e.g.
// "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
// or "" when there is no span. X-Ray takes W3C trace IDs: its Root is the same 128
// bits, written as version, 8 hex digits and 24.
func TraceHeader(sc trace.SpanContext) string {
	if !sc.IsValid() {
		return ""
	}
	id := sc.TraceID().String()
	sampled := 0
	if sc.IsSampled() {
		sampled = 1
	}
	return fmt.Sprintf("Root=1-%s-%s;Parent=%s;Sampled=%d", id[:8], id[8:], sc.SpanID(), sampled)
}

// WithTraceHeader sends header as the Publish call's X-Amzn-Trace-Id: SNS passes
// it on to the subscribed queues, and Lambda links each consumer's trace to it.
func WithTraceHeader(header string) func(*sns.Options) {
	return func(o *sns.Options) {
		o.APIOptions = append(o.APIOptions, smithyhttp.AddHeaderValue("X-Amzn-Trace-Id", header))
	}
}
