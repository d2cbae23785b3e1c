package sqsbatch

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// TestFaultStuckMessageFailsAloneBeforeTheDeadline: a message that hangs is cut off
// before the invocation's deadline; it and the messages not yet started go back
// to the queue, the ones done before it do not, and the response comes in time.
func TestFaultStuckMessageFailsAloneBeforeTheDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	deadline, _ := ctx.Deadline()
	batch := events.SQSEvent{Records: []events.SQSMessage{{MessageId: "done"}, {MessageId: "stuck"}, {MessageId: "not-started"}}}
	var ran []string
	resp := Process(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), nil, batch, func(ctx context.Context, msg events.SQSMessage) error {
		ran = append(ran, msg.MessageId)
		if msg.MessageId == "stuck" {
			<-ctx.Done() // a lock that is never released
			return ctx.Err()
		}
		return nil
	})
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	if want := []string{"stuck", "not-started"}; !slices.Equal(failed, want) {
		t.Errorf("failed %v, want %v", failed, want)
	}
	if want := []string{"done", "stuck"}; !slices.Equal(ran, want) {
		t.Errorf("ran %v, want %v", ran, want)
	}
	if left := time.Until(deadline); left < 500*time.Millisecond {
		t.Errorf("answered %s before the deadline, want the margin kept", left)
	}
}

func TestNoDeadlineRunsEverything(t *testing.T) {
	batch := events.SQSEvent{Records: []events.SQSMessage{{MessageId: "a"}, {MessageId: "b"}}}
	resp := Process(context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil)), nil, batch,
		func(context.Context, events.SQSMessage) error { return nil })
	if len(resp.BatchItemFailures) != 0 {
		t.Errorf("failures %v, want none", resp.BatchItemFailures)
	}
}
