package jobs_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/parleyhq/parley/internal/jobs"
	"github.com/parleyhq/parley/internal/store/sqlstore"
	"github.com/parleyhq/parley/internal/store/storetest"
)

type failArgs struct{}

func (failArgs) Kind() string { return "always_fails" }

type failWorker struct {
	river.WorkerDefaults[failArgs]
}

func (failWorker) Work(context.Context, *river.Job[failArgs]) error {
	return errors.New("endpoint down")
}

// gather scrapes c as /metrics would and returns each sample by its name
// and label values ("parley_jobs always_fails available").
func gather(t *testing.T, c prometheus.Collector) map[string]float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			key := mf.GetName()
			for _, l := range m.GetLabel() {
				key += " " + l.GetValue()
			}
			out[key] = m.GetGauge().GetValue()
		}
	}
	return out
}

// TestStatsCountJobsByStateAndKind puts jobs in each state an operator
// watches — one discarded after failing its only attempt, one waiting 90 s
// past its time, one scheduled for later, one cancelled — and reads them
// back as a scrape of /metrics would, on both backends.
func TestStatsCountJobsByStateAndKind(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := jobs.New(ctx, jobs.Config{DB: db.SQL(), Dialect: db.Dialect().Name, Logger: slog.New(slog.DiscardHandler),
			PollInterval: 50 * time.Millisecond, Register: func(w *river.Workers) { river.AddWorker(w, failWorker{}) }})
		if err != nil {
			t.Fatal(err)
		}
		stats := jobs.NewStats(db.SQL(), db.Dialect().Name, slog.New(slog.DiscardHandler), "webhook_delivery")
		if got := gather(t, stats); got["parley_jobs always_fails discarded"] != 0 || got["parley_jobs webhook_delivery discarded"] != 0 ||
			got["parley_jobs_oldest_available_seconds"] != 0 || got["parley_jobs_stats_up"] != 1 {
			t.Fatalf("empty queue: %v", got)
		}
		if _, ok := gather(t, stats)["parley_jobs webhook_delivery retryable"]; !ok {
			t.Fatal("a known kind has no series before its first job")
		}

		failed, stopSub := c.Subscribe(river.EventKindJobFailed)
		defer stopSub()
		if _, err := c.Insert(ctx, failArgs{}, &river.InsertOpts{MaxAttempts: 1}); err != nil {
			t.Fatal(err)
		}
		if err := c.Start(ctx); err != nil {
			t.Fatal(err)
		}
		select {
		case ev := <-failed:
			if ev.Job.State != rivertype.JobStateDiscarded {
				t.Fatalf("job %s, want discarded", ev.Job.State)
			}
		case <-ctx.Done():
			t.Fatal("the failing job was never worked")
		}
		if err := c.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		// With the workers stopped, these stay as inserted: two available
		// (one of which has waited 90 s: its time is moved back, as a job
		// inserted then and never fetched would have it) and one scheduled.
		var waiting int64
		for range 2 {
			res, err := c.Insert(ctx, failArgs{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			waiting = res.Job.ID
		}
		back := `UPDATE river_job SET scheduled_at = now() - interval '90 seconds' WHERE id = $1`
		if db.Dialect().Name == "sqlite" {
			back = `UPDATE river_job SET scheduled_at = datetime('now', '-90 seconds') WHERE id = ?`
		}
		if _, err := db.SQL().ExecContext(ctx, back, waiting); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Insert(ctx, failArgs{}, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		res, err := c.Insert(ctx, failArgs{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.JobCancel(ctx, res.Job.ID); err != nil {
			t.Fatal(err)
		}

		got := gather(t, stats)
		for key, want := range map[string]float64{
			"parley_jobs always_fails available": 2, "parley_jobs always_fails scheduled": 1, "parley_jobs always_fails discarded": 1,
			"parley_jobs always_fails cancelled": 1, "parley_jobs always_fails running": 0, "parley_jobs always_fails retryable": 0,
			"parley_jobs webhook_delivery available": 0, "parley_jobs_stats_up": 1,
		} {
			if got[key] != want {
				t.Errorf("%s = %v, want %v", key, got[key], want)
			}
		}
		if age := got["parley_jobs_oldest_available_seconds"]; age < 89 || age > 120 {
			t.Errorf("oldest available job waited %vs, want about 90", age)
		}
		for key := range got {
			if key == "parley_jobs heartbeat completed" {
				t.Error("completed jobs are counted")
			}
		}

		// A database that does not answer fails only these metrics.
		closed := jobs.NewStats(db.SQL(), "postgres", slog.New(slog.DiscardHandler))
		if db.Dialect().Name == "postgres" {
			closed = jobs.NewStats(db.SQL(), "sqlite", slog.New(slog.DiscardHandler)) // julianday is no PostgreSQL function
		}
		if got := gather(t, closed); got["parley_jobs_stats_up"] != 0 || len(got) != 1 {
			t.Errorf("failed query: %v, want only parley_jobs_stats_up 0", got)
		}
	})
}
