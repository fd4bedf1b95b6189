package liemu

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/emulator/emukit"
)

// LinkedIn's 3-legged OAuth (Authorization Code Flow,
// https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow):
// the consent page at /oauth/v2/authorization, the token endpoint at
// /oauth/v2/accessToken and /oauth/v2/introspectToken, all on
// www.linkedin.com in production. A web app is a confidential client that
// sends client_id and client_secret in the form body; PKCE is offered only
// to native apps that listen on a loopback IP, enabled per app on request
// (https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow-native),
// so the emulator, like Parley, runs the plain confidential flow.

// AccessTokenTTL: "Access tokens stay valid for 60 days" (expires_in
// 5184000 in the documented answer, authorization-code-flow page above).
const AccessTokenTTL = 60 * 24 * time.Hour

// RefreshTokenTTL: programmatic refresh tokens, "available for a limited
// set of partners", live 365 days, and refreshing an access token does not
// extend them: "the lifespan … of the refresh token remains the same as
// specified in the initial OAuth flow (365 days)"
// (https://learn.microsoft.com/en-us/linkedin/shared/authentication/programmatic-refresh-tokens,
// "for all approved Marketing Developer Platform (MDP) partners").
const RefreshTokenTTL = 365 * 24 * time.Hour

// codeTTL: "The authorization code is only valid for 30 minutes"
// (authorization-code-flow page).
const codeTTL = 30 * time.Minute

// OAuthClient is a LinkedIn app registered with the emulator.
type OAuthClient struct {
	ID, Secret   string
	RedirectURIs []string
	// RefreshTokens grants refresh tokens, as LinkedIn does only for
	// approved partner programs; without it the refresh_token grant is
	// refused and tokens carry no refresh_token.
	RefreshTokens bool
}

// Member is a LinkedIn member who can sign in on the consent page and
// administers the listed organisations (urn:li:organization:N, registered
// with AddAccount).
type Member struct {
	URN       string
	FirstName string
	LastName  string
	Orgs      []string
}

type authCode struct {
	client, redirect, member, scope string
	expires                         time.Time
}

type refreshGrant struct {
	client, member, scope string
	expires               time.Time
}

// RegisterClient registers (or replaces) an app.
func (e *Emulator) RegisterClient(c OAuthClient) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.clients[c.ID] = c
}

// AddMember registers a member who may sign in; every organisation must
// exist.
func (e *Emulator) AddMember(m Member) error {
	if !personURNRe.MatchString(m.URN) || len(m.Orgs) == 0 {
		return fmt.Errorf("%w: member %q with %d organizations", ErrBadURN, m.URN, len(m.Orgs))
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, o := range m.Orgs {
		if _, ok := e.orgs[o]; !ok {
			return fmt.Errorf("%w: %s", ErrUnknownOrg, o)
		}
	}
	c := m
	c.Orgs = slices.Clone(m.Orgs)
	e.members[m.URN] = &c
	e.people[m.URN] = Person{URN: m.URN, FirstName: m.FirstName, LastName: m.LastName}
	return nil
}

func (e *Emulator) oauthRoutes() {
	e.kit.HandlePublic("GET /oauth/v2/authorization", e.authorize)
	e.kit.HandlePublic("POST /oauth/v2/authorization", e.consent)
	e.kit.HandlePublic("POST /oauth/v2/accessToken", e.accessToken)
	e.kit.HandlePublic("POST /oauth/v2/introspectToken", e.introspect)
}

var consentPage = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>LinkedIn (emulator)</title></head>
<body><main><h1>{{.Client}} would like to access your LinkedIn account</h1>
<p>Permissions: {{range .Scopes}}<code>{{.}}</code> {{end}}</p>
<form method="post" action="/oauth/v2/authorization">
{{range $k, $v := .Hidden}}<input type="hidden" name="{{$k}}" value="{{$v}}">
{{end}}<label>Sign in as <select name="member">{{range .Members}}<option value="{{.URN}}">{{.FirstName}} {{.LastName}}</option>{{end}}</select></label>
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Cancel</button>
</form></main></body></html>
`))

// authorize checks the app and redirect URI before anything else: a
// mismatch is shown, never redirected to (RFC 6749 §4.1.2.1).
func (e *Emulator) authorize(w http.ResponseWriter, r *http.Request, _ token) {
	emukit.Authorize(w, r, emukit.AuthorizePage{
		Known:   e.registered,
		Refused: "The redirect_uri does not match the registered value",
		Invalid: func(q url.Values) url.Values {
			if q.Get("scope") == "" {
				return url.Values{"error": {"invalid_scope"}, "error_description": {"Scope is required"}}
			}
			return nil
		},
		Hidden: []string{"client_id", "redirect_uri", "scope", "state"},
		Page:   consentPage,
		Data: func() map[string]any {
			e.mu.Lock()
			defer e.mu.Unlock()
			return map[string]any{"Members": emukit.Values(e.members, func(x Member) string { return x.URN })}
		},
	})
}

// registered says whether client_id is a registered client and
// redirect_uri one of its redirect URIs.
func (e *Emulator) registered(q url.Values) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.clients[q.Get("client_id")]
	return ok && slices.Contains(c.RedirectURIs, q.Get("redirect_uri"))
}

// consent is the form's answer. Cancel is LinkedIn's
// error=user_cancelled_authorize ("The user cancelled the authorization",
// authorization-code-flow page, "Failed Requests").
func (e *Emulator) consent(w http.ResponseWriter, r *http.Request, _ token) {
	emukit.Consent(w, r, emukit.ConsentForm{
		Known: func(f url.Values) bool {
			e.mu.Lock()
			_, known := e.members[f.Get("member")]
			e.mu.Unlock()
			return known && e.registered(f)
		},
		Refused: "The redirect_uri does not match the registered value",
		Denied:  url.Values{"error": {"user_cancelled_authorize"}, "error_description": {"The user cancelled the authorization"}},
		Save: func(f url.Values, code string) {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.codes[code] = authCode{client: f.Get("client_id"), redirect: f.Get("redirect_uri"), member: f.Get("member"), scope: f.Get("scope"),
				expires: e.kit.Now().Add(codeTTL)}
		},
	})
}

// badCode answers a code that is unknown, used, expired or issued to
// another app or redirect URI. ASSUMED wording: the message integrators
// quote; the docs do not list the token endpoint's errors.
const badCode = "Unable to retrieve access token: appid/redirect uri/code verifier does not match authorization code. Or authorization code expired. Or external member binding exists"

var errClient = errors.New("client authentication failed")

// clientOf authenticates client_id and client_secret from the form body,
// where LinkedIn's documented request puts them.
func (e *Emulator) clientOf(f url.Values) (OAuthClient, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.clients[f.Get("client_id")]
	if !ok || c.Secret == "" || subtle.ConstantTimeCompare([]byte(c.Secret), []byte(f.Get("client_secret"))) != 1 {
		return OAuthClient{}, errClient
	}
	return c, nil
}

type tokenAnswer struct {
	AccessToken           string `json:"access_token"`
	ExpiresIn             int    `json:"expires_in"`
	RefreshToken          string `json:"refresh_token,omitempty"`
	RefreshTokenExpiresIn int    `json:"refresh_token_expires_in,omitempty"`
	Scope                 string `json:"scope"`
}

func (e *Emulator) accessToken(w http.ResponseWriter, r *http.Request, _ token) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, emukit.OAuthError{Error: "invalid_request", Description: "Malformed request body"})
		return
	}
	f := r.PostForm
	c, err := e.clientOf(f)
	if err != nil {
		writeJSON(w, http.StatusUnauthorized, emukit.OAuthError{Error: "invalid_client", Description: "Client authentication failed"})
		return
	}
	now := e.kit.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	switch f.Get("grant_type") {
	case "authorization_code":
		code, ok := e.codes[f.Get("code")]
		delete(e.codes, f.Get("code")) // a code is single use, whatever the outcome
		if !ok || code.client != c.ID || !now.Before(code.expires) || code.redirect != f.Get("redirect_uri") {
			writeJSON(w, http.StatusBadRequest, emukit.OAuthError{Error: "invalid_request", Description: badCode})
			return
		}
		a := e.issueLocked(c, code.member, code.scope, now)
		if c.RefreshTokens {
			a.RefreshToken = emukit.RandomToken()
			a.RefreshTokenExpiresIn = int(RefreshTokenTTL / time.Second)
			e.refresh[a.RefreshToken] = refreshGrant{client: c.ID, member: code.member, scope: code.scope, expires: now.Add(RefreshTokenTTL)}
		}
		writeJSON(w, http.StatusOK, a)
	case "refresh_token":
		g, ok := e.refresh[f.Get("refresh_token")]
		if !c.RefreshTokens {
			writeJSON(w, http.StatusBadRequest, emukit.OAuthError{Error: "unauthorized_client", Description: "The client is not authorized to use refresh tokens"})
			return
		}
		if !ok || g.client != c.ID || !now.Before(g.expires) {
			// As integrators see it for an expired or revoked refresh token
			// (https://nango.dev/blog/linkedin-oauth-refresh-token-invalid-grant).
			writeJSON(w, http.StatusBadRequest, emukit.OAuthError{Error: "invalid_grant", Description: "Token has been expired or revoked."})
			return
		}
		// The refresh token is kept and its life is not extended: the
		// answer repeats it with the time it has left.
		a := e.issueLocked(c, g.member, g.scope, now)
		a.RefreshToken, a.RefreshTokenExpiresIn = f.Get("refresh_token"), int(g.expires.Sub(now)/time.Second)
		writeJSON(w, http.StatusOK, a)
	default:
		writeJSON(w, http.StatusBadRequest, emukit.OAuthError{Error: "unsupported_grant_type", Description: "Unsupported grant type"})
	}
}

// issueLocked makes a 60-day access token for a member, granting each
// organisation the member administers.
func (e *Emulator) issueLocked(c OAuthClient, member, scope string, now time.Time) tokenAnswer {
	m := e.members[member]
	a := tokenAnswer{AccessToken: emukit.RandomToken(), ExpiresIn: int(AccessTokenTTL / time.Second), Scope: scope}
	t := &token{member: member, role: RoleAdministrator, client: c.ID, scope: scope, created: now, expiry: now.Add(AccessTokenTTL)}
	if m != nil {
		t.orgs = slices.Clone(m.Orgs)
		t.org = m.Orgs[0]
	}
	e.tokens[a.AccessToken] = t
	return a
}

// introspect serves /oauth/v2/introspectToken: status active, expired or
// revoked, times in epoch seconds, scopes comma-separated, as in the
// documented sample
// (https://learn.microsoft.com/en-us/linkedin/shared/authentication/token-introspection).
func (e *Emulator) introspect(w http.ResponseWriter, r *http.Request, _ token) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, emukit.OAuthError{Error: "invalid_request", Description: "Malformed request body"})
		return
	}
	c, err := e.clientOf(r.PostForm)
	if err != nil {
		writeJSON(w, http.StatusUnauthorized, emukit.OAuthError{Error: "invalid_client", Description: "Client authentication failed"})
		return
	}
	now := e.kit.Now()
	e.mu.Lock()
	t, ok := e.tokens[r.PostForm.Get("token")]
	var tc token
	if ok {
		tc = *t
	}
	e.mu.Unlock()
	if !ok || tc.client != c.ID {
		writeJSON(w, http.StatusOK, map[string]any{"active": false})
		return
	}
	status := "active"
	switch {
	case tc.state == tokenRevoked:
		status = "revoked"
	case tc.state == tokenExpired || !now.Before(tc.expiry):
		status = "expired"
	}
	writeJSON(w, http.StatusOK, map[string]any{"active": status == "active", "client_id": c.ID, "authorized_at": tc.created.Unix(),
		"created_at": tc.created.Unix(), "status": status, "expires_at": tc.expiry.Unix(),
		"scope": strings.Join(strings.Fields(tc.scope), ","), "auth_type": "3L"})
}
