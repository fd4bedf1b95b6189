package ingest

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/events"
	"github.com/parleyhq/parley/internal/journal"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/secrets"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/sqlstore"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// env is Ingest over a real store, with the events capability it records
// into and a thread resolver the test steers.
type env struct {
	db      *sqlstore.DB
	keys    *secrets.KeyRing
	now     time.Time
	ingest  *Ingest
	journal *journal.Journal
	// resolveErr, when set, is what thread resolution answers; gate, when
	// set, holds thread resolution until it is closed.
	resolveErr error
	gate       chan struct{}

	mu     sync.Mutex
	offset time.Duration // how far the clock has moved from now
}

// clock is the time the capability sees: now, moved by advance.
func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now.Add(e.offset)
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	e.offset += d
	e.mu.Unlock()
}

// resolve is the thread resolution the test steers.
func (e *env) resolve(ctx context.Context, participant string) (string, error) {
	if e.gate != nil {
		select {
		case <-e.gate:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	if e.resolveErr != nil {
		return "", e.resolveErr
	}
	return "thread-of-" + participant, nil
}

func setup(t *testing.T, db *sqlstore.DB) *env {
	t.Helper()
	ring, err := secrets.GenerateKey(time.Unix(1, 0))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := secrets.ParseKeyRing(ring)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{db: db, keys: keys, now: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	deps := domain.Deps{Store: db, Keys: keys, Now: e.clock}
	e.journal = journal.New(db, keys, 30*24*time.Hour)
	e.ingest = New(deps, Config{Events: events.New(deps, events.Config{}), Journal: e.journal,
		ResolveThread: func(ctx context.Context, _ store.Account, participant string) (string, error) {
			return e.resolve(ctx, participant)
		}})
	return e
}

// org creates an organisation with one active, verified account on p
// with the given native id.
func (e *env) org(t *testing.T, p platform.Name, native string) store.Account {
	t.Helper()
	ctx := context.Background()
	org := store.Organization{ID: store.NewID("org"), Name: "o", CreatedAt: e.now}
	brand := store.Brand{ID: store.NewID("brand"), OrgID: org.ID, Name: "b", CreatedAt: e.now, UpdatedAt: e.now}
	verified := e.now
	a := store.Account{ID: store.NewID("acct"), OrgID: org.ID, BrandID: brand.ID, Platform: string(p), NativeID: native,
		Status: store.AccountActive, VerifiedAt: &verified, CreatedAt: e.now, UpdatedAt: e.now}
	var err error
	if a.Credentials, err = e.keys.Seal([]byte("t"), []byte(a.ID)); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{e.db.CreateOrganization(ctx, org), e.db.CreateBrand(ctx, brand), e.db.CreateAccount(ctx, a)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return a
}

// eventTypes lists the types of an organisation's events, sorted.
func (e *env) eventTypes(t *testing.T, orgID string) []string {
	t.Helper()
	evs, err := e.db.ListEvents(context.Background(), orgID, store.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Type)
	}
	sort.Strings(out)
	return out
}

func message(p platform.Name, native, participant, id string, at time.Time) platform.InboundEvent {
	return platform.InboundEvent{Kind: platform.EventMessage, Platform: p, AccountNativeID: native, ParticipantID: participant,
		MessageID: id, Message: platform.Message{PlatformID: id, SenderID: participant, Text: "hello", CreatedAt: at}}
}

// A platform retrying a webhook does not make a second event or a second
// unread message: the first delivery is recorded once.
func TestIngestRecordsAMessageOnceAcrossRetries(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		e := setup(t, db)
		a := e.org(t, platform.Instagram, "ig-1")
		ev := message(platform.Instagram, "ig-1", "cust-1", "mid.1", e.now.Add(-time.Minute))
		for range 2 {
			if err := e.ingest.Ingest(context.Background(), []platform.InboundEvent{ev}); err != nil {
				t.Fatal(err)
			}
		}
		if got := e.eventTypes(t, a.OrgID); len(got) != 1 || got[0] != events.EventMessageReceived {
			t.Fatalf("events %v, want one message.received", got)
		}
		meta, err := db.ConversationMeta(context.Background(), a.OrgID, a.ID, "thread-of-cust-1")
		if err != nil {
			t.Fatal(err)
		}
		if meta.UnreadCount != 1 || !meta.LastInboundAt.Equal(ev.Message.CreatedAt) || meta.ParticipantID != "cust-1" {
			t.Fatalf("conversation metadata %+v: want one unread, inbound at %s from cust-1", meta, ev.Message.CreatedAt)
		}
	})
}

// An account connected by two organisations tells both, each in its own
// tenancy; an account nobody connected is acknowledged and dropped.
func TestIngestFansOutToEveryConnectedOrganisation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		e := setup(t, db)
		a, b := e.org(t, platform.X, "x-1"), e.org(t, platform.X, "x-1")
		evs := []platform.InboundEvent{message(platform.X, "x-1", "cust", "dm-1", e.now), message(platform.X, "x-unknown", "cust", "dm-2", e.now)}
		if err := e.ingest.Ingest(context.Background(), evs); err != nil {
			t.Fatal(err)
		}
		for _, acct := range []store.Account{a, b} {
			if got := e.eventTypes(t, acct.OrgID); len(got) != 1 || got[0] != events.EventMessageReceived {
				t.Fatalf("organisation %s events %v, want its own message.received", acct.OrgID, got)
			}
		}
	})
}

// Thread resolution decides whether the platform must retry: an account
// that cannot be used any more is dropped (a retry would fail the same
// way), while a platform outage is an error so the webhook comes again.
func TestIngestThreadResolutionFailures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		err     error
		wantErr bool
	}{
		{"reauth_required", apierr.New(http.StatusConflict, "account.reauth_required", "reconnect"), false},
		{"no adapter", apierr.New(http.StatusNotImplemented, "platform.not_supported", "no"), false},
		{"platform down", apierr.New(http.StatusBadGateway, "platform.instagram.unavailable", "down"), true},
		{"plain error", errors.New("connection reset"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
				e := setup(t, db)
				e.resolveErr = tc.err
				a := e.org(t, platform.Instagram, "ig-1")
				err := e.ingest.Ingest(context.Background(), []platform.InboundEvent{message(platform.Instagram, "ig-1", "cust", "mid.1", e.now)})
				if (err != nil) != tc.wantErr {
					t.Fatalf("Ingest = %v, want error %v", err, tc.wantErr)
				}
				if got := e.eventTypes(t, a.OrgID); len(got) != 0 {
					t.Fatalf("events %v recorded for an event whose thread is unknown", got)
				}
			})
		})
	}
}

// Echoes of our own sends and status updates become message.sent and
// message.delivered; a WhatsApp message is journalled, since WhatsApp has
// no history API to read it back from.
func TestIngestEchoStatusAndJournal(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		e := setup(t, db)
		wa := e.org(t, platform.WhatsApp, "phone-1")
		in := message(platform.WhatsApp, "phone-1", "15550001", "wamid.in", e.now.Add(-time.Minute))
		in.ThreadID = "15550001"
		echo := platform.InboundEvent{Kind: platform.EventEcho, Platform: platform.WhatsApp, AccountNativeID: "phone-1", ThreadID: "15550001",
			MessageID: "wamid.out", Message: platform.Message{PlatformID: "wamid.out", Text: "hi back", CreatedAt: e.now}}
		status := platform.InboundEvent{Kind: platform.EventDelivered, Platform: platform.WhatsApp, AccountNativeID: "phone-1", ThreadID: "15550001",
			MessageID: "wamid.out", At: e.now.Add(time.Second)}
		if err := e.ingest.Ingest(ctx, []platform.InboundEvent{in, echo, status}); err != nil {
			t.Fatal(err)
		}
		want := []string{events.EventMessageDelivered, events.EventMessageReceived, events.EventMessageSent}
		if got := e.eventTypes(t, wa.OrgID); len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
			t.Fatalf("events %v, want %v", got, want)
		}
		page, err := e.journal.ListMessages(ctx, wa.ID, "15550001", "", 10)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]platform.Message{}
		for _, m := range page.Items {
			got[m.PlatformID] = m
		}
		if m := got["wamid.in"]; m.Text != "hello" || m.Direction != "incoming" {
			t.Errorf("journalled inbound message %+v, want hello, incoming", m)
		}
		if m := got["wamid.out"]; m.Status != platform.EventDelivered {
			t.Errorf("journalled status of our message %+v, want delivered", m)
		}
	})
}
