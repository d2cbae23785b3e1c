package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/redis/go-redis/v9"

	"github.com/example/scalable-web/internal/pg"
)

// S3Objects opens objects of one bucket, streaming: the load reads the body as
// it copies, so a file of any size takes bounded memory.
type S3Objects struct {
	Client interface {
		GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	}
	Bucket string
}

// Open implements Objects.
func (o S3Objects) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	out, err := o.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: &o.Bucket, Key: &key})
	if err != nil {
		return nil, fmt.Errorf("s3 get: %w", err)
	}
	return out.Body, nil
}

// The cache client's settings: an import talks to the cache once, after its
// commit, so it can wait longer than a shopper's request, and its one retry
// covers a failover of the cache's primary.
const (
	cacheTimeout = 2 * time.Second
	cacheRetries = 1
)

// cacheClient connects to the shop's cache as the service does: TLS, and the
// AUTH token read from its secret (empty authSecretARN: none, as locally).
func cacheClient(ctx context.Context, secrets pg.SecretReader, addr string, useTLS bool, authSecretARN string) (*redis.Client, error) {
	opts := &redis.Options{
		Addr: addr, ContextTimeoutEnabled: true, MaxRetries: cacheRetries,
		DialTimeout: cacheTimeout, ReadTimeout: cacheTimeout, WriteTimeout: cacheTimeout, PoolSize: 1,
	}
	if useTLS {
		opts.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if authSecretARN != "" {
		out, err := secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &authSecretARN})
		if err != nil {
			return nil, fmt.Errorf("cache AUTH token: %w", err)
		}
		if out.SecretString == nil {
			return nil, errors.New("cache AUTH token: the secret has no string value")
		}
		opts.Password = *out.SecretString
	}
	return redis.NewClient(opts), nil
}
