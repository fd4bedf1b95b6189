// Package service is Parley's domain layer: every operation a caller can do,
// checked and scoped to the caller's organisation. REST and MCP both call it
// and only render what it returns.
//
// It is a front: each capability lives in its own package (inbox and
// sends, ingest, events, manage, journal) and the operations here
// delegate to it.
package service

import (
	"context"
	"log/slog"
	"net"
	"time"

	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/events"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/ingest"
	"github.com/parleyhq/parley/internal/journal"
	"github.com/parleyhq/parley/internal/manage"
	"github.com/parleyhq/parley/internal/media"
	"github.com/parleyhq/parley/internal/plans"
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
	// AuthFailed is told when a platform refused an account's token on an
	// ordinary call (connect.Connect.AuthFailed); nil marks the account
	// reauth_required without its event.
	AuthFailed func(ctx context.Context, orgID, accountID string, err error)
	// KeyQuota is each API key's request quota per minute; 0 disables it.
	KeyQuota int
	// OrgQuota is an organisation's request quota per minute across all
	// its keys, so minting keys does not multiply it; 0 disables it.
	OrgQuota int
	// AuthFailureLimit is how many requests with an invalid API key one
	// client address may make per minute before it is refused outright;
	// 0 disables it.
	AuthFailureLimit int
	// Plans holds sends, brands and accounts to each organisation's plan
	// and gives it its request quota; nil applies no plan.
	Plans *plans.Plans
	// Media configures uploads for later sends (POST /v1/media).
	Media media.Config
	// IngestCommitters is how many group-committed ingest transactions
	// may run at once (ingest.Config.Committers); 0 means one.
	IngestCommitters int
	// IngestQueue tunes how accepted webhooks are queued and swept
	// (ingest.QueueConfig).
	IngestQueue ingest.QueueConfig
}

// Service is the domain layer. It is safe for concurrent use.
type Service struct {
	store  store.Store
	now    func() time.Time
	events *events.Events
	manage *manage.Manage
	inbox  *inbox.Inbox
	ingest *ingest.Ingest
	media  *media.Media
}

// New returns a Service.
func New(cfg Config) *Service {
	deps := domain.Deps{Store: cfg.Store, Keys: cfg.Keys, Now: cfg.Now, Log: cfg.Logger}.WithDefaults()
	s := &Service{store: cfg.Store, now: deps.Now}
	s.events = events.New(deps,
		events.Config{Jobs: cfg.Jobs, AllowPrivate: cfg.AllowPrivateWebhooks, Resolver: cfg.Resolver, WindowLead: cfg.WindowLead})
	var (
		hold   inbox.Hold
		limits manage.Limits
	)
	if cfg.Plans != nil {
		hold, limits = cfg.Plans.Hold, cfg.Plans
	}
	s.media = media.New(deps, cfg.Media)
	s.inbox = inbox.New(deps, inbox.Config{Adapters: cfg.Adapters, AccountTimeout: cfg.AccountTimeout, Journal: cfg.Journal,
		Publish: s.events.Publish, AuthFailed: cfg.AuthFailed, Hold: hold, Media: s.media})
	s.ingest = ingest.New(deps, ingest.Config{Events: s.events, Jobs: cfg.Jobs, Journal: cfg.Journal, ResolveThread: s.inbox.ResolveThread,
		Committers: cfg.IngestCommitters, Keys: cfg.Keys, Queue: cfg.IngestQueue})
	s.manage = manage.New(deps, manage.Config{Adapters: cfg.Adapters, AccountTimeout: cfg.AccountTimeout, KeyQuota: cfg.KeyQuota,
		OrgQuota: cfg.OrgQuota, Limits: limits, AuthFailureLimit: cfg.AuthFailureLimit, AccountChanged: s.AccountChanged})
	return s
}

// AccountChanged drops what this replica cached about an account that was
// created, changed or deleted (the inbox's prepared handle, ingestion's
// lookup by native id); other replicas see the change within
// domain.HotCacheTTL.
func (s *Service) AccountChanged(orgID, accountID string) {
	s.inbox.AccountChanged(orgID, accountID)
	s.ingest.AccountChanged(orgID, accountID)
}

// Ready checks the database answers, for /readyz.
func (s *Service) Ready(ctx context.Context) error { return s.store.Ping(ctx) }
