package inbox

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/secrets"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/sqlstore"
)

// env is an Inbox over a real store, with one organisation and brand to
// connect accounts to, and a clock the test moves.
type env struct {
	db    *sqlstore.DB
	keys  *secrets.KeyRing
	now   time.Time
	inbox *Inbox
	org   store.Organization
	brand store.Brand
	// published collects the events the inbox asked to publish.
	published chan string
}

// setup builds an env over db whose accounts are served by adapters.
func setup(t *testing.T, db *sqlstore.DB, adapters platform.Registry) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{db: db, keys: testKeys(t), now: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC), published: make(chan string, 64)}
	e.inbox = New(domain.Deps{Store: db, Keys: e.keys, Now: func() time.Time { return e.now }}, Config{Adapters: adapters,
		Publish: func(_ context.Context, _, typ, key string, _ any) error { e.published <- typ + " " + key; return nil }})
	e.org = store.Organization{ID: store.NewID("org"), Name: "o", CreatedAt: e.now}
	e.brand = store.Brand{ID: store.NewID("brand"), OrgID: e.org.ID, Name: "b", CreatedAt: e.now, UpdatedAt: e.now}
	if err := db.CreateOrganization(ctx, e.org); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateBrand(ctx, e.brand); err != nil {
		t.Fatal(err)
	}
	return e
}

// caller is the organisation's identity.
func (e *env) caller() domain.Caller { return domain.Caller{OrgID: e.org.ID} }

// account connects an active, verified account whose token is "t".
func (e *env) account(t *testing.T, p platform.Name, native string) store.Account {
	t.Helper()
	verified := e.now
	a := store.Account{ID: store.NewID("acct"), OrgID: e.org.ID, BrandID: e.brand.ID, Platform: string(p), NativeID: native,
		DisplayName: native, Status: store.AccountActive, VerifiedAt: &verified, CreatedAt: e.now, UpdatedAt: e.now}
	var err error
	if a.Credentials, err = e.keys.Seal([]byte("t"), []byte(a.ID)); err != nil {
		t.Fatal(err)
	}
	if err := e.db.CreateAccount(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	return a
}

// fakePlatform is an adapter whose threads all exist, with a customer
// who wrote a minute ago; it counts sends and can be told to refuse them.
type fakePlatform struct {
	mu      sync.Mutex
	sends   int
	sendErr error
}

func (p *fakePlatform) sent() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sends
}

func (p *fakePlatform) refuse(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sendErr = err
}

func (p *fakePlatform) ListConversations(context.Context, platform.Account, string, int) (platform.Page[platform.Conversation], error) {
	return platform.Page[platform.Conversation]{}, nil
}

func (p *fakePlatform) GetConversation(_ context.Context, _ platform.Account, thread string) (platform.Conversation, error) {
	return platform.Conversation{ThreadID: thread, ParticipantID: "cust-" + thread}, nil
}

func (p *fakePlatform) ListMessages(context.Context, platform.Account, string, string, int) (platform.Page[platform.Message], error) {
	return platform.Page[platform.Message]{}, nil
}

func (p *fakePlatform) Send(context.Context, platform.Account, platform.Conversation, platform.Outbound) (platform.Sent, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sendErr != nil {
		return platform.Sent{}, p.sendErr
	}
	p.sends++
	return platform.Sent{PlatformID: fmt.Sprintf("dm-%d", p.sends)}, nil
}

func (p *fakePlatform) MarkRead(context.Context, platform.Account, platform.Conversation) error {
	return nil
}
