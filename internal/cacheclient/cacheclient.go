// Package cacheclient connects to the shop's cache (ElastiCache for Valkey in AWS,
// the local run's Redis on loopback) the way every component that uses it does:
// the caller's client settings, TLS in AWS, and the AUTH token read from its
// Secrets Manager secret.
package cacheclient

import (
	"context"
	"crypto/tls"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/redis/go-redis/v9"
)

// SecretReader reads a secret's value: Secrets Manager's client, or a fake.
type SecretReader interface {
	GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Connect returns a client with opts, which keep the caller's address, timeouts
// and pool: TLS 1.2 or later when useTLS, and the AUTH token of the secret
// authSecretARN when it is set (the local run has neither). It reads the secret
// once; the cache is not contacted until the first command.
func Connect(ctx context.Context, opts *redis.Options, useTLS bool, secrets SecretReader, authSecretARN string) (*redis.Client, error) {
	if useTLS {
		opts.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if authSecretARN != "" {
		out, err := secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &authSecretARN})
		if err != nil {
			return nil, fmt.Errorf("cache AUTH token: %w", err)
		}
		if out.SecretString == nil {
			return nil, fmt.Errorf("cache AUTH token: secret %s has no string value", authSecretARN)
		}
		opts.Password = *out.SecretString
	}
	return redis.NewClient(opts), nil
}
