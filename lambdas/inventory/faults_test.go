package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/example/scalable-web/internal/pg"
	"github.com/example/scalable-web/internal/schema"
	"github.com/example/scalable-web/internal/sqstest"
)

// TestCancellationBeforeItsOrderLeaksNoStock: SQS does not keep order, so a
// cancellation can arrive first; its order must then take nothing.
func TestCancellationBeforeItsOrderLeaksNoStock(t *testing.T) {
	db, h := seed(t)
	resp, _ := h.Handle(context.Background(), sqstest.Fixture(t, "cancelled-before-placed.json"))
	if got := sqstest.Failed(resp); len(got) != 0 {
		t.Fatalf("failures %v", got)
	}
	if got := stockOf(t, db, 1); got != 10 {
		t.Errorf("toothbrushes: %d, want all 10 still in stock", got)
	}
}

// TestFaultMessageStuckOnARowLock: another transaction holds a stock row; the
// message that needs it fails alone within the consumer's lock_timeout, and the
// rest of the batch is applied.
func TestFaultMessageStuckOnARowLock(t *testing.T) {
	db, _ := seed(t)
	ctx := context.Background()
	pool, err := pg.OpenURL(ctx, db.RoleURL(t, schema.InventoryRole, false), pg.ConsumerLimits)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	h := Handler{Stock: PostgresStock{DB: pool}, Log: quiet}

	holder, err := db.Primary.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = holder.Rollback(ctx) }()
	if _, err := holder.Exec(ctx, `SELECT quantity FROM stock WHERE product_id = 1 FOR UPDATE`); err != nil {
		t.Fatal(err)
	}

	placed := sqstest.Fixture(t, "order-placed.json").Records[0] // toothbrushes: product 1
	kettle := placed
	kettle.MessageId, kettle.Body = "msg-kettle", withProduct(t, placed.Body, 2, 2)
	batch := events.SQSEvent{Records: []events.SQSMessage{placed, kettle}}
	invocation, cancel := context.WithTimeout(ctx, 30*time.Second) // the consumer's timeout
	defer cancel()
	start := time.Now()
	resp, _ := h.Handle(invocation, batch)
	took := time.Since(start)
	t.Logf("row lock held: batch answered in %s, failed %v", took, sqstest.Failed(resp))
	if got := sqstest.Failed(resp); !slices.Equal(got, []string{placed.MessageId}) {
		t.Errorf("failed %v, want only the message stuck on the lock", got)
	}
	if took > pg.ConsumerLimits.Lock+5*time.Second {
		t.Errorf("the batch took %s, want the stuck message cut off by lock_timeout (%s)", took, pg.ConsumerLimits.Lock)
	}
	if got := stockOf(t, db, 2); got != 3 {
		t.Errorf("kettles: %d, want 5 - 2 = 3: the rest of the batch is applied", got)
	}
	_ = holder.Rollback(ctx)
	resp, _ = h.Handle(ctx, events.SQSEvent{Records: []events.SQSMessage{placed}}) // SQS delivers it again
	if got := sqstest.Failed(resp); len(got) != 0 || stockOf(t, db, 1) != 7 {
		t.Errorf("redelivered after the lock: failures %v, toothbrushes %d; want applied, 10 - 3 = 7", got, stockOf(t, db, 1))
	}
}

// withProduct is an event body for another order of quantity units of product,
// with an event ID and an order ID of its own.
func withProduct(t *testing.T, body string, product int64, quantity int) string {
	t.Helper()
	var e map[string]any
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatal(err)
	}
	e["eventId"], e["orderId"] = "00000000-0000-0000-0000-0000000ee001", "00000000-0000-0000-0000-0000000ee002"
	e["lines"] = []map[string]any{{"productId": product, "quantity": quantity, "unitPriceCents": 1999}}
	b, _ := json.Marshal(e)
	return string(b)
}

// TestFaultPasswordRotatedBetweenBatches: the consumer's pool, opened from the
// secret as main opens it, keeps applying batches after the role's password
// changes and the secret follows, with no restart.
func TestFaultPasswordRotatedBetweenBatches(t *testing.T) {
	db, _ := seed(t)
	secrets := db.LoginRole(t, "inventory_rotation_"+db.Name, schema.InventoryRole+" TO")
	ctx := context.Background()
	pool, err := pg.OpenFromSecret(ctx, secrets, "arn:aws:secretsmanager:us-east-1:100010001000:secret:inventory", "", pg.Disable, 2, pg.ConsumerLimits)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	h := Handler{Stock: PostgresStock{DB: pool}, Log: quiet}
	placed := sqstest.Fixture(t, "order-placed.json").Records[0]
	apply := func(n int) {
		t.Helper()
		msg := placed
		msg.MessageId, msg.Body = fmt.Sprintf("msg-%d", n), withEventID(withProduct(t, placed.Body, 2, 1), n)
		resp, _ := h.Handle(ctx, events.SQSEvent{Records: []events.SQSMessage{msg}})
		if got := sqstest.Failed(resp); len(got) != 0 {
			t.Fatalf("batch %d failed: %v", n, got)
		}
	}
	apply(1)
	secrets.Rotate(t, "second-password")
	apply(2)     // on the connection the pool had
	pool.Reset() // the next batch needs a new connection
	apply(3)
	if got := stockOf(t, db, 2); got != 2 {
		t.Errorf("kettles: %d, want 5 - 3 = 2: every batch applied", got)
	}
}
