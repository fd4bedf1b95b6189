package mcpauth

import (
	"net"
	"net/url"
	"strings"
	"testing"
)

// FuzzCheckRedirectURI: a registered redirect URI is always https, or http
// on loopback, absolute, without fragment or user info, and bounded.
func FuzzCheckRedirectURI(f *testing.F) {
	for _, s := range []string{"https://agent.example/cb", "http://127.0.0.1:8976/callback", "http://localhost/cb", "http://[::1]:3000/x",
		"http://evil.test/cb", "javascript:alert(1)", "https://a.test/cb#frag", "https://user@a.test/cb", "/relative", "http://127.0.0.1.evil.test/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if checkRedirectURI(raw) != nil {
			return
		}
		u, err := url.Parse(raw)
		if err != nil || u.Fragment != "" || u.User != nil || u.Host == "" || len(raw) > maxRedirectURIBytes {
			t.Fatalf("accepted %q", raw)
		}
		h := u.Hostname()
		if u.Scheme != "https" && !(u.Scheme == "http" && (h == "localhost" || net.ParseIP(h).IsLoopback())) {
			t.Fatalf("accepted %q with scheme %q host %q", raw, u.Scheme, h)
		}
	})
}

// FuzzPKCE: only a verifier of RFC 7636's alphabet and length whose S256
// is the challenge matches.
func FuzzPKCE(f *testing.F) {
	f.Add("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
	f.Add("short", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
	f.Add(strings.Repeat("a", 129), "")
	f.Fuzz(func(t *testing.T, verifier, challenge string) {
		if !pkceMatches(verifier, challenge) {
			return
		}
		if len(verifier) < 43 || len(verifier) > 128 || len(challenge) != 43 {
			t.Fatalf("matched %q / %q", verifier, challenge)
		}
	})
}
