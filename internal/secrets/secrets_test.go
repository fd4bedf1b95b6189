package secrets

import (
	"bytes"
	"encoding/base64"
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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

// TestSealIsRandomised: GCM must never reuse a nonce under one key — two
// tokens sealed under the same nonce leak their XOR and let the key's
// authentication be forged. Sealing the same value twice for the same row
// therefore gives different nonces and different ciphertexts, both opening.
func TestSealIsRandomised(t *testing.T) {
	t.Parallel()
	r := ring(t, newEntry(t, time.Unix(1, 0)))
	const n = 64
	nonces := map[string]bool{}
	bodies := map[string]bool{}
	for range n {
		sealed, err := r.Seal([]byte("EAAB-token"), []byte("acct_1"))
		if err != nil {
			t.Fatal(err)
		}
		head := 2 + len(r.CurrentKeyID())
		nonces[string(sealed[head:head+12])] = true
		bodies[string(sealed[head+12:])] = true
		if got, err := r.Open(sealed, []byte("acct_1")); err != nil || string(got) != "EAAB-token" {
			t.Fatalf("Open = %q, %v", got, err)
		}
	}
	if len(nonces) != n || len(bodies) != n {
		t.Fatalf("%d sealings gave %d distinct nonces and %d distinct ciphertexts", n, len(nonces), len(bodies))
	}
	if _, ok := nonces[string(make([]byte, 12))]; ok {
		t.Fatal("an all-zero nonce was used")
	}
}

// TestOpenChecksAssociatedData: the row id is bound to the value, whatever
// the difference — another id, a prefix of it, an extension, or none.
func TestOpenChecksAssociatedData(t *testing.T) {
	t.Parallel()
	r := ring(t, newEntry(t, time.Unix(1, 0)))
	sealed, err := r.Seal([]byte("secret"), []byte("whep_123"))
	if err != nil {
		t.Fatal(err)
	}
	for _, aad := range []string{"", "whep_12", "whep_1234", "WHEP_123", "acct_123"} {
		if _, err := r.Open(sealed, []byte(aad)); !errors.Is(err, ErrOpen) {
			t.Errorf("opened under associated data %q: %v", aad, err)
		}
	}
	if _, err := r.Reseal(sealed, []byte("acct_123")); !errors.Is(err, ErrOpen) {
		t.Errorf("resealed under another row: %v", err)
	}
}

// TestParseKeyRingRequiresAES256: keys are exactly 32 bytes. A shorter key
// would still make a working AES cipher (AES-128 or AES-192) and weaken the
// ring silently.
func TestParseKeyRingRequiresAES256(t *testing.T) {
	t.Parallel()
	for _, n := range []int{16, 24, 31, 33, 48, 64} {
		key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, n))
		if _, err := ParseKeyRing("k1:" + key); err == nil {
			t.Errorf("a %d-byte key was accepted", n)
		}
	}
	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	if _, err := ParseKeyRing("k1:" + key); err != nil {
		t.Fatalf("a 32-byte key was refused: %v", err)
	}
}

// MAC keys are per purpose, stable for a ring, current key first, and
// never the sealing key itself.
func TestMACKeys(t *testing.T) {
	a, b := newEntry(t, time.Unix(1, 0)), newEntry(t, time.Unix(2, 0))
	old, rotated := ring(t, a), ring(t, a, b)
	m1, m2 := old.MACKeys("media url"), rotated.MACKeys("media url")
	if len(m1) != 1 || len(m2) != 2 || len(m1[0]) != 32 {
		t.Fatalf("key counts %d, %d", len(m1), len(m2))
	}
	if !bytes.Equal(m2[1], m1[0]) || bytes.Equal(m2[0], m1[0]) {
		t.Fatal("after rotation the new key must sign and the old one still verify")
	}
	if bytes.Equal(old.MACKeys("other")[0], m1[0]) {
		t.Fatal("two purposes share a MAC key")
	}
	raw, _ := base64.StdEncoding.DecodeString(strings.SplitN(a, ":", 2)[1])
	if bytes.Equal(raw, m1[0]) {
		t.Fatal("the MAC key is the sealing key")
	}
	if !bytes.Equal(ring(t, a).MACKeys("media url")[0], m1[0]) {
		t.Fatal("MAC keys differ between two parses of one ring")
	}
}
