package api_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/sandbox"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/testsupport/parleytest"
)

// liveEnv is Parley wired to the five emulators over loopback, seeded like
// the sandbox.
type liveEnv struct {
	*env
	emu    *sandbox.Emulators
	key    string
	seeded sandbox.Seeded
}

func newLiveEnv(t *testing.T, b storetest.Backend) *liveEnv {
	t.Helper()
	return newLiveEnvCfg(t, b, config.Config{})
}

func newLiveEnvCfg(t *testing.T, b storetest.Backend, cfg config.Config) *liveEnv {
	t.Helper()
	return fromLive(t, parleytest.StartLive(t, b, cfg, server.Options{}))
}

func fromLive(t testing.TB, l *parleytest.Live) *liveEnv {
	return &liveEnv{env: &env{t: t, srv: l.Server.Server, url: l.URL, keys: l.KeyRing}, emu: l.Emu, key: l.Key, seeded: l.Seeded}
}

func (l *liveEnv) conv(scenario string) string {
	l.t.Helper()
	id, ok := l.seeded.Conversations[scenario]
	if !ok {
		l.t.Fatalf("no seeded conversation %q", scenario)
	}
	return id
}

// sentCount is how many messages the business sent on a platform, as the
// emulator saw them.
func (l *liveEnv) sentCount(p platform.Name) int {
	id := l.seeded.NativeIDs[p]
	switch p {
	case platform.Instagram, platform.Messenger:
		return len(l.emu.Graph.Messages(id))
	case platform.WhatsApp:
		return len(l.emu.WhatsApp.Messages(id))
	case platform.X:
		return len(l.emu.X.Messages(id))
	case platform.LinkedIn:
		return len(l.emu.LinkedIn.Messages(id))
	}
	return 0
}

func TestAllPlatformsListReadSend(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		l := newLiveEnv(t, b)
		r := l.do("GET", "/v1/inbox/conversations?limit=100", l.key, nil)
		expect(t, r, 200, "")
		seen := map[string]bool{}
		var last time.Time
		for i, d := range r.body["data"].([]any) {
			c := d.(map[string]any)
			seen[c["platform"].(string)] = true
			if _, ok := c["reply_window"].(map[string]any); !ok {
				t.Fatalf("conversation without reply_window: %v", c)
			}
			at, err := time.Parse(time.RFC3339Nano, c["last_message_at"].(string))
			if err != nil {
				t.Fatal(err)
			}
			if i > 0 && at.After(last) {
				t.Fatalf("not newest first at %d", i)
			}
			last = at
		}
		for _, p := range []string{"instagram", "messenger", "whatsapp", "x", "linkedin"} {
			if !seen[p] {
				t.Errorf("no %s conversation listed: %s", p, r.raw)
			}
		}
		if r.body["meta"] != nil {
			t.Fatalf("unexpected partial failure: %v", r.body["meta"])
		}

		for _, tc := range []struct {
			p        platform.Name
			scenario string
		}{
			{platform.Instagram, "instagram/open"},
			{platform.Messenger, "messenger/open"},
			{platform.WhatsApp, "whatsapp/open"},
			{platform.X, "x/open"},
			{platform.LinkedIn, "linkedin/open"},
		} {
			t.Run(string(tc.p), func(t *testing.T) {
				id := l.conv(tc.scenario)
				g := l.do("GET", "/v1/inbox/conversations/"+id, l.key, nil)
				expect(t, g, 200, "")
				if w := g.data(t)["reply_window"].(map[string]any); w["open"] != true {
					t.Fatalf("window not open: %v", w)
				}
				m := l.do("GET", "/v1/inbox/conversations/"+id+"/messages", l.key, nil)
				expect(t, m, 200, "")
				msgs := m.body["data"].([]any)
				if len(msgs) == 0 || msgs[0].(map[string]any)["direction"] == "" {
					t.Fatalf("no history: %s", m.raw)
				}
				before := l.sentCount(tc.p)
				s := l.do("POST", "/v1/inbox/conversations/"+id+"/messages", l.key, map[string]any{"text": "Thanks, on it!"})
				expect(t, s, 201, "")
				if got := s.data(t); got["direction"] != "outgoing" || got["text"] != "Thanks, on it!" || got["platform_id"] == "" {
					t.Fatalf("send answer: %s", s.raw)
				}
				if after := l.sentCount(tc.p); after != before+1 {
					t.Fatalf("emulator received %d messages, want %d", after, before+1)
				}
				expect(t, l.do("POST", "/v1/inbox/conversations/"+id+"/read", l.key, nil), 204, "")
			})
		}
	})
}

// TestRefusalsThroughREST checks each rules refusal end to end: the caller
// gets the structured answer and the platform is never called.
func TestRefusalsThroughREST(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		l := newLiveEnv(t, b)
		cases := []struct {
			name, scenario string
			p              platform.Name
			body           map[string]any
			status         int
			code           string
		}{
			{"instagram closed", "instagram/closed", platform.Instagram, map[string]any{"text": "hi"}, 410, "conversation.window_closed"},
			{"instagram HUMAN_AGENT after 7 days", "instagram/closed", platform.Instagram, map[string]any{"text": "hi", "tag": "HUMAN_AGENT"}, 410, "conversation.window_closed"},
			{"messenger outside 24h", "messenger/human_agent_only", platform.Messenger, map[string]any{"text": "hi"}, 410, "conversation.window_closed"},
			{"HUMAN_AGENT automated", "messenger/human_agent_only", platform.Messenger, map[string]any{"text": "hi", "tag": "HUMAN_AGENT", "automated": true}, 422, "validation.tag_not_allowed"},
			{"messenger-only tag on instagram", "instagram/human_agent_only", platform.Instagram, map[string]any{"text": "hi", "tag": "POST_PURCHASE_UPDATE"}, 422, "validation.tag_not_supported"},
			{"unknown tag", "messenger/open", platform.Messenger, map[string]any{"text": "hi", "tag": "PROMO"}, 422, "validation.invalid_field"},
			{"retired Messenger tag", "messenger/closed", platform.Messenger, map[string]any{"text": "Your order shipped", "tag": "POST_PURCHASE_UPDATE"}, 422, "conversation.tag_retired"},
			{"whatsapp free-form outside window", "whatsapp/closed", platform.WhatsApp, map[string]any{"text": "hi"}, 410, "whatsapp.template_required"},
			{"whatsapp template pending", "whatsapp/closed", platform.WhatsApp, map[string]any{"template": map[string]any{"name": "new_terms", "language": "en_US"}}, 422, "whatsapp.template_not_approved"},
			{"whatsapp unknown template", "whatsapp/closed", platform.WhatsApp, map[string]any{"template": map[string]any{"name": "nope", "language": "en_US"}}, 422, "whatsapp.template_not_approved"},
			{"tag on whatsapp", "whatsapp/open", platform.WhatsApp, map[string]any{"text": "hi", "tag": "HUMAN_AGENT"}, 422, "validation.tag_not_supported"},
			{"template on x", "x/open", platform.X, map[string]any{"template": map[string]any{"name": "t", "language": "en"}}, 422, "validation.template_not_supported"},
			{"tag on linkedin", "linkedin/open", platform.LinkedIn, map[string]any{"text": "hi", "tag": "HUMAN_AGENT"}, 422, "validation.tag_not_supported"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				before := l.sentCount(c.p)
				r := l.do("POST", "/v1/inbox/conversations/"+l.conv(c.scenario)+"/messages", l.key, c.body)
				expect(t, r, c.status, c.code)
				if after := l.sentCount(c.p); after != before {
					t.Fatalf("platform called despite refusal (%d → %d)", before, after)
				}
			})
		}
		// The window-closed answer names what remains.
		r := l.do("POST", "/v1/inbox/conversations/"+l.conv("messenger/human_agent_only")+"/messages", l.key, map[string]any{"text": "hi"})
		meta := r.body["error"].(map[string]any)["meta"].(map[string]any)
		if meta["closed_at"] == nil || len(meta["options"].([]any)) == 0 {
			t.Fatalf("window_closed without closed_at/options: %s", r.raw)
		}
		// The retired-tag answer names the tag, its date and what remains.
		r = l.do("POST", "/v1/inbox/conversations/"+l.conv("messenger/human_agent_only")+"/messages", l.key, map[string]any{"text": "hi", "tag": "ACCOUNT_UPDATE"})
		expect(t, r, 422, "conversation.tag_retired")
		meta = r.body["error"].(map[string]any)["meta"].(map[string]any)
		if opts, _ := meta["options"].([]any); meta["tag"] != "ACCOUNT_UPDATE" || meta["retired_on"] != "2026-04-27" ||
			len(opts) == 0 || opts[0].(map[string]any)["tag"] != "HUMAN_AGENT" {
			t.Fatalf("tag_retired meta: %s", r.raw)
		}
		// And what is allowed goes through: HUMAN_AGENT within 7 days, an
		// approved template, the ad-referral window.
		for _, ok := range []struct {
			scenario string
			body     map[string]any
		}{
			{"messenger/human_agent_only", map[string]any{"text": "Sorry for the wait", "tag": "HUMAN_AGENT"}},
			{"whatsapp/closed", map[string]any{"template": map[string]any{"name": "order_update", "language": "en_US"}}},
			{"whatsapp/ad_referral", map[string]any{"text": "Welcome! Here is the sale."}},
		} {
			expect(t, l.do("POST", "/v1/inbox/conversations/"+l.conv(ok.scenario)+"/messages", l.key, ok.body), 201, "")
		}
		// WhatsApp accounting counted those two sends.
		sent := l.emu.WhatsApp.Messages(l.seeded.NativeIDs[platform.WhatsApp])
		if len(sent) != 2 {
			t.Fatalf("emulator has %d WhatsApp sends, want 2", len(sent))
		}
	})
}

// TestEmulatorAgreesWithRules checks Parley's decision against the
// platform's own: the same send goes through Parley to one set of emulators,
// and straight to a second, identically seeded set (no Parley rules), and both
// must accept or both refuse.
func TestEmulatorAgreesWithRules(t *testing.T) {
	t.Parallel()
	ours := newLiveEnv(t, storetest.Backend{Name: "sqlite", DataDir: t.TempDir()})
	direct := newLiveEnv(t, storetest.Backend{Name: "sqlite", DataDir: t.TempDir()})
	var cfg config.Config
	direct.emu.Configure(&cfg)
	adapters := server.Adapters(cfg, nil)
	for _, c := range []struct {
		scenario string
		p        platform.Name
		tag      string
	}{
		{"instagram/open", platform.Instagram, ""},
		{"instagram/human_agent_only", platform.Instagram, ""},
		{"instagram/human_agent_only", platform.Instagram, "HUMAN_AGENT"},
		{"instagram/closed", platform.Instagram, "HUMAN_AGENT"},
		{"instagram/human_agent_only", platform.Instagram, "POST_PURCHASE_UPDATE"},
		{"messenger/open", platform.Messenger, ""},
		{"messenger/human_agent_only", platform.Messenger, ""},
		{"messenger/human_agent_only", platform.Messenger, "HUMAN_AGENT"},
		{"messenger/closed", platform.Messenger, "HUMAN_AGENT"},
		{"messenger/closed", platform.Messenger, "ACCOUNT_UPDATE"},
		{"whatsapp/open", platform.WhatsApp, ""},
		{"whatsapp/closed", platform.WhatsApp, ""},
		{"whatsapp/ad_referral", platform.WhatsApp, ""},
	} {
		t.Run(fmt.Sprintf("%s/%s", c.scenario, c.tag), func(t *testing.T) {
			r := ours.do("POST", "/v1/inbox/conversations/"+ours.conv(c.scenario)+"/messages", ours.key, map[string]any{"text": "agree?", "tag": c.tag})
			g := direct.do("GET", "/v1/inbox/conversations/"+direct.conv(c.scenario), direct.key, nil)
			expect(t, g, 200, "")
			conv := g.data(t)
			acct := platform.Account{ID: conv["account_id"].(string), Platform: c.p, NativeID: direct.seeded.NativeIDs[c.p], AccessToken: direct.seeded.Tokens[c.p]}
			pc := platform.Conversation{ThreadID: conv["platform_id"].(string), ParticipantID: conv["participant_id"].(string)}
			sent, theirs := adapters[c.p].Send(context.Background(), acct, pc, platform.Outbound{Text: "agree?", Tag: c.tag})
			if theirs == nil && c.p == platform.WhatsApp {
				// The Cloud API accepts some sends it fails later, in a
				// status webhook (131047 outside the window): a refusal too.
				for _, m := range direct.emu.WhatsApp.Messages(acct.NativeID) {
					if m.ID == sent.PlatformID && m.Failure != nil {
						theirs = fmt.Errorf("accepted, then failed with %d %s", m.Failure.Code, m.Failure.Title)
					}
				}
			}
			if (r.status == 201) != (theirs == nil) {
				t.Fatalf("Parley answered %d %s; the platform answered %v", r.status, r.raw, theirs)
			}
		})
	}
}
