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

// ConsentForm is what differs between platforms in the answer to their
// consent page's form; Consent does the rest.
type ConsentForm struct {
	// Known says whether the form's client_id, its registered redirect_uri
	// and the signed-in user (in the platform's own field) are known.
	Known func(f url.Values) bool
	// Refused is the page text, in the platform's wording, when they are
	// not: an authorization server never redirects to an unchecked URI
	// (RFC 6749 §4.1.2.1).
	Refused string
	// Denied are the error fields sent back when the user refuses.
	Denied url.Values
	// Save stores a new authorization code for the form's request.
	Save func(f url.Values, code string)
}

// Consent answers a consent form posted to an emulator's authorization
// page: an unknown client, redirect URI or user gets Refused; a decision
// other than "allow" goes back to the redirect URI with Denied and the
// state; "allow" saves a new code and sends it back with the state.
func Consent(w http.ResponseWriter, r *http.Request, c ConsentForm) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	f := r.PostForm
	if !c.Known(f) {
		http.Error(w, c.Refused, http.StatusBadRequest)
		return
	}
	back := url.Values{"state": {f.Get("state")}}
	if f.Get("decision") != "allow" {
		for k, vs := range c.Denied {
			back[k] = vs
		}
		RedirectWith(w, r, f.Get("redirect_uri"), back)
		return
	}
	code := RandomToken()
	c.Save(f, code)
	back.Set("code", code)
	RedirectWith(w, r, f.Get("redirect_uri"), back)
}
