package events

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/sqlstore"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// eventFailingStore fails every event insert made inside a transaction, as a
// crash or a lost connection between the two writes of a disable would.
type eventFailingStore struct{ store.Store }

var errEventInsert = errors.New("event insert failed")

func (s eventFailingStore) InTx(ctx context.Context, fn func(store.Store, *sql.Tx) error) error {
	return s.Store.InTx(ctx, func(st store.Store, tx *sql.Tx) error { return fn(eventFailingStore{st}, tx) })
}

func (s eventFailingStore) InsertEvent(context.Context, store.Event) (bool, error) {
	return false, errEventInsert
}

// TestDisableEndpointIsAtomic: an endpoint is never disabled without its
// endpoint.disabled event. When recording the event fails, the endpoint stays
// enabled (the delivery job retries); when it succeeds, both are there.
func TestDisableEndpointIsAtomic(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
		org := store.Organization{ID: store.NewID("org"), Name: "o", CreatedAt: now}
		if err := db.CreateOrganization(ctx, org); err != nil {
			t.Fatal(err)
		}
		ep := store.Endpoint{ID: store.NewID("whep"), OrgID: org.ID, URL: "https://hooks.example.com/p", Secret: []byte("sealed"), Enabled: true, CreatedAt: now, UpdatedAt: now}
		if err := db.CreateEndpoint(ctx, ep); err != nil {
			t.Fatal(err)
		}

		failing := New(domain.Deps{Store: eventFailingStore{db}, Now: func() time.Time { return now }}, Config{})
		if err := failing.DisableEndpoint(ctx, org.ID, ep.ID, "endpoint answered 410 Gone", now); !errors.Is(err, errEventInsert) {
			t.Fatalf("DisableEndpoint = %v, want the event failure", err)
		}
		if got, _ := db.GetEndpoint(ctx, org.ID, ep.ID); !got.Enabled || got.DisabledReason != "" {
			t.Fatalf("endpoint disabled without its event: %+v", got)
		}

		s := New(domain.Deps{Store: db, Now: func() time.Time { return now }}, Config{})
		if err := s.DisableEndpoint(ctx, org.ID, ep.ID, "endpoint answered 410 Gone", now); err != nil {
			t.Fatal(err)
		}
		got, _ := db.GetEndpoint(ctx, org.ID, ep.ID)
		evs, _ := db.ListEvents(ctx, org.ID, store.Page{Limit: 10})
		if got.Enabled || got.DisabledReason != "endpoint answered 410 Gone" || len(evs) != 1 || evs[0].Type != EventEndpointDisabled {
			t.Fatalf("endpoint %+v, events %+v", got, evs)
		}
		// Another organisation cannot disable it, and a deleted endpoint is
		// not an error for the delivery job.
		if err := s.DisableEndpoint(ctx, "org_other", ep.ID, "x", now); err != nil {
			t.Fatalf("other org: %v", err)
		}
		if evs, _ := db.ListEvents(ctx, "org_other", store.Page{Limit: 10}); len(evs) != 0 {
			t.Fatalf("event recorded for another organisation: %+v", evs)
		}
	})
}
