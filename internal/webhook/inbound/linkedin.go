package inbound

import (
	"crypto/hmac"
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
// challengeCode (a UUID): body is
// {"challengeCode":"...","challengeResponse":"<hex>"} to return with 200 and
// Content-Type application/json. It returns ErrNoSecret when no client
// secret is configured, and ErrChallengeMissing, ErrChallengeTooLong or
// ErrChallengeMalformed when the code is not a UUID (see
// ValidLinkedInChallengeCode: the answer is an HMAC under the secret that
// signs push events, so it must never be computed over attacker-chosen text).
func LinkedInChallenge(q url.Values, clientSecret string) (body []byte, err error) {
	if clientSecret == "" {
		return nil, ErrNoSecret
	}
	code := q.Get("challengeCode")
	if err := ValidLinkedInChallengeCode(code); err != nil {
		return nil, err
	}
	// A struct of two strings always marshals.
	return json.Marshal(linkedInChallengeBody{
		ChallengeCode:     code,
		ChallengeResponse: LinkedInChallengeResponse(clientSecret, code),
	})
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
// MAC: 64 hex digits (either case). The docs give the header's value as the
// hash itself; a leading "hmacsha256=" (case-insensitive) is tolerated
// because the same sentence can be read as putting the prefix in the header,
// and stripping it changes nothing about what must be MACed: the message is
// always "hmacsha256=" + body (see VerifyLinkedIn).
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
// Only the documented message is accepted: "you must compute the signature
// on the POST body prefixed by hmacsha256= using the HMACSHA256 hashing
// algorithm and your clientSecret"
// (https://learn.microsoft.com/en-us/linkedin/shared/api-guide/webhook-validation,
// "Requirements for Processing Notifications"). A MAC of the bare body is
// refused: it is exactly what the challenge endpoint computes over its
// challengeCode, so accepting it made every challenge answer a potential
// push-event signature.
func VerifyLinkedIn(clientSecret, header string, body []byte) error {
	if clientSecret == "" {
		return ErrNoSecret
	}
	sig, err := ParseLinkedInSignature(header)
	if err != nil {
		return err
	}
	if !hmac.Equal(sig, mac(clientSecret, []byte(linkedInSigPrefix), body)) {
		return ErrSignatureMismatch
	}
	return nil
}
