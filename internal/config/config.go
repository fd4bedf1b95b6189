// Package config holds Parley's runtime configuration: one Config, its
// defaults applied in one place (WithDefaults, Defaults) and checked in one
// place (Validate). Load reads it from PARLEY_* environment variables and
// command-line flags, the one path every command of cmd/parley takes.
//
// A value that cannot be read or is out of range is an error naming the
// variable, the value and what was expected, never a silent fallback to the
// default: an operator who sets PARLEY_ACCOUNT_TIMEOUT=10 (no unit) must
// learn it at start, not by noticing that the default was used instead.
package config

import (
	"strings"
	"time"
)

// Config is everything a Parley process needs to start.
type Config struct {
	// Listen is the HTTP address (PARLEY_LISTEN).
	Listen string
	// DatabaseURL selects PostgreSQL when it is a postgres:// URL; empty
	// means SQLite under DataDir (PARLEY_DATABASE_URL).
	DatabaseURL string
	// PostgreSQL connection pool (pgxpool): at most DBMaxConns open, at
	// least DBMinConns kept open even when idle, each closed after
	// DBConnLifetime (jittered) or DBConnIdleTime unused. Idle connections
	// are kept up to the maximum, so a burst does not open and close
	// backends (PARLEY_DB_MAX_CONNS, PARLEY_DB_MIN_OPEN_CONNS,
	// PARLEY_DB_CONN_LIFETIME, PARLEY_DB_CONN_IDLE_TIME).
	DBMaxConns     int
	DBMinConns     int
	DBConnLifetime time.Duration
	DBConnIdleTime time.Duration
	// DataDir holds the SQLite file and, for the sandbox, its key file
	// (PARLEY_DATA_DIR).
	DataDir string
	// SecretKeys is the key ring, `id:base64,…`, newest last
	// (PARLEY_SECRET_KEYS).
	SecretKeys string
	// LogLevel is debug, info, warn or error (PARLEY_LOG_LEVEL).
	LogLevel string
	// LogFormat is text or json (PARLEY_LOG_FORMAT).
	LogFormat string
	// AccountTimeout bounds one account's platform call in lists
	// (PARLEY_ACCOUNT_TIMEOUT, a Go duration).
	AccountTimeout time.Duration
	// KeyQuota is each API key's requests per minute (PARLEY_KEY_QUOTA;
	// 0 disables, so WithDefaults leaves a zero alone).
	KeyQuota int
	// OrgQuota is each organisation's requests per minute across all its
	// keys (PARLEY_ORG_QUOTA; 0 disables).
	OrgQuota int
	// AuthFailureLimit is how many requests with an invalid API key one
	// client address may make per minute (PARLEY_AUTH_FAILURE_LIMIT; 0
	// disables).
	AuthFailureLimit int
	// PlansFile is a JSON plan table replacing the shipped one
	// (PARLEY_PLANS_FILE; empty: the shipped tiers).
	PlansFile string
	// DefaultPlan names the plan of new organisations (PARLEY_DEFAULT_PLAN).
	DefaultPlan string
	// OperatorToken guards the operator API (PARLEY_OPERATOR_TOKEN; empty
	// turns it off).
	OperatorToken string
	// TrustedProxies lists the reverse proxies, as CIDRs or addresses,
	// whose X-Forwarded-For names the client (PARLEY_TRUSTED_PROXIES).
	// Empty: the TCP peer is the client and the header is ignored.
	TrustedProxies string
	// WhatsAppRetention is how long journalled WhatsApp messages are kept
	// (PARLEY_WHATSAPP_RETENTION, a Go duration).
	WhatsAppRetention time.Duration
	// MediaMaxBytes bounds every upload (PARLEY_MEDIA_MAX_BYTES); the
	// platforms' own, smaller limits apply on top.
	MediaMaxBytes int
	// MediaTTL is how long an upload waits for its send (PARLEY_MEDIA_TTL).
	MediaTTL time.Duration
	// AllowPrivateWebhooks lets webhook endpoints use loopback and private
	// addresses (PARLEY_WEBHOOK_ALLOW_PRIVATE; the sandbox sets it); never
	// link-local or other special-purpose ones (delivery.Policy).
	AllowPrivateWebhooks bool
	// WindowLead is how long before a reply window closes that
	// conversation.window_closing is sent (PARLEY_WINDOW_CLOSING_LEAD).
	WindowLead time.Duration
	// JobRescueAfter is how long a background job may run before it is
	// retried as lost (PARLEY_JOB_RESCUE_AFTER).
	JobRescueAfter time.Duration
	// ShutdownDrain is how long a replica told to stop (SIGTERM) keeps
	// serving with /readyz answering 503, so a load balancer takes it out
	// of rotation before it stops accepting (PARLEY_SHUTDOWN_DRAIN; 0 is a
	// setting: no drain).
	ShutdownDrain time.Duration
	// ShutdownTimeout bounds, after the drain, the wait for in-flight
	// requests and running jobs; jobs still running then are handed back
	// to the queue (PARLEY_SHUTDOWN_TIMEOUT).
	ShutdownTimeout time.Duration
	// Inbound webhook secrets, per platform app.
	MetaAppSecret        string // PARLEY_META_APP_SECRET: X-Hub-Signature-256 key
	MetaVerifyToken      string // PARLEY_META_VERIFY_TOKEN: hub.verify_token
	XConsumerSecret      string // PARLEY_X_CONSUMER_SECRET: CRC and signature key
	LinkedInClientSecret string // PARLEY_LINKEDIN_CLIENT_SECRET
	// XDMPoll is auto, on or off (PARLEY_X_DM_POLL): whether X DMs are
	// polled rather than received from Account Activity webhooks.
	XDMPoll string
	// PublicURL is where browsers reach this Parley: connect pages and
	// the OAuth callbacks registered with each platform (PARLEY_PUBLIC_URL).
	PublicURL string
	// The X app accounts are connected through (hosted connect).
	XClientID     string // PARLEY_X_CLIENT_ID
	XClientSecret string // PARLEY_X_CLIENT_SECRET
	XAuthorizeURL string // PARLEY_X_AUTHORIZE_URL
	// The Meta app (its secret is MetaAppSecret): Facebook Login for
	// Messenger and Instagram through a Page, Embedded Signup for WhatsApp.
	MetaAppID            string // PARLEY_META_APP_ID
	MetaConfigID         string // PARLEY_META_CONFIG_ID
	MetaAuthorizeURL     string // PARLEY_META_AUTHORIZE_URL
	WhatsAppConfigID     string // PARLEY_WHATSAPP_CONFIG_ID
	WhatsAppAuthorizeURL string // PARLEY_WHATSAPP_AUTHORIZE_URL
	// The Instagram app of Instagram Login.
	InstagramAppID        string // PARLEY_INSTAGRAM_APP_ID
	InstagramAppSecret    string // PARLEY_INSTAGRAM_APP_SECRET
	InstagramAuthorizeURL string // PARLEY_INSTAGRAM_AUTHORIZE_URL
	InstagramTokenURL     string // PARLEY_INSTAGRAM_TOKEN_URL
	// The LinkedIn app (its secret is LinkedInClientSecret).
	LinkedInClientID     string // PARLEY_LINKEDIN_CLIENT_ID
	LinkedInAuthorizeURL string // PARLEY_LINKEDIN_AUTHORIZE_URL
	// Platform API roots; tests and the sandbox point them at emulators.
	GraphFacebookURL  string // PARLEY_GRAPH_FACEBOOK_URL
	GraphInstagramURL string // PARLEY_GRAPH_INSTAGRAM_URL
	WhatsAppURL       string // PARLEY_WHATSAPP_URL
	XURL              string // PARLEY_X_URL
	LinkedInURL       string // PARLEY_LINKEDIN_URL
}

// Defaults is the configuration of a process given no variable and no
// flag: every variable at its documented default.
func Defaults() Config {
	var c Config
	for _, v := range table() {
		if v.def == "" {
			continue
		}
		if err := v.parse(&c, v.def); err != nil {
			// The table is constant; TestDefaultsParse keeps this unreachable.
			panic("config: default of " + v.name + ": " + err.Error())
		}
	}
	return c
}

// WithDefaults returns a copy of c with every unset field at its default.
// A field is unset when it is zero and zero is not itself a setting: the
// quotas keep a zero (0 disables them), and so do the booleans and the
// optional strings (DatabaseURL, SecretKeys, TrustedProxies, webhook
// secrets), whose defaults are zero anyway.
func (c Config) WithDefaults() Config {
	d := Defaults()
	for _, v := range table() {
		if v.zeroIsUnset && v.isZero(&c) {
			v.copy(&c, &d)
		}
	}
	return c
}

// Validate checks every field of c (after WithDefaults) and returns one
// error per invalid variable, joined; nil when c can run.
func (c Config) Validate() error {
	return c.validate(nil, nil)
}

// PollXDMs reports whether Parley polls X accounts' DMs: when asked to
// (on), or by default when no X webhook key is configured — the X app then
// has no Account Activity webhooks to deliver them.
func (c Config) PollXDMs() bool {
	switch strings.ToLower(strings.TrimSpace(c.XDMPoll)) {
	case "on":
		return true
	case "off":
		return false
	}
	return c.XConsumerSecret == ""
}
