package inbound

import (
	"crypto/hmac"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
)

// X (Twitter) Account Activity API and V2 webhooks:
// https://developer.x.com/en/docs/x-api/enterprise/account-activity-api/guides/securing-webhooks
// and https://docs.x.com/x-api/webhooks/quickstart ("The CRC check",
// "Securing webhooks"). Both the CRC answer and the request signature are
// "sha256=" + base64(HMAC-SHA256(consumer secret, message)), keyed with the
// app's consumer secret (API secret key), never a bearer or access token.

// HeaderXSignature carries "sha256=" + base64 HMAC-SHA256 of the raw body.
const HeaderXSignature = "X-Twitter-Webhooks-Signature"

const xSigPrefix = "sha256="

// XCRCResponseToken returns the response_token for a CRC: "sha256=" +
// base64(HMAC-SHA256(consumerSecret, crcToken)); the crc_token is the message
// and the consumer secret the key. It is the same function as SignX, so it
// must only ever be applied to a token that passed ValidXCRCToken (XCRC
// does); emulators and tests use it directly to check answers.
func XCRCResponseToken(consumerSecret, crcToken string) string {
	return xSigPrefix + base64.StdEncoding.EncodeToString(mac(consumerSecret, []byte(crcToken)))
}

// xCRCBody is the JSON X expects back from a CRC GET, with a 200.
type xCRCBody struct {
	ResponseToken string `json:"response_token"`
}

// XCRC answers X's challenge-response check, a GET carrying crc_token: body
// is the JSON {"response_token":"sha256=..."} to return with status 200 and
// Content-Type application/json. It returns ErrNoSecret when no consumer
// secret is configured, and ErrChallengeMissing, ErrChallengeTooLong or
// ErrChallengeMalformed when the token is not one X would send (see
// ValidXCRCToken: anything else would turn the CRC into a signing oracle).
func XCRC(q url.Values, consumerSecret string) (body []byte, err error) {
	if consumerSecret == "" {
		return nil, ErrNoSecret
	}
	token := q.Get("crc_token")
	if err := ValidXCRCToken(token); err != nil {
		return nil, err
	}
	// A struct of one string always marshals.
	return json.Marshal(xCRCBody{ResponseToken: XCRCResponseToken(consumerSecret, token)})
}

// VerifyXCRCResponse checks a CRC answer as X does (for the X emulator and
// tests): body must be JSON whose response_token equals, in constant time,
// the expected token for crcToken.
func VerifyXCRCResponse(consumerSecret, crcToken string, body []byte) error {
	if consumerSecret == "" {
		return ErrNoSecret
	}
	var got xCRCBody
	if err := json.Unmarshal(body, &got); err != nil || got.ResponseToken == "" {
		return ErrMalformedSignature
	}
	if !hmac.Equal([]byte(got.ResponseToken), []byte(XCRCResponseToken(consumerSecret, crcToken))) {
		return ErrSignatureMismatch
	}
	return nil
}

// SignX returns the x-twitter-webhooks-signature value X sends for body.
func SignX(consumerSecret string, body []byte) string {
	return xSigPrefix + base64.StdEncoding.EncodeToString(mac(consumerSecret, body))
}

// ParseXSignature decodes an x-twitter-webhooks-signature value into the
// 32-byte MAC: "sha256=" (case-insensitive) then standard, padded base64.
func ParseXSignature(header string) ([]byte, error) {
	h := strings.TrimSpace(header)
	if h == "" {
		return nil, ErrMissingSignature
	}
	rest, ok := cutPrefixFold(h, xSigPrefix)
	if !ok || len(rest) != base64.StdEncoding.EncodedLen(32) {
		return nil, ErrMalformedSignature
	}
	sig, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(sig) != 32 {
		return nil, ErrMalformedSignature
	}
	return sig, nil
}

// VerifyX checks header (the x-twitter-webhooks-signature value) against the
// raw body and the app's consumer secret.
func VerifyX(consumerSecret, header string, body []byte) error {
	if consumerSecret == "" {
		return ErrNoSecret
	}
	sig, err := ParseXSignature(header)
	if err != nil {
		return err
	}
	if !hmac.Equal(sig, mac(consumerSecret, body)) {
		return ErrSignatureMismatch
	}
	return nil
}
