package stdwebhook

import (
	"bytes"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The Standard Webhooks published test vector, from the reference Go
// library's TestWebhookSign:
// https://github.com/standard-webhooks/standard-webhooks/blob/main/libraries/go/webhook_test.go
// (the JavaScript library's webhook.test.ts uses the same values).
const (
	vectorSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorMsgID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTimestamp = 1614265330
	vectorPayload   = `{"test": 2432232314}`
	vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func mustParseSecret(t *testing.T, s string) []byte {
	t.Helper()
	key, err := ParseSecret(s)
	if err != nil {
		t.Fatalf("ParseSecret(%q): %v", s, err)
	}
	return key
}

func TestSignGoldenVector(t *testing.T) {
	t.Parallel()
	key := mustParseSecret(t, vectorSecret)
	ts := time.Unix(vectorTimestamp, 0)
	got := Sign([][]byte{key}, vectorMsgID, ts, []byte(vectorPayload))
	if got != vectorSignature {
		t.Fatalf("Sign = %q, want %q", got, vectorSignature)
	}
	h := Headers([][]byte{key}, vectorMsgID, ts, []byte(vectorPayload))
	if h.Get(HeaderID) != vectorMsgID || h.Get(HeaderTimestamp) != "1614265330" || h.Get(HeaderSignature) != vectorSignature {
		t.Fatalf("Headers = %v", h)
	}
	// Sub-second precision must not leak into the signed content.
	if got := Sign([][]byte{key}, vectorMsgID, ts.Add(999*time.Millisecond), []byte(vectorPayload)); got != vectorSignature {
		t.Fatalf("Sign with fractional seconds = %q", got)
	}
	if err := Verify(key, h, []byte(vectorPayload), ts, 0); err != nil {
		t.Fatalf("Verify(golden) = %v", err)
	}
}

func TestNewSecret(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 20 {
		s, err := NewSecret()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(s, SecretPrefix) {
			t.Fatalf("NewSecret() = %q, missing prefix", s)
		}
		key := mustParseSecret(t, s)
		if len(key) != DefaultSecretBytes {
			t.Fatalf("key length %d", len(key))
		}
		if seen[s] {
			t.Fatalf("NewSecret repeated %q", s)
		}
		seen[s] = true
	}
}

func TestParseSecret(t *testing.T) {
	t.Parallel()
	b64 := func(n int) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, n)) }
	tests := []struct {
		name    string
		in      string
		wantLen int // 0: want error
	}{
		{"vector", vectorSecret, 24},
		{"no prefix accepted like the reference libraries", strings.TrimPrefix(vectorSecret, SecretPrefix), 24},
		{"surrounding space trimmed", " " + vectorSecret + "\n", 24},
		{"min", SecretPrefix + b64(24), 24},
		{"max", SecretPrefix + b64(64), 64},
		{"too short", SecretPrefix + b64(23), 0},
		{"too long", SecretPrefix + b64(65), 0},
		{"empty", "", 0},
		{"prefix only", SecretPrefix, 0},
		{"not base64", SecretPrefix + "not*base64!not*base64!not*base64!", 0},
		{"url alphabet rejected", SecretPrefix + strings.NewReplacer("+", "-", "/", "_").Replace(b64(30)+"+/"), 0},
		{"unpadded rejected", SecretPrefix + strings.TrimRight(b64(25), "="), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := ParseSecret(tt.in)
			if tt.wantLen == 0 {
				if !errors.Is(err, ErrInvalidSecret) {
					t.Fatalf("ParseSecret(%q) = %d bytes, %v; want ErrInvalidSecret", tt.in, len(key), err)
				}
				return
			}
			if err != nil || len(key) != tt.wantLen {
				t.Fatalf("ParseSecret(%q) = %d bytes, %v; want %d", tt.in, len(key), err, tt.wantLen)
			}
		})
	}
	if got := FormatSecret(mustParseSecret(t, vectorSecret)); got != vectorSecret {
		t.Fatalf("FormatSecret round trip = %q", got)
	}
}

func TestSignRotation(t *testing.T) {
	t.Parallel()
	oldKey := mustParseSecret(t, vectorSecret)
	newKey := bytes.Repeat([]byte{42}, 32)
	ts := time.Unix(vectorTimestamp, 0)
	body := []byte(vectorPayload)
	got := Sign([][]byte{newKey, oldKey}, vectorMsgID, ts, body)
	parts := strings.Split(got, " ")
	if len(parts) != 2 || parts[1] != vectorSignature || !strings.HasPrefix(parts[0], "v1,") {
		t.Fatalf("rotation header = %q", got)
	}
	h := Headers([][]byte{newKey, oldKey}, vectorMsgID, ts, body)
	for name, key := range map[string][]byte{"old": oldKey, "new": newKey} {
		if err := Verify(key, h, body, ts, 0); err != nil {
			t.Errorf("Verify with %s secret = %v", name, err)
		}
	}
	if err := Verify(bytes.Repeat([]byte{1}, 32), h, body, ts, 0); !errors.Is(err, ErrNoMatchingSignature) {
		t.Errorf("Verify with unrelated secret = %v", err)
	}
	if got := Sign(nil, vectorMsgID, ts, body); got != "" {
		t.Errorf("Sign(no secrets) = %q", got)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	key := mustParseSecret(t, vectorSecret)
	now := time.Unix(1_700_000_000, 0)
	body := []byte(`{"type":"message.received","data":{"text":"héllo 👋"}}`)
	const id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"
	good := func(ts time.Time) http.Header { return Headers([][]byte{key}, id, ts, body) }
	tol := DefaultTolerance

	tests := []struct {
		name    string
		headers http.Header
		body    []byte
		secret  []byte
		tol     time.Duration
		want    error
	}{
		{name: "valid", headers: good(now)},
		{name: "valid at old edge", headers: good(now.Add(-tol))},
		{name: "valid at new edge", headers: good(now.Add(tol))},
		{name: "too old", headers: good(now.Add(-tol - time.Second)), want: ErrTimestampTooOld},
		{name: "too new", headers: good(now.Add(tol + time.Second)), want: ErrTimestampTooNew},
		{name: "custom tolerance", headers: good(now.Add(-time.Hour)), tol: 2 * time.Hour},
		{name: "zero tolerance means default", headers: good(now.Add(-10 * time.Minute)), tol: 0, want: ErrTimestampTooOld},
		{name: "tampered body", headers: good(now), body: []byte(`{"type":"message.received","data":{"text":"hello"}}`), want: ErrNoMatchingSignature},
		{name: "wrong secret", headers: good(now), secret: bytes.Repeat([]byte{9}, 32), want: ErrNoMatchingSignature},
		{name: "empty secret", headers: good(now), secret: []byte{}, want: ErrInvalidSecret},
		{name: "missing id", headers: without(good(now), HeaderID), want: ErrMissingHeaders},
		{name: "missing timestamp", headers: without(good(now), HeaderTimestamp), want: ErrMissingHeaders},
		{name: "missing signature", headers: without(good(now), HeaderSignature), want: ErrMissingHeaders},
		{name: "other id", headers: with(good(now), HeaderID, "msg_other"), want: ErrNoMatchingSignature},
		{name: "shifted timestamp", headers: with(good(now), HeaderTimestamp, strconv.FormatInt(now.Unix()+1, 10)), want: ErrNoMatchingSignature},
		{name: "timestamp not a number", headers: with(good(now), HeaderTimestamp, "17e8"), want: ErrInvalidTimestamp},
		{name: "timestamp signed", headers: with(good(now), HeaderTimestamp, "+"+strconv.FormatInt(now.Unix(), 10)), want: ErrInvalidTimestamp},
		{name: "timestamp ms", headers: with(good(now), HeaderTimestamp, strconv.FormatInt(now.UnixMilli(), 10)), want: ErrTimestampTooNew},
		{name: "invalid signature (reference test)", headers: with(good(now), HeaderSignature, "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="), want: ErrNoMatchingSignature},
		{
			// The reference libraries' "valid multi sig is valid" case.
			name: "multi sig with junk and other versions",
			headers: with(good(now), HeaderSignature, strings.Join([]string{
				"v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
				"v2," + strings.TrimPrefix(good(now).Get(HeaderSignature), "v1,"),
				"garbage",
				good(now).Get(HeaderSignature),
			}, " ")),
		},
		{name: "right value under another version", headers: with(good(now), HeaderSignature, "v1a,"+strings.TrimPrefix(good(now).Get(HeaderSignature), "v1,")), want: ErrNoMatchingSignature},
		{name: "several header lines", headers: func() http.Header {
			h := with(good(now), HeaderSignature, "v1,AAAA")
			h.Add(HeaderSignature, good(now).Get(HeaderSignature))
			return h
		}()},
		{name: "lower-case header keys", headers: http.Header{
			HeaderID:        {id},
			HeaderTimestamp: {strconv.FormatInt(now.Unix(), 10)},
			HeaderSignature: {good(now).Get(HeaderSignature)},
		}}, // the spec's spelling, in a hand-built map that bypasses canonicalisation
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := body
			if tt.body != nil {
				b = tt.body
			}
			s := key
			if tt.secret != nil {
				s = tt.secret
			}
			// A zero tt.tol exercises the DefaultTolerance fallback.
			err := Verify(s, tt.headers, b, now, tt.tol)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestParseSignatureHeader(t *testing.T) {
	t.Parallel()
	got := ParseSignatureHeader([]string{"v1,abc=  v1a,def==", "nocomma v2,x,y ", ""})
	want := []Signature{{"v1", "abc="}, {"v1a", "def=="}, {"v2", "x,y"}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("entry %d = %v, want %v", i, got[i], want[i])
		}
	}
}

func with(h http.Header, k, v string) http.Header {
	h = h.Clone()
	h.Set(k, v)
	return h
}

func without(h http.Header, k string) http.Header {
	h = h.Clone()
	h.Del(k)
	return h
}
