package connect_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/emulator/graphemu"
	"github.com/parleyhq/parley/internal/emulator/metaoauth"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/testsupport/parleytest"
)

const (
	igAppID  = "9090909090"
	igSecret = "ig-app-secret"
	igUser   = "17841400000000001"
)

// Instagram Login end to end: consent, code exchange, long-lived token,
// subscription, then the 60-day token refreshed in its last two weeks and,
// once revoked, one reauth_required.
func TestConnectInstagramLoginAndRefresh(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		r := &rig{clk: &clock{t: time.Now().UTC().Truncate(time.Second)}}
		emu := graphemu.New(graphemu.Options{Now: r.clk.Now})
		if _, err := emu.AddAccount(graphemu.Account{Platform: platform.Instagram, ID: igUser, Name: "Acme IG", Username: "acme", Token: "seed-ig"}); err != nil {
			t.Fatal(err)
		}
		emuSrv := httptest.NewServer(emu)
		t.Cleanup(emuSrv.Close)
		r.app = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			r.mu.Lock()
			r.returns = append(r.returns, req.URL.Query())
			r.mu.Unlock()
			_, _ = io.WriteString(w, "welcome back")
		}))
		t.Cleanup(r.app.Close)
		cfg := config.Config{GraphInstagramURL: emuSrv.URL, InstagramAppID: igAppID, InstagramAppSecret: igSecret,
			InstagramAuthorizeURL: emuSrv.URL + "/oauth/authorize", InstagramTokenURL: emuSrv.URL + "/oauth/access_token"}
		r.srv = parleytest.Start(t, b, cfg, "", server.Options{Now: r.clk.Now, PollInterval: 50 * time.Millisecond})
		emu.OAuth().RegisterApp(metaoauth.App{ID: igAppID, Secret: igSecret, Instagram: true, RedirectURIs: []string{r.srv.URL + "/oauth/callback/instagram"}})
		emu.OAuth().AddUser(metaoauth.User{ID: igUser, Name: "acme", Instagram: true})
		r.key = r.srv.Org(t, "Acme")
		_, brand := call(t, r.srv.URL, r.key, "POST", "/v1/brands", map[string]any{"name": "Shop"})
		r.brand = brand["id"].(string)
		ctx := context.Background()

		c := browser(t)
		submit(t, c, open(t, c, r.sessionFor(t, "instagram", "")), url.Values{"user_id": {igUser}, "decision": {"allow"}}).Body.Close()
		back := r.lastReturn(t)
		id := back.Get("account_id")
		if back.Get("status") != "connected" {
			t.Fatalf("returned with %v", back)
		}
		a := r.account(t, id)
		if a.NativeID != igUser || a.Variant != "instagram_login" || a.TokenExpiresAt == nil ||
			a.TokenExpiresAt.Sub(r.clk.Now()) < 59*24*time.Hour || a.RefreshCredentials == nil {
			t.Fatalf("account: %+v", a)
		}
		if _, ok := emu.Subscribed(igUser); !ok {
			t.Fatal("account not subscribed to webhooks")
		}
		if st, out := call(t, r.srv.URL, r.key, "GET", "/v1/inbox/conversations?account_id="+id, nil); st != 200 {
			t.Fatalf("conversations with the long-lived token: %d %v", st, out)
		}

		// Not due yet a month on; due in the last two weeks.
		r.clk.Add(30 * 24 * time.Hour)
		if err := r.srv.Connect.RefreshDue(ctx); err != nil {
			t.Fatal(err)
		}
		if got := r.account(t, id); got.CredentialsVersion != a.CredentialsVersion {
			t.Fatal("refreshed a token with a month left")
		}
		r.clk.Add(20 * 24 * time.Hour)
		if err := r.srv.Connect.RefreshDue(ctx); err != nil {
			t.Fatal(err)
		}
		after := r.account(t, id)
		if after.CredentialsVersion != a.CredentialsVersion+1 || after.TokenExpiresAt.Sub(r.clk.Now()) < 59*24*time.Hour {
			t.Fatalf("not refreshed: %+v", after)
		}
		r.clk.Add(2 * time.Second)
		if st, out := call(t, r.srv.URL, r.key, "GET", "/v1/inbox/conversations?account_id="+id, nil); st != 200 {
			t.Fatalf("conversations after refresh: %d %v", st, out)
		}

		// The user removes the app: the next refresh is refused for good.
		_ = emu.OAuth().RemoveApp(igUser, igAppID)
		r.clk.Add(50 * 24 * time.Hour)
		for range 2 {
			_ = r.srv.Connect.RefreshDue(ctx)
			r.clk.Add(refreshLeaseForTest)
		}
		if got := r.account(t, id); got.Status != store.AccountReauthRequired {
			t.Fatalf("status %s", got.Status)
		}
		if ev := r.events(t, "account.reauth_required"); len(ev) != 1 || ev[0]["account_id"] != id {
			t.Fatalf("reauth events: %v", ev)
		}
	})
}
