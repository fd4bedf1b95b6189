// Package service is Parley's domain layer: every operation a caller can do,
// checked and scoped to the caller's organisation. REST and MCP both call it
// and only render what it returns.
//
// It is a front: each capability lives in its own package (events,
// manage, connect, inbox, journal) and the operations here delegate to it.
package service

import (
	"context"
	"database/sql"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/events"
	"github.com/parleyhq/parley/internal/journal"
	"github.com/parleyhq/parley/internal/manage"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/secrets"
	"github.com/parleyhq/parley/internal/store"
)

// Config builds a Service.
type Config struct {
	Store    store.Store
	Keys     *secrets.KeyRing
	Adapters platform.Registry
	Logger   *slog.Logger
	// Now is the clock (tests pin it); nil means time.Now.
	Now func() time.Time
	// AccountTimeout bounds each account's platform call when listing
	// across accounts, so one slow platform cannot stall the list.
	AccountTimeout time.Duration
	// Journal keeps WhatsApp history; nil disables journalling of sends.
	Journal *journal.Journal
	// Jobs enqueues webhook deliveries; nil records events without
	// delivering them.
	Jobs Enqueuer
	// AllowPrivateWebhooks lets endpoints use private and loopback
	// addresses (tests, the sandbox).
	AllowPrivateWebhooks bool
	// Resolver looks up webhook endpoint hosts at registration; nil means
	// net.DefaultResolver.
	Resolver *net.Resolver
	// WindowLead is how long before a reply window closes that
	// conversation.window_closing is sent; 0 means DefaultWindowLead.
	WindowLead time.Duration
	// KeyQuota is each API key's request quota per minute; 0 disables it.
	KeyQuota int
	// OrgQuota is an organisation's request quota per minute across all
	// its keys, so minting keys does not multiply it; 0 disables it.
	OrgQuota int
	// AuthFailureLimit is how many requests with an invalid API key one
	// client address may make per minute before it is refused outright;
	// 0 disables it.
	AuthFailureLimit int
}

// Service is the domain layer. It is safe for concurrent use.
type Service struct {
	store          store.Store
	keys           *secrets.KeyRing
	adapters       platform.Registry
	log            *slog.Logger
	now            func() time.Time
	accountTimeout time.Duration
	journal        *journal.Journal
	jobs           Enqueuer
	events         *events.Events
	manage         *manage.Manage

	ingest groupCommit[[]func(store.Store, *sql.Tx) error]

	accountCache domain.TTLCache[string, accountHandle] // by org id + "/" + account id

	tmplMu    sync.Mutex
	tmplCache map[string]templateEntry
}

// New returns a Service.
func New(cfg Config) *Service {
	s := &Service{store: cfg.Store, keys: cfg.Keys, adapters: cfg.Adapters, log: cfg.Logger, now: cfg.Now, accountTimeout: cfg.AccountTimeout,
		journal: cfg.Journal,
		jobs:    cfg.Jobs, tmplCache: map[string]templateEntry{}}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.accountTimeout == 0 {
		s.accountTimeout = 10 * time.Second
	}
	if s.adapters == nil {
		s.adapters = platform.Registry{}
	}
	deps := domain.Deps{Store: s.store, Keys: s.keys, Now: s.now, Log: s.log}
	s.events = events.New(deps,
		events.Config{Jobs: cfg.Jobs, AllowPrivate: cfg.AllowPrivateWebhooks, Resolver: cfg.Resolver, WindowLead: cfg.WindowLead})
	s.manage = manage.New(deps, manage.Config{Adapters: s.adapters, AccountTimeout: s.accountTimeout, KeyQuota: cfg.KeyQuota,
		OrgQuota: cfg.OrgQuota, AuthFailureLimit: cfg.AuthFailureLimit, AccountChanged: s.accountChanged})
	return s
}

// Ready checks the database answers, for /readyz.
func (s *Service) Ready(ctx context.Context) error { return s.store.Ping(ctx) }
