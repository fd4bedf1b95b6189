package service

import (
	"context"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/sqlstore"
	"github.com/parleyhq/parley/internal/store/storetest"
)

func TestPruneRetention(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		now := time.Now()
		s := New(Config{Store: db, Now: func() time.Time { return now }})
		org := store.Organization{ID: store.NewID("org"), Name: "o", CreatedAt: now}
		if err := db.CreateOrganization(ctx, org); err != nil {
			t.Fatal(err)
		}
		for _, e := range []store.Event{
			{ID: store.NewID("evt"), OrgID: org.ID, Type: "message.sent", DedupeKey: "old", Payload: []byte(`{}`), CreatedAt: now.Add(-EventRetention - time.Hour)},
			{ID: store.NewID("evt"), OrgID: org.ID, Type: "message.sent", DedupeKey: "new", Payload: []byte(`{}`), CreatedAt: now.Add(-time.Hour)},
		} {
			if _, err := db.InsertEvent(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		for _, k := range []store.IdempotencyRecord{
			{OrgID: org.ID, Key: "old", RequestHash: []byte("h"), CreatedAt: now.Add(-25 * time.Hour)},
			{OrgID: org.ID, Key: "new", RequestHash: []byte("h"), CreatedAt: now.Add(-time.Hour)},
		} {
			if _, _, err := db.ClaimIdempotencyKey(ctx, k, IdempotencyTTL*10); err != nil {
				t.Fatal(err)
			}
		}
		client := store.OAuthClient{ID: "mcpc_prune", RedirectURIs: []string{"https://a.test/cb"}, CreatedAt: now}
		if err := db.CreateOAuthClient(ctx, client); err != nil {
			t.Fatal(err)
		}
		for i, exp := range []time.Time{now.Add(-time.Second), now.Add(time.Hour)} {
			if err := db.CreateOAuthToken(ctx, store.OAuthToken{Hash: []byte{byte(i)}, Kind: store.OAuthRefresh, Family: "f", ClientID: client.ID,
				OrgID: org.ID, UserID: "u", Scope: "dm:read", Resource: "https://p.test/mcp", ExpiresAt: exp, CreatedAt: now}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Prune(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := db.GetOAuthToken(ctx, []byte{0}); err != store.ErrNotFound {
			t.Errorf("expired MCP token kept: %v", err)
		}
		if _, err := db.GetOAuthToken(ctx, []byte{1}); err != nil {
			t.Errorf("live MCP token pruned: %v", err)
		}
		evs, _ := db.ListEvents(ctx, org.ID, store.Page{})
		if len(evs) != 1 || evs[0].DedupeKey != "new" {
			t.Fatalf("events after prune: %+v", evs)
		}
		if _, err := db.GetIdempotencyKey(ctx, org.ID, "old"); err != store.ErrNotFound {
			t.Fatalf("old idempotency key kept: %v", err)
		}
		if _, err := db.GetIdempotencyKey(ctx, org.ID, "new"); err != nil {
			t.Fatalf("recent idempotency key pruned: %v", err)
		}
	})
}
