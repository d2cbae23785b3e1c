package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/example/scalable-web/internal/emf"
	"github.com/example/scalable-web/internal/orderevents"
	"github.com/example/scalable-web/internal/sqsbatch"
)

// Message is one customer email.
type Message struct {
	To, Subject, Body string
}

// Sender delivers a message.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Once runs do at most once per event ID: it records the ID in the same transaction
// and rolls back if do fails, so a failed send is retried and a sent one is not.
type Once interface {
	Do(ctx context.Context, eventID string, do func() error) (ran bool, err error)
}

// Handler adapts SQS batches to Compose and a Sender.
type Handler struct {
	Sender Sender
	Once   Once
	Log    *slog.Logger
	// Metrics gets each batch's counts; nil records nothing.
	Metrics *emf.Recorder
}

// Handle notifies the customer of every order event of the batch.
func (h Handler) Handle(ctx context.Context, batch events.SQSEvent) (events.SQSEventResponse, error) {
	return sqsbatch.Process(ctx, h.Log, h.Metrics, batch, h.notify), nil
}

func (h Handler) notify(ctx context.Context, msg events.SQSMessage) error {
	e, err := orderevents.Parse([]byte(msg.Body))
	if err != nil {
		return err
	}
	m := Compose(e)
	ran, err := h.Once.Do(ctx, e.EventID, func() error { return h.Sender.Send(ctx, m) })
	if err != nil {
		return err
	}
	h.Log.InfoContext(ctx, "notification", slog.String("messageId", msg.MessageId), slog.String("eventId", e.EventID), slog.Bool("sent", ran))
	return nil
}

// Compose turns an order event into the message its customer receives.
func Compose(e orderevents.Event) Message {
	short := e.OrderID[:8]
	switch e.Type {
	case orderevents.OrderCancelled:
		return Message{
			To:      e.CustomerEmail,
			Subject: fmt.Sprintf("Your order %s is cancelled", short),
			Body:    fmt.Sprintf("Your order %s of %d item(s) is cancelled. Any payment will be refunded.", short, e.Items()),
		}
	default:
		var lines []string
		for _, l := range e.Lines {
			lines = append(lines, fmt.Sprintf("  %d × product %d at %s", l.Quantity, l.ProductID, money(l.UnitPriceCents)))
		}
		return Message{
			To:      e.CustomerEmail,
			Subject: fmt.Sprintf("Thank you for your order %s", short),
			Body: fmt.Sprintf("We have your order %s of %d item(s), %s in all:\n%s\n",
				short, e.Items(), money(e.TotalCents), strings.Join(lines, "\n")),
		}
	}
}

func money(cents int64) string { return fmt.Sprintf("$%d.%02d", cents/100, cents%100) }
