// Package securityheaders is the one definition of the security headers every
// response of the shop carries. In AWS, CloudFront's response headers policy sets
// them (infra/edge builds it from these values); on the local run, where no
// CloudFront is in front, the service sets the same ones (Wrap), so the page a
// browser test loads locally meets the policy production enforces.
package securityheaders

import (
	"fmt"
	"net/http"
	"time"
)

// The values. CloudFront's policy can express each of them: a frame option and a
// referrer policy from its lists, and X-Content-Type-Options only as nosniff.
const (
	// HSTSMaxAge is Strict-Transport-Security's max-age: two years, what the HSTS
	// preload list asks for. HSTSIncludeSubdomains covers the domain's subdomains.
	HSTSMaxAge            = 2 * 365 * 24 * time.Hour
	HSTSIncludeSubdomains = true
	// ContentTypeOptions stops browsers guessing a type other than the one sent.
	ContentTypeOptions = "nosniff"
	// FrameOptions keeps the shop out of every frame (clickjacking); CSP's
	// frame-ancestors says the same to newer browsers.
	FrameOptions = "DENY"
	// ReferrerPolicy sends other sites the origin only, and nothing over plain HTTP.
	ReferrerPolicy = "strict-origin-when-cross-origin"
	// ContentSecurityPolicy lets a page load scripts, styles, fonts and data only
	// from its own origin (images also inline as data: URLs): no inline script or
	// style, no plugin, no other base URL, no form posted elsewhere, no framing.
	ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

// StrictTransportSecurity is the Strict-Transport-Security value, as CloudFront
// writes it from its policy.
func StrictTransportSecurity() string {
	v := fmt.Sprintf("max-age=%d", int64(HSTSMaxAge/time.Second))
	if HSTSIncludeSubdomains {
		v += "; includeSubDomains"
	}
	return v
}

// Header returns every security header with its value.
func Header() http.Header {
	h := http.Header{}
	h.Set("Strict-Transport-Security", StrictTransportSecurity())
	h.Set("X-Content-Type-Options", ContentTypeOptions)
	h.Set("X-Frame-Options", FrameOptions)
	h.Set("Referrer-Policy", ReferrerPolicy)
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	return h
}

// Wrap sets the security headers on every response of next, as CloudFront does in
// AWS, before next runs. (CloudFront replaces a value the origin sent; no handler
// of the shop sends one.)
func Wrap(next http.Handler) http.Handler {
	headers := Header()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for name := range headers {
			w.Header().Set(name, headers.Get(name))
		}
		next.ServeHTTP(w, r)
	})
}
