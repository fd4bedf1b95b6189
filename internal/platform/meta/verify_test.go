package meta

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/emulator/graphemu"
	"github.com/parleyhq/parley/internal/platform"
)

// TestVerify: each flavour's own token verifies its own account (with the
// platform's display name), while a made-up token, another account's valid
// token, an expired token and a Page id the token cannot act for are each
// refused with the right structured code.
func TestVerify(t *testing.T) {
	t.Parallel()
	e := newEnv(t, graphemu.Options{})
	ctx := context.Background()
	names := map[string]string{"messenger": "Acme Coffee", "instagram_login": "Acme", "facebook_login": "Acme Tea"}
	for i, f := range e.flavours {
		t.Run(f.name, func(t *testing.T) {
			id, err := f.adapter.Verify(ctx, f.acct)
			if err != nil || id.NativeID != f.acct.NativeID || id.Name != names[f.name] {
				t.Fatalf("own token: %+v, %v", id, err)
			}

			fake := f.acct
			fake.AccessToken = "fake"
			wantVerify(t, f.adapter, fake, "account.token_invalid", "")

			// A valid token of another account claiming this one's id.
			other := e.flavours[(i+1)%len(e.flavours)]
			stolen := f.acct
			stolen.AccessToken = other.acct.AccessToken
			// Tokens of the other host are refused like made-up ones (190);
			// same-host tokens name the account they do grant.
			want := "account.not_granted"
			if (f.name == "instagram_login") != (other.name == "instagram_login") {
				want = "account.token_invalid"
			}
			wantVerify(t, f.adapter, stolen, want, "")
		})
	}

	t.Run("page token of another page names it", func(t *testing.T) {
		m := e.flavours[0]
		claim := m.acct
		claim.NativeID = "104857600000999"
		wantVerify(t, m.adapter, claim, "account.not_granted", m.acct.NativeID)
	})
	t.Run("expired token", func(t *testing.T) {
		m := e.flavours[0]
		if err := e.emu.GrantToken(m.acct.NativeID, "EAAG-second"); err != nil {
			t.Fatal(err)
		}
		second := m.acct
		second.AccessToken = "EAAG-second"
		if _, err := m.adapter.Verify(ctx, second); err != nil {
			t.Fatalf("a second granted token of the same Page: %v", err)
		}
		if err := e.emu.ExpireGrantedToken("EAAG-second"); err != nil {
			t.Fatal(err)
		}
		err := wantVerify(t, m.adapter, second, "account.token_invalid", "")
		if err.Meta["native_code"] != 190 || err.Meta["native_subcode"] != 463 {
			t.Fatalf("meta = %v", err.Meta)
		}
		// The Page's own token is unaffected.
		if _, err := m.adapter.Verify(ctx, m.acct); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("unreachable", func(t *testing.T) {
		dead := httptest.NewServer(http.NotFoundHandler())
		dead.Close()
		a := NewMessenger(Options{FacebookBaseURL: dead.URL})
		_, err := a.Verify(ctx, e.flavours[0].acct)
		if e, ok := apierr.As(err); !ok || e.Code != "platform.messenger.unavailable" || e.Status != http.StatusBadGateway {
			t.Fatalf("unreachable Graph: %v", err)
		}
	})
	t.Run("bad native id", func(t *testing.T) {
		m := e.flavours[0]
		claim := m.acct
		claim.NativeID = "../me"
		wantVerify(t, m.adapter, claim, "account.not_granted", "")
	})
}

func wantVerify(t *testing.T, v platform.Verifier, acct platform.Account, code, granted string) *apierr.Error {
	t.Helper()
	id, err := v.Verify(context.Background(), acct)
	e, ok := apierr.As(err)
	if !ok || e.Code != code || e.Status != http.StatusUnprocessableEntity {
		t.Fatalf("Verify(%s as %s) = %+v, %v; want %s", acct.AccessToken, acct.NativeID, id, err, code)
	}
	if e.Meta["native_id"] != acct.NativeID || e.Meta["platform"] != string(acct.Platform) {
		t.Fatalf("meta does not name the claimed account: %v", e.Meta)
	}
	if granted != "" && e.Meta["token_native_id"] != granted {
		t.Fatalf("token_native_id = %v, want %s", e.Meta["token_native_id"], granted)
	}
	return e
}
