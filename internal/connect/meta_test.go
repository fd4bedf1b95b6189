package connect_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
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
	metaAppID  = "4242424242"
	metaSecret = "meta-app-secret"
	fbUser     = "100077"
	pageA      = "110000000000001"
	pageB      = "110000000000002"
)

// metaRig is Parley in front of the Graph emulator, whose Meta OAuth
// server knows Parley's app and one Facebook user who administers two
// Pages.
func newMetaRig(t *testing.T, b storetest.Backend) (*rig, *graphemu.Emulator) {
	t.Helper()
	return newMetaRigWith(t, b, config.Config{})
}

// newMetaRigWith is newMetaRig with cfg's settings (plans) added to the
// platform's.
func newMetaRigWith(t *testing.T, b storetest.Backend, cfg config.Config) (*rig, *graphemu.Emulator) {
	t.Helper()
	r := &rig{clk: &clock{t: time.Now().UTC().Truncate(time.Second)}}
	emu := graphemu.New(graphemu.Options{Now: r.clk.Now})
	for _, p := range []struct{ id, name string }{{pageA, "Acme Shop"}, {pageB, "Acme Support"}} {
		if _, err := emu.AddAccount(graphemu.Account{Platform: platform.Messenger, ID: p.id, Name: p.name, Token: "seed-" + p.id}); err != nil {
			t.Fatal(err)
		}
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
	cfg.GraphFacebookURL, cfg.MetaAppID, cfg.MetaAppSecret = emuSrv.URL, metaAppID, metaSecret
	cfg.MetaAuthorizeURL = emuSrv.URL + "/v25.0/dialog/oauth"
	r.srv = parleytest.Start(t, b, cfg, "", server.Options{Now: r.clk.Now, PollInterval: 50 * time.Millisecond})
	emu.OAuth().RegisterApp(metaoauth.App{ID: metaAppID, Secret: metaSecret,
		RedirectURIs:   []string{r.srv.URL + "/oauth/callback/messenger", r.srv.URL + "/oauth/callback/instagram"},
		DeauthorizeURL: r.srv.URL + "/oauth/meta/deauthorize"})
	emu.OAuth().AddUser(metaoauth.User{ID: fbUser, Name: "Ada Admin", Grants: map[string][]string{
		"pages_show_list": {pageA, pageB}, "pages_messaging": {pageA, pageB}, "pages_manage_metadata": {pageA, pageB}}})
	r.key = r.srv.Org(t, "Acme")
	_, brand := call(t, r.srv.URL, r.key, "POST", "/v1/brands", map[string]any{"name": "Shop"})
	r.brand = brand["id"].(string)
	return r, emu
}

func (r *rig) sessionFor(t *testing.T, platform, accountID string) string {
	t.Helper()
	return r.sessionIn(t, r.brand, platform, accountID)
}

// sessionIn is sessionFor for another brand of the organisation.
func (r *rig) sessionIn(t *testing.T, brand, platform, accountID string) string {
	t.Helper()
	body := map[string]any{"platform": platform, "brand_id": brand, "redirect_url": r.app.URL + "/connected"}
	if accountID != "" {
		body["account_id"] = accountID
	}
	st, s := call(t, r.srv.URL, r.key, "POST", "/v1/connect/sessions", body)
	if st != 201 {
		t.Fatalf("create session: %d %v", st, s)
	}
	return s["url"].(string)
}

var formAction = regexp.MustCompile(`<form method="post" action="([^"]+)">`)

// submit answers the HTML form of the page res is on with extra fields.
func submit(t *testing.T, c *http.Client, res *http.Response, extra url.Values) *http.Response {
	t.Helper()
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := formAction.FindStringSubmatch(string(page))
	if res.StatusCode != 200 || m == nil {
		t.Fatalf("no form at %s: %d %s", res.Request.URL, res.StatusCode, page)
	}
	form := url.Values{}
	for _, h := range hiddenInput.FindAllStringSubmatch(string(page), -1) {
		form.Set(h[1], htmlUnescape(h[2]))
	}
	for k, v := range extra {
		form[k] = v
	}
	action, _ := res.Request.URL.Parse(htmlUnescape(m[1]))
	next, err := c.PostForm(action.String(), form)
	if err != nil {
		t.Fatal(err)
	}
	return next
}

func open(t *testing.T, c *http.Client, link string) *http.Response {
	t.Helper()
	res, err := c.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestConnectMessengerWithPicker(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		r, emu := newMetaRig(t, b)
		ctx := context.Background()
		c := browser(t)
		// Consent at Facebook, then Parley's picker: the user manages two Pages.
		res := submit(t, c, open(t, c, r.sessionFor(t, "messenger", "")), url.Values{"user_id": {fbUser}, "decision": {"allow"}})
		page, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !strings.Contains(string(page), "Acme Shop") || !strings.Contains(string(page), "Acme Support") {
			t.Fatalf("picker: %d %s", res.StatusCode, page)
		}
		res.Body = io.NopCloser(strings.NewReader(string(page)))
		res.StatusCode = 200
		submit(t, c, res, url.Values{"asset": {pageB}}).Body.Close()
		back := r.lastReturn(t)
		id := back.Get("account_id")
		if back.Get("status") != "connected" || id == "" {
			t.Fatalf("returned with %v", back)
		}
		a := r.account(t, id)
		if a.Platform != "messenger" || a.NativeID != pageB || a.DisplayName != "Acme Support" || a.Status != store.AccountActive || a.TokenExpiresAt != nil {
			t.Fatalf("account: %+v", a)
		}
		if f, ok := emu.Subscribed(pageB); !ok || !strings.Contains(f, "messages") {
			t.Fatalf("Page not subscribed to messages: %q %v", f, ok)
		}
		// The stored Page token works for the inbox.
		if st, out := call(t, r.srv.URL, r.key, "GET", "/v1/inbox/conversations?account_id="+id, nil); st != 200 {
			t.Fatalf("conversations with the Page token: %d %v", st, out)
		}

		// Reconnecting under the same id skips the picker: only that Page fits.
		c2 := browser(t)
		submit(t, c2, open(t, c2, r.sessionFor(t, "messenger", id)), url.Values{"user_id": {fbUser}, "decision": {"allow"}}).Body.Close()
		if back := r.lastReturn(t); back.Get("status") != "connected" || back.Get("account_id") != id {
			t.Fatalf("reconnect returned %v", back)
		}
		if n := len(r.accounts(t)); n != 1 {
			t.Fatalf("%d accounts after reconnecting, want 1", n)
		}

		// A day later the daily check finds the token alive.
		r.clk.Add(25 * time.Hour)
		if err := r.srv.Connect.CheckTokens(ctx); err != nil {
			t.Fatal(err)
		}
		if a := r.account(t, id); a.Status != store.AccountActive {
			t.Fatalf("a live token was marked %s", a.Status)
		}
		// The user changes their password: the next daily check reports it, once.
		emu.OAuth().ChangePassword(fbUser)
		for range 2 {
			r.clk.Add(25 * time.Hour)
			if err := r.srv.Connect.CheckTokens(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if a := r.account(t, id); a.Status != store.AccountReauthRequired {
			t.Fatalf("after a password change: %s", a.Status)
		}
		if ev := r.events(t, "account.reauth_required"); len(ev) != 1 || ev[0]["reason"] != "revoked" || ev[0]["account_id"] != id {
			t.Fatalf("reauth events: %v", ev)
		}
	})
}

func TestMetaDeauthorizeCallback(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		r, emu := newMetaRig(t, b)
		c := browser(t)
		res := submit(t, c, open(t, c, r.sessionFor(t, "messenger", "")), url.Values{"user_id": {fbUser}, "decision": {"allow"}})
		submit(t, c, res, url.Values{"asset": {pageA}}).Body.Close()
		id := r.lastReturn(t).Get("account_id")

		// Forged: signed with another secret. Nothing changes.
		forged := metaoauth.SignRequest("not-the-secret", map[string]any{"algorithm": "HMAC-SHA256", "issued_at": r.clk.Now().Unix(), "user_id": fbUser})
		st, out := postForm(t, r.srv.URL+"/oauth/meta/deauthorize", url.Values{"signed_request": {forged}})
		if st != 422 || errCode(out) != "validation.invalid_field" {
			t.Fatalf("forged: %d %v", st, out)
		}
		// Stale: a replay of an old request.
		stale := metaoauth.SignRequest(metaSecret, map[string]any{"algorithm": "HMAC-SHA256", "issued_at": r.clk.Now().Add(-2 * time.Hour).Unix(), "user_id": fbUser})
		if st, _ := postForm(t, r.srv.URL+"/oauth/meta/deauthorize", url.Values{"signed_request": {stale}}); st != 422 {
			t.Fatalf("stale: %d", st)
		}
		if a := r.account(t, id); a.Status != store.AccountActive {
			t.Fatalf("a forged callback changed the account: %s", a.Status)
		}
		// The user removes the app at Facebook: Meta calls back, signed.
		if err := emu.OAuth().RemoveApp(fbUser, metaAppID); err != nil {
			t.Fatal(err)
		}
		if a := r.account(t, id); a.Status != store.AccountReauthRequired {
			t.Fatalf("after deauthorize: %s", a.Status)
		}
		if ev := r.events(t, "account.reauth_required"); len(ev) != 1 || ev[0]["reason"] != "revoked" {
			t.Fatalf("reauth events: %v", ev)
		}
	})
}

func postForm(t *testing.T, u string, form url.Values) (int, map[string]any) {
	t.Helper()
	res, err := http.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	_ = jsonUnmarshal(raw, &out)
	return res.StatusCode, out
}

// Instagram through Facebook Login: the Page's linked professional account
// becomes the account, acting with the Page token; the session's variant
// decides the flow.
func TestConnectInstagramThroughPage(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		r, emu := newMetaRig(t, b)
		const igID, igPage = "17841400000000009", "110000000000009"
		if _, err := emu.AddAccount(graphemu.Account{Platform: platform.Instagram, ID: igID, Name: "Acme IG", Username: "acme",
			Token: "seed-ig", Variant: graphemu.VariantFacebookLogin, PageID: igPage}); err != nil {
			t.Fatal(err)
		}
		emu.OAuth().AddUser(metaoauth.User{ID: fbUser, Name: "Ada Admin", Grants: map[string][]string{
			"pages_show_list": {pageA, igPage}, "pages_manage_metadata": {pageA, igPage}, "instagram_manage_messages": {igPage}}})
		st, s := call(t, r.srv.URL, r.key, "POST", "/v1/connect/sessions", map[string]any{"platform": "instagram", "variant": "facebook_login",
			"brand_id": r.brand, "redirect_url": r.app.URL + "/connected"})
		if st != 201 {
			t.Fatalf("session: %d %v", st, s)
		}
		c := browser(t)
		// Only one of the two Pages has an Instagram account: no picker.
		submit(t, c, open(t, c, s["url"].(string)), url.Values{"user_id": {fbUser}, "decision": {"allow"}}).Body.Close()
		back := r.lastReturn(t)
		if back.Get("status") != "connected" {
			t.Fatalf("returned with %v", back)
		}
		a := r.account(t, back.Get("account_id"))
		if a.Platform != "instagram" || a.NativeID != igID || a.Variant != "facebook_login" {
			t.Fatalf("account: %+v", a)
		}
		if _, ok := emu.Subscribed(igID); !ok {
			t.Fatal("the Page was not subscribed")
		}
		if st, out := call(t, r.srv.URL, r.key, "GET", "/v1/inbox/conversations?account_id="+a.ID, nil); st != 200 {
			t.Fatalf("conversations with the Page token: %d %v", st, out)
		}
		// An Instagram Login session cannot start without the Instagram app.
		if st, out := call(t, r.srv.URL, r.key, "POST", "/v1/connect/sessions", map[string]any{"platform": "instagram", "brand_id": r.brand}); st != 503 ||
			errCode(out) != "connect.not_configured" {
			t.Fatalf("instagram_login without its app: %d %v", st, out)
		}
	})
}

// An ordinary call that Graph answers with a token error asks for reauth
// once, with the reason the subcode gives; throttling and outages do not.
func TestPlatformAuthErrorAsksForReauth(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		r, emu := newMetaRig(t, b)
		c := browser(t)
		res := submit(t, c, open(t, c, r.sessionFor(t, "messenger", "")), url.Values{"user_id": {fbUser}, "decision": {"allow"}})
		submit(t, c, res, url.Values{"asset": {pageA}}).Body.Close()
		id := r.lastReturn(t).Get("account_id")
		list := "/v1/inbox/conversations?account_id=" + id

		for _, e := range []graphemu.Error{graphemu.ErrTransient, graphemu.ErrPageRateLimit} {
			emu.FailNext(e)
			if _, out := call(t, r.srv.URL, r.key, "GET", list, nil); failure(out) == "" {
				t.Fatalf("injected %d not seen: %v", e.Code, out)
			}
			if a := r.account(t, id); a.Status != store.AccountActive {
				t.Fatalf("code %d marked the account %s", e.Code, a.Status)
			}
		}
		emu.FailNext(graphemu.ErrTokenExpired)
		if _, out := call(t, r.srv.URL, r.key, "GET", list, nil); failure(out) != "account.reauth_required" {
			t.Fatalf("expired token: %v", out)
		}
		if a := r.account(t, id); a.Status != store.AccountReauthRequired {
			t.Fatalf("status %s", a.Status)
		}
		if ev := r.events(t, "account.reauth_required"); len(ev) != 1 || ev[0]["reason"] != "expired" || ev[0]["account_id"] != id {
			t.Fatalf("reauth events: %v", ev)
		}
	})
}

// failure is the code of a partial list's first per-account failure.
func failure(out map[string]any) string {
	m, _ := out["meta"].(map[string]any)
	fs, _ := m["failures"].([]any)
	if len(fs) == 0 {
		return ""
	}
	f, _ := fs[0].(map[string]any)
	c, _ := f["code"].(string)
	return c
}

// Meta's data deletion callback deletes the user's accounts and answers
// the status URL and confirmation code; a replay answers the same code.
func TestMetaDataDeletionCallback(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		r, _ := newMetaRig(t, b)
		c := browser(t)
		res := submit(t, c, open(t, c, r.sessionFor(t, "messenger", "")), url.Values{"user_id": {fbUser}, "decision": {"allow"}})
		submit(t, c, res, url.Values{"asset": {pageA}}).Body.Close()
		id := r.lastReturn(t).Get("account_id")

		other := metaoauth.SignRequest(metaSecret, map[string]any{"algorithm": "HMAC-SHA256", "issued_at": r.clk.Now().Unix(), "user_id": "999"})
		if st, out := postForm(t, r.srv.URL+"/oauth/meta/data-deletion", url.Values{"signed_request": {other}}); st != 200 || out["confirmation_code"] == "" {
			t.Fatalf("another user: %d %v", st, out)
		}
		if len(r.accounts(t)) != 1 {
			t.Fatal("another user's request deleted an account")
		}
		signed := metaoauth.SignRequest(metaSecret, map[string]any{"algorithm": "HMAC-SHA256", "issued_at": r.clk.Now().Unix(), "user_id": fbUser})
		st, out := postForm(t, r.srv.URL+"/oauth/meta/data-deletion", url.Values{"signed_request": {signed}})
		code, _ := out["confirmation_code"].(string)
		if st != 200 || code == "" || out["url"] != r.srv.URL+"/connect/deletion/"+code {
			t.Fatalf("deletion: %d %v", st, out)
		}
		if n := len(r.accounts(t)); n != 0 {
			t.Fatalf("%d accounts left", n)
		}
		if ev := r.events(t, "account.disconnected"); len(ev) != 1 || ev[0]["account_id"] != id {
			t.Fatalf("disconnected events: %v", ev)
		}
		if _, again := postForm(t, r.srv.URL+"/oauth/meta/data-deletion", url.Values{"signed_request": {signed}}); again["confirmation_code"] != code {
			t.Fatalf("replay answered %v, want code %s", again, code)
		}
		res, err := http.Get(r.srv.URL + "/connect/deletion/" + code)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("status page: %d", res.StatusCode)
		}
	})
}
