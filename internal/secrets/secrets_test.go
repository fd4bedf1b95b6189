package secrets

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func ring(t *testing.T, entries ...string) *KeyRing {
	t.Helper()
	r, err := ParseKeyRing(strings.Join(entries, ","))
	if err != nil {
		t.Fatalf("ParseKeyRing: %v", err)
	}
	return r
}

func newEntry(t *testing.T, at time.Time) string {
	t.Helper()
	e, err := GenerateKey(at)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestSealOpenRoundTripBoundToRow(t *testing.T) {
	r := ring(t, newEntry(t, time.Unix(1, 0)))
	sealed, err := r.Seal([]byte("EAAB-token"), []byte("acct_1"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("EAAB-token")) {
		t.Fatal("plaintext visible in sealed value")
	}
	got, err := r.Open(sealed, []byte("acct_1"))
	if err != nil || string(got) != "EAAB-token" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	// A ciphertext copied to another row must not open there.
	if _, err := r.Open(sealed, []byte("acct_2")); !errors.Is(err, ErrOpen) {
		t.Fatalf("open under another row id: err = %v, want ErrOpen", err)
	}
	// Any flipped byte is detected.
	for i := range sealed {
		bad := bytes.Clone(sealed)
		bad[i] ^= 0x01
		if _, err := r.Open(bad, []byte("acct_1")); err == nil {
			t.Fatalf("tampered byte %d opened", i)
		}
	}
}

func TestRotation(t *testing.T) {
	old := newEntry(t, time.Unix(1, 0))
	r1 := ring(t, old)
	sealed, _ := r1.Seal([]byte("secret"), []byte("row"))

	r2 := ring(t, old, newEntry(t, time.Unix(2, 0)))
	if !r2.NeedsRotation(sealed) {
		t.Fatal("value under the old key should need rotation")
	}
	resealed, err := r2.Reseal(sealed, []byte("row"))
	if err != nil {
		t.Fatal(err)
	}
	if r2.NeedsRotation(resealed) {
		t.Fatal("resealed value still under the old key")
	}
	if id, _ := KeyID(resealed); id != r2.CurrentKeyID() {
		t.Fatalf("key id = %q, want %q", id, r2.CurrentKeyID())
	}
	// Once the old key leaves the ring, only resealed values open.
	r3 := ring(t, strings.Split(newEntry(t, time.Unix(3, 0)), ",")[0])
	if _, err := r3.Open(sealed, []byte("row")); err == nil {
		t.Fatal("opened with a key that is not in the ring")
	}
}

func TestParseKeyRingErrors(t *testing.T) {
	for _, spec := range []string{
		"",
		"nokey",
		"k1:not-base64!!",
		"k1:AAAA",
		"bad id:" + strings.Repeat("A", 44),
		"k1:" + strings.Repeat("A", 43) + "=,k1:" + strings.Repeat("A", 43) + "=",
	} {
		if _, err := ParseKeyRing(spec); err == nil {
			t.Errorf("ParseKeyRing(%q) accepted", spec)
		} else if strings.Contains(err.Error(), strings.Repeat("A", 10)) {
			t.Errorf("error leaks key material: %v", err)
		}
	}
}

func FuzzOpen(f *testing.F) {
	r, err := ParseKeyRing("k1:" + strings.Repeat("A", 43) + "=")
	if err != nil {
		f.Fatal(err)
	}
	good, _ := r.Seal([]byte("x"), []byte("row"))
	f.Add(good)
	f.Add([]byte{1, 2, 'k', '1'})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, sealed []byte) {
		// Only the genuine ciphertext opens; GCM makes a forgery infeasible.
		if _, err := r.Open(sealed, []byte("row")); err == nil && !bytes.Equal(sealed, good) {
			t.Fatalf("forged value opened")
		}
	})
}
