package service

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/secrets"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/sqlstore"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// noVerify is an adapter that cannot confirm tokens: only the
// platform.Adapter methods are promoted.
type noVerify struct{ platform.Adapter }

// slowVerify answers only when the caller's deadline has passed.
type slowVerify struct{ pagedPlatform }

func (slowVerify) Verify(ctx context.Context, _ platform.Account) (platform.Identity, error) {
	<-ctx.Done()
	return platform.Identity{}, ctx.Err()
}

// liar claims every token grants some other account.
type liar struct{ pagedPlatform }

func (liar) Verify(context.Context, platform.Account) (platform.Identity, error) {
	return platform.Identity{NativeID: "someone-else"}, nil
}

// TestVerificationIsRequired: with no adapter for the platform, an adapter
// that cannot verify, a platform that does not answer in time, or one that
// names another account, no account is created and a PATCH changes nothing.
func TestVerificationIsRequired(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		now := time.Now().Truncate(time.Second)
		ring, _ := secrets.GenerateKey(now)
		keys, _ := secrets.ParseKeyRing(ring)
		grants := pagedPlatform{convs: map[string][]platform.Conversation{"a": nil}}
		org := store.Organization{ID: store.NewID("org"), Name: "o", CreatedAt: now}
		brand := store.Brand{ID: store.NewID("brand"), OrgID: org.ID, Name: "b", CreatedAt: now, UpdatedAt: now}
		if err := errors.Join(db.CreateOrganization(ctx, org), db.CreateBrand(ctx, brand)); err != nil {
			t.Fatal(err)
		}
		c := Caller{OrgID: org.ID}
		in := AccountInput{BrandID: brand.ID, Platform: "x", NativeID: "a", AccessToken: "t"}
		for _, tc := range []struct {
			name     string
			adapters platform.Registry
			status   int
			code     string
		}{
			{"no adapter", nil, 503, "account.platform_unavailable"},
			{"adapter without Verify", platform.Registry{platform.X: noVerify{grants}}, 503, "account.platform_unavailable"},
			{"platform too slow", platform.Registry{platform.X: slowVerify{grants}}, 504, "platform.x.timeout"},
			{"platform names another account", platform.Registry{platform.X: liar{grants}}, 422, "account.not_granted"},
		} {
			svc := New(Config{Store: db, Keys: keys, Adapters: tc.adapters, AccountTimeout: 50 * time.Millisecond})
			_, err := svc.CreateAccount(ctx, c, in)
			if e, ok := apierr.As(err); !ok || e.Status != tc.status || e.Code != tc.code {
				t.Fatalf("%s: CreateAccount = %v", tc.name, err)
			}
			if rows, err := db.ListAccounts(ctx, org.ID, store.AccountFilter{Page: store.Page{Limit: 10}}); err != nil || len(rows) != 0 {
				t.Fatalf("%s: stored %v, %v", tc.name, rows, err)
			}
		}

		// Connected where the platform confirms it; then a PATCH whose token
		// cannot be verified leaves it as it was.
		ok := New(Config{Store: db, Keys: keys, Adapters: platform.Registry{platform.X: grants}})
		a, err := ok.CreateAccount(ctx, c, in)
		if err != nil || a.VerifiedAt == nil || a.DisplayName != "a" {
			t.Fatalf("CreateAccount = %+v, %v", a, err)
		}
		before, _ := db.GetAccount(ctx, org.ID, a.ID)
		token := "t2"
		for _, svc := range []*Service{New(Config{Store: db, Keys: keys}), ok} {
			if _, err := svc.UpdateAccount(ctx, c, a.ID, AccountUpdate{AccessToken: &token}); err == nil {
				t.Fatal("unverified token accepted by PATCH")
			}
			after, _ := db.GetAccount(ctx, org.ID, a.ID)
			if string(after.Credentials) != string(before.Credentials) || !after.UpdatedAt.Equal(before.UpdatedAt) || !after.VerifiedAt.Equal(*before.VerifiedAt) {
				t.Fatalf("refused PATCH changed the account: %+v → %+v", before, after)
			}
		}
	})
}
