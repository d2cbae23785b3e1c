package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Edge configures CloudFront, its WAF web ACL, and the site's domain.
type Edge struct {
	// Domain is the site's host name, e.g. shop.example.com. Leave it, HostedZoneID
	// and HostedZoneName empty to serve the site on CloudFront's own
	// *.cloudfront.net name. With a domain, the stage gets an ACM certificate
	// (validated through DNS in the zone) and A and AAAA alias records.
	Domain string
	// HostedZoneID and HostedZoneName name the Route 53 public hosted zone that
	// Domain is in, e.g. Z0123456789ABCDEFGHIJ and example.com. Nothing looks the
	// zone up: synth needs no AWS account.
	HostedZoneID   string
	HostedZoneName string
	// PriceClass picks CloudFront's edge locations: "100" (North America and
	// Europe, the cheapest), "200" (adds most of Asia, the Middle East and
	// Africa) or "All".
	PriceClass string
	// RateLimit is how many requests one IP address may send in
	// RateLimitWindowSeconds before WAF answers it 429 until it slows down.
	RateLimit              int
	RateLimitWindowSeconds int
	// SessionRateLimit is how many requests to the API (static files do not count)
	// one storefront session, the shopapi.SessionCookie the service sets, may send
	// in SessionRateLimitWindowSeconds before WAF answers it 429. A request without
	// the cookie is limited per IP address only.
	SessionRateLimit              int
	SessionRateLimitWindowSeconds int
	// LogRetentionDays is how long CloudFront's access logs and the WAF's logs are kept.
	LogRetentionDays int
	// OriginSecretVersion pins the version of the origin secret CloudFront sends
	// (empty: the current one). It is not a stage setting: `make
	// rotate-origin-secret` passes the new version with -c originSecretVersion=ID,
	// since CloudFormation reads a secret again only when the reference changes.
	OriginSecretVersion string
}

// PriceClasses are the values Edge.PriceClass accepts.
var PriceClasses = []string{"100", "200", "All"}

// RateLimitWindows are the evaluation windows, in seconds, WAF supports.
var RateLimitWindows = []int{60, 120, 300, 600}

var (
	hostedZoneIDPattern  = regexp.MustCompile(`^Z[0-9A-Z]{1,31}$`)
	dnsLabelPattern      = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	secretVersionPattern = regexp.MustCompile(`^[A-Za-z0-9-]{32,64}$`)
)

// validateRate checks a WAF rate rule's limit (field) and window (fieldWindowSeconds).
func validateRate(p *problems, field string, limit, windowSeconds int, per string) {
	if limit < 10 || limit > 2_000_000_000 {
		p.add(field, limit, "10 to 2000000000 requests per "+per+" and window (WAF's bounds)")
	}
	if !slices.Contains(RateLimitWindows, windowSeconds) {
		p.add(field+"WindowSeconds", windowSeconds, "one of "+intList(RateLimitWindows))
	}
}

// HasDomain says whether the stage serves the site on its own domain.
func (e Edge) HasDomain() bool { return e.Domain != "" }

func (e Edge) validate(p *problems) {
	switch {
	case e.Domain == "" && (e.HostedZoneID != "" || e.HostedZoneName != ""):
		p.add("edge.domain", "", fmt.Sprintf("the site's host name inside edge.hostedZoneName (%s), or clear edge.hostedZoneID and edge.hostedZoneName to use CloudFront's own domain", e.HostedZoneName))
	case e.Domain != "":
		if !isDNSName(e.Domain) {
			p.add("edge.domain", e.Domain, "a lower-case host name such as shop.example.com, without a trailing dot or wildcard")
		}
		if !hostedZoneIDPattern.MatchString(e.HostedZoneID) {
			p.add("edge.hostedZoneID", e.HostedZoneID, "the ID of the Route 53 public hosted zone of edge.domain, such as Z0123456789ABCDEFGHIJ (Route 53 console, or `aws route53 list-hosted-zones`)")
		}
		switch {
		case !isDNSName(e.HostedZoneName):
			p.add("edge.hostedZoneName", e.HostedZoneName, "the name of the hosted zone edge.hostedZoneID, a lower-case domain such as example.com without a trailing dot")
		case e.Domain != e.HostedZoneName && !strings.HasSuffix(e.Domain, "."+e.HostedZoneName):
			p.add("edge.domain", e.Domain, fmt.Sprintf("a name inside edge.hostedZoneName (%s): %s itself or a subdomain of it", e.HostedZoneName, e.HostedZoneName))
		}
	}
	if !slices.Contains(PriceClasses, e.PriceClass) {
		p.add("edge.priceClass", e.PriceClass, "one of "+strings.Join(PriceClasses, ", "))
	}
	validateRate(p, "edge.rateLimit", e.RateLimit, e.RateLimitWindowSeconds, "IP address")
	validateRate(p, "edge.sessionRateLimit", e.SessionRateLimit, e.SessionRateLimitWindowSeconds, "session")
	if e.OriginSecretVersion != "" && !secretVersionPattern.MatchString(e.OriginSecretVersion) {
		p.add("originSecretVersion (context)", e.OriginSecretVersion, "a Secrets Manager version ID, 32 to 64 letters, digits and hyphens, as put-secret-value prints it")
	}
	if !slices.Contains(LogRetentionDays, e.LogRetentionDays) {
		p.add("edge.logRetentionDays", e.LogRetentionDays, "one of "+intList(LogRetentionDays)+" (CloudWatch Logs keeps the WAF's logs that long)")
	}
}

// isDNSName reports whether name is a lower-case DNS name of two labels or more.
func isDNSName(name string) bool {
	labels := strings.Split(name, ".")
	if len(name) > 253 || len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if !dnsLabelPattern.MatchString(l) {
			return false
		}
	}
	return true
}
