package inbound

import (
	"crypto/hmac"
	"crypto/subtle"
	"encoding/hex"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Meta (Instagram, Messenger, WhatsApp Cloud API) share one webhook scheme:
// https://developers.facebook.com/docs/graph-api/webhooks/getting-started
// ("Verification Requests", "Validating Verification Requests", "Validating
// Payloads"), referenced by
// https://developers.facebook.com/docs/messenger-platform/webhooks,
// https://developers.facebook.com/docs/instagram-platform/webhooks and
// https://developers.facebook.com/docs/whatsapp/cloud-api/guides/set-up-webhooks.

// HeaderMetaSignature carries "sha256=" + lowercase hex HMAC-SHA256 of the raw
// body keyed with the App Secret ("Validating Payloads"). The older SHA-1
// X-Hub-Signature header is not accepted.
const HeaderMetaSignature = "X-Hub-Signature-256"

const metaSigPrefix = "sha256="

// MetaChallenge answers Meta's verification request, a GET with
// hub.mode=subscribe, hub.verify_token and hub.challenge: when the mode is
// "subscribe" and the token equals verifyToken (constant-time), and the
// challenge passes ValidMetaChallenge, it returns the challenge to send back
// as the 200 body (text/plain). An empty verifyToken returns ErrNoSecret, so
// an unconfigured endpoint cannot be claimed; a wrong mode or token returns
// ErrVerifyToken; a bad challenge returns ErrChallengeMissing,
// ErrChallengeTooLong or ErrChallengeMalformed. The token is checked first:
// a caller without it learns nothing about what challenges are accepted.
func MetaChallenge(q url.Values, verifyToken string) (challenge string, err error) {
	if verifyToken == "" {
		return "", ErrNoSecret
	}
	modeOK := q.Get("hub.mode") == "subscribe"
	tokenOK := subtle.ConstantTimeCompare([]byte(q.Get("hub.verify_token")), []byte(verifyToken)) == 1
	if !modeOK || !tokenOK {
		return "", ErrVerifyToken
	}
	challenge = q.Get("hub.challenge")
	if err := ValidMetaChallenge(challenge); err != nil {
		return "", err
	}
	return challenge, nil
}

// SignMeta returns the X-Hub-Signature-256 value Meta sends for body.
// Meta signs the bytes it sends, which are JSON with non-ASCII characters
// escaped (see MetaEscapeUnicode); emulators should escape first, then sign.
func SignMeta(appSecret string, body []byte) string {
	return metaSigPrefix + hex.EncodeToString(mac(appSecret, body))
}

// ParseMetaSignature decodes an X-Hub-Signature-256 value into the 32-byte
// MAC. The "sha256=" prefix is matched case-insensitively and hex digits in
// either case are accepted; surrounding spaces are ignored.
func ParseMetaSignature(header string) ([]byte, error) {
	h := strings.TrimSpace(header)
	if h == "" {
		return nil, ErrMissingSignature
	}
	rest, ok := cutPrefixFold(h, metaSigPrefix)
	if !ok || len(rest) != 2*32 {
		return nil, ErrMalformedSignature
	}
	sig, err := hex.DecodeString(rest)
	if err != nil {
		return nil, ErrMalformedSignature
	}
	return sig, nil
}

// VerifyMeta checks header (the X-Hub-Signature-256 value) against the raw
// body and the app's App Secret.
func VerifyMeta(appSecret, header string, body []byte) error {
	if appSecret == "" {
		return ErrNoSecret
	}
	sig, err := ParseMetaSignature(header)
	if err != nil {
		return err
	}
	if !hmac.Equal(sig, mac(appSecret, body)) {
		return ErrSignatureMismatch
	}
	return nil
}

// MetaEscapeUnicode rewrites every non-ASCII character of a JSON document as
// a \uXXXX escape with lowercase hex digits (a surrogate pair above U+FFFF),
// which is how Meta serialises the payloads it signs: "we generate the
// signature using an escaped unicode version of the payload, with lowercase
// hex digits" (Getting Started, "Validating Payloads"). The result is
// equivalent JSON, since non-ASCII may only appear inside strings. Invalid
// UTF-8 bytes are kept as they are.
func MetaEscapeUnicode(body []byte) []byte {
	const hexDigits = "0123456789abcdef"
	out := make([]byte, 0, len(body))
	esc := func(r rune) {
		out = append(out, '\\', 'u',
			hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
	}
	for i := 0; i < len(body); {
		c := body[i]
		if c < utf8.RuneSelf {
			out = append(out, c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(body[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			out = append(out, c)
		case r > 0xffff:
			r -= 0x10000
			esc(0xd800 + (r>>10)&0x3ff)
			esc(0xdc00 + r&0x3ff)
		default:
			esc(r)
		}
		i += size
	}
	return out
}
