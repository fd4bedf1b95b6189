package client_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/testsupport"
)

// tsDir is the TypeScript harness: openapi-typescript and tsc pinned in a
// lock file, and client.ts, a small program written against the types.
const tsDir = "../test/openapi-ts"

// TestTypeScriptTypes generates TypeScript types from the /openapi.json a
// running sandbox serves, with openapi-typescript (the generator most web
// backends use), type-checks client.ts against them with tsc, and runs it
// against the same sandbox: it lists conversations, sends a reply and reads
// an error's code. A change of the contract that breaks TypeScript users
// (a renamed field, a missing schema, a response the document does not
// declare) fails here, which the Go tests cannot see.
func TestTypeScriptTypes(t *testing.T) {
	node, nerr := exec.LookPath("node")
	npm, merr := exec.LookPath("npm")
	if nerr != nil || merr != nil {
		if testsupport.CI() {
			t.Fatal("in CI but node or npm is missing: install Node.js 18+ to run the TypeScript types test")
		}
		t.Skip("node and npm are needed for the TypeScript types test")
	}
	dir, err := filepath.Abs(tsDir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	run := func(name string, env []string, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), append(env, "NO_COLOR=1")...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "openapi-typescript")); err != nil {
		run(npm, nil, "ci", "--no-audit", "--no-fund") // exactly the committed lock file
	}

	sb, base := sandboxFor(t, sqlite(t))
	res, err := http.Get(base + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET /openapi.json: %d %v", res.StatusCode, err)
	}
	// Generated into the harness (git ignores it), next to client.ts.
	gen := filepath.Join(dir, "generated")
	if err := os.MkdirAll(gen, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(gen, "openapi.json"), doc, 0o644); err != nil {
		t.Fatal(err)
	}
	run(node, nil, "node_modules/openapi-typescript/bin/cli.js", "generated/openapi.json", "--output", "generated/parley.ts")
	run(node, nil, "node_modules/typescript/bin/tsc", "-p", "tsconfig.json")
	out := run(node, []string{"PARLEY_URL=" + base, "PARLEY_API_KEY=" + sb.Key.Secret}, "generated/dist/client.js")
	t.Logf("client.js:\n%s", out)
	for _, want := range []string{"conversations: 3", "sent: outgoing", "error: conversation.window_closed"} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("client.js printed no %q", want)
		}
	}
}
