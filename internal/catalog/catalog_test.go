package catalog_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/example/scalable-web/internal/catalog"
	"github.com/example/scalable-web/internal/schema"
	"github.com/example/scalable-web/internal/testdb"
)

// load runs one import of file on db in a transaction, committed when it loads.
func load(t testing.TB, db *testdb.DB, file string) (catalog.Result, error) {
	t.Helper()
	var res catalog.Result
	err := pgx.BeginFunc(context.Background(), db.Primary, func(tx pgx.Tx) error {
		var err error
		res, err = catalog.Load(context.Background(), tx, strings.NewReader(file))
		return err
	})
	slices.Sort(res.ChangedIDs)
	return res, err
}

type product struct {
	SKU, Name         string
	PriceCents, Stock int64
}

func products(t *testing.T, db *testdb.DB) []product {
	t.Helper()
	rows, err := db.Primary.Query(context.Background(), `SELECT p.sku, p.name, p.price_cents, coalesce(s.quantity, -1) FROM products p LEFT JOIN stock s ON s.product_id = p.id ORDER BY p.sku`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[product])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

const good = "sku,name,price_cents,stock\n" +
	"TB-1,Toothbrush,299,40\n" +
	"KT-1,\"Kettle, 1.7 l\",1999,5\n" +
	"FX-1,\"=HYPERLINK(\"\"http://example.com\"\")\",100,0\n" +
	"CB-1,Crème brûlée torch,2450,3\n"

// TestLoadAndReload: a file loads every product with its stock, names as
// written (a formula-looking one is text); the same file again changes nothing;
// a changed price or stock changes that product only.
func TestLoadAndReload(t *testing.T) {
	db := testdb.New(t)
	res, err := load(t, db, good)
	if err != nil || res.Rows != 4 || res.Added != 4 || res.Changed != 0 || len(res.ChangedIDs) != 4 {
		t.Fatalf("first load: %+v, %v; want 4 added", res, err)
	}
	want := []product{{"CB-1", "Crème brûlée torch", 2450, 3}, {"FX-1", `=HYPERLINK("http://example.com")`, 100, 0}, {"KT-1", "Kettle, 1.7 l", 1999, 5}, {"TB-1", "Toothbrush", 299, 40}}
	if got := products(t, db); !reflect.DeepEqual(got, want) {
		t.Errorf("products %v, want %v", got, want)
	}

	var before, after string
	stamps := `SELECT string_agg(updated_at::text, ',' ORDER BY sku) FROM products`
	_ = db.Primary.QueryRow(context.Background(), stamps).Scan(&before)
	res, err = load(t, db, good)
	_ = db.Primary.QueryRow(context.Background(), stamps).Scan(&after)
	if before != after {
		t.Errorf("same file again rewrote products: updated_at %s, then %s", before, after)
	}
	if err != nil || res.Unchanged != 4 || res.Added+res.Changed != 0 || len(res.ChangedIDs) != 0 {
		t.Errorf("same file again: %+v, %v; want 4 unchanged and nothing to forget", res, err)
	}
	var kettle, brush int64
	_ = db.Primary.QueryRow(context.Background(), `SELECT id FROM products WHERE sku = 'KT-1'`).Scan(&kettle)
	_ = db.Primary.QueryRow(context.Background(), `SELECT id FROM products WHERE sku = 'TB-1'`).Scan(&brush)
	changed := strings.Replace(strings.Replace(good, "KT-1,\"Kettle, 1.7 l\",1999,5", "KT-1,\"Kettle, 1.7 l\",2199,5", 1), "TB-1,Toothbrush,299,40", "TB-1,Toothbrush,299,38", 1)
	res, err = load(t, db, changed)
	wantIDs := []int64{min(kettle, brush), max(kettle, brush)}
	if err != nil || res.Changed != 2 || res.Unchanged != 2 || !slices.Equal(res.ChangedIDs, wantIDs) {
		t.Errorf("a price and a stock changed: %+v, %v; want those two products (%v) changed", res, err, wantIDs)
	}
}

// TestLoadAsTheCatalogRole: the catalog's own database role (schema.CatalogRole,
// as a deployed import logs in) may do all that a load does: add, change, and
// reload with nothing to change.
func TestLoadAsTheCatalogRole(t *testing.T) {
	db := testdb.New(t)
	pool := db.PoolAs(t, schema.CatalogRole, false)
	loadAs := func(file string) (catalog.Result, error) {
		var res catalog.Result
		err := pgx.BeginFunc(context.Background(), pool, func(tx pgx.Tx) error {
			var err error
			res, err = catalog.Load(context.Background(), tx, strings.NewReader(file))
			return err
		})
		return res, err
	}
	if res, err := loadAs(good); err != nil || res.Added != 4 {
		t.Fatalf("first load as %s: %+v, %v; want 4 added", schema.CatalogRole, res, err)
	}
	if res, err := loadAs(strings.Replace(good, "TB-1,Toothbrush,299,40", "TB-1,Toothbrush,349,41", 1)); err != nil || res.Changed != 1 || res.Unchanged != 3 {
		t.Errorf("a change as %s: %+v, %v; want 1 changed", schema.CatalogRole, res, err)
	}
}

// TestBadRowsLoadNothing: every bad row is reported by line with its reason, and
// nothing of the file is loaded, not even its good rows.
func TestBadRowsLoadNothing(t *testing.T) {
	db := testdb.New(t)
	file := "sku,name,price_cents,stock\n" +
		"OK-1,Fine,100,1\n" + // 2
		"OK-2,Short row,100\n" + // 3
		"OK-1,Again,100,1\n" + // 4
		"EM-1,,100,1\n" + // 5
		"NG-1,Negative,-1,1\n" + // 6
		"FR-1,Fraction,1.50,1\n" + // 7
		"ST-1,Stock,100,many\n" + // 8
		"LN-1," + strings.Repeat("n", catalog.MaxNameLength+1) + ",100,1\n" + // 9
		",No SKU,100,1\n" + // 10
		"OK-3,Fine too,100,1\n" // 11
	_, err := load(t, db, file)
	var problems catalog.Problems
	if !errors.As(err, &problems) {
		t.Fatalf("got %v, want the bad rows", err)
	}
	want := catalog.Problems{
		{Line: 3, Reason: "3 columns, want 4 (sku,name,price_cents,stock)"},
		{Line: 4, Reason: `sku "OK-1": duplicate of line 2`},
		{Line: 5, Reason: "name: empty"},
		{Line: 6, Reason: `price_cents "-1": want a whole number of cents, 0 or more`},
		{Line: 7, Reason: `price_cents "1.50": want a whole number of cents, 0 or more`},
		{Line: 8, Reason: fmt.Sprintf(`stock "many": want a whole number, 0 to %d`, catalog.MaxStock)},
		{Line: 9, Reason: fmt.Sprintf("name: %d characters, want at most %d", catalog.MaxNameLength+1, catalog.MaxNameLength)},
		{Line: 10, Reason: "sku: empty"},
	}
	if !reflect.DeepEqual(problems, want) {
		t.Errorf("problems:\n%v\nwant:\n%v", problems, want)
	}
	if !strings.HasPrefix(err.Error(), "8 bad row(s), nothing loaded:\nline 3: 3 columns") {
		t.Errorf("message %q, want a count then one line per bad row", err.Error())
	}
	if got := products(t, db); len(got) != 0 {
		t.Errorf("loaded %v, want nothing", got)
	}
}

// TestCheckFindsWhatLoadFinds: the check without a database reports the same
// bad rows, on the same lines, as a load, and counts a good file's products.
func TestCheckFindsWhatLoadFinds(t *testing.T) {
	if n, err := catalog.Check(strings.NewReader(good)); err != nil || n != 4 {
		t.Errorf("good file: %d, %v; want 4 products", n, err)
	}
	db := testdb.New(t)
	for _, file := range []string{
		"",
		"TB-1,Toothbrush,299,40\n",
		"sku,name,price_cents,stock\nOK-1,Fine,100,1\nOK-1,Again,100,1\nEM-1,,100,1\nTB-1,\"Tooth\"brush,299,40\nNG-1,Negative,-1,1\n",
	} {
		_, checked := catalog.Check(strings.NewReader(file))
		_, loaded := load(t, db, file)
		var a, b catalog.Problems
		if !errors.As(checked, &a) || !errors.As(loaded, &b) || !reflect.DeepEqual(a, b) {
			t.Errorf("%q: Check says %v, Load %v; want the same problems", file, checked, loaded)
		}
	}
}

// TestImportsDoNotRace: while one import's transaction is open, another on the
// same database changes nothing and says why; once it ends, the next one runs.
func TestImportsDoNotRace(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	first, err := db.Primary.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := catalog.Load(ctx, first, strings.NewReader(good)); err != nil {
		t.Fatal(err)
	}
	if _, err := load(t, db, "sku,name,price_cents,stock\nNW-1,New,1,1\n"); !errors.Is(err, catalog.ErrImportRunning) {
		t.Errorf("a second import meanwhile: %v, want ErrImportRunning", err)
	}
	if err := first.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if res, err := load(t, db, "sku,name,price_cents,stock\nNW-1,New,1,1\n"); err != nil || res.Added != 1 {
		t.Errorf("after the first committed: %+v, %v; want it loaded", res, err)
	}
	if got := len(products(t, db)); got != 5 {
		t.Errorf("%d products, want 5", got)
	}
}

// TestFileShape: a wrong or missing header, an empty file and broken CSV quoting
// are reported on their line.
func TestFileShape(t *testing.T) {
	db := testdb.New(t)
	for _, tt := range []struct{ name, file, want string }{
		{"empty", "", "line 1: empty file: want the header sku,name,price_cents,stock and one product per line"},
		{"no header", "TB-1,Toothbrush,299,40\n", `line 1: header "TB-1,Toothbrush,299,40", want "sku,name,price_cents,stock"`},
		{"broken quotes", "sku,name,price_cents,stock\nTB-1,\"Tooth\"brush,299,40\n", `line 2: not CSV: extraneous or missing " in quoted-field`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, db, tt.file)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
	// A byte-order mark, as spreadsheets write one, and CRLF line ends are fine.
	if res, err := load(t, db, "\ufeffsku,name,price_cents,stock\r\nBM-1,Marked,1,1\r\n"); err != nil || res.Added != 1 {
		t.Errorf("a file with a BOM and CRLF: %+v, %v; want it loaded", res, err)
	}
}

// TestForgetDropsChangedProductsOnly: after a load, the changed products' cache
// entries are gone and every page is retired; others stay cached.
func TestForgetDropsChangedProductsOnly(t *testing.T) {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: testdb.Env(t, "SHOP_TEST_REDIS"), DB: 3})
	t.Cleanup(func() { rdb.Close() })
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{catalog.ProductKey(1), catalog.ProductKey(2), catalog.ProductKey(3)} {
		rdb.Set(ctx, k, "{}", 0)
	}
	rdb.Set(ctx, catalog.VersionKey, 7, 0)
	if err := catalog.Forget(ctx, catalog.RedisCache{Client: rdb}, []int64{1, 3}); err != nil {
		t.Fatal(err)
	}
	left, _ := rdb.Keys(ctx, "product:*").Result()
	version, _ := rdb.Get(ctx, catalog.VersionKey).Int()
	if !slices.Equal(left, []string{catalog.ProductKey(2)}) || version != 8 {
		t.Errorf("left %v, version %d; want only product 2 cached, version 8", left, version)
	}
}

// BenchmarkLoad100k loads 100,000 products into an empty catalog, then the same
// file again (nothing to change): make bench-catalog prints both.
func BenchmarkLoad100k(b *testing.B) {
	var file strings.Builder
	file.WriteString("sku,name,price_cents,stock\n")
	for i := range 100_000 {
		fmt.Fprintf(&file, "SKU-%06d,Product number %d,%d,%d\n", i, i, 100+i%5000, i%1000)
	}
	for b.Loop() {
		b.StopTimer()
		db := testdb.New(b)
		b.StartTimer()
		if res, err := load(b, db, file.String()); err != nil || res.Added != 100_000 {
			b.Fatalf("%+v, %v", res, err)
		}
		if res, err := load(b, db, file.String()); err != nil || res.Unchanged != 100_000 {
			b.Fatalf("again: %+v, %v", res, err)
		}
	}
}
