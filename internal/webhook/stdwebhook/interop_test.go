package stdwebhook

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/testsupport/jsverify"
)

// interopCase is one line sent to verify.js.
type interopCase struct {
	Secret  string            `json:"secret"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`

	want string // "ok" or "fail"
	desc string
}

// TestOfficialJSLibraryAcceptsOurSignatures is the independent check that our
// Sign output is what the ecosystem expects: many random payloads (unicode
// bodies, rotation with several secrets, secret sizes from 24 to 64 bytes)
// signed by us must all be accepted by the official library, and tampered
// ones rejected. It needs node and npm; without them it skips locally but
// fails under CI=true, so CI cannot silently lose the check.
func TestOfficialJSLibraryAcceptsOurSignatures(t *testing.T) {
	t.Parallel()
	// A fresh seed each run widens coverage over time; set
	// STDWEBHOOK_INTEROP_SEED to replay a failure.
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("STDWEBHOOK_INTEROP_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("STDWEBHOOK_INTEROP_SEED: %v", err)
		}
		seed = n
	}
	t.Logf("seed %d (STDWEBHOOK_INTEROP_SEED to replay)", seed)
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	now := time.Now()
	cases := interopCases(t, rng, now, 300)

	lines := make([]jsverify.Case, len(cases))
	for i, c := range cases {
		lines[i] = jsverify.Case{Secret: c.Secret, Headers: c.Headers, Body: c.Body}
	}
	answers := jsverify.Verify(t, lines)
	i := 0
	var oks, fails int
	for ; i < len(answers); i++ {
		line, c := answers[i], cases[i]
		got := "fail"
		if line == "ok" {
			got = "ok"
			oks++
		} else {
			fails++
		}
		// Rejections must be for the signature, not e.g. a stale timestamp
		// or a body the library could not parse.
		if got != c.want || (got == "fail" && line != "fail No matching signature found") {
			t.Errorf("case %d (%s): official library said %q, want %s\nsecret %s\nheaders %v\nbody %q",
				i, c.desc, line, c.want, c.Secret, c.Headers, c.Body)
		}
	}
	t.Logf("official library: %d accepted, %d rejected, as expected", oks, fails)
}

// interopCases builds n signed webhooks, each followed by a tampered twin.
func interopCases(t *testing.T, rng *rand.Rand, now time.Time, n int) []interopCase {
	t.Helper()
	var cases []interopCase
	for i := range n {
		// 1–3 secrets: several means a rotation header ("new old [older]").
		keys := make([][]byte, 1+rng.IntN(3))
		for k := range keys {
			keys[k] = randBytes(rng, MinSecretBytes+rng.IntN(MaxSecretBytes-MinSecretBytes+1))
		}
		id := fmt.Sprintf("msg_%s", base64.RawURLEncoding.EncodeToString(randBytes(rng, 12)))
		// Within the library's 5-minute tolerance (it checks against its own clock).
		ts := now.Add(time.Duration(rng.IntN(240)-120) * time.Second)
		body := randomJSONBody(t, rng, i)
		h := Headers(keys, id, ts, body)
		flat := map[string]string{}
		for k := range h {
			// Canonical keys (Webhook-Id): the library lower-cases them itself.
			flat[k] = h.Get(k)
		}
		// The consumer holds any one of the secrets in the header.
		holder := keys[rng.IntN(len(keys))]
		base := interopCase{Secret: FormatSecret(holder), Headers: flat, Body: string(body), want: "ok",
			desc: fmt.Sprintf("%d secrets, %d-byte body", len(keys), len(body))}
		cases = append(cases, base)

		// Sanity: our own Verify agrees before asking the library.
		if err := Verify(holder, h, body, now, 0); err != nil {
			t.Fatalf("own Verify rejected case %d: %v", i, err)
		}

		bad := base
		bad.want = "fail"
		bad.Headers = cloneMap(base.Headers)
		switch i % 5 {
		case 0:
			bad.Body = tamper(rng, base.Body)
			bad.desc = "tampered body"
		case 1:
			bad.Secret = FormatSecret(randBytes(rng, 32))
			bad.desc = "secret not in the rotation set"
		case 2:
			bad.Headers["Webhook-Id"] = id + "x"
			bad.desc = "other webhook-id"
		case 3:
			bad.Headers["Webhook-Timestamp"] = fmt.Sprint(ts.Unix() + 1)
			bad.desc = "shifted timestamp"
		case 4:
			sig := bad.Headers["Webhook-Signature"]
			bad.Headers["Webhook-Signature"] = strings.ReplaceAll(sig, "v1,", "v2,")
			bad.desc = "unknown signature version"
		}
		cases = append(cases, bad)
	}
	return cases
}

func randBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// randomJSONBody returns a JSON event body (the official library parses the
// body as JSON after verifying it) with unicode text: accents, CJK, emoji
// beyond the BMP, combining marks, RTL, and JSON-significant characters.
func randomJSONBody(t *testing.T, rng *rand.Rand, i int) []byte {
	t.Helper()
	pools := []string{
		"abcXYZ 0123 ",
		"éèàüßçñø",
		"日本語中文한국어",
		"👋🎉🚀👩‍💻🏳️‍🌈",
		"e\u0301a\u0308", // combining marks
		"مرحبا שלום",
		`"\/<>&'` + "\t\n\u2028",
	}
	var text []rune
	for range rng.IntN(200) {
		p := []rune(pools[rng.IntN(len(pools))])
		text = append(text, p[rng.IntN(len(p))])
	}
	event := map[string]any{
		"type":      "message.received",
		"timestamp": time.Unix(1_700_000_000+int64(i), 0).UTC().Format(time.RFC3339),
		"data": map[string]any{
			"id":    fmt.Sprintf("m_%d", i),
			"text":  string(text),
			"count": rng.IntN(1 << 30),
		},
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	// Raw UTF-8 and raw <>&: what a non-Go producer would send, and the
	// bytes that must survive into the signature unchanged.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(event); err != nil {
		t.Fatal(err)
	}
	out := bytes.TrimSuffix(b.Bytes(), []byte("\n"))
	if !utf8.Valid(out) {
		t.Fatalf("invalid UTF-8 body %q", out)
	}
	return out
}

// tamper changes one character of s while keeping it valid JSON.
func tamper(rng *rand.Rand, s string) string {
	// The "count" digits are always present; bump one.
	i := strings.Index(s, `"count":`) + len(`"count":`)
	d := int(s[i] - '0')
	// 1–9 other than d, so the number stays valid JSON (no leading zero).
	nd := 1 + (d+rng.IntN(8))%9
	if nd == d {
		nd = 1 + nd%9
	}
	return s[:i] + string(rune('0'+nd)) + s[i+1:]
}

func cloneMap(m map[string]string) map[string]string {
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}
