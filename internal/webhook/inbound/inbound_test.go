package inbound

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/iotest"
)

// Golden values were computed independently of this package with OpenSSL,
// e.g. `printf %s "$body" | openssl dgst -sha256 -hmac "$secret" -hex`
// (or `-binary | base64` for X). The X secret and crc_token are the sample
// values from X's published CRC example
// (https://gist.github.com/jcipriano/373d4d441e8041f775b6227c0e2fd1f3).
const (
	goldenBody = `{"object":"page","entry":[{"id":"1","messaging":[{"message":{"text":"h\u00e9"}}]}]}`

	metaSecret     = "meta_app_secret"
	metaGoldenSig  = "sha256=c445538140aaf901daaf968af7379f60f8c62f126086226eedc7d9cf39ffc636"
	xSecret        = "z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu"
	xCRCToken      = "9b4507b3-9040-4669-9ca3-6b94edb50553"
	xGoldenCRC     = "sha256=Cytd4Sq+NvEcV3MMrXxWJGJx5A+y/lXzzU2Maartkx8="
	xGoldenSig     = "sha256=EAT0zVCTD0nXOU0lWwOUmub8RCtE5xZsidr8Q9aCrZk="
	liSecret       = "li_client_secret"
	liGoldenSig    = "e0eb98e0de234916513b4b7b3ede7d8516eaf0ff1d2be39622ee6883aa09b3b5" // over "hmacsha256=" + body
	liBareSig      = "8c4eca9cf41f2bfefee2fa285066f5debeedd919f8b5a0bd54762aae7283bce3" // over body alone
	liChallenge    = "890e4665-4dfe-4ab1-b689-ed553bceeed0"                             // the docs' example code
	liGoldenAnswer = "3ceda89cb18cf5471b844e08c4b771bcab6f5bec8ab1b0837ca04ab05c909d8c"
)

func TestReadBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		req     func() *http.Request
		max     int64
		want    string
		wantErr error
	}{
		{name: "small", req: post("hello", -1), max: 10, want: "hello"},
		{name: "exactly max", req: post("0123456789", -1), max: 10, want: "0123456789"},
		{name: "one over max, unknown length", req: post("0123456789A", -1), max: 10, wantErr: ErrBodyTooLarge},
		{name: "declared length over max", req: post("x", 11), max: 10, wantErr: ErrBodyTooLarge},
		{name: "lying short content length still bounded", req: post(strings.Repeat("x", 50), 5), max: 10, wantErr: ErrBodyTooLarge},
		{name: "default max", req: post(strings.Repeat("x", int(MaxBody)), -1), max: 0, want: strings.Repeat("x", int(MaxBody))},
		{name: "default max exceeded", req: post(strings.Repeat("x", int(MaxBody)+1), -1), max: -1, wantErr: ErrBodyTooLarge},
		{name: "no body", req: func() *http.Request { return httptest.NewRequest(http.MethodGet, "/", nil) }, max: 10, want: ""},
		{name: "MaxBytesReader upstream", req: func() *http.Request {
			r := post(strings.Repeat("x", 20), -1)()
			r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, 5)
			return r
		}, max: 10, wantErr: ErrBodyTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadBody(tt.req(), tt.max)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("ReadBody = %d bytes, %v", len(got), err)
			}
		})
	}
	t.Run("read error", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Body = io.NopCloser(iotest.ErrReader(errors.New("boom")))
		if _, err := ReadBody(r, 10); err == nil || errors.Is(err, ErrBodyTooLarge) {
			t.Fatalf("err = %v", err)
		}
	})
}

// post builds a POST with body; contentLength < 0 means unknown (chunked).
func post(body string, contentLength int64) func() *http.Request {
	return func() *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/", io.NopCloser(strings.NewReader(body)))
		r.ContentLength = contentLength
		return r
	}
}

func TestMetaChallenge(t *testing.T) {
	t.Parallel()
	q := func(kv ...string) url.Values {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	tests := []struct {
		name    string
		q       url.Values
		token   string
		want    string
		wantErr error
	}{
		// The docs' sample verification request.
		{"docs sample", q("hub.mode", "subscribe", "hub.challenge", "1158201444", "hub.verify_token", "meatyhamhock"), "meatyhamhock", "1158201444", nil},
		{"longest accepted", q("hub.mode", "subscribe", "hub.challenge", strings.Repeat("9", MaxChallenge), "hub.verify_token", "t"), "t", strings.Repeat("9", MaxChallenge), nil},
		{"wrong token", q("hub.mode", "subscribe", "hub.challenge", "1158201444", "hub.verify_token", "meatyhamhocks"), "meatyhamhock", "", ErrVerifyToken},
		{"token prefix", q("hub.mode", "subscribe", "hub.challenge", "1", "hub.verify_token", "meaty"), "meatyhamhock", "", ErrVerifyToken},
		{"wrong mode", q("hub.mode", "unsubscribe", "hub.challenge", "1", "hub.verify_token", "t"), "t", "", ErrVerifyToken},
		{"no mode", q("hub.challenge", "1", "hub.verify_token", "t"), "t", "", ErrVerifyToken},
		{"unconfigured token never verifies", q("hub.mode", "subscribe", "hub.challenge", "1", "hub.verify_token", ""), "", "", ErrNoSecret},
		{"wrong token is checked before the challenge", q("hub.mode", "subscribe", "hub.challenge", strings.Repeat("1", MaxChallenge+1), "hub.verify_token", "x"), "t", "", ErrVerifyToken},
		{"no challenge", q("hub.mode", "subscribe", "hub.verify_token", "t"), "t", "", ErrChallengeMissing},
		{"markup challenge refused", q("hub.mode", "subscribe", "hub.challenge", "<script>x</script>", "hub.verify_token", "t"), "t", "", ErrChallengeMalformed},
		{"spaces refused", q("hub.mode", "subscribe", "hub.challenge", "1 2", "hub.verify_token", "t"), "t", "", ErrChallengeMalformed},
		{"JSON refused", q("hub.mode", "subscribe", "hub.challenge", `{"a":1}`, "hub.verify_token", "t"), "t", "", ErrChallengeMalformed},
		{"oversized challenge refused", q("hub.mode", "subscribe", "hub.challenge", strings.Repeat("1", MaxChallenge+1), "hub.verify_token", "t"), "t", "", ErrChallengeTooLong},
		{"underscored names (PHP) are not Meta's", q("hub_mode", "subscribe", "hub_challenge", "1", "hub_verify_token", "t"), "t", "", ErrVerifyToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MetaChallenge(tt.q, tt.token)
			if got != tt.want || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("MetaChallenge = %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
	// Parsed from a real query string, as the handler will.
	u, _ := url.Parse("https://example.com/webhooks?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock")
	if got, err := MetaChallenge(u.Query(), "meatyhamhock"); err != nil || got != "1158201444" {
		t.Fatalf("from URL: %q %v", got, err)
	}
}

// TestChallengeValidators pins the token shapes each platform sends, and
// that nothing shaped like a webhook body (a JSON object, or LinkedIn's
// "hmacsha256=" + object) passes any of them.
func TestChallengeValidators(t *testing.T) {
	t.Parallel()
	validators := map[string]func(string) error{
		"meta": ValidMetaChallenge, "x": ValidXCRCToken, "linkedin": ValidLinkedInChallengeCode,
	}
	forged := []string{
		goldenBody,
		`{"for_user_id":"1","direct_message_events":[]}`,
		"hmacsha256=" + goldenBody,
		`["x"]`,
		`"x"`,
		"a b",
		"a\nb",
		"a\x00",
		"é",
	}
	for name, valid := range validators {
		for _, f := range forged {
			if err := valid(f); !errors.Is(err, ErrChallengeMalformed) && !errors.Is(err, ErrChallengeTooLong) {
				t.Errorf("%s accepted %q: %v", name, f, err)
			}
		}
		if err := valid(""); !errors.Is(err, ErrChallengeMissing) {
			t.Errorf("%s(\"\") = %v", name, err)
		}
		if err := valid(strings.Repeat("a", MaxChallenge+1)); !errors.Is(err, ErrChallengeTooLong) {
			t.Errorf("%s(too long) = %v", name, err)
		}
	}
	for _, tt := range []struct {
		name, token string
		valid       func(string) error
		want        error
	}{
		{"meta docs sample", "1158201444", ValidMetaChallenge, nil},
		{"x sample (UUID)", xCRCToken, ValidXCRCToken, nil},
		{"x base64", "Cytd4Sq+NvEcV3MMrXxWJGJx5A+y/lXzzU2Maartkx8=", ValidXCRCToken, nil},
		{"x base64url", "Cytd4Sq-NvEcV3MMrXxWJGJx5A_y_lXzzU2Maartkx8", ValidXCRCToken, nil},
		{"x longest", strings.Repeat("A", MaxChallenge), ValidXCRCToken, nil},
		{"x quote", `abc"`, ValidXCRCToken, ErrChallengeMalformed},
		{"linkedin docs sample", liChallenge, ValidLinkedInChallengeCode, nil},
		{"linkedin upper case", strings.ToUpper(liChallenge), ValidLinkedInChallengeCode, nil},
		{"linkedin no hyphens", strings.ReplaceAll(liChallenge, "-", ""), ValidLinkedInChallengeCode, ErrChallengeMalformed},
		{"linkedin braces", "{" + liChallenge + "}", ValidLinkedInChallengeCode, ErrChallengeMalformed},
		{"linkedin hyphen moved", "890e46654-dfe-4ab1-b689-ed553bceeed0", ValidLinkedInChallengeCode, ErrChallengeMalformed},
		{"linkedin not hex", "890e4665-4dfe-4ab1-b689-ed553bceeedg", ValidLinkedInChallengeCode, ErrChallengeMalformed},
		{"linkedin opaque token", "abc", ValidLinkedInChallengeCode, ErrChallengeMalformed},
	} {
		if err := tt.valid(tt.token); !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
			t.Errorf("%s: %q -> %v, want %v", tt.name, tt.token, err, tt.want)
		}
	}
}

// sigCase is one row of the signature tables shared by the three platforms.
type sigCase struct {
	name   string
	secret string
	header string
	body   string
	want   error
}

func runSigCases(t *testing.T, verify func(secret, header string, body []byte) error, cases []sigCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			err := verify(tt.secret, tt.header, []byte(tt.body))
			if tt.want == nil {
				if err != nil {
					t.Fatalf("err = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestMetaSignature(t *testing.T) {
	t.Parallel()
	if got := SignMeta(metaSecret, []byte(goldenBody)); got != metaGoldenSig {
		t.Fatalf("SignMeta = %q, want %q", got, metaGoldenSig)
	}
	hexPart := strings.TrimPrefix(metaGoldenSig, "sha256=")
	runSigCases(t, VerifyMeta, []sigCase{
		{"golden", metaSecret, metaGoldenSig, goldenBody, nil},
		{"upper-case hex and prefix", metaSecret, "SHA256=" + strings.ToUpper(hexPart), goldenBody, nil},
		{"surrounding space", metaSecret, " " + metaGoldenSig + " ", goldenBody, nil},
		{"tampered body", metaSecret, metaGoldenSig, strings.Replace(goldenBody, `"1"`, `"2"`, 1), ErrSignatureMismatch},
		{"unescaped body differs", metaSecret, metaGoldenSig, strings.Replace(goldenBody, `\u00e9`, "é", 1), ErrSignatureMismatch},
		{"wrong secret", "other", metaGoldenSig, goldenBody, ErrSignatureMismatch},
		{"no secret", "", metaGoldenSig, goldenBody, ErrNoSecret},
		{"missing", metaSecret, "", goldenBody, ErrMissingSignature},
		{"sha1 header form", metaSecret, "sha1=" + hexPart[:40], goldenBody, ErrMalformedSignature},
		{"no prefix", metaSecret, hexPart, goldenBody, ErrMalformedSignature},
		{"short", metaSecret, metaGoldenSig[:len(metaGoldenSig)-2], goldenBody, ErrMalformedSignature},
		{"not hex", metaSecret, "sha256=" + strings.Repeat("zz", 32), goldenBody, ErrMalformedSignature},
		{"base64 instead of hex", metaSecret, xGoldenSig, goldenBody, ErrMalformedSignature},
	})
}

func TestMetaEscapeUnicode(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{`{"text":"hé"}`, `{"text":"h\u00e9"}`},
		{`{"t":"日本"}`, `{"t":"\u65e5\u672c"}`},
		{`{"t":"👋"}`, `{"t":"\ud83d\udc4b"}`}, // U+1F44B as a surrogate pair
		{`{"t":"ascii \"q\" \\ / <>"}`, `{"t":"ascii \"q\" \\ / <>"}`},
		{"{\"t\":\"\xff\"}", "{\"t\":\"\xff\"}"}, // invalid UTF-8 left alone
		{"", ""},
	}
	for _, tt := range tests {
		got := string(MetaEscapeUnicode([]byte(tt.in)))
		if got != tt.want {
			t.Errorf("MetaEscapeUnicode(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if json.Valid([]byte(tt.in)) {
			var a, b any
			if json.Unmarshal([]byte(tt.in), &a) != nil || json.Unmarshal([]byte(got), &b) != nil {
				t.Fatalf("escaped JSON invalid: %q", got)
			}
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			if string(ja) != string(jb) {
				t.Errorf("escaping changed meaning: %s vs %s", ja, jb)
			}
		}
	}
	// The emulator path: escape, sign; the receiver verifies the wire bytes.
	wire := MetaEscapeUnicode([]byte(`{"object":"page","entry":[{"id":"1","messaging":[{"message":{"text":"hé"}}]}]}`))
	if string(wire) != goldenBody || SignMeta(metaSecret, wire) != metaGoldenSig {
		t.Fatalf("escape+sign = %s", wire)
	}
}

func TestXCRC(t *testing.T) {
	t.Parallel()
	if got := XCRCResponseToken(xSecret, xCRCToken); got != xGoldenCRC {
		t.Fatalf("XCRCResponseToken = %q, want %q", got, xGoldenCRC)
	}
	body, err := XCRC(url.Values{"crc_token": {xCRCToken}}, xSecret)
	if err != nil || string(body) != `{"response_token":"`+xGoldenCRC+`"}` {
		t.Fatalf("XCRC = %s, %v", body, err)
	}
	if err := VerifyXCRCResponse(xSecret, xCRCToken, body); err != nil {
		t.Fatalf("VerifyXCRCResponse(own) = %v", err)
	}
	for _, tt := range []struct {
		name   string
		q      url.Values
		secret string
		want   error
	}{
		{"no token", url.Values{}, xSecret, ErrChallengeMissing},
		{"empty token", url.Values{"crc_token": {""}}, xSecret, ErrChallengeMissing},
		{"no secret", url.Values{"crc_token": {xCRCToken}}, "", ErrNoSecret},
		{"oversized token", url.Values{"crc_token": {strings.Repeat("a", MaxChallenge+1)}}, xSecret, ErrChallengeTooLong},
		// The signing oracle: a DM body as the token would have been
		// answered with its valid x-twitter-webhooks-signature.
		{"JSON body as token", url.Values{"crc_token": {goldenBody}}, xSecret, ErrChallengeMalformed},
	} {
		if body, err := XCRC(tt.q, tt.secret); !errors.Is(err, tt.want) || body != nil {
			t.Errorf("%s: XCRC = %s, %v; want %v", tt.name, body, err, tt.want)
		}
	}
	for _, tt := range []struct {
		name   string
		secret string
		body   string
		want   error
	}{
		{"wrong secret", "nope", string(body), ErrSignatureMismatch},
		{"other token", xSecret, `{"response_token":"` + XCRCResponseToken(xSecret, "other") + `"}`, ErrSignatureMismatch},
		{"missing field", xSecret, `{}`, ErrMalformedSignature},
		{"not json", xSecret, `sha256=abc`, ErrMalformedSignature},
		{"no secret", "", string(body), ErrNoSecret},
	} {
		if err := VerifyXCRCResponse(tt.secret, xCRCToken, []byte(tt.body)); !errors.Is(err, tt.want) {
			t.Errorf("%s: VerifyXCRCResponse = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestXSignature(t *testing.T) {
	t.Parallel()
	if got := SignX(xSecret, []byte(goldenBody)); got != xGoldenSig {
		t.Fatalf("SignX = %q, want %q", got, xGoldenSig)
	}
	b64 := strings.TrimPrefix(xGoldenSig, "sha256=")
	runSigCases(t, VerifyX, []sigCase{
		{"golden", xSecret, xGoldenSig, goldenBody, nil},
		{"prefix case", xSecret, "SHA256=" + b64, goldenBody, nil},
		{"tampered body", xSecret, xGoldenSig, goldenBody + " ", ErrSignatureMismatch},
		{"wrong secret", "other", xGoldenSig, goldenBody, ErrSignatureMismatch},
		{"no secret", "", xGoldenSig, goldenBody, ErrNoSecret},
		{"missing", xSecret, "  ", goldenBody, ErrMissingSignature},
		{"no prefix", xSecret, b64, goldenBody, ErrMalformedSignature},
		{"unpadded", xSecret, "sha256=" + strings.TrimRight(b64, "="), goldenBody, ErrMalformedSignature},
		{"url alphabet", xSecret, "sha256=-" + b64[1:], goldenBody, ErrMalformedSignature},
		{"hex instead of base64", xSecret, metaGoldenSig, goldenBody, ErrMalformedSignature},
	})
}

func TestLinkedInChallenge(t *testing.T) {
	t.Parallel()
	if got := LinkedInChallengeResponse(liSecret, liChallenge); got != liGoldenAnswer {
		t.Fatalf("LinkedInChallengeResponse = %q, want %q", got, liGoldenAnswer)
	}
	body, err := LinkedInChallenge(url.Values{"challengeCode": {liChallenge}, "applicationId": {"123"}}, liSecret)
	want := `{"challengeCode":"` + liChallenge + `","challengeResponse":"` + liGoldenAnswer + `"}`
	if err != nil || string(body) != want {
		t.Fatalf("LinkedInChallenge = %s, %v", body, err)
	}
	if err := VerifyLinkedInChallengeResponse(liSecret, liChallenge, body); err != nil {
		t.Fatalf("VerifyLinkedInChallengeResponse(own) = %v", err)
	}
	for _, tt := range []struct {
		name   string
		q      url.Values
		secret string
		want   error
	}{
		{"no code", url.Values{}, liSecret, ErrChallengeMissing},
		{"no secret", url.Values{"challengeCode": {liChallenge}}, "", ErrNoSecret},
		{"not a UUID", url.Values{"challengeCode": {"abc"}}, liSecret, ErrChallengeMalformed},
		// The signing oracles: either message form of a push event.
		{"JSON body as code", url.Values{"challengeCode": {goldenBody}}, liSecret, ErrChallengeMalformed},
		{"prefixed body as code", url.Values{"challengeCode": {"hmacsha256=" + goldenBody}}, liSecret, ErrChallengeMalformed},
	} {
		if body, err := LinkedInChallenge(tt.q, tt.secret); !errors.Is(err, tt.want) || body != nil {
			t.Errorf("%s: LinkedInChallenge = %s, %v; want %v", tt.name, body, err, tt.want)
		}
	}
	for _, tt := range []struct {
		name, secret, body string
		want               error
	}{
		{"upper-case hex", liSecret, `{"challengeCode":"` + liChallenge + `","challengeResponse":"` + strings.ToUpper(liGoldenAnswer) + `"}`, nil},
		{"wrong secret", "nope", string(body), ErrSignatureMismatch},
		{"code not echoed", liSecret, `{"challengeCode":"x","challengeResponse":"` + liGoldenAnswer + `"}`, ErrMalformedSignature},
		{"not hex", liSecret, `{"challengeCode":"` + liChallenge + `","challengeResponse":"zz"}`, ErrMalformedSignature},
		{"not json", liSecret, liGoldenAnswer, ErrMalformedSignature},
		{"no secret", "", string(body), ErrNoSecret},
	} {
		err := VerifyLinkedInChallengeResponse(tt.secret, liChallenge, []byte(tt.body))
		if (tt.want == nil && err != nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestLinkedInSignature(t *testing.T) {
	t.Parallel()
	if got := SignLinkedIn(liSecret, []byte(goldenBody)); got != liGoldenSig {
		t.Fatalf("SignLinkedIn = %q, want %q", got, liGoldenSig)
	}
	runSigCases(t, VerifyLinkedIn, []sigCase{
		{"documented form", liSecret, liGoldenSig, goldenBody, nil},
		{"documented form with prefix in header", liSecret, "hmacsha256=" + liGoldenSig, goldenBody, nil},
		// A MAC of the bare body is what the challenge endpoint computes
		// over a challengeCode; it is not LinkedIn's signature.
		{"bare-body MAC refused", liSecret, liBareSig, goldenBody, ErrSignatureMismatch},
		{"bare-body MAC with prefix in header refused", liSecret, "hmacsha256=" + liBareSig, goldenBody, ErrSignatureMismatch},
		{"upper-case hex", liSecret, strings.ToUpper(liGoldenSig), goldenBody, nil},
		{"tampered body", liSecret, liGoldenSig, strings.Replace(goldenBody, "page", "user", 1), ErrSignatureMismatch},
		{"wrong secret", "other", liGoldenSig, goldenBody, ErrSignatureMismatch},
		{"no secret", "", liGoldenSig, goldenBody, ErrNoSecret},
		{"missing", liSecret, "", goldenBody, ErrMissingSignature},
		{"other prefix", liSecret, "sha256=" + liGoldenSig, goldenBody, ErrMalformedSignature},
		{"short", liSecret, liGoldenSig[:62], goldenBody, ErrMalformedSignature},
		{"base64", liSecret, strings.TrimPrefix(xGoldenSig, "sha256="), goldenBody, ErrMalformedSignature},
	})
}

// TestHandlersEndToEnd wires the functions into handlers the way the server
// will and drives them over real loopback HTTP, signing with the helpers the
// emulators use.
func TestHandlersEndToEnd(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /meta", func(w http.ResponseWriter, r *http.Request) {
		c, err := MetaChallenge(r.URL.Query(), "vt")
		if err != nil {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, c)
	})
	verifying := func(verify func(string, string, []byte) error, secret, header string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			body, err := ReadBody(r, 64)
			if errors.Is(err, ErrBodyTooLarge) {
				http.Error(w, "too large", http.StatusRequestEntityTooLarge)
				return
			}
			if err != nil || verify(secret, r.Header.Get(header), body) != nil {
				http.Error(w, "bad signature", http.StatusUnauthorized)
				return
			}
			w.WriteHeader(http.StatusOK)
		}
	}
	mux.Handle("POST /meta", verifying(VerifyMeta, metaSecret, HeaderMetaSignature))
	mux.Handle("POST /x", verifying(VerifyX, xSecret, HeaderXSignature))
	mux.Handle("POST /li", verifying(VerifyLinkedIn, liSecret, HeaderLinkedInSignature))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/meta?hub.mode=subscribe&hub.challenge=42&hub.verify_token=vt")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(got) != "42" {
		t.Fatalf("meta handshake: %d %q", resp.StatusCode, got)
	}

	body := `{"a":"b"}`
	for _, tt := range []struct {
		path, header, sig, body string
		want                    int
	}{
		{"/meta", HeaderMetaSignature, SignMeta(metaSecret, []byte(body)), body, 200},
		{"/x", HeaderXSignature, SignX(xSecret, []byte(body)), body, 200},
		{"/li", HeaderLinkedInSignature, SignLinkedIn(liSecret, []byte(body)), body, 200},
		{"/meta", HeaderMetaSignature, SignMeta(metaSecret, []byte(body)), `{"a":"c"}`, 401},
		{"/x", HeaderXSignature, SignX("wrong", []byte(body)), body, 401},
		{"/li", HeaderLinkedInSignature, "", body, 401},
		{"/meta", HeaderMetaSignature, "sha256=00", strings.Repeat("x", 65), 413},
	} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+tt.path, strings.NewReader(tt.body))
		// Header names are matched case-insensitively, whatever case is sent.
		req.Header[strings.ToLower(tt.header)] = []string{tt.sig}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s %q: status %d, want %d", tt.path, tt.body, resp.StatusCode, tt.want)
		}
	}
}
