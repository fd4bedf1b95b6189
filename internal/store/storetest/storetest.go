// Package storetest runs a test against every storage backend: a fresh SQLite
// file and a fresh PostgreSQL schema, so no test can pass on one dialect only.
//
// PostgreSQL comes from PARLEY_TEST_DATABASE_URL (default: the local test
// database). Without it a test skips its PostgreSQL half, except in CI
// (CI set to anything but false or 0, see testsupport.CI), where a missing
// PostgreSQL fails the run.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/store/postgres"
	"github.com/parleyhq/parley/internal/store/sqlite"
	"github.com/parleyhq/parley/internal/store/sqlstore"
	"github.com/parleyhq/parley/internal/testsupport"
)

// DefaultPostgresURL is the test machines' PostgreSQL (trust auth).
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Backend names a storage backend under test.
type Backend struct {
	Name string
	// URL is what PARLEY_DATABASE_URL would be for this backend: "" for
	// SQLite (with DataDir set), or a postgres:// URL.
	URL     string
	DataDir string
}

// Each runs fn once per backend, as a subtest named after it, with a fresh,
// migrated, empty database.
func Each(t *testing.T, fn func(t *testing.T, db *sqlstore.DB)) {
	t.Helper()
	EachBackend(t, func(t *testing.T, b Backend) {
		t.Helper()
		fn(t, b.Open(t))
	})
}

// EachBackend runs fn once per backend with a fresh, empty database that
// fn opens itself (to test code that opens its own store, such as a whole
// server).
func EachBackend(t *testing.T, fn func(t *testing.T, b Backend)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		fn(t, Backend{Name: "sqlite", DataDir: t.TempDir()})
	})
	t.Run("postgres", func(t *testing.T) {
		fn(t, Backend{Name: "postgres", URL: FreshPostgres(t)})
	})
}

// Open opens and migrates the backend's database, closing it when the test
// ends.
func (b Backend) Open(t testing.TB) *sqlstore.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var (
		db  *sqlstore.DB
		err error
	)
	if b.URL == "" {
		db, err = sqlite.Open(ctx, filepath.Join(b.DataDir, "parley.db"))
	} else {
		db, err = postgres.Open(ctx, b.URL, postgres.PoolFrom(config.Defaults()))
	}
	if err != nil {
		t.Fatalf("open %s: %v", b.Name, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// FreshPostgres creates an empty schema for this test and returns a URL whose
// search_path points at it; the schema is dropped when the test ends.
func FreshPostgres(t testing.TB) string {
	t.Helper()
	base := os.Getenv("PARLEY_TEST_DATABASE_URL")
	if base == "" {
		base = DefaultPostgresURL
	}
	admin, err := sql.Open("pgx", base)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = admin.PingContext(ctx)
		cancel()
	}
	if err != nil {
		if testsupport.CI() {
			t.Fatalf("PostgreSQL is required in CI (CI=%q): %v", os.Getenv("CI"), err)
		}
		t.Skipf("PostgreSQL not reachable at %s: %v", base, err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "parley_test_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
