package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/example/scalable-web/internal/emf"
)

type memoryStore map[string][]byte

func (m memoryStore) Put(_ context.Context, key string, body []byte) error { m[key] = body; return nil }

type memoryNotifier struct{ messages []string }

func (n *memoryNotifier) Notify(_ context.Context, _, message string) error {
	n.messages = append(n.messages, message)
	return nil
}

type fixedSales struct {
	orders   int
	products []Product
	from, to time.Time
}

func (f *fixedSales) Between(_ context.Context, from, to time.Time) (int, []Product, error) {
	f.from, f.to = from, to
	return f.orders, f.products, nil
}

var quiet = slog.New(slog.NewJSONHandler(io.Discard, nil))

func paris(t *testing.T) *time.Location {
	t.Helper()
	zone, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return zone
}

func TestYesterdayInTheJobsTimeZone(t *testing.T) {
	zone := paris(t)
	sales := &fixedSales{orders: 2, products: []Product{{SKU: "TB-1", Name: "toothbrushes", Units: 500, RevenueCents: 149500}, {SKU: "KT-1", Name: "kettles", Units: 1, RevenueCents: 1999}}}
	store, notes := memoryStore{}, &memoryNotifier{}
	// 00:30 in Paris on the 23rd is still the 22nd in UTC: yesterday is the 22nd in Paris.
	now := time.Date(2026, 11, 23, 0, 30, 0, 0, zone)
	var metrics bytes.Buffer
	job := Job{Sales: sales, Store: store, Notifier: notes, Zone: zone, Now: func() time.Time { return now.UTC() }, Log: quiet,
		Metrics: &emf.Recorder{Out: &metrics, Namespace: "shop-test", Service: "dailyreport"}}
	r, err := job.Run(context.Background(), Request{})
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 11, 22, 0, 0, 0, 0, zone); !sales.from.Equal(want) || !sales.to.Equal(want.AddDate(0, 0, 1)) {
		t.Errorf("read [%v, %v), want the 22nd in Paris", sales.from, sales.to)
	}
	want := "Sold 500 toothbrushes on 2026-11-22 (Europe/Paris): 501 items in 2 orders, $1514.99 in all."
	if r.Summary != want || len(notes.messages) != 1 || notes.messages[0] != want {
		t.Errorf("summary %q, published %v; want %q", r.Summary, notes.messages, want)
	}
	var stored Report
	if err := json.Unmarshal(store["reports/daily/2026-11-22.json"], &stored); err != nil || stored.Units != 501 {
		t.Errorf("stored report %+v (%v), want 501 units under reports/daily/2026-11-22.json", stored, err)
	}
	var recorded map[string]any
	if err := json.Unmarshal(metrics.Bytes(), &recorded); err != nil {
		t.Fatalf("metrics %q: %v", metrics.String(), err)
	}
	if recorded[emf.DailyOrders] != 2.0 || recorded[emf.DailyRevenue] != 1514.99 || recorded[emf.ReportDelivered] != 1.0 {
		t.Errorf("recorded %v, want 2 orders, 1514.99 revenue, a delivered report", recorded)
	}
}

func TestEmptyDaySaysSo(t *testing.T) {
	store, notes := memoryStore{}, &memoryNotifier{}
	job := Job{Sales: &fixedSales{}, Store: store, Notifier: notes, Zone: time.UTC, Log: quiet}
	r, err := job.Run(context.Background(), Request{Date: "2026-11-01"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Summary != "No orders on 2026-11-01 (UTC)." || len(store) != 1 || !strings.Contains(string(store["reports/daily/2026-11-01.json"]), `"products": []`) {
		t.Errorf("got %q and %v", r.Summary, store)
	}
}

// TestOrdersWithoutProductLinesDoNotPanic: orders counted but no product rows
// (lines not yet replicated, or products gone) still make a report.
func TestOrdersWithoutProductLinesDoNotPanic(t *testing.T) {
	job := Job{Sales: &fixedSales{orders: 3}, Store: memoryStore{}, Notifier: &memoryNotifier{}, Zone: time.UTC, Log: quiet}
	r, err := job.Run(context.Background(), Request{Date: "2026-11-01"})
	if err != nil || r.Summary != "3 orders on 2026-11-01 (UTC), with no product lines to report." {
		t.Errorf("got %q, %v", r.Summary, err)
	}
}

func TestBadDateIsRefused(t *testing.T) {
	job := Job{Sales: &fixedSales{}, Store: memoryStore{}, Notifier: &memoryNotifier{}, Zone: time.UTC, Log: quiet}
	if _, err := job.Run(context.Background(), Request{Date: "22/11/2026"}); err == nil || !strings.Contains(err.Error(), "want YYYY-MM-DD") {
		t.Errorf("got %v, want a clear date error", err)
	}
}
