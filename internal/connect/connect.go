// Package connect runs Parley's hosted connect flow (DESIGN §7): a connect
// session created with an API key, a hosted page that sends the end customer
// to the platform's consent with a sealed single-use state and PKCE, one
// callback per platform that exchanges the code, creates or reconnects the
// account and sends the customer back, and the refresh of expiring tokens.
//
// It is its own capability: it reaches the domain layer only through the
// store and the event publisher it is given.
package connect

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/events"
	"github.com/parleyhq/parley/internal/secrets"
	"github.com/parleyhq/parley/internal/store"
)

// SessionTTL is how long a connect session may be started and finished:
// long enough to sign in at the platform, short enough that a leaked link
// soon stops working (the issue asks for 10–30 minutes).
const SessionTTL = 15 * time.Minute

// Event types this package publishes.
const (
	EventAccountConnected      = events.EventAccountConnected
	EventAccountReauthRequired = events.EventAccountReauthRequired
	EventAccountDisconnected   = events.EventAccountDisconn
)

// Error codes the end customer's return carries (redirect_url?error=…).
const (
	ErrDenied         = "connect.denied"
	ErrExpired        = "connect.session_expired"
	ErrUsed           = "connect.session_used"
	ErrStateInvalid   = "connect.state_invalid"
	ErrStateReplayed  = "connect.state_replayed"
	ErrExchangeFailed = "connect.exchange_failed"
	ErrWrongAccount   = "connect.wrong_account"
	ErrPlatform       = "connect.platform_error"
	// ErrNothingGranted: the token reaches no account that can message
	// (no Page, no Instagram account, no number, no organisation).
	ErrNothingGranted = "connect.nothing_granted"
	// ErrBrowserMismatch: the callback came to another browser than the
	// one that opened the hosted page.
	ErrBrowserMismatch = "connect.browser_mismatch"
	ErrNotConfigured   = "connect.not_configured"
)

// Reasons an account.reauth_required event carries.
const (
	ReasonExpired           = "expired"
	ReasonRevoked           = "revoked"
	ReasonPermissionRemoved = "permission_removed"
	ReasonRefreshFailed     = "refresh_failed"
)

// Publisher records an event for an organisation (service.Service.Publish).
type Publisher func(ctx context.Context, orgID, typ, dedupeKey string, data any) error

// XApp is the X developer app Parley connects accounts through.
type XApp struct {
	ClientID     string
	ClientSecret string
	// AuthorizeURL is X's consent page (https://x.com/i/oauth2/authorize).
	AuthorizeURL string
	// APIURL is the API root serving /2/oauth2/token and /2/users/me.
	APIURL string
}

// MetaApp is the Meta app Messenger, Instagram through Facebook Login and
// WhatsApp are connected through. AppSecret is also the key of its
// webhooks, deauthorize and data-deletion callbacks.
type MetaApp struct {
	AppID     string
	AppSecret string
	// AuthorizeURL is Facebook Login's dialog
	// (https://www.facebook.com/v23.0/dialog/oauth).
	AuthorizeURL string
	// ConfigID is a Facebook Login for Business configuration, sent
	// instead of scopes when set.
	ConfigID string
	// GraphURL is graph.facebook.com's root.
	GraphURL string
	// WhatsApp's Embedded Signup: its configuration, dialog and API root.
	WhatsAppConfigID     string
	WhatsAppAuthorizeURL string
	WhatsAppURL          string
}

// InstagramApp is the Instagram app of Instagram Login (its own id and
// secret, not the Meta app's).
type InstagramApp struct {
	AppID     string
	AppSecret string
	// AuthorizeURL is https://www.instagram.com/oauth/authorize.
	AuthorizeURL string
	// TokenURL is https://api.instagram.com/oauth/access_token.
	TokenURL string
	// GraphURL is graph.instagram.com's root.
	GraphURL string
}

// LinkedInApp is the LinkedIn app organisations are connected through.
type LinkedInApp struct {
	ClientID     string
	ClientSecret string
	// AuthorizeURL is https://www.linkedin.com/oauth/v2/authorization; the
	// token endpoint is on the same host.
	AuthorizeURL string
	// APIURL is https://api.linkedin.com.
	APIURL string
}

// Config builds a Connect.
type Config struct {
	Store   store.Store
	Keys    *secrets.KeyRing
	Publish Publisher
	// PublicURL is where browsers reach this Parley (hosted pages and the
	// callbacks registered with each platform).
	PublicURL string
	X         XApp
	Meta      MetaApp
	Instagram InstagramApp
	LinkedIn  LinkedInApp
	// HTTPClient calls the platforms; nil is http.DefaultClient.
	HTTPClient *http.Client
	// Now is the clock; nil is time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// AccountChanged is told after this package created, changed or deleted
	// an account, so what the replica cached about it is dropped
	// (service.AccountChanged); nil tells no one.
	AccountChanged func(orgID, accountID string)
	// HoldAccount takes one of the brand's account slots for session s
	// through st (a transaction) until until, if the organisation's plan
	// allows its brand one more account (plans.Plans.HoldAccountIn); a
	// refusal is an *apierr.Error (402 billing.account_limit) whose code
	// the end customer is sent back with. It runs before the platform is
	// asked for the account's webhooks, so a refused connect leaves no
	// subscription behind; the account created afterwards takes the slot.
	// nil holds with no limit. A reconnected account is not new and holds
	// nothing.
	HoldAccount func(ctx context.Context, st store.Store, s store.ConnectSession, now, until time.Time) error
}

// changed tells the replica's caches an account changed.
func (c *Connect) changed(orgID, accountID string) {
	if c.cfg.AccountChanged != nil {
		c.cfg.AccountChanged(orgID, accountID)
	}
}

// Connect serves the connect flow.
type Connect struct {
	cfg       Config
	providers map[string]provider
}

// New returns a Connect.
func New(cfg Config) *Connect {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.HoldAccount == nil {
		cfg.HoldAccount = func(ctx context.Context, st store.Store, s store.ConnectSession, now, until time.Time) error {
			_, err := st.HoldConnectSlot(ctx, s.ID, -1, now, until)
			return err
		}
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	c := &Connect{cfg: cfg}
	c.providers = map[string]provider{
		"x":         xProvider{c},
		"messenger": metaProvider{c: c, platform: "messenger"},
		"instagram": instagramProvider{c},
		"whatsapp":  whatsappProvider{c},
		"linkedin":  linkedinProvider{c},
	}
	return c
}

// Platforms that can be connected through a hosted session.
var hosted = []string{"instagram", "linkedin", "messenger", "whatsapp", "x"}

// Instagram's two APIs (graphemu and the adapter use the same names).
const (
	VariantInstagramLogin = "instagram_login"
	VariantFacebookLogin  = "facebook_login"
)

// The bodies of the connect routes, public in apitype.
type (
	SessionInput = apitype.ConnectSessionInput
	Session      = apitype.ConnectSession
	AliasInput   = apitype.ConnectAccountInput
	AliasOutput  = apitype.ConnectAccountOutput
)

// CreateSession validates in and records a pending session for orgID.
func (c *Connect) CreateSession(ctx context.Context, orgID string, in SessionInput) (Session, error) {
	p := strings.ToLower(strings.TrimSpace(in.Platform))
	switch {
	case p == "":
		return Session{}, apierr.Required("platform")
	case !contains(hosted, p):
		return Session{}, apierr.Invalid("platform", "platform %q cannot be connected through a hosted session yet", in.Platform).With("allowed", hosted)
	case in.BrandID == "":
		return Session{}, apierr.Required("brand_id")
	case c.cfg.PublicURL == "":
		return Session{}, apierr.New(http.StatusServiceUnavailable, "connect.not_configured", "PARLEY_PUBLIC_URL is not set: browsers could not reach the connect page")
	}
	variant := ""
	if p == "instagram" {
		switch in.Variant {
		case "", VariantInstagramLogin:
			variant = VariantInstagramLogin
		case VariantFacebookLogin:
			variant = VariantFacebookLogin
		default:
			return Session{}, apierr.Invalid("variant", "variant must be instagram_login or facebook_login").With("allowed", []string{VariantInstagramLogin, VariantFacebookLogin})
		}
	} else if in.Variant != "" {
		return Session{}, apierr.Invalid("variant", "only instagram has variants")
	}
	if !c.ready(p, variant) {
		return Session{}, apierr.New(http.StatusServiceUnavailable, ErrNotConfigured, "the %s app is not configured (see the README's connect section)", p)
	}
	if in.RedirectURL != "" {
		if err := checkRedirect(in.RedirectURL); err != nil {
			return Session{}, err
		}
	}
	if _, err := c.cfg.Store.GetBrand(ctx, orgID, in.BrandID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return Session{}, apierr.Invalid("brand_id", "brand %q not found", in.BrandID)
		}
		return Session{}, err
	}
	if in.AccountID != "" {
		a, err := c.cfg.Store.GetAccount(ctx, orgID, in.AccountID)
		if errors.Is(err, store.ErrNotFound) {
			return Session{}, apierr.Invalid("account_id", "account %q not found", in.AccountID)
		} else if err != nil {
			return Session{}, err
		}
		if a.Platform != p {
			return Session{}, apierr.Invalid("account_id", "account %q is a %s account, not %s", in.AccountID, a.Platform, p)
		}
	}
	secret, err := newSecret()
	if err != nil {
		return Session{}, err
	}
	now := c.cfg.Now().UTC()
	s := store.ConnectSession{ID: store.NewID("cs"), OrgID: orgID, BrandID: in.BrandID, Platform: p, AccountID: in.AccountID, Variant: variant,
		RedirectURL: in.RedirectURL, SecretHash: hashSecret(secret), Status: store.ConnectPending,
		ExpiresAt: now.Add(SessionTTL), CreatedAt: now, UpdatedAt: now}
	if err := c.cfg.Store.CreateConnectSession(ctx, s); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			// Deleted between the checks and the insert.
			return Session{}, apierr.Invalid("brand_id", "brand %q or account %q not found", in.BrandID, in.AccountID)
		}
		return Session{}, err
	}
	return Session{ID: s.ID, URL: c.cfg.PublicURL + "/connect/" + secret, ExpiresAt: s.ExpiresAt.Truncate(time.Microsecond)}, nil
}

// CreateAlias serves POST /v1/accounts/connect: a session for the org's
// brand (the only or oldest one when none is named).
func (c *Connect) CreateAlias(ctx context.Context, orgID string, in AliasInput) (AliasOutput, error) {
	if in.BrandID == "" {
		bs, err := c.cfg.Store.ListBrands(ctx, orgID, store.Page{Limit: 1})
		if err != nil {
			return AliasOutput{}, err
		}
		if len(bs) == 0 {
			return AliasOutput{}, apierr.Required("brand_id").With("reason", "the organisation has no brand yet")
		}
		in.BrandID = bs[0].ID
	}
	s, err := c.CreateSession(ctx, orgID, SessionInput{Platform: in.Platform, BrandID: in.BrandID, RedirectURL: in.RedirectURL, Variant: in.Variant})
	return AliasOutput{AuthURL: s.URL}, err
}

// checkRedirect accepts an absolute http(s) URL without a fragment, where
// the outcome's query parameters can be appended.
func checkRedirect(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || len(raw) > 2048 || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Fragment != "" || u.User != nil {
		return apierr.Invalid("redirect_url", "redirect_url must be an absolute http or https URL without credentials or fragment, at most 2048 characters")
	}
	return nil
}

// newSecret is the session's part of the hosted URL: 256 random bits.
func newSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "pcs_" + base64.RawURLEncoding.EncodeToString(b), nil
}

// hashSecret is what the store keeps of a secret: as for API keys, SHA-256
// suffices because the secret is random, not a password.
func hashSecret(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// XAPIURL is the X API root this Connect calls (tests start a second
// replica on the same emulator).
func (c *Connect) XAPIURL() string { return c.cfg.X.APIURL }

// ready reports whether the platform's app (for the variant) is set up.
func (c *Connect) ready(platform, variant string) bool {
	if ig, ok := c.providers[platform].(instagramProvider); ok {
		return ig.configuredFor(variant)
	}
	return c.providers[platform].configured()
}

// Platforms lists the platforms with a hosted connect flow (and a callback).
func Platforms() []string { return append([]string(nil), hosted...) }
