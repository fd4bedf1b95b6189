package inbound

import "errors"

// Handshake tokens (Meta's hub.challenge, X's crc_token, LinkedIn's
// challengeCode) arrive from anyone who can reach the public GET endpoints.
// X and LinkedIn answer with an HMAC of the token under the same secret that
// signs their POST bodies, so an endpoint that MACs any token is a signing
// oracle: GET /webhooks/x?crc_token=<a forged DM as JSON> would hand back
// that DM's valid x-twitter-webhooks-signature. Each validator below
// therefore admits only the shape the platform sends, from an alphabet that
// contains none of `{ [ "`, so no token can be a JSON object, the only kind
// of body the parsers turn into an event, nor LinkedIn's signed message
// ("hmacsha256=" + body), whose body part is such an object.

// MaxChallenge bounds Meta's hub.challenge and X's crc_token. The real ones
// are tens of bytes (Meta documents an int; X's are random opaque tokens,
// e.g. 36 characters in X's own sample); anything longer is refused with
// ErrChallengeTooLong before it is echoed or MACed.
const MaxChallenge = 128

// linkedInCodeLen is the length of a canonical UUID, 8-4-4-4-12 hex digits.
const linkedInCodeLen = 36

// Errors returned by the handshake functions; use errors.Is.
var (
	// ErrChallengeMissing: the challenge parameter is absent or empty.
	ErrChallengeMissing = errors.New("inbound: challenge missing")
	// ErrChallengeTooLong: the challenge is longer than the platform sends.
	ErrChallengeTooLong = errors.New("inbound: challenge too long")
	// ErrChallengeMalformed: the challenge is not of the platform's shape.
	ErrChallengeMalformed = errors.New("inbound: challenge malformed")
	// ErrVerifyToken: Meta's hub.mode is not "subscribe" or its
	// hub.verify_token is not the configured one.
	ErrVerifyToken = errors.New("inbound: verify token mismatch")
)

// opaqueByte reports whether c may appear in an opaque handshake token:
// ASCII letters and digits, the URL-unreserved "-._~" and base64's "+/=".
// That covers integers (Meta), UUIDs and base64 or base64url strings (what
// random tokens are made of) while excluding every byte JSON needs to open
// an object, an array or a string, as well as spaces, quotes and markup.
func opaqueByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '-', '.', '_', '~', '+', '/', '=':
		return true
	}
	return false
}

// validOpaque checks a token of at most max opaque bytes. The alphabet is
// checked before the length so a forged body is reported as what it is,
// whatever its size.
func validOpaque(s string, max int) error {
	if s == "" {
		return ErrChallengeMissing
	}
	for i := 0; i < len(s); i++ {
		if !opaqueByte(s[i]) {
			return ErrChallengeMalformed
		}
	}
	if len(s) > max {
		return ErrChallengeTooLong
	}
	return nil
}

// ValidMetaChallenge checks a hub.challenge before it is echoed. Meta
// documents it as "An int you must pass back to us"
// (https://developers.facebook.com/docs/graph-api/webhooks/getting-started#verification-requests);
// any bounded opaque token is accepted so a change of format on Meta's side
// does not break subscriptions, while markup, quotes and spaces are refused.
func ValidMetaChallenge(s string) error { return validOpaque(s, MaxChallenge) }

// ValidXCRCToken checks a crc_token before it is MACed. X sends a random
// token that "should be expected to change for each incoming CRC request"
// (https://developer.x.com/en/docs/x-api/enterprise/account-activity-api/guides/securing-webhooks;
// https://docs.x.com/x-api/webhooks/quickstart, "The CRC check") and
// documents no alphabet, so any bounded opaque token (base64, base64url,
// UUID) is accepted, and nothing that could be a JSON document's opening:
// the CRC answer sha256=base64(HMAC(consumer secret, crc_token)) is the very
// function that signs X's webhook bodies.
func ValidXCRCToken(s string) error { return validOpaque(s, MaxChallenge) }

// ValidLinkedInChallengeCode checks a challengeCode before it is MACed.
// LinkedIn documents it as a "Randomly generated type-4 UUID string created
// by LinkedIn", e.g. 890e4665-4dfe-4ab1-b689-ed553bceeed0
// (https://learn.microsoft.com/en-us/linkedin/shared/api-guide/webhook-validation,
// "Fields" and "Validating the Webhook Endpoint"), so only the canonical
// 8-4-4-4-12 hex form is accepted (either case; the version nibble is not
// checked, which costs nothing: no UUID can spell "hmacsha256={").
func ValidLinkedInChallengeCode(s string) error {
	if s == "" {
		return ErrChallengeMissing
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c == '-' || hexDigit(c)) {
			return ErrChallengeMalformed
		}
	}
	if len(s) > MaxChallenge {
		return ErrChallengeTooLong
	}
	if len(s) != linkedInCodeLen {
		return ErrChallengeMalformed
	}
	for i := 0; i < len(s); i++ {
		hyphen := i == 8 || i == 13 || i == 18 || i == 23
		if hyphen != (s[i] == '-') {
			return ErrChallengeMalformed
		}
	}
	return nil
}

func hexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
