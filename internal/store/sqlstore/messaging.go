package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/parleyhq/parley/internal/store"
)

func timeOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return ts(t)
}

func fromNull(n sql.NullTime) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return n.Time.UTC()
}

// ConversationMeta implements store.MessagingStore.
func (s *DB) ConversationMeta(ctx context.Context, orgID, accountID, threadID string) (store.ConversationMeta, error) {
	m := store.ConversationMeta{OrgID: orgID, AccountID: accountID, ThreadID: threadID}
	var in, out, ref, ep, dl, rd, arch, upd sql.NullTime
	err := s.queryRow(ctx, `SELECT participant_id, last_inbound_at, last_outbound_at, referral_at, entry_point_reply_at, delivered_at, read_at, archived_at, unread_count, updated_at
		FROM conversations WHERE org_id = ? AND account_id = ? AND thread_id = ?`, orgID, accountID, threadID).
		Scan(&m.ParticipantID, &in, &out, &ref, &ep, &dl, &rd, &arch, &m.UnreadCount, &upd)
	if errors.Is(err, sql.ErrNoRows) {
		return m, nil
	}
	m.LastInboundAt, m.LastOutboundAt, m.ReferralAt, m.EntryPointReplyAt, m.UpdatedAt = fromNull(in), fromNull(out), fromNull(ref), fromNull(ep), fromNull(upd)
	m.DeliveredAt, m.ReadAt, m.ArchivedAt = fromNull(dl), fromNull(rd), fromNull(arch)
	return m, err
}

// NoteReceipt implements store.MessagingStore. A read receipt moves both
// watermarks: what is read was delivered.
func (s *DB) NoteReceipt(ctx context.Context, orgID, accountID, threadID string, read bool, at time.Time) error {
	var rd any
	if read {
		rd = ts(at)
	}
	_, err := s.exec(ctx, `INSERT INTO conversations (account_id, thread_id, org_id, delivered_at, read_at, updated_at)
		SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM accounts WHERE org_id = ? AND id = ?)
		ON CONFLICT (account_id, thread_id) DO UPDATE SET `+later("delivered_at")+`, `+later("read_at")+`,
			updated_at = excluded.updated_at`,
		accountID, threadID, orgID, ts(at), rd, ts(time.Now()), orgID, accountID)
	return err
}

// later keeps the newer of the stored and the new value; written once so
// both dialects share it.
func later(col string) string {
	return col + ` = CASE WHEN conversations.` + col + ` IS NULL OR (excluded.` + col + ` IS NOT NULL AND excluded.` + col +
		` > conversations.` + col + `) THEN excluded.` + col + ` ELSE conversations.` + col + ` END`
}

// unarchive clears archived_at as a customer message is noted: a customer
// writing again brings an archived conversation back (the hosted DM APIs'
// behaviour). Part of the upsert itself, so ingestion spends no extra
// statement on it. Every message noted is one Parley did not know of when
// the conversation was archived (ingestion notes each message once, and
// the inbox only a newer one than it knew, and it notes what the platform
// shows before archiving), so the user cannot have seen it: even one
// dated before the archiving (a late webhook) brings it back. Comparing
// times instead would hide messages, since platform times are coarse
// (WhatsApp's are whole seconds).
const unarchive = `archived_at = CASE WHEN excluded.last_inbound_at IS NULL THEN conversations.archived_at ELSE NULL END`

// NoteInbound implements store.MessagingStore.
func (s *DB) NoteInbound(ctx context.Context, m store.ConversationMeta, unreadDelta int) error {
	_, err := s.exec(ctx, `INSERT INTO conversations (account_id, thread_id, org_id, participant_id, last_inbound_at, referral_at, unread_count, updated_at)
		SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM accounts WHERE org_id = ? AND id = ?)
		ON CONFLICT (account_id, thread_id) DO UPDATE SET
			participant_id = CASE WHEN excluded.participant_id = '' THEN conversations.participant_id ELSE excluded.participant_id END,
			`+later("last_inbound_at")+`, `+later("referral_at")+`, `+unarchive+`,
			unread_count = conversations.unread_count + excluded.unread_count,
			updated_at = excluded.updated_at`,
		m.AccountID, m.ThreadID, m.OrgID, m.ParticipantID, timeOrNil(m.LastInboundAt), timeOrNil(m.ReferralAt), unreadDelta, ts(time.Now()),
		m.OrgID, m.AccountID)
	return err
}

// NoteOutbound implements store.MessagingStore.
func (s *DB) NoteOutbound(ctx context.Context, orgID, accountID, threadID string, at time.Time, entryPoint bool) error {
	var ep any
	if entryPoint {
		ep = ts(at)
	}
	_, err := s.exec(ctx, `INSERT INTO conversations (account_id, thread_id, org_id, last_outbound_at, entry_point_reply_at, updated_at)
		SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM accounts WHERE org_id = ? AND id = ?)
		ON CONFLICT (account_id, thread_id) DO UPDATE SET `+later("last_outbound_at")+`,
			entry_point_reply_at = COALESCE(conversations.entry_point_reply_at, excluded.entry_point_reply_at),
			updated_at = excluded.updated_at`,
		accountID, threadID, orgID, ts(at), ep, ts(time.Now()), orgID, accountID)
	return err
}

// SetArchived implements store.MessagingStore.
func (s *DB) SetArchived(ctx context.Context, orgID, accountID, threadID string, at time.Time) error {
	_, err := s.exec(ctx, `INSERT INTO conversations (account_id, thread_id, org_id, archived_at, updated_at)
		SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM accounts WHERE org_id = ? AND id = ?)
		ON CONFLICT (account_id, thread_id) DO UPDATE SET archived_at = excluded.archived_at, updated_at = excluded.updated_at
		WHERE conversations.org_id = excluded.org_id`,
		accountID, threadID, orgID, timeOrNil(at), ts(time.Now()), orgID, accountID)
	return err
}

// ArchivedThreads implements store.MessagingStore. The ids travel as one
// array parameter (PostgreSQL) or one JSON array (SQLite's json_each), so
// the statement text is the same whatever their number.
func (s *DB) ArchivedThreads(ctx context.Context, orgID string, threadIDs []string) (map[[2]string]time.Time, error) {
	out := map[[2]string]time.Time{}
	if len(threadIDs) == 0 {
		return out, nil
	}
	q, ids := `SELECT account_id, thread_id, archived_at FROM conversations
		WHERE org_id = ? AND archived_at IS NOT NULL AND thread_id IN (SELECT value FROM json_each(?))`, any(nil)
	if s.d.Arrays {
		q, ids = `SELECT account_id, thread_id, archived_at FROM conversations
		WHERE org_id = ? AND archived_at IS NOT NULL AND thread_id = ANY(?::text[])`, threadIDs
	} else {
		b, err := json.Marshal(threadIDs)
		if err != nil {
			return nil, err
		}
		ids = string(b)
	}
	type row struct {
		acct, thread string
		at           time.Time
	}
	rows, err := list(ctx, s, q, []any{orgID, ids}, func(r *sql.Rows) (row, error) {
		var x row
		err := r.Scan(&x.acct, &x.thread, &x.at)
		return x, err
	})
	for _, x := range rows {
		out[[2]string{x.acct, x.thread}] = x.at.UTC()
	}
	return out, err
}

// ClearUnread implements store.MessagingStore.
func (s *DB) ClearUnread(ctx context.Context, orgID, accountID, threadID string) error {
	_, err := s.exec(ctx, `UPDATE conversations SET unread_count = 0 WHERE org_id = ? AND account_id = ? AND thread_id = ?`, orgID, accountID, threadID)
	return err
}

const idemCols = `org_id, key, request_hash, state, response_code, response_body, created_at`

func scanIdem(r interface{ Scan(...any) error }) (store.IdempotencyRecord, error) {
	var rec store.IdempotencyRecord
	err := r.Scan(&rec.OrgID, &rec.Key, &rec.RequestHash, &rec.State, &rec.ResponseCode, &rec.ResponseBody, &rec.CreatedAt)
	rec.CreatedAt = rec.CreatedAt.UTC()
	return rec, notFound(err)
}

// ClaimIdempotencyKey implements store.MessagingStore. The primary key makes
// the claim atomic across replicas: exactly one INSERT wins.
func (s *DB) ClaimIdempotencyKey(ctx context.Context, rec store.IdempotencyRecord, ttl time.Duration) (store.IdempotencyRecord, bool, error) {
	if _, err := s.exec(ctx, `DELETE FROM idempotency_keys WHERE org_id = ? AND key = ? AND created_at < ?`,
		rec.OrgID, rec.Key, ts(rec.CreatedAt.Add(-ttl))); err != nil {
		return rec, false, err
	}
	res, err := s.exec(ctx, `INSERT INTO idempotency_keys (`+idemCols+`) VALUES (?, ?, ?, ?, 0, NULL, ?) ON CONFLICT (org_id, key) DO NOTHING`,
		rec.OrgID, rec.Key, rec.RequestHash, store.IdempotencyPending, ts(rec.CreatedAt))
	if err != nil {
		return rec, false, err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		rec.State = store.IdempotencyPending
		return rec, true, nil
	}
	got, err := s.GetIdempotencyKey(ctx, rec.OrgID, rec.Key)
	if errors.Is(err, store.ErrNotFound) {
		// Released between our INSERT and SELECT: try once more.
		return s.ClaimIdempotencyKey(ctx, rec, ttl)
	}
	return got, false, err
}

// CompleteIdempotencyKey implements store.MessagingStore.
func (s *DB) CompleteIdempotencyKey(ctx context.Context, orgID, key string, code int, body []byte) error {
	return s.execOne(ctx, `UPDATE idempotency_keys SET state = ?, response_code = ?, response_body = ? WHERE org_id = ? AND key = ?`,
		store.IdempotencyComplete, code, body, orgID, key)
}

// ReleaseIdempotencyKey implements store.MessagingStore.
func (s *DB) ReleaseIdempotencyKey(ctx context.Context, orgID, key string) error {
	_, err := s.exec(ctx, `DELETE FROM idempotency_keys WHERE org_id = ? AND key = ? AND state = ?`, orgID, key, store.IdempotencyPending)
	return err
}

// GetIdempotencyKey implements store.MessagingStore.
func (s *DB) GetIdempotencyKey(ctx context.Context, orgID, key string) (store.IdempotencyRecord, error) {
	return scanIdem(s.queryRow(ctx, `SELECT `+idemCols+` FROM idempotency_keys WHERE org_id = ? AND key = ?`, orgID, key))
}

// Hit implements store.MessagingStore with one atomic upsert, so concurrent
// replicas never lose a count.
func (s *DB) Hit(ctx context.Context, bucket string, window int64, n int, expires time.Time) (int, error) {
	var count int
	err := s.queryRow(ctx, `INSERT INTO rate_counters (bucket, window_start, count, expires_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (bucket, window_start) DO UPDATE SET count = rate_counters.count + excluded.count
		RETURNING count`, bucket, window, n, expires.Unix()).Scan(&count)
	return count, err
}

// PruneCounters deletes expired rate counters.
func (s *DB) PruneCounters(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.exec(ctx, `DELETE FROM rate_counters WHERE expires_at < ?`, now.Unix())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// CountUsage implements store.MessagingStore. The account must belong to
// the organisation, checked in the statement (as NoteInbound does): the
// counters are keyed by account alone, so without it another organisation
// could inflate this one's usage.
func (s *DB) CountUsage(ctx context.Context, orgID, accountID, month, category string, free bool) error {
	_, err := s.exec(ctx, `INSERT INTO whatsapp_usage (org_id, account_id, month, category, free, count)
		SELECT ?, ?, ?, ?, ?, 1 WHERE EXISTS (SELECT 1 FROM accounts WHERE org_id = ? AND id = ?)
		ON CONFLICT (account_id, month, category, free) DO UPDATE SET count = whatsapp_usage.count + 1`,
		orgID, accountID, month, category, free, orgID, accountID)
	return err
}

// Usage implements store.MessagingStore.
func (s *DB) Usage(ctx context.Context, orgID, accountID, month string) ([]store.UsageRow, error) {
	q, args := `SELECT account_id, month, category, free, count FROM whatsapp_usage WHERE org_id = ? AND account_id = ?`, []any{orgID, accountID}
	if month != "" {
		q += ` AND month = ?`
		args = append(args, month)
	}
	q += ` ORDER BY month, category, free`
	return list(ctx, s, q, args, func(r *sql.Rows) (store.UsageRow, error) {
		var u store.UsageRow
		return u, r.Scan(&u.AccountID, &u.Month, &u.Category, &u.Free, &u.Count)
	})
}

// ThreadByParticipant implements store.MessagingStore.
func (s *DB) ThreadByParticipant(ctx context.Context, accountID, participantID string) (string, error) {
	var thread string
	err := s.queryRow(ctx, `SELECT thread_id FROM conversations WHERE account_id = ? AND participant_id = ? ORDER BY updated_at DESC LIMIT 1`,
		accountID, participantID).Scan(&thread)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return thread, err
}

// AwaitingReply implements store.MessagingStore.
func (s *DB) AwaitingReply(ctx context.Context, from, to time.Time) ([]store.ConversationMeta, error) {
	return list(ctx, s, `SELECT org_id, account_id, thread_id, participant_id, last_inbound_at FROM conversations
		WHERE last_inbound_at >= ? AND last_inbound_at < ? AND (last_outbound_at IS NULL OR last_outbound_at < last_inbound_at)
		ORDER BY last_inbound_at LIMIT 10000`, []any{ts(from), ts(to)}, func(r *sql.Rows) (store.ConversationMeta, error) {
		var m store.ConversationMeta
		var in sql.NullTime
		err := r.Scan(&m.OrgID, &m.AccountID, &m.ThreadID, &m.ParticipantID, &in)
		m.LastInboundAt = fromNull(in)
		return m, err
	})
}

// PruneIdempotencyKeys implements store.MessagingStore.
func (s *DB) PruneIdempotencyKeys(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.exec(ctx, `DELETE FROM idempotency_keys WHERE created_at < ?`, ts(before))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
