// Package service is Parley's domain layer: every operation a caller can do,
// checked and scoped to the caller's organisation. REST and MCP both call it
// and only render what it returns.
//
// It owns the views (the public JSON shapes of DESIGN §1), API key handling,
// token sealing and the fan-out across platform adapters.
package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/events"
	"github.com/parleyhq/parley/internal/journal"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/secrets"
	"github.com/parleyhq/parley/internal/store"
)

// KeyPrefix starts every API key secret.
const KeyPrefix = "sapi_key_"

// Config builds a Service.
type Config struct {
	Store    store.Store
	Keys     *secrets.KeyRing
	Adapters platform.Registry
	Logger   *slog.Logger
	// Now is the clock (tests pin it); nil means time.Now.
	Now func() time.Time
	// AccountTimeout bounds each account's platform call when listing
	// across accounts, so one slow platform cannot stall the list.
	AccountTimeout time.Duration
	// Journal keeps WhatsApp history; nil disables journalling of sends.
	Journal *journal.Journal
	// Jobs enqueues webhook deliveries; nil records events without
	// delivering them.
	Jobs Enqueuer
	// AllowPrivateWebhooks lets endpoints use private and loopback
	// addresses (tests, the sandbox).
	AllowPrivateWebhooks bool
	// Resolver looks up webhook endpoint hosts at registration; nil means
	// net.DefaultResolver.
	Resolver *net.Resolver
	// WindowLead is how long before a reply window closes that
	// conversation.window_closing is sent; 0 means DefaultWindowLead.
	WindowLead time.Duration
	// KeyQuota is each API key's request quota per minute; 0 disables it.
	KeyQuota int
	// OrgQuota is an organisation's request quota per minute across all
	// its keys, so minting keys does not multiply it; 0 disables it.
	OrgQuota int
	// AuthFailureLimit is how many requests with an invalid API key one
	// client address may make per minute before it is refused outright;
	// 0 disables it.
	AuthFailureLimit int
}

// Service is the domain layer. It is safe for concurrent use.
type Service struct {
	store          store.Store
	keys           *secrets.KeyRing
	adapters       platform.Registry
	log            *slog.Logger
	now            func() time.Time
	accountTimeout time.Duration
	keyQuota       int
	orgQuota       int
	authFailLimit  int
	lockouts       lockouts
	journal        *journal.Journal
	jobs           Enqueuer
	events         *events.Events

	ingest groupCommit[[]func(store.Store, *sql.Tx) error]

	keyCache     domain.TTLCache[string, store.APIKey]  // by key hash
	accountCache domain.TTLCache[string, accountHandle] // by org id + "/" + account id

	tmplMu    sync.Mutex
	tmplCache map[string]templateEntry
}

// New returns a Service.
func New(cfg Config) *Service {
	s := &Service{store: cfg.Store, keys: cfg.Keys, adapters: cfg.Adapters, log: cfg.Logger, now: cfg.Now, accountTimeout: cfg.AccountTimeout,
		keyQuota: cfg.KeyQuota, orgQuota: cfg.OrgQuota, authFailLimit: cfg.AuthFailureLimit, journal: cfg.Journal,
		jobs: cfg.Jobs, tmplCache: map[string]templateEntry{}}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.accountTimeout == 0 {
		s.accountTimeout = 10 * time.Second
	}
	if s.adapters == nil {
		s.adapters = platform.Registry{}
	}
	s.events = events.New(domain.Deps{Store: s.store, Keys: s.keys, Now: s.now, Log: s.log},
		events.Config{Jobs: cfg.Jobs, AllowPrivate: cfg.AllowPrivateWebhooks, Resolver: cfg.Resolver, WindowLead: cfg.WindowLead})
	return s
}

// Ready checks the database answers, for /readyz.
func (s *Service) Ready(ctx context.Context) error { return s.store.Ping(ctx) }

// NewAPIKeySecret returns a fresh key secret (sapi_key_ + 32 random bytes)
// and the hash that is stored in its place.
func NewAPIKeySecret() (secret string, hash []byte) {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	secret = KeyPrefix + base64.RawURLEncoding.EncodeToString(b)
	return secret, HashAPIKey(secret)
}

// HashAPIKey is the stored form of a key secret. A plain SHA-256 is right
// here: the secret has 256 bits of entropy, so there is nothing to stretch.
func HashAPIKey(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

var (
	errMissingKey = apierr.New(http.StatusUnauthorized, "auth.missing_key", "send your API key as Authorization: Bearer sapi_key_…")
	errInvalidKey = apierr.New(http.StatusUnauthorized, "auth.invalid_key", "the API key is not valid or has been revoked")
)

// Authenticate resolves an Authorization header to a Caller. A client
// address (WithClientAddr) that keeps sending invalid keys is refused before
// its keys are even looked up (see authFailed).
func (s *Service) Authenticate(ctx context.Context, authorization string) (Caller, error) {
	scheme, secret, ok := strings.Cut(strings.TrimSpace(authorization), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return Caller{}, errMissingKey
	}
	client := clientAddr(ctx)
	if err := s.lockedOut(client); err != nil {
		return Caller{}, err
	}
	secret = strings.TrimSpace(secret)
	if !strings.HasPrefix(secret, KeyPrefix) || len(secret) > 200 {
		return Caller{}, s.authFailed(ctx, client)
	}
	// Lookup by hash: comparing hashes in the index leaks nothing useful
	// about the secret through timing.
	hash := string(HashAPIKey(secret))
	now := s.now()
	k, hit := s.keyCache.Get(hash, now)
	if !hit {
		var err error
		k, err = s.store.APIKeyByHash(ctx, []byte(hash))
		if errors.Is(err, store.ErrNotFound) || (err == nil && k.RevokedAt != nil) {
			return Caller{}, s.authFailed(ctx, client)
		}
		if err != nil {
			return Caller{}, err
		}
		// Record use at most once a minute per key, to keep reads read-only.
		if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) > time.Minute {
			if err := s.store.TouchAPIKey(ctx, k.ID, now); err != nil {
				s.log.WarnContext(ctx, "touch api key", "key_id", k.ID, "err", err)
			}
			k.LastUsedAt = &now
		}
		s.keyCache.Put(hash, k, now)
	}
	return Caller{OrgID: k.OrgID, KeyID: k.ID}, nil
}

// Bootstrap creates an organisation and its first API key, for the CLI and
// the sandbox (there is no unauthenticated API to do it).
func (s *Service) Bootstrap(ctx context.Context, orgName, keyName string) (store.Organization, APIKey, error) {
	org, err := s.store.FindOrganizationByName(ctx, orgName)
	if errors.Is(err, store.ErrNotFound) {
		org = store.Organization{ID: store.NewID("org"), Name: orgName, CreatedAt: s.now()}
		err = s.store.CreateOrganization(ctx, org)
	}
	if err != nil {
		return store.Organization{}, APIKey{}, err
	}
	key, err := s.CreateAPIKey(ctx, Caller{OrgID: org.ID}, CreateAPIKeyInput{Name: keyName})
	return org, key, err
}
