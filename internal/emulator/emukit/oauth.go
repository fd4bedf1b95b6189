package emukit

import (
	"crypto/rand"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strings"
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

// AuthorizePage is what differs between platforms in their authorization
// page (GET); Authorize does the rest.
type AuthorizePage struct {
	// Known says whether the query's client_id and its registered
	// redirect_uri match.
	Known func(q url.Values) bool
	// Refused is the page text, in the platform's wording, when they do
	// not: never a redirect (RFC 6749 §4.1.2.1).
	Refused string
	// Invalid returns the error fields (RFC 6749 §4.1.2.1) for a request
	// the platform refuses once response_type is "code", or nil.
	Invalid func(q url.Values) url.Values
	// Hidden names the query parameters the consent form carries on.
	Hidden []string
	// Page is the consent form; it gets Client, Scopes, Hidden and what
	// Data adds (the accounts one may sign in as).
	Page *template.Template
	Data func() map[string]any
}

// Authorize serves an emulator's authorization page: an unknown client or
// redirect URI gets Refused; a response_type other than "code" and what
// Invalid refuses go back to the redirect URI with the error and the
// state; anything else shows the consent form.
func Authorize(w http.ResponseWriter, r *http.Request, p AuthorizePage) {
	q := r.URL.Query()
	if !p.Known(q) {
		http.Error(w, p.Refused, http.StatusBadRequest)
		return
	}
	bad := url.Values{"error": {"unsupported_response_type"}}
	if q.Get("response_type") == "code" {
		bad = p.Invalid(q)
	}
	if bad != nil {
		bad.Set("state", q.Get("state"))
		RedirectWith(w, r, q.Get("redirect_uri"), bad)
		return
	}
	hidden := map[string]string{}
	for _, k := range p.Hidden {
		hidden[k] = q.Get(k)
	}
	data := map[string]any{"Client": q.Get("client_id"), "Scopes": strings.Fields(q.Get("scope")), "Hidden": hidden}
	for k, v := range p.Data() {
		data[k] = v
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = p.Page.Execute(w, data)
}

// Values copies a map's values in the order of key, as a consent page
// lists the accounts one may sign in as.
func Values[K comparable, V any](m map[K]*V, key func(V) string) []V {
	out := make([]V, 0, len(m))
	for _, v := range m {
		out = append(out, *v)
	}
	sort.Slice(out, func(i, j int) bool { return key(out[i]) < key(out[j]) })
	return out
}
