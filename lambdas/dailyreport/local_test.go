package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/example/scalable-web/internal/testdb"
)

// TestReportLocal runs `dailyreport local` (make report-local) against the local
// replica: it prints the day's summary and where the report was written, and the
// file is the report the bucket would hold.
func TestReportLocal(t *testing.T) {
	db := testdb.New(t)
	day := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	seedDay(t, db, day)
	db.WaitForReplica(t)
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	afternoon := func() time.Time { return day.Add(15 * time.Hour) }
	if code := runLocal([]string{"-database", db.ReplicaURL, "-out", out}, &stdout, &stderr, afternoon); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	path := filepath.Join(out, "reports", "daily", "2026-11-22.json")
	want := "Daily sales 2026-11-22\nSold 5 toothbrushes on 2026-11-22 (UTC): 6 items in 2 orders, $34.94 in all.\nreport: " + path + "\n"
	if stdout.String() != want {
		t.Errorf("printed %q, want %q", stdout.String(), want)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil || r.Orders != 2 || r.RevenueCents != 3494 {
		t.Errorf("report file %s: %+v, %v; want 2 orders, 3494 cents", path, r, err)
	}
}

// TestReportLocalRefusesBadInput: no database, a zone or a date that does not
// parse each stop with one line saying what to give instead, and write nothing.
func TestReportLocalRefusesBadInput(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"no database", []string{"-database", ""}, "no database: start the local run (make run-local)"},
		{"bad zone", []string{"-database", "postgres://127.0.0.1:1/x", "-zone", "Mars/Olympus"}, `-zone "Mars/Olympus": want an IANA time zone`},
		{"bad date", []string{"-database", "postgres://127.0.0.1:1/x", "-date", "22/11/2026"}, `request date "22/11/2026": want YYYY-MM-DD`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			var stdout, stderr bytes.Buffer
			code := runLocal(append(tt.args, "-out", out), &stdout, &stderr, time.Now)
			if code != 1 || !strings.Contains(stderr.String(), tt.want) || strings.Count(strings.TrimSpace(stderr.String()), "\n") != 0 {
				t.Errorf("exit %d, stderr %q; want 1 and one line with %q", code, stderr.String(), tt.want)
			}
			if entries, _ := os.ReadDir(out); len(entries) != 0 {
				t.Errorf("wrote %d entries under -out, want none", len(entries))
			}
		})
	}
}
