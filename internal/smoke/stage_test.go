package smoke

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/example/scalable-web/internal/shopapi"
)

// fakeStage is a deployed stage on loopback: a site that answers as CloudFront
// does, with a WAF's two rate rules in front of the shop's routes, and an API URL
// that answers as API Gateway does, throttling the order route and refusing,
// like the service, what did not come through CloudFront. Its fields break it.
type fakeStage struct {
	// ipLimit and sessionLimit are what its WAF enforces (0: no rule); it notices
	// a rate wafLag requests late, as the real one does seconds late.
	ipLimit, sessionLimit, wafLag int
	// burst is the order route's bucket at the API's own URL (0: no throttle); it
	// does not refill.
	burst     int
	noHeaders bool   // CloudFront's security headers are not added
	csp       string // a Content-Security-Policy other than the definition's
	apiOpen   bool   // the API's own URL serves without the origin header

	mu       sync.Mutex
	site     int            // requests to the site
	sessions map[string]int // requests to the API paths per session cookie
	orders   map[string]string
	tokens   int
}

func (f *fakeStage) start(t *testing.T) (site, api string) {
	t.Helper()
	f.sessions, f.orders, f.tokens = map[string]int{}, map[string]string{}, f.burst
	s := httptest.NewServer(http.HandlerFunc(f.siteHandler))
	a := httptest.NewServer(http.HandlerFunc(f.apiHandler))
	t.Cleanup(s.Close)
	t.Cleanup(a.Close)
	return s.URL, a.URL
}

func (f *fakeStage) siteHandler(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.site++
	static := strings.HasPrefix(r.URL.Path, "/static/")
	session := 0
	if c, err := r.Cookie(shopapi.SessionCookie); err == nil && !static {
		f.sessions[c.Value]++
		session = f.sessions[c.Value]
	}
	blocked := (f.ipLimit > 0 && f.site > f.ipLimit+f.wafLag) || (f.sessionLimit > 0 && session > f.sessionLimit+f.wafLag)
	f.mu.Unlock()
	w.Header().Set("X-Amz-Cf-Id", "fake")
	w.Header().Set("Via", "1.1 fake.cloudfront.net (CloudFront)")
	if !f.noHeaders {
		for h, v := range securityHeaders {
			w.Header()[h] = v
		}
		if f.csp != "" {
			w.Header().Set("Content-Security-Policy", f.csp)
		}
	}
	if blocked {
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	if !static {
		w.Header().Set("Apigw-Requestid", "fake")
	}
	switch {
	case r.URL.Path == "/":
		http.SetCookie(w, &http.Cookie{Name: shopapi.SessionCookie, Value: "0123456789abcdef0123456789abcdef"})
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<link rel="stylesheet" href="/static/app.css"><script src="/static/app.js" defer></script>`)
	case r.URL.Path == "/static/app.css":
		fmt.Fprint(w, "body{}")
	case r.URL.Path == "/api/products":
		fmt.Fprint(w, `{"products":[{"id":3,"name":"product 3"},{"id":4,"name":"product 4"}],"next":"4"}`)
	case r.URL.Path == "/api/products/3":
		fmt.Fprint(w, `{"id":3,"name":"product 3"}`)
	case r.URL.Path == "/api/orders" && r.Method == http.MethodPost:
		f.placeOrder(w, r)
	default:
		http.NotFound(w, r)
	}
}

// placeOrder keeps the shop's idempotency: the same key answers the same order.
func (f *fakeStage) placeOrder(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Lines []any `json:"lines"`
	}
	if json.NewDecoder(r.Body).Decode(&body) != nil || len(body.Lines) == 0 {
		http.Error(w, `{"error":"lines: want 1 to 50"}`, http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	key := r.Header.Get("Idempotency-Key")
	if id, ok := f.orders[key]; ok {
		fmt.Fprintf(w, `{"id":%q}`, id)
		return
	}
	f.orders[key] = fmt.Sprintf("order-%d", len(f.orders)+1)
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintf(w, `{"id":%q}`, f.orders[key])
}

func (f *fakeStage) apiHandler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Apigw-Requestid", "fake")
	if f.throttled(r) {
		http.Error(w, `{"message":"Too Many Requests"}`, http.StatusTooManyRequests)
		return
	}
	if f.apiOpen {
		fmt.Fprint(w, `{"products":[]}`)
		return
	}
	http.Error(w, `{"error":"forbidden"}`, http.StatusForbidden)
}

// throttled takes a token of the order route's bucket for an order, and reports
// whether there was none.
func (f *fakeStage) throttled(r *http.Request) bool {
	if f.burst == 0 || r.URL.Path != "/api/orders" || r.Method != http.MethodPost {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tokens == 0 {
		return true
	}
	f.tokens--
	return false
}

// fastOptions are DefaultOptions on loopback: no pause is needed for a fake WAF.
func fastOptions() Options {
	o := DefaultOptions()
	o.RequestTimeout, o.WAFMargin, o.WAFMarginInterval, o.Pace = 2*time.Second, 5, time.Millisecond, 1000
	return o
}

// testLimits are a stage's limits, small enough for a test.
func testLimits() *Limits {
	return &Limits{
		Stage:      "test",
		PerIP:      RateRule{Limit: 60, Window: time.Minute},
		PerSession: RateRule{Limit: 20, Window: time.Minute},
		APIRate:    5000, OrdersRate: 2, OrdersBurst: 5,
	}
}

// healthy is a fake stage that enforces testLimits.
func healthy() *fakeStage { return &fakeStage{ipLimit: 60, sessionLimit: 20, wafLag: 2, burst: 5} }

func TestStage(t *testing.T) {
	for _, tc := range []struct {
		name   string
		stage  *fakeStage
		limits func(*Limits)
		noAPI  bool
		want   map[string]Status // the checks not listed pass
		detail map[string]string // a part of the check's detail
	}{
		{name: "healthy", stage: healthy()},
		{
			name: "session limit not below the per-IP limit", stage: healthy(),
			limits: func(l *Limits) { l.PerSession = l.PerIP },
			want:   map[string]Status{CheckSessionLimit: Skipped},
			detail: map[string]string{CheckSessionLimit: "the per-IP limit (60 per 60 s) would answer first"},
		},
		{
			name: "no WAF rules", stage: &fakeStage{burst: 5},
			want:   map[string]Status{CheckSessionLimit: Fail, CheckIPLimit: Fail},
			detail: map[string]string{CheckSessionLimit: "no 429 after 25 requests", CheckIPLimit: "no 429 after 65 requests"},
		},
		{
			name: "session limit lower than configured", stage: &fakeStage{ipLimit: 60, sessionLimit: 4, wafLag: 2, burst: 5},
			want:   map[string]Status{CheckSessionLimit: Fail},
			detail: map[string]string{CheckSessionLimit: "429 after 7 requests, before half the limit (20 per 60 s)"},
		},
		{
			name: "per-IP limit lower than configured", stage: &fakeStage{ipLimit: 20, wafLag: 2, burst: 5},
			limits: func(l *Limits) { l.PerSession = l.PerIP },
			want:   map[string]Status{CheckSessionLimit: Skipped, CheckIPLimit: Fail},
			detail: map[string]string{CheckIPLimit: "429 after 23 requests, before half the limit (60 per 60 s)"},
		},
		{
			name: "the API's own URL serves", stage: &fakeStage{ipLimit: 60, sessionLimit: 20, wafLag: 2, burst: 5, apiOpen: true},
			want:   map[string]Status{CheckAPIRefused: Fail, CheckOrderBurst: Fail},
			detail: map[string]string{CheckAPIRefused: "got 200, want 403"},
		},
		{
			name: "the order route is not throttled", stage: &fakeStage{ipLimit: 60, sessionLimit: 20, wafLag: 2},
			want:   map[string]Status{CheckOrderBurst: Fail},
			detail: map[string]string{CheckOrderBurst: "12 at once to POST"},
		},
		{
			name: "no security headers", stage: &fakeStage{ipLimit: 60, sessionLimit: 20, wafLag: 2, burst: 5, noHeaders: true},
			want:   map[string]Status{CheckStorefrontHeaders: Fail, CheckStaticHeaders: Fail},
			detail: map[string]string{CheckStaticHeaders: "none of the 5 is set"},
		},
		{
			name: "a weaker policy", stage: &fakeStage{ipLimit: 60, sessionLimit: 20, wafLag: 2, burst: 5, csp: "default-src *"},
			want:   map[string]Status{CheckStorefrontHeaders: Fail, CheckStaticHeaders: Fail},
			detail: map[string]string{CheckStaticHeaders: `Content-Security-Policy "default-src *", want "default-src 'self'`},
		},
		{
			name: "no API URL", stage: healthy(), noAPI: true,
			want:   map[string]Status{CheckAPIRefused: Skipped, CheckOrderBurst: Skipped},
			detail: map[string]string{CheckAPIRefused: "no API URL given (API_URL=…)", CheckOrderBurst: "no API URL given (API_URL=…): the burst goes there"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			site, api := tc.stage.start(t)
			limits := testLimits()
			if tc.limits != nil {
				tc.limits(limits)
			}
			if tc.noAPI {
				api = ""
			}
			report := Run(context.Background(), nil, Target{SiteURL: site, APIURL: api, Stage: limits}, fastOptions())
			for _, res := range report {
				want := tc.want[res.Check]
				if want == "" {
					want = Pass
				}
				if res.Status != want || !strings.Contains(res.Detail, tc.detail[res.Check]) {
					t.Errorf("%s: got %s %q, want %s %q", res.Check, res.Status, res.Detail, want, tc.detail[res.Check])
				}
			}
			if len(report) != 12 {
				t.Errorf("got %d checks, want 12", len(report))
			}
			if got, want := report.Failed(), hasFail(tc.want); got != want {
				t.Errorf("Failed() %v, want %v", got, want)
			}
			// Bounded: the WAF checks stop at the limit and the margin.
			if most := limits.PerIP.Limit + fastOptions().WAFMargin; tc.stage.site > most {
				t.Errorf("the site got %d requests, want at most the per-IP limit and the margin, %d", tc.stage.site, most)
			}
		})
	}
}

func hasFail(m map[string]Status) bool {
	for _, s := range m {
		if s == Fail {
			return true
		}
	}
	return false
}

// TestURLThroughCloudFrontWithoutAStage: a URL that answers as CloudFront is a
// deployed stage: its headers are checked, and its limits, which only a stage's
// configuration gives, are skipped saying so.
func TestURLThroughCloudFrontWithoutAStage(t *testing.T) {
	f := healthy()
	site, _ := f.start(t)
	report := Run(context.Background(), nil, Target{SiteURL: site}, fastOptions())
	want := map[string]string{
		CheckStorefrontHeaders: "pass",
		CheckAPIRefused:        "skipped: no API URL given (API_URL=…)",
		CheckOrderBurst:        "skipped: the order route's burst is a stage setting: give STAGE=<stage> too",
		CheckSessionLimit:      "skipped: the per-session limit is a stage setting: give STAGE=<stage> too",
		CheckIPLimit:           "skipped: the per-IP limit is a stage setting: give STAGE=<stage> too",
	}
	for check, w := range want {
		res, _ := report.Result(check)
		if got := string(res.Status) + ": " + res.Detail; !strings.HasPrefix(got, w) {
			t.Errorf("%s: got %q, want %q", check, got, w)
		}
	}
	if got := report.Summary(); got != "8 passed, 0 failed, 4 skipped" {
		t.Errorf("got %q, want 8 passed, 0 failed, 4 skipped", got)
	}
}

// TestDeadlineStopsTheRun: a run whose deadline passed sends nothing more and
// reports the checks it did not run as skipped, never passed.
func TestDeadlineStopsTheRun(t *testing.T) {
	f := healthy()
	site, api := f.start(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	report := Run(ctx, nil, Target{SiteURL: site, APIURL: api, Stage: testLimits()}, fastOptions())
	if got := report.Summary(); got != "0 passed, 0 failed, 12 skipped" || f.site != 0 {
		t.Errorf("got %q after %d requests, want every check skipped and none sent", got, f.site)
	}
}

func TestPrint(t *testing.T) {
	var b strings.Builder
	Report{{CheckStorefront, Pass, "200 text/html"}, {CheckAPIRefused, Skipped, "no API URL given (API_URL=…)"}, {CheckOrder, Fail, "got 500"}}.Print(&b)
	want := `check            result   detail
storefront page  pass     200 text/html
API URL refused  skipped  no API URL given (API_URL=…)
order            FAIL     got 500
1 passed, 1 failed, 1 skipped
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
