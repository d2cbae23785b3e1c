package shop

import (
	"testing"
	"time"
)

func TestLoadConfig(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	good := map[string]string{"DATABASE_URL": "postgres://x", "EVENTS_TOPIC_ARN": "arn:aws:sns:eu-west-1:123456789012:t", "REDIS_ADDR": "127.0.0.1:6379"}
	c, err := Load(env(good))
	if err != nil || c.Addr != ":8080" || c.CacheTTL != 5*time.Minute || c.ReplicaMaxLag != 30*time.Second || c.Drain != 20*time.Second {
		t.Errorf("got %+v, %v; want the defaults", c, err)
	}
	_, err = Load(env(map[string]string{"REDIS_ADDR": "cache", "CACHE_TTL": "soon", "EVENTS_TOPIC_ARN": "topic"}))
	want := `configuration: CACHE_TTL "soon": want a duration such as 30s; DB_SECRET_ARN or DATABASE_URL: want one of them (the RDS secret in AWS, a URL locally); REDIS_ADDR "cache": want host:port; EVENTS_TOPIC_ARN "topic": want the order-event topic's ARN`
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}
