package api_test

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
	"github.com/parleyhq/parley/internal/convid"
	"github.com/parleyhq/parley/internal/emulator/graphemu"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/sandbox"
	"github.com/parleyhq/parley/internal/secrets"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/testsupport/parleytest"
)

// env is a running Parley over real loopback HTTP on one backend.
type env struct {
	t    testing.TB
	srv  *server.Server
	url  string
	keys string
	// emu are the platform emulators Parley is pointed at (nil when it
	// runs without platforms). Nothing is seeded on them.
	emu *sandbox.Emulators
}

// newEnv runs Parley in front of the five platform emulators, unseeded: an
// account can be connected only with a token its emulator grants.
func newEnv(t *testing.T, b storetest.Backend) *env {
	t.Helper()
	emu, err := sandbox.StartEmulators(sandbox.EmulatorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emu.Close)
	cfg := config.Config{OperatorToken: operatorToken}
	emu.Configure(&cfg)
	e := newEnvWith(t, b, cfg, nil)
	e.emu = emu
	return e
}

// newBareEnv runs Parley with no platform adapters at all.
func newBareEnv(t *testing.T, b storetest.Backend) *env {
	t.Helper()
	return newEnvWith(t, b, config.Config{}, platform.Registry{})
}

// newEnvWith runs Parley with cfg (over the backend's database) and the
// given adapters; nil adapters means those built from cfg.
func newEnvWith(t *testing.T, b storetest.Backend, cfg config.Config, adapters platform.Registry) *env {
	t.Helper()
	key, err := secrets.GenerateKey(t0())
	if err != nil {
		t.Fatal(err)
	}
	return newEnvFull(t, b, cfg, key, server.Options{Adapters: adapters})
}

func newEnvFull(t testing.TB, b storetest.Backend, cfg config.Config, key string, opts server.Options) *env {
	t.Helper()
	s := parleytest.Start(t, b, cfg, key, opts)
	return &env{t: t, srv: s.Server, url: s.URL, keys: s.KeyRing}
}

// settle waits until the webhooks Parley acknowledged are recorded
// (parleytest.Settle): every request a test makes reads what the
// platforms' webhooks before it said.
func (e *env) settle() {
	e.t.Helper()
	parleytest.Settle(e.t, e.srv)
}

// org creates an organisation and returns its API key.
func (e *env) org(name string) string {
	e.t.Helper()
	_, k, err := e.srv.Service.Bootstrap(context.Background(), name, "test")
	if err != nil {
		e.t.Fatal(err)
	}
	return k.Secret
}

type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func (e *env) do(method, path, key string, body any, headers ...string) response {
	e.t.Helper()
	e.settle()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := response{status: res.StatusCode, header: res.Header, raw: raw}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") && len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			e.t.Fatalf("%s %s: invalid JSON %q", method, path, raw)
		}
	}
	return r
}

func (r response) data(t testing.TB) map[string]any {
	t.Helper()
	d, ok := r.body["data"].(map[string]any)
	if !ok {
		t.Fatalf("no data object in %s", r.raw)
	}
	return d
}

func (r response) errCode() string {
	e, _ := r.body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func expect(t testing.TB, r response, status int, code string) {
	t.Helper()
	if r.status != status || r.errCode() != code {
		t.Fatalf("got %d %q, want %d %q: %s", r.status, r.errCode(), status, code, r.raw)
	}
	if code != "" {
		if id, _ := r.body["request_id"].(string); id == "" || id != r.header.Get("X-Request-ID") {
			t.Fatalf("request_id %q does not match X-Request-ID %q", id, r.header.Get("X-Request-ID"))
		}
	}
}

// seedA creates a brand, an Instagram account (whose token the emulator
// grants) and a second key in an organisation.
func (e *env) seedA(key string) (brandID, accountID, keyID string) {
	e.t.Helper()
	b := e.do("POST", "/v1/brands", key, map[string]any{"name": "Acme"})
	expect(e.t, b, 201, "")
	brandID = b.data(e.t)["id"].(string)
	if _, err := e.emu.Graph.AddAccount(graphemu.Account{Platform: platform.Instagram, ID: "17841400000000001",
		Token: "IGQVJ-secret-token", Name: "Acme on Instagram"}); err != nil {
		e.t.Fatal(err)
	}
	a := e.do("POST", "/v1/accounts", key, map[string]any{"brand_id": brandID, "platform": "instagram",
		"native_id": "17841400000000001", "display_name": "Acme IG", "access_token": "IGQVJ-secret-token"})
	expect(e.t, a, 201, "")
	accountID = a.data(e.t)["id"].(string)
	k := e.do("POST", "/v1/api-keys", key, map[string]any{"name": "second"})
	expect(e.t, k, 201, "")
	keyID = k.data(e.t)["id"].(string)
	return
}

// insertAccount writes an account row straight into the store, for tests
// of a Parley that has no platform to verify a token with.
func (e *env) insertAccount(key, brandID, p, native string) string {
	e.t.Helper()
	ctx := context.Background()
	c, err := e.srv.Service.Authenticate(ctx, "Bearer "+key)
	if err != nil {
		e.t.Fatal(err)
	}
	now := time.Now()
	a := store.Account{ID: store.NewID("acct"), OrgID: c.OrgID, BrandID: brandID, Platform: p, NativeID: native,
		DisplayName: native, Status: store.AccountActive, VerifiedAt: &now, CreatedAt: now, UpdatedAt: now}
	if a.Credentials, err = e.srv.Keys.Seal([]byte("token"), []byte(a.ID)); err != nil {
		e.t.Fatal(err)
	}
	if err := e.srv.Store.CreateAccount(ctx, a); err != nil {
		e.t.Fatal(err)
	}
	return a.ID
}

func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		keyA, keyB := e.org("A"), e.org("B")
		brandA, acctA, keyIDA := e.seedA(keyA)
		conv := convid.Encode(acctA, "t_123")
		hookA := e.do("POST", "/v1/webhooks", keyA, map[string]any{"url": "https://hooks.example.com/a"}).data(t)["id"].(string)
		evA := e.do("POST", "/v1/webhooks/"+hookA+"/test", keyA, nil).data(t)["id"].(string)

		for _, c := range []struct {
			method, path string
			body         any
		}{
			{"GET", "/v1/brands/" + brandA, nil},
			{"PATCH", "/v1/brands/" + brandA, map[string]any{"name": "stolen"}},
			{"DELETE", "/v1/brands/" + brandA, nil},
			{"GET", "/v1/accounts/" + acctA, nil},
			{"PATCH", "/v1/accounts/" + acctA, map[string]any{"access_token": "stolen"}},
			{"DELETE", "/v1/accounts/" + acctA, nil},
			{"DELETE", "/v1/api-keys/" + keyIDA, nil},
			{"GET", "/v1/inbox/conversations/" + conv, nil},
			{"GET", "/v1/inbox/conversations/" + conv + "/messages", nil},
			{"POST", "/v1/inbox/conversations/" + conv + "/messages", map[string]any{"text": "hi"}},
			{"POST", "/v1/inbox/conversations/" + conv + "/read", nil},
			{"GET", "/v1/inbox/conversations?account_id=" + acctA, nil},
			{"GET", "/v1/accounts/" + acctA + "/usage", nil},
			{"GET", "/v1/accounts/" + acctA + "/templates", nil},
			{"GET", "/v1/webhooks/" + hookA, nil},
			{"PATCH", "/v1/webhooks/" + hookA, map[string]any{"url": "https://evil.example.com"}},
			{"DELETE", "/v1/webhooks/" + hookA, nil},
			{"POST", "/v1/webhooks/" + hookA + "/test", nil},
			{"POST", "/v1/webhooks/" + hookA + "/rotate-secret", nil},
			{"GET", "/v1/webhooks/" + hookA + "/attempts", nil},
			{"GET", "/v1/events/" + evA, nil},
			{"GET", "/v1/events/" + evA + "/attempts", nil},
			{"POST", "/v1/events/" + evA + "/replay", nil},
		} {
			r := e.do(c.method, c.path, keyB, c.body)
			if r.status != 404 {
				t.Errorf("B: %s %s = %d %s, want 404", c.method, c.path, r.status, r.raw)
			}
		}
		// B's lists never show A's records.
		for _, p := range []string{"/v1/brands", "/v1/accounts", "/v1/api-keys", "/v1/inbox/conversations", "/v1/webhooks", "/v1/events"} {
			r := e.do("GET", p, keyB, nil)
			expect(t, r, 200, "")
			for _, item := range r.body["data"].([]any) {
				if strings.Contains(string(r.raw), brandA) || strings.Contains(string(r.raw), acctA) || strings.Contains(string(r.raw), keyIDA) ||
					strings.Contains(string(r.raw), hookA) || strings.Contains(string(r.raw), evA) {
					t.Errorf("B's %s lists A's record: %v", p, item)
				}
			}
		}
		// And A's records are untouched.
		expect(t, e.do("GET", "/v1/brands/"+brandA, keyA, nil), 200, "")
		expect(t, e.do("GET", "/v1/accounts/"+acctA, keyA, nil), 200, "")
		if got := e.do("GET", "/v1/brands/"+brandA, keyA, nil).data(t)["name"]; got != "Acme" {
			t.Errorf("A's brand renamed to %v", got)
		}
	})
}

func TestAccountTokenIsSealed(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		key := e.org("A")
		_, acct, _ := e.seedA(key)
		r := e.do("GET", "/v1/accounts/"+acct, key, nil)
		if strings.Contains(string(r.raw), "IGQVJ-secret-token") || strings.Contains(string(r.raw), "access_token") {
			t.Fatalf("token leaked in API response: %s", r.raw)
		}
		var sealed []byte
		q := e.srv.Store.Rebind(`SELECT credentials FROM accounts WHERE id = ?`)
		if err := e.srv.Store.SQL().QueryRow(q, acct).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(sealed, []byte("IGQVJ-secret-token")) {
			t.Fatal("token stored in clear")
		}
		pt, err := e.srv.Keys.Open(sealed, []byte(acct))
		if err != nil || string(pt) != "IGQVJ-secret-token" {
			t.Fatalf("open sealed token: %q, %v", pt, err)
		}
		// Copied onto another account row, the ciphertext does not open.
		if _, err := e.srv.Keys.Open(sealed, []byte("acct_other")); err == nil {
			t.Fatal("ciphertext opened under another row id")
		}
	})
}

func TestErrorsAndValidation(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		key := e.org("A")
		brand, _, keyID := e.seedA(key)
		big := `{"name":"` + strings.Repeat("x", 2<<20) + `"}`
		cases := []struct {
			name, method, path, key string
			body                    any
			status                  int
			code, field             string
		}{
			{"no key", "GET", "/v1/brands", "", nil, 401, "auth.missing_key", ""},
			{"bad key", "GET", "/v1/brands", "sapi_key_nope", nil, 401, "auth.invalid_key", ""},
			{"basic auth", "GET", "/v1/brands", "", nil, 401, "auth.missing_key", ""},
			{"malformed json", "POST", "/v1/brands", key, `{"name":`, 400, "validation.malformed_json", ""},
			{"empty body", "POST", "/v1/brands", key, "", 400, "validation.malformed_json", ""},
			{"two values", "POST", "/v1/brands", key, `{"name":"a"}{"name":"b"}`, 400, "validation.malformed_json", ""},
			{"unknown field", "POST", "/v1/brands", key, map[string]any{"name": "a", "colour": "red"}, 422, "validation.unknown_field", "colour"},
			{"wrong type", "POST", "/v1/brands", key, map[string]any{"name": 7}, 422, "validation.invalid_field", "name"},
			{"missing name", "POST", "/v1/brands", key, map[string]any{}, 422, "validation.required", "name"},
			{"too large", "POST", "/v1/brands", key, big, 413, "validation.body_too_large", ""},
			{"bad limit", "GET", "/v1/brands?limit=0", key, nil, 400, "validation.invalid_limit", "limit"},
			{"limit over max", "GET", "/v1/brands?limit=101", key, nil, 400, "validation.invalid_limit", "limit"},
			{"unknown platform", "POST", "/v1/accounts", key, map[string]any{"brand_id": brand, "platform": "myspace", "native_id": "1", "access_token": "t"}, 422, "validation.invalid_field", "platform"},
			{"no dm api", "POST", "/v1/accounts", key, map[string]any{"brand_id": brand, "platform": "tiktok", "native_id": "1", "access_token": "t"}, 501, "resource.not_supported", ""},
			{"foreign brand", "POST", "/v1/accounts", key, map[string]any{"brand_id": "brand_x", "platform": "x", "native_id": "1", "access_token": "t"}, 422, "validation.invalid_field", "brand_id"},
			{"missing token", "POST", "/v1/accounts", key, map[string]any{"brand_id": brand, "platform": "x", "native_id": "1"}, 422, "validation.required", "access_token"},
			{"bad variant", "POST", "/v1/accounts", key, map[string]any{"brand_id": brand, "platform": "x", "native_id": "1", "access_token": "t", "variant": "facebook_login"}, 422, "validation.invalid_field", "variant"},
			{"duplicate account", "POST", "/v1/accounts", key, map[string]any{"brand_id": brand, "platform": "instagram", "native_id": "17841400000000001", "access_token": "IGQVJ-secret-token"}, 409, "resource.conflict", ""},
			{"unverifiable token", "POST", "/v1/accounts", key, map[string]any{"brand_id": brand, "platform": "x", "native_id": "1", "access_token": "t"}, 422, "account.token_invalid", "access_token"},
			{"brand in use", "DELETE", "/v1/brands/" + brand, key, nil, 409, "resource.in_use", ""},
			{"garbage conversation id", "GET", "/v1/inbox/conversations/sapi_dm_!!", key, nil, 404, "resource.not_found", ""},
			{"bad cursor", "GET", "/v1/inbox/conversations?cursor=zzz", key, nil, 400, "validation.invalid_cursor", "cursor"},
			{"bad unread", "GET", "/v1/inbox/conversations?unread=maybe", key, nil, 422, "validation.invalid_field", "unread"},
			{"send nothing", "POST", "/v1/inbox/conversations/" + convid.Encode("acct_x", "t") + "/messages", key, map[string]any{}, 422, "validation.required", "text"},
			{"bad attachment url", "POST", "/v1/inbox/conversations/" + convid.Encode("acct_x", "t") + "/messages", key,
				map[string]any{"attachment": map[string]any{"type": "image", "url": "ftp://x"}}, 422, "validation.invalid_field", "attachment.url"},
			{"unknown route", "GET", "/v1/nope", key, nil, 404, "resource.route_not_found", ""},
			{"wrong method", "PUT", "/v1/brands", key, nil, 405, "resource.method_not_allowed", ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				var hdr []string
				if c.name == "basic auth" {
					hdr = []string{"Authorization", "Basic dXNlcjpwYXNz"}
				}
				r := e.do(c.method, c.path, c.key, c.body, hdr...)
				expect(t, r, c.status, c.code)
				if c.field != "" {
					meta, _ := r.body["error"].(map[string]any)["meta"].(map[string]any)
					if meta["field"] != c.field {
						t.Fatalf("meta.field = %v, want %q: %s", meta["field"], c.field, r.raw)
					}
				}
			})
		}
		// Nothing the bad requests sent was written.
		r := e.do("GET", "/v1/brands", key, nil)
		if n := len(r.body["data"].([]any)); n != 1 {
			t.Fatalf("%d brands after bad requests, want 1: %s", n, r.raw)
		}
		// A revoked key stops working at once.
		sk := e.do("POST", "/v1/api-keys", key, map[string]any{"name": "temp"})
		secret := sk.data(t)["key"].(string)
		expect(t, e.do("GET", "/v1/brands", secret, nil), 200, "")
		expect(t, e.do("DELETE", "/v1/api-keys/"+sk.data(t)["id"].(string), key, nil), 204, "")
		expect(t, e.do("GET", "/v1/brands", secret, nil), 401, "auth.invalid_key")
		// Listing keys never shows a secret.
		if l := e.do("GET", "/v1/api-keys", key, nil); strings.Contains(string(l.raw), "sapi_key_") {
			t.Fatalf("key list shows a secret: %s", l.raw)
		}
		_ = keyID
	})
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	e := newBareEnv(t, storetest.Backend{Name: "sqlite", DataDir: t.TempDir()})
	r := e.do("GET", "/v1/brands", "", nil, "X-Request-ID", "client-abc_123")
	if r.header.Get("X-Request-ID") != "client-abc_123" || r.body["request_id"] != "client-abc_123" {
		t.Fatalf("caller's request id not kept: %v %s", r.header, r.raw)
	}
	r = e.do("GET", "/v1/brands", "", nil, "X-Request-ID", "bad id with spaces")
	if got := r.header.Get("X-Request-ID"); got == "bad id with spaces" || !strings.HasPrefix(got, "req_") {
		t.Fatalf("unacceptable request id kept: %q", got)
	}
}

func TestPagination(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		e := newBareEnv(t, b)
		key := e.org("A")
		for i := 0; i < 5; i++ {
			expect(t, e.do("POST", "/v1/brands", key, map[string]any{"name": "b"}), 201, "")
		}
		var ids []string
		path := "/v1/brands?limit=2"
		for i := 0; i < 5; i++ {
			r := e.do("GET", path, key, nil)
			expect(t, r, 200, "")
			p := r.body["pagination"].(map[string]any)
			if p["limit"] != float64(2) {
				t.Fatalf("pagination.limit = %v", p["limit"])
			}
			for _, d := range r.body["data"].([]any) {
				ids = append(ids, d.(map[string]any)["id"].(string))
			}
			if p["has_more"] != true {
				if p["next_cursor"] != nil {
					t.Fatalf("last page has a cursor: %v", p)
				}
				break
			}
			path = "/v1/brands?limit=2&cursor=" + p["next_cursor"].(string)
		}
		if len(ids) != 5 {
			t.Fatalf("paged %d brands, want 5", len(ids))
		}
	})
}

func TestInboxWithoutAdapters(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		e := newBareEnv(t, b)
		key := e.org("A")
		brand := e.do("POST", "/v1/brands", key, map[string]any{"name": "Acme"}).data(t)["id"].(string)
		// With no platform to verify a token, no account can be connected
		// through the API …
		r := e.do("POST", "/v1/accounts", key, map[string]any{"brand_id": brand, "platform": "instagram",
			"native_id": "17841400000000001", "access_token": "IGQVJ-secret-token"})
		expect(t, r, 503, "account.platform_unavailable")
		// … so one is written straight to the store.
		acct := e.insertAccount(key, brand, "instagram", "17841400000000001")
		conv := convid.Encode(acct, "t_1")
		r = e.do("GET", "/v1/inbox/conversations/"+conv, key, nil)
		expect(t, r, 503, "account.platform_unavailable")
		// The list still answers, and says which account could not be read.
		r = e.do("GET", "/v1/inbox/conversations", key, nil)
		expect(t, r, 200, "")
		meta, _ := r.body["meta"].(map[string]any)
		fails, _ := meta["failures"].([]any)
		if meta["partial"] != true || len(fails) != 1 || fails[0].(map[string]any)["account_id"] != acct {
			t.Fatalf("partial failure not reported: %s", r.raw)
		}
	})
}

func TestOperationalEndpoints(t *testing.T) {
	t.Parallel()
	e := newBareEnv(t, storetest.Backend{Name: "sqlite", DataDir: t.TempDir()})
	expect(t, e.do("GET", "/healthz", "", nil), 200, "")
	expect(t, e.do("GET", "/readyz", "", nil), 200, "")
	e.do("GET", "/v1/brands", "", nil)
	m := e.do("GET", "/metrics", "", nil)
	if !strings.Contains(string(m.raw), `parley_http_requests_total{method="GET",route="/v1/brands",status="401"}`) {
		t.Fatalf("metrics miss the request counter:\n%s", m.raw)
	}
	e.srv.Store.Close()
	expect(t, e.do("GET", "/readyz", "", nil), 503, "system.not_ready")
}
