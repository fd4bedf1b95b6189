package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/parleyhq/parley/internal/store"
)

const mediaCols = `id, org_id, type, content_type, filename, size, content, created_at, expires_at, used_at`

func scanMedia(r interface{ Scan(...any) error }) (store.Media, error) {
	var m store.Media
	var used sql.NullTime
	err := r.Scan(&m.ID, &m.OrgID, &m.Type, &m.ContentType, &m.Filename, &m.Size, &m.Content, &m.CreatedAt, &m.ExpiresAt, &used)
	m.CreatedAt, m.ExpiresAt, m.UsedAt = m.CreatedAt.UTC(), m.ExpiresAt.UTC(), nullTime(used)
	return m, notFound(err)
}

// CreateMedia implements store.MediaStore.
func (s *DB) CreateMedia(ctx context.Context, m store.Media) error {
	_, err := s.exec(ctx, `INSERT INTO media (`+mediaCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, m.OrgID, m.Type, m.ContentType, m.Filename, m.Size, m.Content, ts(m.CreatedAt), ts(m.ExpiresAt), tsPtr(m.UsedAt))
	return err
}

// GetMedia implements store.MediaStore.
func (s *DB) GetMedia(ctx context.Context, orgID, id string, now time.Time) (store.Media, error) {
	return scanMedia(s.queryRow(ctx, `SELECT `+mediaCols+` FROM media WHERE org_id = ? AND id = ? AND expires_at > ?`, orgID, id, ts(now)))
}

// MediaByID implements store.MediaStore.
func (s *DB) MediaByID(ctx context.Context, id string, now time.Time) (store.Media, error) {
	return scanMedia(s.queryRow(ctx, `SELECT `+mediaCols+` FROM media WHERE id = ? AND expires_at > ?`, id, ts(now)))
}

// UseMedia implements store.MediaStore.
func (s *DB) UseMedia(ctx context.Context, orgID string, ids []string, now time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	q, args := inList(`UPDATE media SET used_at = ? WHERE org_id = ? AND used_at IS NULL AND id IN (`, ids, ts(now), orgID)
	_, err := s.exec(ctx, q+`)`, args...)
	return err
}

// DeleteMedia implements store.MediaStore.
func (s *DB) DeleteMedia(ctx context.Context, orgID, id string) error {
	return s.execOne(ctx, `DELETE FROM media WHERE org_id = ? AND id = ?`, orgID, id)
}

// PruneMedia implements store.MediaStore.
func (s *DB) PruneMedia(ctx context.Context, now, usedBefore time.Time) (int64, error) {
	res, err := s.exec(ctx, `DELETE FROM media WHERE expires_at <= ? OR used_at < ?`, ts(now), ts(usedBefore))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
