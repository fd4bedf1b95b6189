package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/parleyhq/parley/internal/store"
)

const personCols = `id, org_id, email, name, role, password_hash, created_at, updated_at`

func scanPerson(r interface{ Scan(...any) error }) (store.Person, error) {
	var p store.Person
	err := r.Scan(&p.ID, &p.OrgID, &p.Email, &p.Name, &p.Role, &p.PasswordHash, &p.CreatedAt, &p.UpdatedAt)
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	return p, notFound(err)
}

// CreatePerson implements store.PeopleStore.
func (s *DB) CreatePerson(ctx context.Context, p store.Person) error {
	_, err := s.exec(ctx, `INSERT INTO people (`+personCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.OrgID, p.Email, p.Name, p.Role, p.PasswordHash, ts(p.CreatedAt), ts(p.UpdatedAt))
	return err
}

// GetPerson implements store.PeopleStore.
func (s *DB) GetPerson(ctx context.Context, orgID, id string) (store.Person, error) {
	return scanPerson(s.queryRow(ctx, `SELECT `+personCols+` FROM people WHERE org_id = ? AND id = ?`, orgID, id))
}

// PersonByEmail implements store.PeopleStore.
func (s *DB) PersonByEmail(ctx context.Context, email string) (store.Person, error) {
	return scanPerson(s.queryRow(ctx, `SELECT `+personCols+` FROM people WHERE email = ?`, email))
}

// ListPeople implements store.PeopleStore.
func (s *DB) ListPeople(ctx context.Context, orgID string, p store.Page) ([]store.Person, error) {
	q, args := keyset(`SELECT `+personCols+` FROM people WHERE org_id = ?`, []any{orgID}, p)
	return list(ctx, s, q, args, func(r *sql.Rows) (store.Person, error) { return scanPerson(r) })
}

// SetPassword implements store.PeopleStore.
func (s *DB) SetPassword(ctx context.Context, orgID, id, hash string, at time.Time) error {
	return s.execOne(ctx, `UPDATE people SET password_hash = ?, updated_at = ? WHERE org_id = ? AND id = ?`, hash, ts(at), orgID, id)
}

// CreateSignInLink implements store.PeopleStore. The person is checked in
// the statement, so a link can never sign in to another organisation.
func (s *DB) CreateSignInLink(ctx context.Context, l store.SignInLink) error {
	return s.execOne(ctx, `INSERT INTO signin_links (id, org_id, person_id, token_hash, expires_at, created_at)
		SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM people WHERE org_id = ? AND id = ?)`,
		l.ID, l.OrgID, l.PersonID, l.TokenHash, ts(l.ExpiresAt), ts(l.CreatedAt), l.OrgID, l.PersonID)
}

// UseSignInLink implements store.PeopleStore: one UPDATE … RETURNING, so of
// two racing requests exactly one gets the link.
func (s *DB) UseSignInLink(ctx context.Context, hash []byte, now time.Time) (store.SignInLink, error) {
	var l store.SignInLink
	var used sql.NullTime
	err := s.queryRow(ctx, `UPDATE signin_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?
		RETURNING id, org_id, person_id, token_hash, expires_at, created_at, used_at`, ts(now), hash, ts(now)).
		Scan(&l.ID, &l.OrgID, &l.PersonID, &l.TokenHash, &l.ExpiresAt, &l.CreatedAt, &used)
	l.ExpiresAt, l.CreatedAt, l.UsedAt = l.ExpiresAt.UTC(), l.CreatedAt.UTC(), nullTime(used)
	return l, notFound(err)
}

// CreateWebSession implements store.PeopleStore. The person is checked in
// the statement, like sign-in links.
func (s *DB) CreateWebSession(ctx context.Context, w store.WebSession) error {
	return s.execOne(ctx, `INSERT INTO web_sessions (id_hash, org_id, person_id, created_at, expires_at)
		SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM people WHERE org_id = ? AND id = ?)`,
		w.IDHash, w.OrgID, w.PersonID, ts(w.CreatedAt), ts(w.ExpiresAt), w.OrgID, w.PersonID)
}

// WebSessionByHash implements store.PeopleStore.
func (s *DB) WebSessionByHash(ctx context.Context, hash []byte, now time.Time) (store.WebSession, error) {
	var w store.WebSession
	err := s.queryRow(ctx, `SELECT id_hash, org_id, person_id, created_at, expires_at FROM web_sessions WHERE id_hash = ? AND expires_at > ?`,
		hash, ts(now)).Scan(&w.IDHash, &w.OrgID, &w.PersonID, &w.CreatedAt, &w.ExpiresAt)
	w.CreatedAt, w.ExpiresAt = w.CreatedAt.UTC(), w.ExpiresAt.UTC()
	return w, notFound(err)
}

// DeleteWebSession implements store.PeopleStore.
func (s *DB) DeleteWebSession(ctx context.Context, hash []byte) error {
	_, err := s.exec(ctx, `DELETE FROM web_sessions WHERE id_hash = ?`, hash)
	return err
}

// DeleteWebSessions implements store.PeopleStore.
func (s *DB) DeleteWebSessions(ctx context.Context, orgID, personID string) (int64, error) {
	res, err := s.exec(ctx, `DELETE FROM web_sessions WHERE org_id = ? AND person_id = ?`, orgID, personID)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// PruneSignIns implements store.PeopleStore.
func (s *DB) PruneSignIns(ctx context.Context, now time.Time) (int64, error) {
	var total int64
	for _, q := range []string{`DELETE FROM web_sessions WHERE expires_at <= ?`, `DELETE FROM signin_links WHERE expires_at <= ?`} {
		res, err := s.exec(ctx, q, ts(now))
		if err != nil {
			return total, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}
