package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/store"
)

const eventCols = `id, org_id, type, dedupe_key, payload, created_at`

func scanEvent(r interface{ Scan(...any) error }) (store.Event, error) {
	var e store.Event
	err := r.Scan(&e.ID, &e.OrgID, &e.Type, &e.DedupeKey, &e.Payload, &e.CreatedAt)
	e.CreatedAt = e.CreatedAt.UTC()
	return e, notFound(err)
}

// InsertEvent implements store.WebhookStore.
func (s *DB) InsertEvent(ctx context.Context, e store.Event) (bool, error) {
	res, err := s.exec(ctx, `INSERT INTO events (`+eventCols+`) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (org_id, dedupe_key) DO NOTHING`,
		e.ID, e.OrgID, e.Type, e.DedupeKey, e.Payload, ts(e.CreatedAt))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil || n != 1 {
		return false, err
	}
	return true, s.recorded(ctx, store.EventNotice{OrgID: e.OrgID, ID: e.ID, Type: e.Type})
}

// GetEvent implements store.WebhookStore.
func (s *DB) GetEvent(ctx context.Context, orgID, id string) (store.Event, error) {
	return scanEvent(s.queryRow(ctx, `SELECT `+eventCols+` FROM events WHERE org_id = ? AND id = ?`, orgID, id))
}

// ListEvents implements store.WebhookStore.
func (s *DB) ListEvents(ctx context.Context, orgID string, p store.Page) ([]store.Event, error) {
	q, args := keyset(`SELECT `+eventCols+` FROM events WHERE org_id = ?`, []any{orgID}, p)
	return list(ctx, s, q, args, func(r *sql.Rows) (store.Event, error) { return scanEvent(r) })
}

const endpointCols = `id, org_id, url, description, event_types, secret, previous_secret, previous_until, enabled, disabled_reason, failing_since, created_at, updated_at`

func scanEndpoint(r interface{ Scan(...any) error }) (store.Endpoint, error) {
	var e store.Endpoint
	var types string
	var until, failing sql.NullTime
	err := r.Scan(&e.ID, &e.OrgID, &e.URL, &e.Description, &types, &e.Secret, &e.PreviousSecret, &until, &e.Enabled,
		&e.DisabledReason, &failing, &e.CreatedAt, &e.UpdatedAt)
	if types != "" {
		e.EventTypes = strings.Split(types, ",")
	}
	e.PreviousUntil, e.FailingSince = nullTime(until), nullTime(failing)
	e.CreatedAt, e.UpdatedAt = e.CreatedAt.UTC(), e.UpdatedAt.UTC()
	return e, notFound(err)
}

// CreateEndpoint implements store.WebhookStore.
func (s *DB) CreateEndpoint(ctx context.Context, e store.Endpoint) error {
	_, err := s.exec(ctx, `INSERT INTO webhook_endpoints (`+endpointCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.OrgID, e.URL, e.Description, strings.Join(e.EventTypes, ","), e.Secret, e.PreviousSecret, tsPtr(e.PreviousUntil),
		e.Enabled, e.DisabledReason, tsPtr(e.FailingSince), ts(e.CreatedAt), ts(e.UpdatedAt))
	return err
}

// GetEndpoint implements store.WebhookStore.
func (s *DB) GetEndpoint(ctx context.Context, orgID, id string) (store.Endpoint, error) {
	return scanEndpoint(s.queryRow(ctx, `SELECT `+endpointCols+` FROM webhook_endpoints WHERE org_id = ? AND id = ?`, orgID, id))
}

// ListEndpoints implements store.WebhookStore.
func (s *DB) ListEndpoints(ctx context.Context, orgID string, p store.Page) ([]store.Endpoint, error) {
	q, args := keyset(`SELECT `+endpointCols+` FROM webhook_endpoints WHERE org_id = ?`, []any{orgID}, p)
	return list(ctx, s, q, args, func(r *sql.Rows) (store.Endpoint, error) { return scanEndpoint(r) })
}

// EnabledEndpoints implements store.WebhookStore.
func (s *DB) EnabledEndpoints(ctx context.Context, orgID string) ([]store.Endpoint, error) {
	return list(ctx, s, `SELECT `+endpointCols+` FROM webhook_endpoints WHERE org_id = ? AND enabled = ? ORDER BY id`,
		[]any{orgID, true}, func(r *sql.Rows) (store.Endpoint, error) { return scanEndpoint(r) })
}

// UpdateEndpoint implements store.WebhookStore.
func (s *DB) UpdateEndpoint(ctx context.Context, e store.Endpoint) error {
	return s.execOne(ctx, `UPDATE webhook_endpoints SET url = ?, description = ?, event_types = ?, secret = ?, previous_secret = ?,
		previous_until = ?, enabled = ?, disabled_reason = ?, failing_since = ?, updated_at = ? WHERE org_id = ? AND id = ?`,
		e.URL, e.Description, strings.Join(e.EventTypes, ","), e.Secret, e.PreviousSecret, tsPtr(e.PreviousUntil), e.Enabled,
		e.DisabledReason, tsPtr(e.FailingSince), ts(e.UpdatedAt), e.OrgID, e.ID)
}

// DeleteEndpoint implements store.WebhookStore.
func (s *DB) DeleteEndpoint(ctx context.Context, orgID, id string) error {
	return s.execOne(ctx, `DELETE FROM webhook_endpoints WHERE org_id = ? AND id = ?`, orgID, id)
}

// SetEndpointHealth implements store.WebhookStore. failing_since keeps the
// first failure of a streak.
func (s *DB) SetEndpointHealth(ctx context.Context, orgID, id string, failingSince *time.Time, disableReason string) error {
	if failingSince == nil {
		return s.execOne(ctx, `UPDATE webhook_endpoints SET failing_since = NULL WHERE org_id = ? AND id = ?`, orgID, id)
	}
	if disableReason != "" {
		return s.execOne(ctx, `UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, ?), enabled = ?, disabled_reason = ?, updated_at = ?
			WHERE org_id = ? AND id = ?`, ts(*failingSince), false, disableReason, ts(time.Now()), orgID, id)
	}
	return s.execOne(ctx, `UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, ?) WHERE org_id = ? AND id = ?`,
		ts(*failingSince), orgID, id)
}

const attemptCols = `id, org_id, event_id, endpoint_id, attempt, status_code, error, duration_ms, success, created_at`

// InsertAttempt implements store.WebhookStore.
func (s *DB) InsertAttempt(ctx context.Context, a store.Attempt) error {
	_, err := s.exec(ctx, `INSERT INTO webhook_attempts (`+attemptCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.OrgID, a.EventID, a.EndpointID, a.Attempt, a.StatusCode, a.Error, a.DurationMS, a.Success, ts(a.CreatedAt))
	return err
}

// InsertAttempts implements store.WebhookStore: one statement on
// PostgreSQL (rows unnested from arrays), one commit either way.
func (s *DB) InsertAttempts(ctx context.Context, as []store.Attempt) error {
	if !s.d.Arrays {
		return s.atomically(ctx, len(as) == 1, func(t *DB) error {
			for _, a := range as {
				if err := t.InsertAttempt(ctx, a); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if len(as) == 0 {
		return nil
	}
	n := len(as)
	ids, orgs, evs, eps, errs := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	attempts, statuses, durations, oks, created := make([]int64, n), make([]int64, n), make([]int64, n), make([]bool, n), make([]time.Time, n)
	for i, a := range as {
		ids[i], orgs[i], evs[i], eps[i], errs[i] = a.ID, a.OrgID, a.EventID, a.EndpointID, a.Error
		attempts[i], statuses[i], durations[i], oks[i], created[i] = int64(a.Attempt), int64(a.StatusCode), int64(a.DurationMS), a.Success, ts(a.CreatedAt)
	}
	_, err := s.q.ExecContext(ctx, `INSERT INTO webhook_attempts (`+attemptCols+`)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int4[], $6::int4[], $7::text[], $8::int4[], $9::bool[], $10::timestamptz[])`,
		ids, orgs, evs, eps, attempts, statuses, errs, durations, oks, created)
	return err
}

// ListAttempts implements store.WebhookStore; eventID or endpointID narrow it.
func (s *DB) ListAttempts(ctx context.Context, orgID, eventID, endpointID string, p store.Page) ([]store.Attempt, error) {
	q, args := `SELECT `+attemptCols+` FROM webhook_attempts WHERE org_id = ?`, []any{orgID}
	if eventID != "" {
		q += ` AND event_id = ?`
		args = append(args, eventID)
	}
	if endpointID != "" {
		q += ` AND endpoint_id = ?`
		args = append(args, endpointID)
	}
	q, args = keyset(q, args, p)
	return list(ctx, s, q, args, func(r *sql.Rows) (store.Attempt, error) {
		var a store.Attempt
		err := r.Scan(&a.ID, &a.OrgID, &a.EventID, &a.EndpointID, &a.Attempt, &a.StatusCode, &a.Error, &a.DurationMS, &a.Success, &a.CreatedAt)
		a.CreatedAt = a.CreatedAt.UTC()
		return a, err
	})
}

// AccountsByNative implements store.WebhookStore. The filter is in the
// statement so that no caller can route an event to an unverified or
// disconnected account.
func (s *DB) AccountsByNative(ctx context.Context, platform, nativeID string) ([]store.Account, error) {
	return list(ctx, s, `SELECT `+accountCols+` FROM accounts
		WHERE platform = ? AND native_id = ? AND status = ? AND verified_at IS NOT NULL ORDER BY id`,
		[]any{platform, nativeID, store.AccountActive}, func(r *sql.Rows) (store.Account, error) { return scanAccount(r) })
}

// PruneEvents implements store.WebhookStore; attempts go with their event.
func (s *DB) PruneEvents(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.exec(ctx, `DELETE FROM events WHERE created_at < ?`, ts(before))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
