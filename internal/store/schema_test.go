package store_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSchemasMatch keeps the two dialects' schemas the same: every
// PostgreSQL migration must be its SQLite twin with only the column types
// translated, and neither dialect may have a migration the other lacks.
func TestSchemasMatch(t *testing.T) {
	lite, _ := filepath.Glob("sqlite/migrations/*.sql")
	pg, _ := filepath.Glob("postgres/migrations/*.sql")
	if len(lite) == 0 || len(lite) != len(pg) {
		t.Fatalf("migrations differ in number: sqlite %v, postgres %v", lite, pg)
	}
	tr := strings.NewReplacer("TIMESTAMP", "TIMESTAMPTZ", "BLOB", "BYTEA")
	for _, f := range lite {
		a, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		twin := filepath.Join("postgres/migrations", filepath.Base(f))
		b, err := os.ReadFile(twin)
		if err != nil {
			t.Fatalf("%s has no PostgreSQL twin: %v", f, err)
		}
		if tr.Replace(string(a)) != string(b) {
			t.Errorf("%s is not %s with TIMESTAMP→TIMESTAMPTZ and BLOB→BYTEA", twin, f)
		}
	}
}
