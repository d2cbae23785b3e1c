package shop

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Cache is Redis (Valkey) used cache-aside, degrading to a miss whenever it fails:
// the database is the source of truth, the cache only a copy.
type Cache struct {
	Client *redis.Client
	// TTL is how long an entry lives, plus up to Jitter more, so entries written
	// together do not expire together.
	TTL, Jitter time.Duration
	// Timeout bounds every cache call: a slow cache must not slow a read down.
	Timeout time.Duration
	Log     *slog.Logger

	down         atomic.Bool
	hits, misses atomic.Int64
}

// Get returns the cached value of key, or ok false on a miss or a cache failure.
func (c *Cache) Get(ctx context.Context, key string) (value []byte, ok bool) {
	if c.Client == nil {
		return nil, false
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	value, err := c.Client.Get(ctx, key).Bytes()
	switch {
	case err == nil:
		c.state(nil)
		c.hits.Add(1)
		return value, true
	case errors.Is(err, redis.Nil):
		c.state(nil)
	default:
		c.state(err)
	}
	c.misses.Add(1)
	return nil, false
}

// Set stores value under key with the TTL plus jitter; failures only degrade.
func (c *Cache) Set(ctx context.Context, key string, value []byte) {
	if c.Client == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	ttl := c.TTL
	if c.Jitter > 0 {
		ttl += rand.N(c.Jitter)
	}
	c.state(c.Client.Set(ctx, key, value, ttl).Err())
}

// Delete removes keys, e.g. after the product they copy changed.
func (c *Cache) Delete(ctx context.Context, keys ...string) error {
	if c.Client == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	err := c.Client.Del(ctx, keys...).Err()
	c.state(err)
	return err
}

// Incr increments a counter key, e.g. the catalog version in list-page keys.
func (c *Cache) Incr(ctx context.Context, key string) error {
	if c.Client == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	err := c.Client.Incr(ctx, key).Err()
	c.state(err)
	return err
}

// Stats reports whether the cache is up and its hits and misses so far.
func (c *Cache) Stats() (up bool, hits, misses int64) {
	return c.Client != nil && !c.down.Load(), c.hits.Load(), c.misses.Load()
}

// state records whether the last call worked, logging once per change.
func (c *Cache) state(err error) {
	down := err != nil
	if was := c.down.Swap(down); was != down {
		if down {
			c.Log.Warn("cache unavailable: reading from the database", slog.String("error", err.Error()))
		} else {
			c.Log.Info("cache available again")
		}
	}
}
