package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/sqlstore"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestBatchWritesMatchSingleWrites checks the batch writes of group-committed
// ingestion against what the single-row writes promise, on both backends
// (PostgreSQL runs one unnest statement per table, SQLite a loop): a dedupe
// key already stored or repeated within the batch is new once; a journal
// placeholder left by a status takes its message; several inbound notes
// for one conversation add up like consecutive NoteInbound calls; and a
// note for an account of another organisation writes nothing.
func TestBatchWritesMatchSingleWrites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		a, b := seed(t, db, "A"), seed(t, db, "B")
		ev := func(id, key string) store.Event {
			return store.Event{ID: id, OrgID: a.org.ID, Type: "message.received", DedupeKey: key, Payload: []byte(`{}`), CreatedAt: t0}
		}
		if fresh, err := db.InsertEvent(ctx, ev("evt_old", "k0")); err != nil || !fresh {
			t.Fatal(fresh, err)
		}
		fresh, err := db.InsertEvents(ctx, []store.Event{ev("evt_1", "k1"), ev("evt_2", "k0"), ev("evt_3", "k2"), ev("evt_4", "k1")})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]bool{"evt_1": true, "evt_2": false, "evt_3": true, "evt_4": false}
		for id, w := range want {
			if fresh[id] != w {
				t.Errorf("InsertEvents: %s fresh %v, want %v (all: %v)", id, fresh[id], w, fresh)
			}
		}
		if empty, err := db.InsertEvents(ctx, nil); err != nil || len(empty) != 0 {
			t.Errorf("no events: %v %v", empty, err)
		}

		// A status came before its message: the placeholder takes the body.
		if err := db.SetJournalStatus(ctx, store.JournalEntry{ID: "wam_1", AccountID: a.acct.ID, WaID: "15550001", WamID: "wamid.1",
			Direction: "outgoing", Status: "delivered", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		entry := func(id, wamid, waID string, sealed byte) store.JournalEntry {
			return store.JournalEntry{ID: id, AccountID: a.acct.ID, WaID: waID, WamID: wamid, Direction: "incoming",
				Sealed: []byte{sealed}, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
		}
		if err := db.AppendJournals(ctx, []store.JournalEntry{entry("wam_1", "wamid.1", "15550001", 1), entry("wam_2", "wamid.2", "15550001", 2),
			entry("wam_2", "wamid.2", "15550001", 3)}); err != nil {
			t.Fatal(err)
		}
		msgs, err := db.JournalMessages(ctx, a.acct.ID, "15550001", 0, 10)
		if err != nil || len(msgs) != 2 {
			t.Fatalf("journal: %v %+v", err, msgs)
		}
		for _, m := range msgs {
			switch m.WamID {
			case "wamid.1":
				if m.Status != "delivered" || string(m.Sealed) != "\x01" || m.Direction != "incoming" {
					t.Errorf("placeholder not filled as AppendJournal would: %+v", m)
				}
			case "wamid.2":
				if string(m.Sealed) != "\x02" {
					t.Errorf("repeated entry: the first should stay, got %+v", m)
				}
			}
		}

		t1, t2 := t0.Add(time.Minute), t0.Add(2*time.Minute)
		note := func(org, acct, thread, participant string, at, referral time.Time, unread int) store.ConversationMeta {
			return store.ConversationMeta{OrgID: org, AccountID: acct, ThreadID: thread, ParticipantID: participant,
				LastInboundAt: at, ReferralAt: referral, UnreadCount: unread}
		}
		if err := db.NoteInbound(ctx, note(a.org.ID, a.acct.ID, "t1", "p", t0, time.Time{}, 1), 1); err != nil {
			t.Fatal(err)
		}
		if err := db.NoteInbounds(ctx, []store.ConversationMeta{
			note(a.org.ID, a.acct.ID, "t1", "", t2, t1, 1),
			note(a.org.ID, a.acct.ID, "t2", "q", t1, time.Time{}, 1),
			note(a.org.ID, a.acct.ID, "t1", "p2", t1, time.Time{}, 2),
			// B's organisation naming A's account: refused as NoteInbound does.
			note(b.org.ID, a.acct.ID, "t3", "x", t1, time.Time{}, 1),
		}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			thread, participant string
			at, referral        time.Time
			unread              int
		}{{"t1", "p2", t2, t1, 4}, {"t2", "q", t1, time.Time{}, 1}} {
			m, err := db.ConversationMeta(ctx, a.org.ID, a.acct.ID, c.thread)
			if err != nil || m.ParticipantID != c.participant || !m.LastInboundAt.Equal(c.at.Truncate(time.Microsecond)) || !m.ReferralAt.Equal(c.referral.Truncate(time.Microsecond)) || m.UnreadCount != c.unread {
				t.Errorf("%s: %v %+v; want participant %s, inbound %v, referral %v, unread %d", c.thread, err, m, c.participant, c.at, c.referral, c.unread)
			}
		}
		for _, org := range []string{a.org.ID, b.org.ID} {
			if m, err := db.ConversationMeta(ctx, org, a.acct.ID, "t3"); err != nil || !m.LastInboundAt.IsZero() {
				t.Errorf("another organisation's note was written: %v %+v", err, m)
			}
		}
	})
}

// TestBatchCountsAndAttempts: CountInbounds adds every count to its
// organisation's month (several for one row add up), as that many
// CountInbound calls would; InsertAttempts stores each attempt as
// InsertAttempt does, on both backends.
func TestBatchCountsAndAttempts(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		a, b := seed(t, db, "A"), seed(t, db, "B")
		if err := db.CountInbound(ctx, a.org.ID, "2026-11"); err != nil {
			t.Fatal(err)
		}
		if err := db.CountInbounds(ctx, []store.InboundCount{{OrgID: b.org.ID, Month: "2026-11", N: 2}, {OrgID: a.org.ID, Month: "2026-11", N: 3},
			{OrgID: a.org.ID, Month: "2026-12", N: 1}, {OrgID: a.org.ID, Month: "2026-11", N: 4}}); err != nil {
			t.Fatal(err)
		}
		if err := db.CountInbounds(ctx, nil); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			org, month string
			want       int
		}{{a.org.ID, "2026-11", 8}, {a.org.ID, "2026-12", 1}, {b.org.ID, "2026-11", 2}, {b.org.ID, "2026-12", 0}} {
			if u, err := db.PlanUsage(ctx, c.org, c.month); err != nil || u.Inbound != c.want || u.Interactions != 0 {
				t.Errorf("%s %s: %+v %v, want %d inbound", c.org, c.month, u, err, c.want)
			}
		}

		ep := store.Endpoint{ID: store.NewID("ep"), OrgID: a.org.ID, URL: "https://example.com/h", Secret: []byte{1}, Enabled: true, CreatedAt: t0, UpdatedAt: t0}
		if err := db.CreateEndpoint(ctx, ep); err != nil {
			t.Fatal(err)
		}
		ev := store.Event{ID: store.NewID("evt"), OrgID: a.org.ID, Type: "message.received", DedupeKey: "k", Payload: []byte(`{}`), CreatedAt: t0}
		if _, err := db.InsertEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
		want := []store.Attempt{
			{ID: "att_1", OrgID: a.org.ID, EventID: ev.ID, EndpointID: ep.ID, Attempt: 1, StatusCode: 500, Error: "http_500", DurationMS: 12, CreatedAt: t0},
			{ID: "att_2", OrgID: a.org.ID, EventID: ev.ID, EndpointID: ep.ID, Attempt: 2, StatusCode: 200, DurationMS: 3, Success: true, CreatedAt: t0.Add(time.Second)},
		}
		if err := db.InsertAttempts(ctx, want); err != nil {
			t.Fatal(err)
		}
		got, err := db.ListAttempts(ctx, a.org.ID, ev.ID, "", store.Page{Limit: 10})
		if err != nil || len(got) != 2 {
			t.Fatalf("attempts %+v %v", got, err)
		}
		for i := range want {
			if g := got[i]; g.ID != want[i].ID || g.Attempt != want[i].Attempt || g.StatusCode != want[i].StatusCode || g.Error != want[i].Error ||
				g.DurationMS != want[i].DurationMS || g.Success != want[i].Success || !g.CreatedAt.Equal(want[i].CreatedAt.Truncate(time.Microsecond)) {
				t.Errorf("attempt %d: %+v, want %+v", i, g, want[i])
			}
		}
	})
}
