package connect

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

const srSecret = "app-secret"

var srNow = time.Unix(1800000000, 0)

func sign(secret, payload string) string {
	p := base64.RawURLEncoding.EncodeToString([]byte(payload))
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(p))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)) + "." + p
}

func TestParseSignedRequest(t *testing.T) {
	good := `{"algorithm":"HMAC-SHA256","issued_at":1800000000,"user_id":"100077"}`
	for _, c := range []struct {
		name, raw string
		ok        bool
	}{
		{"valid", sign(srSecret, good), true},
		{"padded parts", strings.Replace(sign(srSecret, good), ".", "=.", 1), true},
		{"other secret", sign("other", good), false},
		{"payload swapped", strings.Split(sign(srSecret, good), ".")[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(good, "100077", "100078", 1))), false},
		{"no algorithm", sign(srSecret, `{"issued_at":1800000000,"user_id":"1"}`), false},
		{"other algorithm", sign(srSecret, `{"algorithm":"none","issued_at":1800000000,"user_id":"1"}`), false},
		{"stale", sign(srSecret, `{"algorithm":"HMAC-SHA256","issued_at":1799990000,"user_id":"1"}`), false},
		{"from the future", sign(srSecret, `{"algorithm":"HMAC-SHA256","issued_at":1800001000,"user_id":"1"}`), false},
		{"no user", sign(srSecret, `{"algorithm":"HMAC-SHA256","issued_at":1800000000}`), false},
		{"three parts", sign(srSecret, good) + ".x", false},
		{"empty", "", false},
	} {
		sr, err := parseSignedRequest(c.raw, srSecret, srNow)
		if (err == nil) != c.ok {
			t.Errorf("%s: %v %+v", c.name, err, sr)
		}
	}
	if _, err := parseSignedRequest(sign("", good), "", srNow); err == nil {
		t.Error("an empty app secret verified a request")
	}
}

// FuzzParseSignedRequest: whatever arrives, the parser does not panic, and
// it accepts only a request whose signature is the HMAC of its payload
// under the app secret.
func FuzzParseSignedRequest(f *testing.F) {
	f.Add(sign(srSecret, `{"algorithm":"HMAC-SHA256","issued_at":1800000000,"user_id":"100077"}`))
	f.Add("a.b")
	f.Add(".")
	f.Fuzz(func(t *testing.T, raw string) {
		sr, err := parseSignedRequest(raw, srSecret, srNow)
		if err != nil {
			return
		}
		sig, payload, _ := strings.Cut(raw, ".")
		got, _ := decodeB64URL(sig)
		m := hmac.New(sha256.New, []byte(srSecret))
		m.Write([]byte(payload))
		if !hmac.Equal(got, m.Sum(nil)) || sr.UserID == "" {
			t.Fatalf("accepted %q", raw)
		}
	})
}
