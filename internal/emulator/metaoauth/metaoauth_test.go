package metaoauth_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/emulator/metaoauth"
)

type fixture struct {
	srv   *httptest.Server
	oauth *metaoauth.Server
	mu    sync.Mutex
	now   time.Time
}

func (f *fixture) Now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }
func (f *fixture) add(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

const redirect = "https://parley.example/oauth/callback/messenger"

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{now: time.Unix(1800000000, 0)}
	f.oauth = metaoauth.New(metaoauth.Config{Now: f.Now})
	mux := http.NewServeMux()
	f.oauth.Mount(func(p string, h http.HandlerFunc) { mux.HandleFunc(p, h) })
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	f.oauth.RegisterApp(metaoauth.App{ID: "111", Secret: "sec", RedirectURIs: []string{redirect}})
	f.oauth.RegisterApp(metaoauth.App{ID: "222", Secret: "igsec", Instagram: true, RedirectURIs: []string{redirect}})
	f.oauth.AddUser(metaoauth.User{ID: "42", Name: "Ada", Grants: map[string][]string{"pages_messaging": {"p1"}}})
	f.oauth.AddUser(metaoauth.User{ID: "43", Name: "acme", Instagram: true})
	return f
}

// code runs the consent form as the browser would and returns the code.
func (f *fixture) code(t *testing.T, app, path string) string {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	user := "42"
	if path == "/oauth/authorize" {
		user = "43" // Instagram's window signs in Instagram accounts
	}
	res, err := c.PostForm(f.srv.URL+path, url.Values{"client_id": {app}, "redirect_uri": {redirect}, "user_id": {user},
		"scope": {"pages_messaging"}, "state": {"s"}, "decision": {"allow"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, _ := url.Parse(strings.TrimSuffix(res.Header.Get("Location"), "#_"))
	if loc.Query().Get("state") != "s" || loc.Query().Get("code") == "" {
		t.Fatalf("consent redirected to %q", res.Header.Get("Location"))
	}
	return loc.Query().Get("code")
}

func get(t *testing.T, u string) (int, map[string]any) {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %d %s", u, res.StatusCode, b)
	}
	return res.StatusCode, m
}

func graphErr(m map[string]any) (code, sub float64) {
	e, _ := m["error"].(map[string]any)
	c, _ := e["code"].(float64)
	s, _ := e["error_subcode"].(float64)
	return c, s
}

func TestFacebookLoginTokens(t *testing.T) {
	f := newFixture(t)
	exchange := func(code, secret, redir string) (int, map[string]any) {
		return get(t, f.srv.URL+"/oauth/access_token?"+url.Values{"client_id": {"111"}, "client_secret": {secret},
			"redirect_uri": {redir}, "code": {code}}.Encode())
	}
	code := f.code(t, "111", "/dialog/oauth")
	if st, m := exchange(code, "wrong", redirect); st != 400 {
		t.Fatalf("wrong secret: %d %v", st, m)
	} else if c, _ := graphErr(m); c != 1 {
		t.Fatalf("wrong secret: %v", m)
	}
	if st, _ := exchange(code, "sec", redirect); st != 200 {
		t.Fatalf("exchange: %d", st)
	}
	if _, m := exchange(code, "sec", redirect); !sameErr(m, 100, 36009) {
		t.Fatalf("a code used twice: %v", m)
	}
	if _, m := exchange(f.code(t, "111", "/dialog/oauth"), "sec", redirect+"x"); !sameErr(m, 100, 36008) {
		t.Fatalf("redirect mismatch: %v", m)
	}
	late := f.code(t, "111", "/dialog/oauth")
	f.add(11 * time.Minute)
	if _, m := exchange(late, "sec", redirect); !sameErr(m, 100, 36007) {
		t.Fatalf("expired code: %v", m)
	}
	st, short := exchange(f.code(t, "111", "/dialog/oauth"), "sec", redirect)
	if st != 200 || short["token_type"] != "bearer" || short["expires_in"] != float64(3600) {
		t.Fatalf("exchange: %d %v", st, short)
	}
	st, long := get(t, f.srv.URL+"/oauth/access_token?"+url.Values{"grant_type": {"fb_exchange_token"}, "client_id": {"111"},
		"client_secret": {"sec"}, "fb_exchange_token": {short["access_token"].(string)}}.Encode())
	if st != 200 || long["expires_in"] != float64(60*24*3600) {
		t.Fatalf("fb_exchange_token: %d %v", st, long)
	}
	tok := long["access_token"].(string)
	debug := func() map[string]any {
		_, m := get(t, f.srv.URL+"/debug_token?"+url.Values{"input_token": {tok}, "access_token": {"111|sec"}}.Encode())
		d, _ := m["data"].(map[string]any)
		return d
	}
	d := debug()
	gs, _ := d["granular_scopes"].([]any)
	if d["is_valid"] != true || d["user_id"] != "42" || d["type"] != "USER" || len(gs) != 1 {
		t.Fatalf("debug_token: %v", d)
	}
	if _, m := get(t, f.srv.URL+"/debug_token?"+url.Values{"input_token": {tok}, "access_token": {"111|wrong"}}.Encode()); !sameErr(m, 190, 0) {
		t.Fatalf("debug_token with a wrong app token: %v", m)
	}
	f.oauth.ChangePassword("42")
	d = debug()
	if e, _ := d["error"].(map[string]any); d["is_valid"] != false || e["subcode"] != float64(460) {
		t.Fatalf("after a password change: %v", d)
	}
	if ge, dead := f.oauth.Dead(tok); !dead || ge.Code != 190 || ge.Subcode != 460 {
		t.Fatalf("Dead: %+v %v", ge, dead)
	}
}

func sameErr(m map[string]any, code, sub float64) bool {
	c, s := graphErr(m)
	return c == code && s == sub
}

func TestDialogRefusesUnknownAppsAndRedirects(t *testing.T) {
	f := newFixture(t)
	for _, q := range []url.Values{
		{"client_id": {"999"}, "redirect_uri": {redirect}, "response_type": {"code"}},
		{"client_id": {"111"}, "redirect_uri": {"https://evil.example/cb"}, "response_type": {"code"}},
		{"client_id": {"222"}, "redirect_uri": {redirect}, "response_type": {"code"}}, // an Instagram app on Facebook's dialog
	} {
		res, err := http.Get(f.srv.URL + "/dialog/oauth?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 400 || res.Request.URL.Host != strings.TrimPrefix(f.srv.URL, "http://") {
			t.Fatalf("%v: %d at %s", q, res.StatusCode, res.Request.URL)
		}
	}
}

func TestInstagramLoginRefreshRules(t *testing.T) {
	f := newFixture(t)
	form := url.Values{"client_id": {"222"}, "client_secret": {"igsec"}, "grant_type": {"authorization_code"}, "redirect_uri": {redirect},
		"code": {f.code(t, "222", "/oauth/authorize")}}
	res, err := http.PostForm(f.srv.URL+"/oauth/access_token", form)
	if err != nil {
		t.Fatal(err)
	}
	var short map[string]any
	_ = json.NewDecoder(res.Body).Decode(&short)
	res.Body.Close()
	if res.StatusCode != 200 || short["user_id"] != float64(43) {
		t.Fatalf("code exchange: %d %v", res.StatusCode, short)
	}
	if _, m := get(t, f.srv.URL+"/access_token?"+url.Values{"grant_type": {"ig_exchange_token"}, "client_secret": {"wrong"},
		"access_token": {short["access_token"].(string)}}.Encode()); !sameErr(m, 190, 0) {
		t.Fatalf("exchange with a wrong secret: %v", m)
	}
	_, long := get(t, f.srv.URL+"/access_token?"+url.Values{"grant_type": {"ig_exchange_token"}, "client_secret": {"igsec"},
		"access_token": {short["access_token"].(string)}}.Encode())
	refresh := func() (int, map[string]any) {
		return get(t, f.srv.URL+"/refresh_access_token?"+url.Values{"grant_type": {"ig_refresh_token"}, "access_token": {long["access_token"].(string)}}.Encode())
	}
	if st, _ := refresh(); st != 400 {
		t.Fatalf("a token under 24 hours old was refreshed: %d", st)
	}
	f.add(25 * time.Hour)
	if st, m := refresh(); st != 200 || m["expires_in"] != float64(60*24*3600) {
		t.Fatalf("refresh: %d %v", st, m)
	}
	f.add(60 * 24 * time.Hour)
	if _, m := refresh(); !sameErr(m, 190, 463) {
		t.Fatalf("an expired token was refreshed: %v", m)
	}
}
