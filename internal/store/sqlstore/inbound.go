package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/parleyhq/parley/internal/store"
)

const inboundCols = `id, source, body, received_at, next_at, attempts, last_error`

// AppendInbound implements store.InboundQueueStore: on PostgreSQL one
// unnest statement (one round trip, one commit outside a transaction),
// on SQLite one transaction of single-row inserts.
func (s *DB) AppendInbound(ctx context.Context, rs []store.InboundRaw) error {
	if len(rs) == 0 {
		return nil
	}
	if s.d.Arrays {
		n := len(rs)
		ids, sources, bodies := make([]string, n), make([]string, n), make([][]byte, n)
		received, next := make([]time.Time, n), make([]time.Time, n)
		for i, r := range rs {
			ids[i], sources[i], bodies[i], received[i], next[i] = r.ID, r.Source, r.Sealed, ts(r.ReceivedAt), ts(r.NextAt)
		}
		_, err := s.q.ExecContext(ctx, `INSERT INTO inbound_queue (id, source, body, received_at, next_at)
			SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::timestamptz[], $5::timestamptz[])`,
			ids, sources, bodies, received, next)
		return err
	}
	return s.atomically(ctx, len(rs) == 1, func(t *DB) error {
		for _, r := range rs {
			if _, err := t.exec(ctx, `INSERT INTO inbound_queue (id, source, body, received_at, next_at) VALUES (?, ?, ?, ?, ?)`,
				r.ID, r.Source, r.Sealed, ts(r.ReceivedAt), ts(r.NextAt)); err != nil {
				return err
			}
		}
		return nil
	})
}

// ClaimInbound implements store.InboundQueueStore.
func (s *DB) ClaimInbound(ctx context.Context, ids []string) (map[string]bool, error) {
	claimed := map[string]bool{}
	if len(ids) == 0 {
		return claimed, nil
	}
	if s.d.Arrays {
		rows, err := s.q.QueryContext(ctx, `DELETE FROM inbound_queue WHERE id = ANY($1::text[]) RETURNING id`, ids)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return nil, err
			}
			claimed[id] = true
		}
		return claimed, rows.Err()
	}
	for _, id := range ids {
		res, err := s.exec(ctx, `DELETE FROM inbound_queue WHERE id = ?`, id)
		if err != nil {
			return nil, err
		}
		if n, err := res.RowsAffected(); err != nil {
			return nil, err
		} else if n > 0 {
			claimed[id] = true
		}
	}
	return claimed, nil
}

// InboundDue implements store.InboundQueueStore.
func (s *DB) InboundDue(ctx context.Context, now time.Time, maxAttempts, limit int) ([]store.InboundRaw, error) {
	return list(ctx, s, `SELECT `+inboundCols+` FROM inbound_queue WHERE next_at <= ? AND attempts < ? ORDER BY next_at, id LIMIT ?`,
		[]any{ts(now), maxAttempts, limit}, func(r *sql.Rows) (store.InboundRaw, error) {
			var x store.InboundRaw
			err := r.Scan(&x.ID, &x.Source, &x.Sealed, &x.ReceivedAt, &x.NextAt, &x.Attempts, &x.LastError)
			x.ReceivedAt, x.NextAt = x.ReceivedAt.UTC(), x.NextAt.UTC()
			return x, err
		})
}

// FailInbound implements store.InboundQueueStore. A row already claimed
// (recorded meanwhile by another replica) is not an error.
func (s *DB) FailInbound(ctx context.Context, id, reason string, next time.Time) error {
	if len(reason) > 1000 {
		reason = reason[:1000]
	}
	_, err := s.exec(ctx, `UPDATE inbound_queue SET attempts = attempts + 1, last_error = ?, next_at = ? WHERE id = ?`, reason, ts(next), id)
	return err
}

// InboundBacklogStats implements store.InboundQueueStore.
func (s *DB) InboundBacklogStats(ctx context.Context) (store.InboundBacklog, error) {
	var b store.InboundBacklog
	var oldest sql.NullTime
	var pending, failed sql.NullInt64
	// SQLite's min() over a TIMESTAMP column yields text the driver cannot
	// scan into a time; ordering by the column and taking one row keeps its
	// type on both backends.
	err := s.queryRow(ctx, `SELECT count(*), sum(CASE WHEN attempts > 0 THEN 1 ELSE 0 END),
		(SELECT received_at FROM inbound_queue ORDER BY received_at LIMIT 1) FROM inbound_queue`).Scan(&pending, &failed, &oldest)
	b.Pending, b.Failed = pending.Int64, failed.Int64
	if oldest.Valid {
		b.Oldest = oldest.Time.UTC()
	}
	return b, err
}
