package mcpserver_test

import (
	"testing"

	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestTranscript reads a conversation as an agent does: get_conversation's
// recent messages oldest first, then list_messages further back with the
// cursor it gave, until the history REST holds has been read once, in order.
func TestTranscript(t *testing.T) {
	t.Parallel()
	eachEnv(t, func(t *testing.T, tr transport, b storetest.Backend) {
		l := newLiveEnv(t, b)
		cs := mustConnect(t, l.env, tr, l.key)
		for _, scenario := range []string{"instagram/open", "x/open"} {
			t.Run(scenario, func(t *testing.T) {
				id := l.conv(scenario)
				_, rest := l.rest("GET", "/v1/inbox/conversations/"+id+"/messages?limit=100", l.key)
				newestFirst := rest["data"].([]any)
				if len(newestFirst) != 3 {
					t.Fatalf("REST history %v, want the 3 seeded messages", newestFirst)
				}

				full := ok(t, call(t, cs, "get_conversation", map[string]any{"conversation_id": id}))["data"].(map[string]any)
				if got := full["messages"].([]any); !jsonEqual(got, reversed(newestFirst)) {
					t.Errorf("default transcript %v, want REST's history oldest first %v", got, reversed(newestFirst))
				}
				if full["older_messages_cursor"] != nil {
					t.Errorf("a complete transcript offers an older cursor %v", full["older_messages_cursor"])
				}
				m := full["messages"].([]any)[0].(map[string]any)
				for _, k := range []string{"direction", "sender_id", "text", "attachments", "created_at"} {
					if _, ok := m[k]; !ok {
						t.Errorf("message lacks %s: %v", k, m)
					}
				}
				if m["direction"] != "incoming" {
					t.Errorf("the first message is the customer's, got %v", m)
				}

				// The deprecated argument name reads the same conversation.
				old := ok(t, call(t, cs, "get_conversation", map[string]any{"id": id}))["data"]
				if !jsonEqual(old, full) {
					t.Errorf("id %v differs from conversation_id %v", old, full)
				}

				recent := ok(t, call(t, cs, "get_conversation", map[string]any{"conversation_id": id, "message_limit": 2}))["data"].(map[string]any)
				if got := recent["messages"].([]any); !jsonEqual(got, reversed(newestFirst[:2])) {
					t.Fatalf("2 most recent %v, want %v", got, reversed(newestFirst[:2]))
				}
				cur, _ := recent["older_messages_cursor"].(string)
				if cur == "" {
					t.Fatalf("no older_messages_cursor with a message left: %v", recent)
				}
				older := ok(t, call(t, cs, "list_messages", map[string]any{"conversation_id": id, "cursor": cur, "limit": 10}))
				if got := older["data"].([]any); !jsonEqual(got, reversed(newestFirst[2:])) {
					t.Errorf("older page %v, want %v", got, reversed(newestFirst[2:]))
				}
				if p := older["pagination"].(map[string]any); p["has_more"] != false {
					t.Errorf("the first message's page says more follow: %v", p)
				}
				// A cursor belongs to its conversation.
				other := l.conv("messenger/open")
				toolErr(t, call(t, cs, "list_messages", map[string]any{"conversation_id": other, "cursor": cur}), "validation.invalid_cursor")
			})
		}
	})
}

func reversed(in []any) []any {
	out := make([]any, len(in))
	for i, v := range in {
		out[len(in)-1-i] = v
	}
	return out
}
