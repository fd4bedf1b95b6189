package mcpauth_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"
	"golang.org/x/oauth2"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/mcpauth"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/service"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/testsupport/mcpts"
	"github.com/parleyhq/parley/internal/testsupport/parleytest"
)

// people is the inbox app's sign-in as a test stands it in: a cookie names
// the person, and signing in is a redirect to a page outside Parley.
type people struct {
	mu sync.Mutex
	by map[string]mcpauth.Person
}

const signInPage = "https://signin.test/"

func (p *people) Current(r *http.Request) (mcpauth.Person, bool) {
	c, err := r.Cookie("person")
	if err != nil {
		return mcpauth.Person{}, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	who, ok := p.by[c.Value]
	return who, ok
}

func (p *people) SignIn(w http.ResponseWriter, r *http.Request, returnTo string) {
	http.Redirect(w, r, signInPage+"?return="+url.QueryEscape(returnTo), http.StatusFound)
}

const callback = "http://127.0.0.1:1/callback"

// fixture is a running Parley with sign-in on, and two organisations with
// a person each.
type fixture struct {
	t      *testing.T
	srv    *parleytest.Server
	url    string
	people *people
	keyA   string
	orgA   string
	orgB   string
}

func newFixture(t *testing.T, b storetest.Backend) *fixture {
	t.Helper()
	return newFixtureWith(t, b, &people{by: map[string]mcpauth.Person{}})
}

// newFixtureWith signs people in with pp, or with the inbox app's real
// sign-in when pp is nil.
func newFixtureWith(t *testing.T, b storetest.Backend, pp *people) *fixture {
	t.Helper()
	opts := server.Options{}
	if pp != nil {
		opts.People = pp
	} else {
		pp = &people{by: map[string]mcpauth.Person{}}
	}
	s := parleytest.Start(t, b, config.Config{}, "", opts)
	ctx := context.Background()
	orgA, keyA, err := s.Service.Bootstrap(ctx, "Acme", "test")
	if err != nil {
		t.Fatal(err)
	}
	orgB, _, err := s.Service.Bootstrap(ctx, "Globex", "test")
	if err != nil {
		t.Fatal(err)
	}
	pp.by["ada"] = mcpauth.Person{ID: "user_ada", Name: "Ada", OrgID: orgA.ID, OrgName: "Acme"}
	pp.by["bob"] = mcpauth.Person{ID: "user_bob", Name: "Bob", OrgID: orgB.ID, OrgName: "Globex"}
	for _, org := range []string{orgA.ID, orgB.ID} {
		if _, err := s.Service.CreateBrand(ctx, service.Caller{OrgID: org}, service.BrandInput{Name: "brand of " + org}); err != nil {
			t.Fatal(err)
		}
	}
	return &fixture{t: t, srv: s, url: s.URL, people: pp, keyA: keyA.Secret, orgA: orgA.ID, orgB: orgB.ID}
}

// browser is a person's browser, scripted: it signs in when sent to, and
// approves (or denies) the consent page.
type browser struct {
	f      *fixture
	person string
	hc     *http.Client
	// consent is the last consent page shown.
	consent string
	deny    bool
}

func (f *fixture) browser(person string) *browser {
	jar, _ := cookiejar.New(nil)
	b := &browser{f: f, person: person}
	b.hc = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return b
}

// authorize walks the authorization URL to the redirect back to the
// client and returns that redirect's query.
func (b *browser) authorize(authURL string) (url.Values, error) {
	res, err := b.hc.Get(authURL)
	if err != nil {
		return nil, err
	}
	if loc := res.Header.Get("Location"); strings.HasPrefix(loc, signInPage) {
		res.Body.Close()
		// Signing in: the inbox app sets its cookie and sends the person back.
		u, _ := url.Parse(b.f.url)
		b.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "person", Value: b.person, Path: "/"}})
		back, _ := url.Parse(loc)
		if res, err = b.hc.Get(b.f.url + back.Query().Get("return")); err != nil {
			return nil, err
		}
	}
	if loc := res.Header.Get("Location"); loc != "" {
		return redirectQuery(loc)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("authorize answered %d: %s", res.StatusCode, body)
	}
	b.consent = string(body)
	m := regexp.MustCompile(`name="request" value="([^"]+)"`).FindStringSubmatch(b.consent)
	if m == nil {
		return nil, fmt.Errorf("no consent form in %s", body)
	}
	decision := "allow"
	if b.deny {
		decision = "deny"
	}
	res, err = b.hc.PostForm(b.f.url+mcpauth.PathAuthorize, url.Values{"request": {m[1]}, "decision": {decision}})
	if err != nil {
		return nil, err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		return nil, fmt.Errorf("decision answered %d", res.StatusCode)
	}
	return redirectQuery(res.Header.Get("Location"))
}

func redirectQuery(loc string) (url.Values, error) {
	if !strings.HasPrefix(loc, callback) {
		return nil, fmt.Errorf("redirected to %q, not the registered callback", loc)
	}
	u, err := url.Parse(loc)
	if err != nil {
		return nil, err
	}
	return u.Query(), nil
}

// fetch is the SDK's AuthorizationCodeFetcher: the browser does the rest.
func (b *browser) fetch(_ context.Context, args *auth.AuthorizationArgs) (*auth.AuthorizationResult, error) {
	q, err := b.authorize(args.URL)
	if err != nil {
		return nil, err
	}
	if e := q.Get("error"); e != "" {
		return nil, fmt.Errorf("authorization refused: %s", e)
	}
	return &auth.AuthorizationResult{Code: q.Get("code"), State: q.Get("state"), Iss: q.Get("iss")}, nil
}

// TestSignInWithGoSDK: an agent given only Parley's URL discovers the
// authorization server, registers, has the person sign in and approve, and
// calls the tools as that person's organisation, all with the official Go
// SDK's OAuth client.
func TestSignInWithGoSDK(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		br := f.browser("ada")
		h, err := auth.NewAuthorizationCodeHandler(&auth.AuthorizationCodeHandlerConfig{
			DynamicClientRegistrationConfig: &auth.DynamicClientRegistrationConfig{Metadata: &oauthex.ClientRegistrationMetadata{
				RedirectURIs: []string{callback}, ClientName: "Test Agent", GrantTypes: []string{"authorization_code", "refresh_token"}}},
			RedirectURL:              callback,
			AuthorizationCodeFetcher: br.fetch,
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		cs, err := mcp.NewClient(&mcp.Implementation{Name: "agent", Version: "1"}, nil).Connect(ctx,
			&mcp.StreamableClientTransport{Endpoint: f.url + "/mcp", OAuthHandler: h, MaxRetries: -1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer cs.Close()
		for _, want := range []string{"Test Agent", "Acme", "dm:read", "dm:write", callback} {
			if !strings.Contains(br.consent, want) {
				t.Errorf("the consent page does not name %q:\n%s", want, br.consent)
			}
		}
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "list_conversations", Arguments: map[string]any{}})
		if err != nil || res.IsError {
			t.Fatalf("list_conversations with the signed-in token: %v %v", err, res)
		}
		// The token acts for Ada's organisation only.
		res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "get_conversation", Arguments: map[string]any{"conversation_id": "sapi_dm_nope"}})
		if err != nil || !res.IsError || !strings.Contains(textOf(res), "resource.not_found") {
			t.Errorf("get_conversation of an unknown id: %v %v", err, textOf(res))
		}
		ts, err := h.TokenSource(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := ts.Token()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(tok.AccessToken, "pmcp_at_") || tok.RefreshToken == "" || time.Until(tok.Expiry) > time.Hour+time.Minute {
			t.Errorf("token %+v: want a short-lived access token and a refresh token", tok)
		}
		row, err := f.srv.Store.GetOAuthToken(ctx, sha(tok.AccessToken))
		if err != nil || row.OrgID != f.orgA || row.Resource != f.url+"/mcp" || row.Scope != "dm:read dm:write" {
			t.Errorf("stored grant %+v (%v)", row, err)
		}
		// API keys keep working beside sign-in.
		if code, _ := f.mcpStatus(f.keyA); code != http.StatusOK {
			t.Errorf("API key on /mcp: %d", code)
		}
	})
}

// flow is one authorization by hand, as an attacker would vary it.
type flow struct {
	f         *fixture
	clientID  string
	verifier  string
	challenge string
}

func (f *fixture) register(t *testing.T, redirects ...string) string {
	t.Helper()
	if len(redirects) == 0 {
		redirects = []string{callback}
	}
	body, _ := json.Marshal(map[string]any{"redirect_uris": redirects, "client_name": "Agent", "grant_types": []string{"authorization_code", "refresh_token"}})
	res, err := http.Post(f.url+mcpauth.PathRegister, "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		ClientID string `json:"client_id"`
	}
	_ = json.NewDecoder(res.Body).Decode(&out)
	if res.StatusCode != http.StatusCreated || out.ClientID == "" {
		t.Fatalf("register: %d %+v", res.StatusCode, out)
	}
	return out.ClientID
}

func (f *fixture) newFlow(t *testing.T) *flow {
	v := oauth2.GenerateVerifier()
	return &flow{f: f, clientID: f.register(t), verifier: v, challenge: oauth2.S256ChallengeFromVerifier(v)}
}

func (fl *flow) authURL(mod func(url.Values)) string {
	q := url.Values{"response_type": {"code"}, "client_id": {fl.clientID}, "redirect_uri": {callback}, "state": {"st"},
		"code_challenge": {fl.challenge}, "code_challenge_method": {"S256"}, "resource": {fl.f.url + "/mcp"}, "scope": {"dm:read dm:write"}}
	if mod != nil {
		mod(q)
	}
	return fl.f.url + mcpauth.PathAuthorize + "?" + q.Encode()
}

// code runs the authorization as person and returns the code.
func (fl *flow) code(t *testing.T, person string, mod func(url.Values)) string {
	t.Helper()
	q, err := fl.f.browser(person).authorize(fl.authURL(mod))
	if err != nil {
		t.Fatal(err)
	}
	if q.Get("code") == "" || q.Get("state") != "st" || q.Get("iss") != fl.f.url {
		t.Fatalf("authorization response %v", q)
	}
	return q.Get("code")
}

type tokenAnswer struct {
	Status       int
	Error        string `json:"error"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
}

func (f *fixture) tokenCall(t *testing.T, form url.Values) tokenAnswer {
	t.Helper()
	res, err := http.PostForm(f.url+mcpauth.PathToken, form)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var a tokenAnswer
	_ = json.NewDecoder(res.Body).Decode(&a)
	a.Status = res.StatusCode
	return a
}

func (fl *flow) exchange(t *testing.T, code string, mod func(url.Values)) tokenAnswer {
	t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {fl.clientID}, "redirect_uri": {callback},
		"code_verifier": {fl.verifier}, "resource": {fl.f.url + "/mcp"}}
	if mod != nil {
		mod(form)
	}
	return fl.f.tokenCall(t, form)
}

// mcpStatus lists tools on /mcp with a bearer and returns the status and
// WWW-Authenticate.
func (f *fixture) mcpStatus(bearer string) (int, string) {
	req, _ := http.NewRequest("POST", f.url+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", "2025-11-25")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode, res.Header.Get("WWW-Authenticate")
}

// callTool calls one tool on /mcp with a bearer and returns the raw answer.
func (f *fixture) callTool(t *testing.T, bearer, tool string, args map[string]any) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": map[string]any{"name": tool, "arguments": args}})
	req, _ := http.NewRequest("POST", f.url+"/mcp", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", "2025-11-25")
	req.Header.Set("Authorization", "Bearer "+bearer)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return string(raw)
}

// TestAttacks: what an attacker varies in the flow is refused, and nothing
// is issued for it.
func TestAttacks(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)

		t.Run("401 points to the metadata", func(t *testing.T) {
			code, challenge := f.mcpStatus("")
			if code != http.StatusUnauthorized || !strings.Contains(challenge, `resource_metadata="`+f.url+`/.well-known/oauth-protected-resource/mcp"`) {
				t.Errorf("no token: %d %q", code, challenge)
			}
			code, challenge = f.mcpStatus("pmcp_at_forged")
			if code != http.StatusUnauthorized || !strings.Contains(challenge, `error="invalid_token"`) {
				t.Errorf("forged token: %d %q", code, challenge)
			}
			var prm oauthex.ProtectedResourceMetadata
			getJSON(t, f.url+"/.well-known/oauth-protected-resource/mcp", &prm)
			if prm.Resource != f.url+"/mcp" || len(prm.AuthorizationServers) != 1 || prm.AuthorizationServers[0] != f.url {
				t.Errorf("resource metadata %+v", prm)
			}
			var asm map[string]any
			getJSON(t, f.url+"/.well-known/oauth-authorization-server", &asm)
			if asm["issuer"] != f.url || fmt.Sprint(asm["code_challenge_methods_supported"]) != "[S256]" || asm["registration_endpoint"] == nil {
				t.Errorf("server metadata %v", asm)
			}
		})

		t.Run("wrong redirect", func(t *testing.T) {
			fl := f.newFlow(t)
			for _, uri := range []string{"https://evil.test/callback", callback + "/more", callback + "?x=1", "http://127.0.0.1:2/callback"} {
				res, err := f.browser("ada").hc.Get(fl.authURL(func(q url.Values) { q.Set("redirect_uri", uri) }))
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != http.StatusBadRequest || res.Header.Get("Location") != "" {
					t.Errorf("%s: %d, Location %q; want a 400 page and no redirect", uri, res.StatusCode, res.Header.Get("Location"))
				}
			}
			// Registering a non-loopback http redirect is refused too.
			body := `{"redirect_uris":["http://evil.test/cb"]}`
			res, _ := http.Post(f.url+mcpauth.PathRegister, "application/json", strings.NewReader(body))
			res.Body.Close()
			if res.StatusCode != http.StatusBadRequest {
				t.Errorf("plain-http redirect registered: %d", res.StatusCode)
			}
			// The exchange must repeat the authorization's redirect URI.
			code := fl.code(t, "ada", nil)
			if a := fl.exchange(t, code, func(v url.Values) { v.Set("redirect_uri", "http://127.0.0.1:1/other") }); a.Error != "invalid_grant" {
				t.Errorf("exchange with another redirect: %+v", a)
			}
		})

		t.Run("PKCE", func(t *testing.T) {
			fl := f.newFlow(t)
			code := fl.code(t, "ada", nil)
			if a := fl.exchange(t, code, func(v url.Values) { v.Set("code_verifier", oauth2.GenerateVerifier()) }); a.Error != "invalid_grant" || a.AccessToken != "" {
				t.Errorf("wrong verifier: %+v", a)
			}
			// plain, or no challenge at all, is refused at the authorization.
			for name, mod := range map[string]func(url.Values){
				"plain":        func(q url.Values) { q.Set("code_challenge_method", "plain") },
				"no challenge": func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") },
			} {
				q, err := f.browser("ada").authorize(fl.authURL(mod))
				if err != nil || q.Get("error") != "invalid_request" || q.Get("code") != "" {
					t.Errorf("%s: %v %v", name, q, err)
				}
			}
		})

		t.Run("code replay", func(t *testing.T) {
			fl := f.newFlow(t)
			code := fl.code(t, "ada", nil)
			first := fl.exchange(t, code, nil)
			if first.Status != http.StatusOK || first.AccessToken == "" {
				t.Fatalf("first exchange %+v", first)
			}
			if s, _ := f.mcpStatus(first.AccessToken); s != http.StatusOK {
				t.Fatalf("fresh token refused: %d", s)
			}
			if again := fl.exchange(t, code, nil); again.Error != "invalid_grant" || again.AccessToken != "" {
				t.Errorf("replayed code: %+v", again)
			}
			// The replay revokes what the first use obtained.
			if s, c := f.mcpStatus(first.AccessToken); s != http.StatusUnauthorized || !strings.Contains(c, "revoked") {
				t.Errorf("token of a replayed code: %d %q", s, c)
			}
			if a := f.tokenCall(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.RefreshToken}, "client_id": {fl.clientID}}); a.Error != "invalid_grant" {
				t.Errorf("refresh of a replayed code: %+v", a)
			}
		})

		t.Run("another client", func(t *testing.T) {
			fl := f.newFlow(t)
			code := fl.code(t, "ada", nil)
			thief := f.register(t)
			if a := fl.exchange(t, code, func(v url.Values) { v.Set("client_id", thief) }); a.Error != "invalid_grant" {
				t.Errorf("code redeemed by another client: %+v", a)
			}
		})

		t.Run("another resource", func(t *testing.T) {
			fl := f.newFlow(t)
			q, err := f.browser("ada").authorize(fl.authURL(func(q url.Values) { q.Set("resource", "https://other.test/mcp") }))
			if err != nil || q.Get("error") != "invalid_target" {
				t.Errorf("authorization for another resource: %v %v", q, err)
			}
			// A token stored for another resource (another Parley on the
			// same database, say) is refused here.
			tok := "pmcp_at_for_another_resource_0000000000000000000"
			now := time.Now()
			if err := f.srv.Store.CreateOAuthToken(context.Background(), store.OAuthToken{Hash: sha(tok), Kind: store.OAuthAccess, Family: "fam_other",
				ClientID: fl.clientID, OrgID: f.orgA, UserID: "user_ada", Scope: "dm:read dm:write", Resource: "https://other.test/mcp",
				ExpiresAt: now.Add(time.Hour), CreatedAt: now}); err != nil {
				t.Fatal(err)
			}
			if s, c := f.mcpStatus(tok); s != http.StatusUnauthorized || !strings.Contains(c, "another resource") {
				t.Errorf("token for another resource: %d %q", s, c)
			}
			expired := "pmcp_at_expired_00000000000000000000000000000000"
			if err := f.srv.Store.CreateOAuthToken(context.Background(), store.OAuthToken{Hash: sha(expired), Kind: store.OAuthAccess, Family: "fam_old",
				ClientID: fl.clientID, OrgID: f.orgA, UserID: "user_ada", Scope: "dm:read", Resource: f.url + "/mcp",
				ExpiresAt: now.Add(-time.Second), CreatedAt: now.Add(-time.Hour)}); err != nil {
				t.Fatal(err)
			}
			if s, c := f.mcpStatus(expired); s != http.StatusUnauthorized || !strings.Contains(c, "expired") {
				t.Errorf("expired token: %d %q", s, c)
			}
		})

		t.Run("other org", func(t *testing.T) {
			fl := f.newFlow(t)
			ada := fl.exchange(t, fl.code(t, "ada", nil), nil)
			bob := fl.exchange(t, fl.code(t, "bob", nil), nil)
			// Each grant belongs to the organisation of the person who
			// approved it, whatever the client: the tools act for it alone.
			rowA, _ := f.srv.Store.GetOAuthToken(context.Background(), sha(ada.AccessToken))
			rowB, _ := f.srv.Store.GetOAuthToken(context.Background(), sha(bob.AccessToken))
			if rowA.OrgID != f.orgA || rowB.OrgID != f.orgB {
				t.Fatalf("grants of %s and %s, want %s and %s", rowA.OrgID, rowB.OrgID, f.orgA, f.orgB)
			}
			// Consent posted by another person than the one it was shown to.
			br := f.browser("ada")
			if _, err := br.authorize(fl.authURL(nil)); err != nil {
				t.Fatal(err)
			}
			m := regexp.MustCompile(`name="request" value="([^"]+)"`).FindStringSubmatch(br.consent)
			bobs := f.browser("bob")
			u, _ := url.Parse(f.url)
			bobs.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "person", Value: "bob", Path: "/"}})
			res, err := bobs.hc.PostForm(f.url+mcpauth.PathAuthorize, url.Values{"request": {m[1]}, "decision": {"allow"}})
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusBadRequest || res.Header.Get("Location") != "" {
				t.Errorf("Ada's consent posted by Bob: %d %q", res.StatusCode, res.Header.Get("Location"))
			}
		})

		t.Run("refresh rotation", func(t *testing.T) {
			fl := f.newFlow(t)
			first := fl.exchange(t, fl.code(t, "ada", nil), nil)
			refresh := func(rt string) tokenAnswer {
				return f.tokenCall(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {fl.clientID}})
			}
			second := refresh(first.RefreshToken)
			if second.Status != http.StatusOK || second.RefreshToken == first.RefreshToken || second.AccessToken == "" {
				t.Fatalf("refresh: %+v", second)
			}
			if s, _ := f.mcpStatus(second.AccessToken); s != http.StatusOK {
				t.Errorf("refreshed token refused: %d", s)
			}
			// The first refresh token again: someone copied it. The grant ends.
			if a := refresh(first.RefreshToken); a.Error != "invalid_grant" {
				t.Errorf("reused refresh token: %+v", a)
			}
			if s, _ := f.mcpStatus(second.AccessToken); s != http.StatusUnauthorized {
				t.Errorf("tokens of a grant whose refresh token was replayed still work: %d", s)
			}
			if a := refresh(second.RefreshToken); a.Error != "invalid_grant" {
				t.Errorf("refresh after reuse detection: %+v", a)
			}
		})

		t.Run("revocation", func(t *testing.T) {
			fl := f.newFlow(t)
			a := fl.exchange(t, fl.code(t, "ada", nil), nil)
			res, err := http.PostForm(f.url+mcpauth.PathRevoke, url.Values{"token": {a.RefreshToken}, "client_id": {fl.clientID}})
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if s, c := f.mcpStatus(a.AccessToken); res.StatusCode != http.StatusOK || s != http.StatusUnauthorized || !strings.Contains(c, "revoked") {
				t.Errorf("revoke %d, then /mcp %d %q", res.StatusCode, s, c)
			}
		})

		t.Run("scopes", func(t *testing.T) {
			fl := f.newFlow(t)
			a := fl.exchange(t, fl.code(t, "ada", func(q url.Values) { q.Set("scope", "dm:read") }), nil)
			if a.Scope != "dm:read" {
				t.Fatalf("granted %q", a.Scope)
			}
			out := f.callTool(t, a.AccessToken, "send_dm", map[string]any{"conversation_id": "sapi_dm_x", "text": "hi"})
			if !strings.Contains(out, "auth.insufficient_scope") {
				t.Errorf("send_dm with dm:read only: %s", out)
			}
			if out := f.callTool(t, a.AccessToken, "list_accounts", map[string]any{}); strings.Contains(out, "insufficient_scope") || !strings.Contains(out, `\"data\"`) {
				t.Errorf("list_accounts with dm:read: %s", out)
			}
			q, err := f.browser("ada").authorize(fl.authURL(func(q url.Values) { q.Set("scope", "admin") }))
			if err != nil || q.Get("error") != "invalid_scope" {
				t.Errorf("unknown scope: %v %v", q, err)
			}
		})

		t.Run("denied", func(t *testing.T) {
			fl := f.newFlow(t)
			br := f.browser("ada")
			br.deny = true
			q, err := br.authorize(fl.authURL(nil))
			if err != nil || q.Get("error") != "access_denied" || q.Get("code") != "" {
				t.Errorf("denied consent: %v %v", q, err)
			}
		})
	})
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", u, res.StatusCode)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func textOf(res *mcp.CallToolResult) string {
	if res == nil {
		return ""
	}
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			return tc.Text
		}
	}
	return ""
}

func sha(v string) []byte {
	h := sha256.Sum256([]byte(v))
	return h[:]
}

// TestTypeScriptOAuth: the official TypeScript SDK's OAuth client signs in
// through the whole flow and calls a tool.
func TestTypeScriptOAuth(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.Backend{Name: "sqlite", DataDir: t.TempDir()})
	out := mcpts.Run(t, "oauth.test.mjs", "PARLEY_URL="+f.url, "PARLEY_PERSON=ada", "PARLEY_ORG=Acme")
	t.Logf("%s", out)
}

// TestSignInThroughInboxApp: the authorize step sends a person who is not
// signed in to the inbox app's sign-in, and back; their organisation is
// the one the grant acts for.
func TestSignInThroughInboxApp(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		f := newFixtureWith(t, b, nil)
		ctx := context.Background()
		ada, err := f.srv.People.Create(ctx, f.orgA, "ada@acme.test", "Ada Lovelace", store.RoleAgent)
		if err != nil {
			t.Fatal(err)
		}
		link, _, err := f.srv.People.SignInLink(ctx, f.orgA, ada.ID)
		if err != nil {
			t.Fatal(err)
		}
		fl := f.newFlow(t)
		br := f.browser("")
		res, err := br.hc.Get(fl.authURL(nil))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		signIn := res.Header.Get("Location")
		if res.StatusCode != http.StatusFound || !strings.Contains(signIn, "/signin") {
			t.Fatalf("not sent to sign in: %d %q", res.StatusCode, signIn)
		}
		u, _ := url.Parse(signIn)
		next := u.Query().Get("next")
		if !strings.HasPrefix(next, mcpauth.PathAuthorize+"?") {
			t.Fatalf("the sign-in does not return to the authorization: %q", signIn)
		}
		// The person follows their sign-in link, which returns to next.
		token := link[strings.LastIndex(link, "/")+1:]
		linkURL, _ := url.Parse(link)
		res, err = br.hc.PostForm(f.url+strings.TrimSuffix(linkURL.Path, "/"+token), url.Values{"token": {token}, "next": {next}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != next {
			t.Fatalf("sign-in answered %d to %q, want back to %q", res.StatusCode, loc, next)
		}
		q, err := br.authorize(f.url + next)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(br.consent, "Ada Lovelace") || !strings.Contains(br.consent, "Acme") {
			t.Errorf("the consent page does not name the person and organisation:\n%s", br.consent)
		}
		a := fl.exchange(t, q.Get("code"), nil)
		row, err := f.srv.Store.GetOAuthToken(ctx, sha(a.AccessToken))
		if err != nil || row.OrgID != f.orgA || row.UserID != ada.ID {
			t.Fatalf("grant %+v (%v), want Ada's in %s", row, err, f.orgA)
		}
		if s, _ := f.mcpStatus(a.AccessToken); s != http.StatusOK {
			t.Errorf("/mcp with the signed-in token: %d", s)
		}
	})
}
