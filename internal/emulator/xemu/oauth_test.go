package xemu_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/emulator/xemu"
)

// grant runs consent → code → token directly against the emulator.
func grant(t *testing.T, base, verifier string) map[string]any {
	t.Helper()
	sum := sha256.Sum256([]byte(strings.Repeat("v", 43)))
	form := url.Values{"client_id": {"app"}, "redirect_uri": {"https://parley.test/cb"}, "scope": {"dm.read users.read offline.access"},
		"state": {"s1"}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
		"user_id": {"42"}, "decision": {"allow"}}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.PostForm(base+"/i/oauth2/authorize", form)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, _ := url.Parse(res.Header.Get("Location"))
	if loc.Query().Get("state") != "s1" || loc.Query().Get("code") == "" {
		t.Fatalf("consent redirect: %s", loc)
	}
	code, body := token(t, base, url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
		"redirect_uri": {"https://parley.test/cb"}, "code_verifier": {verifier}})
	if verifier == strings.Repeat("v", 43) && code != 200 {
		t.Fatalf("exchange: %d %v", code, body)
	}
	body["_status"] = float64(code)
	return body
}

func token(t *testing.T, base string, form url.Values) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/2/oauth2/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("app", "secret")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

func TestOAuthRotationAndExpiry(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	e := xemu.New(xemu.Options{Now: func() time.Time { return now }})
	e.AddAccount("42", "acme", "Acme", "seeded")
	e.RegisterClient(xemu.OAuthClient{ID: "app", Secret: "secret", RedirectURIs: []string{"https://parley.test/cb"}})
	srv := httptest.NewServer(e)
	defer srv.Close()

	if bad := grant(t, srv.URL, strings.Repeat("w", 43)); bad["_status"] != float64(400) || bad["error"] != "invalid_request" {
		t.Fatalf("PKCE mismatch: %v", bad)
	}
	tok := grant(t, srv.URL, strings.Repeat("v", 43))
	if tok["expires_in"] != float64(7200) || tok["refresh_token"] == nil || tok["token_type"] != "bearer" {
		t.Fatalf("token: %v", tok)
	}
	me := func(access string) int {
		req, _ := http.NewRequest("GET", srv.URL+"/2/users/me", nil)
		req.Header.Set("Authorization", "Bearer "+access)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if s := me(tok["access_token"].(string)); s != 200 {
		t.Fatalf("fresh token: %d", s)
	}
	now = now.Add(2 * time.Hour)
	if s := me(tok["access_token"].(string)); s != 401 {
		t.Fatalf("token after two hours: %d", s)
	}
	rt := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)}}
	code, next := token(t, srv.URL, rt)
	if code != 200 || next["refresh_token"] == tok["refresh_token"] || me(next["access_token"].(string)) != 200 {
		t.Fatalf("refresh: %d %v", code, next)
	}
	// Rotation: the used refresh token is dead.
	if code, again := token(t, srv.URL, rt); code != 400 || again["error"] != "invalid_request" {
		t.Fatalf("reused refresh token: %d %v", code, again)
	}
	if e.TokenCalls() != 4 {
		t.Fatalf("token calls %d", e.TokenCalls())
	}
}
