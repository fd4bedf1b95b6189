package apitype

import "time"

// Brand is the public shape of a brand: a group of connected accounts.
type Brand struct {
	// ID is the brand's id (brand_…).
	ID string `json:"id"`
	// Name is the brand's display name.
	Name string `json:"name"`
	// CreatedAt is when the brand was created.
	CreatedAt time.Time `json:"created_at"`
	// UpdatedAt is when it last changed.
	UpdatedAt time.Time `json:"updated_at"`
}

// BrandInput creates or renames a brand.
type BrandInput struct {
	// Name is the brand's display name.
	Name string `json:"name" jsonschema:"display name of the brand, 1-200 characters"`
}

// Account is the public shape of a connected account. Credentials never
// leave the server.
type Account struct {
	// ID is the account's id (acct_…).
	ID string `json:"id"`
	// BrandID is the account's brand.
	BrandID string `json:"brand_id"`
	// Platform is instagram, messenger, whatsapp, linkedin or x.
	Platform string `json:"platform"`
	// NativeID is the platform's own id of the account.
	NativeID string `json:"native_id"`
	// DisplayName is the name shown in lists.
	DisplayName string `json:"display_name"`
	// Status is active, reauth_required or disabled.
	Status string `json:"status"`
	// Variant is the API flavour (Instagram: instagram_login or
	// facebook_login); omitted when the platform has one.
	Variant string `json:"variant,omitempty"`
	// BusinessAccountID is the WhatsApp Business Account id (WhatsApp only).
	BusinessAccountID string `json:"business_account_id,omitempty"`
	// VerifiedAt is when the platform last confirmed that the token grants
	// the account; null for an account connected before tokens were
	// verified, which receives no inbound events until it is reconnected.
	VerifiedAt *time.Time `json:"verified_at"`
	// CreatedAt is when the account was connected.
	CreatedAt time.Time `json:"created_at"`
	// UpdatedAt is when it last changed.
	UpdatedAt time.Time `json:"updated_at"`
}

// AccountInput connects an account with a platform token the operator
// already holds.
type AccountInput struct {
	// BrandID is the brand the account joins.
	BrandID string `json:"brand_id" jsonschema:"brand the account belongs to"`
	// Platform is the account's platform.
	Platform string `json:"platform" jsonschema:"instagram, messenger, whatsapp, linkedin or x"`
	// NativeID is the platform's own account id.
	NativeID string `json:"native_id" jsonschema:"the platform's own account id (Page id, Instagram account id, WhatsApp phone-number id, LinkedIn organization URN, X user id)"`
	// DisplayName overrides the name the platform gives the account.
	DisplayName string `json:"display_name,omitempty" jsonschema:"name shown in lists; defaults to the name the platform gives the account"`
	// AccessToken is verified with the platform, stored sealed, never returned.
	AccessToken string `json:"access_token" jsonschema:"platform access token that grants native_id; verified with the platform, stored encrypted, never returned"`
	// Variant is the API flavour (Instagram only).
	Variant string `json:"variant,omitempty" jsonschema:"API flavour: instagram_login or facebook_login for Instagram"`
	// BusinessAccountID is needed to list a WhatsApp number's templates.
	BusinessAccountID string `json:"business_account_id,omitempty" jsonschema:"WhatsApp only: the WhatsApp Business Account id that owns the number's templates"`
}

// AccountUpdate changes a connected account. A new access token reconnects
// an account marked reauth_required (or disabled) without changing its id,
// so its conversation ids stay valid. Absent fields are left as they are.
type AccountUpdate struct {
	// AccessToken replaces the token, after the platform verifies it.
	AccessToken *string `json:"access_token,omitempty" jsonschema:"a new platform access token, verified with the platform first; reactivates the account"`
	// DisplayName renames the account.
	DisplayName *string `json:"display_name,omitempty" jsonschema:"name shown in lists"`
	// BusinessAccountID sets the WhatsApp Business Account id.
	BusinessAccountID *string `json:"business_account_id,omitempty" jsonschema:"WhatsApp only: the WhatsApp Business Account id"`
}

// APIKey is the public shape of an API key. Secret is set only in the
// response that creates the key: it is never stored and never shown again.
type APIKey struct {
	// ID is the key's id (key_…).
	ID string `json:"id"`
	// Name says what the key is for.
	Name string `json:"name"`
	// Hint is the secret's last four characters, to recognise it.
	Hint string `json:"hint"`
	// Secret is the key itself (sapi_key_…), in the creating response only.
	Secret string `json:"key,omitempty"`
	// CreatedAt is when the key was minted.
	CreatedAt time.Time `json:"created_at"`
	// LastUsedAt is when the key last authenticated (to the minute); null
	// when never.
	LastUsedAt *time.Time `json:"last_used_at"`
	// RevokedAt is when the key was revoked; null while it is valid.
	RevokedAt *time.Time `json:"revoked_at"`
}

// CreateAPIKeyInput names a new key.
type CreateAPIKeyInput struct {
	// Name says what the key is for.
	Name string `json:"name" jsonschema:"what the key is for, 1-200 characters"`
}

// UsageRow counts an account's WhatsApp messages of one month, pricing
// category and billability (DESIGN §2: counts, never prices).
type UsageRow struct {
	// AccountID is the WhatsApp account.
	AccountID string `json:"account_id"`
	// Month is YYYY-MM (UTC).
	Month string `json:"month"`
	// Category is the pricing category.
	Category string `json:"category"`
	// Free is true for messages WhatsApp does not bill.
	Free bool `json:"free"`
	// Count is how many messages.
	Count int `json:"count"`
}
