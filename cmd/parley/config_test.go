package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// buildParley builds the binary once per test.
func buildParley(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "parley")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// runParley runs the binary with only the given PARLEY_* variables (the
// rest of the environment is kept, so go's caches and PATH work), bounded
// so a command that wrongly starts cannot hang the test.
func runParley(t *testing.T, bin string, env []string, args ...string) (stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(strings.ToUpper(kv), "PARLEY_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("parley %v still running after a minute: it started despite its configuration\n%s", args, out.String())
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return out.String(), ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), 0
}

// TestInvalidConfigStartsNothing: every command that reads the
// configuration refuses an invalid value before it opens a database or a
// port, exits non-zero and names the variable (or flag), its value and
// what is expected.
func TestInvalidConfigStartsNothing(t *testing.T) {
	bin := buildParley(t)
	ring, code := runParley(t, bin, nil, "secrets", "generate")
	if code != 0 {
		t.Fatalf("secrets generate: %s", ring)
	}
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want []string
	}{
		{"serve malformed duration", []string{"PARLEY_ACCOUNT_TIMEOUT=abc"}, []string{"serve"},
			[]string{`PARLEY_ACCOUNT_TIMEOUT="abc"`, "Go duration"}},
		{"serve every invalid variable at once", []string{"PARLEY_ACCOUNT_TIMEOUT=abc", "PARLEY_KEY_QUOTA=-1", "PARLEY_WEBHOOK_ALLOW_PRIVATE=yes"}, []string{"serve"},
			[]string{`PARLEY_ACCOUNT_TIMEOUT="abc"`, `PARLEY_KEY_QUOTA="-1"`, `PARLEY_WEBHOOK_ALLOW_PRIVATE="yes"`}},
		{"serve invalid flag", nil, []string{"serve", "--log-level", "loud"},
			[]string{`--log-level="loud" (PARLEY_LOG_LEVEL)`, "debug, info, warn, error"}},
		{"serve invalid log level", []string{"PARLEY_LOG_LEVEL=verbose"}, []string{"serve"}, []string{`PARLEY_LOG_LEVEL="verbose"`}},
		{"serve misspelt variable", []string{"PARLEY_DATABSE_URL=postgres://db/parley"}, []string{"serve"},
			[]string{"PARLEY_DATABSE_URL", "did you mean PARLEY_DATABASE_URL"}},
		{"sandbox", []string{"PARLEY_WINDOW_CLOSING_LEAD=48h"}, []string{"sandbox"}, []string{`PARLEY_WINDOW_CLOSING_LEAD="48h"`, "less than 24h"}},
		{"migrate", []string{"PARLEY_TRUSTED_PROXIES=proxy.internal"}, []string{"migrate"}, []string{"PARLEY_TRUSTED_PROXIES", "proxy.internal"}},
		{"keys create", []string{"PARLEY_ORG_QUOTA=lots"}, []string{"keys", "create"}, []string{`PARLEY_ORG_QUOTA="lots"`}},
		{"keys list", []string{"PARLEY_X_URL=api.x.com"}, []string{"keys", "list"}, []string{`PARLEY_X_URL="api.x.com"`}},
		{"secrets rotate", []string{"PARLEY_JOB_RESCUE_AFTER=10"}, []string{"secrets", "rotate"}, []string{`PARLEY_JOB_RESCUE_AFTER="10"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			addr := freePort(t)
			env := append([]string{"PARLEY_DATA_DIR=" + dir, "PARLEY_LISTEN=" + addr, "PARLEY_SECRET_KEYS=" + strings.TrimSpace(ring)}, tc.env...)
			out, code := runParley(t, bin, env, tc.args...)
			if code == 0 {
				t.Fatalf("exit 0 with invalid configuration:\n%s", out)
			}
			if !strings.Contains(out, "invalid configuration, nothing started") {
				t.Errorf("no clear headline:\n%s", out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("data dir created (%v): the command started before refusing", err)
			}
		})
	}
}

// TestUnknownVariableIsWarnedAbout: a PARLEY_* name far from every known
// one does not stop a command, but is logged.
func TestUnknownVariableIsWarnedAbout(t *testing.T) {
	bin := buildParley(t)
	dir := t.TempDir()
	out, code := runParley(t, bin, []string{"PARLEY_DATA_DIR=" + dir, "PARLEY_SOMETHING_UNRELATED=1"}, "migrate")
	if code != 0 || !strings.Contains(out, "migrations applied") {
		t.Fatalf("migrate: exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "PARLEY_SOMETHING_UNRELATED is not a variable Parley reads") || !strings.Contains(out, "level=WARN") {
		t.Fatalf("no warning:\n%s", out)
	}
}

// TestInProcessInvalidConfig covers the in-process path the other CLI tests
// use: the error is returned, not printed and exited on.
func TestInProcessInvalidConfig(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	_, err := run(t, map[string]string{"PARLEY_DATA_DIR": dir, "PARLEY_KEY_QUOTA": "-2"}, "migrate")
	if err == nil || !strings.Contains(err.Error(), `PARLEY_KEY_QUOTA="-2": want 0 (off) or more`) {
		t.Fatalf("migrate: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("data dir created: %v", err)
	}
}
