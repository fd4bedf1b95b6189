package jobs_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/jobs"
	"github.com/parleyhq/parley/internal/store/postgres"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestReplicasMigrateTogether migrates an empty PostgreSQL schema from
// several replicas at once, as replicas started together do: Parley's
// schema (goose, under an advisory lock) and then River's tables. Every
// replica must start; none may fail on a table another just created.
func TestReplicasMigrateTogether(t *testing.T) {
	url := storetest.FreshPostgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const replicas = 4
	var wg sync.WaitGroup
	errs := make([]error, replicas)
	for i := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each replica has its own pool, as separate processes do.
			db, err := postgres.Open(ctx, url, postgres.Pool{MaxConns: 2})
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			errs[i] = jobs.Migrate(ctx, jobs.Config{DB: db.SQL(), Dialect: "postgres", Logger: slog.New(slog.DiscardHandler)})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: %v", i, err)
		}
	}
}
