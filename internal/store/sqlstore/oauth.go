package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/parleyhq/parley/internal/store"
)

// CreateOAuthClient implements store.OAuthStore.
func (s *DB) CreateOAuthClient(ctx context.Context, c store.OAuthClient) error {
	uris, err := json.Marshal(c.RedirectURIs)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, `INSERT INTO oauth_clients (id, name, redirect_uris, created_at) VALUES (?, ?, ?, ?)`,
		c.ID, c.Name, string(uris), ts(c.CreatedAt))
	return err
}

// GetOAuthClient implements store.OAuthStore.
func (s *DB) GetOAuthClient(ctx context.Context, id string) (store.OAuthClient, error) {
	var c store.OAuthClient
	var uris string
	err := s.queryRow(ctx, `SELECT id, name, redirect_uris, created_at FROM oauth_clients WHERE id = ?`, id).
		Scan(&c.ID, &c.Name, &uris, &c.CreatedAt)
	if err != nil {
		return c, notFound(err)
	}
	c.CreatedAt = c.CreatedAt.UTC()
	return c, json.Unmarshal([]byte(uris), &c.RedirectURIs)
}

const oauthCodeCols = `hash, client_id, org_id, user_id, redirect_uri, challenge, scope, resource, expires_at, used_at, created_at`

// CreateOAuthCode implements store.OAuthStore.
func (s *DB) CreateOAuthCode(ctx context.Context, c store.OAuthCode) error {
	_, err := s.exec(ctx, `INSERT INTO oauth_codes (`+oauthCodeCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.Hash, c.ClientID, c.OrgID, c.UserID, c.RedirectURI, c.Challenge, c.Scope, c.Resource, ts(c.ExpiresAt), tsPtr(c.UsedAt), ts(c.CreatedAt))
	return err
}

// TakeOAuthCode implements store.OAuthStore: the update claims the code
// once across replicas.
func (s *DB) TakeOAuthCode(ctx context.Context, hash []byte, now time.Time) (store.OAuthCode, bool, error) {
	claimed := s.execOne(ctx, `UPDATE oauth_codes SET used_at = ? WHERE hash = ? AND used_at IS NULL`, ts(now), hash)
	if claimed != nil && !errors.Is(claimed, store.ErrNotFound) {
		return store.OAuthCode{}, false, claimed
	}
	var c store.OAuthCode
	var used sql.NullTime
	err := s.queryRow(ctx, `SELECT `+oauthCodeCols+` FROM oauth_codes WHERE hash = ?`, hash).Scan(&c.Hash, &c.ClientID, &c.OrgID,
		&c.UserID, &c.RedirectURI, &c.Challenge, &c.Scope, &c.Resource, &c.ExpiresAt, &used, &c.CreatedAt)
	c.ExpiresAt, c.CreatedAt, c.UsedAt = c.ExpiresAt.UTC(), c.CreatedAt.UTC(), nullTime(used)
	return c, claimed == nil, notFound(err)
}

const oauthTokenCols = `hash, kind, family, client_id, org_id, user_id, scope, resource, expires_at, used_at, revoked_at, created_at`

// CreateOAuthToken implements store.OAuthStore.
func (s *DB) CreateOAuthToken(ctx context.Context, t store.OAuthToken) error {
	_, err := s.exec(ctx, `INSERT INTO oauth_tokens (`+oauthTokenCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.Hash, t.Kind, t.Family, t.ClientID, t.OrgID, t.UserID, t.Scope, t.Resource, ts(t.ExpiresAt), tsPtr(t.UsedAt), tsPtr(t.RevokedAt), ts(t.CreatedAt))
	return err
}

// GetOAuthToken implements store.OAuthStore.
func (s *DB) GetOAuthToken(ctx context.Context, hash []byte) (store.OAuthToken, error) {
	var t store.OAuthToken
	var used, revoked sql.NullTime
	err := s.queryRow(ctx, `SELECT `+oauthTokenCols+` FROM oauth_tokens WHERE hash = ?`, hash).Scan(&t.Hash, &t.Kind, &t.Family,
		&t.ClientID, &t.OrgID, &t.UserID, &t.Scope, &t.Resource, &t.ExpiresAt, &used, &revoked, &t.CreatedAt)
	t.ExpiresAt, t.CreatedAt, t.UsedAt, t.RevokedAt = t.ExpiresAt.UTC(), t.CreatedAt.UTC(), nullTime(used), nullTime(revoked)
	return t, notFound(err)
}

// UseOAuthToken implements store.OAuthStore.
func (s *DB) UseOAuthToken(ctx context.Context, hash []byte, now time.Time) error {
	return s.execOne(ctx, `UPDATE oauth_tokens SET used_at = ? WHERE hash = ? AND used_at IS NULL AND revoked_at IS NULL`, ts(now), hash)
}

// RevokeOAuthFamily implements store.OAuthStore.
func (s *DB) RevokeOAuthFamily(ctx context.Context, family string, now time.Time) error {
	_, err := s.exec(ctx, `UPDATE oauth_tokens SET revoked_at = ? WHERE family = ? AND revoked_at IS NULL`, ts(now), family)
	return err
}

// PruneOAuth implements store.OAuthStore.
func (s *DB) PruneOAuth(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	for _, table := range []string{"oauth_codes", "oauth_tokens"} {
		res, err := s.exec(ctx, `DELETE FROM `+table+` WHERE expires_at < ?`, ts(before))
		if err != nil {
			return n, err
		}
		k, err := res.RowsAffected()
		if err != nil {
			return n, err
		}
		n += k
	}
	return n, nil
}
