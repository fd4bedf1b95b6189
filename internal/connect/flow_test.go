package connect_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/emulator/xemu"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/service"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/testsupport/parleytest"
)

// clock is a settable clock shared by the emulator and Parley.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// rig is Parley in front of the X emulator, with an app page that records
// where the end customer came back to.
type rig struct {
	srv     *parleytest.Server
	emu     *xemu.Emulator
	clk     *clock
	key     string
	brand   string
	app     *httptest.Server
	mu      sync.Mutex
	returns []url.Values
}

const (
	xUser     = "9876543210"
	xClientID = "parley-test-client"
	xSecret   = "parley-test-secret"
)

func newRig(t *testing.T, b storetest.Backend) *rig {
	t.Helper()
	return newRigWith(t, b, config.Config{})
}

// newRigWith is newRig with cfg's settings (plans) added to the platform's.
func newRigWith(t *testing.T, b storetest.Backend, cfg config.Config) *rig {
	t.Helper()
	r := &rig{clk: &clock{t: time.Now().UTC().Truncate(time.Second)}}
	r.emu = xemu.New(xemu.Options{Now: r.clk.Now})
	r.emu.AddAccount(xUser, "acme_support", "Acme Support", "seeded-token-unused")
	emuSrv := httptest.NewServer(r.emu)
	t.Cleanup(emuSrv.Close)
	r.app = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.returns = append(r.returns, req.URL.Query())
		r.mu.Unlock()
		_, _ = io.WriteString(w, "welcome back")
	}))
	t.Cleanup(r.app.Close)
	cfg.XURL, cfg.XAuthorizeURL, cfg.XClientID, cfg.XClientSecret = emuSrv.URL, emuSrv.URL+"/i/oauth2/authorize", xClientID, xSecret
	r.srv = parleytest.Start(t, b, cfg, "", server.Options{Now: r.clk.Now, PollInterval: 50 * time.Millisecond})
	r.emu.RegisterClient(xemu.OAuthClient{ID: xClientID, Secret: xSecret, RedirectURIs: []string{r.srv.URL + "/oauth/callback/x"}})
	r.key = r.srv.Org(t, "Acme")
	_, brand := call(t, r.srv.URL, r.key, "POST", "/v1/brands", map[string]any{"name": "Shop"})
	r.brand = brand["id"].(string)
	return r
}

// browser is an end customer's browser: it follows redirects and keeps
// cookies.
func browser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 20 * time.Second}
}

func (r *rig) session(t *testing.T, accountID string) (id, link string) {
	t.Helper()
	return r.xSession(t, r.brand, accountID)
}

func (r *rig) xSession(t *testing.T, brand, accountID string) (id, link string) {
	t.Helper()
	body := map[string]any{"platform": "x", "brand_id": brand, "redirect_url": r.app.URL + "/connected?from=parley"}
	if accountID != "" {
		body["account_id"] = accountID
	}
	st, s := call(t, r.srv.URL, r.key, "POST", "/v1/connect/sessions", body)
	if st != 201 {
		t.Fatalf("create session: %d %v", st, s)
	}
	return s["id"].(string), s["url"].(string)
}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// consent opens a connect link and answers X's consent page; it returns
// the final response (the app's page, or Parley's) and its URL.
func consent(t *testing.T, c *http.Client, link, decision string) (*http.Response, string) {
	t.Helper()
	return consentAs(t, c, link, decision, xUser)
}

// consentAs is consent signed in as the X user userID.
func consentAs(t *testing.T, c *http.Client, link, decision, userID string) (*http.Response, string) {
	t.Helper()
	res, err := c.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(page), "wants to access your X account") {
		t.Fatalf("consent page: %d %s", res.StatusCode, page)
	}
	form := url.Values{"decision": {decision}, "user_id": {userID}}
	for _, m := range hiddenInput.FindAllStringSubmatch(string(page), -1) {
		form.Set(m[1], htmlUnescape(m[2]))
	}
	if form.Get("code_challenge_method") != "S256" || form.Get("code_challenge") == "" || form.Get("state") == "" {
		t.Fatalf("authorize request without PKCE S256 or state: %v", form)
	}
	res, err = c.PostForm(res.Request.URL.Scheme+"://"+res.Request.URL.Host+"/i/oauth2/authorize", form)
	if err != nil {
		t.Fatal(err)
	}
	return res, res.Request.URL.String()
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&#43;", "+", "&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">").Replace(s)
}

func (r *rig) lastReturn(t *testing.T) url.Values {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.returns) == 0 {
		t.Fatal("the customer never came back to the app")
	}
	return r.returns[len(r.returns)-1]
}

func (r *rig) events(t *testing.T, typ string) []map[string]any {
	t.Helper()
	var out []map[string]any
	c := service.Caller{OrgID: orgOf(t, r)}
	l, err := r.srv.Service.ListEvents(context.Background(), c, service.PageRequest{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range l.Data {
		if e.Type == typ {
			var m map[string]any
			if err := json.Unmarshal(e.Data, &m); err != nil {
				t.Fatal(err)
			}
			out = append(out, m)
		}
	}
	return out
}

func orgOf(t *testing.T, r *rig) string {
	t.Helper()
	c, err := r.srv.Service.Authenticate(context.Background(), "Bearer "+r.key)
	if err != nil {
		t.Fatal(err)
	}
	return c.OrgID
}

func (r *rig) accounts(t *testing.T) []store.Account {
	t.Helper()
	as, err := r.srv.Store.ListAccounts(context.Background(), orgOf(t, r), store.AccountFilter{Page: store.Page{Limit: 100}})
	if err != nil {
		t.Fatal(err)
	}
	return as
}

func TestConnectX(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		r := newRig(t, b)
		id, link := r.session(t, "")
		res, _ := consent(t, browser(t), link, "allow")
		res.Body.Close()
		back := r.lastReturn(t)
		if back.Get("status") != "connected" || back.Get("session_id") != id || back.Get("from") != "parley" || back.Get("account_id") == "" {
			t.Fatalf("returned with %v", back)
		}
		acct := back.Get("account_id")
		// The account works: Parley reads it with the token it was given.
		st, got := call(t, r.srv.URL, r.key, "GET", "/v1/accounts/"+acct, nil)
		if st != 200 || got["platform"] != "x" || got["status"] != "active" || got["display_name"] != "Acme Support" {
			t.Fatalf("account: %d %v", st, got)
		}
		st, convs := call(t, r.srv.URL, r.key, "GET", "/v1/inbox/conversations?account_id="+acct, nil)
		if st != 200 {
			t.Fatalf("conversations with the connected token: %d %v", st, convs)
		}
		a, _ := r.srv.Store.GetAccount(context.Background(), orgOf(t, r), acct)
		if a.RefreshCredentials == nil || a.TokenExpiresAt == nil || !strings.Contains(a.Scopes, "dm.write") {
			t.Fatalf("stored credentials lack refresh state: %+v", a)
		}
		if ev := r.events(t, "account.connected"); len(ev) != 1 || ev[0]["account_id"] != acct {
			t.Fatalf("account.connected events: %v", ev)
		}

		// Reconnecting keeps the id.
		_, link2 := r.session(t, acct)
		res, _ = consent(t, browser(t), link2, "allow")
		res.Body.Close()
		if back := r.lastReturn(t); back.Get("status") != "connected" || back.Get("account_id") != acct {
			t.Fatalf("reconnect returned %v", back)
		}
		if n := len(r.accounts(t)); n != 1 {
			t.Fatalf("%d accounts after reconnecting, want 1", n)
		}
		// The link of a used session does not work again.
		res, err := browser(t).Get(link)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 409 || !strings.Contains(string(page), "connect.session_used") {
			t.Fatalf("reused link: %d %s", res.StatusCode, page)
		}
	})
}

func TestConnectXFailures(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		r := newRig(t, b)

		t.Run("deny", func(t *testing.T) {
			id, link := r.session(t, "")
			res, _ := consent(t, browser(t), link, "deny")
			res.Body.Close()
			back := r.lastReturn(t)
			if back.Get("status") != "error" || back.Get("error") != "connect.denied" || back.Get("session_id") != id {
				t.Fatalf("returned with %v", back)
			}
		})

		// The callback Parley is sent to, captured by a browser that does
		// not follow it; the browser holds the session's cookie.
		callback := func(t *testing.T) (string, *http.Client) {
			t.Helper()
			_, link := r.session(t, "")
			c := browser(t)
			c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
				if strings.Contains(req.URL.Path, "/oauth/callback/") {
					return http.ErrUseLastResponse
				}
				return nil
			}
			res, _ := consent(t, c, link, "allow")
			res.Body.Close()
			loc := res.Header.Get("Location")
			if res.StatusCode != 302 || !strings.Contains(loc, "/oauth/callback/x") {
				t.Fatalf("emulator answered %d %s", res.StatusCode, loc)
			}
			c.CheckRedirect = nil
			return loc, c
		}
		get := func(t *testing.T, c *http.Client, u string) (int, string) {
			t.Helper()
			res, err := c.Get(u)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			return res.StatusCode, string(b)
		}

		t.Run("tampered state", func(t *testing.T) {
			raw, c := callback(t)
			loc, _ := url.Parse(raw)
			q := loc.Query()
			st := []byte(q.Get("state"))
			st[len(st)/2] ^= 1
			q.Set("state", string(st))
			loc.RawQuery = q.Encode()
			if code, page := get(t, c, loc.String()); code != 400 || !strings.Contains(page, "connect.state_invalid") {
				t.Fatalf("tampered: %d %s", code, page)
			}
		})
		t.Run("replayed state", func(t *testing.T) {
			loc, c := callback(t)
			before := len(r.accounts(t))
			if code, _ := get(t, c, loc); code != 200 {
				t.Fatalf("first callback: %d", code)
			}
			if code, page := get(t, c, loc); code != 409 || !strings.Contains(page, "connect.state_replayed") {
				t.Fatalf("replay: %d %s", code, page)
			}
			if n := len(r.accounts(t)); n != before+1 && n != before {
				t.Fatalf("accounts: %d → %d", before, n)
			}
		})
		t.Run("expired session", func(t *testing.T) {
			loc, c := callback(t)
			r.clk.Add(16 * time.Minute)
			before := len(r.accounts(t))
			if code, _ := get(t, c, loc); code != 200 {
				t.Fatalf("expired callback: %d", code)
			}
			if back := r.lastReturn(t); back.Get("error") != "connect.session_expired" {
				t.Fatalf("returned with %v", back)
			}
			if n := len(r.accounts(t)); n != before {
				t.Fatalf("an expired session connected an account: %d → %d", before, n)
			}
		})
		t.Run("another browser", func(t *testing.T) {
			// A callback URL stolen (logs, referrer, shoulder) and opened in
			// the attacker's browser neither completes nor spoils the
			// customer's sign-in.
			loc, c := callback(t)
			before := len(r.accounts(t))
			if code, page := get(t, browser(t), loc); code != 403 || !strings.Contains(page, "connect.browser_mismatch") {
				t.Fatalf("other browser: %d %s", code, page)
			}
			if n := len(r.accounts(t)); n != before {
				t.Fatalf("accounts: %d → %d", before, n)
			}
			if code, _ := get(t, c, loc); code != 200 {
				t.Fatalf("the customer's own browser: %d", code)
			}
			if back := r.lastReturn(t); back.Get("status") != "connected" {
				t.Fatalf("returned with %v", back)
			}
		})
		t.Run("pkce mismatch", func(t *testing.T) {
			// A code replayed into another session's callback: its verifier
			// does not match the code's challenge.
			ra, _ := callback(t)
			rb, c := callback(t)
			a, _ := url.Parse(ra)
			bq, _ := url.Parse(rb)
			q := bq.Query()
			q.Set("code", a.Query().Get("code"))
			bq.RawQuery = q.Encode()
			before := len(r.accounts(t))
			if code, _ := get(t, c, bq.String()); code != 200 {
				t.Fatalf("mismatched callback: %d", code)
			}
			if back := r.lastReturn(t); back.Get("error") != "connect.exchange_failed" {
				t.Fatalf("returned with %v", back)
			}
			if n := len(r.accounts(t)); n != before {
				t.Fatalf("accounts: %d → %d", before, n)
			}
		})
	})
}
