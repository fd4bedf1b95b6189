// Package convid encodes and decodes public conversation ids: `sapi_dm_` and
// the unpadded base64url of a versioned (account id, native thread id) pair.
//
// An id is only a pointer. It carries no organisation and grants nothing: the
// domain layer resolves the account within the caller's organisation and
// answers 404 when it is not there.
package convid

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"
	"unicode/utf8"
)

// Prefix starts every conversation id.
const Prefix = "sapi_dm_"

// version1 layout: 0x01 | uvarint(len(account)) | account | thread.
const version1 = 0x01

// Limits keep decoding cheap and ids usable in URLs.
const (
	maxAccountLen = 64
	maxThreadLen  = 512
)

// ErrInvalid is returned for anything that is not a well-formed id.
var ErrInvalid = errors.New("convid: not a valid conversation id")

// printable rejects invalid UTF-8 and control characters: no platform uses
// them in ids, and they would only serve to smuggle bytes into logs and URLs.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// Encode returns the public id for a thread of an account.
func Encode(accountID, threadID string) string {
	buf := make([]byte, 0, 1+binary.MaxVarintLen64+len(accountID)+len(threadID))
	buf = append(buf, version1)
	buf = binary.AppendUvarint(buf, uint64(len(accountID)))
	buf = append(buf, accountID...)
	buf = append(buf, threadID...)
	return Prefix + base64.RawURLEncoding.EncodeToString(buf)
}

// Decode splits a public id into its account id and native thread id.
func Decode(id string) (accountID, threadID string, err error) {
	rest, ok := strings.CutPrefix(id, Prefix)
	if !ok || len(rest) > 4*(maxAccountLen+maxThreadLen+16)/3 {
		return "", "", ErrInvalid
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(rest)
	if err != nil || len(raw) < 2 || raw[0] != version1 {
		return "", "", ErrInvalid
	}
	n, w := binary.Uvarint(raw[1:])
	if w <= 0 || n == 0 || n > maxAccountLen {
		return "", "", ErrInvalid
	}
	body := raw[1+w:]
	if uint64(len(body)) < n {
		return "", "", ErrInvalid
	}
	accountID, threadID = string(body[:n]), string(body[n:])
	if threadID == "" || len(threadID) > maxThreadLen || !printable(accountID) || !printable(threadID) {
		return "", "", ErrInvalid
	}
	// The encoding must be canonical, so one conversation has exactly one id.
	if Encode(accountID, threadID) != id {
		return "", "", ErrInvalid
	}
	return accountID, threadID, nil
}
