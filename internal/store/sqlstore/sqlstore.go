// Package sqlstore is the one SQL implementation of store.Store, shared by the
// SQLite and PostgreSQL backends through a small Dialect.
//
// The schema is the same in both dialects (see each backend's migrations), so
// the queries are written once with `?` placeholders and rebound per dialect.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/store"
)

// Dialect is what differs between the backends.
type Dialect struct {
	// Name is "sqlite" or "postgres".
	Name string
	// Numbered rewrites `?` placeholders as $1, $2, … (PostgreSQL).
	Numbered bool
	// IsUniqueViolation recognises the driver's unique-constraint error.
	IsUniqueViolation func(error) bool
	// NotifyEvents announces every new event on the EventsChannel
	// (PostgreSQL NOTIFY, sent at commit), so every replica's live
	// listeners (package live) hear of it, not only the recording one's.
	NotifyEvents bool
	// CacheStatements keeps prepared statements for reuse: SQLite spends
	// most of a small query parsing it, and its driver keeps no cache of its
	// own (pgx does).
	CacheStatements bool
	// Arrays: the driver binds Go slices as SQL arrays, so a batch of rows
	// is written by one statement that unnests them (PostgreSQL).
	Arrays bool
}

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// DB implements store.Store over database/sql. Inside InTx, q is the
// transaction; otherwise it is the pool.
type DB struct {
	db    *sql.DB
	q     querier
	d     Dialect
	stmts *sync.Map // rebound query → *sql.Stmt on db, shared by transactions
	// missed collects, inside a transaction, the queries that were not yet
	// prepared, to prepare once the transaction has released its connection.
	missed *[]string
	// committed collects, inside a transaction, the events it recorded,
	// announced once it commits.
	committed *[]store.EventNotice
	// watch receives every committed event (see OnEvent); shared by the
	// transactions of one DB.
	watch *watchers
	// release frees what the database/sql pool sits on (a pgxpool), after it.
	release func()
}

// watchers are the in-process listeners of committed events.
type watchers struct {
	mu  sync.RWMutex
	fns []func(store.EventNotice)
}

func (w *watchers) announce(ns []store.EventNotice) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	for _, n := range ns {
		for _, fn := range w.fns {
			fn(n)
		}
	}
}

// EventsChannel is the PostgreSQL NOTIFY channel on which every recorded
// event is announced when its transaction commits, to every replica.
const EventsChannel = "parley_events"

// OnEvent calls fn, after each commit, for every event it recorded through
// this DB, in this process. fn must not block. On PostgreSQL the events are
// also announced to every replica on EventsChannel (see package live).
func (s *DB) OnEvent(fn func(store.EventNotice)) {
	s.watch.mu.Lock()
	defer s.watch.mu.Unlock()
	s.watch.fns = append(s.watch.fns, fn)
}

// recorded notes an event inserted by this DB: on PostgreSQL a NOTIFY in
// the same transaction, which the server delivers only if it commits; in
// process after the commit (or at once outside a transaction).
func (s *DB) recorded(ctx context.Context, ns ...store.EventNotice) error {
	if len(ns) == 0 {
		return nil
	}
	if s.d.NotifyEvents {
		// One statement for a batch's events: a round trip each would
		// cost a group-committed batch more than its inserts.
		payloads := make([]string, len(ns))
		for i, n := range ns {
			payloads[i] = n.OrgID + " " + n.ID
		}
		if _, err := s.q.ExecContext(ctx, `SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p`, EventsChannel, payloads); err != nil {
			return err
		}
	}
	if s.committed != nil {
		*s.committed = append(*s.committed, ns...)
		return nil
	}
	s.watch.announce(ns)
	return nil
}

var _ store.Store = (*DB)(nil)

// New wraps an open, migrated database.
func New(db *sql.DB, d Dialect) *DB {
	return &DB{db: db, q: db, d: d, stmts: &sync.Map{}, watch: &watchers{}}
}

// WithRelease makes Close call release after closing the database/sql pool:
// the backend's own pool, when database/sql runs over one.
func (s *DB) WithRelease(release func()) *DB {
	s.release = release
	return s
}

// prepared returns a cached statement for q (already rebound), bound to the
// current transaction when there is one; nil when caching is off or the
// statement cannot be prepared (the query then runs unprepared).
func (s *DB) prepared(ctx context.Context, q string) *sql.Stmt {
	if !s.d.CacheStatements {
		return nil
	}
	tx, inTx := s.q.(*sql.Tx)
	var st *sql.Stmt
	if v, ok := s.stmts.Load(q); ok {
		st = v.(*sql.Stmt)
	} else if inTx {
		// Preparing on the pool would wait for a connection the transaction
		// may hold (SQLite has one): run this one unprepared, and prepare it
		// for next time once the transaction is over.
		if s.missed != nil {
			*s.missed = append(*s.missed, q)
		}
		return nil
	} else {
		p, err := s.db.PrepareContext(ctx, q)
		if err != nil {
			return nil
		}
		if v, loaded := s.stmts.LoadOrStore(q, p); loaded {
			p.Close()
			st = v.(*sql.Stmt)
		} else {
			st = p
		}
	}
	if inTx {
		return tx.StmtContext(ctx, st)
	}
	return st
}

// atomically runs fn in the transaction s is in, or else in a new one;
// alone says fn makes a single write, atomic by itself, which needs none.
func (s *DB) atomically(ctx context.Context, alone bool, fn func(t *DB) error) error {
	if _, inTx := s.q.(*sql.Tx); inTx || alone {
		return fn(s)
	}
	return s.InTx(ctx, func(st store.Store, _ *sql.Tx) error { return fn(st.(*DB)) })
}

// InTx runs fn in one transaction: every store call made through the Store
// fn receives, and anything fn writes through the *sql.Tx (River job
// inserts), commits or rolls back together.
func (s *DB) InTx(ctx context.Context, fn func(st store.Store, tx *sql.Tx) error) error {
	if _, nested := s.q.(*sql.Tx); nested {
		return errors.New("sqlstore: nested transaction")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	var missed []string
	var committed []store.EventNotice
	if err := fn(&DB{db: s.db, q: tx, d: s.d, stmts: s.stmts, missed: &missed, committed: &committed, watch: s.watch}, tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	s.watch.announce(committed)
	for _, q := range missed {
		s.prepared(ctx, q)
	}
	return nil
}

// SQL exposes the pool, for the job queue and tests.
func (s *DB) SQL() *sql.DB { return s.db }

// Dialect reports the backend's dialect.
func (s *DB) Dialect() Dialect { return s.d }

// Rebind turns `?` placeholders into the dialect's own.
func (s *DB) Rebind(q string) string {
	if !s.d.Numbered {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

func (s *DB) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	var (
		res sql.Result
		err error
	)
	q = s.Rebind(q)
	if st := s.prepared(ctx, q); st != nil {
		res, err = st.ExecContext(ctx, args...)
	} else {
		res, err = s.q.ExecContext(ctx, q, args...)
	}
	if err != nil && s.d.IsUniqueViolation != nil && s.d.IsUniqueViolation(err) {
		return nil, store.ErrConflict
	}
	return res, err
}

// execOne runs a statement that must touch exactly one row of the caller's
// organisation, and reports ErrNotFound otherwise.
func (s *DB) execOne(ctx context.Context, q string, args ...any) error {
	res, err := s.exec(ctx, q, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

func (s *DB) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	q = s.Rebind(q)
	if st := s.prepared(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return s.q.QueryRowContext(ctx, q, args...)
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}

// ts normalises times to UTC microseconds, the precision both backends keep,
// so what is read back equals what was written.
func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func tsPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return ts(*t)
}

func nullTime(n sql.NullTime) *time.Time {
	if !n.Valid {
		return nil
	}
	t := n.Time.UTC()
	return &t
}

// Ping implements store.Store.
func (s *DB) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Close implements store.Store.
func (s *DB) Close() error {
	err := s.db.Close()
	if s.release != nil {
		s.release()
	}
	return err
}

// keyset appends the pagination clause shared by every list query.
func keyset(q string, args []any, p store.Page) (string, []any) {
	if p.After != "" {
		q += " AND id > ?"
		args = append(args, p.After)
	}
	limit := p.Limit
	if limit <= 0 {
		limit = 25
	}
	q += " ORDER BY id LIMIT ?"
	return q, append(args, limit+1)
}

func list[T any](ctx context.Context, s *DB, q string, args []any, scan func(*sql.Rows) (T, error)) ([]T, error) {
	var (
		rows *sql.Rows
		err  error
	)
	q = s.Rebind(q)
	if st := s.prepared(ctx, q); st != nil {
		rows, err = st.QueryContext(ctx, args...)
	} else {
		rows, err = s.q.QueryContext(ctx, q, args...)
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
