package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/service"
	"github.com/parleyhq/parley/internal/store/storetest"
)

func countEvents(t *testing.T, l *liveEnv, typ string) int {
	t.Helper()
	r := l.do("GET", "/v1/events?limit=100", l.key, nil)
	expect(t, r, 200, "")
	n := 0
	for _, d := range r.body["data"].([]any) {
		if d.(map[string]any)["type"] == typ {
			n++
		}
	}
	return n
}

func TestWindowClosingAndDisconnectEvents(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		l := newLiveEnv(t, b)
		ctx := context.Background()
		org := l.srv.Service
		acct := l.seeded.Accounts[platform.WhatsApp]
		caller, err := org.Authenticate(ctx, "Bearer "+l.key)
		if err != nil {
			t.Fatal(err)
		}
		// A customer wrote 23 h ago and nobody answered: the window closes
		// within the default 2 h lead.
		if _, err := org.RecordInbound(ctx, caller.OrgID, acct, "15550001111", platform.Message{PlatformID: "wamid.late",
			Direction: "incoming", SenderID: "15550001111", Text: "anyone?", CreatedAt: time.Now().Add(-23 * time.Hour)}, time.Time{}); err != nil {
			t.Fatal(err)
		}
		for range 2 { // announced once, however often the job runs
			if err := org.NotifyClosingWindows(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if n := countEvents(t, l, service.EventWindowClosing); n != 1 {
			t.Fatalf("%d window_closing events, want 1", n)
		}
		r := l.do("GET", "/v1/events?limit=100", l.key, nil)
		if !strings.Contains(string(r.raw), `"closes_at"`) {
			t.Fatalf("window_closing without closes_at: %s", r.raw)
		}
		// The seeded conversation written to 2 h ago closes in 22 h: not announced.
		if strings.Count(string(r.raw), "window_closing") != 1 {
			t.Fatalf("unexpected announcements: %s", r.raw)
		}

		// A token refused by the platform disconnects the account, once.
		if err := l.emu.Graph.ExpireToken(l.seeded.NativeIDs[platform.Messenger]); err != nil {
			t.Fatal(err)
		}
		expect(t, l.do("GET", "/v1/inbox/conversations/"+l.conv("messenger/open"), l.key, nil), 409, "account.reauth_required")
		expect(t, l.do("GET", "/v1/inbox/conversations/"+l.conv("messenger/open"), l.key, nil), 409, "account.reauth_required")
		if n := countEvents(t, l, service.EventAccountDisconn); n != 1 {
			t.Fatalf("%d account.disconnected events, want 1", n)
		}
	})
}

func TestStatusWebhooksBecomeEvents(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		l := newLiveEnvCfg(t, b, config.Config{MetaAppSecret: "status-secret"})
		// The Cloud API posts sent and delivered statuses after each send.
		l.emu.WhatsApp.SetWebhook(l.url+"/webhooks/meta", "status-secret")
		s := l.do("POST", "/v1/inbox/conversations/"+l.conv("whatsapp/open")+"/messages", l.key, map[string]any{"text": "on its way"})
		expect(t, s, 201, "")
		if err := l.emu.WhatsApp.Flush(); err != nil {
			t.Fatal(err)
		}
		wamid := s.data(t)["platform_id"].(string)
		r := l.do("GET", "/v1/events?limit=100", l.key, nil)
		if !strings.Contains(string(r.raw), `"type":"message.delivered"`) || !strings.Contains(string(r.raw), wamid) {
			t.Fatalf("no message.delivered for %s: %s", wamid, r.raw)
		}
		if n := countEvents(t, l, service.EventMessageSent); n != 1 {
			t.Fatalf("%d message.sent events, want 1 (the status webhook must not add one)", n)
		}
		// The journal shows the delivery.
		m := l.do("GET", "/v1/inbox/conversations/"+l.conv("whatsapp/open")+"/messages", l.key, nil)
		first := m.body["data"].([]any)[0].(map[string]any)
		if first["platform_id"] != wamid || first["status"] != "delivered" {
			t.Fatalf("newest message: %v", first)
		}
	})
}
