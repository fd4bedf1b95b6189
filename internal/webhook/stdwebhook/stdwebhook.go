// Package stdwebhook signs Parley's outbound webhooks exactly as the Standard
// Webhooks specification prescribes, so any off-the-shelf verifier accepts them.
//
// Spec: https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
// ("Signature scheme", "Webhook headers", "Verifying signatures"). In short:
//
//   - secrets are random, 24–64 bytes ("At least 24 bytes (192 bits, 512
//     maximum)"), shown to users as "whsec_" + base64;
//   - the signed content is "{msg_id}.{timestamp}.{payload}", the timestamp
//     being integer unix seconds;
//   - the signature is base64(HMAC-SHA256(secret, content)), prefixed by the
//     version identifier "v1,";
//   - headers webhook-id, webhook-timestamp, webhook-signature; the latter is a
//     space-delimited list so an endpoint can be signed with the old and the
//     new secret during rotation;
//   - verifiers compare in constant time and enforce a timestamp tolerance.
//
// Everything here is pure: no package-level mutable state.
package stdwebhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names from the spec's "Webhook headers" section. They are written in
// the spec's lower case; HTTP header names are case-insensitive, and net/http
// canonicalises them (Webhook-Id) on the wire, which every verifier accepts.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix identifies a symmetric Standard Webhooks secret ("Secret
// serialization" row of the spec's comparison table).
const SecretPrefix = "whsec_"

// Secret sizes in bytes: the spec demands at least 24 bytes (192 bits) and at
// most 512 bits. NewSecret uses 32, the size of the HMAC-SHA256 block's
// natural key length and what most producers issue.
const (
	MinSecretBytes     = 24
	MaxSecretBytes     = 64
	DefaultSecretBytes = 32
)

// DefaultTolerance is the timestamp tolerance the reference libraries use
// (5 minutes, e.g. WEBHOOK_TOLERANCE_IN_SECONDS in the JavaScript library).
const DefaultTolerance = 5 * time.Minute

// versionV1 is the signature identifier for symmetric (HMAC-SHA256)
// signatures; asymmetric ones use "v1a", which Parley does not issue.
const versionV1 = "v1"

// Errors returned by ParseSecret and Verify. They are sentinels so callers can
// use errors.Is; Verify wraps them with detail.
var (
	// ErrInvalidSecret: not "whsec_" + standard base64, or outside 24–64 bytes.
	ErrInvalidSecret = errors.New("stdwebhook: invalid secret")
	// ErrMissingHeaders: webhook-id, webhook-timestamp or webhook-signature absent.
	ErrMissingHeaders = errors.New("stdwebhook: missing required headers")
	// ErrInvalidTimestamp: webhook-timestamp is not integer unix seconds.
	ErrInvalidTimestamp = errors.New("stdwebhook: invalid webhook-timestamp")
	// ErrTimestampTooOld: the attempt is older than the tolerance (replay).
	ErrTimestampTooOld = errors.New("stdwebhook: message timestamp too old")
	// ErrTimestampTooNew: the attempt is further in the future than the tolerance.
	ErrTimestampTooNew = errors.New("stdwebhook: message timestamp too new")
	// ErrNoMatchingSignature: no v1 signature in the header matches.
	ErrNoMatchingSignature = errors.New("stdwebhook: no matching signature found")
)

// NewSecret returns a fresh secret of DefaultSecretBytes random bytes, in the
// "whsec_" + base64 form users paste into their verifier.
func NewSecret() (string, error) {
	key := make([]byte, DefaultSecretBytes)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("stdwebhook: reading random bytes: %w", err)
	}
	return FormatSecret(key), nil
}

// FormatSecret serialises raw key bytes as "whsec_" + standard base64.
func FormatSecret(key []byte) string {
	return SecretPrefix + base64.StdEncoding.EncodeToString(key)
}

// ParseSecret decodes a "whsec_" secret into its raw key bytes. The prefix is
// optional, as in the reference libraries (which strip it when present), so a
// user pasting the bare base64 part still works; the decoded key must be
// 24–64 bytes long.
func ParseSecret(s string) ([]byte, error) {
	enc := strings.TrimPrefix(strings.TrimSpace(s), SecretPrefix)
	key, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return nil, fmt.Errorf("%w: not base64", ErrInvalidSecret)
	}
	if len(key) < MinSecretBytes || len(key) > MaxSecretBytes {
		return nil, fmt.Errorf("%w: %d bytes, want %d–%d", ErrInvalidSecret, len(key), MinSecretBytes, MaxSecretBytes)
	}
	return key, nil
}

// sign returns the base64 HMAC-SHA256 of "id.timestamp.body" under key,
// without the version prefix.
func sign(key []byte, id string, unix int64, body []byte) string {
	mac := hmac.New(sha256.New, key)
	// hash.Hash writes never fail.
	mac.Write([]byte(id))
	mac.Write([]byte{'.'})
	mac.Write(strconv.AppendInt(nil, unix, 10))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Sign returns the webhook-signature header value for one delivery attempt:
// one "v1,<base64>" entry per secret, space-separated. Pass the current secret
// and, during rotation, the previous one(s); a consumer holding any of them
// verifies the webhook.
//
// The id must be a Parley-generated message id: the spec warns that neither id
// nor timestamp may be user controlled or contain '.', since '.' delimits the
// signed content. ts is truncated to whole seconds, as sent in
// webhook-timestamp.
func Sign(secrets [][]byte, id string, ts time.Time, body []byte) string {
	var b strings.Builder
	unix := ts.Unix()
	for i, key := range secrets {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(versionV1)
		b.WriteByte(',')
		b.WriteString(sign(key, id, unix, body))
	}
	return b.String()
}

// Headers returns the three Standard Webhooks headers for one delivery
// attempt. Retries keep the same id (it is the consumer's idempotency key) but
// get a fresh ts, so they must be re-signed.
func Headers(secrets [][]byte, id string, ts time.Time, body []byte) http.Header {
	h := make(http.Header, 3)
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, Sign(secrets, id, ts, body))
	return h
}

// Signature is one entry of a webhook-signature header.
type Signature struct {
	Version string // "v1" for HMAC-SHA256, "v1a" for ed25519, or anything newer
	Value   string // the base64 signature, as sent
}

// ParseSignatureHeader splits webhook-signature values into their entries.
// Several header lines are treated as one space-delimited list. Entries
// without a comma are dropped: the reference verifiers skip them too.
func ParseSignatureHeader(values []string) []Signature {
	var sigs []Signature
	for _, v := range values {
		for _, entry := range strings.Fields(v) {
			version, value, ok := strings.Cut(entry, ",")
			if !ok {
				continue
			}
			sigs = append(sigs, Signature{Version: version, Value: value})
		}
	}
	return sigs
}

// ParseTimestamp parses webhook-timestamp: a non-negative integer of unix
// seconds, decimal digits only (no sign, no spaces, no fraction).
func ParseTimestamp(s string) (time.Time, error) {
	if s == "" || len(s) > 18 {
		// 18 digits keep the value far from int64 overflow; real timestamps
		// have 10.
		return time.Time{}, ErrInvalidTimestamp
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return time.Time{}, ErrInvalidTimestamp
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, ErrInvalidTimestamp
	}
	return time.Unix(n, 0), nil
}

// Verify checks a received webhook against secret, as a consumer would: all
// three headers present, the timestamp within tolerance of now (a
// non-positive tolerance means DefaultTolerance), and at least one v1
// signature equal, in constant time, to the expected one. It returns nil or
// an error wrapping one of the Err* sentinels.
func Verify(secret []byte, headers http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	if len(secret) == 0 {
		return fmt.Errorf("%w: empty", ErrInvalidSecret)
	}
	id := first(headerValues(headers, HeaderID))
	tsRaw := first(headerValues(headers, HeaderTimestamp))
	sigValues := headerValues(headers, HeaderSignature)
	if id == "" || tsRaw == "" || len(sigValues) == 0 {
		return ErrMissingHeaders
	}
	ts, err := ParseTimestamp(tsRaw)
	if err != nil {
		return err
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	// Same boundaries as the reference libraries: older than tolerance is
	// rejected, and so is more than tolerance ahead of now.
	if now.Sub(ts) > tolerance {
		return ErrTimestampTooOld
	}
	if ts.Sub(now) > tolerance {
		return ErrTimestampTooNew
	}
	expected := []byte(sign(secret, id, ts.Unix(), body))
	matched := 0
	for _, s := range ParseSignatureHeader(sigValues) {
		if s.Version != versionV1 {
			continue
		}
		// Keep looping after a match so the time taken does not reveal
		// which entry matched.
		matched |= subtle.ConstantTimeCompare([]byte(s.Value), expected)
	}
	if matched == 0 {
		return ErrNoMatchingSignature
	}
	return nil
}

// headerValues looks name up canonically (as net/http stores received
// headers) and, failing that, case-insensitively, so a hand-built
// http.Header{"webhook-id": ...} (the spec's spelling) verifies too.
func headerValues(h http.Header, name string) []string {
	if v := h.Values(name); len(v) > 0 {
		return v
	}
	for k, v := range h {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v
		}
	}
	return nil
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}
