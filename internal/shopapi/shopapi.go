// Package shopapi is the shop's public HTTP contract: the routes the API forwards
// to the service, written as API Gateway route keys, which Go's ServeMux reads as
// patterns too. The service serves each of them and the API stack creates one
// route per key and no default route, so nothing else on an instance (its health
// and readiness checks, its counters) is reachable from the internet.
package shopapi

import "strings"

// The routes. Storefront is the page at /, which the service registers as
// "GET /{$}": in a ServeMux pattern "/" matches every path.
const (
	Storefront    = "GET /"
	Products      = "GET /api/products"
	Product       = "GET /api/products/{id}"
	PlaceOrder    = "POST /api/orders"
	Order         = "GET /api/orders/{id}"
	UpdateProduct = "PUT /api/admin/products/{id}"
)

// Routes lists every public route, in the order the API creates them.
var Routes = []string{Storefront, Products, Product, PlaceOrder, Order, UpdateProduct}

// Split returns a route key's method and path.
func Split(route string) (method, path string) {
	method, path, _ = strings.Cut(route, " ")
	return method, path
}

// OriginHeader is the header CloudFront adds to every request it sends to the
// API, with the value of the stage's origin secret; the service refuses (403) a
// request without it: it did not come through CloudFront and its WAF.
const OriginHeader = "X-Origin-Verify"

// SessionCookie names the storefront session the service gives every browser; the
// WAF rate-limits requests per value of it, besides per IP address.
const SessionCookie = "shop_session"

// OriginSecretKey is the JSON key of the value in the origin secret.
const OriginSecretKey = "value"
