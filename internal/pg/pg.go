// Package pg opens PostgreSQL connection pools the way every part of the shop needs
// them: credentials from the RDS secret, TLS verified against the RDS certificate
// authorities, and timeouts on connecting.
package pg

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/jackc/pgx/v5/pgxpool"
)

// rdsCABundle holds the public CA certificates of Amazon RDS (scripts/rds-ca-bundle.sh).
//
//go:embed rds-ca-bundle.pem
var rdsCABundle []byte

// TLS says how a connection checks the server.
type TLS string

const (
	// VerifyFull checks the certificate chain and that it names the host: for the
	// writer endpoint, which is the name on the RDS certificate.
	VerifyFull TLS = "verify-full"
	// VerifyCA checks the chain only: for reader.<prefix>.internal, a CNAME whose
	// name is not on the certificate. Only RDS holds certificates from these CAs.
	VerifyCA TLS = "verify-ca"
	// Disable is for the local PostgreSQL of the tests, on loopback.
	Disable TLS = "disable"
)

// Config says where a pool connects and as whom.
type Config struct {
	Host     string
	Port     int
	Database string
	User     string
	Password string
	TLS      TLS
	// MaxConns caps the pool; a Lambda wants 1 or 2, the service more.
	MaxConns int32
}

// Secret is the JSON document of an RDS secret in Secrets Manager.
type Secret struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Host     string `json:"host"`
	Port     int    `json:"port"`
	DBName   string `json:"dbname"`
}

// SecretReader reads a secret; *secretsmanager.Client is one.
type SecretReader interface {
	GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// FromSecret builds a Config from the RDS secret named by arn. host overrides the
// secret's host (the reader name instead of the writer), when not empty.
func FromSecret(ctx context.Context, sm SecretReader, arn, host string, mode TLS) (Config, error) {
	out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &arn})
	if err != nil {
		return Config{}, fmt.Errorf("pg: read secret: %w", err)
	}
	if out.SecretString == nil {
		return Config{}, errors.New("pg: the secret has no string value")
	}
	var s Secret
	if err := json.Unmarshal([]byte(*out.SecretString), &s); err != nil {
		return Config{}, fmt.Errorf("pg: decode secret: %w", err)
	}
	if host == "" {
		host = s.Host
	}
	return Config{Host: host, Port: s.Port, Database: s.DBName, User: s.Username, Password: s.Password, TLS: mode}, nil
}

// Open returns a pool for c; it does not connect until first used.
func Open(ctx context.Context, c Config) (*pgxpool.Pool, error) {
	u := url.URL{
		Scheme: "postgres",
		User:   url.UserPassword(c.User, c.Password),
		Host:   net.JoinHostPort(c.Host, strconv.Itoa(c.Port)),
		Path:   "/" + c.Database,
	}
	q := url.Values{"sslmode": {"disable"}, "connect_timeout": {"5"}}
	u.RawQuery = q.Encode()
	cfg, err := pgxpool.ParseConfig(u.String())
	if err != nil {
		return nil, fmt.Errorf("pg: %w", err)
	}
	if c.MaxConns > 0 {
		cfg.MaxConns = c.MaxConns
	}
	cfg.MaxConnIdleTime = 5 * time.Minute
	switch c.TLS {
	case VerifyFull, VerifyCA:
		tlsConfig, err := tlsFor(c.Host, c.TLS)
		if err != nil {
			return nil, err
		}
		cfg.ConnConfig.TLSConfig = tlsConfig
		cfg.ConnConfig.Fallbacks = nil // never fall back to plain text
	case Disable:
	default:
		return nil, fmt.Errorf("pg: TLS mode %q: want verify-full, verify-ca or disable", c.TLS)
	}
	return pgxpool.NewWithConfig(ctx, cfg)
}

// tlsFor returns the TLS settings of a mode, trusting only the RDS CAs.
func tlsFor(host string, mode TLS) (*tls.Config, error) {
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(rdsCABundle) {
		return nil, errors.New("pg: no certificate in the RDS CA bundle")
	}
	if mode == VerifyFull {
		return &tls.Config{RootCAs: roots, ServerName: host, MinVersion: tls.VersionTLS12}, nil
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		// Go cannot check a chain without a host name through the usual path:
		// skip that one check and verify the chain here instead.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("pg: the server sent no certificate")
			}
			intermediates := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				intermediates.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: intermediates})
			return err
		},
	}, nil
}

// OpenFromSecret is FromSecret then Open: a pool of at most maxConns connections to
// host (or the secret's host) as the secret's user. A Lambda wants 1 or 2.
func OpenFromSecret(ctx context.Context, sm SecretReader, arn, host string, mode TLS, maxConns int32) (*pgxpool.Pool, error) {
	c, err := FromSecret(ctx, sm, arn, host, mode)
	if err != nil {
		return nil, err
	}
	c.MaxConns = maxConns
	return Open(ctx, c)
}
