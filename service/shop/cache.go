package shop

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// The cache's defaults. A cache call on the same network answers in well under a
// millisecond, so DefaultCacheTimeout is what a request may lose to a cache that
// hangs; after BreakAfter failures in a row the cache is skipped altogether, and
// one call every ProbeEvery tries it again.
const (
	DefaultCacheTimeout = 50 * time.Millisecond
	BreakAfter          = 3
	ProbeEvery          = time.Second
)

// RedisOptions are the client settings that keep a hung cache from holding a
// request: every socket deadline follows the request's context, and a failed
// command is retried once at most (go-redis retries three times by default).
func RedisOptions(addr string) *redis.Options {
	return &redis.Options{
		Addr: addr, ContextTimeoutEnabled: true, MaxRetries: 1,
		DialTimeout: 500 * time.Millisecond, ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond,
		PoolSize: 32, PoolTimeout: 200 * time.Millisecond,
	}
}

// Cache is Redis (Valkey) used cache-aside, degrading to a miss whenever it fails:
// the database is the source of truth, the cache only a copy. A circuit breaker
// skips a cache that keeps failing, so a hung cache costs a request nothing
// once it is known to be down.
type Cache struct {
	Client *redis.Client
	// TTL is how long an entry lives, plus up to Jitter more, so entries written
	// together do not expire together.
	TTL, Jitter time.Duration
	// Timeout bounds every cache call (0: DefaultCacheTimeout).
	Timeout time.Duration
	Log     *slog.Logger

	down         atomic.Bool
	hits, misses atomic.Int64
	calls        atomic.Int64 // the calls the breaker let through to Redis
	breaker      breaker
}

// errSkipped is a call the open breaker did not make.
var errSkipped = errors.New("cache skipped: it is failing")

// call runs f with the cache's timeout, unless the breaker is open, and records
// the outcome; redis.Nil (a miss) is a success.
func (c *Cache) call(ctx context.Context, f func(context.Context) error) error {
	if !c.breaker.allow(time.Now()) {
		return errSkipped
	}
	c.calls.Add(1)
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultCacheTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := f(ctx)
	failed := err != nil && !errors.Is(err, redis.Nil)
	c.breaker.record(failed, time.Now())
	if failed {
		c.state(err)
	} else {
		c.state(nil)
	}
	return err
}

// breaker opens after BreakAfter failures in a row; while open it lets one call
// through every ProbeEvery, and the first success closes it.
type breaker struct {
	mu        sync.Mutex
	failures  int
	nextProbe time.Time
	probing   bool
}

func (b *breaker) allow(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failures < BreakAfter {
		return true
	}
	if b.probing || now.Before(b.nextProbe) {
		return false
	}
	b.probing = true
	return true
}

func (b *breaker) record(failed bool, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.probing = false
	if !failed {
		b.failures = 0
		return
	}
	b.failures++
	if b.failures >= BreakAfter {
		b.nextProbe = now.Add(ProbeEvery)
	}
}

// Get returns the cached value of key, or ok false on a miss or a cache failure,
// and counts it as a hit or a miss.
func (c *Cache) Get(ctx context.Context, key string) (value []byte, ok bool) {
	value, ok = c.lookup(ctx, key)
	if c.Client != nil {
		if ok {
			c.hits.Add(1)
		} else {
			c.misses.Add(1)
		}
	}
	return value, ok
}

// lookup is Get without counting: for a second look within one read.
func (c *Cache) lookup(ctx context.Context, key string) (value []byte, ok bool) {
	if c.Client == nil {
		return nil, false
	}
	err := c.call(ctx, func(ctx context.Context) (err error) {
		value, err = c.Client.Get(ctx, key).Bytes()
		return err
	})
	return value, err == nil
}

// Set stores value under key with the TTL plus jitter; failures only degrade.
func (c *Cache) Set(ctx context.Context, key string, value []byte) {
	if c.Client == nil {
		return
	}
	ttl := c.TTL
	if c.Jitter > 0 {
		ttl += rand.N(c.Jitter)
	}
	_ = c.call(ctx, func(ctx context.Context) error { return c.Client.Set(ctx, key, value, ttl).Err() })
}

// Delete removes keys, e.g. after the product they copy changed.
func (c *Cache) Delete(ctx context.Context, keys ...string) error {
	if c.Client == nil {
		return nil
	}
	return c.call(ctx, func(ctx context.Context) error { return c.Client.Del(ctx, keys...).Err() })
}

// Incr increments a counter key, e.g. the catalog version in list-page keys.
func (c *Cache) Incr(ctx context.Context, key string) error {
	if c.Client == nil {
		return nil
	}
	return c.call(ctx, func(ctx context.Context) error { return c.Client.Incr(ctx, key).Err() })
}

// Stats reports whether the cache is up and its hits and misses so far.
func (c *Cache) Stats() (up bool, hits, misses int64) {
	return c.Client != nil && !c.down.Load(), c.hits.Load(), c.misses.Load()
}

// state records whether the last call made worked, logging once per change.
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
