package postgres_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/store/postgres"
	"github.com/parleyhq/parley/internal/store/storetest"
)

func open(t *testing.T, url string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// A replica migrating one schema holds only that schema's lock: another
// replica of the same deployment waits for it, while a deployment in
// another schema of the same database migrates meanwhile.
func TestMigrationLockIsPerSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, b := storetest.FreshPostgres(t), storetest.FreshPostgres(t)
	holder, err := open(t, a).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	var schema string
	if err := holder.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		t.Fatal(err)
	}
	if _, err := holder.ExecContext(ctx, "SELECT pg_advisory_lock($1)", postgres.MigrationLockID(schema)); err != nil {
		t.Fatal(err)
	}

	other, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := postgres.Migrate(other, open(t, b)); err != nil {
		t.Fatalf("another schema's migration waited on this one's lock: %v", err)
	}

	replica := open(t, a)
	short, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := postgres.Migrate(short, replica); err == nil {
		t.Fatal("a second replica migrated the schema while the first held its lock")
	}
	if _, err := holder.ExecContext(ctx, "SELECT pg_advisory_unlock($1)", postgres.MigrationLockID(schema)); err != nil {
		t.Fatal(err)
	}
	long, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := postgres.Migrate(long, replica); err != nil {
		t.Fatalf("migrate once the lock is free: %v", err)
	}
}
