// Command catalog-import loads a product catalog from CSV (sku,name,price_cents,stock)
// into the local run's database (make run-local) and drops the changed products from
// its cache: make catalog-import FILE=products.csv. Every row is checked first; a
// file with a bad row loads nothing and each bad row is printed with its line.
//
// With -stage (make catalog-import STAGE=dev FILE=products.csv) it loads into that
// deployed stage instead, with the caller's AWS credentials: the file is checked
// here, uploaded to the stage's import bucket and loaded by its import function
// (lambdas/catalogimport), whose stack outputs name both.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/example/scalable-web/internal/catalog"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, connectAWS))
}

// run is the command; connect reaches a deployed stage (connectAWS, or fakes).
// It returns the exit status: 1 when nothing or not all was done, 2 on a usage
// error.
func run(args []string, stdout, stderr io.Writer, connect func(context.Context, string) (stage, error)) int {
	fs := flag.NewFlagSet("catalog-import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("file", "", "the CSV file to load: a header sku,name,price_cents,stock, then one product per line")
	database := fs.String("database", os.Getenv("SHOP_TEST_PG_PRIMARY"), "PostgreSQL URL of the writer (default: the local run's primary, $SHOP_TEST_PG_PRIMARY)")
	cache := fs.String("redis", os.Getenv("SHOP_TEST_REDIS"), "Redis whose product entries to drop: host:port or redis://host:port/db (default: the local run's, $SHOP_TEST_REDIS); empty drops none")
	stageName := fs.String("stage", "", "a deployed stage to load into instead of the local run, with your AWS credentials (make catalog-import STAGE=…)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "catalog-import:", err)
		return 1
	}
	switch {
	case *file == "":
		return fail(errors.New("no file: give FILE=products.csv (make) or -file"))
	case *stageName != "":
		ctx, cancel := context.WithTimeout(context.Background(), catalog.ImportTimeout+5*time.Minute)
		defer cancel()
		return importInto(ctx, *stageName, *file, stdout, stderr, connect)
	case *database == "":
		return fail(errors.New("no database: start the local run (make run-local), or pass -database postgres://HOST/DB"))
	}
	f, err := os.Open(*file)
	if err != nil {
		return fail(err)
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, *database)
	if err != nil {
		return fail(err)
	}
	defer conn.Close(ctx)

	start := time.Now()
	var res catalog.Result
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		res, err = catalog.Load(ctx, tx, f)
		return err
	})
	var problems catalog.Problems
	if errors.As(err, &problems) {
		fmt.Fprintf(stderr, "%s: %v\n", *file, problems)
		return 1
	}
	if err != nil {
		return fail(err)
	}
	fmt.Fprintf(stdout, "%s: %d products: %d added, %d changed, %d unchanged, in %.1f s\n",
		*file, res.Rows, res.Added, res.Changed, res.Unchanged, time.Since(start).Seconds())
	if *cache == "" || len(res.ChangedIDs) == 0 {
		return 0
	}
	opts := &redis.Options{Addr: *cache}
	if strings.Contains(*cache, "://") {
		if opts, err = redis.ParseURL(*cache); err != nil {
			return fail(fmt.Errorf("-redis %q: %w", *cache, err))
		}
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	if err := catalog.Forget(ctx, catalog.RedisCache{Client: rdb}, res.ChangedIDs); err != nil {
		return fail(err) // the load stands; the cache serves the old entries until their TTL
	}
	fmt.Fprintf(stdout, "dropped %d products and every page from the cache\n", len(res.ChangedIDs))
	return 0
}
