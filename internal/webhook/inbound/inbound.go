// Package inbound verifies the webhooks platforms send to Parley (Meta's
// Instagram/Messenger/WhatsApp, X's Account Activity API, LinkedIn) and signs
// them the same way, for the platform emulators.
//
// Each platform has three pure pieces: the subscription handshake (Meta's
// hub.challenge echo, X's CRC, LinkedIn's challengeCode), the request
// signature check over the raw body, and a signer producing that signature.
// Every comparison is constant-time; nothing here keeps state, so the
// functions are safe for concurrent use. Sources are cited beside each rule.
package inbound

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// MaxBody bounds an inbound webhook body. Platform notifications are small
// JSON documents (Meta batches at most a few entries; X and LinkedIn send one
// event per request), so 1 MiB leaves ample headroom while refusing abuse.
const MaxBody int64 = 1 << 20

// Errors returned by ReadBody and the Verify functions; use errors.Is.
var (
	// ErrBodyTooLarge: the body exceeds the limit; answer 413.
	ErrBodyTooLarge = errors.New("inbound: request body too large")
	// ErrNoSecret: the platform secret is not configured. Verification fails
	// closed rather than accepting an HMAC keyed with the empty string.
	ErrNoSecret = errors.New("inbound: no secret configured")
	// ErrMissingSignature: the signature header is absent or empty.
	ErrMissingSignature = errors.New("inbound: missing signature header")
	// ErrMalformedSignature: the header is not in the platform's format.
	ErrMalformedSignature = errors.New("inbound: malformed signature header")
	// ErrSignatureMismatch: well-formed, but not the body's signature.
	ErrSignatureMismatch = errors.New("inbound: signature mismatch")
)

// ReadBody reads the whole request body, refusing more than max bytes (a
// non-positive max means MaxBody) with ErrBodyTooLarge. Signatures cover the
// raw bytes, so callers must verify what ReadBody returns, before any JSON
// decoding. A declared Content-Length over the limit is refused without
// reading; a body wrapped in http.MaxBytesReader that trips is reported the
// same way.
func ReadBody(r *http.Request, max int64) ([]byte, error) {
	if max <= 0 {
		max = MaxBody
	}
	if r.Body == nil || r.Body == http.NoBody {
		return []byte{}, nil
	}
	if r.ContentLength > max {
		return nil, ErrBodyTooLarge
	}
	// One byte past the limit tells "exactly max" from "more than max".
	b, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, ErrBodyTooLarge
		}
		return nil, fmt.Errorf("inbound: reading body: %w", err)
	}
	if int64(len(b)) > max {
		return nil, ErrBodyTooLarge
	}
	return b, nil
}

// mac returns HMAC-SHA256(key, parts...).
func mac(key string, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, []byte(key))
	for _, p := range parts {
		// hash.Hash writes never fail.
		m.Write(p)
	}
	return m.Sum(nil)
}

// cutPrefixFold removes prefix from s, matching it case-insensitively (ASCII).
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) {
		return s, false
	}
	for i := 0; i < len(prefix); i++ {
		a, b := s[i], prefix[i]
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if a != b {
			return s, false
		}
	}
	return s[len(prefix):], true
}
