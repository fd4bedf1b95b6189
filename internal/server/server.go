// Package server assembles a Parley process from its configuration: store,
// key ring, job queue, domain service and HTTP API, and runs them until the
// context ends.
package server

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"github.com/parleyhq/parley/internal/api"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/connect"
	"github.com/parleyhq/parley/internal/delivery"
	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/ingest"
	"github.com/parleyhq/parley/internal/jobs"
	"github.com/parleyhq/parley/internal/journal"
	"github.com/parleyhq/parley/internal/live"
	"github.com/parleyhq/parley/internal/mcpauth"
	"github.com/parleyhq/parley/internal/mcpserver"
	"github.com/parleyhq/parley/internal/media"
	"github.com/parleyhq/parley/internal/people"
	"github.com/parleyhq/parley/internal/plans"
	"github.com/parleyhq/parley/internal/plantable"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/secrets"
	"github.com/parleyhq/parley/internal/service"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/postgres"
	"github.com/parleyhq/parley/internal/store/sqlite"
	"github.com/parleyhq/parley/internal/store/sqlstore"
	"github.com/parleyhq/parley/internal/webapp"
	"github.com/parleyhq/parley/internal/webhook/receiver"
	"github.com/parleyhq/parley/internal/xpoll"
)

// Version is set at build time.
var Version = "dev"

// Options adds what configuration cannot express.
type Options struct {
	Logger *slog.Logger
	// Adapters replaces the adapters built from configuration (tests).
	Adapters platform.Registry
	// PollInterval is how often idle job workers look for new jobs; 0
	// keeps the jobs package default.
	PollInterval time.Duration
	// RetrySchedule replaces the webhook retry schedule (tests).
	RetrySchedule []time.Duration
	// Resolver looks up webhook endpoint hosts, at registration and at
	// delivery; nil means net.DefaultResolver (tests script DNS with it).
	Resolver *net.Resolver
	// DeliveryTimeout bounds one webhook delivery attempt; 0 keeps
	// delivery.Timeout (tests shorten it).
	DeliveryTimeout time.Duration
	// Now replaces the domain layer's clock (tests pin it, so rate windows
	// and caches do not depend on when the test runs); nil is time.Now.
	Now func() time.Time
	// People replaces the inbox app's sign-in for the OAuth authorization
	// server of /mcp (tests).
	People mcpauth.People
	// XPollTick and XPollActive replace, when set, how often the X DM poll
	// looks for due accounts and its interval after activity (tests
	// shorten both; xpoll.Tick and xpoll.DefaultActive otherwise).
	XPollTick, XPollActive time.Duration
}

// Server is an assembled Parley process.
type Server struct {
	cfg    config.Config
	log    *slog.Logger
	Store  *sqlstore.DB
	listen *pgxpool.Pool // PostgreSQL LISTEN connection for job notifications; nil on SQLite
	work   *sql.DB       // PostgreSQL pool of the job runner's own statements (jobs.OpenWorkDB); nil on SQLite
	// stopLive stops the hub feeding MCP subscriptions.
	stopLive context.CancelFunc
	Keys     *secrets.KeyRing
	Service  *service.Service
	Journal  *journal.Journal
	Jobs     *jobs.Client
	Connect  *connect.Connect
	Plans    *plans.Plans
	// People signs people in to the inbox app.
	People  *people.People
	Handler http.Handler
	app     *webapp.App
	// draining is set once Run is told to stop (see Run).
	draining *atomic.Bool
}

// ErrNoSecretKeys explains how to provide a key ring.
var ErrNoSecretKeys = errors.New("no secret keys: set PARLEY_SECRET_KEYS to a key ring; make one with `parley secrets generate` (or run `parley sandbox`, which creates its own)")

// OpenStore opens the configured database and migrates it. cfg is
// defaulted and validated first, so a library caller gets what a command
// gets from config.Load.
func OpenStore(ctx context.Context, cfg config.Config) (*sqlstore.DB, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	if u := cfg.DatabaseURL; u != "" {
		return postgres.Open(ctx, u, postgres.PoolFrom(cfg))
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, err
	}
	return sqlite.Open(ctx, filepath.Join(cfg.DataDir, "parley.db"))
}

// New opens everything; nothing runs until Run. Unset fields of cfg take
// their defaults and an invalid one is an error naming its variable, as
// River's NewClient does with its Config (WithDefaults, then validate).
func New(ctx context.Context, cfg config.Config, opts Options) (*Server, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	if strings.TrimSpace(cfg.SecretKeys) == "" {
		return nil, ErrNoSecretKeys
	}
	keys, err := secrets.ParseKeyRing(cfg.SecretKeys)
	if err != nil {
		return nil, err
	}
	proxies, err := api.ParseTrustedProxies(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	db, err := OpenStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	jr := journal.New(db, keys, cfg.WhatsAppRetention)
	adapters := opts.Adapters
	if adapters == nil {
		adapters = Adapters(cfg, jr)
	}
	// The delivery worker reports disabled endpoints through the service,
	// which itself needs the job client: the closure breaks the cycle.
	var svc *service.Service
	worker := delivery.NewWorker(delivery.Config{Store: db, Keys: keys, Logger: log, AllowPrivate: cfg.AllowPrivateWebhooks, Schedule: opts.RetrySchedule,
		Resolver: opts.Resolver, Timeout: opts.DeliveryTimeout,
		Disable: func(ctx context.Context, orgID, endpointID, reason string, at time.Time) error {
			return svc.DisableEndpoint(ctx, orgID, endpointID, reason, at)
		}})
	table, err := plantable.Load(cfg.PlansFile)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("PARLEY_PLANS_FILE: %w", err)
	}
	// Billing events are published through the service, made below.
	pl, err := plans.New(domain.Deps{Store: db, Keys: keys, Now: opts.Now, Log: log}, plans.Config{Table: table, Default: cfg.DefaultPlan,
		OrgQuota: cfg.OrgQuota, OperatorToken: cfg.OperatorToken,
		Publish: func(ctx context.Context, orgID, typ, dedupeKey string, data any) error {
			return svc.Publish(ctx, orgID, typ, dedupeKey, data)
		}})
	if err != nil {
		db.Close()
		return nil, err
	}
	// Hosted connect publishes through the service, made below.
	cn := connect.New(connect.Config{Store: db, Keys: keys, Logger: log, Now: opts.Now, PublicURL: cfg.PublicURL,
		HTTPClient: &http.Client{Timeout: 20 * time.Second},
		X:          connect.XApp{ClientID: cfg.XClientID, ClientSecret: cfg.XClientSecret, AuthorizeURL: cfg.XAuthorizeURL, APIURL: cfg.XURL},
		Meta: connect.MetaApp{AppID: cfg.MetaAppID, AppSecret: cfg.MetaAppSecret, AuthorizeURL: cfg.MetaAuthorizeURL, ConfigID: cfg.MetaConfigID,
			GraphURL: cfg.GraphFacebookURL, WhatsAppConfigID: cfg.WhatsAppConfigID, WhatsAppAuthorizeURL: cfg.WhatsAppAuthorizeURL, WhatsAppURL: cfg.WhatsAppURL},
		Instagram: connect.InstagramApp{AppID: cfg.InstagramAppID, AppSecret: cfg.InstagramAppSecret, AuthorizeURL: cfg.InstagramAuthorizeURL,
			TokenURL: cfg.InstagramTokenURL, GraphURL: cfg.GraphInstagramURL},
		LinkedIn: connect.LinkedInApp{ClientID: cfg.LinkedInClientID, ClientSecret: cfg.LinkedInClientSecret, AuthorizeURL: cfg.LinkedInAuthorizeURL,
			APIURL: cfg.LinkedInURL},
		Publish: func(ctx context.Context, orgID, typ, dedupeKey string, data any) error {
			return svc.Publish(ctx, orgID, typ, dedupeKey, data)
		},
		AccountChanged: func(orgID, accountID string) { svc.AccountChanged(orgID, accountID) },
		// The plan's accounts per brand, as for POST /v1/accounts.
		HoldAccount: pl.HoldAccountIn})
	ppl := people.New(people.Config{Store: db, Log: log, Now: opts.Now, PublicURL: BrowserURL(cfg)})
	listen, err := listenPool(cfg)
	if err != nil {
		db.Close()
		return nil, err
	}
	work, err := workDB(cfg)
	if err != nil {
		closeAll(db, listen, nil)
		return nil, err
	}
	jc, err := jobs.New(ctx, jobs.Config{DB: db.SQL(), Dialect: db.Dialect().Name, Logger: log, PollInterval: opts.PollInterval, RescueAfter: cfg.JobRescueAfter,
		ListenPool: listen,
		WorkDB:     work,
		Timeouts:   map[string]time.Duration{delivery.Args{}.Kind(): worker.Timeout(nil)},
		Register:   func(w *river.Workers) { river.AddWorker(w, worker) },
		Queues:     map[string]int{delivery.Queue: delivery.Workers},
		Tasks: append([]jobs.Task{
			{Name: "window_closing", Interval: time.Minute, Run: func(ctx context.Context) error { return svc.NotifyClosingWindows(ctx) }},
			{Name: "prune", Interval: time.Hour, Run: func(ctx context.Context) error { return svc.Prune(ctx) }},
			{Name: "refresh_tokens", Interval: time.Minute, Run: cn.RefreshDue},
			// Meta tokens that never expire are confirmed daily; the hourly
			// run picks those whose day has come.
			{Name: "check_tokens", Interval: time.Hour, Run: cn.CheckTokens},
			{Name: "prune_signins", Interval: time.Hour, Run: func(ctx context.Context) error { return ppl.Prune(ctx) }},
			// Uploads are deleted within a few minutes of their TTL or of
			// their send's signed URL expiring.
			{Name: "prune_media", Interval: 5 * time.Minute, Run: func(ctx context.Context) error { return svc.PruneMedia(ctx) }},
			// Accepted webhooks a killed replica left, or whose recording
			// failed, are recorded once their grace (the job rescue
			// delay: how long a lost job waits too) has passed.
			{Name: "sweep_inbound", Interval: sweepInterval(cfg.JobRescueAfter), Run: func(ctx context.Context) error { return svc.SweepInbound(ctx) }},
		}, xPollTask(cfg, opts, db, keys, adapters, log, func(ctx context.Context, evs []platform.InboundEvent) error { return svc.Ingest(ctx, evs) })...)})
	if err != nil {
		closeAll(db, listen, work)
		return nil, err
	}
	svc = service.New(service.Config{Store: db, Keys: keys, Adapters: adapters, Logger: log, AccountTimeout: cfg.AccountTimeout, AuthFailed: cn.AuthFailed,
		KeyQuota: cfg.KeyQuota, OrgQuota: cfg.OrgQuota, AuthFailureLimit: cfg.AuthFailureLimit, Now: opts.Now, Journal: jr, Jobs: jobs.NewEnqueuer(jc),
		AllowPrivateWebhooks: cfg.AllowPrivateWebhooks, Resolver: opts.Resolver, WindowLead: cfg.WindowLead, Plans: pl,
		Media:            media.Config{BaseURL: BrowserURL(cfg), MaxBytes: int64(cfg.MediaMaxBytes), TTL: cfg.MediaTTL},
		IngestCommitters: ingestCommitters(db.Dialect()),
		IngestQueue: ingest.QueueConfig{Parse: receiver.Parse, Grace: cfg.JobRescueAfter,
			// SQLite: one process, one writer; see ingest.QueueConfig.Direct.
			Direct: db.Dialect().Name == "sqlite"}})
	// Committed events reach this replica's MCP subscribers through the hub.
	hub := live.New(live.Config{Store: db, DatabaseURL: cfg.DatabaseURL, Logger: log})
	// Hosted agent clients sign in to /mcp with OAuth: the person signs in
	// to the inbox app and approves. The browser URL names the issuer and
	// the resource, so behind a proxy PARLEY_PUBLIC_URL must be set.
	var signIn mcpauth.People = mcpPeople{p: ppl, st: db}
	if opts.People != nil {
		signIn = opts.People
	}
	oauth := mcpauth.New(mcpauth.Config{Store: db, Keys: keys, PublicURL: BrowserURL(cfg), People: signIn, Now: opts.Now, Logger: log})
	// Set when the process is told to stop: /readyz then answers 503 so the
	// load balancer drains this replica while it still serves.
	draining := new(atomic.Bool)
	h, _, err := api.New(api.Config{Service: svc, Logger: log, Version: Version, TrustedProxies: proxies, Connect: cn, Plans: pl, MCPAuth: oauth,
		Draining: draining.Load, Collectors: []prometheus.Collector{jobs.NewStats(db.SQL(), db.Dialect().Name, log, delivery.Args{}.Kind()),
			ingest.NewQueueStats(db, log)},
		MCP: mcpserver.Handler(svc, &mcpserver.Options{Logger: log, Version: Version, Live: hub, OAuth: oauth}),
		Inbound: receiver.New(receiver.Config{Ingest: svc, Logger: log, MetaAppSecret: cfg.MetaAppSecret, MetaVerifyToken: cfg.MetaVerifyToken,
			XConsumerSecret: cfg.XConsumerSecret, LinkedInClientSecret: cfg.LinkedInClientSecret})})
	if err != nil {
		closeAll(db, listen, work)
		return nil, err
	}
	// The hub runs from here, not from Run, since tests and the sandbox
	// serve Handler themselves; Close stops it.
	liveCtx, stopLive := context.WithCancel(context.WithoutCancel(ctx))
	if err := hub.Start(liveCtx); err != nil {
		stopLive()
		closeAll(db, listen, work)
		return nil, err
	}
	// The inbox app, on the same listener; its pages hear of committed
	// events through the same hub as MCP subscriptions.
	app := webapp.New(webapp.Config{Service: svc, People: ppl, Connect: cn, Plans: pl, PublicURL: BrowserURL(cfg), Log: log, Now: opts.Now, Live: hub})
	top := http.NewServeMux()
	app.Register(top)
	top.Handle("/", h)
	return &Server{cfg: cfg, log: log, Store: db, listen: listen, work: work, Keys: keys, Service: svc, Journal: jr, Jobs: jc, Connect: cn, Plans: pl,
		People: ppl, app: app, Handler: top, stopLive: stopLive, draining: draining}, nil
}

// BrowserURL is where a browser on this machine reaches Parley: the public
// URL when set, else the listen address (a wildcard one through loopback).
func BrowserURL(cfg config.Config) string {
	cfg = cfg.WithDefaults()
	if cfg.PublicURL != "" {
		return strings.TrimRight(cfg.PublicURL, "/")
	}
	host, port, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return "http://" + cfg.Listen
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// Run serves HTTP on ln (or cfg.Listen when ln is nil) and runs jobs until ctx
// ends, then shuts down gracefully, in the order a load balancer needs:
//
//  1. /readyz answers 503 at once while everything else is still served,
//     and this replica's workers stop taking new jobs (other replicas take
//     them); this lasts PARLEY_SHUTDOWN_DRAIN, long enough for the
//     balancer's health check to notice;
//  2. the listener closes; in-flight requests and running jobs get
//     PARLEY_SHUTDOWN_TIMEOUT to finish;
//  3. jobs still running then are cancelled, and River hands each back to
//     the queue as available, its attempt not counted, for another replica
//     (or this one's successor) to run; open connections are closed;
//  4. the job notification (LISTEN) connection, the job runner's pool,
//     the live hub and the database pool are closed.
//
// It returns nil after a clean stop, even if jobs had to be handed back.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", s.cfg.Listen); err != nil {
			return err
		}
	}
	// River stops when told to (below), not when ctx ends: its own
	// reaction to a cancelled start context would cancel running jobs
	// before the drain.
	if err := s.Jobs.Start(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	srv := &http.Server{Handler: s.Handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	srv.RegisterOnShutdown(s.app.Close)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info("parley listening", "addr", ln.Addr().String(), "database", s.Store.Dialect().Name)
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	s.draining.Store(true)
	drain, timeout := s.cfg.ShutdownDrain, s.cfg.ShutdownTimeout
	s.log.Info("shutting down: /readyz answers 503", "drain", drain, "timeout", timeout)
	deadline, cancel := context.WithTimeout(context.Background(), drain+timeout)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.stopJobs(deadline)
	}()
	if serveErr == nil {
		// The listener stays open through the drain: a request the balancer
		// still sends here is served, not refused.
		select {
		case <-time.After(drain):
		case serveErr = <-errc:
		}
	}
	if err := srv.Shutdown(deadline); err != nil {
		s.log.Warn("shutting down: requests still in flight at the deadline were cut off", "err", err)
		_ = srv.Close()
	}
	// What this replica accepted is recorded before the database closes;
	// what is left at the deadline stays queued for another's sweep.
	if err := s.Service.WaitInbound(deadline); err != nil {
		s.log.Warn("shutting down: accepted webhooks not recorded yet stay queued for another replica", "err", err)
	}
	wg.Wait()
	s.stopLive()
	closeAll(s.Store, s.listen, s.work)
	s.log.Info("stopped")
	if errors.Is(serveErr, http.ErrServerClosed) {
		serveErr = nil
	}
	return serveErr
}

// stopJobs lets running jobs finish until deadline, then cancels those
// left; River makes each cancelled job available again without counting
// the attempt (workers return the context's error for it to see).
func (s *Server) stopJobs(deadline context.Context) {
	if err := s.Jobs.Stop(deadline); err == nil {
		return
	}
	s.log.Warn("shutting down: jobs still running at the deadline are handed back to the queue")
	// The cancelled jobs return at once; the bound only guards a worker
	// that ignores its context.
	hard, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Jobs.StopAndCancel(hard); err != nil {
		s.log.Error("shutting down: jobs did not stop; the rescuer will retry them", "err", err, "after", s.cfg.JobRescueAfter)
	}
}

// Close releases resources of a server that was never Run, once the
// webhooks it accepted are recorded (or a few seconds have passed: they stay
// queued).
func (s *Server) Close() error {
	wait, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.Service.WaitInbound(wait)
	s.stopLive()
	return closeAll(s.Store, s.listen, s.work)
}

// listenPool opens, for PostgreSQL, the pool River takes its LISTEN
// connection from: one connection, opened only when the job client starts.
func listenPool(cfg config.Config) (*pgxpool.Pool, error) {
	if cfg.DatabaseURL == "" {
		return nil, nil
	}
	pc, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("PARLEY_DATABASE_URL: %w", err)
	}
	pc.MinConns, pc.MaxConns = 0, 1
	return pgxpool.NewWithConfig(context.Background(), pc)
}

// workDB opens, for PostgreSQL, the pool River fetches and finishes jobs
// on, whose commits do not wait for the disk (see jobs.OpenWorkDB).
func workDB(cfg config.Config) (*sql.DB, error) {
	if cfg.DatabaseURL == "" {
		return nil, nil
	}
	db, err := jobs.OpenWorkDB(cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("PARLEY_DATABASE_URL: %w", err)
	}
	return db, nil
}

func closeAll(db *sqlstore.DB, listen *pgxpool.Pool, work *sql.DB) error {
	if listen != nil {
		listen.Close()
	}
	if work != nil {
		work.Close()
	}
	return db.Close()
}

// NewLogger builds the process logger from configuration. config.Load has
// refused a level slog cannot read, so the only level left at the zero
// (info) is an unset one.
func NewLogger(cfg config.Config, w *os.File) *slog.Logger {
	cfg = cfg.WithDefaults()
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// mcpPeople is the inbox app's sign-in as the MCP authorization server
// asks for it: who is signed in, with their organisation's name for the
// consent page, and where to sign in.
type mcpPeople struct {
	p  *people.People
	st store.Store
}

func (m mcpPeople) Current(r *http.Request) (mcpauth.Person, bool) {
	who, ok := m.p.Person(r)
	if !ok {
		return mcpauth.Person{}, false
	}
	org, err := m.st.GetOrganization(r.Context(), who.OrgID)
	if err != nil {
		return mcpauth.Person{}, false
	}
	name := who.Name
	if name == "" {
		name = who.Email
	}
	return mcpauth.Person{ID: who.ID, Name: name, OrgID: who.OrgID, OrgName: org.Name}, true
}

func (m mcpPeople) SignIn(w http.ResponseWriter, r *http.Request, returnTo string) {
	http.Redirect(w, r, m.p.SignInURL(returnTo), http.StatusFound)
}

// xPollTask is the periodic X DM poll, when the deployment polls
// (config.PollXDMs: no Account Activity webhooks) and its X adapter can.
func xPollTask(cfg config.Config, opts Options, db *sqlstore.DB, keys *secrets.KeyRing, adapters platform.Registry, log *slog.Logger,
	ingest func(context.Context, []platform.InboundEvent) error) []jobs.Task {
	x, ok := adapters[platform.X].(xpoll.Poller)
	if !cfg.PollXDMs() || !ok {
		return nil
	}
	job := xpoll.New(xpoll.Config{Store: db, Keys: keys, X: x, Ingest: ingest, Logger: log, Now: opts.Now, Active: opts.XPollActive})
	tick := opts.XPollTick
	if tick <= 0 {
		tick = xpoll.Tick
	}
	return []jobs.Task{{Name: "x_dm_poll", Interval: tick, Run: job.Run}}
}

// sweepInterval is how often the leader looks for accepted webhooks left
// unrecorded: a quarter of their grace, as River's rescuer looks for lost
// jobs, and at least once a minute.
func sweepInterval(grace time.Duration) time.Duration {
	if grace <= 0 {
		grace = ingest.DefaultGrace
	}
	return min(grace/4, time.Minute)
}

// ingestCommitters is how many ingest transactions a replica runs at once:
// one on SQLite (one writer); on PostgreSQL a few, so the database commits
// one batch while the next is being written (see ingest.Config.Committers).
func ingestCommitters(d sqlstore.Dialect) int {
	if d.Name == "postgres" {
		return postgresCommitters
	}
	return 1
}

// postgresCommitters is enough for a replica to keep the database busy
// between its commits without holding many connections (the pool's default
// is 20); not yet tuned on an idle machine (BENCHMARKS.md, issue 15).
const postgresCommitters = 4
