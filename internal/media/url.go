package media

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// URLPath is where signed media URLs are served: GET /media/{id}?exp=&sig=.
const URLPath = "/media/"

// macPurpose names the key-ring MAC keys that sign media URLs; no other
// use of the ring shares them.
const macPurpose = "media url"

// sign is the URL's signature: HMAC-SHA256 over the id and the expiry,
// under a key derived from the ring.
func sign(key []byte, id string, exp int64) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "\x00" + strconv.FormatInt(exp, 10)))
	return mac.Sum(nil)
}

// SignedURL is a URL that serves one upload until exp, to whoever holds it
// (the platform fetching an attachment); it names nothing else.
func (m *Media) SignedURL(id string, exp time.Time) string {
	e := exp.Unix()
	sig := sign(m.keys.MACKeys(macPurpose)[0], id, e)
	return strings.TrimRight(m.cfg.BaseURL, "/") + URLPath + id + "?exp=" + strconv.FormatInt(e, 10) +
		"&sig=" + base64.RawURLEncoding.EncodeToString(sig)
}

// verify reports whether a URL's id, expiry and signature are one Parley
// signed and the expiry has not passed. Every key of the ring is tried, so
// a URL signed just before a key rotation keeps working.
func (m *Media) verify(id string, q url.Values) bool {
	if !idPattern.MatchString(id) || len(q) != 2 || len(q["exp"]) != 1 || len(q["sig"]) != 1 {
		return false
	}
	exp, err := strconv.ParseInt(q.Get("exp"), 10, 64)
	if err != nil || !m.now().Before(time.Unix(exp, 0)) {
		return false
	}
	got, err := base64.RawURLEncoding.DecodeString(q.Get("sig"))
	if err != nil {
		return false
	}
	ok := false
	for _, k := range m.keys.MACKeys(macPurpose) {
		// Constant-time, and every key is tried whatever the outcome.
		ok = hmac.Equal(got, sign(k, id, exp)) || ok
	}
	return ok
}

// Serve answers GET /media/{id}?exp=&sig=: the one upload the signature
// names, with its content type and file name, to a platform fetching it.
// No API key: the signature is the authority. Anything wrong — a forged or
// expired signature, an unknown, expired or deleted upload, extra
// parameters — answers the same 404, so the route is no oracle.
func (m *Media) Serve(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if !m.verify(id, r.URL.Query()) {
		return notFound("", "")
	}
	row, err := m.store.MediaByID(r.Context(), id, m.now())
	if err != nil {
		return notFound("", "")
	}
	data, err := m.keys.Open(row.Content, []byte(row.ID))
	if err != nil {
		m.log.ErrorContext(r.Context(), "open media", "media_id", row.ID, "err", err)
		return notFound("", "")
	}
	h := w.Header()
	h.Set("Content-Type", row.ContentType)
	h.Set("Content-Length", strconv.Itoa(len(data)))
	cd := mime.FormatMediaType("attachment", map[string]string{"filename": row.Filename})
	if cd == "" {
		cd = "attachment" // a name mime cannot encode: the platform names it
	}
	h.Set("Content-Disposition", cd)
	// Served from Parley's own origin: never sniffed, never run, not kept
	// by caches between the platform and us.
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(data)
	}
	return nil
}
