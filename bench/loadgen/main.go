// Command loadgen reads products from the sample service with a Zipf-distributed
// choice of IDs, for a bounded time, on loopback, and prints throughput, latency
// percentiles, the cache hit ratio and the database queries per second (from the
// service's /internal/stats counters).
//
//	go run ./bench/loadgen -url http://127.0.0.1:8080 -duration 15s
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sync"
	"time"
)

type counters struct {
	Cache struct {
		Hits   float64 `json:"hits"`
		Misses float64 `json:"misses"`
	} `json:"cache"`
	CatalogQueries float64 `json:"catalogQueries"`
}

func main() {
	target := flag.String("url", "http://127.0.0.1:8080", "the service, on loopback")
	duration := flag.Duration("duration", 15*time.Second, "how long to measure (after a warm-up of the same length)")
	workers := flag.Int("concurrency", 32, "concurrent clients")
	products := flag.Uint64("products", 10000, "product IDs 1..N")
	skew := flag.Float64("zipf", 1.1, "Zipf exponent s (> 1): higher is more skewed")
	label := flag.String("label", "", "name of this run in the output")
	flag.Parse()
	if err := loopbackOnly(*target); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: *workers}}

	run(client, *target, *duration, *workers, *products, *skew) // warm-up, not reported
	before := read(client, *target)
	lat, errs := run(client, *target, *duration, *workers, *products, *skew)
	after := read(client, *target)

	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))] }
	hits, misses := after.Cache.Hits-before.Cache.Hits, after.Cache.Misses-before.Cache.Misses
	ratio := 0.0
	if hits+misses > 0 {
		ratio = hits / (hits + misses)
	}
	secs := duration.Seconds()
	fmt.Printf("%-10s %8.0f req/s  p50 %6.2f ms  p99 %6.2f ms  cache hits %6.2f%%  db queries %8.1f/s  errors %d\n",
		*label, float64(len(lat))/secs, ms(pct(0.50)), ms(pct(0.99)), 100*ratio, (after.CatalogQueries-before.CatalogQueries)/secs, errs)
}

// run sends reads from workers until d has passed and returns each latency.
func run(client *http.Client, target string, d time.Duration, workers int, products uint64, skew float64) ([]time.Duration, int) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var mu sync.Mutex
	var all []time.Duration
	errs := 0
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 42))
			zipf := rand.NewZipf(r, skew, 1, products-1)
			var mine []time.Duration
			bad := 0
			for ctx.Err() == nil {
				id := zipf.Uint64() + 1
				start := time.Now()
				resp, err := client.Get(fmt.Sprintf("%s/api/products/%d", target, id))
				if err != nil || resp.StatusCode != http.StatusOK {
					bad++
				}
				if resp != nil {
					resp.Body.Close()
				}
				mine = append(mine, time.Since(start))
			}
			mu.Lock()
			all, errs = append(all, mine...), errs+bad
			mu.Unlock()
		})
	}
	wg.Wait()
	return all, errs
}

func read(client *http.Client, target string) counters {
	var c counters
	resp, err := client.Get(target + "/internal/stats")
	if err == nil {
		defer resp.Body.Close()
		_ = json.NewDecoder(resp.Body).Decode(&c)
	}
	return c
}

// loopbackOnly refuses any target that is not this machine.
func loopbackOnly(target string) error {
	u, err := url.Parse(target)
	if err != nil {
		return err
	}
	ip := net.ParseIP(u.Hostname())
	if u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("%s: only loopback targets", target)
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
