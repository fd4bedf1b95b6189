package mcpserver_test

import (
	"testing"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/convid"
	"github.com/parleyhq/parley/internal/emulator/graphemu"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/sandbox"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/testsupport/parleytest"
)

// liveEnv is Parley wired to the five platform emulators over loopback and
// seeded as the sandbox seeds it.
type liveEnv struct {
	*env
	emu    *sandbox.Emulators
	key    string
	seeded sandbox.Seeded
}

func newLiveEnv(t *testing.T, b storetest.Backend) *liveEnv {
	t.Helper()
	return newLiveEnvWith(t, b, server.Options{})
}

func newLiveEnvWith(t *testing.T, b storetest.Backend, opts server.Options) *liveEnv {
	t.Helper()
	l := parleytest.StartLive(t, b, config.Config{}, opts)
	return &liveEnv{env: &env{t: t, srv: l.Server.Server, url: l.URL}, emu: l.Emu, key: l.Key, seeded: l.Seeded}
}

func (l *liveEnv) conv(scenario string) string {
	l.t.Helper()
	id, ok := l.seeded.Conversations[scenario]
	if !ok {
		l.t.Fatalf("no seeded conversation %q", scenario)
	}
	return id
}

// thread is the emulator's view of a seeded Instagram or Messenger
// conversation, by its Parley id.
func (l *liveEnv) thread(convID string) graphemu.Thread {
	l.t.Helper()
	_, native, err := convid.Decode(convID)
	if err != nil {
		l.t.Fatal(err)
	}
	th, err := l.emu.Graph.Thread(native)
	if err != nil {
		l.t.Fatalf("thread %s: %v", native, err)
	}
	return th
}

// TestLiveEmulators drives every tool against the platform emulators, as an
// agent would after `parley sandbox`.
func TestLiveEmulators(t *testing.T) {
	t.Parallel()
	eachEnv(t, func(t *testing.T, tr transport, b storetest.Backend) {
		l := newLiveEnv(t, b)
		cs := mustConnect(t, l.env, tr, l.key)

		accts := ok(t, call(t, cs, "list_accounts", map[string]any{}))["data"].([]any)
		if len(accts) != 5 {
			t.Fatalf("%d accounts, want 5", len(accts))
		}
		list := ok(t, call(t, cs, "list_conversations", map[string]any{"limit": 100}))
		if list["meta"] != nil {
			t.Fatalf("partial failure: %v", list["meta"])
		}
		seen := map[string]bool{}
		for _, d := range list["data"].([]any) {
			seen[d.(map[string]any)["platform"].(string)] = true
		}
		if len(seen) != 5 {
			t.Errorf("platforms listed: %v", seen)
		}

		for _, scenario := range []string{"instagram/open", "messenger/open", "whatsapp/open", "x/open", "linkedin/open"} {
			id := l.conv(scenario)
			c := ok(t, call(t, cs, "get_conversation", map[string]any{"id": id}))["data"].(map[string]any)
			if c["reply_window"].(map[string]any)["open"] != true {
				t.Errorf("%s: window %v", scenario, c["reply_window"])
			}
			m := ok(t, call(t, cs, "send_dm", map[string]any{"conversation_id": id, "text": "Thanks, on it!"}))["data"].(map[string]any)
			if m["platform_id"] == "" || m["direction"] != "outgoing" {
				t.Errorf("%s: sent %v", scenario, m)
			}
		}
		if n := len(l.emu.Graph.Messages(l.seeded.NativeIDs[platform.Instagram])); n == 0 {
			t.Error("the Instagram emulator received nothing")
		}

		// WhatsApp outside the window: only a template, which the agent finds
		// with list_whatsapp_templates.
		closed := l.conv("whatsapp/closed")
		d := toolErr(t, call(t, cs, "send_dm", map[string]any{"conversation_id": closed, "text": "Hello again"}), "whatsapp.template_required")
		if d.Meta["options"] == nil && d.Meta["closed_at"] == nil {
			t.Errorf("template_required meta %v", d.Meta)
		}
		tmpl := ok(t, call(t, cs, "list_whatsapp_templates", map[string]any{"account_id": l.seeded.Accounts[platform.WhatsApp]}))["data"].([]any)
		approved := ""
		for _, x := range tmpl {
			if x := x.(map[string]any); x["status"] == "APPROVED" && x["category"] == "UTILITY" {
				approved = x["name"].(string)
			}
		}
		if approved == "" {
			t.Fatalf("no approved utility template in %v", tmpl)
		}
		ok(t, call(t, cs, "send_dm", map[string]any{"conversation_id": closed,
			"template": map[string]any{"name": approved, "language": "en_US"}}))

		ok(t, call(t, cs, "mark_conversation_read", map[string]any{"conversation_id": l.conv("messenger/open")}))
	})
}
