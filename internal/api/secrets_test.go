package api_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/secrets"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/store/storetest"
)

func TestServeRefusesWithoutKeys(t *testing.T) {
	t.Parallel()
	_, err := server.New(context.Background(), config.Config{DataDir: t.TempDir()}, server.Options{})
	if !errors.Is(err, server.ErrNoSecretKeys) || !strings.Contains(err.Error(), "parley secrets generate") {
		t.Fatalf("server.New without keys: %v", err)
	}
}

// TestSecretRotation rotates the key ring under live data: after `secrets
// rotate`, the old key can leave the ring and account tokens, webhook
// secrets and the WhatsApp journal all still open.
func TestSecretRotation(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		l := newLiveEnv(t, b)
		oldRing := l.keys
		newKey, err := secrets.GenerateKey(time.Now())
		if err != nil {
			t.Fatal(err)
		}
		var cfg config.Config
		l.emu.Configure(&cfg)
		hook := l.do("POST", "/v1/webhooks", l.key, map[string]any{"url": "https://hooks.example.com/parley"})
		expect(t, hook, 201, "")
		hookID := hook.data(t)["id"].(string)
		journal := 3 // the seeded WhatsApp messages

		both := newEnvFull(t, b, cfg, oldRing+","+newKey, server.Options{})
		n, err := both.srv.Service.RotateSecrets(context.Background())
		if want := len(l.seeded.Accounts) + 1 + journal; err != nil || n != want {
			t.Fatalf("rotated %d, %v; want %d (accounts, the webhook secret, the journal)", n, err, want)
		}
		if n, _ := both.srv.Service.RotateSecrets(context.Background()); n != 0 {
			t.Fatalf("second rotation re-sealed %d values, want 0", n)
		}
		onlyNew := newEnvFull(t, b, cfg, newKey, server.Options{})
		r := onlyNew.do("GET", "/v1/inbox/conversations/"+l.conv("instagram/open")+"/messages", l.key, nil)
		expect(t, r, 200, "")
		r = onlyNew.do("GET", "/v1/inbox/conversations/"+l.conv("whatsapp/open")+"/messages", l.key, nil)
		expect(t, r, 200, "")
		if !strings.Contains(string(r.raw), "order #1042") {
			t.Fatalf("journal not readable after rotation: %s", r.raw)
		}
		var sealed []byte
		if err := onlyNew.srv.Store.SQL().QueryRow(onlyNew.srv.Store.Rebind(`SELECT secret FROM webhook_endpoints WHERE id = ?`), hookID).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if _, err := onlyNew.srv.Keys.Open(sealed, []byte(hookID)); err != nil {
			t.Fatalf("webhook secret does not open under the new key alone: %v", err)
		}
		// The old ring alone can no longer open the token.
		onlyOld := newEnvFull(t, b, cfg, oldRing, server.Options{})
		r = onlyOld.do("GET", "/v1/inbox/conversations/"+l.conv("x/open"), l.key, nil)
		expect(t, r, 409, "account.reauth_required")
	})
}
