package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/emulator/waemu"
	"github.com/parleyhq/parley/internal/events"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/sqlstore"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/webhook/receiver"
)

// testParse reads back the bodies the tests accept: real platform bodies
// ("meta") through the receiver's parser, or ("events") the events
// themselves as JSON, for tests that steer thread resolution.
func testParse(source string, body []byte) ([]platform.InboundEvent, error) {
	if source == "events" {
		var evs []platform.InboundEvent
		return evs, json.Unmarshal(body, &evs)
	}
	return receiver.Parse(source, body)
}

// replica is another Ingest on the same database (another process behind
// the load balancer), running committers transactions at once, over st.
func (e *env) replica(st store.Store, committers int, cfg QueueConfig) *Ingest {
	cfg.Parse = testParse
	deps := domain.Deps{Store: st, Keys: e.keys, Now: e.clock}
	return New(deps, Config{Events: events.New(deps, events.Config{}), Journal: e.journal, Keys: e.keys, Queue: cfg, Committers: committers,
		ResolveThread: func(ctx context.Context, _ store.Account, participant string) (string, error) {
			return e.resolve(ctx, participant)
		}})
}

// accepted is what the queue holds, read as a sweep far in the future
// would find it.
func (e *env) queued(t *testing.T) []store.InboundRaw {
	t.Helper()
	rows, err := e.db.InboundDue(context.Background(), e.clock().Add(24*time.Hour), 1000, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// sealed is a Meta webhook body queued as Accept queues it, received now
// and due to a sweep at next.
func (e *env) sealed(t *testing.T, body []byte, next time.Time) store.InboundRaw {
	t.Helper()
	raw := store.InboundRaw{ID: store.NewID("inb"), Source: "meta", ReceivedAt: e.now, NextAt: next}
	var err error
	if raw.Sealed, err = e.keys.Seal(body, []byte(raw.ID)); err != nil {
		t.Fatal(err)
	}
	return raw
}

// enqueue stores rows in the inbound queue, as a replica's Accept does.
func (e *env) enqueue(t *testing.T, rows ...store.InboundRaw) {
	t.Helper()
	if err := e.db.AppendInbound(context.Background(), rows); err != nil {
		t.Fatal(err)
	}
}

func waitSettled(t *testing.T, in *Ingest) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := in.Wait(ctx); err != nil {
		t.Fatal(err)
	}
}

// waBody is a WhatsApp message webhook as the Cloud API posts it.
func waBody(t *testing.T, phoneID, waID, text string) ([]byte, []platform.InboundEvent) {
	t.Helper()
	wa := waemu.New(waemu.Options{})
	wa.AddPhoneNumber(waemu.PhoneNumber{ID: phoneID, WABAID: "1", Token: "tok"})
	body := wa.WebhookPayload(wa.Inbound(phoneID, waID, "Ana", text))
	evs, err := receiver.Parse("meta", body)
	if err != nil || len(evs) != 1 {
		t.Fatalf("parse: %v %v", evs, err)
	}
	return body, evs
}

// The platform is answered once the body is durable, before its events
// are recorded: the queue holds it sealed meanwhile, and once recorded it
// is gone and its events are there once.
func TestAcceptAnswersOnceTheBodyIsDurable(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		e := setup(t, db)
		gate := make(chan struct{})
		e.gate = gate
		in := e.replica(e.db, 0, QueueConfig{})
		a := e.org(t, platform.Instagram, "ig-1")
		evs := []platform.InboundEvent{message(platform.Instagram, "ig-1", "cust-1", "mid.1", e.now)}
		body, _ := json.Marshal(evs)
		if err := in.Accept(context.Background(), "events", body, evs); err != nil {
			t.Fatal(err)
		}
		// Recording is held at thread resolution: acknowledged, not recorded.
		rows := e.queued(t)
		if len(rows) != 1 || rows[0].Source != "events" || string(rows[0].Sealed) == string(body) {
			t.Fatalf("queue %+v: want the one body, sealed", rows)
		}
		if got := e.eventTypes(t, a.OrgID); len(got) != 0 {
			t.Fatalf("events %v before recording", got)
		}
		close(gate)
		waitSettled(t, in)
		if got := e.eventTypes(t, a.OrgID); len(got) != 1 || got[0] != events.EventMessageReceived {
			t.Fatalf("events %v, want one message.received", got)
		}
		if rows := e.queued(t); len(rows) != 0 {
			t.Fatalf("queue keeps %d recorded webhooks", len(rows))
		}
	})
}

// A replica killed between answering and recording leaves the body
// queued; another replica's sweep records it once its grace has passed,
// and a second sweep (or the platform's retry) adds nothing.
func TestSweepRecordsWhatAKilledReplicaAccepted(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		e := setup(t, db)
		a := e.org(t, platform.WhatsApp, "106540352242922")
		body, _ := waBody(t, "106540352242922", "15550001", "where is my order?")
		// What the killed replica's Accept stored before it died.
		e.enqueue(t, e.sealed(t, body, e.now.Add(time.Minute)))
		other := e.replica(e.db, 0, QueueConfig{Grace: time.Minute})
		if err := other.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if got := e.eventTypes(t, a.OrgID); len(got) != 0 {
			t.Fatalf("swept within the grace: %v", got)
		}
		e.advance(time.Minute)
		for range 2 {
			if err := other.Sweep(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if got := e.eventTypes(t, a.OrgID); len(got) != 1 || got[0] != events.EventMessageReceived {
			t.Fatalf("events %v, want one message.received", got)
		}
		meta, err := db.ConversationMeta(ctx, a.OrgID, a.ID, "15550001")
		if err != nil || meta.UnreadCount != 1 {
			t.Fatalf("conversation %+v %v: want one unread", meta, err)
		}
		if rows := e.queued(t); len(rows) != 0 {
			t.Fatalf("queue keeps %d recorded webhooks", len(rows))
		}
	})
}

// Two replicas recording the same queued webhooks at once (a sweep racing
// the replica that accepted them) record each once and leave none queued.
func TestConcurrentRecordingsClaimOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		e := setup(t, db)
		a := e.org(t, platform.WhatsApp, "106540352242922")
		var rows []store.InboundRaw
		for i := range 20 {
			body, _ := waBody(t, "106540352242922", "15550001", fmt.Sprintf("message %d", i))
			rows = append(rows, e.sealed(t, body, e.now))
		}
		e.enqueue(t, rows...)
		r1, r2 := e.replica(e.db, 0, QueueConfig{}), e.replica(e.db, 0, QueueConfig{})
		var wg sync.WaitGroup
		for _, r := range []*Ingest{r1, r2} {
			for _, raw := range rows {
				wg.Go(func() {
					if !r.recordQueued(ctx, raw) {
						t.Errorf("recording %s failed", raw.ID)
					}
				})
			}
		}
		wg.Wait()
		if got := e.eventTypes(t, a.OrgID); len(got) != 20 {
			t.Fatalf("%d events, want 20", len(got))
		}
		meta, err := db.ConversationMeta(ctx, a.OrgID, a.ID, "15550001")
		if err != nil || meta.UnreadCount != 20 {
			t.Fatalf("conversation %+v %v: want 20 unread", meta, err)
		}
		if left := e.queued(t); len(left) != 0 {
			t.Fatalf("queue keeps %d recorded webhooks", len(left))
		}
	})
}

// A recording that fails (the platform is down while a thread is
// resolved) was still acknowledged: the body stays queued, its failure
// counted and shown, and a sweep after the backoff records it. A body that
// cannot be opened stays too, for an operator, and is never dropped.
func TestFailedRecordingsStayQueuedAndAreRetried(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		e := setup(t, db)
		e.resolveErr = apierr.New(502, "platform.instagram.unavailable", "down")
		in := e.replica(e.db, 0, QueueConfig{})
		a := e.org(t, platform.Instagram, "ig-1")
		evs := []platform.InboundEvent{message(platform.Instagram, "ig-1", "cust-1", "mid.1", e.now)}
		body, _ := json.Marshal(evs)
		if err := in.Accept(ctx, "events", body, evs); err != nil {
			t.Fatalf("Accept = %v: the body is durable whatever recording does", err)
		}
		waitSettled(t, in)
		rows := e.queued(t)
		if len(rows) != 1 || rows[0].Attempts != 1 || rows[0].LastError == "" || !rows[0].NextAt.Equal(e.clock().Add(10*time.Second).Truncate(time.Microsecond)) {
			t.Fatalf("queue %+v: want one row, one failed attempt, retried in 10 s", rows)
		}
		stats, err := db.InboundBacklogStats(ctx)
		if err != nil || stats.Pending != 1 || stats.Failed != 1 || !stats.Oldest.Equal(e.now) {
			t.Fatalf("stats %+v %v", stats, err)
		}
		// Garbage that no key opens: kept, counted, never recorded.
		junk := store.InboundRaw{ID: store.NewID("inb"), Source: "meta", Sealed: []byte("not sealed"), ReceivedAt: e.now, NextAt: e.now}
		e.enqueue(t, junk)
		e.resolveErr = nil
		if err := in.Sweep(ctx); err != nil { // the backoff has not passed
			t.Fatal(err)
		}
		if got := e.eventTypes(t, a.OrgID); len(got) != 0 {
			t.Fatalf("retried before its backoff: %v", got)
		}
		e.advance(10 * time.Second)
		if err := in.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if got := e.eventTypes(t, a.OrgID); len(got) != 1 {
			t.Fatalf("events %v after the retry, want one", got)
		}
		left := e.queued(t)
		if len(left) != 1 || left[0].ID != junk.ID || left[0].Attempts != 2 {
			t.Fatalf("queue %+v: want only the unreadable body, tried twice", left)
		}
	})
}

// Accepted work a replica has not recorded is bounded: past the backlog,
// Accept waits (the platform's request with it) and stores nothing if the
// request ends first.
func TestAcceptWaitsPastTheBacklog(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		e := setup(t, db)
		gate := make(chan struct{})
		e.gate = gate
		in := e.replica(e.db, 0, QueueConfig{Backlog: 1})
		e.org(t, platform.Instagram, "ig-1")
		accept := func(ctx context.Context, id string) error {
			evs := []platform.InboundEvent{message(platform.Instagram, "ig-1", "cust-1", id, e.now)}
			body, _ := json.Marshal(evs)
			return in.Accept(ctx, "events", body, evs)
		}
		if err := accept(context.Background(), "mid.1"); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if err := accept(ctx, "mid.2"); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Accept past the backlog = %v, want the request's deadline", err)
		}
		if rows := e.queued(t); len(rows) != 1 {
			t.Fatalf("queue holds %d, want only the first", len(rows))
		}
		close(gate)
		if err := accept(context.Background(), "mid.3"); err != nil {
			t.Fatal(err)
		}
		waitSettled(t, in)
		if rows := e.queued(t); len(rows) != 0 {
			t.Fatalf("queue keeps %d", len(rows))
		}
	})
}

// With Direct (SQLite's single writer), Accept records the events before it
// returns and queues nothing: one transaction per batch instead of two.
func TestDirectAcceptRecordsBeforeAnswering(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		e := setup(t, db)
		in := e.replica(e.db, 0, QueueConfig{Direct: true})
		a := e.org(t, platform.WhatsApp, "106540352242922")
		body, evs := waBody(t, "106540352242922", "15550001", "hello")
		if err := in.Accept(context.Background(), "meta", body, evs); err != nil {
			t.Fatal(err)
		}
		if got := e.eventTypes(t, a.OrgID); len(got) != 1 || got[0] != events.EventMessageReceived {
			t.Fatalf("events %v when Accept returned, want one message.received", got)
		}
		if rows := e.queued(t); len(rows) != 0 {
			t.Fatalf("queue holds %d, want none", len(rows))
		}
	})
}
