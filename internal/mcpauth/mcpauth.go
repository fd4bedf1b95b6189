// Package mcpauth is the OAuth 2.1 authorization server of Parley's MCP
// endpoint, so hosted agent clients sign in with only Parley's URL.
//
// It follows the MCP authorization specification (revision 2026-07-28,
// https://modelcontextprotocol.io/specification/2026-07-28/basic/authorization,
// read 2026-11-30): protected resource metadata (RFC 9728) that a 401 from
// /mcp points to, authorization server metadata (RFC 8414), dynamic client
// registration (RFC 7591) of public clients, the authorization code grant
// with PKCE S256 only and exact redirect URIs, resource indicators (RFC
// 8707) binding every token to /mcp, the iss response parameter (RFC 9207),
// short-lived access tokens and rotating refresh tokens with replay
// detection, and revocation (RFC 7009). Codes and tokens are random and kept
// only as SHA-256 in the store, so every replica shares them.
//
// The person is signed in by the inbox app (People); each grant belongs to
// that person's organisation and carries the scopes they approved.
package mcpauth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/secrets"
	"github.com/parleyhq/parley/internal/store"
)

// Scopes a grant may carry.
const (
	ScopeRead  = "dm:read"
	ScopeWrite = "dm:write"
)

// Scopes are all scopes, in the order they are shown.
var Scopes = []string{ScopeRead, ScopeWrite}

// Person is who signed in to the inbox app, and the organisation a grant
// they approve belongs to.
type Person struct {
	ID      string
	Name    string
	OrgID   string
	OrgName string
}

// People is the inbox app's sign-in as the authorization server uses it.
type People interface {
	// Current is the person signed in on r's browser; false when nobody is.
	Current(r *http.Request) (Person, bool)
	// SignIn answers r by sending the browser to sign in, and back to
	// returnTo (a path on this server) afterwards.
	SignIn(w http.ResponseWriter, r *http.Request, returnTo string)
}

// Lifetimes. Access tokens are short so a revoked grant ends soon even for
// a token already handed out; refresh tokens rotate on every use.
const (
	DefaultAccessTTL  = time.Hour
	DefaultRefreshTTL = 30 * 24 * time.Hour
	codeTTL           = time.Minute
	consentTTL        = 10 * time.Minute
)

// Config builds a Server.
type Config struct {
	Store store.Store
	// Keys seal the consent form, so a decision can only be posted for the
	// request the signed-in person was shown.
	Keys *secrets.KeyRing
	// PublicURL is Parley's public base URL: the issuer, and with /mcp the
	// protected resource.
	PublicURL string
	People    People
	Now       func() time.Time
	Logger    *slog.Logger
	// AccessTTL and RefreshTTL default to DefaultAccessTTL and
	// DefaultRefreshTTL.
	AccessTTL, RefreshTTL time.Duration
}

// Server is the authorization server and the resource side's verifier.
type Server struct {
	cfg      Config
	issuer   string
	resource string
}

// New returns a Server.
func New(cfg Config) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.AccessTTL <= 0 {
		cfg.AccessTTL = DefaultAccessTTL
	}
	if cfg.RefreshTTL <= 0 {
		cfg.RefreshTTL = DefaultRefreshTTL
	}
	issuer := strings.TrimRight(cfg.PublicURL, "/")
	return &Server{cfg: cfg, issuer: issuer, resource: issuer + "/mcp"}
}

// Resource is the protected resource tokens are bound to: PublicURL/mcp.
func (s *Server) Resource() string { return s.resource }

// MetadataURL is where the protected resource metadata of /mcp is served
// (RFC 9728 §3.1: the well-known prefix inserted before the path).
func (s *Server) MetadataURL() string { return s.issuer + "/.well-known/oauth-protected-resource/mcp" }

// Challenge extends the Bearer challenge of a 401 from /mcp (RFC 6750 §3,
// as REST answers it) with where the resource metadata is (RFC 9728 §5.1),
// where a hosted client starts signing in, and the scopes to ask for.
func (s *Server) Challenge(bearer string) string {
	return bearer + `, resource_metadata="` + s.MetadataURL() + `", scope="` + strings.Join(Scopes, " ") + `"`
}

// Grant is what a valid access token lets its bearer do.
type Grant struct {
	OrgID    string
	UserID   string
	ClientID string
	Family   string
	Scopes   []string
}

// Has reports whether the grant carries scope.
func (g Grant) Has(scope string) bool {
	for _, s := range g.Scopes {
		if s == scope {
			return true
		}
	}
	return false
}

// Token prefixes tell Parley's access tokens from API keys on /mcp.
const (
	accessPrefix  = "pmcp_at_"
	refreshPrefix = "pmcp_rt_"
	codePrefix    = "pmcp_ac_"
)

// IsAccessToken reports whether a bearer token is one of this server's
// access tokens rather than an API key.
func IsAccessToken(token string) bool { return strings.HasPrefix(token, accessPrefix) }

// ErrInvalidToken is why an access token is refused.
type ErrInvalidToken struct{ Reason string }

func (e ErrInvalidToken) Error() string { return e.Reason }

// Verify checks an access token for /mcp: known, of kind access, not
// revoked, not expired, and issued for this resource.
func (s *Server) Verify(ctx context.Context, token string) (Grant, error) {
	if !IsAccessToken(token) {
		return Grant{}, ErrInvalidToken{"not an access token of this server"}
	}
	t, err := s.cfg.Store.GetOAuthToken(ctx, hash(token))
	switch {
	case err == store.ErrNotFound:
		return Grant{}, ErrInvalidToken{"unknown access token"}
	case err != nil:
		return Grant{}, err
	case t.Kind != store.OAuthAccess:
		return Grant{}, ErrInvalidToken{"not an access token"}
	case t.RevokedAt != nil:
		return Grant{}, ErrInvalidToken{"the access token was revoked"}
	case !s.cfg.Now().Before(t.ExpiresAt):
		return Grant{}, ErrInvalidToken{"the access token expired"}
	case t.Resource != s.resource:
		// RFC 8707 / MCP: a token for another resource is not for us.
		return Grant{}, ErrInvalidToken{"the access token was issued for another resource"}
	}
	return Grant{OrgID: t.OrgID, UserID: t.UserID, ClientID: t.ClientID, Family: t.Family, Scopes: strings.Fields(t.Scope)}, nil
}

// newSecret is a random token with a prefix naming its kind.
func newSecret(prefix string) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

func hash(v string) []byte {
	h := sha256.Sum256([]byte(v))
	return h[:]
}
