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

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
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
	// RescueAfter is how long a job may stay running before it is deemed
	// lost with a killed process and retried; 0 means two minutes. A job
	// whose worker sets a longer Timeout is given that long (Timeouts).
	RescueAfter time.Duration
	// Timeouts are the workers' own Timeout by job kind, for the rescue
	// pass Parley runs when RescueAfter is short (see rescuer).
	Timeouts map[string]time.Duration
	// Queues adds queues (name → workers) beside the default one.
	Queues map[string]int
	// Tasks run periodically, each on one replica at a time (River's
	// leader runs periodic jobs).
	Tasks []Task
	// PollInterval is how often idle workers look for jobs that no
	// notification announced (River's FetchPollInterval): a safety net, since
	// inserts wake workers at once. 0 means DefaultPollInterval.
	PollInterval time.Duration
	// ListenPool, for PostgreSQL, is a pgx pool on the same database used
	// only for LISTEN, so a job enqueued on any replica wakes the workers of
	// every replica when its transaction commits. Nil means poll only.
	ListenPool *pgxpool.Pool
	// WorkDB, for PostgreSQL, is the pool River's own statements run on
	// (fetching jobs, recording their outcome, maintenance), opened by
	// OpenWorkDB; nil runs them on DB. Jobs are still inserted in the
	// caller's transaction, on DB, and River's tables migrated there.
	WorkDB *sql.DB
}

// DefaultPollInterval is the safety-net poll. Inserts notify workers (in
// memory on SQLite, LISTEN/NOTIFY on PostgreSQL), so polling only catches
// what a lost notification missed, and an idle Parley stays idle.
const DefaultPollInterval = 2 * time.Second

// OpenWorkDB opens the PostgreSQL pool for Config.WorkDB: at most
// WorkConns connections, whose sessions commit asynchronously
// (synchronous_commit=off).
//
// Every other commit on PostgreSQL waits for its WAL flush, and on a busy
// or shared disk a flush now and then takes hundreds of milliseconds (the
// filesystem's periodic journal commit). River's fetch is a committed
// UPDATE made by one loop per queue, so one slow flush held up every
// delivery of the queue behind it, jobs committed long before included;
// its completions and retries queued for the same flushes. River's own
// writes need none: were the last moments of them lost with a crashed
// database server, a fetched job would be available again and a finished
// one found running and rescued, so delivered again, as a job interrupted
// by any crash is (at least once). The jobs themselves are inserted in
// the caller's transaction on the store's pool, which keeps synchronous
// commit: an accepted webhook's delivery is durable when acknowledged.
// A pool of its own also keeps the fetch from waiting for a connection
// behind a busy store.
func OpenWorkDB(databaseURL string) (*sql.DB, error) {
	pc, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, err
	}
	pc.ConnConfig.RuntimeParams["synchronous_commit"] = "off"
	db := stdlib.OpenDB(*pc.ConnConfig)
	db.SetMaxOpenConns(WorkConns)
	// Idle connections are kept, so the fetch loops do not reconnect.
	db.SetMaxIdleConns(WorkConns)
	db.SetConnMaxIdleTime(30 * time.Minute)
	return db, nil
}

// WorkConns bounds OpenWorkDB: each queue's fetch loop, the completer and
// the leader's maintenance each hold a connection briefly.
const WorkConns = 4

// Task is a periodic piece of maintenance.
type Task struct {
	Name     string
	Interval time.Duration
	Run      func(ctx context.Context) error
}

// TaskArgs runs the named task.
type TaskArgs struct {
	Name string `json:"name"`
}

// Kind implements river.JobArgs.
func (TaskArgs) Kind() string { return "task" }

type taskWorker struct {
	river.WorkerDefaults[TaskArgs]
	tasks map[string]Task
}

func (w taskWorker) Work(ctx context.Context, job *river.Job[TaskArgs]) error {
	t, ok := w.tasks[job.Args.Name]
	if !ok {
		return river.JobCancel(fmt.Errorf("unknown task %q", job.Args.Name))
	}
	return t.Run(ctx)
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
		return newLocalDriver(cfg.DB), nil
	case "postgres":
		if cfg.ListenPool != nil {
			return riverdatabasesql.NewWithPgxListener(cfg.DB, cfg.ListenPool), nil
		}
		return riverdatabasesql.New(cfg.DB), nil
	}
	return nil, fmt.Errorf("jobs: unknown dialect %q", cfg.Dialect)
}

// Migrate creates or upgrades River's own tables. On PostgreSQL it holds an
// advisory lock meanwhile (River's migrator takes none), so replicas
// starting together migrate one after the other instead of failing on the
// types and tables another has just created.
func Migrate(ctx context.Context, cfg Config) error {
	d, err := driver(cfg)
	if err != nil {
		return err
	}
	if cfg.Dialect == "postgres" {
		unlock, err := migrationLock(ctx, cfg.DB)
		if err != nil {
			return fmt.Errorf("jobs: migrate river: %w", err)
		}
		defer unlock()
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

// migrationLock takes a session advisory lock, per schema (tests and
// tenants may share one database), on a connection of its own, and returns
// what releases it.
func migrationLock(ctx context.Context, db *sql.DB) (func(), error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	const key = `hashtext('parley.river_migrate.' || current_schema())`
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(`+key+`)`); err != nil {
		conn.Close()
		return nil, err
	}
	return func() {
		// Closing the connection would return it to the pool still
		// holding the lock: release it first.
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(`+key+`)`)
		conn.Close()
	}, nil
}

// New migrates River's tables and returns a client ready to Start.
func New(ctx context.Context, cfg Config) (*Client, error) {
	if err := Migrate(ctx, cfg); err != nil {
		return nil, err
	}
	work := cfg
	if cfg.WorkDB != nil && cfg.Dialect == "postgres" {
		work.DB = cfg.WorkDB
	}
	d, err := driver(work)
	if err != nil {
		return nil, err
	}
	rescue := cfg.RescueAfter
	if rescue <= 0 {
		rescue = 2 * time.Minute
	}
	var client *Client
	if rescue/4 < riverRescueInterval {
		// River's rescuer looks every 30 s: a short RescueAfter (a test's,
		// or an operator's who wants lost jobs back fast) gets a pass of
		// Parley's own every quarter of it, on the leader like any task.
		r := rescuer{client: func() *Client { return client }, after: rescue, timeout: rescue / 2, timeouts: cfg.Timeouts, now: time.Now}
		cfg.Tasks = append(cfg.Tasks[:len(cfg.Tasks):len(cfg.Tasks)], Task{Name: rescueTaskName, Interval: rescue / 4, Run: r.run})
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, heartbeatWorker{})
	tasks := map[string]Task{}
	periodic := []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(time.Minute),
			func() (river.JobArgs, *river.InsertOpts) { return HeartbeatArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true}),
	}
	for _, t := range cfg.Tasks {
		tasks[t.Name] = t
		name := t.Name
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(t.Interval),
			func() (river.JobArgs, *river.InsertOpts) {
				return TaskArgs{Name: name}, &river.InsertOpts{MaxAttempts: 1}
			}, &river.PeriodicJobOpts{RunOnStart: true}))
	}
	river.AddWorker(workers, taskWorker{tasks: tasks})
	if cfg.Register != nil {
		cfg.Register(workers)
	}
	queues := map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 10}}
	for name, n := range cfg.Queues {
		queues[name] = river.QueueConfig{MaxWorkers: n}
	}
	poll := cfg.PollInterval
	if poll == 0 {
		poll = DefaultPollInterval
	}
	client, err = river.NewClient(d, &river.Config{
		// A process killed mid-job leaves it "running": rescue it soon, so an
		// accepted webhook is delivered after a crash without an hour's wait.
		JobTimeout:           rescue / 2,
		RescueStuckJobsAfter: rescue,
		Logger:               quiet(cfg.Logger),
		FetchPollInterval:    poll,
		// The cooldown also spaces insert notifications per queue: short, so
		// a steady stream of deliveries is fetched within milliseconds.
		FetchCooldown: min(poll, 5*time.Millisecond),
		Queues:        queues,
		Workers:       workers,
		PeriodicJobs:  periodic,
	})
	return client, err
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
