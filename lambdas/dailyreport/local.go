package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// localCommand is the first argument that runs the report on a workstation
// (make report-local) instead of in Lambda, which starts the binary with none.
const localCommand = "local"

// runLocal runs the report's own Job against a local database, the replica of
// make run-local by default: the report is written under -out as it would be in
// the reports bucket, and the summary printed where SNS would send it. The day
// defaults to today, where a local run's orders are.
func runLocal(args []string, stdout, stderr io.Writer, now func() time.Time) int {
	fs := flag.NewFlagSet("dailyreport local", flag.ContinueOnError)
	fs.SetOutput(stderr)
	database := fs.String("database", os.Getenv("SHOP_TEST_PG_REPLICA"), "PostgreSQL URL to read from (default: the local replica, $SHOP_TEST_PG_REPLICA)")
	zoneName := fs.String("zone", "UTC", "IANA time zone whose day is reported")
	date := fs.String("date", "", "day to report, YYYY-MM-DD (default: today in -zone)")
	out := fs.String("out", filepath.Join(".services", "reports-bucket"), "folder that stands for the reports bucket: the report is written under it at its bucket key")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "report-local:", err)
		return 1
	}
	if *database == "" {
		return fail(errors.New("no database: start the local run (make run-local), or pass -database postgres://HOST/DB"))
	}
	zone, err := time.LoadLocation(*zoneName)
	if err != nil {
		return fail(fmt.Errorf("-zone %q: want an IANA time zone such as UTC or Europe/Paris", *zoneName))
	}
	if *date == "" {
		*date = now().In(zone).Format(time.DateOnly)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, *database)
	if err != nil {
		return fail(err)
	}
	defer pool.Close()
	store := &fileStore{dir: *out}
	job := Job{
		Sales: PostgresSales{DB: pool}, Store: store, Notifier: printNotifier{out: stdout},
		Zone: zone, Now: now, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if _, err := job.Run(ctx, Request{Date: *date}); err != nil {
		return fail(err)
	}
	fmt.Fprintf(stdout, "report: %s\n", store.written)
	return 0
}

// fileStore keeps reports as files under dir, at the keys the bucket would use.
type fileStore struct {
	dir     string
	written string
}

func (s *fileStore) Put(_ context.Context, key string, body []byte) error {
	path := filepath.Join(s.dir, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	s.written = path
	return os.WriteFile(path, body, 0o644)
}

// printNotifier prints the summary as the topic's subscribers would read it.
type printNotifier struct{ out io.Writer }

func (n printNotifier) Notify(_ context.Context, subject, message string) error {
	_, err := fmt.Fprintf(n.out, "%s\n%s\n", subject, message)
	return err
}
