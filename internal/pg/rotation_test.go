package pg

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/example/scalable-web/internal/testdb"
)

// fakeSecrets is Secrets Manager holding one RDS secret, whose password a test
// rotates, and which a test can make unreachable.
type fakeSecrets struct {
	mu     sync.Mutex
	secret Secret
	down   bool
	reads  atomic.Int64
}

func (f *fakeSecrets) GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.reads.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return nil, errors.New("secretsmanager: connection refused")
	}
	b, _ := json.Marshal(f.secret)
	s := string(b)
	return &secretsmanager.GetSecretValueOutput{SecretString: &s}, nil
}

func (f *fakeSecrets) set(password string, down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.secret.Password, f.down = password, down
}

// loginRole creates a role that logs in with a password (the local PostgreSQL
// trusts only its superuser) and may read and write the test database.
func loginRole(t *testing.T, db *testdb.DB) (name, password string) {
	t.Helper()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name, password = "rotation_"+hex.EncodeToString(b), "first-"+hex.EncodeToString(b)
	db.Exec(t, `CREATE ROLE `+name+` LOGIN PASSWORD '`+password+`'`)
	db.Exec(t, `GRANT SELECT, INSERT ON products TO `+name)
	t.Cleanup(func() {
		_, _ = db.Primary.Exec(context.Background(), `REVOKE ALL ON products FROM `+name)
		_, _ = db.Primary.Exec(context.Background(), `DROP ROLE IF EXISTS `+name)
	})
	return name, password
}

// TestFaultPasswordRotated changes the role's password in the middle of a run,
// as a Secrets Manager rotation does, and checks that the pool keeps working: the
// connections it had stay, and every new one logs in with the new password.
func TestFaultPasswordRotated(t *testing.T) {
	db := testdb.New(t)
	role, password := loginRole(t, db)
	u, _ := url.Parse(db.PrimaryURL)
	port, _ := strconv.Atoi(u.Port())
	secrets := &fakeSecrets{secret: Secret{Username: role, Password: password, Host: u.Hostname(), Port: port, DBName: db.Name}}
	ctx := context.Background()
	pool, err := OpenFromSecret(ctx, secrets, "arn:aws:secretsmanager:us-east-1:100010001000:secret:db", "", Disable, 4, ServiceLimits)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	write := func(step string, i int) {
		t.Helper()
		if _, err := pool.Exec(ctx, `INSERT INTO products (sku, name, price_cents) VALUES ($1, 'rotated', 1)`, step+strconv.Itoa(i)); err != nil {
			t.Fatalf("%s, write %d: %v", step, i, err)
		}
	}
	for i := range 5 {
		write("before", i)
	}

	// The rotation: the new password is set on the role and becomes the secret's.
	db.Exec(t, `ALTER ROLE `+role+` PASSWORD 'second-password'`)
	secrets.set("second-password", false)
	for i := range 5 {
		write("open connections", i) // the connections the pool has keep working
	}
	pool.Reset() // every connection from now on is new
	for i := range 5 {
		write("new connections", i)
	}

	// Secrets Manager unreachable: new connections use what was read last.
	secrets.set("second-password", true)
	pool.Reset()
	write("secrets manager down", 0)

	var timeout string
	if err := pool.QueryRow(ctx, `SHOW lock_timeout`).Scan(&timeout); err != nil || timeout != "1s" {
		t.Errorf("lock_timeout %q (%v), want 1s from ServiceLimits", timeout, err)
	}
	if n := db.Int(t, `SELECT count(*) FROM products WHERE name = 'rotated'`); n != 16 {
		t.Errorf("%d rows written, want 16", n)
	}
	if reads := secrets.reads.Load(); reads < 3 {
		t.Errorf("the secret was read %d times, want once at start and again for the new connections", reads)
	}
}

// TestStaleCredentialsFailAtLogin is the trap this package avoids: a pool whose
// password was read once cannot open a connection after a rotation.
func TestStaleCredentialsFailAtLogin(t *testing.T) {
	db := testdb.New(t)
	role, password := loginRole(t, db)
	u, _ := url.Parse(db.PrimaryURL)
	port, _ := strconv.Atoi(u.Port())
	ctx := context.Background()
	c := Config{Host: u.Hostname(), Port: port, Database: db.Name, User: role, Password: password, TLS: Disable, MaxConns: 1}
	pool, err := Open(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	db.Exec(t, `ALTER ROLE `+role+` PASSWORD 'rotated-away'`)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := pool.Ping(ctx); err == nil {
		t.Fatal("a password read once still logs in after the rotation: the test no longer shows the trap")
	}
}
