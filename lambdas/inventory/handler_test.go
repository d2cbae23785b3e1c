package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/example/scalable-web/internal/emf"
	"github.com/example/scalable-web/internal/orderevents"
	"github.com/example/scalable-web/internal/sqstest"
)

// memoryStock is an in-memory Stock: it counts what it was asked to apply.
type memoryStock struct {
	mu      sync.Mutex
	applied []string
}

func (m *memoryStock) Apply(_ context.Context, e orderevents.Event) (Outcome, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.applied = append(m.applied, e.EventID)
	if len(m.applied) == 2 {
		return Shortage, nil
	}
	return Applied, nil
}

var quiet = slog.New(slog.NewJSONHandler(io.Discard, nil))

func TestPoisonMessageInABatchOfTen(t *testing.T) {
	stock := &memoryStock{}
	var metrics bytes.Buffer
	h := Handler{Stock: stock, Log: quiet, Metrics: &emf.Recorder{Out: &metrics, Namespace: "shop-test", Service: "inventory"}}
	resp, err := h.Handle(context.Background(), sqstest.Fixture(t, "batch-of-ten-one-poison.json"))
	if err != nil {
		t.Fatal(err)
	}
	// One record for the shortage (the second event), one for the batch.
	var got []map[string]any
	for dec := json.NewDecoder(&metrics); dec.More(); {
		var r map[string]any
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	if len(got) != 2 || got[0][emf.StockShortages] != 1.0 || got[1][emf.MessagesProcessed] != 9.0 || got[1][emf.MessagesFailed] != 1.0 {
		t.Errorf("got metric records %v, want a shortage, then 9 processed and 1 failed", got)
	}
	if got := sqstest.Failed(resp); len(got) != 1 || got[0] != "msg-06" {
		t.Errorf("got failures %v, want exactly [msg-06]", got)
	}
	if len(stock.applied) != 9 {
		t.Errorf("applied %d events, want the 9 good ones", len(stock.applied))
	}
}

func TestInvalidEventsFailOneByOne(t *testing.T) {
	stock := &memoryStock{}
	resp, _ := Handler{Stock: stock, Log: quiet}.Handle(context.Background(), sqstest.Fixture(t, "invalid-events.json"))
	if got := sqstest.Failed(resp); len(got) != 4 {
		t.Errorf("got failures %v, want all 4 (unknown type, missing orderId, zero quantity, not an object)", got)
	}
	if len(stock.applied) != 0 {
		t.Errorf("applied %v, want nothing", stock.applied)
	}
}

func TestWantsSumsLinesPerProductInOrder(t *testing.T) {
	got := Wants([]orderevents.Line{{ProductID: 9, Quantity: 1}, {ProductID: 2, Quantity: 2}, {ProductID: 9, Quantity: 3}})
	want := []Want{{ProductID: 2, Requested: 2}, {ProductID: 9, Requested: 4}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("got %v, want %v", got, want)
	}
}
