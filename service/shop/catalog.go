package shop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/singleflight"

	"github.com/example/scalable-web/internal/catalog"
)

// ErrNotFound is returned for a product or order that does not exist.
var ErrNotFound = errors.New("not found")

// Product is one product of the catalog.
type Product struct {
	ID         int64     `json:"id"`
	SKU        string    `json:"sku"`
	Name       string    `json:"name"`
	PriceCents int64     `json:"priceCents"`
	UpdatedAt  time.Time `json:"updatedAt"`
}

// Page is one page of products and the cursor of the next, if any.
type Page struct {
	Products []Product `json:"products"`
	Next     string    `json:"next,omitempty"`
}

// Catalog reads products cache-aside: Redis first; on a miss, one query per key
// and instance to a read replica (single-flight, so an expiring hot key never
// stampedes the database), then the cache is filled.
type Catalog struct {
	DB    *Databases
	Cache *Cache
	// QueryTimeout bounds every database query.
	QueryTimeout time.Duration

	group   singleflight.Group
	queries atomic.Int64
}

// Queries is how many catalog queries reached a database.
func (c *Catalog) Queries() int64 { return c.queries.Load() }

// The cache keys, shared with catalog imports (internal/catalog): a product's,
// and the version that is part of every page's key, so bumping it on any product
// change retires every cached page at once.
var productKey = catalog.ProductKey

const catalogVersion = catalog.VersionKey

// Product returns one product.
func (c *Catalog) Product(ctx context.Context, id int64) (Product, error) {
	var p Product
	err := c.cached(ctx, productKey(id), &p, func(ctx context.Context) (any, error) {
		return Read(ctx, c.DB, func(ctx context.Context, db *pgxpool.Pool) (any, error) {
			var p Product
			err := db.QueryRow(ctx, `SELECT id, sku, name, price_cents, updated_at FROM products WHERE id = $1`, id).
				Scan(&p.ID, &p.SKU, &p.Name, &p.PriceCents, &p.UpdatedAt)
			if errors.Is(err, pgx.ErrNoRows) {
				return nil, ErrNotFound
			}
			return p, err
		})
	})
	return p, err
}

// Products returns up to limit products with IDs above after, in ID order. The
// cursor is the last ID of a page, so a page never shifts when products are added.
func (c *Catalog) Products(ctx context.Context, after int64, limit int) (Page, error) {
	version := "0"
	if v, ok := c.Cache.Get(ctx, catalogVersion); ok {
		version = string(v)
	}
	var page Page
	key := fmt.Sprintf("products:v%s:after:%d:limit:%d", version, after, limit)
	err := c.cached(ctx, key, &page, func(ctx context.Context) (any, error) {
		return Read(ctx, c.DB, func(ctx context.Context, db *pgxpool.Pool) (any, error) {
			rows, err := db.Query(ctx, `SELECT id, sku, name, price_cents, updated_at FROM products WHERE id > $1 ORDER BY id LIMIT $2`, after, limit+1)
			if err != nil {
				return nil, err
			}
			page := Page{Products: []Product{}}
			for rows.Next() {
				var p Product
				if err := rows.Scan(&p.ID, &p.SKU, &p.Name, &p.PriceCents, &p.UpdatedAt); err != nil {
					rows.Close()
					return nil, err
				}
				page.Products = append(page.Products, p)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, err
			}
			if len(page.Products) > limit {
				page.Products = page.Products[:limit]
				page.Next = strconv.FormatInt(page.Products[limit-1].ID, 10)
			}
			return page, nil
		})
	})
	return page, err
}

// Update changes a product on the primary, then drops its cache entry and retires
// the cached pages.
func (c *Catalog) Update(ctx context.Context, id int64, name string, priceCents int64) (Product, error) {
	ctx, cancel := context.WithTimeout(ctx, c.QueryTimeout)
	defer cancel()
	var p Product
	err := c.DB.Primary.QueryRow(ctx, `UPDATE products SET name = $2, price_cents = $3, updated_at = now() WHERE id = $1
		RETURNING id, sku, name, price_cents, updated_at`, id, name, priceCents).Scan(&p.ID, &p.SKU, &p.Name, &p.PriceCents, &p.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Product{}, ErrNotFound
	}
	if err != nil {
		return Product{}, fmt.Errorf("update product %d: %w", id, err)
	}
	// If the cache is down these fail: its entries then live out their TTL.
	_ = c.Cache.Delete(ctx, productKey(id))
	_ = c.Cache.Incr(ctx, catalogVersion)
	return p, nil
}

// cached reads key into out, or runs load once for all concurrent callers of this
// instance, caches its result and decodes it into out.
func (c *Catalog) cached(ctx context.Context, key string, out any, load func(context.Context) (any, error)) error {
	if b, ok := c.Cache.Get(ctx, key); ok && json.Unmarshal(b, out) == nil {
		return nil
	}
	b, err, _ := c.group.Do(key, func() (any, error) {
		// A caller that missed just before the last load for key finished starts a
		// flight of its own: the entry that load wrote answers it.
		if b, ok := c.Cache.lookup(ctx, key); ok {
			return b, nil
		}
		// The shared query must not die with the first caller's request.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.QueryTimeout)
		defer cancel()
		c.queries.Add(1)
		v, err := load(ctx)
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		c.Cache.Set(ctx, key, b)
		return b, nil
	})
	if err != nil {
		return err
	}
	return json.Unmarshal(b.([]byte), out)
}
