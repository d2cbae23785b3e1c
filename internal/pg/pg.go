// Package pg opens PostgreSQL connection pools the way every part of the shop needs
// them: credentials from the RDS secret, read again for every new connection so a
// rotation never locks a client out; TLS verified against the RDS certificate
// authorities; and limits on every session (statement, lock and idle-transaction
// timeouts), so one stuck query or lock cannot hold a client for long.
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
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/singleflight"
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
	// Limits bound every session of the pool.
	Limits Limits
	// Credentials, when set, give the user and password of each new connection,
	// instead of User and Password: see SecretSource.
	Credentials func(ctx context.Context) (user, password string, err error)
}

// Limits bound what one session may do; PostgreSQL ends a statement, a lock wait
// or an idle transaction that goes beyond them (SQLSTATE 57014, 55P03, 25P03).
// Zero leaves the server's setting.
type Limits struct {
	Statement         time.Duration // statement_timeout
	Lock              time.Duration // lock_timeout
	IdleInTransaction time.Duration // idle_in_transaction_session_timeout
}

// The limits of each kind of client. A request of the service has about a second
// to live; a consumer gives a message a few seconds; the daily report reads a
// day of orders; a catalog import copies a whole file in one statement (its
// function has 15 minutes), and waits a few seconds at most for a row another
// client holds (the inventory consumer's stock); a migration may run long (its function has 5 minutes), but never
// queues behind a long transaction for more than a few seconds (an ALTER TABLE
// waiting for its lock would block every query behind it). The database sets
// defaults too (migration 00006), for sessions that set none.
var (
	ServiceLimits   = Limits{Statement: 5 * time.Second, Lock: time.Second, IdleInTransaction: 10 * time.Second}
	ConsumerLimits  = Limits{Statement: 10 * time.Second, Lock: 2 * time.Second, IdleInTransaction: 10 * time.Second}
	ReportLimits    = Limits{Statement: 5 * time.Minute, Lock: time.Second, IdleInTransaction: time.Minute}
	MigrationLimits = Limits{Statement: 15 * time.Minute, Lock: 5 * time.Second, IdleInTransaction: time.Minute}
	ImportLimits    = Limits{Statement: 10 * time.Minute, Lock: 5 * time.Second, IdleInTransaction: time.Minute}
)

// params are the limits as run-time parameters of the connection.
func (l Limits) params() map[string]string {
	p := map[string]string{}
	for name, d := range map[string]time.Duration{
		"statement_timeout": l.Statement, "lock_timeout": l.Lock, "idle_in_transaction_session_timeout": l.IdleInTransaction,
	} {
		if d > 0 {
			p[name] = strconv.FormatInt(d.Milliseconds(), 10)
		}
	}
	return p
}

// Tune applies the limits to a pool's configuration, e.g. one parsed from a URL.
func (l Limits) Tune(cfg *pgxpool.Config) {
	for k, v := range l.params() {
		cfg.ConnConfig.RuntimeParams[k] = v
	}
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

// readSecret reads and decodes the RDS secret named by arn.
func readSecret(ctx context.Context, sm SecretReader, arn string) (Secret, error) {
	out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &arn})
	if err != nil {
		return Secret{}, fmt.Errorf("pg: read secret: %w", err)
	}
	if out.SecretString == nil {
		return Secret{}, errors.New("pg: the secret has no string value")
	}
	var s Secret
	if err := json.Unmarshal([]byte(*out.SecretString), &s); err != nil {
		return Secret{}, fmt.Errorf("pg: decode secret: %w", err)
	}
	if s.Username == "" || s.Password == "" {
		return Secret{}, errors.New("pg: the secret has no username or password")
	}
	return s, nil
}

// SecretSource gives the credentials of an RDS secret to each new connection.
// It reads the secret for every connection a pool opens (concurrent opens share
// one read), so a connection opened after a rotation logs in with the new
// password, with no restart. If Secrets Manager cannot be read, it falls back to
// the last credentials it read: a rotation needs both to fail at once to lock a
// client out. Connections already open are not affected by a rotation.
type SecretSource struct {
	SM  SecretReader
	ARN string

	group singleflight.Group
	mu    sync.Mutex
	last  Secret
}

// Read returns the secret as it is now, or as it was last read.
func (s *SecretSource) Read(ctx context.Context) (Secret, error) {
	v, err, _ := s.group.Do("", func() (any, error) { return readSecret(ctx, s.SM, s.ARN) })
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		if s.last.Password != "" {
			return s.last, nil
		}
		return Secret{}, err
	}
	s.last = v.(Secret)
	return s.last, nil
}

// Credentials is Read for Config.Credentials.
func (s *SecretSource) Credentials(ctx context.Context) (user, password string, err error) {
	secret, err := s.Read(ctx)
	return secret.Username, secret.Password, err
}

// FromSecret builds a Config from the RDS secret named by arn, whose every new
// connection reads the secret again. host overrides the secret's host (the
// reader name instead of the writer), when not empty.
func FromSecret(ctx context.Context, sm SecretReader, arn, host string, mode TLS) (Config, error) {
	source := &SecretSource{SM: sm, ARN: arn}
	s, err := source.Read(ctx)
	if err != nil {
		return Config{}, err
	}
	if host == "" {
		host = s.Host
	}
	return Config{Host: host, Port: s.Port, Database: s.DBName, User: s.Username, TLS: mode, Credentials: source.Credentials}, nil
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
	c.Limits.Tune(cfg)
	if c.Credentials != nil {
		cfg.BeforeConnect = func(ctx context.Context, cc *pgx.ConnConfig) error {
			user, password, err := c.Credentials(ctx)
			if err != nil {
				return err
			}
			cc.User, cc.Password = user, password
			return nil
		}
	}
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
// host (or the secret's host) as the secret's user, each session within limits.
// A Lambda wants 1 or 2.
func OpenFromSecret(ctx context.Context, sm SecretReader, arn, host string, mode TLS, maxConns int32, limits Limits) (*pgxpool.Pool, error) {
	c, err := FromSecret(ctx, sm, arn, host, mode)
	if err != nil {
		return nil, err
	}
	c.MaxConns, c.Limits = maxConns, limits
	return Open(ctx, c)
}

// OpenURL opens a pool on a connection URL (the local run and tests), each
// session within limits.
func OpenURL(ctx context.Context, connURL string, limits Limits) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(connURL)
	if err != nil {
		return nil, fmt.Errorf("pg: %w", err)
	}
	limits.Tune(cfg)
	return pgxpool.NewWithConfig(ctx, cfg)
}
