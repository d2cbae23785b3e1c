package schema_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/example/scalable-web/internal/schema"
	"github.com/example/scalable-web/internal/testdb"
)

func TestMigrateIsIdempotentAndReachesTheReplica(t *testing.T) {
	db := testdb.New(t) // migrates once
	sqlDB := stdlib.OpenDBFromPool(db.Primary)
	defer sqlDB.Close()
	version, err := schema.Migrate(context.Background(), sqlDB)
	if err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	if version < 1 {
		t.Errorf("got version %d, want at least 1", version)
	}
	var tables int
	err = db.Replica.QueryRow(context.Background(),
		"SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN ('products','stock','orders','order_lines','outbox','processed_events','stock_movements','stock_shortages')").Scan(&tables)
	if err != nil || tables != 8 {
		t.Errorf("replica has %d of the 8 tables (%v)", tables, err)
	}
}
