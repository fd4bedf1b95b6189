package jobs_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"

	"github.com/parleyhq/parley/internal/jobs"
	"github.com/parleyhq/parley/internal/store/postgres"
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
			// As the server wires PostgreSQL: LISTEN on a pool of its own,
			// and River's fetches on the work pool, not on the store's
			// pool the jobs are inserted on.
			pool, err := pgxpool.New(ctx, b.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer pool.Close()
			cfg.ListenPool = pool
			cfg.WorkDB = openWorkDB(t, b.URL)
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

func openWorkDB(t *testing.T, url string) *sql.DB {
	t.Helper()
	db, err := jobs.OpenWorkDB(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestRiverWritesDoNotWaitForTheDisk: on PostgreSQL, River's own
// statements (the fetch of every job, its completion) commit without
// waiting for the WAL flush, so a slow flush cannot hold up deliveries of
// jobs already committed; jobs are still inserted in the store's
// transactions, which commit synchronously, so an acknowledged webhook's
// delivery is durable.
func TestRiverWritesDoNotWaitForTheDisk(t *testing.T) {
	url := storetest.FreshPostgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	db, err := postgres.Open(ctx, url, postgres.Pool{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := jobs.New(ctx, jobs.Config{DB: db.SQL(), Dialect: "postgres", Logger: slog.New(slog.DiscardHandler), WorkDB: openWorkDB(t, url)})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := db.SQL().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	for _, tc := range []struct {
		name string
		exec riverdriver.Executor
		want string
	}{
		{"River's own statements", c.Driver().GetExecutor(), "off"},
		{"inserts in the store's transaction", c.Driver().UnwrapExecutor(tx), "on"},
	} {
		// River's executor runs statements but returns no rows: the block
		// fails unless the session commits as wanted.
		err := tc.exec.Exec(ctx, fmt.Sprintf(`DO $$ BEGIN
			IF current_setting('synchronous_commit') <> '%s' THEN
				RAISE EXCEPTION 'synchronous_commit is %%', current_setting('synchronous_commit');
			END IF;
		END $$`, tc.want))
		if err != nil {
			t.Errorf("%s: want synchronous_commit=%s: %v", tc.name, tc.want, err)
		}
	}
}
