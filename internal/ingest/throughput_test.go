package ingest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/events"
	"github.com/parleyhq/parley/internal/plans"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/sqlstore"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/testsupport"
)

// countingStore counts the account lookups by native id that reach the
// database.
type countingStore struct {
	*sqlstore.DB
	lookups       atomic.Int64
	threadLookups atomic.Int64
}

func (c *countingStore) ThreadByParticipant(ctx context.Context, accountID, participantID string) (string, error) {
	c.threadLookups.Add(1)
	return c.DB.ThreadByParticipant(ctx, accountID, participantID)
}

func (c *countingStore) AccountsByNative(ctx context.Context, p, native string) ([]store.Account, error) {
	c.lookups.Add(1)
	return c.DB.AccountsByNative(ctx, p, native)
}

// received reports whether an organisation recorded message.received for
// a message id.
func (e *env) received(t *testing.T, orgID, messageID string) bool {
	t.Helper()
	evs, err := e.db.ListEvents(context.Background(), orgID, store.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if ev.Type == events.EventMessageReceived && strings.HasSuffix(ev.DedupeKey, ":"+messageID) {
			return true
		}
	}
	return false
}

// The plan's inbound count is exact when many webhooks arrive at once on
// two replicas whose batches commit concurrently: each distinct message
// counts once for every organisation that connected its account, platform
// retries (the same message again, here or on the other replica) count
// nothing, and a batch's count is one upsert per organisation.
func TestIngestCountsInboundExactlyUnderConcurrency(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		e := setup(t, db)
		a, b, c := e.org(t, platform.Instagram, "ig-1"), e.org(t, platform.Instagram, "ig-2"), e.org(t, platform.Instagram, "ig-1")
		replicas := []*Ingest{e.replica(db, 4, QueueConfig{}), e.replica(db, 4, QueueConfig{})}
		const n, senders = 300, 32
		var next atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, senders)
		for s := range senders {
			wg.Go(func() {
				for {
					i := next.Add(1) - 1
					if i >= n {
						return
					}
					native := "ig-1"
					if i%3 == 0 {
						native = "ig-2"
					}
					ev := message(platform.Instagram, native, fmt.Sprintf("cust-%d", i%7), fmt.Sprintf("mid.%d", i), e.now)
					// Every fifth message is retried by the platform, on the
					// other replica.
					for r := range 1 + btoi(i%5 == 0) {
						// A request's context ends when it is answered, as
						// an HTTP request's does, while the batches queued
						// behind it may still be committing.
						ctx, cancel := context.WithCancel(context.Background())
						err := replicas[(s+r)%2].Ingest(ctx, []platform.InboundEvent{ev})
						cancel()
						if err != nil {
							errs <- err
							return
						}
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		month := plans.Month(e.now)
		for _, tc := range []struct {
			org  string
			want int
		}{{a.OrgID, n - n/3}, {b.OrgID, n / 3}, {c.OrgID, n - n/3}} {
			u, err := db.PlanUsage(context.Background(), tc.org, month)
			if err != nil {
				t.Fatal(err)
			}
			if u.Inbound != tc.want {
				t.Errorf("organisation %s counted %d inbound messages, want %d", tc.org, u.Inbound, tc.want)
			}
			evs, err := db.ListEvents(context.Background(), tc.org, store.Page{Limit: n})
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != tc.want {
				t.Errorf("organisation %s recorded %d events, want %d", tc.org, len(evs), tc.want)
			}
		}
	})
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// A burst of webhooks for one account reads the account from the database
// once, not once per webhook, and a customer's thread once it is known.
func TestIngestBurstLooksTheAccountUpOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		e := setup(t, db)
		a := e.org(t, platform.Instagram, "ig-1")
		st := &countingStore{DB: db}
		in := e.replica(st, 1, QueueConfig{})
		for i := range 20 {
			if err := in.Ingest(context.Background(), []platform.InboundEvent{message(platform.Instagram, "ig-1", "cust", fmt.Sprintf("mid.%d", i), e.now)}); err != nil {
				t.Fatal(err)
			}
		}
		if got := st.lookups.Load(); got != 1 {
			t.Fatalf("20 webhooks within a second read the account %d times, want once", got)
		}
		if got := e.eventTypes(t, a.OrgID); len(got) != 20 {
			t.Fatalf("%d events recorded, want 20", len(got))
		}
		// The first webhook found no thread (then resolved it), the second
		// found it and kept it.
		if got := st.threadLookups.Load(); got != 2 {
			t.Fatalf("20 webhooks from one customer read their thread %d times, want twice", got)
		}
		// Deleting the account forgets its threads here.
		if err := db.DeleteAccount(context.Background(), a.OrgID, a.ID); err != nil {
			t.Fatal(err)
		}
		in.AccountChanged(a.OrgID, a.ID)
		if _, ok := in.threads.Get([2]string{a.ID, "cust"}, time.Now()); ok {
			t.Fatal("a deleted account's threads are still cached after AccountChanged")
		}
	})
}

// What an account change does to the cached lookups, on the replica that
// made it (told through AccountChanged) and on another one (not told):
// a deleted account stops receiving at once here and within
// domain.HotCacheTTL there; an account connected to a native id nobody
// had is heard at once everywhere (no answer is cached for an unknown
// id); one joining a native id another organisation connected is heard at
// once here.
func TestIngestAccountCacheFollowsChanges(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		e := setup(t, db)
		here, there := e.replica(db, 1, QueueConfig{}), e.replica(db, 1, QueueConfig{})
		seq := 0
		send := func(in *Ingest, native string) string {
			t.Helper()
			seq++
			id := fmt.Sprintf("mid.%d", seq)
			if err := in.Ingest(ctx, []platform.InboundEvent{message(platform.Instagram, native, "cust", id, e.now)}); err != nil {
				t.Fatal(err)
			}
			return id
		}

		// Unknown, then connected without telling anyone: heard at once.
		send(here, "ig-new")
		send(there, "ig-new")
		fresh := e.org(t, platform.Instagram, "ig-new")
		if id := send(there, "ig-new"); !e.received(t, fresh.OrgID, id) {
			t.Fatal("a newly connected account's first webhook was dropped: an unknown native id was cached")
		}

		// A second organisation joins a cached native id on this replica.
		a := e.org(t, platform.Instagram, "ig-1")
		send(here, "ig-1") // cached with a alone
		b := e.org(t, platform.Instagram, "ig-1")
		here.AccountChanged(b.OrgID, b.ID)
		if id := send(here, "ig-1"); !e.received(t, a.OrgID, id) || !e.received(t, b.OrgID, id) {
			t.Fatal("after AccountChanged, the account joining a cached native id was not told")
		}

		// Deleted: stops at once where it was deleted, within the TTL
		// elsewhere.
		send(there, "ig-1") // cached on the other replica too
		if err := db.DeleteAccount(ctx, a.OrgID, a.ID); err != nil {
			t.Fatal(err)
		}
		deleted := time.Now()
		here.AccountChanged(a.OrgID, a.ID)
		if id := send(here, "ig-1"); e.received(t, a.OrgID, id) || !e.received(t, b.OrgID, id) {
			t.Fatal("the replica that deleted the account still delivered to it, or stopped delivering to the other organisation")
		}
		testsupport.Eventually(t, func() bool { return time.Since(deleted) > domain.HotCacheTTL }, "the cache's TTL passes")
		if id := send(there, "ig-1"); e.received(t, a.OrgID, id) || !e.received(t, b.OrgID, id) {
			t.Fatalf("another replica still delivered to an account deleted more than %s ago", domain.HotCacheTTL)
		}
	})
}
