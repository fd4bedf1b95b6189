package service

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/convid"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/secrets"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/sqlstore"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// recordingPlatform answers every read with the thread asked for and
// records which account (and token) each call was made with.
type recordingPlatform struct {
	mu    sync.Mutex
	calls []platform.Account
}

func (p *recordingPlatform) record(a platform.Account) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, a)
}

func (p *recordingPlatform) seen() []platform.Account {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.calls)
}

func (p *recordingPlatform) ListConversations(_ context.Context, a platform.Account, _ string, _ int) (platform.Page[platform.Conversation], error) {
	p.record(a)
	return platform.Page[platform.Conversation]{}, nil
}
func (p *recordingPlatform) GetConversation(_ context.Context, a platform.Account, thread string) (platform.Conversation, error) {
	p.record(a)
	return platform.Conversation{ThreadID: thread, ParticipantID: "p"}, nil
}
func (p *recordingPlatform) ListMessages(_ context.Context, a platform.Account, _, _ string, _ int) (platform.Page[platform.Message], error) {
	p.record(a)
	return platform.Page[platform.Message]{}, nil
}
func (p *recordingPlatform) Send(_ context.Context, a platform.Account, _ platform.Conversation, _ platform.Outbound) (platform.Sent, error) {
	p.record(a)
	return platform.Sent{PlatformID: "m1"}, nil
}
func (p *recordingPlatform) MarkRead(_ context.Context, a platform.Account, _ platform.Conversation) error {
	p.record(a)
	return nil
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

type tenancyEnv struct {
	db    *sqlstore.DB
	keys  *secrets.KeyRing
	clock *clock
	plat  *recordingPlatform
}

func newTenancyEnv(t *testing.T, db *sqlstore.DB) *tenancyEnv {
	t.Helper()
	ring, err := secrets.GenerateKey(time.Unix(1, 0))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := secrets.ParseKeyRing(ring)
	if err != nil {
		t.Fatal(err)
	}
	return &tenancyEnv{db: db, keys: keys, clock: &clock{now: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}, plat: &recordingPlatform{}}
}

// service is one replica over the shared database and key ring. The
// clock is pinned, so a cache entry lives exactly as long as the test says.
func (e *tenancyEnv) service() *Service {
	return New(Config{Store: e.db, Keys: e.keys, Adapters: platform.Registry{platform.X: e.plat}, Now: e.clock.Now})
}

// org creates an organisation with an API key and one X account whose
// token names the organisation.
func (e *tenancyEnv) org(t *testing.T, svc *Service, name string) (Caller, string, store.Account) {
	t.Helper()
	ctx := context.Background()
	org, key, err := svc.Bootstrap(ctx, name, "k")
	if err != nil {
		t.Fatal(err)
	}
	now := e.clock.Now()
	brand := store.Brand{ID: store.NewID("brand"), OrgID: org.ID, Name: name, CreatedAt: now, UpdatedAt: now}
	if err := e.db.CreateBrand(ctx, brand); err != nil {
		t.Fatal(err)
	}
	acct := store.Account{ID: store.NewID("acct"), OrgID: org.ID, BrandID: brand.ID, Platform: string(platform.X),
		NativeID: "native-" + name, DisplayName: name, Status: store.AccountActive, CreatedAt: now, UpdatedAt: now}
	if acct.Credentials, err = e.keys.Seal([]byte("token-of-"+name), []byte(acct.ID)); err != nil {
		t.Fatal(err)
	}
	if err := e.db.CreateAccount(ctx, acct); err != nil {
		t.Fatal(err)
	}
	return Caller{OrgID: org.ID, KeyID: key.ID}, key.Secret, acct
}

// TestWarmCachesNeverServeAnotherOrganisation: once organisation A has
// used its account (warming the account cache) and its key (warming the
// key cache), organisation B naming A's account id gets a 404 and B's key
// is B's — nothing cached for A answers B.
func TestWarmCachesNeverServeAnotherOrganisation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		e := newTenancyEnv(t, db)
		svc := e.service()
		a, aKey, aAcct := e.org(t, svc, "A")
		b, bKey, _ := e.org(t, svc, "B")
		conv := convid.Encode(aAcct.ID, "thread-1")

		// A warms both caches.
		if got, err := svc.Authenticate(ctx, "Bearer "+aKey); err != nil || got != a {
			t.Fatalf("A authenticates as %+v, %v", got, err)
		}
		if _, err := svc.GetConversation(ctx, a, conv); err != nil {
			t.Fatalf("A reads its conversation: %v", err)
		}
		calls := len(e.plat.seen())

		// B, within the cache lifetime (the clock has not moved).
		if got, err := svc.Authenticate(ctx, "Bearer "+bKey); err != nil || got != b {
			t.Fatalf("B authenticates as %+v, %v", got, err)
		}
		for name, call := range map[string]func() error{
			"GetConversation": func() error { _, err := svc.GetConversation(ctx, b, conv); return err },
			"ListMessages":    func() error { _, err := svc.ListMessages(ctx, b, conv, PageRequest{Limit: 10}); return err },
			"MarkRead":        func() error { return svc.MarkRead(ctx, b, conv) },
			"SendMessage": func() error {
				_, err := svc.SendMessage(ctx, b, conv, SendInput{Text: "from B"})
				return err
			},
		} {
			if err := call(); !apierr.HasCode(err, "resource.not_found") {
				t.Errorf("B's %s on A's conversation: %v, want resource.not_found", name, err)
			}
		}
		if _, err := svc.ListWhatsAppTemplates(ctx, b, aAcct.ID, false); !apierr.HasCode(err, "resource.not_found") {
			t.Errorf("B resolves A's account: %v", err)
		}
		for _, c := range e.plat.seen()[calls:] {
			t.Errorf("the platform was called for B with A's account %s (token %q)", c.ID, c.AccessToken)
		}
	})
}

// TestWebhookURLGuard: endpoint URLs that name a non-public address are
// refused when the endpoint is created or changed (delivery checks the
// resolved address again at connect time), with a structured error, and
// nothing is stored.
func TestWebhookURLGuard(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		e := newTenancyEnv(t, db)
		svc := e.service()
		c, _, _ := e.org(t, svc, "A")
		ok := "https://hooks.example.com/parley"
		good, err := svc.CreateWebhook(ctx, c, WebhookInput{URL: &ok})
		if err != nil {
			t.Fatalf("public https URL refused: %v", err)
		}
		for _, u := range []string{
			"https://127.0.0.1/hook",
			"https://127.1.2.3:8443/hook",
			"https://10.0.0.8/hook",
			"https://172.16.5.4/hook",
			"https://192.168.1.1/hook",
			"https://169.254.169.254/latest/meta-data/",
			"https://100.64.0.1/hook",
			"https://0.0.0.0/hook",
			"https://[::1]/hook",
			"https://[fe80::1]/hook",
			"https://[fc00::1]/hook",
			"https://[::ffff:127.0.0.1]/hook",
			"https://[::ffff:10.0.0.1]/hook",
			"https://localhost/hook",
			"https://LocalHost:8443/hook",
			"https://api.localhost/hook",
		} {
			_, err := svc.CreateWebhook(ctx, c, WebhookInput{URL: &u})
			if ae, ok := apierr.As(err); !ok || ae.Code != "validation.invalid_field" || ae.Meta["reason"] != "address_not_allowed" {
				t.Errorf("CreateWebhook(%s): %v, want validation.invalid_field with reason address_not_allowed", u, err)
			}
			if _, err := svc.UpdateWebhook(ctx, c, good.ID, WebhookInput{URL: &u}); err == nil {
				t.Errorf("UpdateWebhook to %s accepted", u)
			}
		}
		for _, u := range []string{"http://hooks.example.com/parley", "ftp://hooks.example.com/", "https://user:pw@hooks.example.com/", "/relative"} {
			if _, err := svc.CreateWebhook(ctx, c, WebhookInput{URL: &u}); !apierr.HasCode(err, "validation.invalid_field") {
				t.Errorf("CreateWebhook(%s): %v", u, err)
			}
		}
		l, err := svc.ListWebhooks(ctx, c, PageRequest{Limit: 100})
		if err != nil || len(l.Data) != 1 || l.Data[0].URL != ok {
			t.Fatalf("endpoints after refusals: %+v, %v", l.Data, err)
		}
		for _, w := range l.Data {
			if strings.Contains(w.URL, "localhost") {
				t.Fatalf("stored %s", w.URL)
			}
		}
	})
}

// TestDeletedAccountNotServedFromCache: once an account is deleted, this
// replica stops serving it at once, though its handle was cached and the
// clock has not moved (management tells the front, which drops it).
func TestDeletedAccountNotServedFromCache(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		e := newTenancyEnv(t, db)
		svc := e.service()
		a, _, acct := e.org(t, svc, "A")
		conv := convid.Encode(acct.ID, "thread-1")
		if _, err := svc.GetConversation(ctx, a, conv); err != nil {
			t.Fatalf("A reads its conversation: %v", err)
		}
		if err := svc.DeleteAccount(ctx, a, acct.ID); err != nil {
			t.Fatal(err)
		}
		calls := len(e.plat.seen())
		if _, err := svc.GetConversation(ctx, a, conv); !apierr.HasCode(err, "resource.not_found") {
			t.Errorf("deleted account's conversation: %v, want resource.not_found", err)
		}
		if n := len(e.plat.seen()); n != calls {
			t.Errorf("the platform was called %d more times for a deleted account", n-calls)
		}
	})
}
