package schema_test

import (
	"context"
	"errors"
	"net/url"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/example/scalable-web/internal/schema"
	"github.com/example/scalable-web/internal/testdb"
)

// TestEachRoleIsRefusedWhatItDoesNotNeed logs in as each component's user, made
// as the deploy-time migration makes it, and tries what it needs (allowed) and
// what it does not (refused with insufficient_privilege), each in a transaction
// that is rolled back.
func TestEachRoleIsRefusedWhatItDoesNotNeed(t *testing.T) {
	db := testdb.New(t)
	db.Exec(t, `INSERT INTO products (sku, name, price_cents) VALUES ('SKU-1', 'one', 100)`)
	db.Exec(t, `INSERT INTO stock (product_id, quantity) VALUES (1, 5)`)
	logins := provision(t, db)

	for _, tt := range []struct {
		role    string
		allowed []string
		refused []string
	}{
		{schema.ServiceRole,
			[]string{`SELECT * FROM products`, `UPDATE products SET name = 'x', price_cents = 1, updated_at = now() WHERE id = 1`,
				`INSERT INTO orders (id, customer_email, total_cents) VALUES (gen_random_uuid(), 'a@example.com', 1)`,
				`SELECT * FROM outbox FOR UPDATE SKIP LOCKED`, `UPDATE outbox SET sent_at = now(), parked_at = now() WHERE id = 0`,
				`UPDATE orders SET idempotency_key = NULL WHERE idempotency_key = 'k'`},
			[]string{`UPDATE products SET sku = 'x'`, `SELECT * FROM stock`, `UPDATE stock SET quantity = 0`, `DELETE FROM orders`,
				`UPDATE orders SET total_cents = 0`, `INSERT INTO processed_events (consumer, event_id) VALUES ('x', gen_random_uuid())`,
				`DELETE FROM outbox`, `DROP TABLE orders`, `CREATE TABLE mine (id int)`, `SELECT * FROM goose_db_version`}},
		{schema.InventoryRole,
			[]string{`UPDATE stock SET quantity = quantity - 1, updated_at = now() WHERE product_id = 1`,
				`INSERT INTO processed_events (consumer, event_id) VALUES ('inventory', gen_random_uuid())`,
				`SELECT * FROM stock_movements`, `SELECT * FROM order_cancellations`},
			[]string{`SELECT customer_email FROM orders`, `UPDATE products SET price_cents = 0`, `INSERT INTO outbox (event_id, event_type, payload) VALUES (gen_random_uuid(), 'x', '{}')`,
				`SELECT * FROM stock_shortages`, `DELETE FROM stock`, `TRUNCATE processed_events`}},
		{schema.NotificationsRole,
			[]string{`INSERT INTO processed_events (consumer, event_id) VALUES ('notifications', gen_random_uuid())`},
			[]string{`SELECT customer_email FROM orders`, `UPDATE stock SET quantity = 0`, `SELECT * FROM products`, `DELETE FROM processed_events`}},
		{schema.ReportRole,
			[]string{`SELECT count(*) FROM orders`, `SELECT * FROM order_lines`, `SELECT * FROM products`},
			[]string{`INSERT INTO orders (id, customer_email, total_cents) VALUES (gen_random_uuid(), 'a@example.com', 1)`,
				`UPDATE products SET name = 'x'`, `DELETE FROM order_lines`, `SELECT * FROM outbox`, `SELECT * FROM stock`, `CREATE TABLE mine (id int)`}},
		{schema.CatalogRole,
			[]string{`INSERT INTO products (sku, name, price_cents) VALUES ('SKU-2', 'two', 200) RETURNING id`,
				`UPDATE products SET name = 'x', price_cents = 1, updated_at = now() WHERE id = 1`,
				`INSERT INTO stock (product_id, quantity) VALUES (1, 7) ON CONFLICT (product_id) DO UPDATE SET quantity = EXCLUDED.quantity, updated_at = now() RETURNING product_id`,
				`CREATE TEMP TABLE catalog_import (sku text) ON COMMIT DROP`},
			[]string{`SELECT customer_email FROM orders`, `SELECT * FROM order_lines`, `SELECT * FROM outbox`, `UPDATE products SET sku = 'x'`,
				`DELETE FROM products`, `DELETE FROM stock`, `TRUNCATE stock`, `INSERT INTO stock_movements (event_id, order_id, product_id, delta) VALUES (gen_random_uuid(), gen_random_uuid(), 1, 1)`,
				`INSERT INTO processed_events (consumer, event_id) VALUES ('x', gen_random_uuid())`, `CREATE TABLE mine (id int)`, `SELECT * FROM goose_db_version`}},
	} {
		t.Run(tt.role, func(t *testing.T) {
			conn := connectAs(t, db, logins[tt.role])
			for _, stmt := range tt.allowed {
				if err := try(conn, stmt); err != nil {
					t.Errorf("%s: %v, want it allowed", stmt, err)
				}
			}
			for _, stmt := range tt.refused {
				var pgErr *pgconn.PgError
				if err := try(conn, stmt); !errors.As(err, &pgErr) || pgErr.Code != "42501" {
					t.Errorf("%s: %v, want insufficient_privilege (42501)", stmt, err)
				}
			}
		})
	}
}

// TestProvisionLoginsAgainKeepsThemWorking runs the provisioning twice, as every
// deploy does, and after a rotation's alternate user took over.
func TestProvisionLoginsAgainKeepsThemWorking(t *testing.T) {
	db := testdb.New(t)
	logins := provision(t, db)
	sqlDB := stdlib.OpenDBFromPool(db.Primary)
	defer sqlDB.Close()
	report := logins[schema.ReportRole]
	// A multi-user rotation made the clone the current user, with a new password.
	clone := schema.Login{Role: report.Role, Username: report.Username + "_clone", Password: "clone-password"}
	t.Cleanup(func() { _, _ = db.Primary.Exec(context.Background(), `DROP ROLE IF EXISTS `+clone.Username) })
	if err := schema.ProvisionLogins(context.Background(), sqlDB, []schema.Login{report, clone}); err != nil {
		t.Fatal(err)
	}
	for _, l := range []schema.Login{report, clone} {
		if err := try(connectAs(t, db, l), `SELECT count(*) FROM orders`); err != nil {
			t.Errorf("%s after provisioning again: %v", l.Username, err)
		}
	}
}

// provision makes a login user for every role, named after the test's database
// so that tests in parallel never share one.
func provision(t *testing.T, db *testdb.DB) map[string]schema.Login {
	t.Helper()
	logins := map[string]schema.Login{}
	var list []schema.Login
	for _, role := range schema.Roles {
		l := schema.Login{Role: role, Username: schema.LoginUser(role) + "_" + db.Name, Password: "p-" + role}
		logins[role], list = l, append(list, l)
		t.Cleanup(func() { _, _ = db.Primary.Exec(context.Background(), `DROP ROLE IF EXISTS `+l.Username) })
	}
	sqlDB := stdlib.OpenDBFromPool(db.Primary)
	defer sqlDB.Close()
	if err := schema.ProvisionLogins(context.Background(), sqlDB, list); err != nil {
		t.Fatal(err)
	}
	return logins
}

func connectAs(t *testing.T, db *testdb.DB, l schema.Login) *pgx.Conn {
	t.Helper()
	u, _ := url.Parse(db.PrimaryURL)
	u.User = url.UserPassword(l.Username, l.Password)
	conn, err := pgx.Connect(context.Background(), u.String())
	if err != nil {
		t.Fatalf("log in as %s: %v", l.Username, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// try runs stmt in a transaction it rolls back.
func try(conn *pgx.Conn, stmt string) error {
	ctx := context.Background()
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	_, err = tx.Exec(ctx, stmt)
	return err
}
