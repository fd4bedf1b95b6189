// Package postgres is the scale-out storage backend: PostgreSQL through a pgx v5 pool,
// migrated with goose under an advisory lock so replicas can start together.
//
// Several Parley replicas may share one database; anything that must hold
// across replicas (rate limits, idempotency, jobs) lives in it.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"math"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Dialect is the PostgreSQL flavour of the shared SQL.
var Dialect = sqlstore.Dialect{
	Name:         "postgres",
	Numbered:     true,
	Arrays:       true,
	NotifyEvents: true,
	IsUniqueViolation: func(err error) bool {
		var e *pgconn.PgError
		return errors.As(err, &e) && e.Code == "23505"
	},
}

// Pool sizes the connection pool; a zero field keeps pgxpool's default (or
// the URL's pool_* parameter).
type Pool struct {
	MaxConns, MinConns int
	MaxConnLifetime    time.Duration
	MaxConnIdleTime    time.Duration
}

// PoolFrom reads the pool's size and lifetimes from configuration.
func PoolFrom(cfg config.Config) Pool {
	return Pool{MaxConns: cfg.DBMaxConns, MinConns: cfg.DBMinConns, MaxConnLifetime: cfg.DBConnLifetime, MaxConnIdleTime: cfg.DBConnIdleTime}
}

// Open connects to the database at url (postgres://…) through a pgxpool
// sized by p, and migrates it.
//
// The store speaks database/sql (River enqueues in its transactions) over
// the pgxpool: pgxpool keeps idle connections up to MaxConns, so under a
// burst no backend is opened and closed per request (database/sql's own
// pool kept fewer idle than open, and churned), and each pooled
// connection's pgx statement cache survives, so repeated queries run as
// prepared statements.
func Open(ctx context.Context, url string, p Pool) (*sqlstore.DB, error) {
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if p.MaxConns > 0 {
		pc.MaxConns = int32(min(p.MaxConns, math.MaxInt32))
	}
	if p.MinConns > 0 {
		pc.MinConns = int32(min(p.MinConns, int(pc.MaxConns)))
	}
	if p.MaxConnLifetime > 0 {
		pc.MaxConnLifetime = p.MaxConnLifetime
		// Replicas started together must not all reconnect in the same second.
		pc.MaxConnLifetimeJitter = p.MaxConnLifetime / 10
	}
	if p.MaxConnIdleTime > 0 {
		pc.MaxConnIdleTime = p.MaxConnIdleTime
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	db := stdlib.OpenDBFromPool(pool)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := Migrate(ctx, db); err != nil {
		db.Close()
		pool.Close()
		return nil, err
	}
	return sqlstore.New(db, Dialect).WithRelease(pool.Close), nil
}

// Migrate applies Parley's schema migrations, holding a session advisory
// lock so that replicas starting at once do not race.
//
// The lock is the schema's own: replicas of one deployment share a schema
// and so exclude each other, while deployments (and tests) in other
// schemas of the same database migrate at once instead of queueing behind
// goose's one database-wide lock, whose waiters sleep 5 s between tries.
func Migrate(ctx context.Context, db *sql.DB) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	var schema string
	if err := db.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return fmt.Errorf("postgres: current schema: %w", err)
	}
	// Try the lock every second for up to 5 minutes (goose's default total).
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(migrationLockID(schema)), lock.WithLockTimeout(1, 300))
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys, goose.WithSessionLocker(locker))
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	return nil
}

// migrationLockID is the advisory lock taken while migrating schema.
func migrationLockID(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("parley migrations\x00" + schema))
	return int64(h.Sum64())
}
