package convid

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct{ account, thread string }{
		{"acct_01900000000070008000000000000001", "t_10161234567890"},
		{"acct_x", "aWdfZAG06MTpJR01lc3NhZA2VUaHJlYWQ6"},
		{"acct_x", "1234-5678"},
		{"acct_x", "urn:li:messagingThread:2-abc=="},
		{"a", strings.Repeat("z", maxThreadLen)},
	} {
		id := Encode(tc.account, tc.thread)
		if !strings.HasPrefix(id, Prefix) || strings.ContainsAny(id, "+/=") {
			t.Fatalf("Encode = %q: not a url-safe sapi_dm_ id", id)
		}
		a, th, err := Decode(id)
		if err != nil || a != tc.account || th != tc.thread {
			t.Fatalf("Decode(Encode(%q,%q)) = %q,%q,%v", tc.account, tc.thread, a, th, err)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	valid := Encode("acct_1", "t_1")
	for _, id := range []string{
		"",
		"sapi_dm_",
		"dm_" + valid[len(Prefix):],
		valid + "=",
		valid + "A",
		"sapi_dm_AA",
		"sapi_dm_" + strings.Repeat("A", 4000),
		Prefix + "Ag" + valid[len(Prefix)+2:], // wrong version
		Encode("acct_1", ""),
		Encode("", "t_1"),
	} {
		if _, _, err := Decode(id); err == nil {
			t.Errorf("Decode(%q) accepted", id)
		}
	}
}

// FuzzDecode checks no input panics, and that whatever decodes is canonical:
// re-encoding gives the very same id, so one id names exactly one (account,
// thread) pair and cannot be bent to point elsewhere.
func FuzzDecode(f *testing.F) {
	f.Add(Encode("acct_1", "t_1"))
	f.Add("sapi_dm_AQZhY2N0XzF0XzE")
	f.Add("sapi_dm_")
	f.Add("garbage")
	f.Fuzz(func(t *testing.T, id string) {
		a, th, err := Decode(id)
		if err != nil {
			return
		}
		if Encode(a, th) != id {
			t.Fatalf("non-canonical id %q decoded to %q,%q", id, a, th)
		}
	})
}

// TestDecodeRefusesNonCanonicalEncodings: every other spelling of a valid
// id is refused, so one conversation has exactly one id — the one Encode
// gives. Caches, idempotency keys and logs key on the id; a second spelling
// of it would slip past all three.
func TestDecodeRefusesNonCanonicalEncodings(t *testing.T) {
	// A thread whose encoding contains both URL-alphabet characters, so the
	// standard alphabet spells it differently.
	account, thread := "acct_1", "t>>>?~~~???"
	id := Encode(account, thread)
	if a, th, err := Decode(id); err != nil || a != account || th != thread {
		t.Fatalf("Decode(%q) = %q, %q, %v", id, a, th, err)
	}
	body := id[len(Prefix):]
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		t.Fatal(err)
	}
	std := base64.RawStdEncoding.EncodeToString(raw)
	if std == body || !strings.ContainsAny(body, "-_") {
		t.Fatalf("fixture %q does not exercise the alphabets", body)
	}
	if len(raw)%3 == 0 {
		t.Fatalf("fixture of %d bytes has no padding or trailing bits to vary", len(raw))
	}
	// The last character carries unused low bits; the next character of
	// the alphabet sets one of them.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, body[len(body)-1])
	trailing := body[:len(body)-1] + string(alphabet[last+1])

	// The account length as a uvarint with redundant continuation bytes
	// still decodes to the same number with encoding/binary.
	overlong := func(extra int) string {
		b := []byte{version1, byte(len(account)) | 0x80}
		for i := 1; i < extra; i++ {
			b = append(b, 0x80)
		}
		b = append(b, 0x00)
		b = append(b, account...)
		b = append(b, thread...)
		return Prefix + base64.RawURLEncoding.EncodeToString(b)
	}

	for name, bad := range map[string]string{
		"padded":                       id + strings.Repeat("=", (4-len(body)%4)%4),
		"padding on a full group":      id + "==",
		"standard alphabet":            Prefix + std,
		"standard alphabet, padded":    Prefix + base64.StdEncoding.EncodeToString(raw),
		"non-zero trailing bits":       Prefix + trailing,
		"length with a leading zero":   overlong(1),
		"length with two zero bytes":   overlong(2),
		"upper-case prefix":            strings.ToUpper(Prefix) + body,
		"leading space":                " " + id,
		"trailing space":               id + " ",
		"trailing newline":             id + "\n",
		"newline inside":               Prefix + body[:4] + "\n" + body[4:],
		"carriage return inside":       Prefix + body[:4] + "\r" + body[4:],
		"version 2, same layout":       Prefix + base64.RawURLEncoding.EncodeToString(append([]byte{2}, raw[1:]...)),
		"version 0, same layout":       Prefix + base64.RawURLEncoding.EncodeToString(append([]byte{0}, raw[1:]...)),
		"prefix twice":                 Prefix + id,
		"percent-encoded":              Prefix + strings.ReplaceAll(body, "-", "%2D"),
		"no prefix, valid body":        body,
		"prefix without separator":     "sapi_dm" + body,
		"base64 of the id itself":      Prefix + base64.RawURLEncoding.EncodeToString([]byte(id)),
		"account of zero length":       Prefix + base64.RawURLEncoding.EncodeToString(append([]byte{version1, 0}, thread...)),
		"account longer than the rest": Prefix + base64.RawURLEncoding.EncodeToString(append([]byte{version1, 40}, "acct"...)),
	} {
		if a, th, err := Decode(bad); err == nil {
			t.Errorf("%s: Decode(%q) = %q, %q; want refused", name, bad, a, th)
		}
	}
}

// TestDecodeBounds: ids carry bounded, printable parts; the limits are
// inclusive.
func TestDecodeBounds(t *testing.T) {
	for _, tc := range []struct {
		name            string
		account, thread string
		ok              bool
	}{
		{"longest account", strings.Repeat("a", maxAccountLen), "t", true},
		{"account one too long", strings.Repeat("a", maxAccountLen+1), "t", false},
		{"account far too long", strings.Repeat("a", 127), "t", false},
		{"longest thread", "a", strings.Repeat("t", maxThreadLen), true},
		{"thread one too long", "a", strings.Repeat("t", maxThreadLen+1), false},
		{"NUL in thread", "a", "t\x00", false},
		{"newline in thread", "a", "t\n1", false},
		{"DEL in thread", "a", "t\x7f", false},
		{"invalid UTF-8 in thread", "a", "t\xff", false},
		{"control byte in account", "a\x01", "t", false},
		{"invalid UTF-8 in account", "\xc3", "t", false},
		{"non-ASCII thread", "a", "fil-é-ü", true},
	} {
		id := Encode(tc.account, tc.thread)
		a, th, err := Decode(id)
		if tc.ok != (err == nil) {
			t.Errorf("%s: Decode(Encode(…)) err = %v, want ok=%v", tc.name, err, tc.ok)
		}
		if tc.ok && (a != tc.account || th != tc.thread) {
			t.Errorf("%s: round trip gave %q, %q", tc.name, a, th)
		}
	}
}
