// Package metaoauth emulates Meta's OAuth for the Graph and WhatsApp
// emulators: Facebook Login's dialog and token endpoints, debug_token, and
// Instagram Login's authorization window, code exchange, long-lived
// exchange and refresh, with real paths, answers and error bodies.
//
// Hosts mount its routes (Mount), ask it about tokens in their gates
// (Dead) and let its new tokens act for their assets (Config.OnGrant).
package metaoauth

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/emulator/emukit"
)

// Token lifetimes. Facebook Login: short-lived user tokens "about an
// hour", long-lived ones "about 60 days"
// (https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived);
// Instagram Login: short-lived one hour, long-lived 60 days, refreshable
// when "at least 24 hours old but not expired"
// (https://developers.facebook.com/documentation/instagram-platform/reference/refresh_access_token).
// Codes: "expire after 10 minutes" is Facebook Login's manual-flow figure
// as integrators quote it (ASSUMED).
const (
	ShortTTL      = time.Hour
	LongTTL       = 60 * 24 * time.Hour
	MinRefreshAge = 24 * time.Hour
	codeTTL       = 10 * time.Minute
)

// Token types debug_token reports.
const (
	TypeUser       = "USER"
	TypePage       = "PAGE"
	TypeSystemUser = "SYSTEM_USER"
)

// App is a Meta (or Instagram) app registered with the emulator.
type App struct {
	ID, Secret   string
	RedirectURIs []string
	// Instagram marks an Instagram app (Instagram Login), whose id is used
	// on www.instagram.com and api.instagram.com.
	Instagram bool
	// Configs are Facebook Login for Business configurations by id.
	Configs map[string]LoginConfig
	// DeauthorizeURL receives a signed_request POST when a user removes
	// the app (RemoveApp).
	DeauthorizeURL string
}

// LoginConfig is a Facebook Login for Business configuration: the
// permissions it asks, and whether it yields a Business Integration System
// User token (which does not expire) rather than a user token.
type LoginConfig struct {
	Scopes     []string
	SystemUser bool
}

// User is a person (or, for Instagram Login, a professional account) who
// can sign in. Grants lists, per permission, the assets it reaches: Page
// ids for pages_*, WABA ids for whatsapp_*.
type User struct {
	ID, Name string
	Grants   map[string][]string
	// Instagram marks an Instagram professional account, who signs in on
	// Instagram's window rather than Facebook's dialog.
	Instagram bool
}

// Token is an issued access token as debug_token describes it.
type Token struct {
	Value    string
	Type     string
	AppID    string
	UserID   string
	Scopes   []string
	Granular map[string][]string
	Issued   time.Time
	Expires  time.Time // zero: never
	// PageID is the Page a PAGE token acts for.
	PageID string
	// Instagram marks an Instagram Login token; UserID is then the
	// professional account's id.
	Instagram bool
	// dead is the 190 subcode once the token is invalidated.
	dead int
}

// Config builds a Server.
type Config struct {
	Now func() time.Time
	// OnGrant is told about every token issued (without the lock held), so
	// the host lets it act for its assets.
	OnGrant func(Token)
	// Client posts deauthorize callbacks; http.DefaultClient when nil.
	Client *http.Client
}

// Server is Meta's OAuth side. Safe for concurrent use.
type Server struct {
	cfg Config

	mu     sync.Mutex
	apps   map[string]App
	users  map[string]User
	codes  map[string]code
	tokens map[string]*Token
	pages  map[string]string // user|page → page token
}

type code struct {
	app, user, redirect string
	scopes              []string
	system              bool
	expires             time.Time
}

// New returns an empty server.
func New(cfg Config) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Client == nil {
		cfg.Client = http.DefaultClient
	}
	return &Server{cfg: cfg, apps: map[string]App{}, users: map[string]User{}, codes: map[string]code{},
		tokens: map[string]*Token{}, pages: map[string]string{}}
}

// RegisterApp registers (or replaces) an app.
func (s *Server) RegisterApp(a App) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apps[a.ID] = a
}

// AddUser registers (or replaces) a user who can sign in.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.ID] = u
}

// Mount registers the OAuth routes with a host's router (public routes:
// these endpoints authenticate with client credentials or their own token).
func (s *Server) Mount(handle func(pattern string, h http.HandlerFunc)) {
	handle("GET /dialog/oauth", s.dialog)
	handle("POST /dialog/oauth", s.consent)
	handle("GET /oauth/authorize", s.dialog)
	handle("POST /oauth/authorize", s.consent)
	handle("GET /oauth/access_token", s.accessToken)
	handle("POST /oauth/access_token", s.accessToken)
	handle("GET /debug_token", s.debugToken)
	handle("GET /access_token", s.igExchange)
	handle("GET /refresh_access_token", s.igRefresh)
}

// Lookup returns a live or dead token's record.
func (s *Server) Lookup(value string) (Token, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[value]
	if !ok {
		return Token{}, false
	}
	return *t, true
}

// Dead reports how Graph refuses a token this server issued: 190 with the
// subcode (463 expired; 458 app removed; 460 password changed), or ok
// false for a live token or one it does not know.
func (s *Server) Dead(value string) (Error, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[value]
	if !ok {
		return Error{}, false
	}
	if e, dead := s.deadLocked(t); dead {
		return e, true
	}
	return Error{}, false
}

func (s *Server) deadLocked(t *Token) (Error, bool) {
	switch {
	case t.dead == 458:
		return errAppRemoved(t.AppID), true
	case t.dead == 460:
		return errPasswordChanged, true
	case t.dead != 0 || (!t.Expires.IsZero() && !s.cfg.Now().Before(t.Expires)):
		return errExpired, true
	}
	return Error{}, false
}

// PageToken returns the Page token a live user token yields for a Page it
// was granted (the same one on every call, as /me/accounts answers), or
// false.
func (s *Server) PageToken(userToken, pageID string) (string, bool) {
	s.mu.Lock()
	t, ok := s.tokens[userToken]
	if !ok || t.Type != TypeUser {
		s.mu.Unlock()
		return "", false
	}
	if _, dead := s.deadLocked(t); dead || !granted(t, pageID) {
		s.mu.Unlock()
		return "", false
	}
	key := t.UserID + "|" + pageID
	if v, ok := s.pages[key]; ok && s.tokens[v].dead == 0 {
		s.mu.Unlock()
		return v, true
	}
	// "If you used a long-lived User access token, the Page access token
	// has no expiration date" (https://developers.facebook.com/docs/pages/access-tokens/).
	pt := &Token{Value: "EAAP" + emukit.RandomToken(), Type: TypePage, AppID: t.AppID, UserID: t.UserID, Scopes: slices.Clone(t.Scopes),
		Granular: t.Granular, Issued: s.cfg.Now(), PageID: pageID}
	if !t.Expires.IsZero() && t.Expires.Sub(t.Issued) <= ShortTTL {
		pt.Expires = t.Expires
	}
	s.tokens[pt.Value] = pt
	s.pages[key] = pt.Value
	c := *pt
	s.mu.Unlock()
	s.grant(c)
	return c.Value, true
}

// PageIDs are the Pages a live user token was granted, in order.
func (s *Server) PageIDs(userToken string) ([]string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[userToken]
	if !ok || t.Type != TypeUser {
		return nil, false
	}
	if _, dead := s.deadLocked(t); dead {
		return nil, false
	}
	var ids []string
	for scope, targets := range t.Granular {
		if strings.HasPrefix(scope, "pages_") {
			for _, id := range targets {
				if !slices.Contains(ids, id) {
					ids = append(ids, id)
				}
			}
		}
	}
	sort.Strings(ids)
	return ids, true
}

func granted(t *Token, pageID string) bool {
	for scope, targets := range t.Granular {
		if strings.HasPrefix(scope, "pages_") && slices.Contains(targets, pageID) {
			return true
		}
	}
	return false
}

func (s *Server) grant(t Token) {
	if s.cfg.OnGrant != nil {
		s.cfg.OnGrant(t)
	}
}

// RemoveApp is the user removing the app in their settings: every token
// of theirs for it dies (190/458), and Meta posts a signed_request to the
// app's deauthorize callback
// (https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow/#deauth-callback),
// whose error, if any, is returned.
func (s *Server) RemoveApp(userID, appID string) error {
	s.mu.Lock()
	for _, t := range s.tokens {
		if t.UserID == userID && t.AppID == appID {
			t.dead = 458
		}
	}
	app, ok := s.apps[appID]
	now := s.cfg.Now()
	s.mu.Unlock()
	if !ok || app.DeauthorizeURL == "" {
		return nil
	}
	form := url.Values{"signed_request": {SignRequest(app.Secret, map[string]any{"algorithm": "HMAC-SHA256", "issued_at": now.Unix(), "user_id": userID})}}
	res, err := s.cfg.Client.PostForm(app.DeauthorizeURL, form)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("metaoauth: deauthorize callback answered %d", res.StatusCode)
	}
	return nil
}

// ChangePassword invalidates every token of the user (190/460).
func (s *Server) ChangePassword(userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tokens {
		if t.UserID == userID {
			t.dead = 460
		}
	}
}

// RemovePermission takes one permission back from every token of the user
// for the app, as unticking it in the app's settings does.
func (s *Server) RemovePermission(userID, appID, scope string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tokens {
		if t.UserID == userID && t.AppID == appID {
			t.Scopes = slices.DeleteFunc(slices.Clone(t.Scopes), func(x string) bool { return x == scope })
			g := map[string][]string{}
			for k, v := range t.Granular {
				if k != scope {
					g[k] = v
				}
			}
			t.Granular = g
		}
	}
}

// SignRequest makes a signed_request the way Meta does: base64url of the
// HMAC-SHA256 of the base64url JSON payload, a dot, the payload.
func SignRequest(secret string, payload any) string {
	b, _ := json.Marshal(payload)
	p := base64.RawURLEncoding.EncodeToString(b)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(p))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)) + "." + p
}

var consentPage = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Brand}} (emulator)</title></head>
<body><main><h1>{{.App}} is requesting access to your {{.Brand}} account</h1>
<p>Permissions: {{range .Scopes}}<code>{{.}}</code> {{end}}</p>
<form method="post" action="{{.Action}}">
{{range $k, $v := .Hidden}}<input type="hidden" name="{{$k}}" value="{{$v}}">
{{end}}<label>Continue as <select name="user_id">{{range .Users}}<option value="{{.ID}}">{{.Name}}</option>{{end}}</select></label>
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Cancel</button>
</form></main></body></html>
`))

// dialog shows the consent page. An unknown app or a redirect URI that is
// not registered is shown, never redirected to (RFC 6749 §4.1.2.1); Meta
// says "URL Blocked" for the latter.
func (s *Server) dialog(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	app, ok := s.apps[q.Get("client_id")]
	ig := r.URL.Path == "/oauth/authorize" || strings.HasSuffix(r.URL.Path, "/oauth/authorize")
	var users []User
	for _, u := range s.users {
		if u.Instagram == ig {
			users = append(users, u)
		}
	}
	s.mu.Unlock()
	if !ok || app.Instagram != ig {
		http.Error(w, "Invalid App ID: The provided app ID does not look like a valid app ID.", http.StatusBadRequest)
		return
	}
	if !slices.Contains(app.RedirectURIs, q.Get("redirect_uri")) {
		http.Error(w, "URL Blocked: This redirect failed because the redirect URI is not whitelisted in the app's Client OAuth Settings.", http.StatusBadRequest)
		return
	}
	scopes := splitScopes(q.Get("scope"))
	if cid := q.Get("config_id"); cid != "" {
		cfg, ok := app.Configs[cid]
		if !ok {
			http.Error(w, "Invalid config_id", http.StatusBadRequest)
			return
		}
		scopes = cfg.Scopes
	}
	if q.Get("response_type") != "code" {
		emukit.RedirectWith(w, r, q.Get("redirect_uri"), url.Values{"error": {"unsupported_response_type"}, "state": {q.Get("state")}})
		return
	}
	sort.Slice(users, func(i, j int) bool { return users[i].ID < users[j].ID })
	hidden := map[string]string{}
	for _, k := range []string{"client_id", "redirect_uri", "state", "scope", "config_id"} {
		hidden[k] = q.Get(k)
	}
	brand, action := "Facebook", "/dialog/oauth"
	if ig {
		brand, action = "Instagram", "/oauth/authorize"
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = consentPage.Execute(w, map[string]any{"Brand": brand, "App": app.ID, "Scopes": scopes, "Hidden": hidden, "Users": users, "Action": action})
}

func splitScopes(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}

// consent is the form's answer. Cancel redirects with Facebook Login's
// documented denial, "error_reason=user_denied&error=access_denied&error_description=Permissions+error"
// (manual-flow guide, "Handling Login Dialog Response").
func (s *Server) consent(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	f := r.PostForm
	s.mu.Lock()
	app, ok := s.apps[f.Get("client_id")]
	u, known := s.users[f.Get("user_id")]
	s.mu.Unlock()
	if !ok || !slices.Contains(app.RedirectURIs, f.Get("redirect_uri")) || !known || u.Instagram != app.Instagram {
		http.Error(w, "URL Blocked", http.StatusBadRequest)
		return
	}
	if f.Get("decision") != "allow" {
		emukit.RedirectWith(w, r, f.Get("redirect_uri"), url.Values{"error": {"access_denied"}, "error_reason": {"user_denied"},
			"error_description": {"Permissions error"}, "state": {f.Get("state")}})
		return
	}
	c := code{app: app.ID, user: f.Get("user_id"), redirect: f.Get("redirect_uri"), scopes: splitScopes(f.Get("scope")),
		expires: s.cfg.Now().Add(codeTTL)}
	if cfg, ok := app.Configs[f.Get("config_id")]; ok && f.Get("config_id") != "" {
		c.scopes, c.system = cfg.Scopes, cfg.SystemUser
	}
	value := "AQ" + emukit.RandomToken()
	s.mu.Lock()
	s.codes[value] = c
	s.mu.Unlock()
	v := url.Values{"code": {value}, "state": {f.Get("state")}}
	if app.Instagram {
		// "Note that we #_ append to the end of the redirect URI"
		// (https://developers.facebook.com/docs/instagram-platform/reference/oauth-authorize);
		// a browser keeps it out of the request.
		u, _ := url.Parse(f.Get("redirect_uri"))
		q := u.Query()
		for k, vs := range v {
			q[k] = vs
		}
		u.RawQuery = q.Encode()
		http.Redirect(w, r, u.String()+"#_", http.StatusFound)
		return
	}
	emukit.RedirectWith(w, r, f.Get("redirect_uri"), v)
}

// params merges the query and a form body, as Graph reads both.
func params(r *http.Request) url.Values {
	_ = r.ParseForm()
	return r.Form
}

// issue makes a token for a user, with the granular scopes the user's
// grants give the permissions.
func (s *Server) issueLocked(appID, userID, typ string, scopes []string, ttl time.Duration) *Token {
	now := s.cfg.Now()
	t := &Token{Value: "EAAG" + emukit.RandomToken(), Type: typ, AppID: appID, UserID: userID, Scopes: slices.Clone(scopes),
		Granular: map[string][]string{}, Issued: now}
	if s.apps[appID].Instagram {
		t.Value, t.Instagram = "IGAA"+emukit.RandomToken(), true
	}
	if ttl > 0 {
		t.Expires = now.Add(ttl)
	}
	for _, sc := range scopes {
		if targets := s.users[userID].Grants[sc]; len(targets) > 0 {
			t.Granular[sc] = slices.Clone(targets)
		}
	}
	s.tokens[t.Value] = t
	return t
}

// accessToken serves /oauth/access_token: Facebook Login's code exchange
// (client_id, client_secret, redirect_uri, code) and fb_exchange_token, and
// Instagram Login's code exchange (POST, grant_type=authorization_code, on
// api.instagram.com).
func (s *Server) accessToken(w http.ResponseWriter, r *http.Request) {
	p := params(r)
	s.mu.Lock()
	app, ok := s.apps[p.Get("client_id")]
	s.mu.Unlock()
	if !ok || !hmac.Equal([]byte(app.Secret), []byte(p.Get("client_secret"))) {
		if ok && app.Instagram {
			writeJSON(w, http.StatusBadRequest, igError("Invalid Client Secret"))
			return
		}
		writeError(w, errClientSecret)
		return
	}
	if p.Get("grant_type") == "fb_exchange_token" {
		s.fbExchange(w, app, p.Get("fb_exchange_token"))
		return
	}
	s.mu.Lock()
	c, ok := s.codes[p.Get("code")]
	delete(s.codes, p.Get("code")) // single use, whatever the outcome
	var t Token
	var bad Error
	switch {
	case !ok || c.app != app.ID:
		bad = errCodeUsed
	case !s.cfg.Now().Before(c.expires):
		bad = errCodeExpired
	case c.redirect != p.Get("redirect_uri"):
		bad = errRedirectMismatch
	default:
		ttl, typ := ShortTTL, TypeUser
		if c.system {
			ttl, typ = 0, TypeSystemUser
		}
		t = *s.issueLocked(app.ID, c.user, typ, c.scopes, ttl)
	}
	s.mu.Unlock()
	if bad.Code != 0 {
		if app.Instagram {
			writeJSON(w, http.StatusBadRequest, igError("Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request"))
			return
		}
		writeError(w, bad)
		return
	}
	s.grant(t)
	if app.Instagram {
		// Documented wrapped in data[] (business-login page); the emulator
		// answers as Instagram's endpoint does in integrators' captures,
		// flat, with user_id a number.
		writeJSON(w, http.StatusOK, map[string]any{"access_token": t.Value, "user_id": json.Number(t.UserID), "permissions": t.Scopes})
		return
	}
	out := map[string]any{"access_token": t.Value, "token_type": "bearer"}
	if !t.Expires.IsZero() {
		out["expires_in"] = int(t.Expires.Sub(t.Issued) / time.Second)
	}
	writeJSON(w, http.StatusOK, out)
}

// fbExchange trades a live user token for a long-lived one
// ({"access_token","token_type":"bearer","expires_in"}, get-long-lived
// guide). "You can not use an expired token to request a long-lived token."
func (s *Server) fbExchange(w http.ResponseWriter, app App, short string) {
	s.exchange(w, short, func(t *Token) bool { return t.AppID == app.ID && t.Type == TypeUser }, nil)
}

// exchange is the one path of the token trades (Facebook's long-lived
// token, Instagram's exchange and refresh): the token named value, if
// eligible says it may be traded (under s.mu) and it is alive, becomes a
// new long-lived user token of the same user and scopes. refuse, when set,
// turns a live token down for the endpoint's own reason. Anything else is
// the invalid-token error, as Graph answers it.
func (s *Server) exchange(w http.ResponseWriter, value string, eligible func(*Token) bool, refuse func(*Token) (Error, bool)) {
	s.mu.Lock()
	t, ok := s.tokens[value]
	var long Token
	bad := errInvalidToken
	if ok && eligible(t) {
		e, refused := s.deadLocked(t)
		if !refused && refuse != nil {
			e, refused = refuse(t)
		}
		if refused {
			bad = e
		} else {
			bad = Error{}
			long = *s.issueLocked(t.AppID, t.UserID, TypeUser, t.Scopes, LongTTL)
		}
	}
	s.mu.Unlock()
	if bad.Code != 0 {
		writeError(w, bad)
		return
	}
	s.grant(long)
	writeJSON(w, http.StatusOK, map[string]any{"access_token": long.Value, "token_type": "bearer", "expires_in": int(LongTTL / time.Second)})
}

// debugToken serves /debug_token with an app token ({app-id}|{app-secret})
// as access_token. A dead token answers 200 with is_valid false and the
// error inside data, as the debugging guide shows
// (https://developers.facebook.com/docs/facebook-login/guides/access-tokens/debugging).
func (s *Server) debugToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	appID, secret, _ := strings.Cut(q.Get("access_token"), "|")
	s.mu.Lock()
	defer s.mu.Unlock()
	app, ok := s.apps[appID]
	if !ok || !hmac.Equal([]byte(app.Secret), []byte(secret)) {
		writeError(w, errInvalidToken)
		return
	}
	t, ok := s.tokens[q.Get("input_token")]
	if !ok || t.AppID != appID {
		writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"is_valid": false, "scopes": []string{},
			"error": map[string]any{"code": 190, "message": "Invalid OAuth access token - Cannot parse access token"}}})
		return
	}
	data := map[string]any{"app_id": t.AppID, "type": t.Type, "application": app.ID, "expires_at": int64(0),
		"is_valid": true, "issued_at": t.Issued.Unix(), "scopes": t.Scopes, "user_id": t.UserID}
	if !t.Expires.IsZero() {
		data["expires_at"] = t.Expires.Unix()
	}
	var gs []map[string]any
	for _, sc := range t.Scopes {
		if targets, ok := t.Granular[sc]; ok {
			gs = append(gs, map[string]any{"scope": sc, "target_ids": targets})
		}
	}
	data["granular_scopes"] = gs
	if t.PageID != "" {
		data["profile_id"] = t.PageID
	}
	if e, dead := s.deadLocked(t); dead {
		data["is_valid"] = false
		inner := map[string]any{"code": e.Code, "message": e.Message}
		if e.Subcode != 0 {
			inner["subcode"] = e.Subcode
		}
		data["error"] = inner
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data})
}

// igExchange serves graph.instagram.com/access_token?grant_type=ig_exchange_token
// (https://developers.facebook.com/documentation/instagram-platform/reference/access_token).
func (s *Server) igExchange(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("grant_type") != "ig_exchange_token" {
		writeError(w, errParam("grant_type must be ig_exchange_token"))
		return
	}
	s.exchange(w, q.Get("access_token"), func(t *Token) bool {
		return s.apps[t.AppID].Instagram && hmac.Equal([]byte(s.apps[t.AppID].Secret), []byte(q.Get("client_secret")))
	}, nil)
}

// igRefresh serves refresh_access_token?grant_type=ig_refresh_token: a
// long-lived token at least 24 hours old and unexpired becomes a new one,
// valid 60 days from now; the old one keeps working until it expires.
func (s *Server) igRefresh(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("grant_type") != "ig_refresh_token" {
		writeError(w, errParam("grant_type must be ig_refresh_token"))
		return
	}
	now := s.cfg.Now()
	s.exchange(w, q.Get("access_token"), func(t *Token) bool {
		return s.apps[t.AppID].Instagram && t.Expires.Sub(t.Issued) >= LongTTL
	}, func(t *Token) (Error, bool) {
		// ASSUMED wording
		return errParam("Session key invalid. This token is too young to be refreshed."), now.Sub(t.Issued) < MinRefreshAge
	})
}

// Error is a Graph error body's fields.
type Error struct {
	Status  int
	Type    string
	Code    int
	Subcode int
	Message string
}

// Graph's answers (https://developers.facebook.com/docs/graph-api/guides/error-handling;
// the code-exchange wordings are those integrators quote, e.g.
// https://github.com/laravel/socialite/issues/285 for 36009).
var (
	errInvalidToken     = Error{Status: 400, Type: "OAuthException", Code: 190, Message: "Invalid OAuth access token - Cannot parse access token"}
	errExpired          = Error{Status: 400, Type: "OAuthException", Code: 190, Subcode: 463, Message: "Error validating access token: Session has expired."}
	errPasswordChanged  = Error{Status: 400, Type: "OAuthException", Code: 190, Subcode: 460, Message: "Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons."}
	errClientSecret     = Error{Status: 400, Type: "OAuthException", Code: 1, Message: "Error validating client secret."}
	errCodeUsed         = Error{Status: 400, Type: "OAuthException", Code: 100, Subcode: 36009, Message: "This authorization code has been used."}
	errCodeExpired      = Error{Status: 400, Type: "OAuthException", Code: 100, Subcode: 36007, Message: "This authorization code has expired."}
	errRedirectMismatch = Error{Status: 400, Type: "OAuthException", Code: 100, Subcode: 36008, Message: "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request"}
)

func errAppRemoved(appID string) Error {
	return Error{Status: 400, Type: "OAuthException", Code: 190, Subcode: 458,
		Message: "Error validating access token: The user has not authorized application " + appID + "."}
}

func errParam(msg string) Error {
	return Error{Status: 400, Type: "OAuthException", Code: 100, Message: msg}
}

// Body is the wire shape of e.
func (e Error) Body() map[string]any {
	inner := map[string]any{"message": e.Message, "type": e.Type, "code": e.Code, "fbtrace_id": "A" + emukit.RandomToken()[:22]}
	if e.Subcode != 0 {
		inner["error_subcode"] = e.Subcode
	}
	return map[string]any{"error": inner}
}

// igError is api.instagram.com's own error shape for the code exchange,
// {"error_type","code","error_message"}, as integrators capture it.
func igError(msg string) map[string]any {
	return map[string]any{"error_type": "OAuthException", "code": 400, "error_message": msg}
}

func writeError(w http.ResponseWriter, e Error) {
	if e.Code == 190 {
		w.Header().Set("WWW-Authenticate", `OAuth "Facebook Platform" "invalid_token" "`+e.Message+`"`)
	}
	writeJSON(w, e.Status, e.Body())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	_ = json.NewEncoder(&buf).Encode(v)
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
