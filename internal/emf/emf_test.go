package emf

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRecordIsEmbeddedMetricFormat(t *testing.T) {
	var out bytes.Buffer
	r := &Recorder{Out: &out, Namespace: "shop-dev", Service: "service", Now: func() time.Time { return time.UnixMilli(1700000000123) }}
	if err := r.Record(Metric{"OrdersPlaced", Count, 3}, Metric{"OutboxOldestAge", Seconds, 1.5}); err != nil {
		t.Fatal(err)
	}
	want := `{"OrdersPlaced":3,"OutboxOldestAge":1.5,"Service":"service","_aws":{"CloudWatchMetrics":[{"Dimensions":[["Service"]],"Metrics":[{"Name":"OrdersPlaced","Unit":"Count"},{"Name":"OutboxOldestAge","Unit":"Seconds"}],"Namespace":"shop-dev"}],"Timestamp":1700000000123}}` + "\n"
	if got := out.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestRecordRejectsReservedNames(t *testing.T) {
	var out bytes.Buffer
	r := &Recorder{Out: &out, Namespace: "n", Service: "s"}
	for _, name := range []string{"_aws", "Service"} {
		if err := r.Record(Metric{name, Count, 1}); err == nil {
			t.Errorf("metric %q: got no error, want one", name)
		}
	}
	if out.Len() != 0 {
		t.Errorf("wrote %q, want nothing", out.String())
	}
}

func TestNilRecorderRecordsNothing(t *testing.T) {
	var r *Recorder
	if err := r.Record(Metric{"X", Count, 1}); err != nil {
		t.Errorf("got %v, want nil", err)
	}
}

// TestConcurrentRecordsStayWholeLines: every line is one complete record.
func TestConcurrentRecordsStayWholeLines(t *testing.T) {
	var out bytes.Buffer
	r := &Recorder{Out: &out, Namespace: "n", Service: "s"}
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() { _ = r.Record(Metric{"X", Count, 1}) })
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 50 {
		t.Fatalf("got %d lines, want 50", len(lines))
	}
	for _, l := range lines {
		var v map[string]any
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
	}
}
