// Package ingest is the inbound-ingestion capability: platform webhook
// events, normalised, made durable for every organisation that connected
// the account — de-duplicated, journalled (WhatsApp), with conversation
// metadata updated and deliveries enqueued — in group-committed
// transactions, so a burst of webhooks costs a few commits (DESIGN §3, §4).
package ingest

import (
	"context"
	"database/sql"
	"log/slog"
	"time"

	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/events"
	"github.com/parleyhq/parley/internal/journal"
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

	group groupCommit[[]func(store.Store, *sql.Tx) error]
}

// New returns Ingest over the shared dependencies.
func New(d domain.Deps, cfg Config) *Ingest {
	d = d.WithDefaults()
	return &Ingest{store: d.Store, log: d.Log, now: d.Now, events: cfg.Events, jobs: cfg.Jobs, journal: cfg.Journal,
		resolveThread: cfg.ResolveThread}
}
