package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/parleyhq/parley/internal/store"
)

// CreateOrganization implements store.Store.
func (s *DB) CreateOrganization(ctx context.Context, o store.Organization) error {
	_, err := s.exec(ctx, `INSERT INTO organizations (id, name, plan, created_at) VALUES (?, ?, ?, ?)`, o.ID, o.Name, o.Plan, ts(o.CreatedAt))
	return err
}

const orgCols = `id, name, plan, created_at`

func scanOrg(r interface{ Scan(...any) error }) (store.Organization, error) {
	var o store.Organization
	err := r.Scan(&o.ID, &o.Name, &o.Plan, &o.CreatedAt)
	o.CreatedAt = o.CreatedAt.UTC()
	return o, notFound(err)
}

// GetOrganization implements store.Store.
func (s *DB) GetOrganization(ctx context.Context, id string) (store.Organization, error) {
	return scanOrg(s.queryRow(ctx, `SELECT `+orgCols+` FROM organizations WHERE id = ?`, id))
}

// FindOrganizationByName implements store.Store; the oldest wins on a tie.
func (s *DB) FindOrganizationByName(ctx context.Context, name string) (store.Organization, error) {
	return scanOrg(s.queryRow(ctx, `SELECT `+orgCols+` FROM organizations WHERE name = ? ORDER BY id LIMIT 1`, name))
}

const brandCols = `id, org_id, name, created_at, updated_at`

func scanBrand(r interface{ Scan(...any) error }) (store.Brand, error) {
	var b store.Brand
	err := r.Scan(&b.ID, &b.OrgID, &b.Name, &b.CreatedAt, &b.UpdatedAt)
	b.CreatedAt, b.UpdatedAt = b.CreatedAt.UTC(), b.UpdatedAt.UTC()
	return b, notFound(err)
}

// CreateBrand implements store.Store.
func (s *DB) CreateBrand(ctx context.Context, b store.Brand) error {
	_, err := s.exec(ctx, `INSERT INTO brands (`+brandCols+`) VALUES (?, ?, ?, ?, ?)`,
		b.ID, b.OrgID, b.Name, ts(b.CreatedAt), ts(b.UpdatedAt))
	return err
}

// GetBrand implements store.Store.
func (s *DB) GetBrand(ctx context.Context, orgID, id string) (store.Brand, error) {
	return scanBrand(s.queryRow(ctx, `SELECT `+brandCols+` FROM brands WHERE org_id = ? AND id = ?`, orgID, id))
}

// ListBrands implements store.Store.
func (s *DB) ListBrands(ctx context.Context, orgID string, p store.Page) ([]store.Brand, error) {
	q, args := keyset(`SELECT `+brandCols+` FROM brands WHERE org_id = ?`, []any{orgID}, p)
	return list(ctx, s, q, args, func(r *sql.Rows) (store.Brand, error) { return scanBrand(r) })
}

// UpdateBrand implements store.Store.
func (s *DB) UpdateBrand(ctx context.Context, b store.Brand) error {
	return s.execOne(ctx, `UPDATE brands SET name = ?, updated_at = ? WHERE org_id = ? AND id = ?`,
		b.Name, ts(b.UpdatedAt), b.OrgID, b.ID)
}

// DeleteBrand implements store.Store. A brand that still has accounts cannot
// be deleted (ErrConflict): deleting it would orphan their credentials.
func (s *DB) DeleteBrand(ctx context.Context, orgID, id string) error {
	var n int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM accounts WHERE org_id = ? AND brand_id = ?`, orgID, id).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return store.ErrConflict
	}
	return s.execOne(ctx, `DELETE FROM brands WHERE org_id = ? AND id = ?`, orgID, id)
}

const accountCols = `id, org_id, brand_id, platform, native_id, display_name, status, variant, credentials, created_at, updated_at, business_account_id, verified_at,
	token_expires_at, refresh_credentials, scopes, credentials_version`

func scanAccount(r interface{ Scan(...any) error }) (store.Account, error) {
	var a store.Account
	var verified, expires sql.NullTime
	err := r.Scan(&a.ID, &a.OrgID, &a.BrandID, &a.Platform, &a.NativeID, &a.DisplayName, &a.Status, &a.Variant,
		&a.Credentials, &a.CreatedAt, &a.UpdatedAt, &a.BusinessAccountID, &verified,
		&expires, &a.RefreshCredentials, &a.Scopes, &a.CredentialsVersion)
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	a.VerifiedAt, a.TokenExpiresAt = nullTime(verified), nullTime(expires)
	return a, notFound(err)
}

// CreateAccount implements store.Store. The brand must belong to the same
// organisation: the check is in the statement so it cannot be skipped.
func (s *DB) CreateAccount(ctx context.Context, a store.Account) error {
	return s.execOne(ctx, `INSERT INTO accounts (`+accountCols+`)
		SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM brands WHERE org_id = ? AND id = ?)`,
		a.ID, a.OrgID, a.BrandID, a.Platform, a.NativeID, a.DisplayName, a.Status, a.Variant, a.Credentials,
		ts(a.CreatedAt), ts(a.UpdatedAt), a.BusinessAccountID, tsPtr(a.VerifiedAt),
		tsPtr(a.TokenExpiresAt), a.RefreshCredentials, a.Scopes, a.CredentialsVersion, a.OrgID, a.BrandID)
}

// GetAccount implements store.Store.
func (s *DB) GetAccount(ctx context.Context, orgID, id string) (store.Account, error) {
	return scanAccount(s.queryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE org_id = ? AND id = ?`, orgID, id))
}

// ListAccounts implements store.Store.
func (s *DB) ListAccounts(ctx context.Context, orgID string, f store.AccountFilter) ([]store.Account, error) {
	q, args := `SELECT `+accountCols+` FROM accounts WHERE org_id = ?`, []any{orgID}
	for _, c := range []struct{ col, v string }{{"brand_id", f.BrandID}, {"platform", f.Platform}, {"status", f.Status}} {
		if c.v != "" {
			q += " AND " + c.col + " = ?"
			args = append(args, c.v)
		}
	}
	q, args = keyset(q, args, f.Page)
	return list(ctx, s, q, args, func(r *sql.Rows) (store.Account, error) { return scanAccount(r) })
}

// SetAccountStatus implements store.Store.
func (s *DB) SetAccountStatus(ctx context.Context, orgID, id, status string) error {
	return s.execOne(ctx, `UPDATE accounts SET status = ?, updated_at = ? WHERE org_id = ? AND id = ?`,
		status, ts(time.Now()), orgID, id)
}

// UpdateAccount implements store.Store. New credentials bump the version,
// so a refresh that read the old ones cannot overwrite them.
func (s *DB) UpdateAccount(ctx context.Context, a store.Account) error {
	return s.execOne(ctx, `UPDATE accounts SET display_name = ?, credentials = ?, status = ?, business_account_id = ?, verified_at = ?, updated_at = ?,
		token_expires_at = ?, refresh_credentials = ?, scopes = ?, refresh_lease_until = NULL, credentials_version = credentials_version + 1
		WHERE org_id = ? AND id = ?`, a.DisplayName, a.Credentials, a.Status, a.BusinessAccountID, tsPtr(a.VerifiedAt), ts(a.UpdatedAt),
		tsPtr(a.TokenExpiresAt), a.RefreshCredentials, a.Scopes, a.OrgID, a.ID)
}

// DeleteAccount implements store.Store.
func (s *DB) DeleteAccount(ctx context.Context, orgID, id string) error {
	return s.execOne(ctx, `DELETE FROM accounts WHERE org_id = ? AND id = ?`, orgID, id)
}

// sealedColumns are every column holding a value sealed by package secrets,
// with the row id as its associated data.
var sealedColumns = []struct{ table, column string }{
	{"accounts", "credentials"},
	{"accounts", "refresh_credentials"},
	{"connect_sessions", "verifier"},
	{"connect_sessions", "assets"},
	{"webhook_endpoints", "secret"},
	{"webhook_endpoints", "previous_secret"},
	{"whatsapp_messages", "sealed"},
	{"inbound_queue", "body"},
}

// RotateSealed implements store.Store. Rows are read in pages and re-sealed
// one statement at a time, so rotation runs while the server serves; each
// update is a compare-and-swap on the old value, so a concurrent change wins.
func (s *DB) RotateSealed(ctx context.Context, fn func(id string, sealed []byte) ([]byte, error)) (int, error) {
	type row struct {
		id     string
		sealed []byte
	}
	n := 0
	for _, c := range sealedColumns {
		after := ""
		for {
			rows, err := list(ctx, s, `SELECT id, `+c.column+` FROM `+c.table+` WHERE id > ? AND `+c.column+` IS NOT NULL ORDER BY id LIMIT 500`,
				[]any{after}, func(r *sql.Rows) (row, error) {
					var x row
					return x, r.Scan(&x.id, &x.sealed)
				})
			if err != nil {
				return n, err
			}
			for _, r := range rows {
				after = r.id
				if len(r.sealed) == 0 {
					continue // a journal placeholder: nothing sealed yet
				}
				next, err := fn(r.id, r.sealed)
				if err != nil {
					return n, fmt.Errorf("%s.%s of %s: %w", c.table, c.column, r.id, err)
				}
				if next == nil {
					continue
				}
				if _, err := s.exec(ctx, `UPDATE `+c.table+` SET `+c.column+` = ? WHERE id = ? AND `+c.column+` = ?`, next, r.id, r.sealed); err != nil {
					return n, err
				}
				n++
			}
			if len(rows) < 500 {
				break
			}
		}
	}
	return n, nil
}

const keyCols = `id, org_id, name, hash, hint, created_at, last_used_at, revoked_at`

func scanKey(r interface{ Scan(...any) error }) (store.APIKey, error) {
	var k store.APIKey
	var used, revoked sql.NullTime
	err := r.Scan(&k.ID, &k.OrgID, &k.Name, &k.Hash, &k.Hint, &k.CreatedAt, &used, &revoked)
	k.CreatedAt = k.CreatedAt.UTC()
	k.LastUsedAt, k.RevokedAt = nullTime(used), nullTime(revoked)
	return k, notFound(err)
}

// CreateAPIKey implements store.Store.
func (s *DB) CreateAPIKey(ctx context.Context, k store.APIKey) error {
	_, err := s.exec(ctx, `INSERT INTO api_keys (`+keyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.OrgID, k.Name, k.Hash, k.Hint, ts(k.CreatedAt), tsPtr(k.LastUsedAt), tsPtr(k.RevokedAt))
	return err
}

// ListAPIKeys implements store.Store.
func (s *DB) ListAPIKeys(ctx context.Context, orgID string, p store.Page) ([]store.APIKey, error) {
	q, args := keyset(`SELECT `+keyCols+` FROM api_keys WHERE org_id = ?`, []any{orgID}, p)
	return list(ctx, s, q, args, func(r *sql.Rows) (store.APIKey, error) { return scanKey(r) })
}

// RevokeAPIKey implements store.Store; revoking twice keeps the first time.
func (s *DB) RevokeAPIKey(ctx context.Context, orgID, id string, at time.Time) error {
	return s.execOne(ctx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE org_id = ? AND id = ?`, ts(at), orgID, id)
}

// APIKeyByHash implements store.Store.
func (s *DB) APIKeyByHash(ctx context.Context, hash []byte) (store.APIKey, error) {
	return scanKey(s.queryRow(ctx, `SELECT `+keyCols+` FROM api_keys WHERE hash = ?`, hash))
}

// TouchAPIKey implements store.Store.
func (s *DB) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	_, err := s.exec(ctx, `UPDATE api_keys SET last_used_at = ? WHERE id = ?`, ts(at), id)
	return err
}
