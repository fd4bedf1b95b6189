// Package jsverify checks webhook deliveries with the official Standard
// Webhooks JavaScript library (test/stdwebhooks-js), so our signatures are
// judged by code we did not write. Tests only.
package jsverify

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
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

// Verify runs each case through the official library and returns its answer
// per case: "ok" or "fail <reason>". It installs the library with npm ci on
// first use; without node it skips, except in CI (testsupport.CI) where it fails.
func Verify(t testing.TB, cases []Case) []string {
	t.Helper()
	dir, node := testsupport.NodeHarness(t, "stdwebhooks-js", "standardwebhooks")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
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
