package connect_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/testsupport/parleytest"
)

// connected runs the whole connect flow and returns the new account id.
func (r *rig) connected(t *testing.T) string {
	t.Helper()
	_, link := r.session(t, "")
	res, _ := consent(t, browser(t), link, "allow")
	res.Body.Close()
	back := r.lastReturn(t)
	if back.Get("status") != "connected" {
		t.Fatalf("connect: %v", back)
	}
	return back.Get("account_id")
}

func (r *rig) account(t *testing.T, id string) store.Account {
	t.Helper()
	a, err := r.srv.Store.GetAccount(context.Background(), orgOf(t, r), id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestRefreshKeepsAccountWorking(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		r := newRig(t, b)
		id := r.connected(t)
		before := r.account(t, id)
		r.clk.Add(2*time.Hour + time.Minute) // past the access token's two hours

		// A transient failure at X changes nothing and is retried.
		r.emu.FailTokenNext(503)
		if err := r.srv.Connect.RefreshDue(context.Background()); err == nil {
			t.Fatal("a 503 from X was not reported")
		}
		if a := r.account(t, id); a.Status != store.AccountActive || a.CredentialsVersion != before.CredentialsVersion {
			t.Fatalf("after a transient failure: %+v", a)
		}
		r.clk.Add(refreshLeaseForTest)
		if err := r.srv.Connect.RefreshDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		after := r.account(t, id)
		if after.CredentialsVersion != before.CredentialsVersion+1 || !after.TokenExpiresAt.After(r.clk.Now()) ||
			string(after.RefreshCredentials) == string(before.RefreshCredentials) {
			t.Fatalf("not refreshed: before %+v after %+v", before, after)
		}
		r.clk.Add(2 * time.Second) // past the one-second token cache
		if st, out := call(t, r.srv.URL, r.key, "GET", "/v1/inbox/conversations?account_id="+id, nil); st != 200 {
			t.Fatalf("conversations after refresh: %d %v", st, out)
		}
		if n := len(r.events(t, "account.reauth_required")); n != 0 {
			t.Fatalf("%d reauth events", n)
		}
	})
}

// refreshLeaseForTest outlasts the refresh lease a failed try leaves.
const refreshLeaseForTest = time.Minute + time.Second

func TestRevokedRefreshTokenAsksForReauthOnce(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		r := newRig(t, b)
		id := r.connected(t)
		r.emu.RevokeUser(xUser)
		r.clk.Add(2 * time.Hour)
		for range 3 {
			_ = r.srv.Connect.RefreshDue(context.Background())
			r.clk.Add(refreshLeaseForTest)
		}
		if a := r.account(t, id); a.Status != store.AccountReauthRequired {
			t.Fatalf("status %s", a.Status)
		}
		ev := r.events(t, "account.reauth_required")
		if len(ev) != 1 || ev[0]["account_id"] != id || ev[0]["reason"] != "refresh_failed" {
			t.Fatalf("reauth events: %v", ev)
		}
	})
}

// Two replicas on one PostgreSQL refresh the same account at the same
// moment: X sees exactly one refresh, and both go on with the stored pair.
func TestRefreshRaceTwoReplicas(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		if b.Name != "postgres" {
			t.Skip("replicas share PostgreSQL")
		}
		r := newRig(t, b)
		id := r.connected(t)
		cfg := config.Config{XURL: r.srv.Server.Connect.XAPIURL(), XAuthorizeURL: r.srv.Server.Connect.XAPIURL() + "/i/oauth2/authorize",
			XClientID: xClientID, XClientSecret: xSecret, PublicURL: r.srv.URL}
		second := parleytest.Start(t, b, cfg, r.srv.KeyRing, server.Options{Now: r.clk.Now, PollInterval: 50 * time.Millisecond})
		r.clk.Add(2 * time.Hour)
		calls := r.emu.TokenCalls()
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, s := range []*parleytest.Server{r.srv, second} {
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = s.Connect.RefreshDue(context.Background()) }()
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatal(errs)
		}
		if n := r.emu.TokenCalls() - calls; n != 1 {
			t.Fatalf("%d token calls, want 1", n)
		}
		if a := r.account(t, id); a.Status != store.AccountActive || !a.TokenExpiresAt.After(r.clk.Now()) {
			t.Fatalf("after the race: %+v", a)
		}
		r.clk.Add(2 * time.Second)
		for _, s := range []*parleytest.Server{r.srv, second} {
			if st, out := call(t, s.URL, r.key, "GET", "/v1/inbox/conversations?account_id="+id, nil); st != 200 {
				t.Fatalf("conversations after refresh: %d %v", st, out)
			}
		}
	})
}
