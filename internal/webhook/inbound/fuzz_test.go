package inbound

import (
	"bytes"
	"encoding/json"
	"net/url"
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
		if VerifyLinkedIn(liSecret, header, body) == nil &&
			!bytes.Equal(sig, mac(liSecret, []byte(linkedInSigPrefix), body)) && !bytes.Equal(sig, mac(liSecret, body)) {
			t.Fatalf("accepted forged %q", header)
		}
		if err := VerifyLinkedIn(liSecret, SignLinkedIn(liSecret, body), body); err != nil {
			t.Fatalf("own signature rejected: %v", err)
		}
	})
}

// FuzzHandshakes drives the three GET handshakes with arbitrary query strings.
func FuzzHandshakes(f *testing.F) {
	f.Fuzz(func(t *testing.T, rawQuery string) {
		q, _ := url.ParseQuery(rawQuery)
		if c, ok := MetaChallenge(q, "vt"); ok {
			if c != q.Get("hub.challenge") || !validToken(c) || q.Get("hub.verify_token") != "vt" {
				t.Fatalf("MetaChallenge(%q) = %q", rawQuery, c)
			}
		}
		if body, ok := XCRC(q, xSecret); ok {
			if err := VerifyXCRCResponse(xSecret, q.Get("crc_token"), body); err != nil {
				t.Fatalf("XCRC(%q) answer rejected: %v", rawQuery, err)
			}
		}
		if body, ok := LinkedInChallenge(q, liSecret); ok {
			if err := VerifyLinkedInChallengeResponse(liSecret, q.Get("challengeCode"), body); err != nil {
				t.Fatalf("LinkedInChallenge(%q) answer rejected: %v", rawQuery, err)
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
