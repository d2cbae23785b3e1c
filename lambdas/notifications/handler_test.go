package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/example/scalable-web/internal/orderevents"
	"github.com/example/scalable-web/internal/schema"
	"github.com/example/scalable-web/internal/sqstest"
	"github.com/example/scalable-web/internal/testdb"
)

type outbox struct {
	sent []Message
	fail error
}

func (o *outbox) Send(_ context.Context, m Message) error {
	if o.fail != nil {
		return o.fail
	}
	o.sent = append(o.sent, m)
	return nil
}

// alwaysOnce runs every time: for the handler tests without a database.
type alwaysOnce struct{}

func (alwaysOnce) Do(_ context.Context, _ string, do func() error) (bool, error) { return true, do() }

var quiet = slog.New(slog.NewJSONHandler(io.Discard, nil))

func TestPoisonMessageInABatchOfTen(t *testing.T) {
	out := &outbox{}
	resp, _ := Handler{Sender: out, Once: alwaysOnce{}, Log: quiet}.Handle(context.Background(), sqstest.Fixture(t, "batch-of-ten-one-poison.json"))
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "msg-06" {
		t.Errorf("got failures %v, want exactly msg-06", resp.BatchItemFailures)
	}
	if len(out.sent) != 9 {
		t.Errorf("sent %d, want 9", len(out.sent))
	}
}

func TestInvalidEventsAreNotSent(t *testing.T) {
	out := &outbox{}
	resp, _ := Handler{Sender: out, Once: alwaysOnce{}, Log: quiet}.Handle(context.Background(), sqstest.Fixture(t, "invalid-events.json"))
	if len(resp.BatchItemFailures) != 4 || len(out.sent) != 0 {
		t.Errorf("got %d failures and %d sent, want 4 and 0", len(resp.BatchItemFailures), len(out.sent))
	}
}

func TestCompose(t *testing.T) {
	e := orderevents.Event{Type: orderevents.OrderPlaced, OrderID: "0000abcd-0000-0000-0000-000000000000", CustomerEmail: "a@example.com",
		Lines: []orderevents.Line{{ProductID: 7, Quantity: 2, UnitPriceCents: 1250}}, TotalCents: 2500}
	m := Compose(e)
	if m.To != "a@example.com" || m.Subject != "Thank you for your order 0000abcd" || !strings.Contains(m.Body, "2 × product 7 at $12.50") || !strings.Contains(m.Body, "$25.00 in all") {
		t.Errorf("got %+v", m)
	}
	e.Type = orderevents.OrderCancelled
	if m := Compose(e); m.Subject != "Your order 0000abcd is cancelled" {
		t.Errorf("cancelled: got subject %q", m.Subject)
	}
}

func TestDuplicateDeliverySendsOnce(t *testing.T) {
	db := testdb.New(t)
	out := &outbox{}
	h := Handler{Sender: out, Once: PostgresOnce{DB: db.PoolAs(t, schema.NotificationsRole, false)}, Log: quiet}
	for range 2 {
		if resp, _ := h.Handle(context.Background(), sqstest.Fixture(t, "duplicate-delivery.json")); len(resp.BatchItemFailures) != 0 {
			t.Fatalf("failures %v", resp.BatchItemFailures)
		}
	}
	if len(out.sent) != 1 {
		t.Errorf("sent %d messages for one event delivered four times, want 1", len(out.sent))
	}
}

func TestFailedSendIsRetried(t *testing.T) {
	db := testdb.New(t)
	out := &outbox{fail: errors.New("ses: throttled")}
	h := Handler{Sender: out, Once: PostgresOnce{DB: db.PoolAs(t, schema.NotificationsRole, false)}, Log: quiet}
	if resp, _ := h.Handle(context.Background(), sqstest.Fixture(t, "order-cancelled.json")); len(resp.BatchItemFailures) != 1 {
		t.Fatalf("got %v, want the message back on the queue", resp.BatchItemFailures)
	}
	out.fail = nil
	if resp, _ := h.Handle(context.Background(), sqstest.Fixture(t, "order-cancelled.json")); len(resp.BatchItemFailures) != 0 || len(out.sent) != 1 {
		t.Errorf("retry: failures %v, sent %d; want it sent now", resp.BatchItemFailures, len(out.sent))
	}
}
