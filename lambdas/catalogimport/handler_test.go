package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/redis/go-redis/v9"

	"github.com/example/scalable-web/internal/catalog"
	"github.com/example/scalable-web/internal/schema"
	"github.com/example/scalable-web/internal/testdb"
)

var quiet = slog.New(slog.NewJSONHandler(io.Discard, nil))

// fakeS3 is the import bucket on loopback: GetObject of what the test put, 404
// otherwise, and the keys it was asked for.
type fakeS3 struct {
	mu      sync.Mutex
	objects map[string]string // by "/bucket/key"
	asked   []string
}

func (f *fakeS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, r.Method+" "+r.URL.Path)
	body, ok := f.objects[r.URL.Path]
	if r.Method != http.MethodGet || !ok {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>`)
		return
	}
	_, _ = io.WriteString(w, body)
}

const bucket = "shop-test-imports"

// setUp is the handler as main wires it, on the local services: the fake bucket
// through the real S3 client, the test's database as the catalog's role, and a
// Redis database of its own.
func setUp(t *testing.T) (Handler, *fakeS3, *testdb.DB, *redis.Client) {
	t.Helper()
	fake := &fakeS3{objects: map[string]string{}}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	client := s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true, RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
	db := testdb.New(t)
	// Database 5 of the local Redis is this package's own.
	rdb := redis.NewClient(&redis.Options{Addr: testdb.Env(t, "SHOP_TEST_REDIS"), DB: 5})
	t.Cleanup(func() { rdb.Close() })
	if err := rdb.FlushDB(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	h := Handler{
		Objects: S3Objects{Client: client, Bucket: bucket},
		DB:      db.PoolAs(t, schema.CatalogRole, false),
		Cache:   catalog.RedisCache{Client: rdb},
		Log:     quiet,
	}
	return h, fake, db, rdb
}

// request is the fixture's request, with its file put in the fake bucket.
func request(t *testing.T, fake *fakeS3, file string) catalog.ImportRequest {
	t.Helper()
	b, err := os.ReadFile("testdata/request.json")
	if err != nil {
		t.Fatal(err)
	}
	var req catalog.ImportRequest
	if err := json.Unmarshal(b, &req); err != nil {
		t.Fatal(err)
	}
	fake.mu.Lock()
	fake.objects["/"+bucket+"/"+req.Key] = file
	fake.mu.Unlock()
	return req
}

const good = "sku,name,price_cents,stock\nTB-1,Toothbrush,299,40\nKT-1,Kettle,1999,5\n"

// TestGoodFileLoadsAndDropsItsCacheEntries: a good file is loaded as the catalog's
// role, the changed products' entries and every cached page are dropped, and the
// answer says so; the same file again changes and drops nothing.
func TestGoodFileLoadsAndDropsItsCacheEntries(t *testing.T) {
	h, fake, db, rdb := setUp(t)
	ctx := context.Background()
	// A product the shop has cached before the import changes its price.
	db.Exec(t, `INSERT INTO products (sku, name, price_cents) VALUES ('KT-1', 'Kettle', 1799)`)
	db.Exec(t, `INSERT INTO stock (product_id, quantity) SELECT id, 5 FROM products WHERE sku = 'KT-1'`)
	kettle := int64(db.Int(t, `SELECT id FROM products WHERE sku = 'KT-1'`))
	rdb.Set(ctx, catalog.ProductKey(kettle), `{"priceCents":1799}`, 0)
	rdb.Set(ctx, catalog.VersionKey, 1, 0)

	answer, err := h.Handle(ctx, request(t, fake, good))
	want := catalog.ImportAnswer{Rows: 2, Added: 1, Changed: 1, Unchanged: 0, Dropped: 2}
	if err != nil || !equal(answer, want) {
		t.Fatalf("got %+v, %v; want %+v", answer, err, want)
	}
	if n := db.Int(t, `SELECT price_cents FROM products WHERE sku = 'KT-1'`); n != 1999 {
		t.Errorf("kettle costs %d, want 1999", n)
	}
	if n, _ := rdb.Exists(ctx, catalog.ProductKey(kettle)).Result(); n != 0 {
		t.Error("the repriced product is still cached: the shop would serve the old price")
	}
	if v, _ := rdb.Get(ctx, catalog.VersionKey).Int(); v != 2 {
		t.Errorf("catalog version %d, want 2: cached pages must be retired", v)
	}
	if got := answer.Summary(); got != "2 products: 1 added, 1 changed, 0 unchanged" {
		t.Errorf("summary %q", got)
	}

	// The same file again: nothing changes, nothing is dropped.
	rdb.Set(ctx, catalog.ProductKey(kettle), `{"priceCents":1999}`, 0)
	answer, err = h.Handle(ctx, request(t, fake, good))
	if want := (catalog.ImportAnswer{Rows: 2, Unchanged: 2}); err != nil || !equal(answer, want) {
		t.Errorf("again: %+v, %v; want %+v", answer, err, want)
	}
	if n, _ := rdb.Exists(ctx, catalog.ProductKey(kettle)).Result(); n != 1 {
		t.Error("an unchanged product's entry was dropped")
	}
	if v, _ := rdb.Get(ctx, catalog.VersionKey).Int(); v != 2 {
		t.Errorf("catalog version %d after a reimport that changed nothing, want 2", v)
	}
}

// TestBadFileLoadsNothingAndAnswersEachProblem: a file with bad rows is an answer,
// not an error: each bad row by line and reason, nothing loaded, nothing dropped.
func TestBadFileLoadsNothingAndAnswersEachProblem(t *testing.T) {
	h, fake, db, rdb := setUp(t)
	ctx := context.Background()
	rdb.Set(ctx, catalog.VersionKey, 1, 0)
	bad := "sku,name,price_cents,stock\nNW-1,New,100,1\nTB-1,,299,40\nKT-1,Kettle,-5,5\n"
	answer, err := h.Handle(ctx, request(t, fake, bad))
	want := catalog.ImportAnswer{Problems: catalog.Problems{
		{Line: 3, Reason: "name: empty"},
		{Line: 4, Reason: `price_cents "-5": want a whole number of cents, 0 or more`},
	}}
	if err != nil || !equal(answer, want) {
		t.Fatalf("got %+v, %v; want %+v", answer, err, want)
	}
	if n := db.Int(t, `SELECT count(*) FROM products`); n != 0 {
		t.Errorf("%d products loaded from a bad file, want none", n)
	}
	if v, _ := rdb.Get(ctx, catalog.VersionKey).Int(); v != 1 {
		t.Errorf("catalog version %d, want 1: nothing changed, so nothing is retired", v)
	}
	// The answer crosses Lambda as JSON: the problems keep their lines.
	b, _ := json.Marshal(answer)
	if !strings.Contains(string(b), `"problems":[{"line":3,"reason":"name: empty"}`) {
		t.Errorf("answer as JSON: %s", b)
	}
}

// TestWhileAnotherImportRuns: an import that arrives while another's transaction
// is open loads nothing and says so.
func TestWhileAnotherImportRuns(t *testing.T) {
	h, fake, db, _ := setUp(t)
	ctx := context.Background()
	other, err := db.Primary.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = other.Rollback(ctx) }()
	if _, err := catalog.Load(ctx, other, strings.NewReader(good)); err != nil {
		t.Fatal(err)
	}
	answer, err := h.Handle(ctx, request(t, fake, good))
	if err != nil || !answer.Running || answer.Rows != 0 {
		t.Errorf("got %+v, %v; want Running and nothing loaded", answer, err)
	}
}

// TestCacheDownTheLoadStands: a cache that cannot be reached leaves the load
// committed and the answer says why its entries wait for their TTL.
func TestCacheDownTheLoadStands(t *testing.T) {
	h, fake, db, _ := setUp(t)
	h.Cache = catalog.RedisCache{Client: redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})}
	answer, err := h.Handle(context.Background(), request(t, fake, good))
	if err != nil || answer.Added != 2 || answer.Dropped != 0 || !strings.Contains(answer.CacheError, "expire with their TTL") {
		t.Errorf("got %+v, %v; want 2 added and the cache's error", answer, err)
	}
	if n := db.Int(t, `SELECT count(*) FROM products`); n != 2 {
		t.Errorf("%d products, want the load to stand (2)", n)
	}
}

// TestOnlyUploadedFilesAreRead: a key outside the import prefix is refused before
// the bucket is asked; a key with no object is the function's error.
func TestOnlyUploadedFilesAreRead(t *testing.T) {
	h, fake, _, _ := setUp(t)
	for _, key := range []string{"", "imports/", "reports/daily/2026-11-30.json", "imports/../reports/x.json", "/imports/x.csv"} {
		if _, err := h.Handle(context.Background(), catalog.ImportRequest{Key: key}); err == nil || !strings.Contains(err.Error(), "want an uploaded file under imports/") {
			t.Errorf("key %q: %v, want refused", key, err)
		}
	}
	if len(fake.asked) != 0 {
		t.Errorf("the bucket was asked %v, want nothing", fake.asked)
	}
	_, err := h.Handle(context.Background(), catalog.ImportRequest{Key: "imports/missing.csv"})
	var noKey interface{ ErrorCode() string }
	if !errors.As(err, &noKey) || noKey.ErrorCode() != "NoSuchKey" {
		t.Errorf("a missing object: %v, want S3's NoSuchKey", err)
	}
}

func equal(a, b catalog.ImportAnswer) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
