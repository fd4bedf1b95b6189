package xemu

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/emulator/emukit"
)

// OAuth 2.0 Authorization Code Flow with PKCE, as X serves it
// (https://docs.x.com/fundamentals/authentication/oauth-2-0/authorization-code):
// the consent page at /i/oauth2/authorize, the token endpoint at
// /2/oauth2/token (codes, and refresh tokens when offline.access was
// granted), and /2/oauth2/revoke.

// AccessTokenTTL is an access token's life: "the access token you create
// through the Authorization Code Flow with PKCE will only stay valid for two
// hours" (same page); expires_in says so.
const AccessTokenTTL = 2 * time.Hour

// codeTTL is how long an authorization code may be exchanged; X documents
// it as valid for 30 seconds.
const codeTTL = 30 * time.Second

// OAuthClient is an X app registered with the emulator. A client with a
// secret is confidential and must authenticate to the token endpoint with
// HTTP Basic.
type OAuthClient struct {
	ID           string
	Secret       string
	RedirectURIs []string
}

type authCode struct {
	client, redirect, challenge, method, user, scope string
	expires                                          time.Time
}

type refreshGrant struct {
	client, user, scope string
}

// RegisterClient registers (or replaces) an app.
func (e *Emulator) RegisterClient(c OAuthClient) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.clients[c.ID] = c
}

// TokenCalls counts requests to /2/oauth2/token (each grant attempt).
func (e *Emulator) TokenCalls() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.tokenCalls
}

// FailTokenNext answers the next len(statuses) token requests with X's
// transient error for each status (429, 5xx) without touching any grant.
func (e *Emulator) FailTokenNext(statuses ...int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.tokenFaults = append(e.tokenFaults, statuses...)
}

// RevokeUser revokes every access and refresh token of a user, as when the
// user removes the app from their account.
func (e *Emulator) RevokeUser(userID string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for t, u := range e.tokens {
		if u == userID {
			delete(e.tokens, t)
			delete(e.tokenExp, t)
		}
	}
	for t, g := range e.refresh {
		if g.user == userID {
			delete(e.refresh, t)
		}
	}
}

// ExpireAccessTokens ends every OAuth-issued access token now, as if two
// hours had passed; refresh tokens keep working.
func (e *Emulator) ExpireAccessTokens() {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.kit.Now()
	for t := range e.tokenExp {
		e.tokenExp[t] = now
	}
}

func (e *Emulator) oauthRoutes() {
	e.kit.HandlePublic("GET /i/oauth2/authorize", e.authorize)
	e.kit.HandlePublic("POST /i/oauth2/authorize", e.consent)
	e.kit.HandlePublic("POST /2/oauth2/token", e.token)
	e.kit.HandlePublic("POST /2/oauth2/revoke", e.revoke)
}

var consentPage = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Authorize app - X (emulator)</title></head>
<body><main><h1>{{.Client}} wants to access your X account</h1>
<p>It will be able to: {{range .Scopes}}<code>{{.}}</code> {{end}}</p>
<form method="post" action="/i/oauth2/authorize">
{{range $k, $v := .Hidden}}<input type="hidden" name="{{$k}}" value="{{$v}}">
{{end}}<label>Sign in as <select name="user_id">{{range .Users}}<option value="{{.ID}}">@{{.Username}} ({{.Name}})</option>{{end}}</select></label>
<button type="submit" name="decision" value="allow">Authorize app</button>
<button type="submit" name="decision" value="deny">Cancel</button>
</form></main></body></html>
`))

// authorize checks the request as X does before showing consent: a
// client and redirect_uri that do not match are shown an error page, never
// redirected to (RFC 6749 §4.1.2.1).
func (e *Emulator) authorize(w http.ResponseWriter, r *http.Request, _ string) {
	emukit.Authorize(w, r, emukit.AuthorizePage{
		Known:   e.registered,
		Refused: "Something went wrong: you weren't able to give access to the App. Go back and try logging in again.",
		Invalid: func(q url.Values) url.Values {
			switch method := q.Get("code_challenge_method"); {
			case q.Get("code_challenge") == "" || (method != "S256" && method != "plain"):
				// PKCE is required; "plain" and "S256" are the methods X lists.
				return url.Values{"error": {"invalid_request"}}
			case q.Get("scope") == "":
				return url.Values{"error": {"invalid_scope"}}
			}
			return nil
		},
		Hidden: []string{"client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method"},
		Page:   consentPage,
		Data: func() map[string]any {
			e.mu.Lock()
			defer e.mu.Unlock()
			return map[string]any{"Users": emukit.Values(e.users, func(x User) string { return x.ID })}
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

// consent is the form's answer: Deny returns access_denied, Allow a code.
func (e *Emulator) consent(w http.ResponseWriter, r *http.Request, _ string) {
	emukit.Consent(w, r, emukit.ConsentForm{
		Known: func(f url.Values) bool {
			e.mu.Lock()
			_, known := e.users[f.Get("user_id")]
			e.mu.Unlock()
			return known && e.registered(f)
		},
		Refused: "Something went wrong: you weren't able to give access to the App.",
		Denied:  url.Values{"error": {"access_denied"}},
		Save: func(f url.Values, code string) {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.codes[code] = authCode{client: f.Get("client_id"), redirect: f.Get("redirect_uri"), challenge: f.Get("code_challenge"),
				method: f.Get("code_challenge_method"), user: f.Get("user_id"), scope: f.Get("scope"), expires: e.kit.Now().Add(codeTTL)}
		},
	})
}

// X's token errors are emukit.OAuthError bodies (RFC 6749 §5.2), e.g.
// {"error":"invalid_request","error_description":"Value passed for the
// token was invalid."} for a refresh token already used, as integrators
// report it (https://github.com/trypostit/trypost/issues/126).

const (
	badCode  = "Value passed for the authorization code was invalid."
	badToken = "Value passed for the token was invalid."
)

// clientOf authenticates the token endpoint's caller: a confidential client
// by HTTP Basic ("Missing valid authorization header" otherwise,
// https://github.com/plhery/node-twitter-api-v2/issues/319), a public one by
// client_id in the body.
func (e *Emulator) clientOf(r *http.Request) (OAuthClient, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if id, secret, ok := r.BasicAuth(); ok {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
		c, known := e.clients[id]
		return c, known && c.Secret != "" && subtle.ConstantTimeCompare([]byte(c.Secret), []byte(secret)) == 1
	}
	c, known := e.clients[r.PostForm.Get("client_id")]
	return c, known && c.Secret == ""
}

func (e *Emulator) token(w http.ResponseWriter, r *http.Request, _ string) {
	e.mu.Lock()
	e.tokenCalls++
	var fault int
	if len(e.tokenFaults) > 0 {
		fault, e.tokenFaults = e.tokenFaults[0], e.tokenFaults[1:]
	}
	e.mu.Unlock()
	if fault != 0 {
		writeProblem(w, fault, StatusError(fault).problem())
		return
	}
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, emukit.OAuthError{Error: "invalid_request", Description: "Malformed request body."})
		return
	}
	c, ok := e.clientOf(r)
	if !ok {
		writeJSON(w, http.StatusUnauthorized, emukit.OAuthError{Error: "unauthorized_client", Description: "Missing valid authorization header"})
		return
	}
	f := r.PostForm
	now := e.kit.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	switch f.Get("grant_type") {
	case "authorization_code":
		code, ok := e.codes[f.Get("code")]
		delete(e.codes, f.Get("code")) // a code is tried once, whatever the outcome
		if !ok || code.client != c.ID || !now.Before(code.expires) || code.redirect != f.Get("redirect_uri") ||
			!pkceMatches(code.method, code.challenge, f.Get("code_verifier")) {
			writeJSON(w, http.StatusBadRequest, emukit.OAuthError{Error: "invalid_request", Description: badCode})
			return
		}
		writeJSON(w, http.StatusOK, e.issueLocked(c.ID, code.user, code.scope, now))
	case "refresh_token":
		g, ok := e.refresh[f.Get("refresh_token")]
		if !ok || g.client != c.ID {
			writeJSON(w, http.StatusBadRequest, emukit.OAuthError{Error: "invalid_request", Description: badToken})
			return
		}
		// Rotation: the refresh token works once; the answer carries the
		// next one.
		delete(e.refresh, f.Get("refresh_token"))
		writeJSON(w, http.StatusOK, e.issueLocked(c.ID, g.user, g.scope, now))
	default:
		writeJSON(w, http.StatusBadRequest, emukit.OAuthError{Error: "unsupported_grant_type", Description: "Grant type is not supported."})
	}
}

type tokenAnswer struct {
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	AccessToken  string `json:"access_token"`
	Scope        string `json:"scope"`
	RefreshToken string `json:"refresh_token,omitempty"`
}

// issueLocked makes an access token, and a refresh token when offline.access
// was granted ("If this scope is not passed, we will not generate a refresh
// token").
func (e *Emulator) issueLocked(client, user, scope string, now time.Time) tokenAnswer {
	a := tokenAnswer{TokenType: "bearer", ExpiresIn: int(AccessTokenTTL / time.Second), AccessToken: emukit.RandomToken(), Scope: scope}
	e.tokens[a.AccessToken] = user
	e.tokenExp[a.AccessToken] = now.Add(AccessTokenTTL)
	if slices.Contains(strings.Fields(scope), "offline.access") {
		a.RefreshToken = emukit.RandomToken()
		e.refresh[a.RefreshToken] = refreshGrant{client: client, user: user, scope: scope}
	}
	return a
}

// pkceMatches checks a verifier against its challenge (RFC 7636 §4.6).
func pkceMatches(method, challenge, verifier string) bool {
	if len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	if method == "plain" {
		return subtle.ConstantTimeCompare([]byte(challenge), []byte(verifier)) == 1
	}
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) == 1
}

// revoke forgets an access or refresh token. RFC 7009 §2.2: an unknown
// token is still a success.
func (e *Emulator) revoke(w http.ResponseWriter, r *http.Request, _ string) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, emukit.OAuthError{Error: "invalid_request", Description: "Malformed request body."})
		return
	}
	if _, ok := e.clientOf(r); !ok {
		writeJSON(w, http.StatusUnauthorized, emukit.OAuthError{Error: "unauthorized_client", Description: "Missing valid authorization header"})
		return
	}
	t := r.PostForm.Get("token")
	e.mu.Lock()
	delete(e.tokens, t)
	delete(e.tokenExp, t)
	delete(e.refresh, t)
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]bool{"revoked": true})
}
