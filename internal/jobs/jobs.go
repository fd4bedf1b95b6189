// Package jobs runs Parley's durable background work on River, over the same
// database as the store: riversqlite for SQLite, riverdatabasesql (pgx) for
// PostgreSQL, so a job can be enqueued in the transaction that causes it.
//
// Later capabilities (webhook delivery, retries, token refresh) register their
// workers through Config.Register.
package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// Client is the River client type used throughout Parley.
type Client = river.Client[*sql.Tx]

// Config configures the job runner.
type Config struct {
	// DB is the store's pool; Dialect is "sqlite" or "postgres".
	DB      *sql.DB
	Dialect string
	Logger  *slog.Logger
	// Register adds the workers of other packages.
	Register func(w *river.Workers)
	// PollInterval bounds how long a newly enqueued job may wait before a
	// worker fetches it (River's FetchPollInterval).
	PollInterval time.Duration
}

// HeartbeatArgs is a periodic no-op job: it proves the queue is alive and its
// last completion time shows up in River's tables for operators.
type HeartbeatArgs struct{}

// Kind implements river.JobArgs.
func (HeartbeatArgs) Kind() string { return "heartbeat" }

type heartbeatWorker struct {
	river.WorkerDefaults[HeartbeatArgs]
}

func (heartbeatWorker) Work(context.Context, *river.Job[HeartbeatArgs]) error { return nil }

func driver(cfg Config) (riverdriver.Driver[*sql.Tx], error) {
	switch cfg.Dialect {
	case "sqlite":
		return riversqlite.New(cfg.DB), nil
	case "postgres":
		return riverdatabasesql.New(cfg.DB), nil
	}
	return nil, fmt.Errorf("jobs: unknown dialect %q", cfg.Dialect)
}

// Migrate creates or upgrades River's own tables.
func Migrate(ctx context.Context, cfg Config) error {
	d, err := driver(cfg)
	if err != nil {
		return err
	}
	m, err := rivermigrate.New(d, &rivermigrate.Config{Logger: quiet(cfg.Logger)})
	if err != nil {
		return err
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("jobs: migrate river: %w", err)
	}
	return nil
}

// New migrates River's tables and returns a client ready to Start.
func New(ctx context.Context, cfg Config) (*Client, error) {
	if err := Migrate(ctx, cfg); err != nil {
		return nil, err
	}
	d, err := driver(cfg)
	if err != nil {
		return nil, err
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, heartbeatWorker{})
	if cfg.Register != nil {
		cfg.Register(workers)
	}
	poll := cfg.PollInterval
	if poll == 0 {
		poll = 200 * time.Millisecond
	}
	return river.NewClient(d, &river.Config{
		Logger:            quiet(cfg.Logger),
		FetchPollInterval: poll,
		FetchCooldown:     min(poll, 100*time.Millisecond),
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 20}},
		Workers:           workers,
		PeriodicJobs: []*river.PeriodicJob{
			river.NewPeriodicJob(river.PeriodicInterval(time.Minute),
				func() (river.JobArgs, *river.InsertOpts) { return HeartbeatArgs{}, nil },
				&river.PeriodicJobOpts{RunOnStart: true}),
		},
	})
}

// quiet keeps River's chatty info logs out of Parley's own.
func quiet(l *slog.Logger) *slog.Logger {
	if l == nil {
		l = slog.Default()
	}
	return slog.New(levelFloor{l.Handler(), slog.LevelWarn})
}

type levelFloor struct {
	slog.Handler
	min slog.Level
}

func (h levelFloor) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}
func (h levelFloor) WithAttrs(a []slog.Attr) slog.Handler {
	return levelFloor{h.Handler.WithAttrs(a), h.min}
}
func (h levelFloor) WithGroup(n string) slog.Handler {
	return levelFloor{h.Handler.WithGroup(n), h.min}
}
