package service

import (
	"context"

	"github.com/parleyhq/parley/internal/manage"
	"github.com/parleyhq/parley/internal/store"
)

// Brands, accounts, API keys, quotas and secret rotation are the management
// capability (internal/manage); these names and methods are its front for
// the transports.

// KeyPrefix starts every API key secret.
const KeyPrefix = manage.KeyPrefix

// AccountFilter narrows ListAccounts.
type AccountFilter = manage.AccountFilter

// Quota is the state of a caller's request quota after a request.
type Quota = manage.Quota

// NewAPIKeySecret returns a fresh key secret and the hash stored in its place.
func NewAPIKeySecret() (secret string, hash []byte) { return manage.NewAPIKeySecret() }

// HashAPIKey is the stored form of a key secret.
func HashAPIKey(secret string) []byte { return manage.HashAPIKey(secret) }

// WithClientAddr records the address a request's limits are keyed on (the
// transport decides it: the TCP peer, or a trusted proxy's report of it).
func WithClientAddr(ctx context.Context, addr string) context.Context {
	return manage.WithClientAddr(ctx, addr)
}

// IsPlatformThrottle reports whether err is a platform's rate limit (ours
// on its behalf included), which must not count against the caller.
func IsPlatformThrottle(err error) bool { return manage.IsPlatformThrottle(err) }

// Authenticate resolves an Authorization header to a Caller.
func (s *Service) Authenticate(ctx context.Context, authorization string) (Caller, error) {
	return s.manage.Authenticate(ctx, authorization)
}

// Bootstrap creates an organisation and its first API key, for the CLI and
// the sandbox (there is no unauthenticated API to do it).
func (s *Service) Bootstrap(ctx context.Context, orgName, keyName string) (store.Organization, APIKey, error) {
	return s.manage.Bootstrap(ctx, orgName, keyName)
}

// ChargeQuota counts one request against the caller's key and organisation quotas.
func (s *Service) ChargeQuota(ctx context.Context, c Caller) (Quota, error) {
	return s.manage.ChargeQuota(ctx, c)
}

// RefundQuota gives back a request that the platform throttled.
func (s *Service) RefundQuota(ctx context.Context, c Caller) { s.manage.RefundQuota(ctx, c) }

// CreateBrand adds a brand to the caller's organisation.
func (s *Service) CreateBrand(ctx context.Context, c Caller, in BrandInput) (Brand, error) {
	return s.manage.CreateBrand(ctx, c, in)
}

// GetBrand reads one brand.
func (s *Service) GetBrand(ctx context.Context, c Caller, id string) (Brand, error) {
	return s.manage.GetBrand(ctx, c, id)
}

// ListBrands pages through the caller's brands.
func (s *Service) ListBrands(ctx context.Context, c Caller, p PageRequest) (List[Brand], error) {
	return s.manage.ListBrands(ctx, c, p)
}

// UpdateBrand renames a brand.
func (s *Service) UpdateBrand(ctx context.Context, c Caller, id string, in BrandInput) (Brand, error) {
	return s.manage.UpdateBrand(ctx, c, id, in)
}

// DeleteBrand removes a brand that has no accounts left.
func (s *Service) DeleteBrand(ctx context.Context, c Caller, id string) error {
	return s.manage.DeleteBrand(ctx, c, id)
}

// CreateAccount connects an account whose token the platform confirms.
func (s *Service) CreateAccount(ctx context.Context, c Caller, in AccountInput) (Account, error) {
	return s.manage.CreateAccount(ctx, c, in)
}

// GetAccount reads one account.
func (s *Service) GetAccount(ctx context.Context, c Caller, id string) (Account, error) {
	return s.manage.GetAccount(ctx, c, id)
}

// ListAccounts pages through the caller's accounts.
func (s *Service) ListAccounts(ctx context.Context, c Caller, f AccountFilter) (List[Account], error) {
	return s.manage.ListAccounts(ctx, c, f)
}

// UpdateAccount applies an AccountUpdate; a new token is verified first.
func (s *Service) UpdateAccount(ctx context.Context, c Caller, id string, in AccountUpdate) (Account, error) {
	return s.manage.UpdateAccount(ctx, c, id, in)
}

// DeleteAccount disconnects an account and destroys its sealed token.
func (s *Service) DeleteAccount(ctx context.Context, c Caller, id string) error {
	return s.manage.DeleteAccount(ctx, c, id)
}

// CreateAPIKey mints a key; the answer carries its secret, this once only.
func (s *Service) CreateAPIKey(ctx context.Context, c Caller, in CreateAPIKeyInput) (APIKey, error) {
	return s.manage.CreateAPIKey(ctx, c, in)
}

// ListAPIKeys pages through the caller's keys (never their secrets).
func (s *Service) ListAPIKeys(ctx context.Context, c Caller, p PageRequest) (List[APIKey], error) {
	return s.manage.ListAPIKeys(ctx, c, p)
}

// RevokeAPIKey revokes a key; requests with it fail from then on.
func (s *Service) RevokeAPIKey(ctx context.Context, c Caller, id string) error {
	return s.manage.RevokeAPIKey(ctx, c, id)
}

// RotateSecrets re-seals every sealed value under the newest key.
func (s *Service) RotateSecrets(ctx context.Context) (int, error) { return s.manage.RotateSecrets(ctx) }
