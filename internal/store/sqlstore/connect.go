package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/parleyhq/parley/internal/store"
)

const connectCols = `id, org_id, brand_id, platform, account_id, redirect_url, secret_hash, verifier, status, result_account_id, error_code,
	expires_at, created_at, updated_at, variant, browser_hash, assets`

func scanConnect(r interface{ Scan(...any) error }) (store.ConnectSession, error) {
	var c store.ConnectSession
	err := r.Scan(&c.ID, &c.OrgID, &c.BrandID, &c.Platform, &c.AccountID, &c.RedirectURL, &c.SecretHash, &c.Verifier, &c.Status,
		&c.ResultAccountID, &c.ErrorCode, &c.ExpiresAt, &c.CreatedAt, &c.UpdatedAt, &c.Variant, &c.BrowserHash, &c.Assets)
	c.ExpiresAt, c.CreatedAt, c.UpdatedAt = c.ExpiresAt.UTC(), c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return c, notFound(err)
}

// CreateConnectSession implements store.Store. The brand and the account to
// reconnect are checked in the statement, so a session can never name
// another organisation's records.
func (s *DB) CreateConnectSession(ctx context.Context, c store.ConnectSession) error {
	return s.execOne(ctx, `INSERT INTO connect_sessions (`+connectCols+`)
		SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
		WHERE EXISTS (SELECT 1 FROM brands WHERE org_id = ? AND id = ?)
		AND (? = '' OR EXISTS (SELECT 1 FROM accounts WHERE org_id = ? AND id = ? AND platform = ?))`,
		c.ID, c.OrgID, c.BrandID, c.Platform, c.AccountID, c.RedirectURL, c.SecretHash, c.Verifier, c.Status,
		c.ResultAccountID, c.ErrorCode, ts(c.ExpiresAt), ts(c.CreatedAt), ts(c.UpdatedAt), c.Variant, c.BrowserHash, c.Assets,
		c.OrgID, c.BrandID, c.AccountID, c.OrgID, c.AccountID, c.Platform)
}

// ConnectSessionByHash implements store.Store.
func (s *DB) ConnectSessionByHash(ctx context.Context, hash []byte) (store.ConnectSession, error) {
	return scanConnect(s.queryRow(ctx, `SELECT `+connectCols+` FROM connect_sessions WHERE secret_hash = ?`, hash))
}

// ConnectSessionByID implements store.Store.
func (s *DB) ConnectSessionByID(ctx context.Context, id string) (store.ConnectSession, error) {
	return scanConnect(s.queryRow(ctx, `SELECT `+connectCols+` FROM connect_sessions WHERE id = ?`, id))
}

// StartConnectSession implements store.Store.
func (s *DB) StartConnectSession(ctx context.Context, id string, verifier, browserHash []byte, now time.Time) error {
	return s.execOne(ctx, `UPDATE connect_sessions SET status = ?, verifier = ?, browser_hash = ?, updated_at = ?
		WHERE id = ? AND status = ? AND expires_at > ?`, store.ConnectStarted, verifier, browserHash, ts(now), id, store.ConnectPending, ts(now))
}

// SaveConnectAssets implements store.Store.
func (s *DB) SaveConnectAssets(ctx context.Context, id string, assets []byte, now time.Time) error {
	return s.execOne(ctx, `UPDATE connect_sessions SET assets = ?, updated_at = ? WHERE id = ? AND status = ?`,
		assets, ts(now), id, store.ConnectStarted)
}

// FinishConnectSession implements store.Store. The verifier and the
// candidates (with their tokens) are dropped: they have served.
func (s *DB) FinishConnectSession(ctx context.Context, id, status, accountID, errorCode string, now time.Time) error {
	return s.execOne(ctx, `UPDATE connect_sessions SET status = ?, result_account_id = ?, error_code = ?, verifier = NULL, assets = NULL, updated_at = ?
		WHERE id = ? AND status = ?`, status, accountID, errorCode, ts(now), id, store.ConnectStarted)
}

// HoldConnectSlot implements store.Store: the brand's row is the lock, as
// for CreateAccountWithin, so holds and new accounts share one count.
func (s *DB) HoldConnectSlot(ctx context.Context, id string, max int, now, until time.Time) (int, error) {
	c, err := s.ConnectSessionByID(ctx, id)
	if err != nil {
		return 0, err
	}
	if c.Status != store.ConnectStarted {
		return 0, store.ErrNotFound
	}
	var n int
	err = s.locked(ctx, lockBrand, []any{c.OrgID, c.BrandID}, func(t *DB) error {
		var err error
		if n, err = t.brandSlots(ctx, c.OrgID, c.BrandID, now); err != nil {
			return err
		}
		if max >= 0 && n >= max {
			return store.ErrLimit
		}
		if err := t.execOne(ctx, `UPDATE connect_sessions SET status = ?, expires_at = ?, updated_at = ? WHERE id = ? AND status = ?`,
			store.ConnectHolding, ts(until), ts(now), id, store.ConnectStarted); err != nil {
			return err
		}
		n++
		return nil
	})
	return n, err
}

// FinishHeldConnectSession implements store.Store.
func (s *DB) FinishHeldConnectSession(ctx context.Context, id, status, accountID, errorCode string, now time.Time) error {
	return s.execOne(ctx, `UPDATE connect_sessions SET status = ?, result_account_id = ?, error_code = ?, verifier = NULL, assets = NULL, updated_at = ?
		WHERE id = ? AND status = ?`, status, accountID, errorCode, ts(now), id, store.ConnectHolding)
}

// AccountByNative implements store.Store.
func (s *DB) AccountByNative(ctx context.Context, orgID, platform, nativeID string) (store.Account, error) {
	return scanAccount(s.queryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE org_id = ? AND platform = ? AND native_id = ?`,
		orgID, platform, nativeID))
}

// ExpiringAccounts implements store.Store.
func (s *DB) ExpiringAccounts(ctx context.Context, platform string, before time.Time, limit int) ([]store.Account, error) {
	return list(ctx, s, `SELECT `+accountCols+` FROM accounts WHERE platform = ? AND status = ? AND token_expires_at < ?
		AND refresh_credentials IS NOT NULL ORDER BY token_expires_at LIMIT ?`, []any{platform, store.AccountActive, ts(before), limit},
		func(r *sql.Rows) (store.Account, error) { return scanAccount(r) })
}

// LeaseRefresh implements store.Store: a compare-and-swap on the version and
// on the lease, so it holds across replicas on both backends without a
// transaction held open across the platform call.
func (s *DB) LeaseRefresh(ctx context.Context, orgID, id string, version int, now, until time.Time) error {
	return s.execOne(ctx, `UPDATE accounts SET refresh_lease_until = ?
		WHERE org_id = ? AND id = ? AND credentials_version = ? AND (refresh_lease_until IS NULL OR refresh_lease_until <= ?)`,
		ts(until), orgID, id, version, ts(now))
}

// ReplaceRefreshedCredentials implements store.Store.
func (s *DB) ReplaceRefreshedCredentials(ctx context.Context, a store.Account) error {
	return s.execOne(ctx, `UPDATE accounts SET credentials = ?, refresh_credentials = ?, token_expires_at = ?, scopes = ?,
		credentials_version = credentials_version + 1, refresh_lease_until = NULL, updated_at = ?
		WHERE org_id = ? AND id = ? AND credentials_version = ?`,
		a.Credentials, a.RefreshCredentials, tsPtr(a.TokenExpiresAt), a.Scopes, ts(a.UpdatedAt), a.OrgID, a.ID, a.CredentialsVersion)
}

// SetAccountGrantor implements store.Store.
func (s *DB) SetAccountGrantor(ctx context.Context, orgID, id, grantorID string, checkedAt time.Time) error {
	return s.execOne(ctx, `UPDATE accounts SET grantor_id = ?, token_checked_at = ? WHERE org_id = ? AND id = ?`,
		grantorID, ts(checkedAt), orgID, id)
}

// AccountsByGrantor implements store.Store.
func (s *DB) AccountsByGrantor(ctx context.Context, platforms []string, grantorID string) ([]store.Account, error) {
	q, args := inList(`SELECT `+accountCols+` FROM accounts WHERE status = ? AND grantor_id = ? AND platform IN (`, platforms,
		store.AccountActive, grantorID)
	return list(ctx, s, q+`) ORDER BY id`, args, func(r *sql.Rows) (store.Account, error) { return scanAccount(r) })
}

// TokensToCheck implements store.Store.
func (s *DB) TokensToCheck(ctx context.Context, platforms []string, checkedBefore time.Time, limit int) ([]store.Account, error) {
	// Only tokens Parley's own app obtained (a grantor is recorded when a
	// connect flow finishes) can be inspected with its app token: a token
	// pasted into POST /v1/accounts may come from the user's own Meta app,
	// which debug_token would report as invalid for ours.
	q, args := inList(`SELECT `+accountCols+` FROM accounts WHERE status = ? AND grantor_id <> '' AND (token_checked_at IS NULL OR token_checked_at < ?)
		AND platform IN (`, platforms, store.AccountActive, ts(checkedBefore))
	return list(ctx, s, q+`) ORDER BY token_checked_at, id LIMIT ?`, append(args, limit),
		func(r *sql.Rows) (store.Account, error) { return scanAccount(r) })
}

// MarkTokenChecked implements store.Store.
func (s *DB) MarkTokenChecked(ctx context.Context, orgID, id string, at time.Time) error {
	return s.execOne(ctx, `UPDATE accounts SET token_checked_at = ? WHERE org_id = ? AND id = ?`, ts(at), orgID, id)
}

// inList appends one placeholder per value to q (the caller closes the
// parenthesis) and returns the arguments: args first, then the values.
func inList(q string, values []string, args ...any) (string, []any) {
	for i, v := range values {
		if i > 0 {
			q += ", "
		}
		q += "?"
		args = append(args, v)
	}
	if len(values) == 0 {
		q += "NULL"
	}
	return q, args
}
