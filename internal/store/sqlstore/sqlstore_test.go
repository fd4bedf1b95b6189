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

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 123456789, time.UTC)

type fixture struct {
	org   store.Organization
	brand store.Brand
	acct  store.Account
}

func seed(t *testing.T, db *sqlstore.DB, name string) fixture {
	t.Helper()
	ctx := context.Background()
	f := fixture{org: store.Organization{ID: store.NewID("org"), Name: name, CreatedAt: t0}}
	f.brand = store.Brand{ID: store.NewID("brand"), OrgID: f.org.ID, Name: name + " brand", CreatedAt: t0, UpdatedAt: t0}
	f.acct = store.Account{ID: store.NewID("acct"), OrgID: f.org.ID, BrandID: f.brand.ID, Platform: "instagram",
		NativeID: "17841400000000001", DisplayName: name + " IG", Status: store.AccountActive, Credentials: []byte{1, 2, 3},
		CreatedAt: t0, UpdatedAt: t0}
	for _, err := range []error{
		db.CreateOrganization(ctx, f.org),
		db.CreateBrand(ctx, f.brand),
		db.CreateAccount(ctx, f.acct),
	} {
		if err != nil {
			t.Fatalf("seed %s: %v", name, err)
		}
	}
	return f
}

func TestRoundTripAndTenancy(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		a, b := seed(t, db, "A"), seed(t, db, "B")

		got, err := db.GetAccount(ctx, a.org.ID, a.acct.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := a.acct
		want.CreatedAt, want.UpdatedAt = t0.Truncate(time.Microsecond), t0.Truncate(time.Microsecond)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("account round trip:\n got %+v\nwant %+v", got, want)
		}

		// B can see none of A's records, and cannot change or delete them.
		if _, err := db.GetAccount(ctx, b.org.ID, a.acct.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetAccount across orgs: %v", err)
		}
		if _, err := db.GetBrand(ctx, b.org.ID, a.brand.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetBrand across orgs: %v", err)
		}
		if err := db.SetAccountStatus(ctx, b.org.ID, a.acct.ID, store.AccountDisabled); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SetAccountStatus across orgs: %v", err)
		}
		if err := db.DeleteAccount(ctx, b.org.ID, a.acct.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteAccount across orgs: %v", err)
		}
		if err := db.UpdateBrand(ctx, store.Brand{ID: a.brand.ID, OrgID: b.org.ID, Name: "x", UpdatedAt: t0}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UpdateBrand across orgs: %v", err)
		}
		// An account cannot be attached to another organisation's brand.
		stolen := b.acct
		stolen.ID, stolen.NativeID, stolen.BrandID = store.NewID("acct"), "other", a.brand.ID
		if err := db.CreateAccount(ctx, stolen); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("CreateAccount on another org's brand: %v", err)
		}
		list, err := db.ListAccounts(ctx, b.org.ID, store.AccountFilter{})
		if err != nil || len(list) != 1 || list[0].ID != b.acct.ID {
			t.Errorf("ListAccounts(B) = %v, %v", list, err)
		}
		if got, _ := db.GetAccount(ctx, a.org.ID, a.acct.ID); got.Status != store.AccountActive {
			t.Errorf("A's account changed by B: %+v", got)
		}
	})
}

func TestConflictsAndBrandDeletion(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		a := seed(t, db, "A")
		dup := a.acct
		dup.ID = store.NewID("acct")
		if err := db.CreateAccount(ctx, dup); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("duplicate platform account: %v, want ErrConflict", err)
		}
		if err := db.DeleteBrand(ctx, a.org.ID, a.brand.ID); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("delete brand with accounts: %v, want ErrConflict", err)
		}
		if err := db.DeleteAccount(ctx, a.org.ID, a.acct.ID); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteBrand(ctx, a.org.ID, a.brand.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.GetBrand(ctx, a.org.ID, a.brand.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("deleted brand still there: %v", err)
		}
	})
}

func TestKeysetPagination(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		a := seed(t, db, "A")
		seed(t, db, "B") // another tenant's brand must never appear
		for i := 0; i < 6; i++ {
			if err := db.CreateBrand(ctx, store.Brand{ID: store.NewID("brand"), OrgID: a.org.ID, Name: fmt.Sprint(i), CreatedAt: t0, UpdatedAt: t0}); err != nil {
				t.Fatal(err)
			}
		}
		var seen []string
		after := ""
		for pages := 0; pages < 10; pages++ {
			got, err := db.ListBrands(ctx, a.org.ID, store.Page{After: after, Limit: 3})
			if err != nil {
				t.Fatal(err)
			}
			more := len(got) > 3
			if more {
				got = got[:3]
			}
			for _, b := range got {
				if b.OrgID != a.org.ID {
					t.Fatalf("foreign brand listed: %+v", b)
				}
				seen = append(seen, b.ID)
			}
			if !more {
				break
			}
			after = got[len(got)-1].ID
		}
		if len(seen) != 7 {
			t.Fatalf("paged %d brands, want 7: %v", len(seen), seen)
		}
		for i := 1; i < len(seen); i++ {
			if seen[i] <= seen[i-1] {
				t.Fatalf("not in id order: %v", seen)
			}
		}
	})
}

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		a, b := seed(t, db, "A"), seed(t, db, "B")
		k := store.APIKey{ID: store.NewID("key"), OrgID: a.org.ID, Name: "ci", Hash: []byte("0123456789abcdef0123456789abcdef"), Hint: "abcd", CreatedAt: t0}
		if err := db.CreateAPIKey(ctx, k); err != nil {
			t.Fatal(err)
		}
		got, err := db.APIKeyByHash(ctx, k.Hash)
		if err != nil || got.ID != k.ID || got.OrgID != a.org.ID || got.LastUsedAt != nil || got.RevokedAt != nil {
			t.Fatalf("APIKeyByHash = %+v, %v", got, err)
		}
		if err := db.TouchAPIKey(ctx, k.ID, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := db.RevokeAPIKey(ctx, b.org.ID, k.ID, t0); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("revoke across orgs: %v", err)
		}
		if err := db.RevokeAPIKey(ctx, a.org.ID, k.ID, t0.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		got, _ = db.APIKeyByHash(ctx, k.Hash)
		if got.LastUsedAt == nil || !got.LastUsedAt.Equal(t0.Add(time.Hour).Truncate(time.Microsecond)) {
			t.Errorf("last_used_at = %v", got.LastUsedAt)
		}
		if got.RevokedAt == nil || !got.RevokedAt.Equal(t0.Add(2*time.Hour).Truncate(time.Microsecond)) {
			t.Errorf("revoked_at = %v", got.RevokedAt)
		}
		if keys, _ := db.ListAPIKeys(ctx, b.org.ID, store.Page{}); len(keys) != 0 {
			t.Errorf("B lists A's keys: %v", keys)
		}
	})
}

func TestRotateSealed(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		a, b := seed(t, db, "A"), seed(t, db, "B")
		n, err := db.RotateSealed(ctx, func(id string, sealed []byte) ([]byte, error) {
			if id == b.acct.ID {
				return nil, nil // already current
			}
			return append([]byte("new:"), sealed...), nil
		})
		if err != nil || n != 1 {
			t.Fatalf("rotated %d, %v", n, err)
		}
		got, _ := db.GetAccount(ctx, a.org.ID, a.acct.ID)
		if string(got.Credentials) != "new:\x01\x02\x03" {
			t.Fatalf("credentials = %q", got.Credentials)
		}
	})
}

// TestAccountsByNativeOnlyVerifiedActive: inbound routing finds, across
// organisations, only the accounts whose token was verified and whose status
// is active; an unverified row (connected before verification, or by
// someone who never proved the token) and a verified row that lost its
// token or was disabled are skipped, and reconnecting brings one back.
func TestAccountsByNativeOnlyVerifiedActive(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		native := "17841400000000001"
		unverified := seed(t, db, "Unverified")
		verified := t0.Add(time.Minute)
		mk := func(name, status string) fixture {
			f := seed(t, db, name)
			f.acct.Status, f.acct.VerifiedAt, f.acct.UpdatedAt = status, &verified, verified
			if err := db.UpdateAccount(ctx, f.acct); err != nil {
				t.Fatal(err)
			}
			return f
		}
		active, reauth, disabled := mk("Active", store.AccountActive), mk("Reauth", store.AccountReauthRequired), mk("Disabled", store.AccountDisabled)
		ids := func() []string {
			t.Helper()
			rows, err := db.AccountsByNative(ctx, "instagram", native)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, r := range rows {
				out = append(out, r.OrgID)
			}
			return out
		}
		if got := ids(); fmt.Sprint(got) != fmt.Sprint([]string{active.org.ID}) {
			t.Fatalf("routed to %v, want only %s (unverified %s, reauth %s, disabled %s)", got, active.org.ID,
				unverified.org.ID, reauth.org.ID, disabled.org.ID)
		}
		got, err := db.GetAccount(ctx, active.org.ID, active.acct.ID)
		if err != nil || got.VerifiedAt == nil || !got.VerifiedAt.Equal(verified.Truncate(time.Microsecond)) {
			t.Fatalf("verified_at round trip: %v, %v", got.VerifiedAt, err)
		}
		// The token is rejected later: the account stops receiving.
		if err := db.SetAccountStatus(ctx, active.org.ID, active.acct.ID, store.AccountReauthRequired); err != nil {
			t.Fatal(err)
		}
		if got := ids(); len(got) != 0 {
			t.Fatalf("routed to %v after reauth_required", got)
		}
		// Reconnected with a verified token: it receives again, alongside
		// the formerly unverified row now verified too.
		got.Status = store.AccountActive
		if err := db.UpdateAccount(ctx, got); err != nil {
			t.Fatal(err)
		}
		u := unverified.acct
		u.VerifiedAt = &verified
		if err := db.UpdateAccount(ctx, u); err != nil {
			t.Fatal(err)
		}
		want := []string{unverified.acct.ID, active.acct.ID}
		rows, err := db.AccountsByNative(ctx, "instagram", native)
		if err != nil {
			t.Fatal(err)
		}
		var gotIDs []string
		for _, r := range rows {
			gotIDs = append(gotIDs, r.ID)
		}
		if fmt.Sprint(gotIDs) != fmt.Sprint(want) {
			t.Fatalf("routed to %v, want %v (in id order)", gotIDs, want)
		}
	})
}

// TestReceiptWatermarks: delivery and read receipts move a conversation's
// watermarks forward only, a read also counts as delivered, and a receipt
// for a thread not seen yet starts its record.
func TestReceiptWatermarks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		a := seed(t, db, "A")
		t0 := t0.Truncate(time.Microsecond) // what both dialects store
		steps := []struct {
			read         bool
			at           time.Time
			wantDelivery time.Time
			wantRead     time.Time
		}{
			{false, t0.Add(time.Minute), t0.Add(time.Minute), time.Time{}},
			{false, t0, t0.Add(time.Minute), time.Time{}}, // an older receipt, retried: no move back
			{true, t0.Add(3 * time.Minute), t0.Add(3 * time.Minute), t0.Add(3 * time.Minute)},
			{false, t0.Add(2 * time.Minute), t0.Add(3 * time.Minute), t0.Add(3 * time.Minute)},
			{true, t0.Add(time.Minute), t0.Add(3 * time.Minute), t0.Add(3 * time.Minute)},
		}
		for i, s := range steps {
			if err := db.NoteReceipt(ctx, a.org.ID, a.acct.ID, "psid-1", s.read, s.at); err != nil {
				t.Fatal(err)
			}
			m, err := db.ConversationMeta(ctx, a.org.ID, a.acct.ID, "psid-1")
			if err != nil || !m.DeliveredAt.Equal(s.wantDelivery) || !m.ReadAt.Equal(s.wantRead) {
				t.Fatalf("step %d: delivered %v read %v (%v); want %v, %v", i, m.DeliveredAt, m.ReadAt, err, s.wantDelivery, s.wantRead)
			}
		}
	})
}

// TestDuePolls: an active, verified account is due until polled, then not
// before its next time; disconnected and unverified accounts never are,
// and the state follows the account.
func TestDuePolls(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		a := seed(t, db, "A")
		t0 := t0.Truncate(time.Microsecond)
		x := store.Account{ID: store.NewID("acct"), OrgID: a.org.ID, BrandID: a.brand.ID, Platform: "x", NativeID: "1500000000000000001",
			Status: store.AccountActive, Credentials: []byte("sealed"), CreatedAt: t0, UpdatedAt: t0, VerifiedAt: &t0}
		unverified := x
		unverified.ID, unverified.NativeID, unverified.VerifiedAt = store.NewID("acct"), "1500000000000000002", nil
		for _, acc := range []store.Account{x, unverified} {
			if err := db.CreateAccount(ctx, acc); err != nil {
				t.Fatal(err)
			}
		}
		due := func(at time.Time) []store.PollState {
			t.Helper()
			ps, err := db.DuePolls(ctx, "x", at, 10)
			if err != nil {
				t.Fatal(err)
			}
			return ps
		}
		if ps := due(t0); len(ps) != 1 || ps[0].AccountID != x.ID || ps[0].Account.NativeID != x.NativeID || ps[0].NewestID != "" || !ps[0].NextPollAt.IsZero() {
			t.Fatalf("first: %+v", ps)
		}
		if err := db.SavePoll(ctx, store.PollState{AccountID: x.ID, NewestID: "1900000000000000009", IdlePolls: 2, NextPollAt: t0.Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		if ps := due(t0.Add(59 * time.Second)); len(ps) != 0 {
			t.Fatalf("due before its time: %+v", ps)
		}
		if ps := due(t0.Add(time.Minute)); len(ps) != 1 || ps[0].NewestID != "1900000000000000009" || ps[0].IdlePolls != 2 || !ps[0].NextPollAt.Equal(t0.Add(time.Minute)) {
			t.Fatalf("at its time: %+v", ps)
		}
		if err := db.SetAccountStatus(ctx, a.org.ID, x.ID, store.AccountDisabled); err != nil {
			t.Fatal(err)
		}
		if ps := due(t0.Add(time.Hour)); len(ps) != 0 {
			t.Fatalf("disconnected account due: %+v", ps)
		}
	})
}
