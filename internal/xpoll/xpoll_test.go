package xpoll

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/emulator/xemu"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/platform/xapi"
	"github.com/parleyhq/parley/internal/secrets"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/sqlstore"
	"github.com/parleyhq/parley/internal/store/storetest"
)

const (
	bizID   = "1500000000000000001"
	aliceID = "1500000000000000002"
	bizTok  = "x-user-token"
)

var t0 = time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

type fixture struct {
	clk      *clock
	emu      *xemu.Emulator
	db       *sqlstore.DB
	acct     store.Account
	job      *Job
	mu       sync.Mutex
	ingested []platform.InboundEvent
	failNext error
}

func newFixture(t *testing.T, db *sqlstore.DB, opts xemu.Options) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{clk: &clock{t: t0}, db: db}
	opts.Now, opts.Rand = f.clk.Now, rand.NewPCG(1, 2)
	if opts.ReadLimit == 0 {
		opts.ReadLimit = 1000
	}
	f.emu = xemu.New(opts)
	f.emu.AddAccount(bizID, "parleyhq", "Parley HQ", bizTok)
	f.emu.AddUser(xemu.User{ID: aliceID, Username: "alice", Name: "Alice Doe"})
	if _, err := f.emu.AddConversation(bizID, aliceID, xemu.SeedMessage{SenderID: aliceID, Text: "old news", At: t0.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(f.emu)
	t.Cleanup(srv.Close)
	key, err := secrets.GenerateKey(t0)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := secrets.ParseKeyRing(key)
	if err != nil {
		t.Fatal(err)
	}
	org := store.Organization{ID: store.NewID("org"), Name: "A", CreatedAt: t0}
	brand := store.Brand{ID: store.NewID("brand"), OrgID: org.ID, Name: "b", CreatedAt: t0, UpdatedAt: t0}
	f.acct = store.Account{ID: store.NewID("acct"), OrgID: org.ID, BrandID: brand.ID, Platform: "x", NativeID: bizID,
		Status: store.AccountActive, CreatedAt: t0, UpdatedAt: t0, VerifiedAt: &t0}
	if f.acct.Credentials, err = keys.Seal([]byte(bizTok), []byte(f.acct.ID)); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{db.CreateOrganization(ctx, org), db.CreateBrand(ctx, brand), db.CreateAccount(ctx, f.acct)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	f.job = New(Config{Store: db, Keys: keys, X: xapi.New(srv.URL, srv.Client(), xapi.WithNow(f.clk.Now)), Now: f.clk.Now,
		Ingest: func(_ context.Context, evs []platform.InboundEvent) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			if err := f.failNext; err != nil {
				f.failNext = nil
				return err
			}
			f.ingested = append(f.ingested, evs...)
			return nil
		}})
	return f
}

// run runs the job once and returns what it ingested and the account's
// next poll time.
func (f *fixture) run(t *testing.T) ([]platform.InboundEvent, time.Time) {
	t.Helper()
	f.mu.Lock()
	f.ingested = nil
	f.mu.Unlock()
	if err := f.job.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	due, err := f.db.DuePolls(context.Background(), "x", f.clk.Now().Add(24*time.Hour), 10)
	if err != nil || len(due) != 1 {
		t.Fatalf("poll state %+v, %v", due, err)
	}
	return f.ingested, due[0].NextPollAt
}

// TestSchedule: the first poll only sets the starting point; a DM arrives
// within the active interval; a quiet account is polled ever less often up
// to the cap, and is not polled at all before its time; a message resets
// the back-off.
func TestSchedule(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db, xemu.Options{})
		evs, next := f.run(t)
		if len(evs) != 0 || !next.Equal(t0.Add(DefaultActive)) {
			t.Fatalf("baseline: %d events, next %v", len(evs), next)
		}
		in, err := f.emu.Inbound(bizID, aliceID, "is anyone there?")
		if err != nil {
			t.Fatal(err)
		}
		f.clk.Advance(DefaultActive - time.Second)
		if evs, n := f.run(t); len(evs) != 0 || !n.Equal(next) {
			t.Fatalf("polled before its time: %d events, next %v", len(evs), n)
		}
		f.clk.Advance(time.Second)
		evs, next = f.run(t)
		if len(evs) != 1 || evs[0].MessageID != in.ID || evs[0].Kind != platform.EventMessage || evs[0].Message.Text != "is anyone there?" ||
			!next.Equal(f.clk.Now().Add(DefaultActive)) {
			t.Fatalf("after a DM: %+v, next %v", evs, next)
		}
		// Quiet: 2, 4, 8, 15, 15 minutes.
		for _, want := range []time.Duration{2, 4, 8, 15, 15} {
			f.clk.Advance(next.Sub(f.clk.Now()))
			evs, next = f.run(t)
			if len(evs) != 0 || next.Sub(f.clk.Now()) != want*time.Minute {
				t.Fatalf("idle: %d events, next in %v, want %v", len(evs), next.Sub(f.clk.Now()), want*time.Minute)
			}
		}
		if _, err := f.emu.Inbound(bizID, aliceID, "hello again"); err != nil {
			t.Fatal(err)
		}
		f.clk.Advance(next.Sub(f.clk.Now()))
		if evs, next = f.run(t); len(evs) != 1 || next.Sub(f.clk.Now()) != DefaultActive {
			t.Fatalf("back from idle: %d events, next in %v", len(evs), next.Sub(f.clk.Now()))
		}
	})
}

// TestIngestFailureRepolls: events Parley could not record are read again
// at the next poll rather than skipped.
func TestIngestFailureRepolls(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db, xemu.Options{})
		_, next := f.run(t)
		in, _ := f.emu.Inbound(bizID, aliceID, "first")
		f.clk.Advance(next.Sub(f.clk.Now()))
		f.failNext = errors.New("database down")
		if evs, n := f.run(t); len(evs) != 0 || !n.After(f.clk.Now()) {
			t.Fatalf("%d events, next %v", len(evs), n)
		} else {
			f.clk.Advance(n.Sub(f.clk.Now()))
		}
		if evs, _ := f.run(t); len(evs) != 1 || evs[0].MessageID != in.ID {
			t.Fatalf("re-poll: %+v", evs)
		}
	})
}

// TestRateLimitWaitsForReset: a 429 pushes the next poll to X's reset
// time, and the poll then resumes.
func TestRateLimitWaitsForReset(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db, xemu.Options{ReadLimit: 1, Window: 15 * time.Minute})
		_, next := f.run(t) // spends the window's one read
		in, _ := f.emu.Inbound(bizID, aliceID, "rate limited")
		f.clk.Advance(next.Sub(f.clk.Now()))
		evs, next := f.run(t)
		if len(evs) != 0 || !next.Equal(t0.Add(15*time.Minute)) {
			t.Fatalf("429: %d events, next %v (want the reset at %v)", len(evs), next, t0.Add(15*time.Minute))
		}
		f.clk.Advance(next.Sub(f.clk.Now()))
		if evs, _ := f.run(t); len(evs) != 1 || evs[0].MessageID != in.ID {
			t.Fatalf("after the reset: %+v", evs)
		}
	})
}
