package shop

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/example/scalable-web/internal/orderevents"
	"go.opentelemetry.io/otel/trace"
)

// OrderRequest is the body of POST /api/orders.
type OrderRequest struct {
	CustomerEmail string        `json:"customerEmail"`
	Lines         []LineRequest `json:"lines"`
}

// LineRequest asks for a quantity of a product; prices come from the catalog.
type LineRequest struct {
	ProductID int64 `json:"productId"`
	Quantity  int   `json:"quantity"`
}

// Order is a placed order.
type Order struct {
	ID            string      `json:"id"`
	CustomerEmail string      `json:"customerEmail"`
	Status        string      `json:"status"`
	TotalCents    int64       `json:"totalCents"`
	Lines         []OrderLine `json:"lines"`
	CreatedAt     time.Time   `json:"createdAt"`
}

// OrderLine is one product of an order at the price it was sold at.
type OrderLine struct {
	ProductID      int64 `json:"productId"`
	Quantity       int   `json:"quantity"`
	UnitPriceCents int64 `json:"unitPriceCents"`
}

// ValidationError lists what is wrong with a request, one problem per field.
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string { return strings.Join(e.Problems, "; ") }

const (
	maxLines    = 50
	maxQuantity = 1000
)

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// Validate reports every problem of r at once.
func (r OrderRequest) Validate() error {
	var p []string
	if at := strings.Index(r.CustomerEmail, "@"); at < 1 || at == len(r.CustomerEmail)-1 || len(r.CustomerEmail) > 254 {
		p = append(p, fmt.Sprintf("customerEmail %q: want an email address", r.CustomerEmail))
	}
	if len(r.Lines) == 0 || len(r.Lines) > maxLines {
		p = append(p, fmt.Sprintf("lines: want 1 to %d, got %d", maxLines, len(r.Lines)))
	}
	for i, l := range r.Lines {
		if l.ProductID <= 0 {
			p = append(p, fmt.Sprintf("lines[%d].productId %d: want a product ID", i, l.ProductID))
		}
		if l.Quantity < 1 || l.Quantity > maxQuantity {
			p = append(p, fmt.Sprintf("lines[%d].quantity %d: want 1 to %d", i, l.Quantity, maxQuantity))
		}
	}
	if len(p) > 0 {
		return &ValidationError{Problems: p}
	}
	return nil
}

// ErrKeyReused is returned for an Idempotency-Key that came with another request
// before: the client must use a new key for a new order.
var ErrKeyReused = errors.New("Idempotency-Key: already used for a different request; send a new key for a new order")

// DefaultKeyLifetime is how long an Idempotency-Key stands for its order: a
// client retries within minutes, and after a day the key may be used again.
const DefaultKeyLifetime = 24 * time.Hour

// Orders writes orders to the primary, each with its OrderPlaced event in the
// outbox in the same transaction: an order is never without its event.
type Orders struct {
	DB           *Databases
	QueryTimeout time.Duration
	// KeyLifetime is how long an Idempotency-Key is remembered (0: DefaultKeyLifetime).
	KeyLifetime time.Duration

	placed atomic.Int64
}

// Placed is how many orders this instance has written since it started.
func (o *Orders) Placed() int64 { return o.placed.Load() }

// Hash identifies a request's content: the hash of its canonical JSON.
func (r OrderRequest) Hash() []byte {
	b, _ := json.Marshal(r) // a struct of strings and numbers always marshals
	h := sha256.Sum256(b)
	return h[:]
}

// Place validates r and writes the order. With an idempotency key, the same
// request seen before returns its order and created false, and writes nothing;
// another request with that key gets ErrKeyReused.
func (o *Orders) Place(ctx context.Context, r OrderRequest, idempotencyKey string) (order Order, created bool, err error) {
	if err := r.Validate(); err != nil {
		return Order{}, false, err
	}
	hash := r.Hash()
	lifetime := o.KeyLifetime
	if lifetime <= 0 {
		lifetime = DefaultKeyLifetime
	}
	ctx, cancel := context.WithTimeout(ctx, o.QueryTimeout)
	defer cancel()
	tx, err := o.DB.Primary.Begin(ctx)
	if err != nil {
		return Order{}, false, fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()

	key := &idempotencyKey
	if idempotencyKey == "" {
		key = nil
	}
	if key != nil {
		// An expired key is forgotten, so it can make a new order.
		if _, err := tx.Exec(ctx, `UPDATE orders SET idempotency_key = NULL WHERE idempotency_key = $1 AND created_at < now() - make_interval(secs => $2)`,
			idempotencyKey, lifetime.Seconds()); err != nil {
			return Order{}, false, fmt.Errorf("expire idempotency key: %w", err)
		}
		order, err := o.replay(ctx, tx, idempotencyKey, hash)
		if !errors.Is(err, pgx.ErrNoRows) {
			return order, false, err
		}
	}

	ids := make([]int64, len(r.Lines))
	for i, l := range r.Lines {
		ids[i] = l.ProductID
	}
	prices := map[int64]int64{}
	rows, err := tx.Query(ctx, `SELECT id, price_cents FROM products WHERE id = ANY($1)`, ids)
	if err != nil {
		return Order{}, false, fmt.Errorf("prices: %w", err)
	}
	for rows.Next() {
		var id, price int64
		if err := rows.Scan(&id, &price); err != nil {
			rows.Close()
			return Order{}, false, err
		}
		prices[id] = price
	}
	rows.Close()
	order = Order{ID: newUUID(), CustomerEmail: r.CustomerEmail, Status: "placed"}
	var missing []string
	for i, l := range r.Lines {
		price, ok := prices[l.ProductID]
		if !ok {
			missing = append(missing, fmt.Sprintf("lines[%d].productId %d: no such product", i, l.ProductID))
			continue
		}
		order.Lines = append(order.Lines, OrderLine{ProductID: l.ProductID, Quantity: l.Quantity, UnitPriceCents: price})
		order.TotalCents += price * int64(l.Quantity)
	}
	if len(missing) > 0 {
		return Order{}, false, &ValidationError{Problems: missing}
	}

	err = tx.QueryRow(ctx, `INSERT INTO orders (id, customer_email, total_cents, idempotency_key, request_hash) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (idempotency_key) DO NOTHING RETURNING created_at`, order.ID, order.CustomerEmail, order.TotalCents, key, hash).Scan(&order.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		// A concurrent request with the same key won: answer as its retry would.
		_ = tx.Rollback(ctx)
		read, err := o.DB.Primary.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
		if err != nil {
			return Order{}, false, fmt.Errorf("begin: %w", err)
		}
		defer func() { _ = read.Rollback(ctx) }()
		order, err := o.replay(ctx, read, idempotencyKey, hash)
		return order, false, err
	}
	if err != nil {
		return Order{}, false, fmt.Errorf("insert order: %w", err)
	}
	for i, l := range order.Lines {
		if _, err := tx.Exec(ctx, `INSERT INTO order_lines (order_id, line, product_id, quantity, unit_price_cents) VALUES ($1, $2, $3, $4, $5)`,
			order.ID, i+1, l.ProductID, l.Quantity, l.UnitPriceCents); err != nil {
			return Order{}, false, fmt.Errorf("insert line: %w", err)
		}
	}
	event := orderevents.Event{
		EventID: newUUID(), Type: orderevents.OrderPlaced, OccurredAt: order.CreatedAt.UTC(),
		OrderID: order.ID, CustomerEmail: order.CustomerEmail, TotalCents: order.TotalCents,
	}
	for _, l := range order.Lines {
		event.Lines = append(event.Lines, orderevents.Line{ProductID: l.ProductID, Quantity: l.Quantity, UnitPriceCents: l.UnitPriceCents})
	}
	payload, err := json.Marshal(event)
	if err != nil {
		return Order{}, false, err
	}
	// The request's trace goes with the event (NULL when untraced), so the
	// consumers' traces link to it.
	traceHeader := orderevents.TraceHeader(trace.SpanContextFromContext(ctx))
	if _, err := tx.Exec(ctx, `INSERT INTO outbox (event_id, event_type, payload, trace_header) VALUES ($1, $2, $3, NULLIF($4, ''))`,
		event.EventID, event.Type, payload, traceHeader); err != nil {
		return Order{}, false, fmt.Errorf("insert outbox: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return Order{}, false, fmt.Errorf("commit: %w", err)
	}
	o.placed.Add(1)
	return order, true, nil
}

// replay returns the order an idempotency key made, pgx.ErrNoRows when the key is
// unknown, or ErrKeyReused when the key came with another request.
func (o *Orders) replay(ctx context.Context, tx pgx.Tx, key string, hash []byte) (Order, error) {
	var id string
	var stored []byte
	if err := tx.QueryRow(ctx, `SELECT id, request_hash FROM orders WHERE idempotency_key = $1`, key).Scan(&id, &stored); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return Order{}, err
		}
		return Order{}, fmt.Errorf("idempotency key: %w", err)
	}
	// An order written before request hashes were kept has none: it matches nothing.
	if !bytes.Equal(stored, hash) {
		return Order{}, ErrKeyReused
	}
	return o.get(ctx, tx, id)
}

// Get reads an order from the primary: a client that just placed it must see it,
// whatever a replica has replayed so far (read-your-own-write).
func (o *Orders) Get(ctx context.Context, id string) (Order, error) {
	ctx, cancel := context.WithTimeout(ctx, o.QueryTimeout)
	defer cancel()
	tx, err := o.DB.Primary.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return Order{}, err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	return o.get(ctx, tx, id)
}

func (o *Orders) get(ctx context.Context, tx pgx.Tx, id string) (Order, error) {
	if !uuidPattern.MatchString(id) {
		return Order{}, ErrNotFound
	}
	order := Order{Lines: []OrderLine{}}
	err := tx.QueryRow(ctx, `SELECT id, customer_email, status, total_cents, created_at FROM orders WHERE id = $1`, id).
		Scan(&order.ID, &order.CustomerEmail, &order.Status, &order.TotalCents, &order.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Order{}, ErrNotFound
	}
	if err != nil {
		return Order{}, err
	}
	rows, err := tx.Query(ctx, `SELECT product_id, quantity, unit_price_cents FROM order_lines WHERE order_id = $1 ORDER BY line`, id)
	if err != nil {
		return Order{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var l OrderLine
		if err := rows.Scan(&l.ProductID, &l.Quantity, &l.UnitPriceCents); err != nil {
			return Order{}, err
		}
		order.Lines = append(order.Lines, l)
	}
	return order, rows.Err()
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
