package inbox

import (
	"context"
	"testing"
	"time"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/sqlstore"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// A key left pending by a crashed process is never sent again: after the
// abandon delay it answers that the outcome is unknown.
func TestAbandonedIdempotencyKey(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		now := time.Now()
		s := New(domain.Deps{Store: db, Now: func() time.Time { return now }}, Config{})
		org := store.Organization{ID: store.NewID("org"), Name: "o", CreatedAt: now}
		if err := db.CreateOrganization(ctx, org); err != nil {
			t.Fatal(err)
		}
		in := apitype.SendInput{Text: "hi", IdempotencyKey: "k"}
		hash := requestHash("sapi_dm_x", in)
		rec, claimed, err := db.ClaimIdempotencyKey(ctx, store.IdempotencyRecord{OrgID: org.ID, Key: "k", RequestHash: hash,
			CreatedAt: now.Add(-3 * time.Minute)}, IdempotencyTTL)
		if err != nil || !claimed {
			t.Fatalf("claim: %v %v", claimed, err)
		}
		_, err = s.replay(ctx, domain.Caller{OrgID: org.ID}, "k", hash, rec)
		if !apierr.HasCode(err, "resource.idempotency_outcome_unknown") {
			t.Fatalf("replay of an abandoned key: %v", err)
		}
	})
}
