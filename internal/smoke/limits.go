package smoke

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/example/scalable-web/internal/shopapi"
)

// noWAF is why a check of a WAF limit skips when the target is only a URL.
func (r *run) noWAF(what string) string {
	if !r.cloudFront {
		return "no WAF in front of " + r.site
	}
	return what + " is a stage setting: give STAGE=<stage> too"
}

// sentWithin is how many requests this run sent through the site in the last window.
func (r *run) sentWithin(window time.Duration) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	since, n := time.Now().Add(-window), 0
	for _, t := range r.sent {
		if t.After(since) {
			n++
		}
	}
	return n
}

// emptyOrder is the body the burst sends to the API's own URL: the service
// refuses it (403: it did not come through CloudFront) and writes nothing, while
// API Gateway has already counted it against the route's bucket.
const emptyOrder = `{}`

// orderBurst sends burst + one second's refill + a margin of orders at once to the
// API's own URL, where the WAF sees none of them and every 429 is API Gateway's,
// and wants 429s beyond the burst.
func (r *run) orderBurst(ctx context.Context) (Status, string) {
	l := r.target.Stage
	switch {
	case l == nil && !r.apiGateway && !r.cloudFront:
		return Skipped, "no API Gateway in front of " + r.site
	case l == nil:
		return Skipped, "the order route's burst is a stage setting: give STAGE=<stage> too"
	case r.api == "":
		return Skipped, "no API URL given (API_URL=…): the burst goes there, past the WAF"
	}
	n := l.OrdersBurst + int(math.Ceil(l.OrdersRate)) + r.opts.BurstMargin
	if n > r.opts.MaxRequests {
		return Skipped, fmt.Sprintf("burst %d at %g/s needs %d requests at once, more than this check sends (%d)", l.OrdersBurst, l.OrdersRate, n, r.opts.MaxRequests)
	}
	url, accepted := r.api+"/api/orders", http.StatusForbidden
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		throttled int
		ok        int
		other     = map[string]int{}
		start     = make(chan struct{})
	)
	for range n {
		wg.Go(func() {
			<-start
			resp, err := r.do(ctx, http.MethodPost, url, nil, []byte(emptyOrder))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				other[shortError(err)]++
			case resp.status == http.StatusTooManyRequests:
				throttled++
			case resp.status == accepted:
				ok++
			default:
				other[fmt.Sprint(resp.status)]++
			}
		})
	}
	close(start)
	wg.Wait()
	sent := fmt.Sprintf("%d at once to POST %s: %d answered %d, %d answered 429 (burst %d, %g/s)", n, url, ok, accepted, throttled, l.OrdersBurst, l.OrdersRate)
	switch {
	case len(other) > 0:
		return Fail, sent + "; others: " + tally(other)
	case throttled == 0:
		return Fail, sent + ": none throttled"
	case float64(ok) < earlyFraction*float64(l.OrdersBurst):
		return Fail, sent + ": throttled before half the burst; is the deployed limit the config's?"
	}
	return Pass, sent
}

func (r *run) sessionLimit(ctx context.Context) (Status, string) {
	l := r.target.Stage
	if l == nil {
		return Skipped, r.noWAF("the per-session limit")
	}
	// The per-IP rule counts this check's requests too, and answers first when it
	// is reached first: from one address the session rule shows only below it.
	prior, most := r.sentWithin(l.PerIP.Window), l.PerSession.Limit+r.opts.WAFMargin
	if prior+most >= l.PerIP.Limit {
		return Skipped, fmt.Sprintf("the per-IP limit (%s) would answer first: it counts this check's requests too (up to %d, after %d others), so from one address the per-session rule shows only with edge.sessionRateLimit below %d",
			l.PerIP, most, prior, l.PerIP.Limit-prior-r.opts.WAFMargin)
	}
	value := make([]byte, 16)
	_, _ = rand.Read(value)
	cookie := http.Header{"Cookie": {shopapi.SessionCookie + "=" + hex.EncodeToString(value)}}
	sent := 0
	// These requests reach API Gateway: at most half its steady rate, so that its
	// throttle does not answer instead.
	return r.limitCheck(ctx, l.PerSession, l.APIRate/2, func() int { return sent }, func() (*response, error) {
		sent++
		return r.do(ctx, http.MethodGet, r.site+"/api/products?limit=1", cookie, nil)
	})
}

func (r *run) ipLimit(ctx context.Context) (Status, string) {
	l := r.target.Stage
	switch {
	case l == nil:
		return Skipped, r.noWAF("the per-IP limit")
	case r.static == nil:
		return Skipped, needs(CheckStatic)
	}
	// A static file: CloudFront answers from its cache, and nothing behind it works.
	return r.limitCheck(ctx, l.PerIP, r.opts.Pace, func() int { return r.sentWithin(l.PerIP.Window) }, func() (*response, error) {
		return r.do(ctx, http.MethodGet, r.site+r.staticPath, nil, nil)
	})
}

// maxErrorsInARow stops a limit check whose target stopped answering.
const maxErrorsInARow = 3

// limitCheck sends requests with send, at most pace a second, until counted (what
// the rule has seen) reaches the rule's limit, then one every WAFMarginInterval,
// up to WAFMargin more, while the WAF notices; it stops at the first 429 from the
// WAF.
func (r *run) limitCheck(ctx context.Context, rule RateRule, pace float64, counted func() int, send func() (*response, error)) (Status, string) {
	pace = min(pace, r.opts.Pace)
	need := rule.Limit - counted()
	margin := time.Duration(r.opts.WAFMargin) * r.opts.WAFMarginInterval
	switch {
	case need > r.opts.MaxRequests:
		return Skipped, fmt.Sprintf("the limit (%s) needs %d more requests, more than this check sends (%d)", rule, need, r.opts.MaxRequests)
	case time.Duration(float64(need)/pace*float64(time.Second))+margin > rule.Window:
		return Skipped, fmt.Sprintf("the limit (%s) needs %d more requests; at %g a second, with %s for the WAF to notice, they do not fit in the window", rule, need, pace, margin)
	}
	start, sent, past, inARow := time.Now(), 0, 0, 0
	other := map[string]int{}
	for {
		resp, err := send()
		sent++
		switch {
		case err != nil:
			other[shortError(err)]++
			if inARow++; inARow == maxErrorsInARow {
				return Fail, fmt.Sprintf("%d requests in a row failed, after %d: %v", inARow, sent, err)
			}
		case resp.status == http.StatusTooManyRequests && !fromAPIGateway(resp.header):
			at := counted()
			if float64(at) < earlyFraction*float64(rule.Limit) {
				return Fail, fmt.Sprintf("429 after %d requests, before half the limit (%s): is the deployed limit the config's, or was this address still limited from an earlier run?", at, rule)
			}
			return Pass, fmt.Sprintf("429 after %d requests in %s (limit %s; this check sent %d)", at, time.Since(start).Round(time.Second), rule, sent)
		case resp.status != http.StatusOK:
			other[fmt.Sprint(resp.status)]++
			inARow = 0
		default:
			inARow = 0
		}
		wait := perSecond(pace)
		if counted() >= rule.Limit {
			if past++; past > r.opts.WAFMargin {
				break
			}
			wait = r.opts.WAFMarginInterval
		}
		select {
		case <-ctx.Done():
			return Fail, fmt.Sprintf("the run's deadline passed after %d requests, with no 429", sent)
		case <-time.After(wait):
		}
	}
	detail := fmt.Sprintf("no 429 after %d requests in %s (limit %s)", counted(), time.Since(start).Round(time.Second), rule)
	if len(other) > 0 {
		detail += "; other answers: " + tally(other)
	}
	return Fail, detail
}

// tally lists counts of answers: "502 ×3, 503 ×1".
func tally(counts map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, counts[k]))
	}
	return strings.Join(parts, ", ")
}

// shortError is an error without the URL net/http puts in front of it.
func shortError(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}
