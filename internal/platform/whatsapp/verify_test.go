package whatsapp

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/emulator/waemu"
	"github.com/parleyhq/parley/internal/platform"
)

// TestVerify: the number's own token verifies it (and its WABA), with the
// verified name; a made-up token, an expired one, another business's valid
// token and a WABA the number is not in are refused, each with its code.
func TestVerify(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	e.emu.AddPhoneNumber(waemu.PhoneNumber{ID: "106540352242777", DisplayPhoneNumber: "15550783777", VerifiedName: "Other Co",
		WABAID: "102290129340777", Token: "EAAJBother"})

	acct := e.acct
	acct.BusinessAccountID = wabaID
	id, err := e.ad.Verify(ctx, acct)
	if err != nil || id.NativeID != phoneID || id.Name != "Test Number" {
		t.Fatalf("own token: %+v, %v", id, err)
	}
	other := platform.Account{Platform: platform.WhatsApp, NativeID: "106540352242777", AccessToken: "EAAJBother"}
	if id, err := e.ad.Verify(ctx, other); err != nil || id.Name != "Other Co" {
		t.Fatalf("other business's own number: %+v, %v", id, err)
	}

	for _, c := range []struct {
		name  string
		mod   func(a *platform.Account)
		code  string
		field string
	}{
		{"fake token", func(a *platform.Account) { a.AccessToken = "fake" }, "account.token_invalid", "access_token"},
		{"another business's token", func(a *platform.Account) { a.AccessToken = "EAAJBother" }, "account.not_granted", "native_id"},
		{"another business's WABA", func(a *platform.Account) { a.BusinessAccountID = "102290129340777" }, "account.not_granted", "business_account_id"},
		{"unknown WABA", func(a *platform.Account) { a.BusinessAccountID = "1" }, "account.not_granted", "business_account_id"},
		{"not an id", func(a *platform.Account) { a.NativeID = "me/../x" }, "account.not_granted", "native_id"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := acct
			c.mod(&a)
			_, err := e.ad.Verify(ctx, a)
			ae, ok := apierr.As(err)
			if !ok || ae.Code != c.code || ae.Status != http.StatusUnprocessableEntity || ae.Meta["field"] != c.field ||
				ae.Meta["platform"] != "whatsapp" || ae.Meta["native_id"] != a.NativeID {
				t.Fatalf("got %v %v", err, ae)
			}
		})
	}

	t.Run("expired token", func(t *testing.T) {
		e.emu.GrantToken("EAAJBsecond", phoneID, wabaID)
		a := acct
		a.AccessToken = "EAAJBsecond"
		if _, err := e.ad.Verify(ctx, a); err != nil {
			t.Fatalf("a second granted token: %v", err)
		}
		e.emu.ExpireToken("EAAJBsecond")
		_, err := e.ad.Verify(ctx, a)
		ae, ok := apierr.As(err)
		if !ok || ae.Code != "account.token_invalid" || ae.Meta["native_code"] != 190 || ae.Meta["native_subcode"] != 463 {
			t.Fatalf("expired: %v %v", err, ae)
		}
	})
	t.Run("unreachable", func(t *testing.T) {
		dead := httptest.NewServer(http.NotFoundHandler())
		dead.Close()
		_, err := New(Options{BaseURL: dead.URL}).Verify(ctx, acct)
		if ae, ok := apierr.As(err); !ok || ae.Code != "platform.whatsapp.unavailable" {
			t.Fatalf("unreachable: %v", err)
		}
	})
}
