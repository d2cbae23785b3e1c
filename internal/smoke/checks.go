package smoke

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/example/scalable-web/internal/securityheaders"
	"github.com/example/scalable-web/internal/shopapi"
)

// run is one run's state: what earlier checks found that later ones use.
type run struct {
	client    *http.Client
	target    Target
	opts      Options
	site, api string // the target's base URLs, without a trailing slash

	mu sync.Mutex // guards sent, cloudFront and apiGateway: the burst sends at once
	// sent holds when each request through the site was sent: the WAF's per-IP
	// rule counts every one of them.
	sent []time.Time
	// cloudFront and apiGateway say whether a response from the site came through
	// them: a target given only by URL may still be a deployed stage.
	cloudFront, apiGateway bool

	page, static *response // the storefront page and the static file, for their headers
	staticPath   string    // the first /static/ file the page names
	productID    int64     // the first product of the list
	orderID      string    // the order placed, and what its replay must return
	orderKey     string
	orderBody    []byte

	report Report
}

// response is what a check reads of an answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// UserAgent names the run's requests in the WAF's and CloudFront's logs.
const UserAgent = "shop-smoke (make smoke)"

// maxBody is the most of an answer a check reads.
const maxBody = 1 << 20

// do sends one request, with the run's per-request timeout, and reads the answer.
func (r *run) do(ctx context.Context, method, url string, header http.Header, body []byte) (*response, error) {
	ctx, cancel := context.WithTimeout(ctx, r.opts.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", UserAgent)
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	viaSite := strings.HasPrefix(url, r.site+"/")
	if viaSite {
		r.mu.Lock()
		r.sent = append(r.sent, time.Now())
		r.mu.Unlock()
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading the answer: %w", method, url, err)
	}
	if viaSite {
		r.mu.Lock()
		r.cloudFront = r.cloudFront || viaCloudFront(resp.Header)
		r.apiGateway = r.apiGateway || fromAPIGateway(resp.Header)
		r.mu.Unlock()
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// viaCloudFront reports whether an answer came through CloudFront, which adds
// X-Amz-Cf-Id and names itself in Via.
func viaCloudFront(h http.Header) bool {
	return h.Get("X-Amz-Cf-Id") != "" || strings.Contains(strings.ToLower(h.Get("Via")), "cloudfront")
}

// fromAPIGateway reports whether an answer came from an HTTP API, which adds
// Apigw-Requestid; a 429 without it came from the WAF.
func fromAPIGateway(h http.Header) bool { return h.Get("Apigw-Requestid") != "" }

// unexpected describes an answer a check did not want.
func unexpected(resp *response, want string) string {
	body := strings.Join(strings.Fields(string(resp.body)), " ")
	if len(body) > 120 {
		body = body[:120] + "…"
	}
	detail := fmt.Sprintf("got %d, want %s", resp.status, want)
	if body != "" {
		detail += ": " + body
	}
	if resp.status == http.StatusTooManyRequests {
		detail += " (rate-limited: if a smoke run ended in the last few minutes, wait for the WAF's window to pass)"
	}
	return detail
}

// needs is the reason a check skips when a check it depends on did not pass.
func needs(check string) string { return "needs the " + check + " check, which did not pass" }

// staticRef finds the files the storefront page loads from /static/.
var staticRef = regexp.MustCompile(`(?:src|href)="(/static/[^"?#]+)"`)

func (r *run) storefront(ctx context.Context) (Status, string) {
	resp, err := r.do(ctx, http.MethodGet, r.site+"/", nil, nil)
	if err != nil {
		return Fail, err.Error()
	}
	if resp.status != http.StatusOK {
		return Fail, unexpected(resp, "200")
	}
	r.page = resp
	if ct := resp.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		return Fail, fmt.Sprintf("Content-Type %q, want text/html", ct)
	}
	if !setsCookie(resp.header, shopapi.SessionCookie) {
		return Fail, "no " + shopapi.SessionCookie + " cookie set: the WAF's per-session rule keys on it"
	}
	if m := staticRef.FindSubmatch(resp.body); m != nil {
		r.staticPath = string(m[1])
	}
	detail := "200 text/html, sets " + shopapi.SessionCookie
	if r.cloudFront {
		detail += ", through CloudFront"
	}
	return Pass, detail
}

func setsCookie(h http.Header, name string) bool {
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == name && c.Value != "" {
			return true
		}
	}
	return false
}

func (r *run) staticFile(ctx context.Context) (Status, string) {
	switch {
	case r.page == nil:
		return Skipped, needs(CheckStorefront)
	case r.staticPath == "":
		return Fail, "the storefront page loads no /static/ file"
	}
	resp, err := r.do(ctx, http.MethodGet, r.site+r.staticPath, nil, nil)
	if err != nil {
		return Fail, err.Error()
	}
	if resp.status != http.StatusOK || len(resp.body) == 0 {
		return Fail, r.staticPath + ": " + unexpected(resp, "200 and the file")
	}
	r.static = resp
	return Pass, fmt.Sprintf("%s: 200, %d bytes", r.staticPath, len(resp.body))
}

// securityHeaders are the headers, and their values, that CloudFront's
// response-headers policy sets on every answer: the one definition infra/edge
// builds the policy from.
var securityHeaders = securityheaders.Header()

// securityHeaderNames are their names, in a fixed order for messages.
var securityHeaderNames = slices.Sorted(maps.Keys(securityHeaders))

// securityHeaders checks an answer's security headers against that definition.
// Without them the check fails, unless the target is known to have no CloudFront
// in front of it: a URL given without a stage whose answers do not come through
// CloudFront. A header with another value than the definition's fails.
func (r *run) securityHeaders(resp *response, of string) (Status, string) {
	if resp == nil {
		return Skipped, needs(of)
	}
	var missing []string
	for _, h := range securityHeaderNames {
		got, want := resp.header.Get(h), securityHeaders.Get(h)
		switch {
		case got == "":
			missing = append(missing, h)
		case got != want:
			return Fail, fmt.Sprintf("%s %q, want %q", h, got, want)
		}
	}
	switch {
	case len(missing) == 0:
		return Pass, strings.Join(securityHeaderNames, ", ")
	case r.target.Stage == nil && !r.cloudFront:
		return Skipped, fmt.Sprintf("no CloudFront in front of %s, which adds them (%s)", r.site, missingList(missing))
	default:
		return Fail, missingList(missing)
	}
}

func missingList(missing []string) string {
	if len(missing) == len(securityHeaderNames) {
		return fmt.Sprintf("none of the %d is set", len(missing))
	}
	return "missing " + strings.Join(missing, ", ")
}

// page is the part of GET /api/products the checks read.
type page struct {
	Products []struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	} `json:"products"`
}

func (r *run) productList(ctx context.Context) (Status, string) {
	resp, err := r.do(ctx, http.MethodGet, r.site+"/api/products?limit=5", nil, nil)
	if err != nil {
		return Fail, err.Error()
	}
	if resp.status != http.StatusOK {
		return Fail, unexpected(resp, "200")
	}
	var p page
	if err := json.Unmarshal(resp.body, &p); err != nil {
		return Fail, "not a product page: " + err.Error()
	}
	if len(p.Products) == 0 {
		return Fail, "200 with no products: is the catalog empty?"
	}
	for _, prod := range p.Products {
		if prod.ID <= 0 || prod.Name == "" {
			return Fail, fmt.Sprintf("a product without an ID or name: %+v", prod)
		}
	}
	r.productID = p.Products[0].ID
	return Pass, fmt.Sprintf("200, %d products, the first %d", len(p.Products), r.productID)
}

func (r *run) oneProduct(ctx context.Context) (Status, string) {
	if r.productID == 0 {
		return Skipped, needs(CheckProducts)
	}
	resp, err := r.do(ctx, http.MethodGet, fmt.Sprintf("%s/api/products/%d", r.site, r.productID), nil, nil)
	if err != nil {
		return Fail, err.Error()
	}
	if resp.status != http.StatusOK {
		return Fail, unexpected(resp, "200")
	}
	var p struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	}
	if err := json.Unmarshal(resp.body, &p); err != nil || p.ID != r.productID || p.Name == "" {
		return Fail, fmt.Sprintf("got %s, want product %d with its name", resp.body, r.productID)
	}
	return Pass, fmt.Sprintf("200, product %d %q", p.ID, p.Name)
}

// OrderEmail is the customer of the order a run places: Amazon SES's mailbox
// simulator, which accepts mail and counts no bounce, should the stage send the
// confirmation.
const OrderEmail = "success@simulator.amazonses.com"

// placedOrder is the part of an order the checks read.
type placedOrder struct {
	ID string `json:"id"`
}

func (r *run) order(ctx context.Context) (Status, string) {
	if r.productID == 0 {
		return Skipped, needs(CheckProducts)
	}
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	r.orderKey = "smoke-" + time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(suffix)
	r.orderBody, _ = json.Marshal(map[string]any{
		"customerEmail": OrderEmail,
		"lines":         []map[string]int64{{"productId": r.productID, "quantity": 1}},
	})
	resp, err := r.postOrder(ctx)
	if err != nil {
		return Fail, err.Error()
	}
	if resp.status != http.StatusCreated {
		return Fail, unexpected(resp, "201")
	}
	var o placedOrder
	if err := json.Unmarshal(resp.body, &o); err != nil || o.ID == "" {
		return Fail, fmt.Sprintf("201 without an order ID: %s", resp.body)
	}
	r.orderID = o.ID
	return Pass, fmt.Sprintf("201, order %s, Idempotency-Key %s", o.ID, r.orderKey)
}

func (r *run) postOrder(ctx context.Context) (*response, error) {
	return r.do(ctx, http.MethodPost, r.site+"/api/orders", http.Header{"Idempotency-Key": {r.orderKey}}, r.orderBody)
}

func (r *run) orderReplay(ctx context.Context) (Status, string) {
	if r.orderID == "" {
		return Skipped, needs(CheckOrder)
	}
	resp, err := r.postOrder(ctx)
	if err != nil {
		return Fail, err.Error()
	}
	var o placedOrder
	_ = json.Unmarshal(resp.body, &o)
	switch {
	case resp.status == http.StatusCreated:
		return Fail, fmt.Sprintf("201 again: the same Idempotency-Key made a second order, %s", o.ID)
	case resp.status != http.StatusOK:
		return Fail, unexpected(resp, "200 and the same order")
	case o.ID != r.orderID:
		return Fail, fmt.Sprintf("200 with order %q, want the first, %s", o.ID, r.orderID)
	}
	return Pass, "200, the same order " + o.ID
}

func (r *run) apiRefused(ctx context.Context) (Status, string) {
	if r.api == "" {
		return Skipped, "no API URL given (API_URL=…)"
	}
	resp, err := r.do(ctx, http.MethodGet, r.api+"/api/products?limit=1", nil, nil)
	if err != nil {
		return Fail, err.Error()
	}
	if resp.status != http.StatusForbidden {
		return Fail, r.api + ": " + unexpected(resp, "403: only CloudFront may reach the API")
	}
	return Pass, fmt.Sprintf("%s: 403 without %s", r.api, shopapi.OriginHeader)
}
