package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/example/scalable-web/internal/orderevents"
)

// consumer names this Lambda in processed_events.
const consumer = "inventory"

// PostgresStock keeps stock in PostgreSQL. Each event is applied in one transaction
// that also records its ID, so a redelivered event finds its ID and changes nothing.
type PostgresStock struct {
	DB *pgxpool.Pool
}

// Apply applies an OrderPlaced (take the stock, or record a shortage) or an
// OrderCancelled (give back what its order took).
func (s PostgresStock) Apply(ctx context.Context, e orderevents.Event) (outcome Outcome, err error) {
	tx, err := s.DB.Begin(ctx)
	if err != nil {
		return "", fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(ctx)
		}
	}()
	// One order's events apply one at a time, whatever the order they arrive in.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, e.OrderID); err != nil {
		return "", fmt.Errorf("lock order: %w", err)
	}
	tag, err := tx.Exec(ctx, `INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, consumer, e.EventID)
	if err != nil {
		return "", fmt.Errorf("record event: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return Duplicate, tx.Rollback(ctx)
	}
	switch e.Type {
	case orderevents.OrderPlaced:
		outcome, err = take(ctx, tx, e)
	case orderevents.OrderCancelled:
		outcome, err = giveBack(ctx, tx, e)
	default:
		err = fmt.Errorf("%w: eventType %q", orderevents.ErrInvalid, e.Type)
	}
	if err != nil {
		return "", err
	}
	if err := tx.Commit(ctx); err != nil {
		return "", fmt.Errorf("commit: %w", err)
	}
	return outcome, nil
}

// Want is how many units of a product an order asks for.
type Want struct {
	ProductID int64 `json:"productId"`
	Requested int   `json:"requested"`
	Available int   `json:"available"`
}

// Wants sums an order's lines per product, in product order, so that concurrent
// orders lock stock rows in the same order and never deadlock.
func Wants(lines []orderevents.Line) []Want {
	byProduct := map[int64]int{}
	for _, l := range lines {
		byProduct[l.ProductID] += l.Quantity
	}
	wants := make([]Want, 0, len(byProduct))
	for id, n := range byProduct {
		wants = append(wants, Want{ProductID: id, Requested: n})
	}
	sort.Slice(wants, func(i, j int) bool { return wants[i].ProductID < wants[j].ProductID })
	return wants
}

func take(ctx context.Context, tx pgx.Tx, e orderevents.Event) (Outcome, error) {
	var cancelled bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM order_cancellations WHERE order_id = $1)`, e.OrderID).Scan(&cancelled); err != nil {
		return "", fmt.Errorf("check cancellation: %w", err)
	}
	if cancelled {
		return Cancelled, nil // its cancellation came first: take nothing
	}
	wants := Wants(e.Lines)
	if _, err := tx.Exec(ctx, "SAVEPOINT take"); err != nil {
		return "", err
	}
	var short []Want
	for _, w := range wants {
		var left int
		err := tx.QueryRow(ctx, `UPDATE stock SET quantity = quantity - $2, updated_at = now()
			WHERE product_id = $1 AND quantity >= $2 RETURNING quantity`, w.ProductID, w.Requested).Scan(&left)
		if errors.Is(err, pgx.ErrNoRows) {
			_ = tx.QueryRow(ctx, `SELECT quantity FROM stock WHERE product_id = $1`, w.ProductID).Scan(&w.Available)
			short = append(short, w)
			continue
		}
		if err != nil {
			return "", fmt.Errorf("take product %d: %w", w.ProductID, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO stock_movements (event_id, order_id, product_id, delta) VALUES ($1, $2, $3, $4)`,
			e.EventID, e.OrderID, w.ProductID, -w.Requested); err != nil {
			return "", fmt.Errorf("record movement: %w", err)
		}
	}
	if len(short) == 0 {
		return Applied, nil
	}
	// All or nothing: undo what was taken, and keep the shortage for the business.
	if _, err := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT take"); err != nil {
		return "", err
	}
	detail, _ := json.Marshal(short)
	if _, err := tx.Exec(ctx, `INSERT INTO stock_shortages (event_id, order_id, detail) VALUES ($1, $2, $3)`, e.EventID, e.OrderID, detail); err != nil {
		return "", fmt.Errorf("record shortage: %w", err)
	}
	return Shortage, nil
}

func giveBack(ctx context.Context, tx pgx.Tx, e orderevents.Event) (Outcome, error) {
	if _, err := tx.Exec(ctx, `INSERT INTO order_cancellations (order_id, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, e.OrderID, e.EventID); err != nil {
		return "", fmt.Errorf("record cancellation: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO stock_movements (event_id, order_id, product_id, delta)
		SELECT $1, order_id, product_id, -sum(delta) FROM stock_movements
		WHERE order_id = $2 GROUP BY order_id, product_id HAVING sum(delta) <> 0`, e.EventID, e.OrderID); err != nil {
		return "", fmt.Errorf("record give-back: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE stock s SET quantity = s.quantity + m.delta, updated_at = now()
		FROM stock_movements m WHERE m.event_id = $1 AND s.product_id = m.product_id`, e.EventID); err != nil {
		return "", fmt.Errorf("give back: %w", err)
	}
	return Applied, nil
}
