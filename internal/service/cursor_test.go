package service

import (
	"testing"
)

// FuzzDecodeCursor feeds arbitrary cursors to both cursor parsers: no input
// panics, and whatever decodes re-encodes to a cursor that decodes the same.
func FuzzDecodeCursor(f *testing.F) {
	f.Add(encodeCursor(inboxCursor{V: 1, Accounts: map[string]accountSeek{"acct_1": {Cursor: "QVFIUj", Skip: 3}}}))
	f.Add("eyJ2IjoxfQ")
	f.Add("")
	f.Add("!!!")
	f.Add(nextOffset(0, 30, 25))
	f.Fuzz(func(t *testing.T, s string) {
		if c, err := decodeCursor(s); err == nil {
			again, err := decodeCursor(encodeCursor(c))
			if err != nil || len(again.Accounts) != len(c.Accounts) {
				t.Fatalf("cursor %q does not survive a round trip", s)
			}
		}
		if n, err := offsetCursor(s); err == nil && (n < 0 || n > 1_000_000) {
			t.Fatalf("offset %d out of range from %q", n, s)
		}
	})
}
