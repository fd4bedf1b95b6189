package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/testsupport/parleytest"
)

// TestJobRunnerDoesNotWaitForTheDisk: on PostgreSQL the server gives River
// the work pool (jobs.OpenWorkDB), so fetching and finishing deliveries
// never waits for a WAL flush; without it a slow flush stalled every
// delivery behind the fetch (issue 15).
func TestJobRunnerDoesNotWaitForTheDisk(t *testing.T) {
	s := parleytest.Start(t, storetest.Backend{Name: "postgres", URL: storetest.FreshPostgres(t)}, config.Config{}, "", server.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// River's executor returns no rows: the block fails unless River's
	// session commits asynchronously.
	err := s.Jobs.Driver().GetExecutor().Exec(ctx, `DO $$ BEGIN
		IF current_setting('synchronous_commit') <> 'off' THEN
			RAISE EXCEPTION 'River commits with synchronous_commit=%', current_setting('synchronous_commit');
		END IF;
	END $$`)
	if err != nil {
		t.Fatal(err)
	}
}
