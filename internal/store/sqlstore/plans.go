package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/store"
)

// ListOrganizations implements store.Store.
func (s *DB) ListOrganizations(ctx context.Context, p store.Page) ([]store.Organization, error) {
	q, args := keyset(`SELECT `+orgCols+` FROM organizations WHERE 1 = 1`, nil, p)
	return list(ctx, s, q, args, func(r *sql.Rows) (store.Organization, error) { return scanOrg(r) })
}

// SetOrganizationPlan implements store.Store.
func (s *DB) SetOrganizationPlan(ctx context.Context, id, plan string) error {
	return s.execOne(ctx, `UPDATE organizations SET plan = ? WHERE id = ?`, plan, id)
}

// CountBrands implements store.Store.
func (s *DB) CountBrands(ctx context.Context, orgID string) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM brands WHERE org_id = ?`, orgID).Scan(&n)
	return n, err
}

// locked runs fn in a transaction that first takes a write lock on one row
// (lock, an UPDATE that changes nothing): PostgreSQL then serialises every
// writer of that row, and each statement after the lock reads what the
// writers before it committed; SQLite transactions start IMMEDIATE, so
// there is one writer anyway. A count followed by an insert under the lock
// is therefore a limit no two replicas can both pass.
func (s *DB) locked(ctx context.Context, lock string, args []any, fn func(t *DB) error) error {
	run := func(t *DB) error {
		if err := t.execOne(ctx, lock, args...); err != nil {
			return err
		}
		return fn(t)
	}
	return s.atomically(ctx, false, run)
}

// CreateBrandWithin implements store.Store: the organisation's row is the
// lock.
func (s *DB) CreateBrandWithin(ctx context.Context, b store.Brand, max int) (int, error) {
	var n int
	err := s.locked(ctx, `UPDATE organizations SET plan = plan WHERE id = ?`, []any{b.OrgID}, func(t *DB) error {
		var err error
		if n, err = t.CountBrands(ctx, b.OrgID); err != nil {
			return err
		}
		if max >= 0 && n >= max {
			return store.ErrLimit
		}
		if err := t.CreateBrand(ctx, b); err != nil {
			return err
		}
		n++
		return nil
	})
	return n, err
}

// lockBrand is the lock of a brand's account slots; taking it checks the
// brand is the organisation's.
const lockBrand = `UPDATE brands SET name = name WHERE org_id = ? AND id = ?`

// brandSlots counts a brand's accounts and the connect sessions holding a
// slot of it at now (under lockBrand).
func (s *DB) brandSlots(ctx context.Context, orgID, brandID string, now time.Time) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT (SELECT COUNT(*) FROM accounts WHERE org_id = ? AND brand_id = ?)
		+ (SELECT COUNT(*) FROM connect_sessions WHERE org_id = ? AND brand_id = ? AND status = ? AND expires_at > ?)`,
		orgID, brandID, orgID, brandID, store.ConnectHolding, ts(now)).Scan(&n)
	return n, err
}

// CreateAccountWithin implements store.Store: the brand's row is the lock.
func (s *DB) CreateAccountWithin(ctx context.Context, a store.Account, max int) (int, error) {
	var n int
	err := s.locked(ctx, lockBrand, []any{a.OrgID, a.BrandID}, func(t *DB) error {
		var err error
		if n, err = t.brandSlots(ctx, a.OrgID, a.BrandID, a.CreatedAt); err != nil {
			return err
		}
		if max >= 0 && n >= max {
			return store.ErrLimit
		}
		if err := t.CreateAccount(ctx, a); err != nil {
			return err
		}
		n++
		return nil
	})
	return n, err
}

// ReserveInteraction implements store.Store with one conditional upsert:
// PostgreSQL's ON CONFLICT DO UPDATE locks the month's row and checks the
// WHERE against its latest version, so of concurrent reservations at
// max-1 exactly one gets a row back; SQLite runs them one at a time.
func (s *DB) ReserveInteraction(ctx context.Context, orgID, month string, max int) (int, error) {
	if max == 0 {
		u, err := s.PlanUsage(ctx, orgID, month)
		if err != nil {
			return 0, err
		}
		return u.Interactions, store.ErrLimit
	}
	if max < 0 {
		max = math.MaxInt32 // INTEGER is 32 bits on PostgreSQL
	}
	var n int
	err := s.queryRow(ctx, `INSERT INTO plan_usage (org_id, month, interactions, inbound) VALUES (?, ?, 1, 0)
		ON CONFLICT (org_id, month) DO UPDATE SET interactions = plan_usage.interactions + 1
		WHERE plan_usage.interactions < ?
		RETURNING interactions`, orgID, month, max).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		u, err := s.PlanUsage(ctx, orgID, month)
		if err != nil {
			return 0, err
		}
		return u.Interactions, store.ErrLimit
	}
	return n, err
}

// ReleaseInteraction implements store.Store.
func (s *DB) ReleaseInteraction(ctx context.Context, orgID, month string) error {
	_, err := s.exec(ctx, `UPDATE plan_usage SET interactions = interactions - 1 WHERE org_id = ? AND month = ? AND interactions > 0`, orgID, month)
	return err
}

// CountInbound implements store.Store.
func (s *DB) CountInbound(ctx context.Context, orgID, month string) error {
	_, err := s.exec(ctx, countInbound, orgID, month, rand.IntN(inboundShards), 1)
	return err
}

// CountInbounds implements store.Store: one upsert per organisation and
// month, in key order, so two transactions counting for the same
// organisations lock their rows in the same order; on PostgreSQL one
// statement for all of them.
func (s *DB) CountInbounds(ctx context.Context, cs []store.InboundCount) error {
	sum := map[[2]string]int{}
	var keys [][2]string
	for _, c := range cs {
		k := [2]string{c.OrgID, c.Month}
		if _, ok := sum[k]; !ok {
			keys = append(keys, k)
		}
		sum[k] += c.N
	}
	slices.SortFunc(keys, func(a, b [2]string) int {
		if c := strings.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return strings.Compare(a[1], b[1])
	})
	if len(keys) == 0 {
		return nil
	}
	// One shard for the whole batch: a transaction holds one row lock per
	// organisation, taken in key order.
	shard := rand.IntN(inboundShards)
	if !s.d.Arrays {
		for _, k := range keys {
			if _, err := s.exec(ctx, countInbound, k[0], k[1], shard, sum[k]); err != nil {
				return err
			}
		}
		return nil
	}
	orgs, months, ns := make([]string, len(keys)), make([]string, len(keys)), make([]int64, len(keys))
	for i, k := range keys {
		orgs[i], months[i], ns[i] = k[0], k[1], int64(sum[k])
	}
	// WITH ORDINALITY … ORDER BY keeps the key order for the row locks.
	_, err := s.q.ExecContext(ctx, `INSERT INTO plan_inbound (org_id, month, shard, n)
		SELECT u.org_id, u.month, $4, u.n FROM unnest($1::text[], $2::text[], $3::int8[]) WITH ORDINALITY AS u(org_id, month, n, i)
		ORDER BY u.i
		ON CONFLICT (org_id, month, shard) DO UPDATE SET n = plan_inbound.n + excluded.n`, orgs, months, ns, shard)
	return err
}

// inboundShards is how many rows an organisation's monthly inbound count
// is spread over (see migration 00013).
const inboundShards = 16

const countInbound = `INSERT INTO plan_inbound (org_id, month, shard, n) VALUES (?, ?, ?, ?)
		ON CONFLICT (org_id, month, shard) DO UPDATE SET n = plan_inbound.n + excluded.n`

// PlanUsage implements store.Store.
func (s *DB) PlanUsage(ctx context.Context, orgID, month string) (store.PlanUsage, error) {
	var u store.PlanUsage
	err := s.queryRow(ctx, `SELECT COALESCE((SELECT interactions FROM plan_usage WHERE org_id = ? AND month = ?), 0),
		COALESCE((SELECT SUM(n) FROM plan_inbound WHERE org_id = ? AND month = ?), 0)`, orgID, month, orgID, month).Scan(&u.Interactions, &u.Inbound)
	return u, err
}
