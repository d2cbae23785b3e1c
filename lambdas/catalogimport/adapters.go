package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/redis/go-redis/v9"
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

// cacheOptions are the import's client settings; cacheclient.Connect adds TLS
// and the AUTH token.
func cacheOptions(addr string) *redis.Options {
	return &redis.Options{
		Addr: addr, ContextTimeoutEnabled: true, MaxRetries: cacheRetries,
		DialTimeout: cacheTimeout, ReadTimeout: cacheTimeout, WriteTimeout: cacheTimeout, PoolSize: 1,
	}
}
