package mcpserver_test

import (
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestDryRun: send_dm with dry_run runs the rules a send runs and answers
// what would be sent or the refusal, and the platform receives nothing;
// the rate ceilings are checked without being used up.
func TestDryRun(t *testing.T) {
	t.Parallel()
	eachEnv(t, func(t *testing.T, tr transport, b storetest.Backend) {
		// The clock stands still, so the sends below share one of
		// WhatsApp's 6 s pair windows however slowly they run.
		now := time.Now()
		l := newLiveEnvWith(t, b, server.Options{Now: func() time.Time { return now }})
		cs := mustConnect(t, l.env, tr, l.key)
		igID, waID := l.seeded.NativeIDs[platform.Instagram], l.seeded.NativeIDs[platform.WhatsApp]
		open, late, wa := l.conv("instagram/open"), l.conv("instagram/human_agent_only"), l.conv("whatsapp/open")

		res := call(t, cs, "send_dm", map[string]any{"conversation_id": open, "text": "Your jacket ships today", "dry_run": true, "idempotency_key": "dry-1"})
		m := ok(t, res)["data"].(map[string]any)
		if m["status"] != "dry_run" || m["text"] != "Your jacket ships today" || m["direction"] != "outgoing" || m["conversation_id"] != open || res.Meta["dry_run"] != true {
			t.Errorf("dry run = %v (meta %v)", m, res.Meta)
		}
		d := toolErr(t, call(t, cs, "send_dm", map[string]any{"conversation_id": late, "text": "still there?", "dry_run": true}), "conversation.window_closed")
		if d.Meta["options"] == nil {
			t.Errorf("a refused dry run lacks the options: %v", d.Meta)
		}
		toolErr(t, call(t, cs, "send_dm", map[string]any{"conversation_id": late, "text": "bot", "tag": "HUMAN_AGENT", "automated": true, "dry_run": true}),
			"validation.tag_not_allowed")
		if n := len(l.emu.Graph.Messages(igID)); n != 0 {
			t.Fatalf("dry runs reached Instagram: %d messages", n)
		}
		// The key of a dry run is not remembered: the real send goes out.
		real := ok(t, call(t, cs, "send_dm", map[string]any{"conversation_id": open, "text": "Your jacket ships today", "idempotency_key": "dry-1"}))
		if s := l.emu.Graph.Messages(igID); len(s) != 1 || real["data"].(map[string]any)["status"] == "dry_run" {
			t.Errorf("after a dry run the real send made %d messages (%v)", len(s), real)
		}

		// WhatsApp allows about one message per 6 s to the same user: dry
		// runs leave the slot to the real send, and the dry run after it is
		// refused as the second real send would be.
		for i := 0; i < 3; i++ {
			ok(t, call(t, cs, "send_dm", map[string]any{"conversation_id": wa, "text": "checking", "dry_run": true}))
		}
		ok(t, call(t, cs, "send_dm", map[string]any{"conversation_id": wa, "text": "Your order ships today."}))
		toolErr(t, call(t, cs, "send_dm", map[string]any{"conversation_id": wa, "text": "again", "dry_run": true}), "whatsapp.pair_rate_limit")
		if n := len(l.emu.WhatsApp.Messages(waID)); n != 1 {
			t.Errorf("WhatsApp received %d messages, want the one real send", n)
		}
	})
}
