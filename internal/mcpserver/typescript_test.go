package mcpserver_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/testsupport"
)

// tsDir holds the TypeScript SDK harness (package.json, lock file, script).
const tsDir = "../../test/mcp-ts"

// TestTypeScriptSDK drives a running Parley's /mcp with the official
// TypeScript SDK (@modelcontextprotocol/sdk), the client most agents embed.
// It needs node and npm; without them it skips, except in CI (testsupport.CI).
func TestTypeScriptSDK(t *testing.T) {
	t.Parallel()
	node, nerr := exec.LookPath("node")
	npm, merr := exec.LookPath("npm")
	if nerr != nil || merr != nil {
		if testsupport.CI() {
			t.Fatal("in CI but node or npm is missing: install Node.js 18+ to run the TypeScript MCP client test")
		}
		t.Skip("node and npm are needed for the TypeScript MCP client test")
	}
	dir, err := filepath.Abs(tsDir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@modelcontextprotocol", "sdk")); err != nil {
		// npm ci installs exactly the committed lock file.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci: %v\n%s", err, out)
		}
	}

	// A running Parley in front of the five platform emulators.
	l := newLiveEnv(t, storetest.Backend{Name: "sqlite", DataDir: t.TempDir()})
	igBefore := len(l.emu.Graph.Messages(l.seeded.NativeIDs[platform.Instagram]))
	xBefore := len(l.emu.X.Messages(l.seeded.NativeIDs[platform.X]))

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "mcp.test.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"PARLEY_URL="+l.url,
		"PARLEY_API_KEY="+l.key,
		"PARLEY_EXPECT_ACCOUNTS="+strconv.Itoa(len(l.seeded.Accounts)),
		"PARLEY_CLOSED_CONVERSATION_ID="+l.conv("instagram/closed"),
		"PARLEY_OPEN_CONVERSATION_ID="+l.conv("x/open"),
		"PARLEY_WHATSAPP_ACCOUNT_ID="+l.seeded.Accounts[platform.WhatsApp],
		"NO_COLOR=1",
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test: %v\n%s", err, out)
	}
	t.Logf("%s", out)
	if n := len(l.emu.Graph.Messages(l.seeded.NativeIDs[platform.Instagram])); n != igBefore {
		t.Errorf("a refused send reached Instagram (%d → %d)", igBefore, n)
	}
	if n := len(l.emu.X.Messages(l.seeded.NativeIDs[platform.X])); n != xBefore+1 {
		t.Errorf("X received %d messages from the TypeScript client's send_dm, want 1", n-xBefore)
	}
}
