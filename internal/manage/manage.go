package manage

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/store"
)

func brandView(b store.Brand) apitype.Brand {
	return apitype.Brand{ID: b.ID, Name: b.Name, CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt}
}

func accountView(a store.Account) apitype.Account {
	return apitype.Account{ID: a.ID, BrandID: a.BrandID, Platform: a.Platform, NativeID: a.NativeID, DisplayName: a.DisplayName,
		Status: a.Status, Variant: a.Variant, BusinessAccountID: a.BusinessAccountID, VerifiedAt: a.VerifiedAt,
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
}

func keyView(k store.APIKey) apitype.APIKey {
	return apitype.APIKey{ID: k.ID, Name: k.Name, Hint: k.Hint, CreatedAt: k.CreatedAt, LastUsedAt: k.LastUsedAt, RevokedAt: k.RevokedAt}
}

func cleanName(field, v string, max int) (string, error) {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		return "", apierr.Required(field)
	case utf8.RuneCountInString(v) > max:
		return "", apierr.Invalid(field, "%s must be at most %d characters", field, max)
	}
	return v, nil
}

// CreateBrand adds a brand to the caller's organisation.
func (s *Manage) CreateBrand(ctx context.Context, c domain.Caller, in apitype.BrandInput) (apitype.Brand, error) {
	name, err := cleanName("name", in.Name, 200)
	if err != nil {
		return apitype.Brand{}, err
	}
	now := s.now()
	b := store.Brand{ID: store.NewID("brand"), OrgID: c.OrgID, Name: name, CreatedAt: now, UpdatedAt: now}
	create := s.store.CreateBrand
	if s.limits != nil {
		create = s.limits.CreateBrand // the plan's brand limit, atomically
	}
	if err := create(ctx, b); err != nil {
		return apitype.Brand{}, domain.StoreErr(err, "brand")
	}
	return s.GetBrand(ctx, c, b.ID)
}

// GetBrand reads one brand.
func (s *Manage) GetBrand(ctx context.Context, c domain.Caller, id string) (apitype.Brand, error) {
	b, err := s.store.GetBrand(ctx, c.OrgID, id)
	return brandView(b), domain.StoreErr(err, "brand")
}

// ListBrands pages through the caller's brands.
func (s *Manage) ListBrands(ctx context.Context, c domain.Caller, p domain.PageRequest) (domain.List[apitype.Brand], error) {
	if err := domain.IDCursor("brand", p.Cursor); err != nil {
		return domain.List[apitype.Brand]{}, err
	}
	rows, err := s.store.ListBrands(ctx, c.OrgID, store.Page{After: p.Cursor, Limit: p.Limit})
	if err != nil {
		return domain.List[apitype.Brand]{}, err
	}
	return domain.IDPage(rows, p.Limit, func(b store.Brand) string { return b.ID }, brandView), nil
}

// UpdateBrand renames a brand.
func (s *Manage) UpdateBrand(ctx context.Context, c domain.Caller, id string, in apitype.BrandInput) (apitype.Brand, error) {
	name, err := cleanName("name", in.Name, 200)
	if err != nil {
		return apitype.Brand{}, err
	}
	if err := s.store.UpdateBrand(ctx, store.Brand{ID: id, OrgID: c.OrgID, Name: name, UpdatedAt: s.now()}); err != nil {
		return apitype.Brand{}, domain.StoreErr(err, "brand")
	}
	return s.GetBrand(ctx, c, id)
}

// DeleteBrand removes a brand that has no accounts left.
func (s *Manage) DeleteBrand(ctx context.Context, c domain.Caller, id string) error {
	err := s.store.DeleteBrand(ctx, c.OrgID, id)
	if err == store.ErrConflict {
		return apierr.New(http.StatusConflict, "resource.in_use", "the brand still has connected accounts; delete them first").With("resource", "brand")
	}
	return domain.StoreErr(err, "brand")
}

var variants = map[string][]string{
	string(platform.Instagram): {"", "instagram_login", "facebook_login"},
}

// CreateAccount connects an account. The platform is asked first, with the
// token, whether it grants the claimed account (DESIGN §7): a refused token
// or one for another account is a 422 and nothing is stored. The token is
// then sealed under the account's own id.
func (s *Manage) CreateAccount(ctx context.Context, c domain.Caller, in apitype.AccountInput) (apitype.Account, error) {
	p := platform.Name(strings.ToLower(strings.TrimSpace(in.Platform)))
	switch {
	case in.BrandID == "":
		return apitype.Account{}, apierr.Required("brand_id")
	case in.Platform == "":
		return apitype.Account{}, apierr.Required("platform")
	case !platform.Known(p):
		return apitype.Account{}, apierr.Invalid("platform", "unknown platform %q", in.Platform).With("allowed", []string{"instagram", "messenger", "whatsapp", "linkedin", "x"})
	case !platform.HasDMAPI(p):
		return apitype.Account{}, apierr.NotSupported("%s offers no direct-message API", p).With("platform", string(p))
	}
	native, err := cleanName("native_id", in.NativeID, 200)
	if err != nil {
		return apitype.Account{}, err
	}
	token, err := cleanToken(in.AccessToken)
	if err != nil {
		return apitype.Account{}, err
	}
	allowed := variants[string(p)]
	if allowed == nil {
		allowed = []string{""}
	}
	okVariant := false
	for _, v := range allowed {
		okVariant = okVariant || v == in.Variant
	}
	if !okVariant {
		return apitype.Account{}, apierr.Invalid("variant", "variant %q is not valid for %s", in.Variant, p)
	}
	display := strings.TrimSpace(in.DisplayName)
	if display != "" {
		if display, err = cleanName("display_name", display, 200); err != nil {
			return apitype.Account{}, err
		}
	}
	waba := strings.TrimSpace(in.BusinessAccountID)
	if waba != "" && p != platform.WhatsApp {
		return apitype.Account{}, apierr.Invalid("business_account_id", "business_account_id applies to WhatsApp accounts only")
	}
	// The brand is checked before the platform is asked anything (the
	// insert checks it again, in the same statement).
	if _, err := s.store.GetBrand(ctx, c.OrgID, in.BrandID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return apitype.Account{}, apierr.Invalid("brand_id", "brand %q not found", in.BrandID)
		}
		return apitype.Account{}, err
	}
	a := store.Account{ID: store.NewID("acct"), OrgID: c.OrgID, BrandID: in.BrandID, Platform: string(p), NativeID: native,
		Status: store.AccountActive, Variant: in.Variant, BusinessAccountID: waba}
	id, err := s.verifyToken(ctx, platform.Account{ID: a.ID, Platform: p, NativeID: native, AccessToken: token,
		Variant: in.Variant, BusinessAccountID: waba})
	if err != nil {
		return apitype.Account{}, err
	}
	if display == "" {
		display = nameOf(id, native)
	}
	now := s.now()
	a.DisplayName, a.VerifiedAt, a.CreatedAt, a.UpdatedAt = display, &now, now, now
	if a.Credentials, err = s.keys.Seal([]byte(token), []byte(a.ID)); err != nil {
		return apitype.Account{}, err
	}
	create := s.store.CreateAccount
	if s.limits != nil {
		create = s.limits.CreateAccount // the plan's accounts per brand
	}
	if err := create(ctx, a); err != nil {
		if err == store.ErrNotFound {
			return apitype.Account{}, apierr.Invalid("brand_id", "brand %q not found", in.BrandID)
		}
		return apitype.Account{}, domain.StoreErr(err, "account")
	}
	// A second organisation may connect a native id ingestion has cached.
	s.changed(c.OrgID, a.ID)
	return s.GetAccount(ctx, c, a.ID)
}

// cleanToken checks an access token's presence and size.
func cleanToken(v string) (string, error) {
	token := strings.TrimSpace(v)
	if token == "" {
		return "", apierr.Required("access_token")
	}
	if len(token) > 4096 {
		return "", apierr.Invalid("access_token", "access_token is too long")
	}
	return token, nil
}

// nameOf is the display name the platform gave the account (cut to the 200
// characters a display name may have), or its native id.
func nameOf(id platform.Identity, native string) string {
	name := strings.TrimSpace(id.Name)
	if !utf8.ValidString(name) || name == "" {
		return native
	}
	if r := []rune(name); len(r) > 200 {
		name = strings.TrimSpace(string(r[:200]))
	}
	return name
}

// verifyToken asks the account's platform whether acct.AccessToken grants
// acct.NativeID. It only reads: a refused token is reported to the caller
// and never marks a stored account. With no adapter (or one that cannot
// verify) for the platform, no token can be accepted.
func (s *Manage) verifyToken(ctx context.Context, acct platform.Account) (platform.Identity, error) {
	p := string(acct.Platform)
	ad := s.adapters[acct.Platform]
	v, ok := ad.(platform.Verifier)
	if !ok {
		return platform.Identity{}, apierr.New(http.StatusServiceUnavailable, "account.platform_unavailable",
			"no %s adapter is configured on this server, so the token cannot be verified", p).With("platform", p)
	}
	vctx, cancel := context.WithTimeout(ctx, s.accountTimeout)
	defer cancel()
	id, err := v.Verify(vctx, acct)
	switch {
	case err == nil:
	case errors.Is(err, context.DeadlineExceeded) || (vctx.Err() != nil && ctx.Err() == nil):
		return platform.Identity{}, apierr.New(http.StatusGatewayTimeout, "platform."+p+".timeout", "%s did not answer in time", p).
			With("platform", p)
	default:
		if _, structured := apierr.As(err); !structured {
			s.log.ErrorContext(ctx, "verify token", "platform", p, "err", err)
			return platform.Identity{}, apierr.New(http.StatusBadGateway, "platform."+p+".unavailable", "%s could not be reached", p).
				With("platform", p)
		}
		return platform.Identity{}, platform.VerifyError(acct, err)
	}
	if id.NativeID != acct.NativeID {
		// Adapters check this themselves; the service does not rely on it.
		return platform.Identity{}, platform.NotGranted(acct, "the platform reports another account for the token", id.NativeID, nil)
	}
	return id, nil
}

// GetAccount reads one account.
func (s *Manage) GetAccount(ctx context.Context, c domain.Caller, id string) (apitype.Account, error) {
	a, err := s.store.GetAccount(ctx, c.OrgID, id)
	return accountView(a), domain.StoreErr(err, "account")
}

// AccountFilter narrows ListAccounts.
type AccountFilter struct {
	domain.PageRequest
	BrandID  string
	Platform string
	Status   string
}

// ListAccounts pages through the caller's accounts.
func (s *Manage) ListAccounts(ctx context.Context, c domain.Caller, f AccountFilter) (domain.List[apitype.Account], error) {
	if err := domain.IDCursor("acct", f.Cursor); err != nil {
		return domain.List[apitype.Account]{}, err
	}
	rows, err := s.store.ListAccounts(ctx, c.OrgID, store.AccountFilter{Page: store.Page{After: f.Cursor, Limit: f.Limit},
		BrandID: f.BrandID, Platform: string(platform.Canonical(f.Platform)), Status: f.Status})
	if err != nil {
		return domain.List[apitype.Account]{}, err
	}
	return domain.IDPage(rows, f.Limit, func(a store.Account) string { return a.ID }, accountView), nil
}

// UpdateAccount applies an AccountUpdate. A new token, or a new WhatsApp
// Business Account id, is verified with the platform before anything is
// written; if the platform refuses, the account is left exactly as it was.
func (s *Manage) UpdateAccount(ctx context.Context, c domain.Caller, id string, in apitype.AccountUpdate) (apitype.Account, error) {
	a, err := s.store.GetAccount(ctx, c.OrgID, id)
	if err != nil {
		return apitype.Account{}, domain.StoreErr(err, "account")
	}
	if in.DisplayName != nil {
		if a.DisplayName, err = cleanName("display_name", *in.DisplayName, 200); err != nil {
			return apitype.Account{}, err
		}
	}
	wabaChanged := false
	if in.BusinessAccountID != nil {
		if platform.Name(a.Platform) != platform.WhatsApp {
			return apitype.Account{}, apierr.Invalid("business_account_id", "business_account_id applies to WhatsApp accounts only")
		}
		waba := strings.TrimSpace(*in.BusinessAccountID)
		wabaChanged = waba != a.BusinessAccountID && waba != ""
		a.BusinessAccountID = waba
	}
	var token string
	if in.AccessToken != nil {
		if token, err = cleanToken(*in.AccessToken); err != nil {
			return apitype.Account{}, err
		}
	} else if wabaChanged {
		// The stored token must show that the number is in the new WABA.
		t, err := s.keys.Open(a.Credentials, []byte(a.ID))
		if err != nil {
			return apitype.Account{}, apierr.New(http.StatusConflict, "account.reauth_required",
				"the account's stored credentials cannot be opened; reconnect it with a new access_token").With("account_id", a.ID)
		}
		token = string(t)
	}
	if token != "" {
		if _, err := s.verifyToken(ctx, platform.Account{ID: a.ID, Platform: platform.Name(a.Platform), NativeID: a.NativeID,
			AccessToken: token, Variant: a.Variant, BusinessAccountID: a.BusinessAccountID}); err != nil {
			return apitype.Account{}, err
		}
		now := s.now()
		a.VerifiedAt = &now
	}
	if in.AccessToken != nil {
		if a.Credentials, err = s.keys.Seal([]byte(token), []byte(a.ID)); err != nil {
			return apitype.Account{}, err
		}
		a.Status = store.AccountActive
	}
	a.UpdatedAt = s.now()
	if err := s.store.UpdateAccount(ctx, a); err != nil {
		return apitype.Account{}, domain.StoreErr(err, "account")
	}
	s.changed(c.OrgID, a.ID)
	return accountView(a), nil
}

// DeleteAccount disconnects an account and destroys its sealed token.
func (s *Manage) DeleteAccount(ctx context.Context, c domain.Caller, id string) error {
	if err := s.store.DeleteAccount(ctx, c.OrgID, id); err != nil {
		return domain.StoreErr(err, "account")
	}
	s.changed(c.OrgID, id)
	return nil
}

// CreateAPIKey mints a key in the caller's organisation. The returned APIKey
// carries the secret; it is the only time it is available.
func (s *Manage) CreateAPIKey(ctx context.Context, c domain.Caller, in apitype.CreateAPIKeyInput) (apitype.APIKey, error) {
	name, err := cleanName("name", in.Name, 200)
	if err != nil {
		return apitype.APIKey{}, err
	}
	secret, hash := NewAPIKeySecret()
	k := store.APIKey{ID: store.NewID("key"), OrgID: c.OrgID, Name: name, Hash: hash, Hint: secret[len(secret)-4:], CreatedAt: s.now()}
	if err := s.store.CreateAPIKey(ctx, k); err != nil {
		return apitype.APIKey{}, err
	}
	v := keyView(k)
	v.Secret = secret
	return v, nil
}

// ListAPIKeys pages through the caller's keys (never their secrets).
func (s *Manage) ListAPIKeys(ctx context.Context, c domain.Caller, p domain.PageRequest) (domain.List[apitype.APIKey], error) {
	if err := domain.IDCursor("key", p.Cursor); err != nil {
		return domain.List[apitype.APIKey]{}, err
	}
	rows, err := s.store.ListAPIKeys(ctx, c.OrgID, store.Page{After: p.Cursor, Limit: p.Limit})
	if err != nil {
		return domain.List[apitype.APIKey]{}, err
	}
	return domain.IDPage(rows, p.Limit, func(k store.APIKey) string { return k.ID }, keyView), nil
}

// RevokeAPIKey revokes a key; requests with it fail from then on (on other
// replicas, within domain.HotCacheTTL).
func (s *Manage) RevokeAPIKey(ctx context.Context, c domain.Caller, id string) error {
	if err := s.store.RevokeAPIKey(ctx, c.OrgID, id, s.now()); err != nil {
		return domain.StoreErr(err, "api_key")
	}
	s.keyCache.Forget(func(_ string, k store.APIKey) bool { return k.ID == id })
	return nil
}

// RotateSecrets re-seals every sealed value (account tokens, webhook
// secrets, the WhatsApp journal) under the newest key.
func (s *Manage) RotateSecrets(ctx context.Context) (int, error) {
	return s.store.RotateSealed(ctx, func(id string, sealed []byte) ([]byte, error) {
		if !s.keys.NeedsRotation(sealed) {
			return nil, nil
		}
		return s.keys.Reseal(sealed, []byte(id))
	})
}
