// Package smoke checks a running shop from the outside, as a shopper and an abuser
// reach it: the storefront page and one static file with their security headers,
// the product list and one product, an order with an Idempotency-Key and its
// replay, the API's own URL refused, and the rate limits of the WAF and of the
// order route. Every check is bounded: each request has a timeout, and the limit
// checks send at most their limit and a small margin, stopping at the first 429.
//
// A check that cannot run against the target is skipped with the reason, never
// counted as passed: a local run has no CloudFront, WAF or API Gateway in front of
// it, and only a stage's configuration says what its limits are.
package smoke

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/example/scalable-web/infra/config"
)

// Target is what a run checks.
type Target struct {
	// SiteURL is the base URL shoppers use: the stage's SiteUrl (CloudFront), or
	// the local run's.
	SiteURL string
	// APIURL is the HTTP API's own endpoint (the stage's ApiUrl), which must refuse
	// a request that did not come through CloudFront; empty skips that check.
	APIURL string
	// Stage holds the limits of the deployed stage the target is; nil when the
	// target is only a URL. Without it the checks of the limits are skipped, and so
	// is the security-headers check when nothing answers as CloudFront.
	Stage *Limits
}

// Limits are the settings of a stage that the checks expect to see enforced.
type Limits struct {
	// Stage names the stage, for the report.
	Stage string
	// PerIP and PerSession are the WAF's rate rules (config Edge).
	PerIP, PerSession RateRule
	// APIRate is the stage's steady API Gateway rate, requests per second: the
	// per-session check, whose requests reach the API, stays well below it.
	APIRate float64
	// OrdersRate and OrdersBurst are POST /api/orders' token bucket.
	OrdersRate  float64
	OrdersBurst int
}

// RateRule is a WAF rate-based rule: Limit requests in Window.
type RateRule struct {
	Limit  int
	Window time.Duration
}

func (r RateRule) String() string {
	return fmt.Sprintf("%d per %d s", r.Limit, int(r.Window.Seconds()))
}

// LimitsOf reads a stage's limits from its configuration.
func LimitsOf(cfg config.Config) Limits {
	return Limits{
		Stage:       cfg.Stage,
		PerIP:       RateRule{cfg.Edge.RateLimit, time.Duration(cfg.Edge.RateLimitWindowSeconds) * time.Second},
		PerSession:  RateRule{cfg.Edge.SessionRateLimit, time.Duration(cfg.Edge.SessionRateLimitWindowSeconds) * time.Second},
		APIRate:     cfg.API.RateLimit,
		OrdersRate:  cfg.API.OrdersRateLimit,
		OrdersBurst: cfg.API.OrdersBurstLimit,
	}
}

// Options bound a run.
type Options struct {
	// RequestTimeout bounds each request.
	RequestTimeout time.Duration
	// WAFMargin is how many requests a WAF check sends past its limit, one every
	// WAFMarginInterval, while the WAF notices the rate: it estimates rates
	// every few seconds and usually acts within 30 s.
	WAFMargin         int
	WAFMarginInterval time.Duration
	// Pace is the most requests per second a WAF check sends up to its limit.
	Pace float64
	// BurstMargin is how many requests the order-route check sends at once beyond
	// the burst and one second's refill.
	BurstMargin int
	// MaxRequests is the most requests one limit check may need; a stage whose
	// limit needs more has that check skipped.
	MaxRequests int
}

// DefaultOptions are the bounds make smoke runs with.
func DefaultOptions() Options {
	return Options{
		// The shop answers in milliseconds; CloudFront gives up on its origin at 30 s.
		RequestTimeout: 10 * time.Second,
		// AWS: the WAF usually acts within 30 s of a rate passing its limit.
		WAFMargin:         40,
		WAFMarginInterval: time.Second,
		// A limit of 100 in 5 s, well inside the shortest window WAF has, 60 s.
		Pace: 20,
		// Beyond one second's refill: the burst's requests arrive within a fraction of one.
		BurstMargin: 5,
		// A smoke test, not a load test: a larger limit is skipped, saying so.
		MaxRequests: 1000,
	}
}

// earlyFraction: a limit that answers 429 before this share of its configured
// count fails. Both limits are approximate (WAF estimates rates, API Gateway
// throttles on a best-effort basis), but one that answers at half its count is
// not the configured one, or the address was still limited from an earlier run.
const earlyFraction = 0.5

// Status is a check's outcome.
type Status string

// A check passes, fails, or is skipped when it cannot run against the target,
// saying why: skipped is never counted as passed.
const (
	Pass    Status = "pass"
	Fail    Status = "FAIL"
	Skipped Status = "skipped"
)

// Result is one row of the report.
type Result struct {
	Check  string
	Status Status
	Detail string
}

// Report is a run's results, in the order the checks ran.
type Report []Result

// Failed reports whether any check failed. A skipped check did not pass, but did
// not fail either: the summary line counts it apart.
func (r Report) Failed() bool { return r.count(Fail) > 0 }

func (r Report) count(s Status) int {
	n := 0
	for _, res := range r {
		if res.Status == s {
			n++
		}
	}
	return n
}

// Summary is the last line: "6 passed, 0 failed, 6 skipped".
func (r Report) Summary() string {
	return fmt.Sprintf("%d passed, %d failed, %d skipped", r.count(Pass), r.count(Fail), r.count(Skipped))
}

// Print writes the report as a table, then the summary.
func (r Report) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "check\tresult\tdetail")
	for _, res := range r {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", res.Check, res.Status, res.Detail)
	}
	tw.Flush()
	fmt.Fprintln(w, r.Summary())
}

// Result is the result of the named check, if it ran.
func (r Report) Result(check string) (Result, bool) {
	for _, res := range r {
		if res.Check == check {
			return res, true
		}
	}
	return Result{}, false
}

// The checks, in the order they run.
const (
	CheckStorefront        = "storefront page"
	CheckStorefrontHeaders = "storefront headers"
	CheckStatic            = "static file"
	CheckStaticHeaders     = "static file headers"
	CheckProducts          = "product list"
	CheckProduct           = "one product"
	CheckOrder             = "order"
	CheckOrderReplay       = "order replay"
	CheckAPIRefused        = "API URL refused"
	CheckOrderBurst        = "order route burst"
	CheckSessionLimit      = "WAF per-session limit"
	CheckIPLimit           = "WAF per-IP limit"
)

// Run checks target and returns the report. client may be nil (a plain client
// with opts.RequestTimeout); it must not keep cookies. ctx bounds the whole run.
func Run(ctx context.Context, client *http.Client, target Target, opts Options) Report {
	if client == nil {
		client = &http.Client{Timeout: opts.RequestTimeout}
	}
	r := &run{client: client, target: target, opts: opts,
		site: strings.TrimSuffix(target.SiteURL, "/"), api: strings.TrimSuffix(target.APIURL, "/")}
	for _, c := range []struct {
		name  string
		check func(context.Context) (Status, string)
	}{
		{CheckStorefront, r.storefront},
		{CheckStorefrontHeaders, func(context.Context) (Status, string) { return r.securityHeaders(r.page, CheckStorefront) }},
		{CheckStatic, r.staticFile},
		{CheckStaticHeaders, func(context.Context) (Status, string) { return r.securityHeaders(r.static, CheckStatic) }},
		{CheckProducts, r.productList},
		{CheckProduct, r.oneProduct},
		{CheckOrder, r.order},
		{CheckOrderReplay, r.orderReplay},
		{CheckAPIRefused, r.apiRefused},
		{CheckOrderBurst, r.orderBurst},
		{CheckSessionLimit, r.sessionLimit},
		{CheckIPLimit, r.ipLimit},
	} {
		status, detail := Skipped, "the run's deadline passed before it"
		if ctx.Err() == nil {
			status, detail = c.check(ctx)
		}
		r.report = append(r.report, Result{Check: c.name, Status: status, Detail: detail})
	}
	return r.report
}

// perSecond is the interval between requests sent at rate a second.
func perSecond(rate float64) time.Duration {
	return time.Duration(math.Ceil(float64(time.Second) / rate))
}
