// Package jsverify checks webhook deliveries with the official Standard
// Webhooks JavaScript library (test/stdwebhooks-js), so our signatures are
// judged by code we did not write. Tests only.
package jsverify

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/testsupport"
)

// Case is one delivery to verify.
type Case struct {
	Secret  string            `json:"secret"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

// harnessDir is test/stdwebhooks-js, found from this file's location.
func harnessDir(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("jsverify: cannot locate the harness")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "test", "stdwebhooks-js")
}

func tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if testsupport.CI() {
			t.Fatalf("%s not found in CI: the Standard Webhooks check must run in CI", name)
		}
		t.Skipf("%s not found; skipping the official Standard Webhooks check", name)
	}
	return p
}

// Verify runs each case through the official library and returns its answer
// per case: "ok" or "fail <reason>". It installs the library with npm ci on
// first use; without node it skips, except in CI (testsupport.CI) where it fails.
func Verify(t testing.TB, cases []Case) []string {
	t.Helper()
	node := tool(t, "node")
	dir := harnessDir(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// Several test packages use the harness and go test runs them in
	// parallel: one installs while the others wait, so none sees a half
	// written node_modules.
	lock, err := os.OpenFile(filepath.Join(os.TempDir(), "parley-jsverify.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) }()
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "standardwebhooks")); err != nil {
		cmd := exec.CommandContext(ctx, tool(t, "npm"), "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			if !testsupport.CI() {
				t.Skipf("npm ci in %s failed (offline?): %v\n%s", dir, err, out)
			}
			t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
		}
	}
	var in bytes.Buffer
	enc := json.NewEncoder(&in)
	for _, c := range cases {
		if err := enc.Encode(c); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.CommandContext(ctx, node, "verify.js")
	cmd.Dir = dir
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node verify.js: %v\n%s", err, stderr.String())
	}
	var answers []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		answers = append(answers, sc.Text())
	}
	if len(answers) != len(cases) {
		t.Fatalf("verify.js answered %d of %d cases; stderr:\n%s", len(answers), len(cases), stderr.String())
	}
	return answers
}
