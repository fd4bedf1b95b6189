// Package secrets seals platform tokens and webhook secrets at rest with
// AES-256-GCM under a key ring, so keys can be rotated without downtime.
//
// A sealed value records the id of the key that sealed it; callers pass the
// owning row's id as associated data, so a ciphertext copied into another row
// fails to open instead of silently impersonating it.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// sealVersion is the first byte of every sealed value; it lets the format
// change later without guessing.
const sealVersion = 1

var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// ErrOpen is returned when a sealed value cannot be opened: wrong row, tampered
// bytes, or a key that is no longer in the ring.
var ErrOpen = errors.New("secrets: cannot open sealed value")

// KeyRing holds every key that may open existing values; the newest one seals.
type KeyRing struct {
	keys    map[string]cipher.AEAD
	raw     map[string][]byte
	order   []string
	current string
}

// ParseKeyRing reads the PARLEY_SECRET_KEYS format: comma-separated
// `id:base64(32 bytes)` entries, oldest first. The last entry seals.
func ParseKeyRing(spec string) (*KeyRing, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, errors.New("secrets: no keys given (set PARLEY_SECRET_KEYS; `parley secrets generate` makes one)")
	}
	r := &KeyRing{keys: map[string]cipher.AEAD{}, raw: map[string][]byte{}}
	for _, entry := range strings.Split(spec, ",") {
		entry = strings.TrimSpace(entry)
		id, b64, ok := strings.Cut(entry, ":")
		if !ok || !keyIDPattern.MatchString(id) {
			return nil, fmt.Errorf("secrets: entry %q is not id:base64key (id of letters, digits, - or _)", redact(entry))
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			raw, err = base64.RawURLEncoding.DecodeString(b64)
		}
		if err != nil || len(raw) != 32 {
			return nil, fmt.Errorf("secrets: key %q must be 32 bytes, base64-encoded", id)
		}
		if _, dup := r.keys[id]; dup {
			return nil, fmt.Errorf("secrets: key id %q appears twice", id)
		}
		aead, err := newAEAD(raw)
		if err != nil {
			return nil, err
		}
		r.keys[id] = aead
		r.raw[id] = raw
		r.order = append(r.order, id)
		r.current = id
	}
	return r, nil
}

func redact(entry string) string {
	id, _, _ := strings.Cut(entry, ":")
	return id + ":…"
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// GenerateKey returns a new ring entry `id:base64key` for appending to
// PARLEY_SECRET_KEYS. The id is the creation time, for operators, and a
// random suffix, so two keys made in one second still differ.
func GenerateKey(now time.Time) (string, error) {
	key := make([]byte, 32+3)
	if _, err := rand.Read(key); err != nil {
		return "", err
	}
	return fmt.Sprintf("k%s-%x:%s", now.UTC().Format("20060102T150405"), key[32:], base64.StdEncoding.EncodeToString(key[:32])), nil
}

// CurrentKeyID is the id of the key that seals new values.
func (r *KeyRing) CurrentKeyID() string { return r.current }

// Seal encrypts plaintext under the current key, bound to aad (the row id).
// Layout: version(1) | len(keyID)(1) | keyID | nonce(12) | ciphertext+tag.
func (r *KeyRing) Seal(plaintext, aad []byte) ([]byte, error) {
	aead := r.keys[r.current]
	out := make([]byte, 0, 2+len(r.current)+aead.NonceSize()+len(plaintext)+aead.Overhead())
	out = append(out, sealVersion, byte(len(r.current)))
	out = append(out, r.current...)
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out = append(out, nonce...)
	return aead.Seal(out, nonce, plaintext, aad), nil
}

// KeyID reports which key sealed a value, without opening it.
func KeyID(sealed []byte) (string, error) {
	if len(sealed) < 2 || sealed[0] != sealVersion || len(sealed) < 2+int(sealed[1]) {
		return "", ErrOpen
	}
	return string(sealed[2 : 2+int(sealed[1])]), nil
}

// Open decrypts a value sealed by any key of the ring, checking aad.
func (r *KeyRing) Open(sealed, aad []byte) ([]byte, error) {
	id, err := KeyID(sealed)
	if err != nil {
		return nil, err
	}
	aead, ok := r.keys[id]
	if !ok {
		return nil, fmt.Errorf("%w: key %q is not in the ring", ErrOpen, id)
	}
	rest := sealed[2+len(id):]
	if len(rest) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrOpen
	}
	pt, err := aead.Open(nil, rest[:aead.NonceSize()], rest[aead.NonceSize():], aad)
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// MACKeys derives one 32-byte MAC key per key of the ring for a purpose
// (HKDF-SHA256, the purpose as info), the current key's first: a caller
// signs with the first and accepts any, so a signature made just before a
// rotation still verifies. A different purpose gives unrelated keys, so a
// MAC never doubles as another purpose's, nor reveals the sealing key.
func (r *KeyRing) MACKeys(purpose string) [][]byte {
	out := make([][]byte, 0, len(r.order))
	for _, id := range append([]string{r.current}, r.order...) {
		if id == r.current && len(out) > 0 {
			continue
		}
		k, err := hkdf.Key(sha256.New, r.raw[id], nil, "parley mac\x00"+purpose, 32)
		if err != nil {
			panic(err) // only for a length beyond HKDF's limit, which 32 is not
		}
		out = append(out, k)
	}
	return out
}

// NeedsRotation reports whether sealed was made under an older key.
func (r *KeyRing) NeedsRotation(sealed []byte) bool {
	id, err := KeyID(sealed)
	return err != nil || id != r.current
}

// Reseal opens a value under whichever key sealed it and seals it again under
// the current key.
func (r *KeyRing) Reseal(sealed, aad []byte) ([]byte, error) {
	pt, err := r.Open(sealed, aad)
	if err != nil {
		return nil, err
	}
	return r.Seal(pt, aad)
}
