package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/store"
)

// DuePolls implements store.PollStore. Like AccountsByNative it keeps to
// active accounts with a verified token, in the statement.
func (s *DB) DuePolls(ctx context.Context, platform string, now time.Time, limit int) ([]store.PollState, error) {
	return list(ctx, s, `SELECT COALESCE(p.newest_id, ''), COALESCE(p.idle_polls, 0), p.next_poll_at, `+prefixed("a.", accountCols)+`
		FROM accounts a LEFT JOIN poll_state p ON p.account_id = a.id
		WHERE a.platform = ? AND a.status = ? AND a.verified_at IS NOT NULL AND (p.next_poll_at IS NULL OR p.next_poll_at <= ?)
		ORDER BY p.next_poll_at IS NOT NULL, p.next_poll_at, a.id LIMIT ?`,
		[]any{platform, store.AccountActive, ts(now), limit}, func(r *sql.Rows) (store.PollState, error) {
			var p store.PollState
			var next sql.NullTime
			dest := []any{&p.NewestID, &p.IdlePolls, &next}
			a, err := scanAccount(rowPrefix{r, dest})
			p.Account, p.AccountID, p.NextPollAt = a, a.ID, fromNull(next)
			return p, err
		})
}

// SavePoll implements store.PollStore.
func (s *DB) SavePoll(ctx context.Context, p store.PollState) error {
	_, err := s.exec(ctx, `INSERT INTO poll_state (account_id, newest_id, idle_polls, next_poll_at, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (account_id) DO UPDATE SET newest_id = excluded.newest_id, idle_polls = excluded.idle_polls,
			next_poll_at = excluded.next_poll_at, updated_at = excluded.updated_at`,
		p.AccountID, p.NewestID, p.IdlePolls, ts(p.NextPollAt), ts(time.Now()))
	return err
}

// rowPrefix scans leading columns into dest before handing the rest to a
// scanner of a known column list.
type rowPrefix struct {
	r    interface{ Scan(...any) error }
	dest []any
}

func (p rowPrefix) Scan(rest ...any) error { return p.r.Scan(append(p.dest, rest...)...) }

// prefixed qualifies each column of a comma-separated list with a table
// alias.
func prefixed(alias, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = alias + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}
