package api_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/webhook/inbound"
)

// Platform app secrets of the webhook security tests.
const (
	secMetaSecret = "meta-app-secret"
	secMetaVerify = "meta-verify-token"
	secXSecret    = "x-consumer-secret"
	secLISecret   = "li-client-secret"
)

func newWebhookEnv(t *testing.T, b storetest.Backend) *liveEnv {
	t.Helper()
	return newLiveEnvCfg(t, b, config.Config{MetaAppSecret: secMetaSecret, MetaVerifyToken: secMetaVerify,
		XConsumerSecret: secXSecret, LinkedInClientSecret: secLISecret})
}

// eventsWith counts the events listed by GET /v1/events whose JSON contains
// text: what a user would see of an inbound message.
func eventsWith(t *testing.T, l *liveEnv, text string) int {
	t.Helper()
	r := l.do("GET", "/v1/events?limit=100", l.key, nil)
	expect(t, r, 200, "")
	n := 0
	for _, d := range r.body["data"].([]any) {
		j, _ := json.Marshal(d)
		if strings.Contains(string(j), text) {
			n++
		}
	}
	return n
}

// Minimal DMs as an attacker would write them: the smallest bodies each
// parser turns into an inbound message for the seeded accounts, compact
// JSON without spaces, well under any length a handshake used to accept.
func forgedXDM(text string) []byte {
	return fmt.Appendf(nil, `{"for_user_id":"1500000000000000001","direct_message_events":[{"type":"message_create","id":"1900000000000000001",`+
		`"created_timestamp":"%d","message_create":{"target":{"recipient_id":"1500000000000000001"},"sender_id":"1500000000000000002",`+
		`"message_data":{"text":"%s"}}}]}`, time.Now().UnixMilli(), text)
}

func forgedLinkedInDM(text string) []byte {
	now := time.Now().UnixMilli()
	return fmt.Appendf(nil, `{"type":"ORGANIZATION_MESSAGE_NOTIFICATIONS","notifications":[{"notificationId":1,`+
		`"organizationalEntity":"urn:li:organization:5000001","action":"MESSAGE_CREATED","lastModifiedAt":%d,`+
		`"message":{"id":"forged-1","thread":"urn:li:messagingThread:forged","author":"urn:li:person:sandboxEli","createdAt":%d,`+
		`"content":{"format":"TEXT","fallback":"%s"}}}]}`, now, now, text)
}

// TestHandshakesAreNotSigningOracles forges a DM the way issue 10 describes:
// ask the public challenge endpoint to MAC the forged body, then post the
// body with the answer as its signature. X's CRC answer is
// sha256=base64(HMAC(consumer secret, crc_token)), the very value X puts in
// x-twitter-webhooks-signature; LinkedIn's challengeResponse is
// hex(HMAC(client secret, challengeCode)), the push signature of a body when
// the code is "hmacsha256=" + body, and of the bare body under the
// alternate form Parley used to accept. Every attempt must be refused (400
// at the handshake, 401 at the POST) and record nothing.
func TestHandshakesAreNotSigningOracles(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		l := newWebhookEnv(t, b)
		attacks := []struct {
			name, path, param, header, text string
			body                            []byte
			token                           func(body []byte) string
			answer                          func(raw []byte) string
		}{
			{
				name: "x crc_token = DM", path: "/webhooks/x", param: "crc_token", header: inbound.HeaderXSignature, text: "forged-x-dm",
				token: func(b []byte) string { return string(b) },
				answer: func(raw []byte) string {
					var v struct {
						ResponseToken string `json:"response_token"`
					}
					_ = json.Unmarshal(raw, &v)
					return v.ResponseToken
				},
			},
			{
				name: "linkedin challengeCode = DM", path: "/webhooks/linkedin", param: "challengeCode", header: inbound.HeaderLinkedInSignature, text: "forged-li-dm-bare",
				token: func(b []byte) string { return string(b) }, answer: liAnswer,
			},
			{
				name: "linkedin challengeCode = hmacsha256= + DM", path: "/webhooks/linkedin", param: "challengeCode", header: inbound.HeaderLinkedInSignature, text: "forged-li-dm-prefixed",
				token: func(b []byte) string { return "hmacsha256=" + string(b) }, answer: liAnswer,
			},
		}
		for _, a := range attacks {
			t.Run(a.name, func(t *testing.T) {
				body := forgedXDM(a.text)
				if a.path == "/webhooks/linkedin" {
					body = forgedLinkedInDM(a.text)
				}
				hs := l.do("GET", a.path+"?"+a.param+"="+url.QueryEscape(a.token(body)), "", nil)
				sig := ""
				if hs.status == 200 {
					sig = a.answer(hs.raw)
				}
				post := l.do("POST", a.path, "", body, a.header, sig)
				if n := eventsWith(t, l, a.text); n != 0 {
					t.Fatalf("forged DM recorded (%d events); handshake answered %d %s", n, hs.status, hs.raw)
				}
				expect(t, hs, 400, "validation.invalid_challenge")
				expect(t, post, 401, "auth.invalid_signature")
			})
		}
		// The bare-body MAC, what the LinkedIn challenge used to hand out for
		// a body, is no longer a LinkedIn signature, whoever computed it.
		body := forgedLinkedInDM("forged-li-dm-old-answer")
		expect(t, l.do("POST", "/webhooks/linkedin", "", body, inbound.HeaderLinkedInSignature,
			inbound.LinkedInChallengeResponse(secLISecret, string(body))), 401, "auth.invalid_signature")
		// Both forged bodies are real DMs: signed as the platforms sign, they
		// are recorded. So the refusals above are the signature checks'.
		for _, c := range []struct {
			path, header, text string
			body               []byte
			sign               func([]byte) string
		}{
			{"/webhooks/x", inbound.HeaderXSignature, "forged-x-dm", forgedXDM("forged-x-dm"), func(b []byte) string { return inbound.SignX(secXSecret, b) }},
			{"/webhooks/linkedin", inbound.HeaderLinkedInSignature, "forged-li-dm-bare", forgedLinkedInDM("forged-li-dm-bare"), func(b []byte) string { return inbound.SignLinkedIn(secLISecret, b) }},
		} {
			expect(t, l.do("POST", c.path, "", c.body, c.header, c.sign(c.body)), 200, "")
			if n := eventsWith(t, l, c.text); n != 1 {
				t.Fatalf("%s: a correctly signed DM gave %d events, want 1", c.path, n)
			}
		}
	})
}

func liAnswer(raw []byte) string {
	var v struct {
		ChallengeResponse string `json:"challengeResponse"`
	}
	_ = json.Unmarshal(raw, &v)
	return v.ChallengeResponse
}

// TestWebhookSignaturesRefused drives every public webhook route with a
// real platform body (built by the emulators) under each kind of bad
// signature: each is refused with 401 and records nothing; then the body
// signed as the platform signs it is accepted, and a replay of it adds no
// second event. None of the three platforms puts a timestamp in what it
// signs (Meta: X-Hub-Signature-256 over the payload,
// https://developers.facebook.com/docs/graph-api/webhooks/getting-started#validate-payloads;
// X: over the body,
// https://developer.x.com/en/docs/x-api/enterprise/account-activity-api/guides/securing-webhooks;
// LinkedIn: over "hmacsha256=" + body, and "Your webhook must be able to
// deduplicate notifications",
// https://learn.microsoft.com/en-us/linkedin/shared/api-guide/webhook-validation),
// so a replay cannot be refused as stale; it is de-duplicated by the
// platform message id instead.
func TestWebhookSignaturesRefused(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		l := newWebhookEnv(t, b)
		n := l.seeded.NativeIDs
		metaBody := func(text string) []byte {
			m := l.emu.WhatsApp.Inbound(n[platform.WhatsApp], "16505551234", "Ana", text)
			return l.emu.WhatsApp.WebhookPayload(m)
		}
		xBody := func(text string) []byte {
			ev, err := l.emu.X.Inbound(n[platform.X], "1500000000000000002", text)
			if err != nil {
				t.Fatal(err)
			}
			body, err := l.emu.X.WebhookBody(n[platform.X], ev)
			if err != nil {
				t.Fatal(err)
			}
			return body
		}
		liBody := func(text string) []byte {
			m, err := l.emu.LinkedIn.Inbound(n[platform.LinkedIn], "urn:li:person:sandboxEli", text)
			if err != nil {
				t.Fatal(err)
			}
			body, err := l.emu.LinkedIn.WebhookBody(m)
			if err != nil {
				t.Fatal(err)
			}
			return body
		}
		metaSig := func(secret string, b []byte) string { return inbound.SignMeta(secret, b) }
		xSig := func(secret string, b []byte) string { return inbound.SignX(secret, b) }
		liSig := func(secret string, b []byte) string { return inbound.SignLinkedIn(secret, b) }
		hexMAC := strings.TrimPrefix(inbound.SignMeta(secMetaSecret, []byte("x")), "sha256=")
		b64MAC := strings.TrimPrefix(inbound.SignX(secXSecret, []byte("x")), "sha256=")

		routes := []struct {
			name, path, header, secret string
			body                       func(text string) []byte
			sign                       func(secret string, body []byte) string
			malformed                  []string
			extra                      func(body []byte) map[string]string
		}{
			{name: "meta", path: "/webhooks/meta", header: inbound.HeaderMetaSignature, secret: secMetaSecret, body: metaBody, sign: metaSig,
				malformed: []string{"garbage", "sha1=" + hexMAC[:40], "sha256=" + hexMAC[:62], "sha256=" + strings.Repeat("zz", 32), "sha256=" + b64MAC, hexMAC}},
			{name: "x", path: "/webhooks/x", header: inbound.HeaderXSignature, secret: secXSecret, body: xBody, sign: xSig,
				malformed: []string{"garbage", "sha256=" + hexMAC, "sha256=" + strings.TrimRight(b64MAC, "="), "sha256=!" + b64MAC[1:], b64MAC}},
			{name: "linkedin", path: "/webhooks/linkedin", header: inbound.HeaderLinkedInSignature, secret: secLISecret, body: liBody, sign: liSig,
				malformed: []string{"garbage", "sha256=" + hexMAC, hexMAC[:62], strings.Repeat("zz", 32), b64MAC},
				// The bare-body MAC is not LinkedIn's documented signature.
				extra: func(body []byte) map[string]string {
					return map[string]string{"bare-body MAC": inbound.LinkedInChallengeResponse(secLISecret, string(body))}
				}},
		}
		for _, rt := range routes {
			t.Run(rt.name, func(t *testing.T) {
				text := "signed only by " + rt.name + " itself"
				body := rt.body(text)
				other := rt.body("another message on " + rt.name)
				bad := map[string]string{
					"missing":                    "",
					"whitespace":                 "   ",
					"wrong secret":               rt.sign("not-the-secret", body),
					"signature of another body":  rt.sign(rt.secret, other),
					"signature of a longer body": rt.sign(rt.secret, append(append([]byte{}, body...), ' ')),
				}
				for i, m := range rt.malformed {
					bad[fmt.Sprintf("malformed %d (%s)", i, m)] = m
				}
				if rt.extra != nil {
					for k, v := range rt.extra(body) {
						bad[k] = v
					}
				}
				for name, sig := range bad {
					var hdr []string
					if name != "missing" {
						hdr = []string{rt.header, sig}
					}
					r := l.do("POST", rt.path, "", body, hdr...)
					if r.status != 401 || r.errCode() != "auth.invalid_signature" {
						t.Errorf("%s: %d %s, want 401 auth.invalid_signature", name, r.status, r.raw)
					}
				}
				if got := eventsWith(t, l, text); got != 0 {
					t.Fatalf("a refused webhook was recorded: %d events", got)
				}
				// Signed as the platform signs it: recorded, once, however
				// often it is replayed.
				for i := 0; i < 3; i++ {
					expect(t, l.do("POST", rt.path, "", body, rt.header, rt.sign(rt.secret, body)), 200, "")
				}
				if got := eventsWith(t, l, text); got != 1 {
					t.Fatalf("signed and replayed: %d events, want 1", got)
				}
			})
		}
	})
}

// TestHandshakeAnswers checks the three GET handshakes over HTTP: what the
// platforms send is answered with their documented content type and
// nosniff; anything else gets a structured 400 naming the parameter.
func TestHandshakeAnswers(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		l := newWebhookEnv(t, b)
		meta := func(challenge string) response {
			return l.do("GET", "/webhooks/meta?hub.mode=subscribe&hub.verify_token="+secMetaVerify+"&hub.challenge="+url.QueryEscape(challenge), "", nil)
		}
		nosniff := func(t *testing.T, r response) {
			t.Helper()
			if r.header.Get("X-Content-Type-Options") != "nosniff" {
				t.Fatalf("no X-Content-Type-Options: nosniff on %d %s", r.status, r.raw)
			}
		}

		// Meta echoes its challenge as plain text.
		r := meta("1158201444")
		if r.status != 200 || string(r.raw) != "1158201444" || r.header.Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Fatalf("meta handshake: %d %q %q", r.status, r.header.Get("Content-Type"), r.raw)
		}
		nosniff(t, r)
		r = meta(strings.Repeat("1", inbound.MaxChallenge))
		if r.status != 200 || len(r.raw) != inbound.MaxChallenge {
			t.Fatalf("longest meta challenge: %d %q", r.status, r.raw)
		}

		// X answers its CRC in JSON, verifiable as X verifies it.
		const crc = "9b4507b3-9040-4669-9ca3-6b94edb50553"
		r = l.do("GET", "/webhooks/x?crc_token="+crc, "", nil)
		if r.status != 200 || r.header.Get("Content-Type") != "application/json" {
			t.Fatalf("x crc: %d %q %s", r.status, r.header.Get("Content-Type"), r.raw)
		}
		if err := inbound.VerifyXCRCResponse(secXSecret, crc, r.raw); err != nil {
			t.Fatalf("x crc answer: %v %s", err, r.raw)
		}
		nosniff(t, r)

		// LinkedIn answers its challengeCode (the docs' example) in JSON.
		const code = "890e4665-4dfe-4ab1-b689-ed553bceeed0"
		r = l.do("GET", "/webhooks/linkedin?challengeCode="+code+"&applicationId=1", "", nil)
		if r.status != 200 || r.header.Get("Content-Type") != "application/json" {
			t.Fatalf("linkedin challenge: %d %q %s", r.status, r.header.Get("Content-Type"), r.raw)
		}
		if err := inbound.VerifyLinkedInChallengeResponse(secLISecret, code, r.raw); err != nil {
			t.Fatalf("linkedin challenge answer: %v %s", err, r.raw)
		}
		nosniff(t, r)

		long := strings.Repeat("1", inbound.MaxChallenge+1)
		for _, c := range []struct {
			name   string
			r      response
			status int
			code   string
			field  string
		}{
			{"meta over-long challenge", meta(long), 400, "validation.challenge_too_long", "hub.challenge"},
			{"meta markup challenge", meta("<script>alert(1)</script>"), 400, "validation.invalid_challenge", "hub.challenge"},
			{"meta JSON challenge", meta(`{"a":1}`), 400, "validation.invalid_challenge", "hub.challenge"},
			{"meta no challenge", l.do("GET", "/webhooks/meta?hub.mode=subscribe&hub.verify_token="+secMetaVerify, "", nil), 400, "validation.required", "hub.challenge"},
			{"meta wrong verify token", l.do("GET", "/webhooks/meta?hub.mode=subscribe&hub.verify_token=nope&hub.challenge="+long, "", nil), 403, "auth.invalid_verify_token", ""},
			{"meta wrong mode", l.do("GET", "/webhooks/meta?hub.mode=unsubscribe&hub.verify_token="+secMetaVerify+"&hub.challenge=1", "", nil), 403, "auth.invalid_verify_token", ""},
			{"x over-long token", l.do("GET", "/webhooks/x?crc_token="+long, "", nil), 400, "validation.challenge_too_long", "crc_token"},
			{"x token with spaces", l.do("GET", "/webhooks/x?crc_token=a+b", "", nil), 400, "validation.invalid_challenge", "crc_token"},
			{"x no token", l.do("GET", "/webhooks/x", "", nil), 400, "validation.required", "crc_token"},
			{"linkedin not a UUID", l.do("GET", "/webhooks/linkedin?challengeCode=abc", "", nil), 400, "validation.invalid_challenge", "challengeCode"},
			{"linkedin over-long code", l.do("GET", "/webhooks/linkedin?challengeCode="+long, "", nil), 400, "validation.challenge_too_long", "challengeCode"},
			{"linkedin no code", l.do("GET", "/webhooks/linkedin", "", nil), 400, "validation.required", "challengeCode"},
		} {
			t.Run(c.name, func(t *testing.T) {
				expect(t, c.r, c.status, c.code)
				nosniff(t, c.r)
				if c.r.header.Get("Content-Type") != "application/json" {
					t.Fatalf("error Content-Type %q", c.r.header.Get("Content-Type"))
				}
				if c.field == "" {
					return
				}
				meta, _ := c.r.body["error"].(map[string]any)["meta"].(map[string]any)
				if meta["field"] != c.field {
					t.Fatalf("meta.field = %v, want %q: %s", meta["field"], c.field, c.r.raw)
				}
				if c.code == "validation.challenge_too_long" && meta["max_length"] != float64(inbound.MaxChallenge) {
					t.Fatalf("meta.max_length = %v: %s", meta["max_length"], c.r.raw)
				}
				if strings.Contains(string(c.r.raw), "<script>") {
					t.Fatalf("challenge reflected in the error: %s", c.r.raw)
				}
			})
		}
	})
}

// TestUnconfiguredHandshakes: a platform whose secret is not configured
// answers neither its handshake nor its events (404), so nobody can claim
// the endpoint or get anything MACed with an empty key.
func TestUnconfiguredHandshakes(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		e := newEnvWith(t, b, config.Config{}, platform.Registry{})
		for _, path := range []string{
			"/webhooks/meta?hub.mode=subscribe&hub.verify_token=&hub.challenge=1",
			"/webhooks/x?crc_token=9b4507b3-9040-4669-9ca3-6b94edb50553",
			"/webhooks/linkedin?challengeCode=890e4665-4dfe-4ab1-b689-ed553bceeed0",
		} {
			expect(t, e.do("GET", path, "", nil), 404, "resource.not_configured")
		}
	})
}
