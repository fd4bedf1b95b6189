// Package config holds Parley's runtime configuration and reads it from
// PARLEY_* environment variables; flags override it in cmd/parley.
package config

import (
	"os"
	"strconv"
	"time"
)

// Config is everything a Parley process needs to start.
type Config struct {
	// Listen is the HTTP address (PARLEY_LISTEN).
	Listen string
	// DatabaseURL selects PostgreSQL when it is a postgres:// URL; empty
	// means SQLite under DataDir (PARLEY_DATABASE_URL).
	DatabaseURL string
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
	// 0 disables).
	KeyQuota int
	// OrgQuota is each organisation's requests per minute across all its
	// keys (PARLEY_ORG_QUOTA; 0 disables).
	OrgQuota int
	// AuthFailureLimit is how many requests with an invalid API key one
	// client address may make per minute (PARLEY_AUTH_FAILURE_LIMIT; 0
	// disables).
	AuthFailureLimit int
	// TrustedProxies lists the reverse proxies, as CIDRs or addresses,
	// whose X-Forwarded-For names the client (PARLEY_TRUSTED_PROXIES).
	// Empty: the TCP peer is the client and the header is ignored.
	TrustedProxies string
	// WhatsAppRetention is how long journalled WhatsApp messages are kept
	// (PARLEY_WHATSAPP_RETENTION, a Go duration).
	WhatsAppRetention time.Duration
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
	// Inbound webhook secrets, per platform app.
	MetaAppSecret        string // PARLEY_META_APP_SECRET: X-Hub-Signature-256 key
	MetaVerifyToken      string // PARLEY_META_VERIFY_TOKEN: hub.verify_token
	XConsumerSecret      string // PARLEY_X_CONSUMER_SECRET: CRC and signature key
	LinkedInClientSecret string // PARLEY_LINKEDIN_CLIENT_SECRET
	// Platform API roots; tests and the sandbox point them at emulators.
	GraphFacebookURL  string // PARLEY_GRAPH_FACEBOOK_URL
	GraphInstagramURL string // PARLEY_GRAPH_INSTAGRAM_URL
	WhatsAppURL       string // PARLEY_WHATSAPP_URL
	XURL              string // PARLEY_X_URL
	LinkedInURL       string // PARLEY_LINKEDIN_URL
}

// FromEnv reads the environment over the defaults.
func FromEnv() Config {
	c := Config{
		Listen:    env("PARLEY_LISTEN", "127.0.0.1:8080"),
		DataDir:   env("PARLEY_DATA_DIR", "parley-data"),
		LogLevel:  env("PARLEY_LOG_LEVEL", "info"),
		LogFormat: env("PARLEY_LOG_FORMAT", "text"),
	}
	c.DatabaseURL = os.Getenv("PARLEY_DATABASE_URL")
	c.SecretKeys = os.Getenv("PARLEY_SECRET_KEYS")
	c.AccountTimeout = 10 * time.Second
	if d, err := time.ParseDuration(os.Getenv("PARLEY_ACCOUNT_TIMEOUT")); err == nil && d > 0 {
		c.AccountTimeout = d
	}
	c.KeyQuota = 600
	if n, err := strconv.Atoi(os.Getenv("PARLEY_KEY_QUOTA")); err == nil && n >= 0 {
		c.KeyQuota = n
	}
	c.OrgQuota = 3000
	if n, err := strconv.Atoi(os.Getenv("PARLEY_ORG_QUOTA")); err == nil && n >= 0 {
		c.OrgQuota = n
	}
	c.AuthFailureLimit = 20
	if n, err := strconv.Atoi(os.Getenv("PARLEY_AUTH_FAILURE_LIMIT")); err == nil && n >= 0 {
		c.AuthFailureLimit = n
	}
	c.TrustedProxies = os.Getenv("PARLEY_TRUSTED_PROXIES")
	c.WhatsAppRetention = 90 * 24 * time.Hour
	if d, err := time.ParseDuration(os.Getenv("PARLEY_WHATSAPP_RETENTION")); err == nil && d > 0 {
		c.WhatsAppRetention = d
	}
	c.AllowPrivateWebhooks = Bool("PARLEY_WEBHOOK_ALLOW_PRIVATE", false)
	c.WindowLead = 2 * time.Hour
	if d, err := time.ParseDuration(os.Getenv("PARLEY_WINDOW_CLOSING_LEAD")); err == nil && d > 0 {
		c.WindowLead = d
	}
	if d, err := time.ParseDuration(os.Getenv("PARLEY_JOB_RESCUE_AFTER")); err == nil && d > 0 {
		c.JobRescueAfter = d
	}
	c.MetaAppSecret = os.Getenv("PARLEY_META_APP_SECRET")
	c.MetaVerifyToken = os.Getenv("PARLEY_META_VERIFY_TOKEN")
	c.XConsumerSecret = os.Getenv("PARLEY_X_CONSUMER_SECRET")
	c.LinkedInClientSecret = os.Getenv("PARLEY_LINKEDIN_CLIENT_SECRET")
	c.GraphFacebookURL = env("PARLEY_GRAPH_FACEBOOK_URL", "https://graph.facebook.com")
	c.GraphInstagramURL = env("PARLEY_GRAPH_INSTAGRAM_URL", "https://graph.instagram.com")
	c.WhatsAppURL = env("PARLEY_WHATSAPP_URL", "https://graph.facebook.com")
	c.XURL = env("PARLEY_X_URL", "https://api.x.com")
	c.LinkedInURL = env("PARLEY_LINKEDIN_URL", "https://api.linkedin.com")
	return c
}

func env(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
}

// Bool reads a boolean environment variable.
func Bool(key string, def bool) bool {
	if b, err := strconv.ParseBool(os.Getenv(key)); err == nil {
		return b
	}
	return def
}
