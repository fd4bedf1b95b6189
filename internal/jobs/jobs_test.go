package jobs_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/parleyhq/parley/internal/jobs"
	"github.com/parleyhq/parley/internal/store/sqlstore"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestHeartbeatRunsOnBothBackends starts a real River client on each backend
// and waits for the periodic heartbeat job to complete.
func TestHeartbeatRunsOnBothBackends(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := jobs.New(ctx, jobs.Config{DB: db.SQL(), Dialect: db.Dialect().Name, Logger: slog.New(slog.DiscardHandler), PollInterval: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		events, cancelSub := c.Subscribe(river.EventKindJobCompleted)
		defer cancelSub()
		if err := c.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer func() {
			stopCtx, stop := context.WithTimeout(context.Background(), 10*time.Second)
			defer stop()
			_ = c.Stop(stopCtx)
		}()
		for {
			select {
			case ev := <-events:
				if ev.Job.Kind == (jobs.HeartbeatArgs{}).Kind() && ev.Job.State == rivertype.JobStateCompleted {
					return
				}
			case <-ctx.Done():
				t.Fatal("heartbeat job never completed")
			}
		}
	})
}

type pingArgs struct{}

func (pingArgs) Kind() string { return "ping" }

type pingWorker struct {
	river.WorkerDefaults[pingArgs]
	done chan struct{}
}

func (w pingWorker) Work(context.Context, *river.Job[pingArgs]) error {
	w.done <- struct{}{}
	return nil
}

// TestInsertWakesWorkersWithoutPolling enqueues jobs inside transactions, as
// Parley does, on a client whose poll would take an hour: each job is worked
// because its insert notified the workers (in memory on SQLite, LISTEN/NOTIFY
// on PostgreSQL), which is what lets an idle Parley stop polling.
func TestInsertWakesWorkersWithoutPolling(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		db := b.Open(t)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cfg := jobs.Config{DB: db.SQL(), Dialect: db.Dialect().Name, Logger: slog.New(slog.DiscardHandler), PollInterval: time.Hour}
		if b.URL != "" {
			pool, err := pgxpool.New(ctx, b.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer pool.Close()
			cfg.ListenPool = pool
		}
		done := make(chan struct{}, 10)
		cfg.Register = func(w *river.Workers) { river.AddWorker(w, pingWorker{done: done}) }
		c, err := jobs.New(ctx, cfg)
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
		q := jobs.NewEnqueuer(c)
		insert := func() {
			t.Helper()
			tx, err := db.SQL().BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := q.InsertManyTx(ctx, tx, []river.InsertManyParams{{Args: pingArgs{}}}); err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		}
		wait := func(what string) {
			t.Helper()
			start := time.Now()
			select {
			case <-done:
				t.Logf("%s worked in %s", what, time.Since(start))
			case <-ctx.Done():
				t.Fatalf("%s was never worked: its insert did not wake the workers", what)
			}
		}
		// The first job may be found by the fetch the client makes as it
		// starts; each later job is inserted after the previous one was
		// worked, so only its own notification can wake a worker for it.
		for i := range 4 {
			insert()
			wait(fmt.Sprintf("job %d", i))
		}
		// A burst: River itself notifies a queue at most once per fetch
		// cooldown, so these would wait for the poll without the Enqueuer's
		// own notification of every insert.
		for range 5 {
			insert()
		}
		for i := range 5 {
			wait(fmt.Sprintf("burst job %d", i))
		}
	})
}
