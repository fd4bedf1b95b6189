package mcpserver_test

import (
	"testing"

	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestSendDMRich: send_dm carries quick replies to Messenger natively and
// refuses them on X, with the REST error code and meta.
func TestSendDMRich(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		tr := transports[0]
		l := newLiveEnv(t, b)
		cs := mustConnect(t, l.env, tr, l.key)
		qr := []map[string]any{{"title": "Pickup", "payload": "PICKUP"}, {"title": "Delivery", "payload": "DELIVERY"}}
		msg := ok(t, call(t, cs, "send_dm", map[string]any{"conversation_id": l.conv("messenger/open"), "text": "Pickup or delivery?", "quick_replies": qr}))
		if d := msg["data"].(map[string]any); len(d["quick_replies"].([]any)) != 2 {
			t.Fatalf("send_dm answer %v", d)
		}
		sent := l.emu.Graph.Messages(l.seeded.NativeIDs[platform.Messenger])
		if got := sent[len(sent)-1].QuickReplies; len(got) != 2 || got[1].Payload != "DELIVERY" {
			t.Fatalf("Messenger recorded %+v", got)
		}
		d := toolErr(t, call(t, cs, "send_dm", map[string]any{"conversation_id": l.conv("x/open"), "text": "hi", "quick_replies": qr}), "validation.unsupported_on_platform")
		if d.Meta["field"] != "quick_replies" || d.Meta["platform"] != "x" {
			t.Fatalf("meta %v", d.Meta)
		}
	})
}
