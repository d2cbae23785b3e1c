package config

import (
	"fmt"
	"net/url"
	"slices"
)

// API configures the API Gateway HTTP API in front of the load balancer.
type API struct {
	// RateLimit (requests per second, steady) and BurstLimit (the bucket's size) are
	// the stage's token bucket: every route shares it.
	RateLimit  float64
	BurstLimit int
	// OrdersRateLimit and OrdersBurstLimit are tighter limits on POST /api/orders.
	OrdersRateLimit  float64
	OrdersBurstLimit int
	// PaymentURL is the base URL of a third-party payment API; /api/pay/{proxy+}
	// exists only when it is set.
	PaymentURL string
	// LogRetentionDays applies to the access logs.
	LogRetentionDays int
	// LatencyAlarmMillis raises an alarm when the API's p99 latency is above it.
	LatencyAlarmMillis int
}

func (a API) validate(p *problems) {
	if a.RateLimit <= 0 || a.RateLimit > 10000 {
		p.add("api.rateLimit", a.RateLimit, "more than 0, up to the account's 10000 requests per second")
	}
	if a.BurstLimit < 1 || a.BurstLimit > 5000 {
		p.add("api.burstLimit", a.BurstLimit, "1 to 5000")
	}
	if a.OrdersRateLimit <= 0 || a.OrdersRateLimit > a.RateLimit {
		p.add("api.ordersRateLimit", a.OrdersRateLimit, fmt.Sprintf("more than 0, up to api.rateLimit (%g)", a.RateLimit))
	}
	if a.OrdersBurstLimit < 1 || a.OrdersBurstLimit > a.BurstLimit {
		p.add("api.ordersBurstLimit", a.OrdersBurstLimit, fmt.Sprintf("1 to api.burstLimit (%d)", a.BurstLimit))
	}
	if a.PaymentURL != "" {
		if u, err := url.Parse(a.PaymentURL); err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" {
			p.add("api.paymentURL", a.PaymentURL, "an https:// base URL without a query, or empty for no payment route")
		}
	}
	if !slices.Contains(LogRetentionDays, a.LogRetentionDays) {
		p.add("api.logRetentionDays", a.LogRetentionDays, "one of "+intList(LogRetentionDays))
	}
	if a.LatencyAlarmMillis < 1 {
		p.add("api.latencyAlarmMillis", a.LatencyAlarmMillis, "1 or more")
	}
}
