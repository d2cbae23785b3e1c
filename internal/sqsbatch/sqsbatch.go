// Package sqsbatch runs an SQS-triggered Lambda's handler over a batch and reports
// partial failures: only the messages that failed are returned to the queue, so one
// bad message never makes the good ones run again.
package sqsbatch

import (
	"context"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/example/scalable-web/internal/emf"
)

// Handle processes one message; an error returns it to the queue.
type Handle func(ctx context.Context, msg events.SQSMessage) error

// Margin is the time kept back from the function's timeout to answer: each
// message's deadline is the invocation's less Margin, so a message stuck on a
// lock or a hung call fails alone, the messages not yet started are given back,
// and the function still returns its batch response instead of timing out (which
// would return the whole batch, done messages included).
const Margin = 2 * time.Second

// Process runs handle on every record, in order, and returns the IDs of those that
// failed. Each failure is logged as one structured line naming the message and the
// reason; after the queue's maxReceiveCount the message moves to its DLQ. The
// batch's counts go to metrics (nil records nothing).
func Process(ctx context.Context, log *slog.Logger, metrics *emf.Recorder, event events.SQSEvent, handle Handle) events.SQSEventResponse {
	var resp events.SQSEventResponse
	deadline, limited := ctx.Deadline()
	stop := deadline.Add(-min(Margin, time.Until(deadline)/3)) // a short invocation keeps a third

	for _, msg := range event.Records {
		if ctx.Err() != nil || (limited && !time.Now().Before(stop)) {
			// Out of time: give back everything not yet done rather than lose it.
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
			continue
		}
		msgCtx, cancel := ctx, context.CancelFunc(func() {})
		if limited {
			msgCtx, cancel = context.WithDeadline(ctx, stop)
		}
		err := handle(msgCtx, msg)
		cancel()
		if err != nil {
			log.ErrorContext(ctx, "message failed",
				slog.String("messageId", msg.MessageId),
				slog.String("receiveCount", msg.Attributes["ApproximateReceiveCount"]),
				// The X-Ray trace of the request that placed the order, if it was traced.
				slog.String("traceHeader", msg.Attributes["AWSTraceHeader"]),
				slog.String("reason", err.Error()))
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
		}
	}
	failed := len(resp.BatchItemFailures)
	if err := metrics.Record(
		emf.Metric{Name: emf.MessagesProcessed, Unit: emf.Count, Value: float64(len(event.Records) - failed)},
		emf.Metric{Name: emf.MessagesFailed, Unit: emf.Count, Value: float64(failed)},
	); err != nil {
		log.WarnContext(ctx, "metrics", slog.String("error", err.Error()))
	}
	return resp
}
