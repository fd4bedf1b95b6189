package api_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/convid"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestUnauthorizedNamesBearer: every 401 from /v1 (and /mcp) carries the
// RFC 6750 §3 challenge, so a client library knows which credentials to
// send: just the scheme and realm when none were sent, error="invalid_token"
// when the key is wrong. Other answers carry none.
func TestUnauthorizedNamesBearer(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		key := e.org("A")
		sk := e.do("POST", "/v1/api-keys", key, map[string]any{"name": "temp"})
		revoked := sk.data(t)["key"].(string)
		expect(t, e.do("DELETE", "/v1/api-keys/"+sk.data(t)["id"].(string), key, nil), 204, "")

		const (
			bare    = `Bearer realm="parley"`
			invalid = `Bearer realm="parley", error="invalid_token", error_description="the API key is not valid or has been revoked"`
		)
		conv := convid.Encode("acct_x", "t")
		routes := []struct{ method, path string }{
			{"GET", "/v1/brands"},
			{"POST", "/v1/inbox/conversations/" + conv + "/messages"},
			{"DELETE", "/v1/api-keys/key_x"},
			{"GET", "/v1/events"},
		}
		creds := []struct {
			name, authorization, code, challenge string
		}{
			{"no Authorization", "", "auth.missing_key", bare},
			{"Basic scheme", "Basic dXNlcjpwYXNz", "auth.missing_key", bare},
			{"unknown key", "Bearer sapi_key_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "auth.invalid_key", invalid},
			{"not a key", "Bearer hunter2", "auth.invalid_key", invalid},
			{"revoked key", "Bearer " + revoked, "auth.invalid_key", invalid},
		}
		for _, rt := range routes {
			for _, c := range creds {
				t.Run(rt.method+" "+rt.path+"/"+c.name, func(t *testing.T) {
					var hdr []string
					if c.authorization != "" {
						hdr = []string{"Authorization", c.authorization}
					}
					r := e.do(rt.method, rt.path, "", `{"text":"hi"}`, hdr...)
					expect(t, r, 401, c.code)
					if got := r.header.Values("WWW-Authenticate"); len(got) != 1 || got[0] != c.challenge {
						t.Fatalf("WWW-Authenticate = %q, want %q", got, c.challenge)
					}
				})
			}
		}
		// /mcp answers the same challenges, and points to its resource
		// metadata, where hosted agent clients start signing in (RFC 9728 §5.1).
		for _, c := range creds {
			var hdr []string
			if c.authorization != "" {
				hdr = []string{"Authorization", c.authorization}
			}
			r := e.do("POST", "/mcp", "", `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, hdr...)
			want := c.challenge + `, resource_metadata="` + e.url + `/.well-known/oauth-protected-resource/mcp", scope="dm:read dm:write"`
			if r.status != 401 || r.header.Get("WWW-Authenticate") != want {
				t.Errorf("/mcp %s: %d %q", c.name, r.status, r.header.Get("WWW-Authenticate"))
			}
		}
		// The contract says so.
		doc := e.do("GET", "/openapi.json", "", nil)
		var spec struct {
			Paths map[string]map[string]struct {
				Responses map[string]struct {
					Headers map[string]any `json:"headers"`
				} `json:"responses"`
			} `json:"paths"`
		}
		if err := json.Unmarshal(doc.raw, &spec); err != nil {
			t.Fatal(err)
		}
		if spec.Paths["/v1/brands"]["get"].Responses["401"].Headers["WWW-Authenticate"] == nil {
			t.Errorf("/openapi.json does not document WWW-Authenticate on 401")
		}
		// Answers that are not 401 name no challenge: a success, a 404 and a
		// validation error with a good key, and a public route.
		for _, r := range []response{
			e.do("GET", "/v1/brands", key, nil),
			e.do("GET", "/v1/inbox/conversations/"+conv, key, nil),
			e.do("GET", "/v1/brands?limit=0", key, nil),
			e.do("GET", "/healthz", "", nil),
		} {
			if got := r.header.Get("WWW-Authenticate"); got != "" || r.status == 401 {
				t.Errorf("%d answer with WWW-Authenticate %q: %s", r.status, got, strings.TrimSpace(string(r.raw)))
			}
		}
	})
}
