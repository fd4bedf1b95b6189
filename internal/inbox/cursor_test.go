package inbox

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/secrets"
)

func testKeys(tb testing.TB) *secrets.KeyRing {
	tb.Helper()
	entry, err := secrets.GenerateKey(time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC))
	if err != nil {
		tb.Fatal(err)
	}
	keys, err := secrets.ParseKeyRing(entry)
	if err != nil {
		tb.Fatal(err)
	}
	return keys
}

// FuzzDecodeCursor feeds arbitrary cursors to every cursor parser: no input
// panics, none opens as a sealed cursor, and whatever parses as an inbox
// cursor's payload survives a round trip. (The journal's offsets are
// fuzzed in package journal.)
func FuzzDecodeCursor(f *testing.F) {
	s := New(domain.Deps{Keys: testKeys(f)}, Config{})
	valid, err := s.encodeCursor("org_1", Cursor{V: 1, Accounts: map[string]Seek{"acct_1": {Cursor: "QVFIUj", Skip: 3}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add("eyJ2IjoxfQ")
	f.Add(`{"v":1,"a":{"acct_1":{"c":"x","s":2}}}`)
	f.Add("")
	f.Add("!!!")
	f.Fuzz(func(t *testing.T, in string) {
		if in != "" && in != valid {
			if _, err := s.decodeCursor("org_1", in); !apierr.HasCode(err, "validation.invalid_cursor") {
				t.Fatalf("cursor %q: %v, want validation.invalid_cursor", in, err)
			}
		}
		if c, err := ParseCursor([]byte(in)); err == nil {
			b, _ := json.Marshal(c)
			again, err := ParseCursor(b)
			if err != nil || len(again.Accounts) != len(c.Accounts) {
				t.Fatalf("cursor %q does not survive a round trip", in)
			}
		}
	})
}

func TestSealedCursorsAreBoundToTheirList(t *testing.T) {
	t.Parallel()
	s := New(domain.Deps{Keys: testKeys(t)}, Config{})
	c, err := s.encodeCursor("org_a", Cursor{V: 1, Accounts: map[string]Seek{"acct_1": {Cursor: "after-7"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.decodeCursor("org_a", c); err != nil || got.Accounts["acct_1"].Cursor != "after-7" {
		t.Fatalf("own cursor: %+v %v", got, err)
	}
	// Another organisation, another list, or one flipped character: refused.
	if _, err := s.decodeCursor("org_b", c); !apierr.HasCode(err, "validation.invalid_cursor") {
		t.Fatalf("another organisation's cursor: %v", err)
	}
	if _, err := s.openCursor("messages\x00acct_1\x00t", c); !apierr.HasCode(err, "validation.invalid_cursor") {
		t.Fatalf("another list's cursor: %v", err)
	}
	flipped := []byte(c)
	flipped[len(flipped)/2] ^= 1
	if _, err := s.decodeCursor("org_a", string(flipped)); !apierr.HasCode(err, "validation.invalid_cursor") {
		t.Fatalf("tampered cursor: %v", err)
	}
}
