package jobs_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/parleyhq/parley/internal/jobs"
	"github.com/parleyhq/parley/internal/store/sqlstore"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestHeartbeatRunsOnBothBackends starts a real River client on each backend
// and waits for the periodic heartbeat job to complete.
func TestHeartbeatRunsOnBothBackends(t *testing.T) {
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
