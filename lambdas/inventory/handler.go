package main

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/example/scalable-web/internal/emf"
	"github.com/example/scalable-web/internal/orderevents"
	"github.com/example/scalable-web/internal/sqsbatch"
)

// Outcome is what applying an event did.
type Outcome string

const (
	Applied   Outcome = "applied"   // stock changed
	Duplicate Outcome = "duplicate" // seen before: nothing changed
	Shortage  Outcome = "shortage"  // not enough stock: recorded, nothing changed
	Cancelled Outcome = "cancelled" // the order's cancellation came first: nothing taken
)

// Stock applies an order event to the stock, exactly once per event ID.
type Stock interface {
	Apply(ctx context.Context, e orderevents.Event) (Outcome, error)
}

// Handler adapts SQS batches to Stock.
type Handler struct {
	Stock Stock
	Log   *slog.Logger
	// Metrics gets each batch's counts; nil records nothing.
	Metrics *emf.Recorder
}

// Handle applies every message of the batch and reports the ones that failed.
func (h Handler) Handle(ctx context.Context, batch events.SQSEvent) (events.SQSEventResponse, error) {
	return sqsbatch.Process(ctx, h.Log, h.Metrics, batch, h.apply), nil
}

func (h Handler) apply(ctx context.Context, msg events.SQSMessage) error {
	e, err := orderevents.Parse([]byte(msg.Body))
	if err != nil {
		return err
	}
	outcome, err := h.Stock.Apply(ctx, e)
	if err != nil {
		return err
	}
	if outcome == Shortage {
		if err := h.Metrics.Record(emf.Metric{Name: emf.StockShortages, Unit: emf.Count, Value: 1}); err != nil {
			h.Log.WarnContext(ctx, "metrics", slog.String("error", err.Error()))
		}
	}
	h.Log.InfoContext(ctx, "order event", slog.String("messageId", msg.MessageId), slog.String("eventId", e.EventID),
		slog.String("eventType", string(e.Type)), slog.String("orderId", e.OrderID), slog.String("outcome", string(outcome)))
	return nil
}
