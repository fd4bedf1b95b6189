package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/sqlstore"
	"github.com/parleyhq/parley/internal/store/storetest"
)

func seedPerson(t *testing.T, db *sqlstore.DB, orgID, email string) store.Person {
	t.Helper()
	p := store.Person{ID: store.NewID("person"), OrgID: orgID, Email: email, Role: store.RoleAgent, CreatedAt: t0, UpdatedAt: t0}
	if err := db.CreatePerson(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return p
}

// People are found in their organisation only; an email belongs to one
// person across all organisations.
func TestPeopleTenancy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		a, b := seedTenant(t, db, "A", "1"), seedTenant(t, db, "B", "2")
		pa := seedPerson(t, db, a.org.ID, "ana@a.example")
		if err := db.CreatePerson(ctx, store.Person{ID: store.NewID("person"), OrgID: b.org.ID, Email: "ana@a.example",
			Role: store.RoleAdmin, CreatedAt: t0, UpdatedAt: t0}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("same email in another org: %v, want ErrConflict", err)
		}
		if got, err := db.PersonByEmail(ctx, "ana@a.example"); err != nil || got.ID != pa.ID || got.OrgID != a.org.ID {
			t.Fatalf("by email: %+v, %v", got, err)
		}
		_, err := db.GetPerson(ctx, b.org.ID, pa.ID)
		wantNotFound(t, err)
		wantNotFound(t, db.SetPassword(ctx, b.org.ID, pa.ID, "$argon2id$forged", t0))
		if err := db.SetPassword(ctx, a.org.ID, pa.ID, "$argon2id$x", t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.GetPerson(ctx, a.org.ID, pa.ID); got.PasswordHash != "$argon2id$x" {
			t.Fatalf("password not set: %+v", got)
		}
		rows, err := db.ListPeople(ctx, b.org.ID, store.Page{Limit: 10})
		if err != nil || len(rows) != 1 || rows[0].ID != b.person.ID {
			t.Fatalf("org B lists %v, %v; want only its own person", rows, err)
		}
		// A link or session cannot name a person of another organisation.
		wantNotFound(t, db.CreateSignInLink(ctx, store.SignInLink{ID: store.NewID("sil"), OrgID: b.org.ID, PersonID: pa.ID,
			TokenHash: []byte("h"), ExpiresAt: t0.Add(time.Hour), CreatedAt: t0}))
		wantNotFound(t, db.CreateWebSession(ctx, store.WebSession{IDHash: []byte("s"), OrgID: b.org.ID, PersonID: pa.ID,
			CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}))
		if n, err := db.DeleteWebSessions(ctx, b.org.ID, pa.ID); err != nil || n != 0 {
			t.Fatalf("org B signed out A's person: %d, %v", n, err)
		}
	})
}

// A sign-in link works once, even when two requests race, and not after
// it expires.
func TestSignInLinkOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		a := seedTenant(t, db, "A", "1")
		p := seedPerson(t, db, a.org.ID, "ana@a.example")
		l := store.SignInLink{ID: store.NewID("sil"), OrgID: a.org.ID, PersonID: p.ID, TokenHash: []byte("hash-1"),
			ExpiresAt: t0.Add(time.Hour), CreatedAt: t0}
		if err := db.CreateSignInLink(ctx, l); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := 0
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, err := db.UseSignInLink(ctx, []byte("hash-1"), t0.Add(time.Minute))
				if err == nil {
					mu.Lock()
					won++
					mu.Unlock()
					if got.PersonID != p.ID || got.OrgID != a.org.ID || got.UsedAt == nil {
						t.Errorf("used link: %+v", got)
					}
				} else if !errors.Is(err, store.ErrNotFound) {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if won != 1 {
			t.Fatalf("%d requests used one link, want 1", won)
		}
		late := l
		late.ID, late.TokenHash = store.NewID("sil"), []byte("hash-2")
		if err := db.CreateSignInLink(ctx, late); err != nil {
			t.Fatal(err)
		}
		_, err := db.UseSignInLink(ctx, []byte("hash-2"), t0.Add(time.Hour))
		wantNotFound(t, err)
	})
}

// Sessions end at expiry, one at a time, or all of a person's at once.
func TestWebSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		a := seedTenant(t, db, "A", "1")
		p := seedPerson(t, db, a.org.ID, "ana@a.example")
		other := seedPerson(t, db, a.org.ID, "bo@a.example")
		for _, s := range []store.WebSession{
			{IDHash: []byte("s1"), OrgID: a.org.ID, PersonID: p.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)},
			{IDHash: []byte("s2"), OrgID: a.org.ID, PersonID: p.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)},
			{IDHash: []byte("s3"), OrgID: a.org.ID, PersonID: other.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)},
		} {
			if err := db.CreateWebSession(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		got, err := db.WebSessionByHash(ctx, []byte("s1"), t0.Add(time.Minute))
		if err != nil || got.PersonID != p.ID || got.OrgID != a.org.ID {
			t.Fatalf("session: %+v, %v", got, err)
		}
		_, err = db.WebSessionByHash(ctx, []byte("s1"), t0.Add(time.Hour))
		wantNotFound(t, err)
		if err := db.DeleteWebSession(ctx, []byte("s1")); err != nil {
			t.Fatal(err)
		}
		_, err = db.WebSessionByHash(ctx, []byte("s1"), t0)
		wantNotFound(t, err)
		if n, err := db.DeleteWebSessions(ctx, a.org.ID, p.ID); err != nil || n != 1 {
			t.Fatalf("sign out everywhere ended %d, %v; want 1", n, err)
		}
		if _, err := db.WebSessionByHash(ctx, []byte("s3"), t0); err != nil {
			t.Fatalf("another person's session ended too: %v", err)
		}
		if n, err := db.PruneSignIns(ctx, t0.Add(2*time.Hour)); err != nil || n != 1 {
			t.Fatalf("pruned %d, %v; want 1", n, err)
		}
	})
}

// The event hook hears of an event once it is durable: at once outside a
// transaction, only after commit inside one, never for a rollback or a
// duplicate.
func TestEventHookAfterCommit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		a := seedTenant(t, db, "A", "1")
		var heard []string
		keyOf := map[string]string{} // event id → dedupe key
		db.OnEvent(func(n store.EventNotice) { heard = append(heard, keyOf[n.ID]) })
		ev := func(key string) store.Event {
			e := store.Event{ID: store.NewID("evt"), OrgID: a.org.ID, Type: "message.received", DedupeKey: key, Payload: []byte(`{}`), CreatedAt: t0}
			keyOf[e.ID] = key
			return e
		}
		if _, err := db.InsertEvent(ctx, ev("plain")); err != nil {
			t.Fatal(err)
		}
		if _, err := db.InsertEvent(ctx, ev("plain")); err != nil {
			t.Fatal(err)
		}
		err := db.InTx(ctx, func(st store.Store, _ *sql.Tx) error {
			if _, err := st.InsertEvent(ctx, ev("committed")); err != nil {
				return err
			}
			if len(heard) != 1 {
				t.Errorf("heard %v before commit", heard)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		_ = db.InTx(ctx, func(st store.Store, _ *sql.Tx) error {
			_, _ = st.InsertEvent(ctx, ev("rolled back"))
			return errors.New("roll back")
		})
		if want := []string{"plain", "committed"}; !slices.Equal(heard, want) {
			t.Fatalf("heard %v, want %v", heard, want)
		}
	})
}
