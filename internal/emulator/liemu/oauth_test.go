package liemu_test

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/emulator/liemu"
)

type clk struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clk) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clk) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

var hidden = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// oauthRig is the emulator with an app whose redirect URI is a loopback
// server recording what the browser brought back.
type oauthRig struct {
	emu  *liemu.Emulator
	srv  *httptest.Server
	clk  *clk
	back chan url.Values
	cb   string
}

func newOAuthRig(t *testing.T, refresh bool) *oauthRig {
	r := &oauthRig{clk: &clk{t: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}, back: make(chan url.Values, 4)}
	r.emu = liemu.New(liemu.Options{Now: r.clk.Now})
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { r.back <- req.URL.Query() }))
	t.Cleanup(cb.Close)
	r.cb = cb.URL + "/cb"
	r.srv = httptest.NewServer(r.emu)
	t.Cleanup(r.srv.Close)
	for _, o := range []string{"urn:li:organization:11", "urn:li:organization:12"} {
		if err := r.emu.AddAccount(o, "Org "+o[len(o)-2:], "seed-"+o); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.emu.AddMember(liemu.Member{URN: "urn:li:person:ada", FirstName: "Ada", LastName: "L",
		Orgs: []string{"urn:li:organization:11", "urn:li:organization:12"}}); err != nil {
		t.Fatal(err)
	}
	r.emu.RegisterClient(liemu.OAuthClient{ID: "app", Secret: "s3cret", RedirectURIs: []string{r.cb}, RefreshTokens: refresh})
	return r
}

// authorize answers the consent page with decision and returns the
// redirect's query.
func (r *oauthRig) authorize(t *testing.T, decision string) url.Values {
	t.Helper()
	q := url.Values{"response_type": {"code"}, "client_id": {"app"}, "redirect_uri": {r.cb}, "state": {"st8"},
		"scope": {"rw_organization_admin r_organization_social"}}
	res, err := http.Get(r.srv.URL + "/oauth/v2/authorization?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(page), "Ada L") {
		t.Fatalf("consent page: %d %s", res.StatusCode, page)
	}
	f := url.Values{"decision": {decision}, "member": {"urn:li:person:ada"}}
	for _, m := range hidden.FindAllStringSubmatch(string(page), -1) {
		f.Set(m[1], html.UnescapeString(m[2]))
	}
	res, err = http.PostForm(r.srv.URL+"/oauth/v2/authorization", f)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return <-r.back
}

func (r *oauthRig) post(t *testing.T, path string, f url.Values) (int, map[string]any) {
	t.Helper()
	res, err := http.PostForm(r.srv.URL+path, f)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, m
}

func (r *oauthRig) acls(t *testing.T, tok string) (int, []string) {
	t.Helper()
	req, _ := http.NewRequest("GET", r.srv.URL+"/rest/organizationAcls?q=roleAssignee&role=ADMINISTRATOR&state=APPROVED", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("LinkedIn-Version", "202506")
	req.Header.Set("X-Restli-Protocol-Version", "2.0.0")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var col struct {
		Elements []struct{ Organization string } `json:"elements"`
	}
	_ = json.NewDecoder(res.Body).Decode(&col)
	var orgs []string
	for _, e := range col.Elements {
		orgs = append(orgs, e.Organization)
	}
	return res.StatusCode, orgs
}

func TestOAuthCodeTokenIntrospectExpiry(t *testing.T) {
	t.Parallel()
	r := newOAuthRig(t, false)
	back := r.authorize(t, "allow")
	if back.Get("state") != "st8" || back.Get("code") == "" {
		t.Fatalf("redirect: %v", back)
	}
	ex := url.Values{"grant_type": {"authorization_code"}, "code": {back.Get("code")}, "redirect_uri": {r.cb},
		"client_id": {"app"}, "client_secret": {"s3cret"}}
	st, tok := r.post(t, "/oauth/v2/accessToken", ex)
	if st != 200 || tok["expires_in"] != float64(5184000) || tok["access_token"] == "" || tok["refresh_token"] != nil {
		t.Fatalf("token: %d %v", st, tok)
	}
	// A code works once.
	if st, e := r.post(t, "/oauth/v2/accessToken", ex); st != 400 || e["error"] != "invalid_request" {
		t.Fatalf("replayed code: %d %v", st, e)
	}
	access := tok["access_token"].(string)
	if st, orgs := r.acls(t, access); st != 200 || strings.Join(orgs, ",") != "urn:li:organization:11,urn:li:organization:12" {
		t.Fatalf("acls: %d %v", st, orgs)
	}
	in := url.Values{"client_id": {"app"}, "client_secret": {"s3cret"}, "token": {access}}
	if st, m := r.post(t, "/oauth/v2/introspectToken", in); st != 200 || m["status"] != "active" || m["active"] != true ||
		m["auth_type"] != "3L" || m["scope"] != "rw_organization_admin,r_organization_social" {
		t.Fatalf("introspect: %d %v", st, m)
	}
	// No refresh tokens for an app outside the partner programs.
	if st, e := r.post(t, "/oauth/v2/accessToken", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"},
		"client_id": {"app"}, "client_secret": {"s3cret"}}); st != 400 || e["error"] != "unauthorized_client" {
		t.Fatalf("refresh without the option: %d %v", st, e)
	}
	// 60 days on the emulator's clock.
	r.clk.Add(60*24*time.Hour - time.Second)
	if st, _ := r.acls(t, access); st != 200 {
		t.Fatalf("a second before expiry: %d", st)
	}
	r.clk.Add(time.Second)
	if st, _ := r.acls(t, access); st != 401 {
		t.Fatalf("at expiry: %d", st)
	}
	if _, m := r.post(t, "/oauth/v2/introspectToken", in); m["status"] != "expired" || m["active"] != false {
		t.Fatalf("introspect expired: %v", m)
	}
	// A wrong secret is refused.
	in.Set("client_secret", "nope")
	if st, _ := r.post(t, "/oauth/v2/introspectToken", in); st != 401 {
		t.Fatalf("bad secret: %d", st)
	}
}

func TestOAuthDenyAndRefresh(t *testing.T) {
	t.Parallel()
	r := newOAuthRig(t, true)
	if back := r.authorize(t, "deny"); back.Get("error") != "user_cancelled_authorize" || back.Get("state") != "st8" || back.Get("code") != "" {
		t.Fatalf("deny: %v", back)
	}
	back := r.authorize(t, "allow")
	_, tok := r.post(t, "/oauth/v2/accessToken", url.Values{"grant_type": {"authorization_code"}, "code": {back.Get("code")},
		"redirect_uri": {r.cb}, "client_id": {"app"}, "client_secret": {"s3cret"}})
	rt, _ := tok["refresh_token"].(string)
	if rt == "" || tok["refresh_token_expires_in"] != float64(365*24*3600) {
		t.Fatalf("partner token: %v", tok)
	}
	// Day 59: a new 60-day access token; the refresh token keeps its life.
	r.clk.Add(59 * 24 * time.Hour)
	st, again := r.post(t, "/oauth/v2/accessToken", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt},
		"client_id": {"app"}, "client_secret": {"s3cret"}})
	if st != 200 || again["refresh_token"] != rt || again["refresh_token_expires_in"] != float64(306*24*3600) || again["expires_in"] != float64(5184000) {
		t.Fatalf("refresh: %d %v", st, again)
	}
	r.clk.Add(306 * 24 * time.Hour)
	if st, e := r.post(t, "/oauth/v2/accessToken", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt},
		"client_id": {"app"}, "client_secret": {"s3cret"}}); st != 400 || e["error"] != "invalid_grant" {
		t.Fatalf("expired refresh token: %d %v", st, e)
	}
}
