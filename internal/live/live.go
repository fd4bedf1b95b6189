// Package live tells this replica's listeners, within moments, about every
// event any replica commits, so MCP sessions hear of new messages without polling.
//
// On PostgreSQL every recorded event is announced with NOTIFY in its own
// transaction (sqlstore.EventsChannel) and the Hub holds one LISTEN
// connection, blocked until the server speaks; on SQLite, which one process
// owns, the store's commit hook feeds the Hub directly. Either way an idle
// Parley does nothing, and the database is read only for events of an
// organisation someone is listening to.
package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/sqlstore"
)

// Change is one committed event as a listener sees it.
type Change struct {
	// ID is the event's id, so a listener that also caught up from the
	// event list can tell what it has already seen.
	ID string
	// Type is the event type (message.received, …).
	Type string
	// ConversationID is the conversation the event is about; "" for
	// events about no conversation (endpoint.disabled, …).
	ConversationID string
}

// Config builds a Hub.
type Config struct {
	// Store reads the announced events.
	Store *sqlstore.DB
	// DatabaseURL, for PostgreSQL, is where the Hub LISTENs; "" on SQLite.
	DatabaseURL string
	Logger      *slog.Logger
}

// Hub fans committed events out to the subscribers of their organisation.
// It is safe for concurrent use.
type Hub struct {
	cfg   Config
	log   *slog.Logger
	queue chan store.EventNotice

	mu   sync.Mutex
	subs map[string]map[*Sub]struct{}
}

// queueSize bounds the notices waiting to be read: a burst beyond it drops
// notices, which only delays what a listener hears (its next read of the
// conversation is complete), rather than blocking the commits behind it.
const queueSize = 1024

// New returns a Hub; Start must run for it to deliver anything.
func New(cfg Config) *Hub {
	h := &Hub{cfg: cfg, log: cfg.Logger, queue: make(chan store.EventNotice, queueSize), subs: map[string]map[*Sub]struct{}{}}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if cfg.DatabaseURL == "" {
		cfg.Store.OnEvent(h.enqueue)
	}
	return h
}

// enqueue takes a notice without ever blocking the commit that made it.
func (h *Hub) enqueue(n store.EventNotice) {
	if !h.listening(n.OrgID) {
		return
	}
	select {
	case h.queue <- n:
	default:
		h.log.Warn("live: notice queue full; a listener misses one update", "event_id", n.ID)
	}
}

func (h *Hub) listening(orgID string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs[orgID]) > 0
}

// Start runs the Hub until ctx ends. On PostgreSQL it first opens the
// LISTEN connection, so every event committed after Start returns is heard;
// a lost connection is reopened in the background.
func (h *Hub) Start(ctx context.Context) error {
	var conn *pgx.Conn
	if h.cfg.DatabaseURL != "" {
		var err error
		if conn, err = h.connect(ctx); err != nil {
			return fmt.Errorf("live: LISTEN %s: %w", sqlstore.EventsChannel, err)
		}
		go h.listen(ctx, conn)
	}
	go h.run(ctx)
	return nil
}

func (h *Hub) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case n := <-h.queue:
			h.deliver(ctx, n)
		}
	}
}

func (h *Hub) connect(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.Connect(ctx, h.cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+sqlstore.EventsChannel); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	return conn, nil
}

// listen waits on the LISTEN connection, reopening it after a failure.
func (h *Hub) listen(ctx context.Context, conn *pgx.Conn) {
	backoff := 100 * time.Millisecond
	for {
		err := h.wait(ctx, conn)
		conn.Close(context.WithoutCancel(ctx))
		for {
			if ctx.Err() != nil {
				return
			}
			h.log.Warn("live: LISTEN connection lost; reconnecting", "err", err, "in", backoff)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 10*time.Second)
			if conn, err = h.connect(ctx); err == nil {
				backoff = 100 * time.Millisecond
				break
			}
		}
	}
}

// wait blocks until the server delivers a notification (no polling).
func (h *Hub) wait(ctx context.Context, conn *pgx.Conn) error {
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		org, id, ok := strings.Cut(n.Payload, " ")
		if !ok {
			continue
		}
		h.enqueue(store.EventNotice{OrgID: org, ID: id})
	}
}

// deliver reads the event once and hands it to the organisation's
// subscribers; a subscriber that is behind loses it rather than hold up the
// others.
func (h *Hub) deliver(ctx context.Context, n store.EventNotice) {
	h.mu.Lock()
	subs := make([]*Sub, 0, len(h.subs[n.OrgID]))
	for s := range h.subs[n.OrgID] {
		subs = append(subs, s)
	}
	h.mu.Unlock()
	if len(subs) == 0 {
		return
	}
	ev, err := h.cfg.Store.GetEvent(ctx, n.OrgID, n.ID)
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			h.log.Warn("live: read announced event", "event_id", n.ID, "err", err)
		}
		return
	}
	// The stored payload is the event as delivered.
	var v apitype.EventView
	_ = json.Unmarshal(ev.Payload, &v)
	v.ID, v.Type = ev.ID, ev.Type
	c := ChangeOf(v)
	for _, s := range subs {
		select {
		case s.c <- c:
		default:
		}
	}
}

// ChangeOf is what a listener hears of an event: enough to know what to
// redraw (its id, type and data.conversation_id), nothing more; listeners
// that catch up from the event list use it too.
func ChangeOf(v apitype.EventView) Change {
	c := Change{ID: v.ID, Type: v.Type}
	var data struct {
		ConversationID string `json:"conversation_id"`
	}
	if json.Unmarshal(v.Data, &data) == nil {
		c.ConversationID = data.ConversationID
	}
	return c
}

// Sub receives the changes of one organisation.
type Sub struct {
	h   *Hub
	org string
	c   chan Change
}

// Subscribe starts receiving orgID's changes; Close stops it.
func (h *Hub) Subscribe(orgID string) *Sub {
	s := &Sub{h: h, org: orgID, c: make(chan Change, 64)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs[orgID] == nil {
		h.subs[orgID] = map[*Sub]struct{}{}
	}
	h.subs[orgID][s] = struct{}{}
	return s
}

// C delivers the changes.
func (s *Sub) C() <-chan Change { return s.c }

// Close unsubscribes; C receives nothing more.
func (s *Sub) Close() {
	s.h.mu.Lock()
	defer s.h.mu.Unlock()
	delete(s.h.subs[s.org], s)
	if len(s.h.subs[s.org]) == 0 {
		delete(s.h.subs, s.org)
	}
}
