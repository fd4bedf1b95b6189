package jobs_test

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/jobs"
	"github.com/parleyhq/parley/internal/store/postgres"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestReplicasMigrateTogether migrates River's tables into an empty
// PostgreSQL schema from several replicas at once, as replicas started
// together do. River's migrator takes no lock of its own: without Parley's,
// the losers fail on a type the winner just created.
func TestReplicasMigrateTogether(t *testing.T) {
	url := storetest.FreshPostgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const replicas = 4
	// Each replica has its own pool, as separate processes do. Parley's
	// own schema migrates under goose's lock as each opens; River's tables
	// then migrate from all at once.
	dbs := make([]*sql.DB, replicas)
	for i := range dbs {
		db, err := postgres.Open(ctx, url, postgres.Pool{MaxConns: 2})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		dbs[i] = db.SQL()
	}
	var wg sync.WaitGroup
	errs := make([]error, replicas)
	for i := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = jobs.Migrate(ctx, jobs.Config{DB: dbs[i], Dialect: "postgres", Logger: slog.New(slog.DiscardHandler)})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: %v", i, err)
		}
	}
}
