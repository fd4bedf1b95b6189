package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/sqlstore"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// A connect session's URL and its state each work once, and not after expiry.
func TestConnectSessionSingleUse(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		a := seedTenant(t, db, "A", "106540352242922")
		s := store.ConnectSession{ID: store.NewID("cs"), OrgID: a.org.ID, BrandID: a.brand.ID, Platform: "x",
			RedirectURL: "https://app.example/done", SecretHash: []byte("hash-1"), Status: store.ConnectPending,
			ExpiresAt: t0.Add(15 * time.Minute), CreatedAt: t0, UpdatedAt: t0}
		if err := db.CreateConnectSession(ctx, s); err != nil {
			t.Fatal(err)
		}
		got, err := db.ConnectSessionByHash(ctx, []byte("hash-1"))
		if err != nil || got.ID != s.ID || got.RedirectURL != s.RedirectURL {
			t.Fatalf("by hash: %+v, %v", got, err)
		}
		if err := db.StartConnectSession(ctx, s.ID, []byte("sealed verifier"), []byte("browser"), t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		wantNotFound(t, db.StartConnectSession(ctx, s.ID, []byte("again"), nil, t0.Add(2*time.Minute)))
		if err := db.FinishConnectSession(ctx, s.ID, store.ConnectConnected, a.acct.ID, "", t0.Add(3*time.Minute)); err != nil {
			t.Fatal(err)
		}
		wantNotFound(t, db.FinishConnectSession(ctx, s.ID, store.ConnectConnected, a.acct.ID, "", t0.Add(4*time.Minute)))
		got, _ = db.ConnectSessionByID(ctx, s.ID)
		if got.Status != store.ConnectConnected || got.ResultAccountID != a.acct.ID || got.Verifier != nil {
			t.Fatalf("finished session: %+v", got)
		}

		late := s
		late.ID, late.SecretHash = store.NewID("cs"), []byte("hash-2")
		if err := db.CreateConnectSession(ctx, late); err != nil {
			t.Fatal(err)
		}
		wantNotFound(t, db.StartConnectSession(ctx, late.ID, nil, nil, t0.Add(15*time.Minute)))

		// Reconnecting names an account of the same platform.
		wrong := s
		wrong.ID, wrong.SecretHash, wrong.AccountID = store.NewID("cs"), []byte("hash-3"), a.acct.ID // a WhatsApp account
		wantNotFound(t, db.CreateConnectSession(ctx, wrong))
	})
}

// Two refreshers of one credential version: one lease, one replacement.
func TestRefreshLeaseAndCompareAndSwap(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		a := seedTenant(t, db, "A", "106540352242922")
		exp := t0.Add(time.Hour).Truncate(time.Microsecond) // what the databases keep
		acct := a.acct
		acct.TokenExpiresAt, acct.RefreshCredentials, acct.Scopes, acct.UpdatedAt = &exp, []byte("r1"), "dm.read", t0
		if err := db.UpdateAccount(ctx, acct); err != nil {
			t.Fatal(err)
		}
		cur, _ := db.GetAccount(ctx, a.org.ID, a.acct.ID)
		if cur.CredentialsVersion != 1 || string(cur.RefreshCredentials) != "r1" || cur.TokenExpiresAt == nil || !cur.TokenExpiresAt.Equal(exp) {
			t.Fatalf("after update: %+v", cur)
		}
		due, err := db.ExpiringAccounts(ctx, "whatsapp", t0.Add(2*time.Hour), 10)
		if err != nil || len(due) != 1 {
			t.Fatalf("expiring: %v, %v", due, err)
		}
		if err := db.LeaseRefresh(ctx, a.org.ID, cur.ID, 1, t0, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		wantNotFound(t, db.LeaseRefresh(ctx, a.org.ID, cur.ID, 1, t0.Add(time.Second), t0.Add(time.Minute)))
		next := cur
		next.Credentials, next.RefreshCredentials = []byte("a2"), []byte("r2")
		if err := db.ReplaceRefreshedCredentials(ctx, next); err != nil {
			t.Fatal(err)
		}
		if err := db.ReplaceRefreshedCredentials(ctx, next); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second replace of version 1: %v", err)
		}
		cur, _ = db.GetAccount(ctx, a.org.ID, a.acct.ID)
		if cur.CredentialsVersion != 2 || string(cur.RefreshCredentials) != "r2" {
			t.Fatalf("after refresh: %+v", cur)
		}
		// The lease went with the old version: the next refresh may start.
		if err := db.LeaseRefresh(ctx, a.org.ID, cur.ID, 2, t0.Add(2*time.Second), t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	})
}

// The daily check lists each active account once a day, across
// organisations; the grantor finds a user's accounts in every organisation.
func TestTokenChecksAndGrantors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		a := seedTenant(t, db, "A", "106540352242922")
		b := seedTenant(t, db, "B", "106540352242923")
		// Tokens pasted into POST /v1/accounts (no grantor) are never
		// inspected with Parley's app token: they may be another app's.
		due, err := db.TokensToCheck(ctx, []string{"whatsapp"}, t0, 10)
		if err != nil || len(due) != 0 {
			t.Fatalf("pasted tokens listed for checking: %v, %v", due, err)
		}
		if err := db.SetAccountGrantor(ctx, a.org.ID, a.acct.ID, "100077", t0); err != nil {
			t.Fatal(err)
		}
		if err := db.SetAccountGrantor(ctx, b.org.ID, b.acct.ID, "100077", t0); err != nil {
			t.Fatal(err)
		}
		if due, _ := db.TokensToCheck(ctx, []string{"whatsapp"}, t0, 10); len(due) != 0 {
			t.Fatalf("checked at t0, still due before t0: %v", due)
		}
		if due, _ := db.TokensToCheck(ctx, []string{"whatsapp"}, t0.Add(time.Second), 1); len(due) != 1 {
			t.Fatalf("limit: %v", due)
		}
		if due, _ := db.TokensToCheck(ctx, []string{"messenger"}, t0.Add(time.Hour), 10); len(due) != 0 {
			t.Fatalf("other platform: %v", due)
		}
		if err := db.MarkTokenChecked(ctx, a.org.ID, a.acct.ID, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if due, _ := db.TokensToCheck(ctx, []string{"whatsapp"}, t0.Add(time.Minute), 10); len(due) != 1 || due[0].ID != b.acct.ID {
			t.Fatalf("after marking A: %v", due)
		}
		got, err := db.AccountsByGrantor(ctx, []string{"instagram", "whatsapp"}, "100077")
		if err != nil || len(got) != 2 {
			t.Fatalf("by grantor: %v, %v", got, err)
		}
		if got, _ := db.AccountsByGrantor(ctx, []string{"whatsapp"}, "100078"); len(got) != 0 {
			t.Fatalf("another user: %v", got)
		}
		if err := db.SetAccountStatus(ctx, b.org.ID, b.acct.ID, store.AccountReauthRequired); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.AccountsByGrantor(ctx, []string{"whatsapp"}, "100077"); len(got) != 1 {
			t.Fatalf("inactive accounts listed: %v", got)
		}
	})
}

// A connect session's hold takes a slot of its brand's accounts, counted
// with them under the brand's lock: until it ends or expires, neither
// another hold nor a new account can take that slot.
func TestConnectSlotHolds(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		a := seedTenant(t, db, "A", "106540352242922") // one account on A's brand
		b := seedTenant(t, db, "B", "106540352242923")
		n := 0
		started := func(t *testing.T, f tenant) string {
			t.Helper()
			n++
			s := store.ConnectSession{ID: store.NewID("cs"), OrgID: f.org.ID, BrandID: f.brand.ID, Platform: "x",
				SecretHash: fmt.Appendf(nil, "hold-%d", n), Status: store.ConnectPending, ExpiresAt: t0.Add(15 * time.Minute), CreatedAt: t0, UpdatedAt: t0}
			if err := db.CreateConnectSession(ctx, s); err != nil {
				t.Fatal(err)
			}
			if err := db.StartConnectSession(ctx, s.ID, nil, nil, t0); err != nil {
				t.Fatal(err)
			}
			return s.ID
		}
		newAcct := func(f tenant, at time.Time) store.Account {
			acct := f.acct
			acct.ID, acct.NativeID, acct.CreatedAt = store.NewID("acct"), store.NewID("native"), at
			return acct
		}
		now, until := t0.Add(time.Minute), t0.Add(6*time.Minute)

		first, second := started(t, a), started(t, a)
		if n, err := db.HoldConnectSlot(ctx, first, 2, now, until); err != nil || n != 2 {
			t.Fatalf("hold at 1/2: %d, %v", n, err)
		}
		if got, _ := db.ConnectSessionByID(ctx, first); got.Status != store.ConnectHolding || !got.ExpiresAt.Equal(until.Truncate(time.Microsecond)) {
			t.Fatalf("held session: %+v", got)
		}
		if _, err := db.HoldConnectSlot(ctx, first, 2, now, until); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("holding twice: %v", err)
		}
		if n, err := db.HoldConnectSlot(ctx, second, 2, now, until); !errors.Is(err, store.ErrLimit) || n != 2 {
			t.Fatalf("a second hold at 2/2: %d, %v", n, err)
		}
		if n, err := db.CreateAccountWithin(ctx, newAcct(a, now), 2); !errors.Is(err, store.ErrLimit) || n != 2 {
			t.Fatalf("an account while the slot is held: %d, %v", n, err)
		}
		// Another organisation's brand counts its own.
		if n, err := db.HoldConnectSlot(ctx, started(t, b), 2, now, until); err != nil || n != 2 {
			t.Fatalf("B's hold: %d, %v", n, err)
		}
		// Only a holding session is finished as held, and a started-only
		// finish (a replayed callback failing) cannot end a hold.
		wantNotFound(t, db.FinishConnectSession(ctx, first, store.ConnectFailed, "", "connect.exchange_failed", now))
		wantNotFound(t, db.FinishHeldConnectSession(ctx, second, store.ConnectFailed, "", "x", now))
		if err := db.FinishHeldConnectSession(ctx, first, store.ConnectFailed, "", "connect.platform_error", now); err != nil {
			t.Fatal(err)
		}
		wantNotFound(t, db.FinishHeldConnectSession(ctx, first, store.ConnectFailed, "", "again", now))
		// Given back: the next hold gets it, and expires unused.
		if n, err := db.HoldConnectSlot(ctx, second, 2, now, until); err != nil || n != 2 {
			t.Fatalf("hold after a release: %d, %v", n, err)
		}
		if _, err := db.CreateAccountWithin(ctx, newAcct(a, until.Add(-time.Second)), 2); !errors.Is(err, store.ErrLimit) {
			t.Fatalf("an account just before the hold expires: %v", err)
		}
		if n, err := db.CreateAccountWithin(ctx, newAcct(a, until), 2); err != nil || n != 2 {
			t.Fatalf("an account once the hold expired: %d, %v", n, err)
		}
	})
}
