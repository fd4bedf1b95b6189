package connect

import (
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/secrets"
)

func testRing(t testing.TB) *secrets.KeyRing {
	spec, err := secrets.GenerateKey(time.Unix(1700000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	r, err := secrets.ParseKeyRing(spec)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// FuzzParseState: whatever arrives in ?state=, the parser returns the id of
// a state this ring sealed, or an error — never another id, never a panic.
func FuzzParseState(f *testing.F) {
	keys := testRing(f)
	good, err := makeState(keys, "cs_0193aa")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add("")
	f.Add("cs_0193aa")
	f.Add(good[:len(good)-1] + "A")
	f.Add("!!!!")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := parseState(keys, s)
		if err != nil {
			return
		}
		if s != good || id != "cs_0193aa" {
			t.Fatalf("accepted %q as %q", s, id)
		}
	})
}
