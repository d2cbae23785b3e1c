package shop

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/example/scalable-web/internal/envnames"
)

// Config is the service's configuration, read from the environment at start-up.
type Config struct {
	Addr string // SHOP_ADDR, default :8080

	// In AWS: DB_SECRET_ARN (the RDS secret), DB_WRITER_HOST and DB_READER_HOST,
	// TLS verified. Locally: DATABASE_URL and REPLICA_URL, on loopback.
	DBSecretARN, DBWriterHost, DBReaderHost string
	DatabaseURL, ReplicaURL                 string
	ReplicaMaxLag                           time.Duration // REPLICA_MAX_LAG, default 30s

	RedisAddr          string // REDIS_ADDR host:port; empty turns the cache off
	RedisTLS           bool   // REDIS_TLS=true in AWS
	RedisAuthSecretARN string // REDIS_AUTH_SECRET_ARN: the AUTH token, in AWS
	CacheTTL           time.Duration
	CacheJitter        time.Duration

	EventsTopicARN string // EVENTS_TOPIC_ARN

	// OriginSecretARN is ORIGIN_SECRET_ARN, the secret whose value CloudFront sends
	// in X-Origin-Verify: set, every request without it is refused (403). Empty
	// (the local run) turns the check off.
	OriginSecretARN string

	// METRICS_NAMESPACE is the CloudWatch namespace of the business metrics (the
	// stage's prefix in AWS; "shop-local" by default); METRICS_PERIOD how often
	// they are recorded, default 1m.
	MetricsNamespace string
	MetricsPeriod    time.Duration

	// TracingEndpoint is OTEL_EXPORTER_OTLP_ENDPOINT, the OTLP/HTTP receiver of the
	// service's spans (the CloudWatch agent, in AWS); empty turns tracing off.
	TracingEndpoint string

	// Drain is how long shutdown waits for requests in flight: the ALB's
	// deregistration delay.
	Drain      time.Duration
	AdminToken string // ADMIN_TOKEN; empty turns the admin route off
}

// Load reads the configuration with getenv and reports every problem at once.
func Load(getenv func(string) string) (Config, error) {
	var problems []string
	duration := func(name string, def time.Duration) time.Duration {
		v := getenv(name)
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			problems = append(problems, fmt.Sprintf("%s %q: want a duration such as 30s", name, v))
			return def
		}
		return d
	}
	c := Config{
		Addr:               or(getenv(envnames.ShopAddr), ":8080"),
		DBSecretARN:        getenv(envnames.DBSecretARN),
		DBWriterHost:       getenv(envnames.DBWriterHost),
		DBReaderHost:       getenv(envnames.DBReaderHost),
		DatabaseURL:        getenv(envnames.DatabaseURL),
		ReplicaURL:         getenv(envnames.ReplicaURL),
		ReplicaMaxLag:      duration(envnames.ReplicaMaxLag, 30*time.Second),
		RedisAddr:          getenv(envnames.RedisAddr),
		RedisTLS:           getenv(envnames.RedisTLS) == "true",
		RedisAuthSecretARN: getenv(envnames.RedisAuthSecretARN),
		CacheTTL:           duration(envnames.CacheTTL, 5*time.Minute),
		CacheJitter:        duration(envnames.CacheJitter, time.Minute),
		EventsTopicARN:     getenv(envnames.EventsTopicARN),
		OriginSecretARN:    getenv(envnames.OriginSecretARN),
		MetricsNamespace:   or(getenv(envnames.MetricsNamespace), "shop-local"),
		MetricsPeriod:      duration(envnames.MetricsPeriod, time.Minute),
		TracingEndpoint:    getenv(envnames.TracingEndpoint),
		Drain:              duration(envnames.DrainTimeout, 20*time.Second),
		AdminToken:         getenv("ADMIN_TOKEN"),
	}
	switch {
	case c.DBSecretARN == "" && c.DatabaseURL == "":
		problems = append(problems, "DB_SECRET_ARN or DATABASE_URL: want one of them (the RDS secret in AWS, a URL locally)")
	case c.DBSecretARN != "" && c.DatabaseURL != "":
		problems = append(problems, "DB_SECRET_ARN and DATABASE_URL: want only one")
	}
	if c.RedisAddr != "" {
		if _, _, err := net.SplitHostPort(c.RedisAddr); err != nil {
			problems = append(problems, fmt.Sprintf("REDIS_ADDR %q: want host:port", c.RedisAddr))
		}
	}
	if !strings.HasPrefix(c.EventsTopicARN, "arn:") {
		problems = append(problems, fmt.Sprintf("EVENTS_TOPIC_ARN %q: want the order-event topic's ARN", c.EventsTopicARN))
	}
	if c.CacheTTL == 0 {
		problems = append(problems, "CACHE_TTL: want more than 0")
	}
	if c.MetricsPeriod < time.Second {
		problems = append(problems, fmt.Sprintf("METRICS_PERIOD %s: want 1s or more", c.MetricsPeriod))
	}
	if len(problems) > 0 {
		return Config{}, errors.New("configuration: " + strings.Join(problems, "; "))
	}
	return c, nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
