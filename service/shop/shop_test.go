package shop

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/example/scalable-web/internal/orderevents"
	"github.com/example/scalable-web/internal/pg"
	"github.com/example/scalable-web/internal/schema"
	"github.com/example/scalable-web/internal/testdb"
)

var quiet = slog.New(slog.NewJSONHandler(io.Discard, nil))

// go-redis logs each failed dial itself; the Redis-down test makes many on purpose.
type silentRedis struct{}

func (silentRedis) Printf(context.Context, string, ...any) {}

func init() { redis.SetLogger(silentRedis{}) }

// shopUnderTest is the service wired to the local services, as main wires it.
type shopUnderTest struct {
	db     *testdb.DB
	dbs    *Databases
	cache  *Cache
	relay  *Relay
	server *Server
	http   *httptest.Server
}

type options struct {
	redisAddr   string // default: the local Redis
	replica     *pgxpool.Pool
	noReplica   bool
	maxLag      time.Duration
	cacheTTL    time.Duration
	awsEndpoint string // default: goaws
	// faults wires the shop as main does (its pools' limits, its timeouts and
	// cache client) to the fault set of local services, which tests freeze.
	faults bool
	// standby points the primary pool (and so the relay) at the replica, as in a
	// standby region before a failover promotes its read replica.
	standby bool
	// storefront serves the storefront (service/static) with the security headers,
	// as main does on the local run.
	storefront bool
}

func newShop(t *testing.T, o options) *shopUnderTest {
	t.Helper()
	set := testdb.TestSet
	if o.faults {
		set = testdb.FaultSet
	}
	db := testdb.NewIn(t, set)
	db.Exec(t, `INSERT INTO products (sku, name, price_cents) SELECT 'SKU-' || n, 'product ' || n, 100 * n FROM generate_series(1, 50) n`)
	db.WaitForReplica(t)

	addr := o.redisAddr
	if addr == "" {
		addr = testdb.Env(t, set+"_REDIS")
	}
	// Each test gets an empty cache of its own: Redis database 1, flushed.
	redisOptions := &redis.Options{Addr: addr, DialTimeout: 200 * time.Millisecond, MaxRetries: -1}
	if o.faults {
		redisOptions = RedisOptions(addr)
	}
	redisOptions.DB = 1
	rdb := redis.NewClient(redisOptions)
	t.Cleanup(func() { rdb.Close() })
	if o.redisAddr == "" {
		if err := rdb.FlushDB(context.Background()).Err(); err != nil {
			t.Fatalf("flush the local Redis: %v", err)
		}
	}
	// The shop logs in as the service's role, as in AWS.
	primary, replica := servicePool(t, db.RoleURL(t, schema.ServiceRole, false)), servicePool(t, db.RoleURL(t, schema.ServiceRole, true))
	if o.standby {
		primary = servicePool(t, db.RoleURL(t, schema.ServiceRole, true))
	}
	if o.replica != nil {
		replica = o.replica
	}
	if o.noReplica {
		replica = nil
	}
	if o.maxLag == 0 {
		o.maxLag = 30 * time.Second
	}
	if o.cacheTTL == 0 {
		o.cacheTTL = time.Minute
	}
	s := &shopUnderTest{db: db}
	readTimeout, writeTimeout, cacheTimeout := 5*time.Second, 5*time.Second, 200*time.Millisecond
	if o.faults {
		readTimeout, writeTimeout, cacheTimeout = DefaultReadTimeout, DefaultWriteTimeout, 0
	}
	s.dbs = &Databases{Primary: primary, Replica: replica, MaxLag: o.maxLag, Log: quiet}
	if replica != nil {
		s.dbs.checkReplica(context.Background())
	}
	s.cache = &Cache{Client: rdb, TTL: o.cacheTTL, Timeout: cacheTimeout, Log: quiet}
	snsClient, _ := localAWS(t, o.awsEndpoint)
	s.relay = &Relay{DB: primary, Publisher: snsClient, TopicARN: "arn:aws:sns:us-east-1:100010001000:none", Log: quiet,
		Interval: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, PublishTimeout: 2 * time.Second}
	s.server = &Server{
		Catalog: &Catalog{DB: s.dbs, Cache: s.cache, QueryTimeout: readTimeout},
		Orders:  &Orders{DB: s.dbs, QueryTimeout: writeTimeout},
		Relay:   s.relay, DB: s.dbs, Cache: s.cache, Log: quiet, AdminToken: "secret-admin-token",
	}
	if o.storefront {
		s.server.Static, s.server.SecurityHeaders = os.DirFS("../static"), true
	}
	s.http = httptest.NewServer(s.server.Handler())
	t.Cleanup(s.http.Close)
	return s
}

// servicePool is a pool as main opens it: with the service's session limits.
func servicePool(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pg.OpenURL(context.Background(), url, pg.ServiceLimits)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func localAWS(t *testing.T, endpoint string) (*sns.Client, *sqs.Client) {
	t.Helper()
	if endpoint == "" {
		endpoint = testdb.Env(t, "SHOP_TEST_AWS_ENDPOINT")
	}
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), RetryMaxAttempts: 1}
	return sns.NewFromConfig(cfg, func(o *sns.Options) { o.BaseEndpoint = &endpoint }),
		sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = &endpoint })
}

// do sends a request and decodes the JSON answer into out (when not nil).
func (s *shopUnderTest) do(t *testing.T, method, path, body string, header map[string]string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, s.http.URL+path, strings.NewReader(body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return resp.StatusCode
}

func TestCacheAsideHitMissInvalidation(t *testing.T) {
	s := newShop(t, options{})
	var p Product
	if code := s.do(t, "GET", "/api/products/7", "", nil, &p); code != 200 || p.Name != "product 7" || p.PriceCents != 700 {
		t.Fatalf("got %d %+v", code, p)
	}
	if q := s.server.Catalog.Queries(); q != 1 {
		t.Errorf("after a miss: %d queries, want 1", q)
	}
	s.do(t, "GET", "/api/products/7", "", nil, &p)
	if q := s.server.Catalog.Queries(); q != 1 {
		t.Errorf("after a hit: %d queries, want still 1", q)
	}
	auth := map[string]string{"Authorization": "Bearer secret-admin-token"}
	if code := s.do(t, "PUT", "/api/admin/products/7", `{"name":"seven","priceCents":777}`, auth, nil); code != 200 {
		t.Fatalf("update: %d", code)
	}
	s.db.WaitForReplica(t)
	s.do(t, "GET", "/api/products/7", "", nil, &p)
	if p.Name != "seven" || p.PriceCents != 777 || s.server.Catalog.Queries() != 2 {
		t.Errorf("after the update: %+v after %d queries, want the new product from a fresh query", p, s.server.Catalog.Queries())
	}
	var page Page
	s.do(t, "GET", "/api/products?limit=10", "", nil, &page)
	s.do(t, "GET", "/api/products?limit=10", "", nil, &page)
	if len(page.Products) != 10 || page.Next != "10" || s.server.Catalog.Queries() != 3 {
		t.Errorf("pages: %d products, next %q, %d queries; want 10, \"10\" and one query for two reads", len(page.Products), page.Next, s.server.Catalog.Queries())
	}
	if code := s.do(t, "PUT", "/api/admin/products/7", `{"name":"x","priceCents":1}`, nil, nil); code != 401 {
		t.Errorf("update without the admin token: %d, want 401", code)
	}
}

// TestSingleFlightOnAnExpiredKey sends 200 concurrent reads of a key that just
// expired, while the database is held up, and wants one query for all of them.
func TestSingleFlightOnAnExpiredKey(t *testing.T) {
	s := newShop(t, options{noReplica: true, cacheTTL: 100 * time.Millisecond})
	s.do(t, "GET", "/api/products/3", "", nil, nil) // cached, 1 query
	time.Sleep(200 * time.Millisecond)              // expired
	// The refill must outlive the test: on a loaded machine a request that arrives
	// late must find it, not a second expiry.
	s.cache.TTL = time.Hour

	// Hold the products table so the refill query waits until all 200 are in.
	ctx := context.Background()
	lock, err := s.db.Primary.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.Exec(ctx, "LOCK TABLE products IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	codes := make([]int, 200)
	for i := range codes {
		wg.Go(func() {
			resp, err := http.Get(s.http.URL + "/api/products/3")
			if err == nil {
				codes[i] = resp.StatusCode
				resp.Body.Close()
			}
		})
	}
	time.Sleep(300 * time.Millisecond)
	_ = lock.Rollback(ctx)
	wg.Wait()
	for i, c := range codes {
		if c != 200 {
			t.Fatalf("request %d: status %d", i, c)
		}
	}
	if q := s.server.Catalog.Queries(); q != 2 {
		t.Errorf("got %d queries, want 2: one before expiry, one for the 200 concurrent misses", q)
	}
}

func TestReadYourOwnWrite(t *testing.T) {
	// The replica here is another, empty database: any read of the new order from
	// a replica would miss it.
	other := testdb.New(t)
	s := newShop(t, options{replica: other.Replica})
	var placed, got Order
	if code := s.do(t, "POST", "/api/orders", `{"customerEmail":"a@example.com","lines":[{"productId":2,"quantity":3}]}`, nil, &placed); code != 201 {
		t.Fatalf("place: %d", code)
	}
	if code := s.do(t, "GET", "/api/orders/"+placed.ID, "", nil, &got); code != 200 || got.ID != placed.ID || got.TotalCents != 600 {
		t.Errorf("read back at once: %d %+v, want the order from the primary", code, got)
	}
	if inUse, _ := s.dbs.ReplicaState(); !inUse {
		t.Errorf("the replica should serve plain reads in this test")
	}
}

func TestReplicaDownReadsFromPrimary(t *testing.T) {
	dead, err := pgxpool.New(context.Background(), "postgres://shop@127.0.0.1:1/shop?connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	s := newShop(t, options{replica: dead})
	var p Product
	if code := s.do(t, "GET", "/api/products/5", "", nil, &p); code != 200 || p.ID != 5 {
		t.Errorf("got %d %+v, want the product from the primary", code, p)
	}
	var ready map[string]any
	s.do(t, "GET", "/readyz", "", nil, &ready)
	if ready["replica"] != false {
		t.Errorf("readyz %v, want the replica reported out of use", ready)
	}
}

func TestLaggingReplicaIsNotRead(t *testing.T) {
	s := newShop(t, options{maxLag: -time.Nanosecond}) // any lag is too much
	if inUse, _ := s.dbs.ReplicaState(); inUse {
		t.Errorf("a replica beyond the lag bound serves reads")
	}
	if code := s.do(t, "GET", "/api/products/5", "", nil, nil); code != 200 {
		t.Errorf("got %d, want the product from the primary", code)
	}
}

func TestRedisDownReadsFromDatabase(t *testing.T) {
	s := newShop(t, options{redisAddr: "127.0.0.1:1"})
	for range 2 {
		if code := s.do(t, "GET", "/api/products/9", "", nil, nil); code != 200 {
			t.Fatalf("got %d, want the product from the database", code)
		}
	}
	var ready map[string]any
	if code := s.do(t, "GET", "/readyz", "", nil, &ready); code != 200 || ready["cache"] != false || ready["primary"] != true {
		t.Errorf("readyz %d %v, want ready with the cache reported down", code, ready)
	}
}

func TestIdempotentPost(t *testing.T) {
	s := newShop(t, options{})
	body := `{"customerEmail":"a@example.com","lines":[{"productId":1,"quantity":1},{"productId":4,"quantity":2}]}`
	key := map[string]string{"Idempotency-Key": "checkout-42"}
	var first, second Order
	c1 := s.do(t, "POST", "/api/orders", body, key, &first)
	c2 := s.do(t, "POST", "/api/orders", body, key, &second)
	if c1 != 201 || c2 != 200 || first.ID != second.ID || first.TotalCents != 900 {
		t.Errorf("got %d then %d, orders %s and %s; want 201 then 200 for one order of 900", c1, c2, first.ID, second.ID)
	}
	if n := s.db.Int(t, "SELECT count(*) FROM orders"); n != 1 {
		t.Errorf("%d orders, want 1", n)
	}
	if n := s.db.Int(t, "SELECT count(*) FROM outbox"); n != 1 {
		t.Errorf("%d outbox rows, want 1", n)
	}
}

func TestBadInputIs400AndWritesNothing(t *testing.T) {
	s := newShop(t, options{})
	for _, tt := range []struct{ body, want string }{
		{`{"customerEmail":`, "body: want JSON"},
		{`{"customerEmail":"nobody","lines":[]}`, `customerEmail "nobody": want an email address`},
		{`{"customerEmail":"a@example.com","lines":[{"productId":1,"quantity":0}]}`, "lines[0].quantity 0: want 1 to 1000"},
		{`{"customerEmail":"a@example.com","lines":[{"productId":1,"quantity":1},{"productId":999,"quantity":1}]}`, "lines[1].productId 999: no such product"},
		{`{"customerEmail":"a@example.com","lines":[{"productId":1,"quantity":1}],"coupon":"FREE"}`, `unknown field "coupon"`},
	} {
		resp, err := http.Post(s.http.URL+"/api/orders", "application/json", bytes.NewBufferString(tt.body))
		if err != nil {
			t.Fatal(err)
		}
		var answer any
		_ = json.NewDecoder(resp.Body).Decode(&answer)
		resp.Body.Close()
		if text := fmt.Sprint(answer); resp.StatusCode != 400 || !strings.Contains(text, tt.want) {
			t.Errorf("%s: got %d %s, want 400 naming %q", tt.body, resp.StatusCode, text, tt.want)
		}
	}
	if n := s.db.Int(t, "SELECT count(*) FROM orders") + s.db.Int(t, "SELECT count(*) FROM order_lines") + s.db.Int(t, "SELECT count(*) FROM outbox"); n != 0 {
		t.Errorf("%d rows written, want none", n)
	}
}

// TestFaultSNSDown places an order while SNS is unreachable, then
// brings SNS (goaws) back and checks the event reaches the inventory queue.
func TestFaultSNSDown(t *testing.T) {
	s := newShop(t, options{awsEndpoint: "http://127.0.0.1:1"})
	var order Order
	if code := s.do(t, "POST", "/api/orders", `{"customerEmail":"a@example.com","lines":[{"productId":3,"quantity":1}]}`, nil, &order); code != 201 {
		t.Fatalf("place while SNS is down: %d", code)
	}
	if _, err := s.relay.Flush(context.Background()); err == nil {
		t.Fatal("publishing to a dead endpoint succeeded")
	}
	if n, _, _ := s.relay.Backlog(context.Background()); n != 1 || !s.relay.Failing() {
		t.Fatalf("backlog %d, failing %v; want the event kept", n, s.relay.Failing())
	}

	// SNS is back: a topic with the inventory queue subscribed as in AWS.
	ctx := context.Background()
	snsClient, sqsClient := localAWS(t, "")
	topic, err := snsClient.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("orders-" + s.db.Name)})
	if err != nil {
		t.Fatal(err)
	}
	queue, err := sqsClient.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("inventory-" + s.db.Name)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := snsClient.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"),
		Endpoint:   aws.String("arn:aws:sqs:us-east-1:100010001000:inventory-" + s.db.Name),
		Attributes: map[string]string{"RawMessageDelivery": "true", "FilterPolicy": inventoryFilter(t)}}); err != nil {
		t.Fatal(err)
	}
	s.relay.Publisher, s.relay.TopicARN = snsClient, *topic.TopicArn

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { s.relay.Run(runCtx); close(done) }()
	defer func() { stop(); <-done }()
	out, err := sqsClient.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: queue.QueueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 5})
	if err != nil || len(out.Messages) != 1 {
		t.Fatalf("received %v (%v), want the order's event", out, err)
	}
	e, err := orderevents.Parse([]byte(*out.Messages[0].Body))
	if err != nil || e.OrderID != order.ID || e.Type != orderevents.OrderPlaced {
		t.Errorf("got %+v (%v), want OrderPlaced for %s", e, err, order.ID)
	}
	// The relay marks the event sent once SNS has taken it, so the queue may hold it
	// a moment before the outbox says so.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		n := s.db.Int(t, "SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL")
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d events marked sent 5 s after delivery, want 1", n)
		}
	}
}

// inventoryFilter is the inventory consumer's filter policy from the contract.
func inventoryFilter(t *testing.T) string {
	t.Helper()
	c, ok := orderevents.ConsumerNamed("inventory")
	if !ok {
		t.Fatal("no inventory consumer in orderevents.Consumers")
	}
	return c.FilterPolicy()
}
