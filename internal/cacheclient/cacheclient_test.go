package cacheclient

import (
	"context"
	"crypto/tls"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/redis/go-redis/v9"
)

var errNoSecret = errors.New("no such secret")

// secrets is a SecretReader of fixed values by ARN; a nil value has no string.
type secrets map[string]*string

func (s secrets) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	v, ok := s[*in.SecretId]
	if !ok {
		return nil, errNoSecret
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: v}, nil
}

func TestConnect(t *testing.T) {
	token := "s3cret-token"
	const arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:cache-auth"
	ctx := context.Background()

	// In AWS: TLS and the token, with the caller's other settings kept.
	c, err := Connect(ctx, &redis.Options{Addr: "cache.example:6379", PoolSize: 3}, true, secrets{arn: &token}, arn)
	if err != nil {
		t.Fatal(err)
	}
	o := c.Options()
	if o.TLSConfig == nil || o.TLSConfig.MinVersion != tls.VersionTLS12 || o.Password != token || o.Addr != "cache.example:6379" || o.PoolSize != 3 {
		t.Errorf("options: TLS %v, password %q, addr %s, pool %d; want TLS 1.2+, the secret's token, the caller's addr and pool", o.TLSConfig, o.Password, o.Addr, o.PoolSize)
	}

	// Locally: neither, and no secret read.
	c, err = Connect(ctx, &redis.Options{Addr: "127.0.0.1:6379"}, false, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if o := c.Options(); o.TLSConfig != nil || o.Password != "" {
		t.Errorf("local options: TLS %v, password %q; want neither", o.TLSConfig, o.Password)
	}

	// A secret that cannot be read, or holds no string, is an error naming the token.
	for name, s := range map[string]secrets{"unreadable": {}, "binary": {arn: nil}} {
		if _, err := Connect(ctx, &redis.Options{}, true, s, arn); err == nil || !strings.Contains(err.Error(), "cache AUTH token") {
			t.Errorf("%s secret: error %v, want one naming the cache AUTH token", name, err)
		}
	}
}
