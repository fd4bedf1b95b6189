package jobs_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/parleyhq/parley/internal/jobs"
	"github.com/parleyhq/parley/internal/store/sqlstore"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestShortRescueAfterRescuesWithinIt leaves two jobs "running" for a
// process that no longer exists, as a SIGKILL does, just after the client
// starts (so River's rescuer, which runs at start and then every 30 s,
// misses them). With RescueAfter at 2 s the job whose worker has no
// timeout of its own must run again within seconds; the one whose worker
// allows itself an hour must not, since a live replica may still be
// working it.
func TestShortRescueAfterRescuesWithinIt(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		done := make(chan struct{}, 10)
		c, err := jobs.New(ctx, jobs.Config{DB: db.SQL(), Dialect: db.Dialect().Name, Logger: slog.New(slog.DiscardHandler),
			PollInterval: 100 * time.Millisecond, RescueAfter: 2 * time.Second,
			// As the server wires it: the map repeats the worker's own
			// Timeout, which River's rescuer (whenever it runs) honours too.
			Timeouts: map[string]time.Duration{slowArgs{}.Kind(): slowWorker{}.Timeout(nil)},
			Register: func(w *river.Workers) {
				river.AddWorker(w, pingWorker{done: done})
				river.AddWorker(w, slowWorker{})
			}})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer func() {
			stopCtx, stop := context.WithTimeout(context.Background(), 10*time.Second)
			defer stop()
			_ = c.Stop(stopCtx)
		}()
		lost := func(args river.JobArgs) int64 {
			t.Helper()
			// Inserted already running, as a dead process leaves a job it
			// had fetched: no live worker has it.
			res, err := c.Insert(ctx, args, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			q := `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = now() WHERE id = $1`
			if db.Dialect().Name == "sqlite" {
				q = `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = datetime('now', 'subsec') WHERE id = ?`
			}
			if _, err := db.SQL().ExecContext(ctx, q, res.Job.ID); err != nil {
				t.Fatal(err)
			}
			return res.Job.ID
		}
		lostAt := time.Now()
		lost(pingArgs{})
		long := lost(slowArgs{})
		select {
		case <-done:
			t.Logf("lost job run again %s after it was left running", time.Since(lostAt).Round(time.Millisecond))
		case <-time.After(15 * time.Second):
			t.Fatal("a job left running was not rescued within 15 s with RescueAfter 2s")
		}
		j, err := c.JobGet(ctx, long)
		if err != nil {
			t.Fatal(err)
		}
		if j.State != "running" {
			t.Errorf("the job within its worker's one-hour timeout was rescued: %s", j.State)
		}
	})
}

type slowArgs struct{}

func (slowArgs) Kind() string { return "slow" }

// slowWorker allows itself an hour per job.
type slowWorker struct {
	river.WorkerDefaults[slowArgs]
}

func (slowWorker) Timeout(*river.Job[slowArgs]) time.Duration { return time.Hour }

func (slowWorker) Work(context.Context, *river.Job[slowArgs]) error { return nil }
