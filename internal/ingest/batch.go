package ingest

import (
	"context"
	"database/sql"

	"github.com/riverqueue/river"

	"github.com/parleyhq/parley/internal/store"
)

// batchStore serves one group-committed transaction. It remembers each
// organisation's enabled endpoints, which would otherwise be read once per
// event, and it holds back the batch's event, journal, conversation and
// delivery writes until flush, which makes them one statement per table
// (one round trip each on PostgreSQL) instead of several per event.
//
// Held-back writes are attributed to the event their write function
// recorded before them (it records the event first, then journals, notes
// and enqueues what follows from it); a write made before any event is
// recorded (a referral note) goes straight through. flush drops the writes
// of an event that turns out to repeat one already stored, here or
// earlier: a platform retry changes nothing, as when each event was
// inserted on its own.
// Conversation rows are written last, in key order, so their row locks
// are held only while the transaction ends, and two transactions touching
// the same conversations (several replicas, one busy customer) take them
// in the same order.
type batchStore struct {
	store.Store
	endpoints map[string][]store.Endpoint
	// cur is the event the write function running now recorded; empty
	// before it records one (its writes then go straight through).
	cur        string
	events     []store.Event
	journal    []held[store.JournalEntry]
	notes      []held[store.ConversationMeta]
	deliveries []held[river.InsertManyParams]
	inbound    []held[store.InboundCount]
}

// held is a write waiting for flush, with the id of the event it follows
// from.
type held[T any] struct {
	event string
	item  T
}

// run runs one event's write function against the batch.
func (b *batchStore) run(w func(store.Store, *sql.Tx) error, tx *sql.Tx) error {
	b.cur = ""
	return w(b, tx)
}

// current is the event the next held-back write follows from: the last
// one the running write function recorded.
func (b *batchStore) current() string { return b.cur }

// InsertEvent holds the event back and reports it new: whether it is,
// flush learns, and drops what follows from it if not.
func (b *batchStore) InsertEvent(_ context.Context, e store.Event) (bool, error) {
	b.events = append(b.events, e)
	b.cur = e.ID
	return true, nil
}

// AppendJournal holds the entry back; its answer (ingestion ignores it)
// is true.
func (b *batchStore) AppendJournal(ctx context.Context, e store.JournalEntry) (bool, error) {
	if b.current() == "" {
		return b.Store.AppendJournal(ctx, e)
	}
	b.journal = append(b.journal, held[store.JournalEntry]{b.current(), e})
	return true, nil
}

// NoteInbound holds the note back, to merge it with the batch's others
// for the same conversation.
func (b *batchStore) NoteInbound(ctx context.Context, m store.ConversationMeta, unreadDelta int) error {
	if b.current() == "" {
		return b.Store.NoteInbound(ctx, m, unreadDelta)
	}
	m.UnreadCount = unreadDelta
	b.notes = append(b.notes, held[store.ConversationMeta]{b.current(), m})
	return nil
}

// CountInbound holds the count back: flush adds the batch's counts of new
// events up per organisation and month, one row each, so a batch holds an
// organisation's usage row (a row every ingest transaction of that
// organisation updates) only while it commits, and a repeated event is not
// counted.
func (b *batchStore) CountInbound(ctx context.Context, orgID, month string) error {
	if b.current() == "" {
		return b.Store.CountInbound(ctx, orgID, month)
	}
	b.inbound = append(b.inbound, held[store.InboundCount]{b.current(), store.InboundCount{OrgID: orgID, Month: month, N: 1}})
	return nil
}

// AddDeliveries implements events.Batch.
func (b *batchStore) AddDeliveries(params []river.InsertManyParams) {
	for _, p := range params {
		b.deliveries = append(b.deliveries, held[river.InsertManyParams]{b.current(), p})
	}
}

func (b *batchStore) EnabledEndpoints(ctx context.Context, orgID string) ([]store.Endpoint, error) {
	if eps, ok := b.endpoints[orgID]; ok {
		return eps, nil
	}
	eps, err := b.Store.EnabledEndpoints(ctx, orgID)
	if err == nil {
		b.endpoints[orgID] = eps
	}
	return eps, err
}

// flush makes the held-back writes of the events that were new, in the
// order that keeps contended row locks short: events and journal entries
// (new rows), the conversations (in key order), the deliveries (enqueue,
// River's rows, in this transaction), and last the organisations' usage
// rows (in key order), which every batch of an organisation updates.
func (b *batchStore) flush(ctx context.Context, enqueue func([]river.InsertManyParams) error) error {
	fresh, err := b.Store.InsertEvents(ctx, b.events)
	if err != nil {
		return err
	}
	if err := b.Store.AppendJournals(ctx, keep(b.journal, fresh)); err != nil {
		return err
	}
	if err := b.Store.NoteInbounds(ctx, keep(b.notes, fresh)); err != nil {
		return err
	}
	if d := keep(b.deliveries, fresh); len(d) > 0 && enqueue != nil {
		if err := enqueue(d); err != nil {
			return err
		}
	}
	return b.Store.CountInbounds(ctx, keep(b.inbound, fresh))
}

// keep returns the held writes whose event was new.
func keep[T any](hs []held[T], fresh map[string]bool) []T {
	var out []T
	for _, h := range hs {
		if fresh[h.event] {
			out = append(out, h.item)
		}
	}
	return out
}
