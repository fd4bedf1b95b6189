package graphemu

import (
	"encoding/base64"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/platform"
)

// Ids look like Meta's so that code which only ever saw the emulator does
// not break on real ones:
//   - Messenger threads "t_" + digits, messages "m_" + base64url
//     (conversation schema example "t_100001234567890"; webhook `mid` values
//     "m_…", https://developers.facebook.com/docs/messenger-platform/webhooks);
//   - Instagram threads and messages are base64 of an "ig_…" key, hence the
//     "aWdf" prefix of real ones (see the examples in
//     https://developers.facebook.com/docs/instagram-platform/instagram-api-with-instagram-login/conversations-api).
//
// All randomness comes from the seeded source, so a fixed seed gives fixed
// ids (golden files rely on it).

const digits = "0123456789"

func (e *Emulator) numericID(n int) string {
	var b strings.Builder
	b.WriteByte(digits[1+e.kit.Rand().IntN(9)])
	for i := 1; i < n; i++ {
		b.WriteByte(digits[e.kit.Rand().IntN(10)])
	}
	return b.String()
}

func (e *Emulator) randomBytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(e.kit.Rand().UintN(256))
	}
	return b
}

func (e *Emulator) threadID(acc *account) string {
	if acc.Platform == platform.Instagram {
		key := "ig_message_thread:1:IGMessageThread:" + acc.ID + ":" + e.numericID(38)
		return base64.RawURLEncoding.EncodeToString([]byte(key))
	}
	return "t_" + e.numericID(17)
}

func (e *Emulator) messageID(acc *account) string {
	if acc.Platform == platform.Instagram {
		key := "ig_message_item:1:IGMessage:" + acc.ID + ":" + e.numericID(38) + ":" + e.numericID(20)
		return base64.RawURLEncoding.EncodeToString([]byte(key))
	}
	return "m_" + base64.RawURLEncoding.EncodeToString(e.randomBytes(63))
}

// traceID mimics fbtrace_id values such as "A9C5BFZGYCvRghcFEHTjgpC".
func (e *Emulator) traceID() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var b strings.Builder
	b.WriteByte('A')
	for i := 0; i < 22; i++ {
		b.WriteByte(alphabet[e.kit.Rand().IntN(len(alphabet))])
	}
	return b.String()
}

// Cursors are opaque to clients. Ours point at an item id, so a page stays
// stable when other items are added, and look like Graph's "QVFI…" ones.
const cursorPrefix = "AQH:"

func encodeCursor(id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + id))
}

func decodeCursor(c string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || !strings.HasPrefix(string(b), cursorPrefix) {
		return "", false
	}
	return strings.TrimPrefix(string(b), cursorPrefix), true
}

// graphTime is Graph's date format, e.g. "2024-02-13T18:21:13+0000".
func graphTime(t time.Time) string { return t.UTC().Format(graphTimeLayout) }

const graphTimeLayout = "2006-01-02T15:04:05-0700"
