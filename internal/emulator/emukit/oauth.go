package emukit

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/url"
)

// OAuthError is an OAuth 2.0 token endpoint's error body (RFC 6749 §5.2),
// the shape X's and LinkedIn's token endpoints answer with.
type OAuthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// RedirectWith answers 302 to the client's redirect URI with v merged into
// its query, as an authorization endpoint hands back a code or an error.
func RedirectWith(w http.ResponseWriter, r *http.Request, to string, v url.Values) {
	u, _ := url.Parse(to)
	q := u.Query()
	for k, vs := range v {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// RandomToken is an unguessable opaque value for codes and tokens.
func RandomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
