package connect_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/testsupport/parleytest"
)

// call makes one API request and decodes the data envelope (or the error).
func call(t *testing.T, base, key, method, path string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, base+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, raw)
	}
	if d, ok := out["data"].(map[string]any); ok {
		return res.StatusCode, d
	}
	return res.StatusCode, out
}

func errCode(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func TestCreateConnectSession(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		srv := parleytest.Start(t, b, config.Config{XClientID: "cid", XClientSecret: "cs"}, "", server.Options{Adapters: platform.Registry{}})
		key := srv.Org(t, "Acme")
		other := srv.Org(t, "Other")
		_, brand := call(t, srv.URL, key, "POST", "/v1/brands", map[string]any{"name": "Shop"})
		_, otherBrand := call(t, srv.URL, other, "POST", "/v1/brands", map[string]any{"name": "Theirs"})

		// An account of the other organisation, to try to reconnect it from here.
		oc, err := srv.Service.Authenticate(context.Background(), "Bearer "+other)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		theirs := store.Account{ID: store.NewID("acct"), OrgID: oc.OrgID, BrandID: otherBrand["id"].(string), Platform: "x", NativeID: "77",
			Status: store.AccountActive, Credentials: []byte("sealed"), CreatedAt: now, UpdatedAt: now}
		if err := srv.Store.CreateAccount(context.Background(), theirs); err != nil {
			t.Fatal(err)
		}
		st, s := call(t, srv.URL, key, "POST", "/v1/connect/sessions", map[string]any{"platform": "x", "brand_id": brand["id"],
			"redirect_url": "https://app.example/connected"})
		if st != 201 || !strings.HasPrefix(s["id"].(string), "cs_") || !strings.HasPrefix(s["url"].(string), srv.URL+"/connect/pcs_") {
			t.Fatalf("create: %d %v", st, s)
		}
		exp, err := time.Parse(time.RFC3339Nano, s["expires_at"].(string))
		if err != nil || time.Until(exp) < 14*time.Minute || time.Until(exp) > 16*time.Minute {
			t.Fatalf("expires_at %v (%v)", s["expires_at"], err)
		}

		for _, c := range []struct {
			name string
			body map[string]any
			code string
		}{
			{"no platform", map[string]any{"brand_id": brand["id"]}, "validation.required"},
			{"not hosted yet", map[string]any{"platform": "tiktok", "brand_id": brand["id"]}, "validation.invalid_field"},
			{"no brand", map[string]any{"platform": "x"}, "validation.required"},
			{"another org's brand", map[string]any{"platform": "x", "brand_id": otherBrand["id"]}, "validation.invalid_field"},
			{"relative redirect", map[string]any{"platform": "x", "brand_id": brand["id"], "redirect_url": "/done"}, "validation.invalid_field"},
			{"javascript redirect", map[string]any{"platform": "x", "brand_id": brand["id"], "redirect_url": "javascript:alert(1)"}, "validation.invalid_field"},
			{"unknown account", map[string]any{"platform": "x", "brand_id": brand["id"], "account_id": "acct_nope"}, "validation.invalid_field"},
			{"another org's account", map[string]any{"platform": "x", "brand_id": brand["id"], "account_id": theirs.ID}, "validation.invalid_field"},
			{"variant off instagram", map[string]any{"platform": "x", "brand_id": brand["id"], "variant": "facebook_login"}, "validation.invalid_field"},
		} {
			st, out := call(t, srv.URL, key, "POST", "/v1/connect/sessions", c.body)
			if st != 422 || errCode(out) != c.code {
				t.Errorf("%s: %d %v, want 422 %s", c.name, st, out, c.code)
			}
		}

		st, alias := call(t, srv.URL, key, "POST", "/v1/accounts/connect", map[string]any{"platform": "x"})
		if st != 201 || !strings.HasPrefix(alias["auth_url"].(string), srv.URL+"/connect/pcs_") {
			t.Fatalf("alias: %d %v", st, alias)
		}
		if st, _ := call(t, srv.URL, "sapi_key_wrong", "POST", "/v1/connect/sessions", map[string]any{"platform": "x"}); st != 401 {
			t.Fatalf("without a key: %d", st)
		}
		// An unknown hosted URL is a clear page, not a redirect.
		res, err := http.Get(srv.URL + "/connect/pcs_forged")
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 404 || !strings.Contains(string(page), "connect.session_not_found") {
			t.Fatalf("forged link: %d %s", res.StatusCode, page)
		}
	})
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
