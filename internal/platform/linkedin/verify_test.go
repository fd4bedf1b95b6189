package linkedin

import (
	"context"
	"net/http"
	"testing"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/emulator/liemu"
)

// TestVerify: an administrator's token verifies its organisation, with the
// organisation's name; a made-up, expired or revoked token is
// account.token_invalid; another organisation's administrator, a member
// whose role is not ADMINISTRATOR and a malformed URN are account.not_granted.
func TestVerify(t *testing.T) {
	t.Parallel()
	e := newEnv(t, liemu.Options{}, nil)
	ctx := context.Background()
	id, err := e.ad.Verify(ctx, e.acct)
	if err != nil || id.NativeID != acme || id.Name != "Acme Robotics" {
		t.Fatalf("own token: %+v, %v", id, err)
	}
	mustOK(t, e.emu.AddAccount(acme, "", "AQV-analyst"))
	mustOK(t, e.emu.SetRole("AQV-analyst", liemu.RoleAnalyst))
	mustOK(t, e.emu.AddAccount(acme, "", "AQV-expired"))
	e.emu.ExpireToken("AQV-expired")
	mustOK(t, e.emu.AddAccount(acme, "", "AQV-revoked"))
	e.emu.RevokeToken("AQV-revoked")
	mustOK(t, e.emu.AddAccount(acme, "", "AQV-second-admin"))

	for _, c := range []struct {
		name, token, native, code string
		nativeCode                int
	}{
		{"fake token", "fake", acme, "account.token_invalid", 65600},
		{"expired token", "AQV-expired", acme, "account.token_invalid", 65602},
		{"revoked token", "AQV-revoked", acme, "account.token_invalid", 65601},
		{"another organisation's admin", globTok, acme, "account.not_granted", 0},
		{"analyst, not administrator", "AQV-analyst", acme, "account.not_granted", 0},
		{"not an organization URN", acmeTok, "urn:li:person:ada123", "account.not_granted", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := e.acct
			a.AccessToken, a.NativeID = c.token, c.native
			_, err := e.ad.Verify(ctx, a)
			ae, ok := apierr.As(err)
			if !ok || ae.Code != c.code || ae.Status != http.StatusUnprocessableEntity || ae.Meta["native_id"] != c.native || ae.Meta["platform"] != "linkedin" {
				t.Fatalf("%v %+v", err, ae)
			}
			if c.nativeCode != 0 && ae.Meta["native_code"] != c.nativeCode {
				t.Fatalf("native_code = %v, want %d", ae.Meta["native_code"], c.nativeCode)
			}
		})
	}
	// A second administrator of the same organisation holds a valid token too.
	a := e.acct
	a.AccessToken = "AQV-second-admin"
	if id, err := e.ad.Verify(ctx, a); err != nil || id.Name != "Acme Robotics" {
		t.Fatalf("second admin: %+v %v", id, err)
	}
	// LinkedIn unavailable: passes through as a platform error.
	e.emu.FailNext(liemu.StatusError(503))
	if _, err := e.ad.Verify(ctx, e.acct); !apierr.HasCode(err, "platform.linkedin.unavailable") {
		t.Fatalf("503: %v", err)
	}
}
