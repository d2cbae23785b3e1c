package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/example/scalable-web/internal/catalog"
	"github.com/example/scalable-web/internal/testdb"
)

// TestImportCommand runs the command as make catalog-import does, against the
// local services: a good file loads and drops its products from the cache, the
// same file again changes nothing, and a bad file prints each bad row and loads
// nothing.
func TestImportCommand(t *testing.T) {
	db := testdb.New(t)
	dir := t.TempDir()
	write := func(name, body string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	// Database 4 of the local Redis is this test's own.
	addr := "redis://" + testdb.Env(t, "SHOP_TEST_REDIS") + "/4"
	opts, _ := redis.ParseURL(addr)
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { rdb.Close() })
	if err := rdb.FlushDB(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	cmd := func(file string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := run([]string{"-file", file, "-database", db.PrimaryURL, "-redis", addr}, &stdout, &stderr, nil)
		return code, stdout.String(), stderr.String()
	}

	good := write("good.csv", "sku,name,price_cents,stock\nTB-1,Toothbrush,299,40\nKT-1,Kettle,1999,5\n")
	code, out, errOut := cmd(good)
	if code != 0 || !strings.HasPrefix(out, good+": 2 products: 2 added, 0 changed, 0 unchanged, in ") || !strings.Contains(out, "dropped 2 products and every page from the cache") {
		t.Fatalf("good file: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if n := db.Int(t, `SELECT count(*) FROM products`); n != 2 {
		t.Errorf("%d products, want 2", n)
	}
	var id int64
	_ = db.Primary.QueryRow(context.Background(), `SELECT id FROM products WHERE sku = 'KT-1'`).Scan(&id)
	rdb.Set(context.Background(), catalog.ProductKey(id), `{"stale":true}`, 0)
	if code, out, _ := cmd(good); code != 0 || !strings.Contains(out, "0 added, 0 changed, 2 unchanged") || strings.Contains(out, "dropped") {
		t.Errorf("same file again: exit %d, %q; want nothing changed or dropped", code, out)
	}
	if n, _ := rdb.Exists(context.Background(), catalog.ProductKey(id)).Result(); n != 1 {
		t.Error("an unchanged product's cache entry was dropped")
	}
	if code, out, _ := cmd(write("price.csv", "sku,name,price_cents,stock\nTB-1,Toothbrush,299,40\nKT-1,Kettle,2199,5\n")); code != 0 || !strings.Contains(out, "0 added, 1 changed, 1 unchanged") {
		t.Errorf("a new price: exit %d, %q", code, out)
	}
	if n, _ := rdb.Exists(context.Background(), catalog.ProductKey(id)).Result(); n != 0 {
		t.Error("the repriced product's cache entry is still there: it would be served stale")
	}

	bad := write("bad.csv", "sku,name,price_cents,stock\nNW-1,New,100,1\nTB-1,,299,40\nKT-1,Kettle,-5,5\n")
	code, out, errOut = cmd(bad)
	want := bad + ": 2 bad row(s), nothing loaded:\nline 3: name: empty\nline 4: price_cents \"-5\": want a whole number of cents, 0 or more\n"
	if code != 1 || out != "" || errOut != want {
		t.Errorf("bad file: exit %d, stdout %q, stderr %q; want 1 and\n%s", code, out, errOut, want)
	}
	if n := db.Int(t, `SELECT count(*) FROM products WHERE sku = 'NW-1'`); n != 0 {
		t.Error("the bad file's good row was loaded")
	}
	if code, _, errOut := cmd(filepath.Join(dir, "missing.csv")); code != 1 || !strings.Contains(errOut, "no such file") {
		t.Errorf("missing file: exit %d, %q", code, errOut)
	}
}
