package schema

import (
	"context"
	"database/sql"
	"fmt"
)

// The roles of the shop's components, made by migrations 00006 and 00007 with
// only the grants each needs. They cannot log in: each component logs in as its own user,
// a member of its role (see ProvisionLogins).
const (
	ServiceRole       = "shop_service"
	InventoryRole     = "shop_inventory"
	NotificationsRole = "shop_notifications"
	ReportRole        = "shop_report"
	// CatalogRole loads catalog imports into the writer (lambdas/catalogimport).
	CatalogRole = "shop_catalog"
)

// Roles lists the components' roles.
var Roles = []string{ServiceRole, InventoryRole, NotificationsRole, ReportRole, CatalogRole}

// LoginUser is the user a role's component logs in as at first: the user name of
// its secret. A multi-user rotation then alternates it with LoginUser + "_clone".
func LoginUser(role string) string { return role + "_user" }

// Login is a component's credentials, as its secret holds them now.
type Login struct {
	Role               string
	Username, Password string
}

// ProvisionLogins makes each login's user able to log in with its password and a
// member of its role. The deploy-time migration runs it with the credentials the
// secrets hold now (AWSCURRENT): setting a user's current password again changes
// nothing, and the user a rotation alternates with keeps its own until the next
// rotation. db must be the master user's.
func ProvisionLogins(ctx context.Context, db *sql.DB, logins []Login) error {
	for _, l := range logins {
		var exists bool
		if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)`, l.Username).Scan(&exists); err != nil {
			return fmt.Errorf("schema: login %s: %w", l.Username, err)
		}
		verb := "CREATE"
		if exists {
			verb = "ALTER"
		}
		// Role names and passwords cannot be bind parameters: quote them in the
		// server, with format's %I and %L.
		var stmt, grant string
		if err := db.QueryRowContext(ctx, `SELECT format('%s ROLE %I LOGIN PASSWORD %L', $1::text, $2::text, $3::text), format('GRANT %I TO %I', $4::text, $2::text)`,
			verb, l.Username, l.Password, l.Role).Scan(&stmt, &grant); err != nil {
			return fmt.Errorf("schema: login %s: %w", l.Username, err)
		}
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("schema: %s role %s: %w", verb, l.Username, err)
		}
		if _, err := db.ExecContext(ctx, grant); err != nil {
			return fmt.Errorf("schema: grant %s to %s: %w", l.Role, l.Username, err)
		}
	}
	return nil
}
