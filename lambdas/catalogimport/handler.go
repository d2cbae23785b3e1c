package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/example/scalable-web/internal/catalog"
)

// Objects opens an uploaded import file: the import bucket (S3Objects), or a
// fake in the tests.
type Objects interface {
	Open(ctx context.Context, key string) (io.ReadCloser, error)
}

// Database begins the import's one transaction on the writer: a pool.
type Database interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// Handler loads one uploaded file into the catalog, all or nothing, then drops
// the changed products from the cache.
type Handler struct {
	Objects Objects
	DB      Database
	// Cache is the shop's cache; nil drops nothing.
	Cache catalog.Cache
	Log   *slog.Logger
}

// Handle answers what it did with the file. A file with bad rows, or one that
// arrives while another import runs, is an answer that says so (nothing loaded);
// an error means the import could not be tried, or failed and loaded nothing.
func (h Handler) Handle(ctx context.Context, req catalog.ImportRequest) (catalog.ImportAnswer, error) {
	if err := checkKey(req.Key); err != nil {
		return catalog.ImportAnswer{}, err
	}
	body, err := h.Objects.Open(ctx, req.Key)
	if err != nil {
		return catalog.ImportAnswer{}, fmt.Errorf("open %s: %w", req.Key, err)
	}
	defer body.Close()
	start := time.Now()
	var res catalog.Result
	err = pgx.BeginFunc(ctx, h.DB, func(tx pgx.Tx) error {
		var err error
		res, err = catalog.Load(ctx, tx, body)
		return err
	})
	var problems catalog.Problems
	switch {
	case errors.As(err, &problems):
		h.Log.InfoContext(ctx, "import refused: bad rows, nothing loaded", slog.String("key", req.Key), slog.Int("badRows", len(problems)))
		return catalog.ImportAnswer{Problems: problems}, nil
	case errors.Is(err, catalog.ErrImportRunning):
		h.Log.InfoContext(ctx, "import refused: another is running", slog.String("key", req.Key))
		return catalog.ImportAnswer{Running: true}, nil
	case err != nil:
		return catalog.ImportAnswer{}, fmt.Errorf("load %s: %w", req.Key, err)
	}
	answer := catalog.ImportAnswer{Rows: res.Rows, Added: res.Added, Changed: res.Changed, Unchanged: res.Unchanged}
	h.Log.InfoContext(ctx, "imported", slog.String("key", req.Key), slog.Int("rows", res.Rows), slog.Int("added", res.Added),
		slog.Int("changed", res.Changed), slog.Int("unchanged", res.Unchanged), slog.Duration("took", time.Since(start)))
	if h.Cache == nil || len(res.ChangedIDs) == 0 {
		return answer, nil
	}
	// The load is committed: a cache that cannot be told leaves its entries to
	// their TTL, which the answer says, but the import stands.
	if err := catalog.Forget(ctx, h.Cache, res.ChangedIDs); err != nil {
		h.Log.WarnContext(ctx, "cache not told", slog.String("key", req.Key), slog.String("error", err.Error()))
		answer.CacheError = err.Error()
		return answer, nil
	}
	answer.Dropped = len(res.ChangedIDs)
	return answer, nil
}

// checkKey refuses a key outside the import prefix: the function reads only the
// files uploaded for it.
func checkKey(key string) error {
	if !strings.HasPrefix(key, catalog.ImportPrefix) || path.Clean(key) != key || len(key) == len(catalog.ImportPrefix) {
		return fmt.Errorf("key %q: want an uploaded file under %s", key, catalog.ImportPrefix)
	}
	return nil
}
