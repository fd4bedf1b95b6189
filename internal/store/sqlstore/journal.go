package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/parleyhq/parley/internal/store"
)

const journalCols = `id, account_id, wa_id, wamid, direction, sealed, status, created_at, expires_at`

// AppendJournal implements store.JournalStore.
func (s *DB) AppendJournal(ctx context.Context, e store.JournalEntry) (bool, error) {
	// A placeholder keeps its (deterministic) id, so the body sealed for that
	// id opens; its status, which came first, is kept.
	res, err := s.exec(ctx, `INSERT INTO whatsapp_messages (`+journalCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (account_id, wamid) DO UPDATE SET sealed = excluded.sealed, direction = excluded.direction,
			wa_id = excluded.wa_id, created_at = excluded.created_at, expires_at = excluded.expires_at
		WHERE whatsapp_messages.sealed = ?`,
		e.ID, e.AccountID, e.WaID, e.WamID, e.Direction, e.Sealed, e.Status, ts(e.CreatedAt), ts(e.ExpiresAt), []byte{})
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// JournalThreads implements store.JournalStore.
func (s *DB) JournalThreads(ctx context.Context, accountID string, offset, limit int) ([]store.JournalThread, error) {
	return list(ctx, s, `SELECT wa_id, MAX(created_at) AS last_at FROM whatsapp_messages WHERE account_id = ?
		GROUP BY wa_id ORDER BY last_at DESC, wa_id LIMIT ? OFFSET ?`, []any{accountID, limit, offset},
		func(r *sql.Rows) (store.JournalThread, error) {
			var t store.JournalThread
			// MAX() loses SQLite's column type, so scan through a string
			// there; PostgreSQL returns a time.
			var raw any
			if err := r.Scan(&t.WaID, &raw); err != nil {
				return t, err
			}
			var err error
			t.LastAt, err = anyTime(raw)
			return t, err
		})
}

// anyTime reads a timestamp that came back without its column type.
func anyTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x.UTC(), nil
	case string:
		for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00"} {
			if t, err := time.Parse(layout, x); err == nil {
				return t.UTC(), nil
			}
		}
	case []byte:
		return anyTime(string(x))
	}
	return time.Time{}, &time.ParseError{Value: "timestamp", Message: "unrecognised timestamp"}
}

// JournalMessages implements store.JournalStore.
func (s *DB) JournalMessages(ctx context.Context, accountID, waID string, offset, limit int) ([]store.JournalEntry, error) {
	return list(ctx, s, `SELECT `+journalCols+`, status_at FROM whatsapp_messages WHERE account_id = ? AND wa_id = ?
		ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`, []any{accountID, waID, limit, offset},
		func(r *sql.Rows) (store.JournalEntry, error) {
			var e store.JournalEntry
			var statusAt sql.NullTime
			err := r.Scan(&e.ID, &e.AccountID, &e.WaID, &e.WamID, &e.Direction, &e.Sealed, &e.Status, &e.CreatedAt, &e.ExpiresAt, &statusAt)
			e.CreatedAt, e.ExpiresAt, e.StatusAt = e.CreatedAt.UTC(), e.ExpiresAt.UTC(), fromNull(statusAt)
			return e, err
		})
}

// statusRank orders delivery states so a late webhook never moves a
// message backwards (Meta does not guarantee status order).
const statusRank = `CASE %s WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'read' THEN 3 WHEN 'failed' THEN 3 ELSE 0 END`

// SetJournalStatus implements store.JournalStore.
func (s *DB) SetJournalStatus(ctx context.Context, p store.JournalEntry) error {
	// status_at is when the status moved: the receipt's own time, kept
	// with the status it came with.
	_, err := s.exec(ctx, `INSERT INTO whatsapp_messages (`+journalCols+`, status_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (account_id, wamid) DO UPDATE SET status = excluded.status, status_at = excluded.status_at
		WHERE `+fmt.Sprintf(statusRank, "excluded.status")+` > `+fmt.Sprintf(statusRank, "whatsapp_messages.status"),
		p.ID, p.AccountID, p.WaID, p.WamID, p.Direction, []byte{}, p.Status, ts(p.CreatedAt), ts(p.ExpiresAt), timeOrNil(p.StatusAt))
	return err
}

// PruneJournal implements store.JournalStore.
func (s *DB) PruneJournal(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.exec(ctx, `DELETE FROM whatsapp_messages WHERE expires_at < ?`, ts(now))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
