// Package schema is the database schema of the shop, defined once as versioned SQL
// migrations that the service, the Lambdas and the tests share. goose applies them
// and records each version in its table (goose_db_version), inside a transaction
// per migration.
package schema

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"sort"

	"github.com/pressly/goose/v3"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Files are the migrations, named NNNNN_description.sql.
func Files() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the embed pattern guarantees the folder
	}
	return sub
}

// Migrate brings the database up to the newest version and returns it.
func Migrate(ctx context.Context, db *sql.DB) (int64, error) {
	provider, err := goose.NewProvider(goose.DialectPostgres, db, Files())
	if err != nil {
		return 0, fmt.Errorf("schema: %w", err)
	}
	if _, err := provider.Up(ctx); err != nil {
		return 0, fmt.Errorf("schema: migrate up: %w", err)
	}
	version, err := provider.GetDBVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("schema: read version: %w", err)
	}
	return version, nil
}

// Fingerprint is a hash of every migration's name and content. The deploy-time
// migration runs whenever it changes.
func Fingerprint() string { return fingerprint(Files()) }

func fingerprint(files fs.FS) string {
	h := sha256.New()
	names, _ := fs.Glob(files, "*.sql")
	sort.Strings(names)
	for _, name := range names {
		b, _ := fs.ReadFile(files, name)
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
