package stdwebhook

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// Seeds live in testdata/fuzz/FuzzXxx/; `go test` replays them, and
// `go test -fuzz FuzzXxx` explores from them.

func FuzzParseSignatureHeader(f *testing.F) {
	f.Fuzz(func(t *testing.T, header string) {
		for _, s := range ParseSignatureHeader([]string{header}) {
			// Every entry came from a space-free, comma-split token.
			if strings.ContainsAny(s.Version, " ,") || strings.ContainsAny(s.Value, " \t\n") {
				t.Fatalf("bad entry %+v from %q", s, header)
			}
		}
	})
}

func FuzzParseTimestamp(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		ts, err := ParseTimestamp(s)
		if err != nil {
			return
		}
		if ts.Unix() < 0 {
			t.Fatalf("negative timestamp %v from %q", ts, s)
		}
		// What parses must be canonical digits (leading zeros aside).
		if strings.TrimLeft(s, "0") != strings.TrimLeft(formatUnix(ts), "0") {
			t.Fatalf("ParseTimestamp(%q) = %d", s, ts.Unix())
		}
	})
}

func FuzzParseSecret(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		key, err := ParseSecret(s)
		if err != nil {
			return
		}
		if len(key) < MinSecretBytes || len(key) > MaxSecretBytes {
			t.Fatalf("ParseSecret(%q) accepted %d bytes", s, len(key))
		}
		// A parsed secret re-serialises to something that parses to the same key.
		again, err := ParseSecret(FormatSecret(key))
		if err != nil || string(again) != string(key) {
			t.Fatalf("round trip of %q failed: %v", s, err)
		}
	})
}

// FuzzVerify feeds arbitrary header values to Verify (it must never panic nor
// accept a forgery) and checks that what Sign produces always verifies.
func FuzzVerify(f *testing.F) {
	key := []byte("0123456789abcdef0123456789abcdef")
	now := time.Unix(1_700_000_000, 0)
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte) {
		h := http.Header{}
		h.Set(HeaderID, id)
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderSignature, sig)
		err := Verify(key, h, body, now, time.Hour)
		if err == nil {
			// Accepting is only possible if sig contains the real signature.
			if !strings.Contains(sig, Sign([][]byte{key}, id, mustTS(t, ts), body)) {
				t.Fatalf("accepted forged header %q", sig)
			}
		}
		if id == "" {
			return
		}
		good := Headers([][]byte{key}, id, now, body)
		if err := Verify(key, good, body, now, time.Hour); err != nil {
			t.Fatalf("own signature rejected: %v", err)
		}
	})
}

func mustTS(t *testing.T, s string) time.Time {
	t.Helper()
	ts, err := ParseTimestamp(s)
	if err != nil {
		t.Fatalf("accepted unparsable timestamp %q", s)
	}
	return ts
}

func formatUnix(ts time.Time) string {
	return Headers(nil, "x", ts, nil).Get(HeaderTimestamp)
}
