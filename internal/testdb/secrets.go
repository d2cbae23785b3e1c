package testdb

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Secrets is Secrets Manager holding the RDS secret of one login role of a test
// database: rotate its password, or make it unreachable, in the middle of a test.
type Secrets struct {
	db    *DB
	mu    sync.Mutex
	doc   map[string]any
	down  bool
	reads atomic.Int64
}

// LoginRole creates a role that logs in with a password (the local PostgreSQL
// trusts only its superuser), grants it grants (SQL after GRANT, ending in "TO"),
// and returns the secret that holds its credentials, as RDS writes one.
func (db *DB) LoginRole(t testing.TB, name, grants string) *Secrets {
	t.Helper()
	db.Exec(t, `CREATE ROLE `+name+` LOGIN PASSWORD 'first-password'`)
	db.Exec(t, `GRANT `+grants+` `+name)
	t.Cleanup(func() {
		ctx := context.Background()
		_, _ = db.Primary.Exec(ctx, `DROP OWNED BY `+name)
		_, _ = db.Primary.Exec(ctx, `DROP ROLE IF EXISTS `+name)
	})
	u, err := url.Parse(db.PrimaryURL)
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(u.Port())
	return &Secrets{db: db, doc: map[string]any{
		"username": name, "password": "first-password", "host": u.Hostname(), "port": port, "dbname": db.Name,
	}}
}

// Rotate does what a single-user rotation does: it sets a new password on the
// role, then makes it the secret's.
func (s *Secrets) Rotate(t testing.TB, password string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.db.Exec(t, `ALTER ROLE `+s.doc["username"].(string)+` PASSWORD '`+password+`'`)
	s.doc["password"] = password
}

// SetDown makes Secrets Manager unreachable, or reachable again.
func (s *Secrets) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// Reads is how many times the secret was read.
func (s *Secrets) Reads() int64 { return s.reads.Load() }

// GetSecretValue answers as Secrets Manager does.
func (s *Secrets) GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	s.reads.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return nil, errors.New("secretsmanager: connection refused")
	}
	b, _ := json.Marshal(s.doc)
	str := string(b)
	return &secretsmanager.GetSecretValueOutput{SecretString: &str}, nil
}

// RoleURL connects to the primary (or the replica) as a user that is a member of
// role (schema's component roles) and nothing else, as that component logs in.
func (db *DB) RoleURL(t testing.TB, role string, replica bool) string {
	t.Helper()
	name := role + "_" + db.Name
	if db.logins == nil {
		db.logins = map[string]*Secrets{}
	}
	s, ok := db.logins[name]
	if !ok {
		s = db.LoginRole(t, name, role+" TO")
		db.logins[name] = s
		db.WaitForReplica(t) // the user must exist there too
	}
	raw := db.PrimaryURL
	if replica {
		raw = db.ReplicaURL
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	u.User = url.UserPassword(name, s.doc["password"].(string))
	s.mu.Unlock()
	return u.String()
}

// PoolAs is a pool on RoleURL, closed when the test ends.
func (db *DB) PoolAs(t testing.TB, role string, replica bool) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), db.RoleURL(t, role, replica))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}
