package ingest

import (
	"context"
	"database/sql"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/parleyhq/parley/internal/delivery"
	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/events"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/sqlstore"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// recordingJobs stands in for River: it keeps the delivery jobs enqueued.
type recordingJobs struct {
	mu   sync.Mutex
	jobs []delivery.Args
}

func (r *recordingJobs) InsertManyTx(_ context.Context, _ *sql.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range params {
		r.jobs = append(r.jobs, p.Args.(delivery.Args))
	}
	return nil, nil
}

// One group-committed batch holding a WhatsApp message twice (a platform
// retry landing next to the original), a second message in the same
// conversation and one in another conversation, written with one statement
// per table: the repeat adds nothing — one event, one journal entry, one
// unread, one delivery per message — and each conversation ends as
// consecutive single writes would leave it.
func TestIngestBatchDropsRepeatsWithinTheBatch(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		e := setup(t, db)
		jobs := &recordingJobs{}
		deps := domain.Deps{Store: db, Keys: e.keys, Now: func() time.Time { return e.now }}
		e.ingest = New(deps, Config{Events: events.New(deps, events.Config{Jobs: jobs}), Jobs: jobs, Journal: e.journal})
		a := e.org(t, platform.WhatsApp, "phone-1")
		ctx := context.Background()
		ep := store.Endpoint{ID: store.NewID("ep"), OrgID: a.OrgID, URL: "https://hooks.example/x", Secret: []byte("s"), Enabled: true,
			CreatedAt: e.now, UpdatedAt: e.now}
		if err := db.CreateEndpoint(ctx, ep); err != nil {
			t.Fatal(err)
		}
		first := message(platform.WhatsApp, "phone-1", "15550001", "wamid.1", e.now.Add(-3*time.Minute))
		first.ThreadID = "15550001"
		second := message(platform.WhatsApp, "phone-1", "15550001", "wamid.2", e.now.Add(-time.Minute))
		second.ThreadID = "15550001"
		other := message(platform.WhatsApp, "phone-1", "15550002", "wamid.3", e.now.Add(-2*time.Minute))
		other.ThreadID = "15550002"
		if err := e.ingest.Ingest(ctx, []platform.InboundEvent{first, second, first, other}); err != nil {
			t.Fatal(err)
		}
		if got := e.eventTypes(t, a.OrgID); len(got) != 3 {
			t.Fatalf("events %v, want three message.received", got)
		}
		evs, err := db.ListEvents(ctx, a.OrgID, store.Page{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var want, got []string
		for _, ev := range evs {
			want = append(want, ev.ID)
		}
		for _, j := range jobs.jobs {
			if j.EndpointID != ep.ID || j.OrgID != a.OrgID {
				t.Errorf("delivery %+v, want to %s in %s", j, ep.ID, a.OrgID)
			}
			got = append(got, j.EventID)
		}
		sort.Strings(want)
		sort.Strings(got)
		if len(got) != len(want) || len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
			t.Fatalf("deliveries for events %v, want one for each stored event %v", got, want)
		}
		for _, c := range []struct {
			thread string
			unread int
			last   time.Time
			msgs   int
		}{{"15550001", 2, second.Message.CreatedAt, 2}, {"15550002", 1, other.Message.CreatedAt, 1}} {
			meta, err := db.ConversationMeta(ctx, a.OrgID, a.ID, c.thread)
			if err != nil || meta.UnreadCount != c.unread || !meta.LastInboundAt.Equal(c.last) || meta.ParticipantID != c.thread {
				t.Errorf("%s: %v %+v; want %d unread, last inbound %s", c.thread, err, meta, c.unread, c.last)
			}
			if m, err := db.JournalMessages(ctx, a.ID, c.thread, 0, 10); err != nil || len(m) != c.msgs {
				t.Errorf("%s: journal %v %d entries, want %d", c.thread, err, len(m), c.msgs)
			}
		}
	})
}
