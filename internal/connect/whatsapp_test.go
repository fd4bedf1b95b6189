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
	"github.com/parleyhq/parley/internal/emulator/metaoauth"
	"github.com/parleyhq/parley/internal/emulator/waemu"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/testsupport/parleytest"
)

// WhatsApp through Embedded Signup's configuration: the business token's
// WABA comes from debug_token, its number from phone_numbers, the app is
// subscribed to the WABA, and a permission taken away later is found by
// the daily check.
func TestConnectWhatsAppEmbeddedSignup(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		const waba, number = "102290129340398", "106540352242922"
		r, emu := newWhatsAppRig(t, b, config.Config{},
			waemu.PhoneNumber{ID: number, DisplayPhoneNumber: "+1 555-0100", VerifiedName: "Acme", WABAID: waba, Token: "seed-wa"})

		c := browser(t)
		submit(t, c, open(t, c, r.sessionFor(t, "whatsapp", "")), url.Values{"user_id": {fbUser}, "decision": {"allow"}}).Body.Close()
		back := r.lastReturn(t)
		id := back.Get("account_id")
		if back.Get("status") != "connected" {
			t.Fatalf("returned with %v", back)
		}
		a := r.account(t, id)
		if a.NativeID != number || a.BusinessAccountID != waba || a.TokenExpiresAt != nil || a.Status != store.AccountActive {
			t.Fatalf("account: %+v", a)
		}
		if !emu.Subscribed(waba) {
			t.Fatal("app not subscribed to the WABA")
		}

		// Deny ends in a clear error and no account.
		c2 := browser(t)
		submit(t, c2, open(t, c2, r.sessionFor(t, "whatsapp", "")), url.Values{"user_id": {fbUser}, "decision": {"deny"}}).Body.Close()
		if back := r.lastReturn(t); back.Get("error") != "connect.denied" {
			t.Fatalf("deny returned %v", back)
		}
		if n := len(r.accounts(t)); n != 1 {
			t.Fatalf("%d accounts", n)
		}

		emu.OAuth().RemovePermission(fbUser, metaAppID, "whatsapp_business_messaging")
		r.clk.Add(25 * time.Hour)
		if err := r.srv.Connect.CheckTokens(context.Background()); err != nil {
			t.Fatal(err)
		}
		if a := r.account(t, id); a.Status != store.AccountReauthRequired {
			t.Fatalf("after the permission was removed: %s", a.Status)
		}
		if ev := r.events(t, "account.reauth_required"); len(ev) != 1 || ev[0]["reason"] != "permission_removed" {
			t.Fatalf("reauth events: %v", ev)
		}
	})
}

// newWhatsAppRig is Parley (with cfg's settings added) in front of the
// Cloud API emulator serving numbers, whose Meta OAuth server knows
// Parley's Embedded Signup configuration and a user who shares every
// number's WABA.
func newWhatsAppRig(t *testing.T, b storetest.Backend, cfg config.Config, numbers ...waemu.PhoneNumber) (*rig, *waemu.Emulator) {
	t.Helper()
	r := &rig{clk: &clock{t: time.Now().UTC().Truncate(time.Second)}}
	emu := waemu.New(waemu.Options{Now: r.clk.Now})
	var wabas []string
	for _, n := range numbers {
		emu.AddPhoneNumber(n)
		wabas = append(wabas, n.WABAID)
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
	cfg.WhatsAppURL, cfg.MetaAppID, cfg.MetaAppSecret = emuSrv.URL, metaAppID, metaSecret
	cfg.WhatsAppAuthorizeURL, cfg.WhatsAppConfigID = emuSrv.URL+"/v25.0/dialog/oauth", "es-1"
	r.srv = parleytest.Start(t, b, cfg, "", server.Options{Now: r.clk.Now, PollInterval: 50 * time.Millisecond})
	emu.OAuth().RegisterApp(metaoauth.App{ID: metaAppID, Secret: metaSecret, RedirectURIs: []string{r.srv.URL + "/oauth/callback/whatsapp"},
		Configs: map[string]metaoauth.LoginConfig{"es-1": {Scopes: []string{"whatsapp_business_management", "whatsapp_business_messaging"}, SystemUser: true}}})
	emu.OAuth().AddUser(metaoauth.User{ID: fbUser, Name: "Ada Admin", Grants: map[string][]string{
		"whatsapp_business_management": wabas, "whatsapp_business_messaging": wabas}})
	r.key = r.srv.Org(t, "Acme")
	_, brand := call(t, r.srv.URL, r.key, "POST", "/v1/brands", map[string]any{"name": "Shop"})
	r.brand = brand["id"].(string)
	return r, emu
}
