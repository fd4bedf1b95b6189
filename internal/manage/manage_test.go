package manage

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/secrets"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/sqlstore"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// grants is a platform that confirms the native ids it knows, for the token
// "t". Only Verify is implemented; nothing else is called here.
type grants struct {
	platform.Adapter
	native map[string]bool
}

func (g grants) Verify(_ context.Context, a platform.Account) (platform.Identity, error) {
	if !g.native[a.NativeID] || a.AccessToken != "t" {
		return platform.Identity{}, platform.NotGranted(a, "unknown account", "", nil)
	}
	return platform.Identity{NativeID: a.NativeID}, nil
}

// noVerify is an adapter that cannot confirm tokens: only the
// platform.Adapter methods are promoted.
type noVerify struct{ platform.Adapter }

// slowVerify answers only when the caller's deadline has passed.
type slowVerify struct{ grants }

func (slowVerify) Verify(ctx context.Context, _ platform.Account) (platform.Identity, error) {
	<-ctx.Done()
	return platform.Identity{}, ctx.Err()
}

// liar claims every token grants some other account.
type liar struct{ grants }

func (liar) Verify(context.Context, platform.Account) (platform.Identity, error) {
	return platform.Identity{NativeID: "someone-else"}, nil
}

// clock is a test clock that only moves when told to.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// env is one organisation with a brand, over a fresh database, a key ring
// and a pinned clock; replica builds Manage over them as a replica would.
type env struct {
	db     *sqlstore.DB
	keys   *secrets.KeyRing
	clock  *clock
	caller domain.Caller
	brand  store.Brand
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
	e := &env{db: db, keys: keys, clock: &clock{now: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}}
	ctx := context.Background()
	now := e.clock.Now()
	org := store.Organization{ID: store.NewID("org"), Name: "o", CreatedAt: now}
	e.brand = store.Brand{ID: store.NewID("brand"), OrgID: org.ID, Name: "b", CreatedAt: now, UpdatedAt: now}
	if err := db.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateBrand(ctx, e.brand); err != nil {
		t.Fatal(err)
	}
	e.caller = domain.Caller{OrgID: org.ID}
	return e
}

func (e *env) replica(cfg Config) *Manage {
	return New(domain.Deps{Store: e.db, Keys: e.keys, Now: e.clock.Now}, cfg)
}

// TestVerificationIsRequired: with no adapter for the platform, an adapter
// that cannot verify, a platform that does not answer in time, or one that
// names another account, no account is created and a PATCH changes nothing.
func TestVerificationIsRequired(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		e := setup(t, db)
		g := grants{native: map[string]bool{"a": true}}
		c := e.caller
		in := apitype.AccountInput{BrandID: e.brand.ID, Platform: "x", NativeID: "a", AccessToken: "t"}
		for _, tc := range []struct {
			name     string
			adapters platform.Registry
			status   int
			code     string
		}{
			{"no adapter", nil, 503, "account.platform_unavailable"},
			{"adapter without Verify", platform.Registry{platform.X: noVerify{g}}, 503, "account.platform_unavailable"},
			{"platform too slow", platform.Registry{platform.X: slowVerify{g}}, 504, "platform.x.timeout"},
			{"platform names another account", platform.Registry{platform.X: liar{g}}, 422, "account.not_granted"},
		} {
			m := e.replica(Config{Adapters: tc.adapters, AccountTimeout: 50 * time.Millisecond})
			_, err := m.CreateAccount(ctx, c, in)
			if e, ok := apierr.As(err); !ok || e.Status != tc.status || e.Code != tc.code {
				t.Fatalf("%s: CreateAccount = %v", tc.name, err)
			}
			if rows, err := db.ListAccounts(ctx, c.OrgID, store.AccountFilter{Page: store.Page{Limit: 10}}); err != nil || len(rows) != 0 {
				t.Fatalf("%s: stored %v, %v", tc.name, rows, err)
			}
		}

		// Connected where the platform confirms it; then a PATCH whose token
		// cannot be verified leaves it as it was.
		ok := e.replica(Config{Adapters: platform.Registry{platform.X: g}})
		a, err := ok.CreateAccount(ctx, c, in)
		if err != nil || a.VerifiedAt == nil || a.DisplayName != "a" {
			t.Fatalf("CreateAccount = %+v, %v", a, err)
		}
		before, _ := db.GetAccount(ctx, c.OrgID, a.ID)
		token := "t2"
		for _, m := range []*Manage{e.replica(Config{}), ok} {
			if _, err := m.UpdateAccount(ctx, c, a.ID, apitype.AccountUpdate{AccessToken: &token}); err == nil {
				t.Fatal("unverified token accepted by PATCH")
			}
			after, _ := db.GetAccount(ctx, c.OrgID, a.ID)
			if string(after.Credentials) != string(before.Credentials) || !after.UpdatedAt.Equal(before.UpdatedAt) || !after.VerifiedAt.Equal(*before.VerifiedAt) {
				t.Fatalf("refused PATCH changed the account: %+v → %+v", before, after)
			}
		}
	})
}

// TestRevokedKeyRefused: revoking a key applies at once on the replica
// that revoked it; another replica that had the key cached refuses it as
// soon as its cache entry expires (domain.HotCacheTTL), and one that never
// saw it refuses it at once.
func TestRevokedKeyRefused(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		e := setup(t, db)
		here, there := e.replica(Config{}), e.replica(Config{})
		key, err := here.CreateAPIKey(ctx, e.caller, apitype.CreateAPIKeyInput{Name: "k"})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range []*Manage{here, there} {
			if got, err := m.Authenticate(ctx, "Bearer "+key.Secret); err != nil || got.KeyID != key.ID || got.OrgID != e.caller.OrgID {
				t.Fatalf("Authenticate = %+v, %v", got, err)
			}
		}
		if err := here.RevokeAPIKey(ctx, e.caller, key.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := here.Authenticate(ctx, "Bearer "+key.Secret); !apierr.HasCode(err, "auth.invalid_key") {
			t.Fatalf("revoking replica still accepts the key: %v", err)
		}
		if _, err := e.replica(Config{}).Authenticate(ctx, "Bearer "+key.Secret); !apierr.HasCode(err, "auth.invalid_key") {
			t.Fatalf("a fresh replica accepts a revoked key: %v", err)
		}
		e.clock.Advance(domain.HotCacheTTL)
		if _, err := there.Authenticate(ctx, "Bearer "+key.Secret); !apierr.HasCode(err, "auth.invalid_key") {
			t.Fatalf("another replica accepts the revoked key after its cache expired: %v", err)
		}
	})
}

// TestAccountChangesAreAnnounced: creating, updating or deleting an account
// tells AccountChanged (which drops the inbox's cached handle and templates
// and ingestion's lookups by native id), naming the organisation and the
// account; a refused update tells nothing.
func TestAccountChangesAreAnnounced(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		e := setup(t, db)
		var mu sync.Mutex
		var told []string
		m := e.replica(Config{Adapters: platform.Registry{platform.X: grants{native: map[string]bool{"a": true}}},
			AccountChanged: func(org, acct string) { mu.Lock(); told = append(told, org+"/"+acct); mu.Unlock() }})
		a, err := m.CreateAccount(ctx, e.caller, apitype.AccountInput{BrandID: e.brand.ID, Platform: "x", NativeID: "a", AccessToken: "t"})
		if err != nil {
			t.Fatal(err)
		}
		bad := "nope"
		if _, err := m.UpdateAccount(ctx, e.caller, a.ID, apitype.AccountUpdate{AccessToken: &bad}); err == nil {
			t.Fatal("unverified token accepted")
		}
		name := "renamed"
		if _, err := m.UpdateAccount(ctx, e.caller, a.ID, apitype.AccountUpdate{DisplayName: &name}); err != nil {
			t.Fatal(err)
		}
		if err := m.DeleteAccount(ctx, e.caller, a.ID); err != nil {
			t.Fatal(err)
		}
		want := e.caller.OrgID + "/" + a.ID
		mu.Lock()
		defer mu.Unlock()
		if !slices.Equal(told, []string{want, want, want}) {
			t.Fatalf("AccountChanged was told %q, want %q three times (create, update, delete)", told, want)
		}
	})
}
