package sqlstore

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/store"
)

// The batch writes serve group-committed ingestion: what a batch of inbound
// events writes goes out in one statement per table. On PostgreSQL that is
// one round trip each (rows passed as arrays and unnested, one statement
// text whatever the batch size, so pgx's per-connection statement cache
// keeps it prepared); SQLite has no round trips to save and runs its
// prepared single-row statements in a loop.

// InsertEvents implements store.WebhookStore.
func (s *DB) InsertEvents(ctx context.Context, es []store.Event) (map[string]bool, error) {
	fresh := map[string]bool{}
	if !s.d.Arrays {
		for _, e := range es {
			ok, err := s.InsertEvent(ctx, e)
			if err != nil {
				return nil, err
			}
			fresh[e.ID] = ok
		}
		return fresh, nil
	}
	if len(es) == 0 {
		return fresh, nil
	}
	n := len(es)
	ids, orgs, types, keys := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	payloads, created := make([][]byte, n), make([]time.Time, n)
	for i, e := range es {
		ids[i], orgs[i], types[i], keys[i], payloads[i], created[i] = e.ID, e.OrgID, e.Type, e.DedupeKey, e.Payload, ts(e.CreatedAt)
	}
	// Rows repeating a dedupe key, here or already stored, are skipped:
	// only the ids RETURNING names were inserted.
	rows, err := s.q.QueryContext(ctx, `INSERT INTO events (`+eventCols+`)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[], $6::timestamptz[])
		ON CONFLICT (org_id, dedupe_key) DO NOTHING RETURNING id`, ids, orgs, types, keys, payloads, created)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for _, id := range ids {
		fresh[id] = false
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		fresh[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	// Announced as InsertEvent announces each (live subscribers, NOTIFY).
	var ns []store.EventNotice
	for _, e := range es {
		if fresh[e.ID] {
			ns = append(ns, store.EventNotice{OrgID: e.OrgID, ID: e.ID, Type: e.Type})
		}
	}
	return fresh, s.recorded(ctx, ns...)
}

// AppendJournals implements store.JournalStore. Entries repeating an
// (account, wamid) within es keep the first.
func (s *DB) AppendJournals(ctx context.Context, es []store.JournalEntry) error {
	seen := map[[2]string]bool{}
	es = slices.DeleteFunc(slices.Clone(es), func(e store.JournalEntry) bool {
		k := [2]string{e.AccountID, e.WamID}
		dup := seen[k]
		seen[k] = true
		return dup
	})
	if !s.d.Arrays {
		for _, e := range es {
			if _, err := s.AppendJournal(ctx, e); err != nil {
				return err
			}
		}
		return nil
	}
	if len(es) == 0 {
		return nil
	}
	n := len(es)
	ids, accts, waIDs, wamids, dirs, statuses := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	sealed, created, expires := make([][]byte, n), make([]time.Time, n), make([]time.Time, n)
	for i, e := range es {
		ids[i], accts[i], waIDs[i], wamids[i], dirs[i], statuses[i] = e.ID, e.AccountID, e.WaID, e.WamID, e.Direction, e.Status
		sealed[i], created[i], expires[i] = e.Sealed, ts(e.CreatedAt), ts(e.ExpiresAt)
	}
	// As AppendJournal: a placeholder left by an earlier status keeps its
	// id and status and takes the message; a message already there stays.
	_, err := s.q.ExecContext(ctx, `INSERT INTO whatsapp_messages (`+journalCols+`)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[], $7::text[], $8::timestamptz[], $9::timestamptz[])
		ON CONFLICT (account_id, wamid) DO UPDATE SET sealed = excluded.sealed, direction = excluded.direction,
			wa_id = excluded.wa_id, created_at = excluded.created_at, expires_at = excluded.expires_at
		WHERE whatsapp_messages.sealed = $10`, ids, accts, waIDs, wamids, dirs, sealed, statuses, created, expires, []byte{})
	return err
}

// NoteInbounds implements store.MessagingStore: NoteInbound for each
// conversation, m.UnreadCount being the unread delta. Several entries for one
// conversation merge as consecutive NoteInbound calls would, and the
// conversations are written in key order, so two transactions touching the
// same conversations lock them in the same order and never deadlock.
func (s *DB) NoteInbounds(ctx context.Context, ms []store.ConversationMeta) error {
	merged := map[[2]string]*store.ConversationMeta{}
	var order [][2]string
	for _, m := range ms {
		k := [2]string{m.AccountID, m.ThreadID}
		p, ok := merged[k]
		if !ok {
			c := m
			merged[k] = &c
			order = append(order, k)
			continue
		}
		if m.ParticipantID != "" {
			p.ParticipantID = m.ParticipantID
		}
		if m.LastInboundAt.After(p.LastInboundAt) {
			p.LastInboundAt = m.LastInboundAt
		}
		if m.ReferralAt.After(p.ReferralAt) {
			p.ReferralAt = m.ReferralAt
		}
		p.UnreadCount += m.UnreadCount
	}
	slices.SortFunc(order, func(a, b [2]string) int {
		if c := strings.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return strings.Compare(a[1], b[1])
	})
	if !s.d.Arrays {
		for _, k := range order {
			m := merged[k]
			if err := s.NoteInbound(ctx, *m, m.UnreadCount); err != nil {
				return err
			}
		}
		return nil
	}
	if len(order) == 0 {
		return nil
	}
	n := len(order)
	accts, threads, orgs, parts := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	inbound, referral, unread := make([]*time.Time, n), make([]*time.Time, n), make([]int64, n)
	for i, k := range order {
		m := merged[k]
		accts[i], threads[i], orgs[i], parts[i], unread[i] = m.AccountID, m.ThreadID, m.OrgID, m.ParticipantID, int64(m.UnreadCount)
		inbound[i], referral[i] = timePtr(m.LastInboundAt), timePtr(m.ReferralAt)
	}
	// WITH ORDINALITY … ORDER BY keeps the key order for the row locks.
	_, err := s.q.ExecContext(ctx, `INSERT INTO conversations (account_id, thread_id, org_id, participant_id, last_inbound_at, referral_at, unread_count, updated_at)
		SELECT u.account_id, u.thread_id, u.org_id, u.participant_id, u.last_inbound_at, u.referral_at, u.unread, $8
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::int8[])
			WITH ORDINALITY AS u(account_id, thread_id, org_id, participant_id, last_inbound_at, referral_at, unread, n)
		WHERE EXISTS (SELECT 1 FROM accounts a WHERE a.org_id = u.org_id AND a.id = u.account_id)
		ORDER BY u.n
		ON CONFLICT (account_id, thread_id) DO UPDATE SET
			participant_id = CASE WHEN excluded.participant_id = '' THEN conversations.participant_id ELSE excluded.participant_id END,
			`+later("last_inbound_at")+`, `+later("referral_at")+`, `+unarchive+`,
			unread_count = conversations.unread_count + excluded.unread_count,
			updated_at = excluded.updated_at`,
		accts, threads, orgs, parts, inbound, referral, unread, ts(time.Now()))
	return err
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := ts(t)
	return &u
}
