package sandbox_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/sandbox"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/service"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/testsupport"
)

// TestSayTravelsThroughSignedWebhooks runs the sandbox as a newcomer would
// and simulates a DM on every platform: each one goes emulator → signed
// webhook → Parley → the user's endpoint, for the right conversation.
func TestSayTravelsThroughSignedWebhooks(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		cfg := config.Config{Listen: "127.0.0.1:0", DataDir: b.DataDir, DatabaseURL: b.URL}
		if cfg.DataDir == "" {
			cfg.DataDir = t.TempDir()
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		sb, err := sandbox.Prepare(ctx, cfg, server.Options{Logger: slog.New(slog.DiscardHandler), PollInterval: 20 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- sb.Run(ctx) }()
		defer func() { cancel(); <-done }()

		var mu sync.Mutex
		got := map[string]map[string]any{}
		rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			raw, _ := io.ReadAll(r.Body)
			var ev struct {
				Type string         `json:"type"`
				Data map[string]any `json:"data"`
			}
			_ = json.Unmarshal(raw, &ev)
			if ev.Type == "message.received" {
				mu.Lock()
				got[ev.Data["platform"].(string)] = ev.Data
				mu.Unlock()
			}
		}))
		defer rcv.Close()
		c := service.Caller{OrgID: sb.Org.ID}
		if _, err := sb.Server.Service.CreateWebhook(ctx, c, service.WebhookInput{URL: &rcv.URL}); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{}
		for _, p := range []platform.Name{platform.Instagram, platform.Messenger, platform.WhatsApp, platform.X, platform.LinkedIn} {
			said, err := sb.Say(ctx, p, "hello from "+string(p))
			if err != nil {
				t.Fatalf("say on %s: %v", p, err)
			}
			want[string(p)] = said.ConversationID
		}
		testsupport.Eventually(t, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(got) == len(want)
		}, "a message.received delivery from each of the %d platforms", len(want))
		mu.Lock()
		defer mu.Unlock()
		for p, conv := range want {
			ev := got[p]
			if ev == nil {
				t.Errorf("%s: no message.received delivered", p)
				continue
			}
			msg := ev["message"].(map[string]any)
			if ev["conversation_id"] != conv || !strings.HasPrefix(msg["text"].(string), "hello from ") || msg["direction"] != "incoming" {
				t.Errorf("%s: delivered %v, want conversation %s", p, ev, conv)
			}
		}
		// The inbound message reopened the window metadata: the conversation
		// lists with unread messages.
		l, err := sb.Server.Service.GetConversation(ctx, c, want["whatsapp"])
		if err != nil || !l.ReplyWindow.Open {
			t.Fatalf("whatsapp conversation after inbound: %+v %v", l, err)
		}
	})
}

// TestReseedReconnectsUnverifiedAccounts: a sandbox database whose accounts
// were connected before tokens were verified (verified_at empty) is
// reseeded on the next run: each account is reconnected with its emulator's
// token, verified, and keeps its id.
func TestReseedReconnectsUnverifiedAccounts(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		cfg := config.Config{Listen: "127.0.0.1:0", DataDir: b.DataDir, DatabaseURL: b.URL}
		if cfg.DataDir == "" {
			cfg.DataDir = t.TempDir()
		}
		ctx := context.Background()
		opts := server.Options{Logger: slog.New(slog.DiscardHandler)}
		first, err := sandbox.Prepare(ctx, cfg, opts)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := first.Server.Store.SQL().Exec(`UPDATE accounts SET verified_at = NULL`); err != nil {
			t.Fatal(err)
		}
		first.Server.Close()
		first.Emulators.Close()
		first.Listener.Close()

		second, err := sandbox.Prepare(ctx, cfg, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { second.Server.Close(); second.Emulators.Close(); second.Listener.Close() }()
		l, err := second.Server.Service.ListAccounts(ctx, service.Caller{OrgID: second.Org.ID},
			service.AccountFilter{PageRequest: service.PageRequest{Limit: 100}})
		if err != nil || len(l.Data) != 5 {
			t.Fatalf("accounts after reseed: %+v, %v", l.Data, err)
		}
		// The banner names each emulator's URL and the token it accepts, for
		// developers pointing their own SDKs at them.
		var banner strings.Builder
		second.Banner(&banner)
		e := second.Emulators
		for _, want := range []string{e.FacebookURL, e.InstagramURL, e.WhatsAppURL, e.XURL, e.LinkedInURL} {
			if !strings.Contains(banner.String(), "base URL      "+want+"\n") {
				t.Errorf("banner lacks emulator URL %s:\n%s", want, banner.String())
			}
		}
		for p, tok := range second.Seeded.Tokens {
			if tok == "" || !strings.Contains(banner.String(), "access token  "+tok+"\n") {
				t.Errorf("banner lacks the %s token %q", p, tok)
			}
		}
		for _, a := range l.Data {
			if a.VerifiedAt == nil || a.Status != "active" || first.Seeded.Accounts[platform.Name(a.Platform)] != a.ID {
				t.Errorf("%s after reseed: %+v", a.Platform, a)
			}
		}
	})
}

// TestStandaloneEmulators: the emulators seeded without Parley hold the same
// accounts and threads a full sandbox has, reachable with the printed tokens.
func TestStandaloneEmulators(t *testing.T) {
	e, s, err := sandbox.StartStandalone(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if len(s.Accounts) != 0 || len(s.Conversations) != 0 {
		t.Fatalf("Parley ids without Parley: %+v", s)
	}
	if len(s.Threads) != 12 || len(s.Tokens) != 5 {
		t.Fatalf("threads %d, tokens %d: %+v", len(s.Threads), len(s.Tokens), s)
	}
	if n := len(e.Graph.Messages(s.NativeIDs[platform.Messenger])); n != 0 {
		t.Fatalf("seeding sent %d messages", n)
	}
	req, _ := http.NewRequest("GET", e.XURL+"/2/dm_events", nil)
	req.Header.Set("Authorization", "Bearer "+s.Tokens[platform.X])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("X with the printed token: %d", res.StatusCode)
	}
}
