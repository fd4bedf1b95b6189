package xapi

import (
	"context"
	"net/http"
	"testing"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/emulator/xemu"
)

// TestVerify: the user's own token verifies with its name; a made-up or
// revoked token is account.token_invalid, another user's valid token
// claiming this user is account.not_granted naming the user it does grant,
// and X's throttling passes through as platform.x.rate_limit.
func TestVerify(t *testing.T) {
	t.Parallel()
	e := setup(t, xemu.Options{MeLimit: 3})
	ctx := context.Background()
	id, err := e.ad.Verify(ctx, e.acct)
	if err != nil || id.NativeID != bizID || id.Name != "Parley HQ" {
		t.Fatalf("own token: %+v, %v", id, err)
	}
	e.emu.AddAccount(aliceID, "alice", "Alice Doe", "tok-alice")

	check := func(name, token, native, code, granted string) {
		t.Helper()
		a := e.acct
		a.AccessToken, a.NativeID = token, native
		_, err := e.ad.Verify(ctx, a)
		ae, ok := apierr.As(err)
		if !ok || ae.Code != code || ae.Meta["native_id"] != native || ae.Meta["platform"] != "x" {
			t.Fatalf("%s: %v %+v", name, err, ae)
		}
		if ae.Status != http.StatusUnprocessableEntity || (granted != "" && ae.Meta["token_native_id"] != granted) {
			t.Fatalf("%s: %+v", name, ae)
		}
	}
	check("fake token", "fake", bizID, "account.token_invalid", "")
	check("another user's token", "tok-alice", bizID, "account.not_granted", aliceID)
	e.emu.RevokeToken("tok-alice")
	check("revoked token", "tok-alice", aliceID, "account.token_invalid", "")

	// 75 requests per 15 minutes per user on X; 3 here, one already spent.
	for range 2 {
		if _, err = e.ad.Verify(ctx, e.acct); err != nil {
			t.Fatal(err)
		}
	}
	_, err = e.ad.Verify(ctx, e.acct)
	if ae, ok := apierr.As(err); !ok || ae.Code != "platform.x.rate_limit" || ae.Status != http.StatusTooManyRequests {
		t.Fatalf("throttled: %v", err)
	}
}
