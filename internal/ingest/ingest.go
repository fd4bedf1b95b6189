// Package ingest is the inbound-ingestion capability: a platform webhook's
// verified body is queued durably before the platform is answered
// (Accept), then its normalised events are recorded for every organisation
// that connected the account — de-duplicated, journalled (WhatsApp), with
// conversation metadata updated and deliveries enqueued — in
// group-committed transactions, so a burst of webhooks costs a few commits
// (DESIGN §3, §4).
package ingest

import (
	"context"
	"database/sql"
	"log/slog"
	"time"

	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/events"
	"github.com/parleyhq/parley/internal/journal"
	"github.com/parleyhq/parley/internal/secrets"
	"github.com/parleyhq/parley/internal/store"
)

// Publisher records an event once and enqueues its deliveries inside the
// caller's transaction (events.Events).
type Publisher interface {
	PublishTx(ctx context.Context, st store.Store, tx *sql.Tx, orgID, typ, dedupeKey string, data any, only string) (store.Event, bool, error)
}

// Config builds Ingest.
type Config struct {
	// Events records message.* events; required.
	Events Publisher
	// Jobs enqueues the batch's webhook deliveries; nil records events
	// without delivering them.
	Jobs events.Enqueuer
	// Journal keeps WhatsApp history; nil disables journalling.
	Journal *journal.Journal
	// ResolveThread finds the thread of an event that names only its
	// participant (inbox.Inbox.ResolveThread); nil takes the participant
	// for the thread.
	ResolveThread func(ctx context.Context, a store.Account, participantID string) (string, error)
	// Committers is how many group-committed transactions may run at once
	// (see domain.GroupCommit); 0 means one, which is all SQLite's single writer
	// can use.
	Committers int
	// Keys seal queued webhooks at rest; required by Accept.
	Keys *secrets.KeyRing
	// Queue tunes Accept and Sweep.
	Queue QueueConfig
}

// Ingest is the capability. It is safe for concurrent use.
type Ingest struct {
	store         store.Store
	log           *slog.Logger
	now           func() time.Time
	events        Publisher
	jobs          events.Enqueuer
	journal       *journal.Journal
	resolveThread func(ctx context.Context, a store.Account, participantID string) (string, error)

	keys  *secrets.KeyRing
	queue *queue

	group       domain.GroupCommit[unit]
	appendGroup domain.GroupCommit[store.InboundRaw]
	// byNative caches AccountsByNative, which every webhook would otherwise
	// read: a burst for one account reads it once a HotCacheTTL.
	byNative domain.TTLCache[string, []store.Account]
	// threads caches ThreadByParticipant, which every event naming its
	// participant would otherwise read (one query per event, as many as
	// the rest of its recording together). Only threads found are kept; a
	// participant's thread does not change once it exists (the first one
	// wins, see threadOf), so a minute only bounds memory and the life of
	// a deleted account's entries on other replicas.
	threads domain.TTLCache[[2]string, string]
}

// accountsByNative is store.AccountsByNative through the cache. Only
// non-empty answers are cached, so an account connected on this or
// another replica receives its first webhook at once; one that is
// changed, disconnected or deleted stops receiving within
// domain.HotCacheTTL on every replica, and on the one that changed it at
// once (AccountChanged), bar a lookup already under way — as a webhook
// already being processed when it changed would.
// The TTL is measured on the wall clock, not the injected one: it bounds
// staleness in real time, which a test's frozen clock must not stretch.
func (s *Ingest) accountsByNative(ctx context.Context, platform, nativeID string) ([]store.Account, error) {
	key := platform + "\x00" + nativeID
	now := time.Now()
	if as, ok := s.byNative.Get(key, now); ok {
		return as, nil
	}
	as, err := s.store.AccountsByNative(ctx, platform, nativeID)
	if err == nil && len(as) > 0 {
		s.byNative.Put(key, as, now)
	}
	return as, err
}

// AccountChanged drops this replica's cached account lookups after an
// account was created, changed or deleted here. Changes are rare, so all
// are dropped: a new account can join a native id another organisation
// already connected, and its lookup must then include it.
func (s *Ingest) AccountChanged(orgID, accountID string) {
	s.byNative.Forget(func(string, []store.Account) bool { return true })
	s.threads.Forget(func(k [2]string, _ string) bool { return k[0] == accountID })
}

// threadByParticipant is store.ThreadByParticipant through the cache.
func (s *Ingest) threadByParticipant(ctx context.Context, accountID, participantID string) (string, error) {
	key, now := [2]string{accountID, participantID}, time.Now()
	if thread, ok := s.threads.Get(key, now); ok {
		return thread, nil
	}
	thread, err := s.store.ThreadByParticipant(ctx, accountID, participantID)
	if err == nil && thread != "" {
		s.threads.Put(key, thread, now)
	}
	return thread, err
}

// New returns Ingest over the shared dependencies.
func New(d domain.Deps, cfg Config) *Ingest {
	d = d.WithDefaults()
	return &Ingest{store: d.Store, log: d.Log, now: d.Now, events: cfg.Events, jobs: cfg.Jobs, journal: cfg.Journal,
		resolveThread: cfg.ResolveThread, keys: cfg.Keys, queue: newQueue(cfg.Queue),
		group: domain.GroupCommit[unit]{Limit: cfg.Committers}, appendGroup: domain.GroupCommit[store.InboundRaw]{Limit: cfg.Committers},
		threads: domain.TTLCache[[2]string, string]{TTL: time.Minute}}
}
