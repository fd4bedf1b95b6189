package main

import (
	"database/sql"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestMigrateFromSeveralProcessesAtOnce runs `parley migrate` from four
// processes at the same moment against an empty PostgreSQL schema, as a
// deployment whose replicas each migrate on start does: every one must
// succeed (the others wait for the schema's advisory locks instead of
// failing on tables the first has just created), and each migration must
// be recorded once.
func TestMigrateFromSeveralProcessesAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dbURL := storetest.FreshPostgres(t)
	bin := buildParley(t)
	const processes = 4
	var wg sync.WaitGroup
	outs, errs := make([]string, processes), make([]error, processes)
	gate := make(chan struct{})
	for i := range processes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(bin, "migrate")
			cmd.Env = append(os.Environ(), "PARLEY_DATABASE_URL="+dbURL, "PARLEY_DB_MAX_CONNS=2")
			<-gate
			out, err := cmd.CombinedOutput()
			outs[i], errs[i] = string(out), err
		}()
	}
	close(gate)
	wg.Wait()
	for i := range processes {
		if errs[i] != nil || !strings.Contains(outs[i], "migrations applied to postgres") {
			t.Errorf("migrate process %d: %v\n%s", i, errs[i], outs[i])
		}
	}
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`SELECT count(*) FROM (SELECT version_id FROM goose_db_version GROUP BY version_id HAVING count(*) > 1) d`,
		`SELECT count(*) FROM (SELECT line, version FROM river_migration GROUP BY line, version HAVING count(*) > 1) d`,
	} {
		var dup int
		if err := db.QueryRow(q).Scan(&dup); err != nil || dup != 0 {
			t.Errorf("%s: %d, %v; want every migration recorded once", q, dup, err)
		}
	}
	var applied int
	if err := db.QueryRow(`SELECT count(*) FROM river_migration`).Scan(&applied); err != nil || applied == 0 {
		t.Errorf("River's migrations: %d recorded, %v", applied, err)
	}
}
