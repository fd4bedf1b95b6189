package mcpserver_test

import (
	"strconv"
	"testing"

	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/testsupport/mcpts"
)

// TestTypeScriptSDK drives a running Parley's /mcp with the official
// TypeScript SDK (@modelcontextprotocol/sdk), the client most agents embed.
// It needs node and npm; without them it skips, except in CI (testsupport.CI).
func TestTypeScriptSDK(t *testing.T) {
	t.Parallel()
	// A running Parley in front of the five platform emulators.
	l := newLiveEnv(t, storetest.Backend{Name: "sqlite", DataDir: t.TempDir()})
	igBefore := len(l.emu.Graph.Messages(l.seeded.NativeIDs[platform.Instagram]))
	xBefore := len(l.emu.X.Messages(l.seeded.NativeIDs[platform.X]))

	out := mcpts.Run(t, "mcp.test.mjs",
		"PARLEY_URL="+l.url,
		"PARLEY_API_KEY="+l.key,
		"PARLEY_EXPECT_ACCOUNTS="+strconv.Itoa(len(l.seeded.Accounts)),
		"PARLEY_CLOSED_CONVERSATION_ID="+l.conv("instagram/closed"),
		"PARLEY_OPEN_CONVERSATION_ID="+l.conv("x/open"),
		"PARLEY_WHATSAPP_ACCOUNT_ID="+l.seeded.Accounts[platform.WhatsApp],
	)
	t.Logf("%s", out)
	if n := len(l.emu.Graph.Messages(l.seeded.NativeIDs[platform.Instagram])); n != igBefore {
		t.Errorf("a refused send reached Instagram (%d → %d)", igBefore, n)
	}
	if n := len(l.emu.X.Messages(l.seeded.NativeIDs[platform.X])); n != xBefore+1 {
		t.Errorf("X received %d messages from the TypeScript client's send_dm, want 1", n-xBefore)
	}
}
