package sqlstore_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/sqlstore"
	"github.com/parleyhq/parley/internal/store/storetest"
)

func seedMedia(t *testing.T, db *sqlstore.DB, orgID string, created time.Time, ttl time.Duration) store.Media {
	t.Helper()
	m := store.Media{ID: store.NewID("med"), OrgID: orgID, Type: "image", ContentType: "image/png", Filename: "a.png",
		Size: 3, Content: []byte("sealed-bytes"), CreatedAt: created, ExpiresAt: created.Add(ttl)}
	if err := db.CreateMedia(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	return m
}

// Media are found in their organisation only, until they expire; marking
// them used and pruning deletes what has expired or was used long enough
// ago, and nothing else.
func TestMediaLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		a, b := seedTenant(t, db, "A", "1"), seedTenant(t, db, "B", "2")
		m := seedMedia(t, db, a.org.ID, t0, time.Hour)
		got, err := db.GetMedia(ctx, a.org.ID, m.ID, t0.Add(time.Minute))
		if err != nil || !bytes.Equal(got.Content, m.Content) || got.Size != 3 || got.Filename != "a.png" || got.UsedAt != nil ||
			!got.ExpiresAt.Equal(m.ExpiresAt.Truncate(time.Microsecond)) {
			t.Fatalf("get: %+v, %v", got, err)
		}
		// Another organisation's id, and an expired one, are not found.
		_, err = db.GetMedia(ctx, b.org.ID, m.ID, t0)
		wantNotFound(t, err)
		_, err = db.GetMedia(ctx, a.org.ID, m.ID, t0.Add(time.Hour))
		wantNotFound(t, err)
		_, err = db.MediaByID(ctx, m.ID, t0.Add(time.Hour))
		wantNotFound(t, err)
		if got, err := db.MediaByID(ctx, m.ID, t0); err != nil || got.OrgID != a.org.ID {
			t.Fatalf("by id: %+v, %v", got, err)
		}
		wantNotFound(t, db.DeleteMedia(ctx, b.org.ID, m.ID))
		// Using it through another organisation changes nothing.
		if err := db.UseMedia(ctx, b.org.ID, []string{m.ID}, t0); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.GetMedia(ctx, a.org.ID, m.ID, t0); got.UsedAt != nil {
			t.Fatalf("used through another organisation: %+v", got.UsedAt)
		}
		used := t0.Add(2 * time.Minute)
		if err := db.UseMedia(ctx, a.org.ID, []string{m.ID}, used); err != nil {
			t.Fatal(err)
		}
		if err := db.UseMedia(ctx, a.org.ID, []string{m.ID}, used.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.GetMedia(ctx, a.org.ID, m.ID, t0); got.UsedAt == nil || !got.UsedAt.Equal(used.Truncate(time.Microsecond)) {
			t.Fatalf("used_at = %v, want the first use %v", got.UsedAt, used)
		}
		fresh := seedMedia(t, db, a.org.ID, t0, 48*time.Hour)
		expired := seedMedia(t, db, b.org.ID, t0.Add(-2*time.Hour), time.Hour)
		// Pruning at t0+3m with a grace of 5 minutes keeps the used one.
		now := t0.Add(3 * time.Minute)
		if n, err := db.PruneMedia(ctx, now, now.Add(-5*time.Minute)); err != nil || n != 1 {
			t.Fatalf("prune: %d, %v; want only the expired one", n, err)
		}
		_, err = db.MediaByID(ctx, expired.ID, t0.Add(-90*time.Minute))
		wantNotFound(t, err)
		if n, err := db.PruneMedia(ctx, now.Add(10*time.Minute), now.Add(5*time.Minute)); err != nil || n != 1 {
			t.Fatalf("prune used: %d, %v; want the used one", n, err)
		}
		if _, err := db.GetMedia(ctx, a.org.ID, fresh.ID, now); err != nil {
			t.Fatalf("an unused, unexpired media was pruned: %v", err)
		}
		if err := db.DeleteMedia(ctx, a.org.ID, fresh.ID); err != nil {
			t.Fatal(err)
		}
		wantNotFound(t, db.DeleteMedia(ctx, a.org.ID, fresh.ID))
	})
}
