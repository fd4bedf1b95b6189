package sandbox_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/sandbox"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/service"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestRestartKeepsSeedDataOnce prepares the sandbox twice on one data
// directory and database, as `parley sandbox` does when run again: the
// WhatsApp history (journalled, so it persists) is the same message for
// message, with the same unread counts and windows, and nothing seeded is
// there twice. The fresh emulator agrees with the journal: the customer's
// message can be marked read.
func TestRestartKeepsSeedDataOnce(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		cfg := config.Config{Listen: "127.0.0.1:0", DataDir: b.DataDir, DatabaseURL: b.URL}
		if cfg.DataDir == "" {
			cfg.DataDir = t.TempDir()
		}
		ctx := context.Background()
		type snapshot struct {
			history  map[string][]string
			convs    map[string]string
			accounts int
			brands   int
		}
		run := func(after func(*sandbox.Sandbox)) snapshot {
			t.Helper()
			sb, err := sandbox.Prepare(ctx, cfg, server.Options{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			defer func() { sb.Listener.Close(); sb.Emulators.Close(); sb.Server.Close() }()
			svc, c := sb.Server.Service, service.Caller{OrgID: sb.Org.ID}
			snap := snapshot{history: map[string][]string{}, convs: map[string]string{}}
			for _, scenario := range []string{"whatsapp/open", "whatsapp/closed", "whatsapp/ad_referral"} {
				id := sb.Seeded.Conversations[scenario]
				l, err := svc.ListMessages(ctx, c, id, service.PageRequest{Limit: 200})
				if err != nil {
					t.Fatalf("%s history: %v", scenario, err)
				}
				for _, m := range l.Data {
					snap.history[scenario] = append(snap.history[scenario],
						fmt.Sprintf("%s %s %s %q", m.PlatformID, m.Direction, m.CreatedAt.Format(time.RFC3339), m.Text))
				}
				conv, err := svc.GetConversation(ctx, c, id)
				if err != nil {
					t.Fatalf("%s: %v", scenario, err)
				}
				snap.convs[scenario] = fmt.Sprintf("unread=%d window=%+v", conv.UnreadCount, conv.ReplyWindow)
			}
			accts, _ := svc.ListAccounts(ctx, c, service.AccountFilter{PageRequest: service.PageRequest{Limit: 100}})
			brands, _ := svc.ListBrands(ctx, c, service.PageRequest{Limit: 100})
			snap.accounts, snap.brands = len(accts.Data), len(brands.Data)
			if after != nil {
				after(sb)
			}
			return snap
		}
		first := run(nil)
		if n := len(first.history["whatsapp/open"]); n != 1 {
			t.Fatalf("first run: %d messages in whatsapp/open, want 1: %v", n, first.history)
		}
		second := run(func(sb *sandbox.Sandbox) {
			c := service.Caller{OrgID: sb.Org.ID}
			if err := sb.Server.Service.MarkRead(ctx, c, sb.Seeded.Conversations["whatsapp/open"]); err != nil {
				t.Errorf("mark read after a restart: %v", err)
			}
		})
		for scenario, h := range first.history {
			if fmt.Sprint(second.history[scenario]) != fmt.Sprint(h) {
				t.Errorf("%s history changed on restart:\n first  %v\n second %v", scenario, h, second.history[scenario])
			}
			if second.convs[scenario] != first.convs[scenario] {
				t.Errorf("%s changed on restart: %s, then %s", scenario, first.convs[scenario], second.convs[scenario])
			}
		}
		if second.accounts != 5 || first.accounts != 5 || second.brands != 1 || first.brands != 1 {
			t.Errorf("accounts %d then %d, brands %d then %d; want 5 and 1 each time", first.accounts, second.accounts, first.brands, second.brands)
		}
	})
}
