package main

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/example/scalable-web/internal/schema"
	"github.com/example/scalable-web/internal/sqstest"
	"github.com/example/scalable-web/internal/testdb"
)

// seed creates products 1 (toothbrush, 10 in stock) and 2 (kettle, 5 in stock).
func seed(t *testing.T) (*testdb.DB, Handler) {
	t.Helper()
	return seedStock(t, 10)
}

// seedB is seed for benchmarks, with stock enough for any b.N.
func seedB(b *testing.B) (*testdb.DB, Handler) {
	b.Helper()
	return seedStock(b, 1_000_000_000)
}

func seedStock(t testing.TB, toothbrushes int) (*testdb.DB, Handler) {
	db := testdb.New(t)
	db.Exec(t, `INSERT INTO products (sku, name, price_cents) VALUES ('TB-1', 'toothbrush', 299), ('KT-1', 'kettle', 1999)`)
	db.Exec(t, `INSERT INTO stock (product_id, quantity) VALUES (1, $1), (2, 5)`, toothbrushes)
	return db, Handler{Stock: PostgresStock{DB: db.PoolAs(t, schema.InventoryRole, false)}, Log: quiet}
}

// withEventID gives a message body the n-th of a series of fresh event IDs.
func withEventID(body string, n int) string {
	var event map[string]any
	_ = json.Unmarshal([]byte(body), &event)
	event["eventId"] = fmt.Sprintf("00000000-0000-0000-0001-%012x", n)
	b, _ := json.Marshal(event)
	return string(b)
}

func stockOf(t *testing.T, db *testdb.DB, product int) int {
	t.Helper()
	return db.Int(t, `SELECT quantity FROM stock WHERE product_id = $1`, product)
}

func TestDuplicateDeliveryChangesStockOnce(t *testing.T) {
	db, h := seed(t)
	resp, _ := h.Handle(context.Background(), sqstest.Fixture(t, "duplicate-delivery.json"))
	if got := sqstest.Failed(resp); len(got) != 0 {
		t.Fatalf("failures %v", got)
	}
	// And once more, as SQS may redeliver a whole batch.
	h.Handle(context.Background(), sqstest.Fixture(t, "duplicate-delivery.json"))
	if got := stockOf(t, db, 1); got != 7 {
		t.Errorf("toothbrushes: got %d, want 10 - 3 = 7", got)
	}
	if got := stockOf(t, db, 2); got != 4 {
		t.Errorf("kettles: got %d, want 5 - 1 = 4", got)
	}
}

func TestPoisonMessageInABatchOfTenAgainstPostgres(t *testing.T) {
	db, h := seed(t)
	resp, _ := h.Handle(context.Background(), sqstest.Fixture(t, "batch-of-ten-one-poison.json"))
	if got := sqstest.Failed(resp); len(got) != 1 || got[0] != "msg-06" {
		t.Errorf("got failures %v, want exactly [msg-06]", got)
	}
	if got := stockOf(t, db, 1); got != 1 {
		t.Errorf("toothbrushes: got %d, want 10 - 9 = 1", got)
	}
}

func TestShortageIsRecordedNotRetried(t *testing.T) {
	db, h := seed(t)
	resp, _ := h.Handle(context.Background(), sqstest.Fixture(t, "order-short-of-stock.json"))
	if got := sqstest.Failed(resp); len(got) != 0 {
		t.Errorf("got failures %v: a shortage must not be retried", got)
	}
	if got := stockOf(t, db, 1); got != 10 {
		t.Errorf("toothbrushes: got %d, want 10: an order short of one product takes nothing", got)
	}
	if got := db.Int(t, `SELECT count(*) FROM stock_shortages WHERE detail @> '[{"productId": 2, "requested": 1000, "available": 5}]'`); got != 1 {
		t.Errorf("got %d shortage records naming the kettle, want 1", got)
	}
}

func TestCancellationGivesBackWhatTheOrderTook(t *testing.T) {
	db, h := seed(t)
	for _, f := range []string{"order-placed.json", "order-cancelled.json", "order-cancelled.json"} {
		if resp, _ := h.Handle(context.Background(), sqstest.Fixture(t, f)); len(resp.BatchItemFailures) != 0 {
			t.Fatalf("%s: failures %v", f, sqstest.Failed(resp))
		}
	}
	if got := stockOf(t, db, 1); got != 10 {
		t.Errorf("toothbrushes: got %d, want 10 again after placing 3 and cancelling (twice)", got)
	}
}
