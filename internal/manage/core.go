// Package manage is the management capability: brands, connected accounts
// (whose tokens are verified with their platform before they are stored),
// API keys (minting, listing, revoking, authenticating requests with them,
// with a per-client limit on failed attempts), the callers' request quotas,
// and re-sealing stored secrets under the newest key (DESIGN §1, §7).
package manage

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/secrets"
	"github.com/parleyhq/parley/internal/store"
)

// KeyPrefix starts every API key secret.
const KeyPrefix = "sapi_key_"

// Config builds Manage.
type Config struct {
	// Adapters verify account tokens with their platform.
	Adapters platform.Registry
	// AccountTimeout bounds a token verification; 0 means 10 s.
	AccountTimeout time.Duration
	// KeyQuota is each API key's request quota per minute; 0 disables it.
	KeyQuota int
	// OrgQuota is an organisation's request quota per minute across all
	// its keys, so minting keys does not multiply it; 0 disables it.
	OrgQuota int
	// AuthFailureLimit is how many requests with an invalid API key one
	// client address may make per minute before it is refused outright;
	// 0 disables it.
	AuthFailureLimit int
	// Limits holds new brands and accounts to the organisation's plan and
	// gives each organisation its request quota (package plans); nil
	// means no plan: OrgQuota for every organisation.
	Limits Limits
	// AccountChanged is told, after an account is created, changed or
	// deleted, so other capabilities drop what they cached about it on this
	// replica (prepared handles, template lists, lookups by native id). nil
	// means nothing is cached.
	AccountChanged func(orgID, accountID string)
}

// Limits are an organisation's plan limits on what manage creates and on
// its requests (plans.Plans).
type Limits interface {
	// CreateBrand stores b if the plan allows one more brand (402 otherwise).
	CreateBrand(ctx context.Context, b store.Brand) error
	// CreateAccount stores a if its brand may have one more account.
	CreateAccount(ctx context.Context, a store.Account) error
	// RequestQuota is the organisation's requests per minute (0: none).
	RequestQuota(ctx context.Context, orgID string) (int, error)
}

// Manage is the capability. It is safe for concurrent use.
type Manage struct {
	store          store.Store
	keys           *secrets.KeyRing
	now            func() time.Time
	log            *slog.Logger
	adapters       platform.Registry
	accountTimeout time.Duration
	keyQuota       int
	orgQuota       int
	authFailLimit  int
	limits         Limits
	accountChanged func(orgID, accountID string)

	lockouts lockouts
	keyCache domain.TTLCache[string, store.APIKey] // by key hash
}

// New returns Manage over the shared dependencies.
func New(d domain.Deps, cfg Config) *Manage {
	d = d.WithDefaults()
	s := &Manage{store: d.Store, keys: d.Keys, now: d.Now, log: d.Log, adapters: cfg.Adapters, accountTimeout: cfg.AccountTimeout,
		keyQuota: cfg.KeyQuota, orgQuota: cfg.OrgQuota, authFailLimit: cfg.AuthFailureLimit, limits: cfg.Limits, accountChanged: cfg.AccountChanged}
	if s.accountTimeout == 0 {
		s.accountTimeout = domain.DefaultAccountTimeout
	}
	if s.adapters == nil {
		s.adapters = platform.Registry{}
	}
	return s
}

// changed tells the other capabilities an account changed.
func (s *Manage) changed(orgID, accountID string) {
	if s.accountChanged != nil {
		s.accountChanged(orgID, accountID)
	}
}

// count is domain.Count on this capability's store and clock.
func (s *Manage) count(ctx context.Context, bucket string, length time.Duration, n int) (int, time.Duration, error) {
	return domain.Count(ctx, s.store, s.now(), bucket, length, n)
}

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
func (s *Manage) Authenticate(ctx context.Context, authorization string) (domain.Caller, error) {
	scheme, secret, ok := strings.Cut(strings.TrimSpace(authorization), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return domain.Caller{}, errMissingKey
	}
	client := clientAddr(ctx)
	if err := s.lockedOut(client); err != nil {
		return domain.Caller{}, err
	}
	secret = strings.TrimSpace(secret)
	if !strings.HasPrefix(secret, KeyPrefix) || len(secret) > 200 {
		return domain.Caller{}, s.authFailed(ctx, client)
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
			return domain.Caller{}, s.authFailed(ctx, client)
		}
		if err != nil {
			return domain.Caller{}, err
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
	return domain.Caller{OrgID: k.OrgID, KeyID: k.ID}, nil
}

// Bootstrap creates an organisation and its first API key, for the CLI and
// the sandbox (there is no unauthenticated API to do it).
func (s *Manage) Bootstrap(ctx context.Context, orgName, keyName string) (store.Organization, apitype.APIKey, error) {
	org, err := s.store.FindOrganizationByName(ctx, orgName)
	if errors.Is(err, store.ErrNotFound) {
		org = store.Organization{ID: store.NewID("org"), Name: orgName, CreatedAt: s.now()}
		err = s.store.CreateOrganization(ctx, org)
	}
	if err != nil {
		return store.Organization{}, apitype.APIKey{}, err
	}
	key, err := s.CreateAPIKey(ctx, domain.Caller{OrgID: org.ID}, apitype.CreateAPIKeyInput{Name: keyName})
	return org, key, err
}

// Quota is the state of a caller's request quota after a request.
type Quota struct {
	Limit     int
	Remaining int
	Reset     time.Duration
}

// ChargeQuota counts one request against the caller's quotas: its API
// key's and its organisation's (across all its keys, so minting more keys
// does not multiply what an organisation may send). The Quota returned is
// the tighter of the two, for the RateLimit-* headers. Over either it
// returns a 429 rate_limit.exceeded whose meta.scope says which. A request
// refused by its key's quota is not counted against the organisation, so
// one runaway key does not use up its siblings' share.
func (s *Manage) ChargeQuota(ctx context.Context, c domain.Caller) (Quota, error) {
	orgQuota, err := s.orgQuotaOf(ctx, c.OrgID)
	if err != nil {
		return Quota{}, err
	}
	var q Quota
	for _, l := range []struct {
		max           int
		bucket, scope string
		who           string
	}{
		{s.keyQuota, "key:" + c.KeyID, "api_key", "this API key"},
		{orgQuota, "org:" + c.OrgID, "organization", "your organisation's API keys together"},
	} {
		if l.max <= 0 {
			continue
		}
		n, reset, err := s.count(ctx, l.bucket, time.Minute, 1)
		if err != nil {
			return Quota{}, err
		}
		this := Quota{Limit: l.max, Remaining: max(0, l.max-n), Reset: reset}
		if q.Limit == 0 || this.Remaining < q.Remaining {
			q = this
		}
		if n > l.max {
			retry := int(math.Ceil(reset.Seconds()))
			return this, apierr.New(http.StatusTooManyRequests, "rate_limit.exceeded",
				"%s made more than %d requests this minute; retry in %ds", l.who, l.max, retry).
				With("retry_after_seconds", retry).With("limit", l.max).With("scope", l.scope)
		}
	}
	return q, nil
}

// RefundQuota gives back a request that the platform throttled: a
// platform's limit never counts against the caller.
func (s *Manage) RefundQuota(ctx context.Context, c domain.Caller) {
	orgQuota, err := s.orgQuotaOf(ctx, c.OrgID)
	if err != nil {
		s.log.WarnContext(ctx, "refund quota", "org_id", c.OrgID, "err", err)
		return
	}
	for _, l := range []struct {
		max    int
		bucket string
	}{{s.keyQuota, "key:" + c.KeyID}, {orgQuota, "org:" + c.OrgID}} {
		if l.max <= 0 {
			continue
		}
		if _, _, err := s.count(ctx, l.bucket, time.Minute, -1); err != nil {
			s.log.WarnContext(ctx, "refund quota", "bucket", l.bucket, "err", err)
		}
	}
}

// orgQuotaOf is an organisation's request quota: its plan's when plans
// are on, PARLEY_ORG_QUOTA otherwise.
func (s *Manage) orgQuotaOf(ctx context.Context, orgID string) (int, error) {
	if s.limits == nil {
		return s.orgQuota, nil
	}
	return s.limits.RequestQuota(ctx, orgID)
}

// IsPlatformThrottle reports whether err is a platform's rate limit (ours
// on its behalf included), which must not count against the caller.
func IsPlatformThrottle(err error) bool {
	e, ok := apierr.As(err)
	return ok && e.Status == http.StatusTooManyRequests && e.Code != "rate_limit.exceeded"
}
