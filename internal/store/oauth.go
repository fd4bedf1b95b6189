package store

import (
	"context"
	"time"
)

// OAuthClient is a client registered with Parley's MCP authorization
// server (RFC 7591): a public client, so it holds no secret, and its
// redirect URIs are matched exactly.
type OAuthClient struct {
	ID           string
	Name         string
	RedirectURIs []string
	CreatedAt    time.Time
}

// OAuthCode is an authorization code, kept as the SHA-256 of its value. It
// binds what the person approved: the client, the redirect URI, the PKCE
// challenge, the scopes, the resource and the organisation.
type OAuthCode struct {
	Hash        []byte
	ClientID    string
	OrgID       string
	UserID      string
	RedirectURI string
	Challenge   string
	Scope       string
	Resource    string
	ExpiresAt   time.Time
	UsedAt      *time.Time
	CreatedAt   time.Time
}

// OAuth token kinds.
const (
	OAuthAccess  = "access"
	OAuthRefresh = "refresh"
)

// OAuthToken is an access or refresh token, kept as the SHA-256 of its
// value. Tokens issued from one authorization share a Family: refreshing
// rotates within it, and a replayed refresh token revokes all of it.
type OAuthToken struct {
	Hash      []byte
	Kind      string
	Family    string
	ClientID  string
	OrgID     string
	UserID    string
	Scope     string
	Resource  string
	ExpiresAt time.Time
	UsedAt    *time.Time
	RevokedAt *time.Time
	CreatedAt time.Time
}

// OAuthStore keeps the MCP authorization server's clients, codes and
// tokens, so every replica shares them. It is part of Store.
type OAuthStore interface {
	CreateOAuthClient(ctx context.Context, c OAuthClient) error
	// GetOAuthClient finds a client; ErrNotFound when unknown.
	GetOAuthClient(ctx context.Context, id string) (OAuthClient, error)
	CreateOAuthCode(ctx context.Context, c OAuthCode) error
	// TakeOAuthCode marks a code used at now and returns it; first is
	// false when it had been used already (a replay, which the caller
	// treats). ErrNotFound when unknown.
	TakeOAuthCode(ctx context.Context, hash []byte, now time.Time) (c OAuthCode, first bool, err error)
	CreateOAuthToken(ctx context.Context, t OAuthToken) error
	// GetOAuthToken finds a token by hash; ErrNotFound when unknown.
	GetOAuthToken(ctx context.Context, hash []byte) (OAuthToken, error)
	// UseOAuthToken marks a live refresh token used at now, once:
	// ErrNotFound when it was already used or revoked.
	UseOAuthToken(ctx context.Context, hash []byte, now time.Time) error
	// RevokeOAuthFamily revokes every token of a family.
	RevokeOAuthFamily(ctx context.Context, family string, now time.Time) error
	// PruneOAuth deletes codes and tokens that expired before a time: a
	// used refresh token is kept until then, so its replay is still told
	// from an unknown token.
	PruneOAuth(ctx context.Context, before time.Time) (int64, error)
}
