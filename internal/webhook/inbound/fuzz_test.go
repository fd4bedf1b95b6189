package inbound

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// Seeds live in testdata/fuzz/FuzzXxx/; `go test` replays them, and
// `go test -fuzz FuzzXxx` explores from them. Each header fuzzer checks the
// parser never panics, only yields 32-byte MACs, and that Verify accepts
// nothing but the real signature.

func FuzzVerifyMeta(f *testing.F) {
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		sig, err := ParseMetaSignature(header)
		if err == nil && len(sig) != 32 {
			t.Fatalf("ParseMetaSignature(%q) = %d bytes", header, len(sig))
		}
		if VerifyMeta(metaSecret, header, body) == nil && !bytes.Equal(sig, mac(metaSecret, body)) {
			t.Fatalf("accepted forged %q", header)
		}
		if err := VerifyMeta(metaSecret, SignMeta(metaSecret, body), body); err != nil {
			t.Fatalf("own signature rejected: %v", err)
		}
	})
}

func FuzzVerifyX(f *testing.F) {
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		sig, err := ParseXSignature(header)
		if err == nil && len(sig) != 32 {
			t.Fatalf("ParseXSignature(%q) = %d bytes", header, len(sig))
		}
		if VerifyX(xSecret, header, body) == nil && !bytes.Equal(sig, mac(xSecret, body)) {
			t.Fatalf("accepted forged %q", header)
		}
		if err := VerifyX(xSecret, SignX(xSecret, body), body); err != nil {
			t.Fatalf("own signature rejected: %v", err)
		}
	})
}

func FuzzVerifyLinkedIn(f *testing.F) {
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		sig, err := ParseLinkedInSignature(header)
		if err == nil && len(sig) != 32 {
			t.Fatalf("ParseLinkedInSignature(%q) = %d bytes", header, len(sig))
		}
		if VerifyLinkedIn(liSecret, header, body) == nil && !bytes.Equal(sig, mac(liSecret, []byte(linkedInSigPrefix), body)) {
			t.Fatalf("accepted forged %q", header)
		}
		if err := VerifyLinkedIn(liSecret, SignLinkedIn(liSecret, body), body); err != nil {
			t.Fatalf("own signature rejected: %v", err)
		}
	})
}

// FuzzHandshakes drives the three GET handshakes with arbitrary query
// strings: whatever is answered passes its validator and verifies as the
// platform would check it, and no answer is ever a valid signature of a
// body the receivers would turn into an event.
func FuzzHandshakes(f *testing.F) {
	f.Fuzz(func(t *testing.T, rawQuery string) {
		q, _ := url.ParseQuery(rawQuery)
		if c, err := MetaChallenge(q, "vt"); err == nil {
			if c != q.Get("hub.challenge") || ValidMetaChallenge(c) != nil || q.Get("hub.verify_token") != "vt" {
				t.Fatalf("MetaChallenge(%q) = %q", rawQuery, c)
			}
		}
		if body, err := XCRC(q, xSecret); err == nil {
			token := q.Get("crc_token")
			if err := VerifyXCRCResponse(xSecret, token, body); err != nil {
				t.Fatalf("XCRC(%q) answer rejected: %v", rawQuery, err)
			}
			if json.Valid([]byte(token)) && strings.HasPrefix(token, "{") {
				t.Fatalf("XCRC signed a JSON object: %q", token)
			}
		}
		if body, err := LinkedInChallenge(q, liSecret); err == nil {
			code := q.Get("challengeCode")
			if err := VerifyLinkedInChallengeResponse(liSecret, code, body); err != nil {
				t.Fatalf("LinkedInChallenge(%q) answer rejected: %v", rawQuery, err)
			}
			var got linkedInChallengeBody
			_ = json.Unmarshal(body, &got)
			if VerifyLinkedIn(liSecret, got.ChallengeResponse, []byte(strings.TrimPrefix(code, linkedInSigPrefix))) == nil {
				t.Fatalf("challenge answer for %q is a push signature", code)
			}
		}
	})
}

// FuzzChallengeValidators checks the three token validators on arbitrary
// strings: an accepted token is bounded, made only of the allowed bytes and
// never a JSON object or array; and each answer matches its documented error.
func FuzzChallengeValidators(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		for name, valid := range map[string]func(string) error{
			"meta": ValidMetaChallenge, "x": ValidXCRCToken, "linkedin": ValidLinkedInChallengeCode,
		} {
			err := valid(s)
			switch {
			case s == "":
				if !errors.Is(err, ErrChallengeMissing) {
					t.Fatalf("%s(%q) = %v, want missing", name, s, err)
				}
			case len(s) > MaxChallenge && !errors.Is(err, ErrChallengeTooLong) && !errors.Is(err, ErrChallengeMalformed):
				t.Fatalf("%s(%q) = %v, want too long or malformed", name, s, err)
			case errors.Is(err, ErrChallengeTooLong):
				if len(s) <= MaxChallenge {
					t.Fatalf("%s(%q): too long at %d bytes", name, s, len(s))
				}
				for i := 0; i < len(s); i++ {
					if !opaqueByte(s[i]) {
						t.Fatalf("%s(%q): too long reported before byte %#x", name, s, s[i])
					}
				}
			case err == nil:
				for i := 0; i < len(s); i++ {
					if !opaqueByte(s[i]) {
						t.Fatalf("%s accepted byte %#x in %q", name, s[i], s)
					}
				}
				var v any
				if json.Unmarshal([]byte(s), &v) == nil {
					switch v.(type) {
					case map[string]any, []any, string:
						t.Fatalf("%s accepted JSON %q", name, s)
					}
				}
				if strings.HasPrefix(s, linkedInSigPrefix+"{") {
					t.Fatalf("%s accepted a LinkedIn signed message %q", name, s)
				}
				if name == "linkedin" && len(s) != linkedInCodeLen {
					t.Fatalf("linkedin accepted %q, not a UUID", s)
				}
			case !errors.Is(err, ErrChallengeMalformed):
				t.Fatalf("%s(%q) = %v", name, s, err)
			}
		}
	})
}

// FuzzHandshakeResponses feeds arbitrary answers to the emulator-side checks.
func FuzzHandshakeResponses(f *testing.F) {
	f.Fuzz(func(t *testing.T, token string, body []byte) {
		if VerifyXCRCResponse(xSecret, token, body) == nil {
			var got xCRCBody
			_ = json.Unmarshal(body, &got)
			if got.ResponseToken != XCRCResponseToken(xSecret, token) {
				t.Fatalf("accepted forged CRC answer %q", body)
			}
		}
		if VerifyLinkedInChallengeResponse(liSecret, token, body) == nil {
			var got linkedInChallengeBody
			_ = json.Unmarshal(body, &got)
			if !bytes.EqualFold([]byte(got.ChallengeResponse), []byte(LinkedInChallengeResponse(liSecret, token))) {
				t.Fatalf("accepted forged challenge answer %q", body)
			}
		}
	})
}

func FuzzMetaEscapeUnicode(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		out := MetaEscapeUnicode(body)
		for i, c := range out {
			if c >= utf8.RuneSelf && utf8.Valid(body) {
				t.Fatalf("non-ASCII byte %#x at %d in escaped %q", c, i, out)
			}
		}
		if !json.Valid(body) {
			return
		}
		var a, b any
		if err := json.Unmarshal(out, &b); err != nil {
			t.Fatalf("escaped JSON invalid: %v (%q)", err, out)
		}
		_ = json.Unmarshal(body, &a)
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if utf8.Valid(body) && !bytes.Equal(ja, jb) {
			t.Fatalf("meaning changed: %s vs %s", ja, jb)
		}
	})
}
