// Package mcpts runs the official TypeScript MCP SDK's tests
// (test/mcp-ts) against a running Parley. Tests only.
package mcpts

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/testsupport"
)

// Run runs `node --test script` in test/mcp-ts with env added and returns
// its output; a failing test fails t. Without node it skips, except in CI.
func Run(t testing.TB, script string, env ...string) []byte {
	t.Helper()
	dir, node := testsupport.NodeHarness(t, "mcp-ts", "@modelcontextprotocol/sdk")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", script)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "NO_COLOR=1"), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test %s: %v\n%s", script, err, out)
	}
	return out
}
