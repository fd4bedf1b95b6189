package platform_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/platform/linkedin"
	"github.com/parleyhq/parley/internal/platform/meta"
	"github.com/parleyhq/parley/internal/platform/whatsapp"
	"github.com/parleyhq/parley/internal/platform/xapi"
)

// FuzzVerify serves any status and body as every platform's answer to a
// token verification. Whatever comes back, Verify never panics, accepts a
// token only for exactly the claimed account, and otherwise answers a
// structured error of an allowed code: account.token_invalid or
// account.not_granted (422, naming the platform and the claimed id) or the
// platform's own platform.<name>.* error.
func FuzzVerify(f *testing.F) {
	f.Add(0, 200, `{"id":"104857600000001","name":"Acme"}`)
	f.Add(0, 200, `{"id":"104857600000002","name":"Other"}`)
	f.Add(0, 400, `{"error":{"message":"Invalid OAuth access token","type":"OAuthException","code":190,"fbtrace_id":"A"}}`)
	f.Add(1, 200, `{"user_id":"17841400000000001","username":"acme","id":"999"}`)
	f.Add(1, 200, `{"data":[{"user_id":"17841400000000001","username":"acme"}]}`)
	f.Add(2, 200, `{"id":"1","instagram_business_account":{"id":"17841400000000001"}}`)
	f.Add(2, 200, `{"id":"1"}`)
	f.Add(3, 200, `{"id":"106540352242922","verified_name":"Acme","data":[{"id":"106540352242922"}]}`)
	f.Add(3, 400, `{"error":{"message":"(#132001) Template name does not exist","type":"OAuthException","code":132001}}`)
	f.Add(3, 401, `{"error":{"message":"Error validating access token","type":"OAuthException","code":190,"error_subcode":463}}`)
	f.Add(4, 200, `{"data":{"id":"1500000000000000001","name":"Acme","username":"acme"}}`)
	f.Add(4, 401, `{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}`)
	f.Add(5, 200, `{"elements":[{"organization":"urn:li:organization:5000001","role":"ADMINISTRATOR","state":"APPROVED"}],"paging":{"start":0,"count":100,"total":1}}`)
	f.Add(5, 200, `{"elements":[{"organization":"urn:li:organization:5000001","role":"ANALYST","state":"APPROVED"}],"paging":{"start":0,"count":1}}`)
	f.Add(5, 403, `{"status":403,"serviceErrorCode":100,"code":"ACCESS_DENIED","message":"Not enough permissions"}`)
	f.Add(5, 503, `<html>`)
	f.Fuzz(func(t *testing.T, which, status int, body string) {
		if status < 100 || status > 599 || status == 304 || (status > 100 && status < 200) {
			return
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
		}))
		defer srv.Close()
		var v platform.Verifier
		var acct platform.Account
		switch ((which % 6) + 6) % 6 {
		case 0:
			v, acct = meta.NewMessenger(meta.Options{FacebookBaseURL: srv.URL}), platform.Account{Platform: platform.Messenger, NativeID: "104857600000001"}
		case 1:
			v, acct = meta.NewInstagram(meta.Options{InstagramBaseURL: srv.URL}), platform.Account{Platform: platform.Instagram, NativeID: "17841400000000001"}
		case 2:
			v, acct = meta.NewInstagram(meta.Options{FacebookBaseURL: srv.URL}), platform.Account{Platform: platform.Instagram, NativeID: "17841400000000001", Variant: meta.VariantFacebookLogin}
		case 3:
			v, acct = whatsapp.New(whatsapp.Options{BaseURL: srv.URL}), platform.Account{Platform: platform.WhatsApp, NativeID: "106540352242922", BusinessAccountID: "102290129340398"}
		case 4:
			v, acct = xapi.New(srv.URL, nil), platform.Account{Platform: platform.X, NativeID: "1500000000000000001"}
		default:
			v, acct = linkedin.New(srv.URL, nil), platform.Account{Platform: platform.LinkedIn, NativeID: "urn:li:organization:5000001"}
		}
		acct.AccessToken = "token"
		id, err := v.Verify(context.Background(), acct)
		if err == nil {
			if id.NativeID != acct.NativeID {
				t.Fatalf("accepted for %q, claimed %q", id.NativeID, acct.NativeID)
			}
			if status/100 != 2 {
				t.Fatalf("accepted on HTTP %d", status)
			}
			return
		}
		e, ok := apierr.As(err)
		if !ok {
			t.Fatalf("unstructured error %v", err)
		}
		switch {
		case e.Code == "account.token_invalid" || e.Code == "account.not_granted":
			if e.Status != http.StatusUnprocessableEntity || e.Meta["native_id"] != acct.NativeID || e.Meta["platform"] != string(acct.Platform) {
				t.Fatalf("%+v", e)
			}
		case strings.HasPrefix(e.Code, "platform."+string(acct.Platform)+"."):
			if e.Status < 429 {
				t.Fatalf("platform error with status %d: %+v", e.Status, e)
			}
		default:
			t.Fatalf("unexpected code %s (%d): %+v", e.Code, e.Status, e)
		}
	})
}
