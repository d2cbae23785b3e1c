// Package catalog loads a product catalog from CSV into the shop's database, and
// names the cache keys its products live under, which the service reads
// cache-aside and an import drops.
//
// The file is UTF-8 with a header row, `sku,name,price_cents,stock`, and one
// product per line. Load streams it into PostgreSQL in one transaction, checking
// every row as it goes: a file with any bad row loads nothing, and the error
// lists each bad row by line with its reason. Loading the same file again changes
// nothing; a changed product is written, and its cache entries are dropped.
package catalog

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

// Header is the first line of an import file.
var Header = []string{"sku", "name", "price_cents", "stock"}

// Limits of one row.
const (
	// MaxSKULength and MaxNameLength are in characters.
	MaxSKULength  = 64
	MaxNameLength = 200
	// MaxStock is the most a stock column may say (the column is an integer).
	MaxStock = 1<<31 - 1
)

// ProductKey is the cache key of one product; VersionKey is part of every page's
// key, so bumping it retires every cached page at once.
func ProductKey(id int64) string { return "product:" + strconv.FormatInt(id, 10) }

// VersionKey: see ProductKey.
const VersionKey = "catalog:version"

// Problem is one bad row: its line in the file (1 is the header) and why.
type Problem struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// Problems are the bad rows of a file, in line order: the error of a load that
// loaded nothing.
type Problems []Problem

func (p Problems) Error() string {
	lines := make([]string, 0, len(p)+1)
	lines = append(lines, fmt.Sprintf("%d bad row(s), nothing loaded:", len(p)))
	for _, x := range p {
		lines = append(lines, fmt.Sprintf("line %d: %s", x.Line, x.Reason))
	}
	return strings.Join(lines, "\n")
}

// maxProblems is how many bad rows a load reports before it stops reading: a
// file that is wrong throughout says so in its first hundred.
const maxProblems = 100

// Result is what a load changed.
type Result struct {
	// Rows is how many products the file holds.
	Rows int
	// Added, Changed and Unchanged count them by what the load did.
	Added, Changed, Unchanged int
	// ChangedIDs are the products added or changed, whose cache entries go.
	ChangedIDs []int64
}

// Cache is what a load drops entries from: the service's Redis (RedisCache, or
// the service's own client with its timeouts and breaker).
type Cache interface {
	Delete(ctx context.Context, keys ...string) error
	Incr(ctx context.Context, key string) error
}

// RedisCache is Cache on a go-redis client.
type RedisCache struct{ Client *redis.Client }

// Delete implements Cache.
func (r RedisCache) Delete(ctx context.Context, keys ...string) error {
	return r.Client.Del(ctx, keys...).Err()
}

// Incr implements Cache.
func (r RedisCache) Incr(ctx context.Context, key string) error {
	return r.Client.Incr(ctx, key).Err()
}

// ErrImportRunning is Load's answer while another import's transaction is open
// on the same database: imports run one at a time, and this one changed nothing.
var ErrImportRunning = errors.New("another catalog import is running: nothing loaded, try again once it has finished")

// importLock is the transaction-level advisory lock that keeps imports from
// racing: any constant the shop uses for nothing else.
const importLock int64 = 0x636174616c6f67 // "catalog"

// Check reads an import file from r and checks every row as Load does, with no
// database: the number of products, or Problems. A file that passes can still
// fail Load for what only the database knows (a lost connection), never for a row.
func Check(r io.Reader) (int, error) {
	rows := &rowSource{csv: newReader(r), seen: map[string]int{}}
	n := 0
	for rows.Next() {
		n++
	}
	switch {
	case len(rows.problems) > 0:
		return 0, rows.problems
	case rows.err != nil:
		return 0, rows.err
	}
	return n, nil
}

// Load reads an import file from r into the database of tx's connection (the
// writer), in tx, and returns what it changed, or Problems and nothing changed.
// The caller commits, then drops the changed products' cache entries (Forget).
// While another import's transaction is open, it returns ErrImportRunning at once.
func Load(ctx context.Context, tx pgx.Tx, r io.Reader) (Result, error) {
	var locked bool
	if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1)`, importLock).Scan(&locked); err != nil {
		return Result{}, fmt.Errorf("import lock: %w", err)
	}
	if !locked {
		return Result{}, ErrImportRunning
	}
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE catalog_import (line int NOT NULL, sku text NOT NULL, name text NOT NULL,
		price_cents bigint NOT NULL, stock integer NOT NULL) ON COMMIT DROP`); err != nil {
		return Result{}, fmt.Errorf("import table: %w", err)
	}
	rows := &rowSource{csv: newReader(r), seen: map[string]int{}}
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"catalog_import"}, []string{"line", "sku", "name", "price_cents", "stock"}, rows)
	switch {
	case len(rows.problems) > 0:
		return Result{}, rows.problems
	case rows.err != nil:
		return Result{}, rows.err
	case err != nil:
		return Result{}, fmt.Errorf("copy rows: %w", err)
	}
	res := Result{Rows: int(n)}
	// Products: new ones inserted, others updated only where they differ.
	products, err := tx.Query(ctx, `INSERT INTO products (sku, name, price_cents) SELECT sku, name, price_cents FROM catalog_import
		ON CONFLICT (sku) DO UPDATE SET name = EXCLUDED.name, price_cents = EXCLUDED.price_cents, updated_at = now()
		WHERE (products.name, products.price_cents) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.price_cents)
		RETURNING id, xmax = 0`)
	if err != nil {
		return Result{}, fmt.Errorf("write products: %w", err)
	}
	changed := map[int64]bool{}
	for products.Next() {
		var id int64
		var inserted bool
		if err := products.Scan(&id, &inserted); err != nil {
			return Result{}, err
		}
		changed[id] = true
		if inserted {
			res.Added++
		} else {
			res.Changed++
		}
	}
	if err := products.Err(); err != nil {
		return Result{}, fmt.Errorf("write products: %w", err)
	}
	// Stock: set to the file's count where it differs.
	stock, err := tx.Query(ctx, `INSERT INTO stock (product_id, quantity)
		SELECT p.id, i.stock FROM catalog_import i JOIN products p USING (sku)
		ON CONFLICT (product_id) DO UPDATE SET quantity = EXCLUDED.quantity, updated_at = now()
		WHERE stock.quantity <> EXCLUDED.quantity
		RETURNING product_id`)
	if err != nil {
		return Result{}, fmt.Errorf("write stock: %w", err)
	}
	for stock.Next() {
		var id int64
		if err := stock.Scan(&id); err != nil {
			return Result{}, err
		}
		if !changed[id] {
			changed[id] = true
			res.Changed++
		}
	}
	if err := stock.Err(); err != nil {
		return Result{}, fmt.Errorf("write stock: %w", err)
	}
	res.Unchanged = res.Rows - res.Added - res.Changed
	for id := range changed {
		res.ChangedIDs = append(res.ChangedIDs, id)
	}
	return res, nil
}

// Forget drops the cache entries of the products a load changed, and every
// cached page, in batches. A cache that cannot be reached leaves its entries to
// their TTL: the error says so.
func Forget(ctx context.Context, cache Cache, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	const batch = 500
	for start := 0; start < len(ids); start += batch {
		keys := make([]string, 0, batch)
		for _, id := range ids[start:min(start+batch, len(ids))] {
			keys = append(keys, ProductKey(id))
		}
		if err := cache.Delete(ctx, keys...); err != nil {
			return fmt.Errorf("drop cached products (they expire with their TTL): %w", err)
		}
	}
	if err := cache.Incr(ctx, VersionKey); err != nil {
		return fmt.Errorf("retire cached pages (they expire with their TTL): %w", err)
	}
	return nil
}

func newReader(r io.Reader) *csv.Reader {
	c := csv.NewReader(r)
	c.FieldsPerRecord = -1 // counted per row, to say which row is wrong
	c.ReuseRecord = true
	return c
}

// rowSource is pgx.CopyFromSource over the file's rows: it checks each, passes
// the good ones to COPY, and collects the bad ones. Only the SKUs seen are kept
// in memory (to find duplicates), so a file of any length loads in bounded memory.
type rowSource struct {
	csv      *csv.Reader
	header   bool           // read
	seen     map[string]int // SKU → its first line
	values   []any
	problems Problems
	err      error
}

func (s *rowSource) Next() bool {
	for len(s.problems) < maxProblems {
		record, err := s.csv.Read()
		if errors.Is(err, io.EOF) {
			if !s.header {
				s.problems = append(s.problems, Problem{Line: 1, Reason: "empty file: want the header " + strings.Join(Header, ",") + " and one product per line"})
			}
			return false
		}
		if err != nil {
			var parse *csv.ParseError
			if !errors.As(err, &parse) {
				s.err = err
				return false
			}
			s.header = true
			s.problems = append(s.problems, Problem{Line: parse.Line, Reason: "not CSV: " + parse.Err.Error()})
			continue
		}
		line, _ := s.csv.FieldPos(0)
		if !s.header {
			s.header = true
			if !isHeader(record) {
				s.problems = append(s.problems, Problem{Line: line, Reason: fmt.Sprintf("header %q, want %q", strings.Join(record, ","), strings.Join(Header, ","))})
			}
			continue
		}
		values, reason := s.check(line, record)
		if reason != "" {
			s.problems = append(s.problems, Problem{Line: line, Reason: reason})
			continue
		}
		if len(s.problems) == 0 { // after a bad row, the rest is only checked
			s.values = values
			return true
		}
	}
	return false
}

func (s *rowSource) Values() ([]any, error) { return s.values, nil }
func (s *rowSource) Err() error             { return s.err }

// check returns a good row's values for COPY, or why it is bad.
func (s *rowSource) check(line int, r []string) ([]any, string) {
	if len(r) != len(Header) {
		return nil, fmt.Sprintf("%d columns, want %d (%s)", len(r), len(Header), strings.Join(Header, ","))
	}
	for i, v := range r {
		if !utf8.ValidString(v) {
			return nil, Header[i] + ": not UTF-8"
		}
	}
	sku, name := strings.TrimSpace(r[0]), strings.TrimSpace(r[1])
	switch {
	case sku == "":
		return nil, "sku: empty"
	case utf8.RuneCountInString(sku) > MaxSKULength:
		return nil, fmt.Sprintf("sku: %d characters, want at most %d", utf8.RuneCountInString(sku), MaxSKULength)
	case strings.IndexFunc(sku, unicode.IsSpace) >= 0:
		return nil, fmt.Sprintf("sku %q: want no spaces", sku)
	case name == "":
		return nil, "name: empty"
	case utf8.RuneCountInString(name) > MaxNameLength:
		return nil, fmt.Sprintf("name: %d characters, want at most %d", utf8.RuneCountInString(name), MaxNameLength)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return nil, "name: control characters (a tab, a line break), want none"
	}
	if first, dup := s.seen[sku]; dup {
		return nil, fmt.Sprintf("sku %q: duplicate of line %d", sku, first)
	}
	price, err := strconv.ParseInt(strings.TrimSpace(r[2]), 10, 64)
	if err != nil || price < 0 {
		return nil, fmt.Sprintf("price_cents %q: want a whole number of cents, 0 or more", r[2])
	}
	stock, err := strconv.ParseInt(strings.TrimSpace(r[3]), 10, 32)
	if err != nil || stock < 0 {
		return nil, fmt.Sprintf("stock %q: want a whole number, 0 to %d", r[3], MaxStock)
	}
	s.seen[sku] = line
	// A name that looks like a spreadsheet formula (=, +, -, @) is text like any
	// other: stored and served as written, never evaluated.
	return []any{int32(line), sku, name, price, int32(stock)}, ""
}

// isHeader reports whether r is Header, allowing a byte-order mark and spaces.
func isHeader(r []string) bool {
	if len(r) != len(Header) {
		return false
	}
	for i := range r {
		if strings.TrimSpace(strings.TrimPrefix(r[i], "\ufeff")) != Header[i] {
			return false
		}
	}
	return true
}
