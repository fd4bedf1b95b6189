package mcpauth

import (
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/oauthex"

	"github.com/parleyhq/parley/internal/store"
)

// Paths this package serves, beside /mcp.
const (
	PathResourceMetadata     = "/.well-known/oauth-protected-resource"
	PathAuthServerMetadata   = "/.well-known/oauth-authorization-server"
	PathAuthorize            = "/oauth/authorize"
	PathToken                = "/oauth/token"
	PathRegister             = "/oauth/register"
	PathRevoke               = "/oauth/revoke"
	maxFormBytes             = 64 << 10
	maxRedirectURIs          = 10
	maxRedirectURIBytes      = 2000
	maxClientNameBytes       = 200
	authorizationCodeGrant   = "authorization_code"
	refreshTokenGrant        = "refresh_token"
	pkceS256                 = "S256"
	consentAssociatedDataTag = "mcpauth-consent\x00"
)

// Register mounts the metadata documents and the authorization server's
// endpoints on mux.
func (s *Server) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+PathResourceMetadata, s.resourceMetadata)
	mux.HandleFunc("GET "+PathResourceMetadata+"/mcp", s.resourceMetadata)
	mux.HandleFunc("GET "+PathAuthServerMetadata, s.serverMetadata)
	mux.HandleFunc("POST "+PathRegister, s.register)
	mux.HandleFunc("GET "+PathAuthorize, s.authorize)
	mux.HandleFunc("POST "+PathAuthorize, s.decide)
	mux.HandleFunc("POST "+PathToken, s.token)
	mux.HandleFunc("POST "+PathRevoke, s.revoke)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// oauthError is the error body of the token, registration and revocation
// endpoints (RFC 6749 §5.2, RFC 7591 §3.2.2).
func oauthError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

// resourceMetadata is RFC 9728's document for /mcp.
func (s *Server) resourceMetadata(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, oauthex.ProtectedResourceMetadata{
		Resource:               s.resource,
		AuthorizationServers:   []string{s.issuer},
		ScopesSupported:        Scopes,
		BearerMethodsSupported: []string{"header"},
		ResourceName:           "Parley MCP",
	})
}

// serverMetadata is RFC 8414's document. Only what is implemented is
// advertised: public clients, the code grant with S256, refresh tokens.
func (s *Server) serverMetadata(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                         s.issuer,
		"authorization_endpoint":                         s.issuer + PathAuthorize,
		"token_endpoint":                                 s.issuer + PathToken,
		"registration_endpoint":                          s.issuer + PathRegister,
		"revocation_endpoint":                            s.issuer + PathRevoke,
		"scopes_supported":                               Scopes,
		"response_types_supported":                       []string{"code"},
		"grant_types_supported":                          []string{authorizationCodeGrant, refreshTokenGrant},
		"token_endpoint_auth_methods_supported":          []string{"none"},
		"revocation_endpoint_auth_methods_supported":     []string{"none"},
		"code_challenge_methods_supported":               []string{pkceS256},
		"authorization_response_iss_parameter_supported": true,
	})
}

// checkRedirectURI admits https URLs and http on loopback (native apps,
// RFC 8252 §7.3), without fragments (RFC 6749 §3.1.2).
func checkRedirectURI(raw string) error {
	if len(raw) > maxRedirectURIBytes {
		return errors.New("redirect URI too long")
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Fragment != "" || u.User != nil {
		return errors.New("a redirect URI must be an absolute URL without fragment or user info")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if h := u.Hostname(); h == "localhost" || net.ParseIP(h).IsLoopback() {
			return nil
		}
	}
	return errors.New("a redirect URI must use https, or http on a loopback address")
}

// register is dynamic client registration (RFC 7591) of public clients.
func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	var m oauthex.ClientRegistrationMetadata
	dec := json.NewDecoder(io.LimitReader(r.Body, maxFormBytes))
	if err := dec.Decode(&m); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_client_metadata", "the body must be a JSON client metadata document")
		return
	}
	if len(m.RedirectURIs) == 0 || len(m.RedirectURIs) > maxRedirectURIs {
		oauthError(w, http.StatusBadRequest, "invalid_redirect_uri", "give 1 to 10 redirect_uris")
		return
	}
	for _, u := range m.RedirectURIs {
		if err := checkRedirectURI(u); err != nil {
			oauthError(w, http.StatusBadRequest, "invalid_redirect_uri", err.Error())
			return
		}
	}
	if m.TokenEndpointAuthMethod != "" && m.TokenEndpointAuthMethod != "none" {
		// Public clients only: there is no client secret to keep or check.
		oauthError(w, http.StatusBadRequest, "invalid_client_metadata", "token_endpoint_auth_method must be none (public client with PKCE)")
		return
	}
	for _, g := range m.GrantTypes {
		if g != authorizationCodeGrant && g != refreshTokenGrant {
			oauthError(w, http.StatusBadRequest, "invalid_client_metadata", "grant_types may be authorization_code and refresh_token")
			return
		}
	}
	for _, t := range m.ResponseTypes {
		if t != "code" {
			oauthError(w, http.StatusBadRequest, "invalid_client_metadata", "response_types may only be code")
			return
		}
	}
	if len(m.ClientName) > maxClientNameBytes || strings.ContainsFunc(m.ClientName, isControl) {
		oauthError(w, http.StatusBadRequest, "invalid_client_metadata", "client_name must be at most 200 characters of text")
		return
	}
	now := s.cfg.Now().UTC()
	c := store.OAuthClient{ID: newSecret("mcpc_"), Name: m.ClientName, RedirectURIs: m.RedirectURIs, CreatedAt: now}
	if err := s.cfg.Store.CreateOAuthClient(r.Context(), c); err != nil {
		s.cfg.Logger.ErrorContext(r.Context(), "mcpauth: register client", "err", err)
		oauthError(w, http.StatusInternalServerError, "server_error", "try again")
		return
	}
	m.TokenEndpointAuthMethod = "none"
	if len(m.GrantTypes) == 0 {
		m.GrantTypes = []string{authorizationCodeGrant}
	}
	m.ResponseTypes = []string{"code"}
	writeJSON(w, http.StatusCreated, &oauthex.ClientRegistrationResponse{ClientRegistrationMetadata: m, ClientID: c.ID, ClientIDIssuedAt: now})
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// authRequest is a validated authorization request.
type authRequest struct {
	ClientID    string `json:"c"`
	ClientName  string `json:"n"`
	RedirectURI string `json:"r"`
	State       string `json:"s"`
	Challenge   string `json:"p"`
	Scope       string `json:"o"`
	PersonID    string `json:"u"`
	OrgID       string `json:"g"`
	Expires     int64  `json:"e"`
}

// parseAuthorize checks an authorization request. A bad client or redirect
// URI is shown to the person (never redirected to: RFC 6749 §4.1.2.1);
// anything else goes back to the client as an error redirect.
func (s *Server) parseAuthorize(r *http.Request, q url.Values) (ar authRequest, page string, redirectErr string) {
	ar = authRequest{ClientID: q.Get("client_id"), RedirectURI: q.Get("redirect_uri"), State: q.Get("state")}
	c, err := s.cfg.Store.GetOAuthClient(r.Context(), ar.ClientID)
	if err != nil {
		return ar, "This application is not registered with Parley.", ""
	}
	ar.ClientName = c.Name
	if !slices.Contains(c.RedirectURIs, ar.RedirectURI) {
		// Exact match only: no prefix, no defaults.
		return ar, "The redirect URI is not one this application registered.", ""
	}
	switch {
	case q.Get("response_type") != "code":
		return ar, "", "unsupported_response_type"
	case q.Get("code_challenge") == "" || q.Get("code_challenge_method") != pkceS256:
		return ar, "", "invalid_request"
	case len(q.Get("code_challenge")) != 43:
		// base64url of a SHA-256 (RFC 7636 §4.2).
		return ar, "", "invalid_request"
	case q.Get("resource") != s.resource:
		// RFC 8707: tokens are only ever for this server's /mcp.
		return ar, "", "invalid_target"
	}
	ar.Challenge = q.Get("code_challenge")
	scopes := strings.Fields(q.Get("scope"))
	if len(scopes) == 0 {
		scopes = Scopes
	}
	var granted []string
	for _, sc := range Scopes {
		if slices.Contains(scopes, sc) {
			granted = append(granted, sc)
		}
	}
	for _, sc := range scopes {
		if !slices.Contains(Scopes, sc) && sc != "offline_access" {
			return ar, "", "invalid_scope"
		}
	}
	if len(granted) == 0 {
		return ar, "", "invalid_scope"
	}
	ar.Scope = strings.Join(granted, " ")
	return ar, "", ""
}

// redirect sends the browser back to the client with params, the state and
// the issuer (RFC 9207).
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, ar authRequest, params url.Values) {
	u, _ := url.Parse(ar.RedirectURI) // registered, so it parses
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	if ar.State != "" {
		q.Set("state", ar.State)
	}
	q.Set("iss", s.issuer)
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

var consentTmpl = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Allow access to Parley</title></head>
<body><main><h1>Allow {{.Client}} to use Parley?</h1>
<p>Signed in as {{.Person}}. {{.Client}} will act for the organisation <strong id="org">{{.Org}}</strong> through Parley's MCP server:</p>
<ul id="scopes">{{range .Scopes}}<li>{{.}}</li>{{end}}</ul>
<p>It will be sent back to <code>{{.Redirect}}</code>.</p>
<form method="post" action="{{.Action}}"><input type="hidden" name="request" value="{{.Request}}">
<button name="decision" value="allow">Allow</button> <button name="decision" value="deny">Deny</button></form>
</main></body></html>
`))

var scopeText = map[string]string{
	ScopeRead:  "dm:read: read your conversations and their messages",
	ScopeWrite: "dm:write: send direct messages and mark conversations read",
}

func page(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'")
	w.WriteHeader(status)
	_ = template.Must(template.New("p").Parse(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Parley</title></head><body><main><p id="error">{{.}}</p></main></body></html>`)).Execute(w, msg)
}

// authorize shows the consent page to the signed-in person, after sending
// them to sign in first.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	ar, bad, rerr := s.parseAuthorize(r, r.URL.Query())
	if bad != "" {
		page(w, http.StatusBadRequest, bad)
		return
	}
	if rerr != "" {
		s.redirect(w, r, ar, url.Values{"error": {rerr}})
		return
	}
	p, ok := s.cfg.People.Current(r)
	if !ok {
		s.cfg.People.SignIn(w, r, r.URL.RequestURI())
		return
	}
	ar.PersonID, ar.OrgID, ar.Expires = p.ID, p.OrgID, s.cfg.Now().Add(consentTTL).Unix()
	raw, _ := json.Marshal(ar)
	sealed, err := s.cfg.Keys.Seal(raw, []byte(consentAssociatedDataTag+p.ID))
	if err != nil {
		page(w, http.StatusInternalServerError, "Something went wrong; try again.")
		return
	}
	name := ar.ClientName
	if name == "" {
		name = "An unnamed application"
	}
	var scopes []string
	for _, sc := range strings.Fields(ar.Scope) {
		scopes = append(scopes, scopeText[sc])
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY") // no clickjacking of the Allow button
	w.Header().Set("Content-Security-Policy", "default-src 'none'; form-action 'self'; frame-ancestors 'none'")
	_ = consentTmpl.Execute(w, map[string]any{"Client": name, "Person": p.Name, "Org": p.OrgName, "Scopes": scopes,
		"Redirect": ar.RedirectURI, "Action": PathAuthorize, "Request": base64.RawURLEncoding.EncodeToString(sealed)})
}

// decide takes the person's decision on the consent form, which carries
// the request sealed for them: another person, or a forged form, cannot
// post it.
func (s *Server) decide(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		page(w, http.StatusBadRequest, "The form could not be read.")
		return
	}
	p, ok := s.cfg.People.Current(r)
	if !ok {
		page(w, http.StatusUnauthorized, "Your sign-in ended; start again from the application.")
		return
	}
	sealed, err := base64.RawURLEncoding.DecodeString(r.PostForm.Get("request"))
	var ar authRequest
	if err == nil {
		var raw []byte
		if raw, err = s.cfg.Keys.Open(sealed, []byte(consentAssociatedDataTag+p.ID)); err == nil {
			err = json.Unmarshal(raw, &ar)
		}
	}
	if err != nil || ar.PersonID != p.ID || ar.OrgID != p.OrgID || s.cfg.Now().Unix() > ar.Expires {
		page(w, http.StatusBadRequest, "This consent form is not valid any more; start again from the application.")
		return
	}
	if r.PostForm.Get("decision") != "allow" {
		s.redirect(w, r, ar, url.Values{"error": {"access_denied"}})
		return
	}
	code := newSecret(codePrefix)
	now := s.cfg.Now().UTC()
	if err := s.cfg.Store.CreateOAuthCode(r.Context(), store.OAuthCode{Hash: hash(code), ClientID: ar.ClientID, OrgID: ar.OrgID, UserID: ar.PersonID,
		RedirectURI: ar.RedirectURI, Challenge: ar.Challenge, Scope: ar.Scope, Resource: s.resource, ExpiresAt: now.Add(codeTTL), CreatedAt: now}); err != nil {
		s.cfg.Logger.ErrorContext(r.Context(), "mcpauth: store code", "err", err)
		s.redirect(w, r, ar, url.Values{"error": {"server_error"}})
		return
	}
	s.redirect(w, r, ar, url.Values{"code": {code}})
}

// tokenResponse is RFC 6749 §5.1's.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the body must be application/x-www-form-urlencoded")
		return
	}
	f := r.PostForm
	switch f.Get("grant_type") {
	case authorizationCodeGrant:
		s.exchangeCode(w, r, f)
	case refreshTokenGrant:
		s.refresh(w, r, f)
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
	}
}

func (s *Server) exchangeCode(w http.ResponseWriter, r *http.Request, f url.Values) {
	ctx := r.Context()
	now := s.cfg.Now().UTC()
	c, first, err := s.cfg.Store.TakeOAuthCode(ctx, hash(f.Get("code")), now)
	if errors.Is(err, store.ErrNotFound) {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "unknown authorization code")
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	family := "mcpg_" + base64.RawURLEncoding.EncodeToString(c.Hash[:12])
	switch {
	case !first:
		// A replayed code: revoke what the first use obtained (RFC 6749
		// §4.1.2), since one of the two holders is not the client.
		if err := s.cfg.Store.RevokeOAuthFamily(ctx, family, now); err != nil {
			s.cfg.Logger.ErrorContext(ctx, "mcpauth: revoke after code replay", "err", err)
		}
		oauthError(w, http.StatusBadRequest, "invalid_grant", "the authorization code was already used")
		return
	case !now.Before(c.ExpiresAt):
		oauthError(w, http.StatusBadRequest, "invalid_grant", "the authorization code expired")
		return
	case f.Get("client_id") != c.ClientID:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "the code was issued to another client")
		return
	case f.Get("redirect_uri") != c.RedirectURI:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri differs from the authorization request's")
		return
	case !pkceMatches(f.Get("code_verifier"), c.Challenge):
		oauthError(w, http.StatusBadRequest, "invalid_grant", "code_verifier does not match the code_challenge")
		return
	case f.Get("resource") != "" && f.Get("resource") != c.Resource:
		oauthError(w, http.StatusBadRequest, "invalid_target", "the code was issued for "+c.Resource)
		return
	}
	s.issue(w, r, store.OAuthToken{Family: family, ClientID: c.ClientID, OrgID: c.OrgID, UserID: c.UserID, Scope: c.Scope, Resource: c.Resource})
}

// pkceMatches is RFC 7636 §4.6 for S256, with the verifier's own rules
// (43-128 unreserved characters).
func pkceMatches(verifier, challenge string) bool {
	if len(verifier) < 43 || len(verifier) > 128 || strings.ContainsFunc(verifier, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~", r))
	}) {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) == 1
}

func (s *Server) refresh(w http.ResponseWriter, r *http.Request, f url.Values) {
	ctx := r.Context()
	now := s.cfg.Now().UTC()
	h := hash(f.Get("refresh_token"))
	t, err := s.cfg.Store.GetOAuthToken(ctx, h)
	if errors.Is(err, store.ErrNotFound) || (err == nil && t.Kind != store.OAuthRefresh) {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "unknown refresh token")
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	switch {
	case t.ClientID != f.Get("client_id"):
		oauthError(w, http.StatusBadRequest, "invalid_grant", "the refresh token was issued to another client")
		return
	case t.RevokedAt != nil:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "the refresh token was revoked")
		return
	case !now.Before(t.ExpiresAt):
		oauthError(w, http.StatusBadRequest, "invalid_grant", "the refresh token expired")
		return
	case f.Get("resource") != "" && f.Get("resource") != t.Resource:
		oauthError(w, http.StatusBadRequest, "invalid_target", "the grant is for "+t.Resource)
		return
	}
	if err := s.cfg.Store.UseOAuthToken(ctx, h, now); err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.serverError(w, r, err)
			return
		}
		// A rotated refresh token used again: someone holds a copy. Revoke
		// the whole grant (OAuth 2.1 §4.3.1, refresh token rotation).
		if err := s.cfg.Store.RevokeOAuthFamily(ctx, t.Family, now); err != nil {
			s.cfg.Logger.ErrorContext(ctx, "mcpauth: revoke after refresh replay", "err", err)
		}
		oauthError(w, http.StatusBadRequest, "invalid_grant", "the refresh token was already used; the grant is revoked")
		return
	}
	t.Hash, t.UsedAt, t.RevokedAt = nil, nil, nil
	s.issue(w, r, t)
}

// issue stores and answers a new access and refresh token of a grant.
func (s *Server) issue(w http.ResponseWriter, r *http.Request, g store.OAuthToken) {
	now := s.cfg.Now().UTC()
	access, refresh := newSecret(accessPrefix), newSecret(refreshPrefix)
	at, rt := g, g
	at.Hash, at.Kind, at.ExpiresAt, at.CreatedAt = hash(access), store.OAuthAccess, now.Add(s.cfg.AccessTTL), now
	rt.Hash, rt.Kind, rt.ExpiresAt, rt.CreatedAt = hash(refresh), store.OAuthRefresh, now.Add(s.cfg.RefreshTTL), now
	err := s.cfg.Store.InTx(r.Context(), func(st store.Store, _ *sql.Tx) error {
		if err := st.CreateOAuthToken(r.Context(), at); err != nil {
			return err
		}
		return st.CreateOAuthToken(r.Context(), rt)
	})
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, tokenResponse{AccessToken: access, TokenType: "Bearer", ExpiresIn: int(s.cfg.AccessTTL / time.Second),
		RefreshToken: refresh, Scope: g.Scope})
}

// revoke is RFC 7009: revoking either token of a grant ends the grant.
// Unknown tokens are answered 200 too, so the endpoint tells nothing.
func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the body must be application/x-www-form-urlencoded")
		return
	}
	t, err := s.cfg.Store.GetOAuthToken(r.Context(), hash(r.PostForm.Get("token")))
	if err == nil && t.ClientID == r.PostForm.Get("client_id") {
		if err := s.cfg.Store.RevokeOAuthFamily(r.Context(), t.Family, s.cfg.Now().UTC()); err != nil {
			s.serverError(w, r, err)
			return
		}
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

func (s *Server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	s.cfg.Logger.ErrorContext(r.Context(), "mcpauth: internal error", "err", err)
	oauthError(w, http.StatusInternalServerError, "server_error", "try again")
}
