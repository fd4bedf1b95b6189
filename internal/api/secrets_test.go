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
	_, err := server.New(context.Background(), config.Config{DataDir: t.TempDir()}, server.Options{})
	if !errors.Is(err, server.ErrNoSecretKeys) || !strings.Contains(err.Error(), "parley secrets generate") {
		t.Fatalf("server.New without keys: %v", err)
	}
}

// TestSecretRotation rotates the key ring under a live account: after
// `secrets rotate`, the old key can leave the ring and the account still
// reaches its platform.
func TestSecretRotation(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		l := newLiveEnv(t, b)
		oldRing := l.keys
		newKey, err := secrets.GenerateKey(time.Now())
		if err != nil {
			t.Fatal(err)
		}
		var cfg config.Config
		l.emu.Configure(&cfg)

		both := newEnvFull(t, b, cfg, oldRing+","+newKey, server.Options{})
		n, err := both.srv.Service.RotateSecrets(context.Background())
		if err != nil || n != len(l.seeded.Accounts) {
			t.Fatalf("rotated %d, %v; want %d", n, err, len(l.seeded.Accounts))
		}
		if n, _ := both.srv.Service.RotateSecrets(context.Background()); n != 0 {
			t.Fatalf("second rotation re-sealed %d values, want 0", n)
		}
		onlyNew := newEnvFull(t, b, cfg, newKey, server.Options{})
		r := onlyNew.do("GET", "/v1/inbox/conversations/"+l.conv("instagram/open")+"/messages", l.key, nil)
		expect(t, r, 200, "")
		// The old ring alone can no longer open the token.
		onlyOld := newEnvFull(t, b, cfg, oldRing, server.Options{})
		r = onlyOld.do("GET", "/v1/inbox/conversations/"+l.conv("x/open"), l.key, nil)
		expect(t, r, 409, "account.reauth_required")
	})
}
