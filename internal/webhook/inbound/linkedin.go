package inbound

import (
	"crypto/hmac"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strings"
)

// LinkedIn webhooks:
// https://learn.microsoft.com/en-us/linkedin/shared/api-guide/webhook-validation
// ("Validating the Webhook Endpoint", "Requirements for Processing
// Notifications"). Both the challenge answer and the push signature are
// hex-encoded HMAC-SHA256 keyed with the application's clientSecret.

// HeaderLinkedInSignature is the push-event signature header.
const HeaderLinkedInSignature = "X-LI-Signature"

// linkedInSigPrefix: the docs say the X-LI-Signature value "is the HMACSHA256
// hash of the JSON-encoded string representation of the POST body prefixed by
// hmacsha256=" and that the receiver "must compute the signature on the POST
// body prefixed by hmacsha256=". So the signed message is "hmacsha256=" +
// body, and the header is its hex digest.
const linkedInSigPrefix = "hmacsha256="

// LinkedInChallengeResponse returns challengeResponse =
// Hex-encoded(HMACSHA256(challengeCode, clientSecret)), the clientSecret
// being the key. When LinkedIn's GET also carries applicationId (parent-child
// apps), the caller picks that application's clientSecret.
func LinkedInChallengeResponse(clientSecret, challengeCode string) string {
	return hex.EncodeToString(mac(clientSecret, []byte(challengeCode)))
}

// linkedInChallengeBody is the JSON LinkedIn expects back, with a 200,
// Content-Type application/json, within 3 seconds.
type linkedInChallengeBody struct {
	ChallengeCode     string `json:"challengeCode"`
	ChallengeResponse string `json:"challengeResponse"`
}

// LinkedInChallenge answers LinkedIn's endpoint validation, a GET carrying
// challengeCode (a UUID): ok is true and body is
// {"challengeCode":"...","challengeResponse":"<hex>"} to return with 200 and
// Content-Type application/json. ok is false when the code is missing or out
// of bounds, or no client secret is configured.
func LinkedInChallenge(q url.Values, clientSecret string) (body []byte, ok bool) {
	code := q.Get("challengeCode")
	if clientSecret == "" || !validToken(code) {
		return nil, false
	}
	b, err := json.Marshal(linkedInChallengeBody{
		ChallengeCode:     code,
		ChallengeResponse: LinkedInChallengeResponse(clientSecret, code),
	})
	if err != nil {
		// A struct of two strings always marshals.
		return nil, false
	}
	return b, true
}

// VerifyLinkedInChallengeResponse checks a validation answer as LinkedIn does
// (for the LinkedIn emulator and tests): JSON echoing challengeCode, with a
// challengeResponse equal (hex, constant-time) to the expected one.
func VerifyLinkedInChallengeResponse(clientSecret, challengeCode string, body []byte) error {
	if clientSecret == "" {
		return ErrNoSecret
	}
	var got linkedInChallengeBody
	if err := json.Unmarshal(body, &got); err != nil || got.ChallengeCode != challengeCode {
		return ErrMalformedSignature
	}
	sig, err := hex.DecodeString(got.ChallengeResponse)
	if err != nil || len(sig) != 32 {
		return ErrMalformedSignature
	}
	if !hmac.Equal(sig, mac(clientSecret, []byte(challengeCode))) {
		return ErrSignatureMismatch
	}
	return nil
}

// SignLinkedIn returns the X-LI-Signature value for body as the docs describe
// it: hex(HMAC-SHA256(clientSecret, "hmacsha256=" + body)).
func SignLinkedIn(clientSecret string, body []byte) string {
	return hex.EncodeToString(mac(clientSecret, []byte(linkedInSigPrefix), body))
}

// ParseLinkedInSignature decodes an X-LI-Signature value into the 32-byte
// MAC: 64 hex digits (either case), optionally preceded by "hmacsha256="
// (case-insensitive), since some readings of the docs put the prefix in the
// header value rather than in the signed message.
func ParseLinkedInSignature(header string) ([]byte, error) {
	h := strings.TrimSpace(header)
	if h == "" {
		return nil, ErrMissingSignature
	}
	h, _ = cutPrefixFold(h, linkedInSigPrefix)
	if len(h) != 2*32 {
		return nil, ErrMalformedSignature
	}
	sig, err := hex.DecodeString(h)
	if err != nil {
		return nil, ErrMalformedSignature
	}
	return sig, nil
}

// VerifyLinkedIn checks header (the X-LI-Signature value) against the raw
// body and the app's clientSecret.
//
// The documented message is "hmacsha256=" + body. LinkedIn's wording is
// ambiguous and integrations in the wild also MAC the bare body, so a MAC of
// either message is accepted: both need the clientSecret, so this widens
// compatibility without letting anyone without the secret forge a request.
// Both MACs are always computed and compared so timing does not depend on
// which form matched.
func VerifyLinkedIn(clientSecret, header string, body []byte) error {
	if clientSecret == "" {
		return ErrNoSecret
	}
	sig, err := ParseLinkedInSignature(header)
	if err != nil {
		return err
	}
	documented := subtle.ConstantTimeCompare(sig, mac(clientSecret, []byte(linkedInSigPrefix), body))
	bare := subtle.ConstantTimeCompare(sig, mac(clientSecret, body))
	if documented|bare != 1 {
		return ErrSignatureMismatch
	}
	return nil
}
