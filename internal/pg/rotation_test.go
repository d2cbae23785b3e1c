package pg

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/example/scalable-web/internal/testdb"
)

// TestFaultPasswordRotated changes the role's password in the middle of a run,
// as a Secrets Manager rotation does, and checks that the pool keeps working: the
// connections it had stay, and every new one logs in with the new password.
func TestFaultPasswordRotated(t *testing.T) {
	db := testdb.New(t)
	secrets := db.LoginRole(t, "rotation_"+db.Name, "SELECT, INSERT ON products TO")
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
	secrets.Rotate(t, "second-password")
	for i := range 5 {
		write("open connections", i) // the connections the pool has keep working
	}
	pool.Reset() // every connection from now on is new
	for i := range 5 {
		write("new connections", i)
	}

	// Secrets Manager unreachable: new connections use what was read last.
	secrets.SetDown(true)
	pool.Reset()
	write("secrets manager down", 0)

	var timeout string
	if err := pool.QueryRow(ctx, `SHOW lock_timeout`).Scan(&timeout); err != nil || timeout != "1s" {
		t.Errorf("lock_timeout %q (%v), want 1s from ServiceLimits", timeout, err)
	}
	if n := db.Int(t, `SELECT count(*) FROM products WHERE name = 'rotated'`); n != 16 {
		t.Errorf("%d rows written, want 16", n)
	}
	if reads := secrets.Reads(); reads < 3 {
		t.Errorf("the secret was read %d times, want once at start and again for the new connections", reads)
	}
}

// TestStaleCredentialsFailAtLogin is the trap this package avoids: a pool whose
// password was read once cannot open a connection after a rotation.
func TestStaleCredentialsFailAtLogin(t *testing.T) {
	db := testdb.New(t)
	secrets := db.LoginRole(t, "stale_"+db.Name, "SELECT ON products TO")
	ctx := context.Background()
	c, err := FromSecret(ctx, secrets, "arn:aws:secretsmanager:us-east-1:100010001000:secret:db", "", Disable)
	if err != nil {
		t.Fatal(err)
	}
	// Read once, as a pool without Credentials does.
	c.Password, c.Credentials, c.MaxConns = "first-password", nil, 1
	pool, err := Open(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	secrets.Rotate(t, "rotated-away")
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := pool.Ping(ctx); err == nil {
		t.Fatal("a password read once still logs in after the rotation: the test no longer shows the trap")
	}
}
