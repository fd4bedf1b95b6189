package people

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/store"
)

// CookieName is the session cookie.
const CookieName = "parley_session"

// CSRFField is the form field (and CSRFHeader the header) that carries the
// request-forgery token on state-changing requests.
const (
	CSRFField  = "csrf"
	CSRFHeader = "X-CSRF-Token"
)

//go:embed templates/*.html
var templateFS embed.FS

var pages = template.Must(template.ParseFS(templateFS, "templates/*.html"))

type ctxKey struct{}

type signedIn struct {
	person Person
	tok    string
}

// FromContext returns the person Require put in the request's context.
func FromContext(ctx context.Context) (Person, bool) {
	s, ok := ctx.Value(ctxKey{}).(signedIn)
	return s.person, ok
}

// CSRFToken is the request-forgery token of the signed-in session in ctx,
// to put in forms (field CSRFField) or scripts' requests (header
// CSRFHeader). It is derived from the session's secret, so it is worthless
// without the cookie and changes with every sign-in.
func CSRFToken(ctx context.Context) string {
	s, ok := ctx.Value(ctxKey{}).(signedIn)
	if !ok {
		return ""
	}
	return csrfOf(s.tok)
}

func csrfOf(tok string) string {
	h := sha256.Sum256([]byte("parley-csrf\x00" + tok))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// Person returns who is signed in on r, reading the session cookie; false
// when nobody is (no cookie, or a session that ended).
func (p *People) Person(r *http.Request) (Person, bool) {
	if who, ok := FromContext(r.Context()); ok {
		return who, true
	}
	s, ok := p.lookup(r)
	return s.person, ok
}

// SignedIn reports whether r's session is still live, reading the database
// again: a long-lived response (an event stream) checks it before each
// write, so signing out elsewhere ends it.
func (p *People) SignedIn(r *http.Request) bool {
	_, ok := p.lookup(r)
	return ok
}

func (p *People) lookup(r *http.Request) (signedIn, bool) {
	c, err := r.Cookie(CookieName)
	if err != nil {
		return signedIn{}, false
	}
	sp, err := p.session(r.Context(), c.Value)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			p.log.Error("session lookup", "err", err)
		}
		return signedIn{}, false
	}
	return signedIn{person: view(sp), tok: c.Value}, true
}

// Require lets only signed-in people through, with the person in the
// request's context (FromContext), and protects state-changing requests
// (Protect). A GET by nobody is sent to the sign-in page, back here after;
// anything else is refused with 401 auth.signin_required.
func (p *People) Require(next http.Handler) http.Handler {
	return p.Protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, ok := p.lookup(r)
		if !ok {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, p.SignInURL(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			p.refuse(w, r, apierr.New(http.StatusUnauthorized, "auth.signin_required", "Sign in first."))
			return
		}
		ctx := context.WithValue(r.Context(), ctxKey{}, s)
		if !safeMethod(r.Method) {
			got := r.Header.Get(CSRFHeader)
			if got == "" {
				got = r.PostFormValue(CSRFField)
			}
			if subtle.ConstantTimeCompare([]byte(got), []byte(csrfOf(s.tok))) != 1 {
				p.refuse(w, r, apierr.New(http.StatusForbidden, "auth.csrf_invalid",
					"This form has expired or did not come from Parley. Reload the page and try again."))
				return
			}
		}
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r.WithContext(ctx))
	}))
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// Protect refuses state-changing requests a browser sent from another
// origin (Go's http.CrossOriginProtection: Sec-Fetch-Site, then Origin
// against Host) with 403 auth.cross_origin. Require applies it; handlers
// that need no session (a sign-in form) use it alone.
func (p *People) Protect(h http.Handler) http.Handler { return p.cop.Handler(h) }

// SignInURL is the sign-in page's path, returning to next (a local path)
// once signed in.
func (p *People) SignInURL(next string) string {
	return p.base + "/signin?next=" + url.QueryEscape(localPath(next, p.base+"/"))
}

// localPath keeps next only when it is a path on this site, so the
// sign-in pages cannot be used to send people elsewhere (open redirect).
func localPath(next, fallback string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
		return fallback
	}
	if u, err := url.Parse(next); err != nil || u.Scheme != "" || u.Host != "" {
		return fallback
	}
	return next
}

// Register adds the sign-in pages under Base to mux: /signin (email and
// password), /signin/link/{token} (one-time links), /signout,
// /signout/everywhere and /password.
func (p *People) Register(mux *http.ServeMux) {
	b := p.base
	mux.HandleFunc("GET "+b+"/signin", func(w http.ResponseWriter, r *http.Request) {
		p.page(w, http.StatusOK, pageData{Kind: "signin", Title: "Sign in", Next: localPath(r.URL.Query().Get("next"), b+"/")})
	})
	mux.Handle("POST "+b+"/signin", p.Protect(http.HandlerFunc(p.signIn)))
	mux.HandleFunc("GET "+b+"/signin/link/{token}", func(w http.ResponseWriter, r *http.Request) {
		// Showing the page does not spend the link: mail scanners and
		// link previews fetch it; only the button below signs in.
		p.page(w, http.StatusOK, pageData{Kind: "link", Title: "Sign in to Parley", Token: r.PathValue("token"),
			Next: localPath(r.URL.Query().Get("next"), b+"/")})
	})
	mux.Handle("POST "+b+"/signin/link", p.Protect(http.HandlerFunc(p.signInWithLink)))
	mux.Handle("POST "+b+"/signout", p.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := r.Cookie(CookieName)
		if err := p.st.DeleteWebSession(r.Context(), hashOf(c.Value)); err != nil {
			p.refuse(w, r, err)
			return
		}
		p.clearCookie(w, r)
		http.Redirect(w, r, b+"/signin", http.StatusSeeOther)
	})))
	mux.Handle("POST "+b+"/signout/everywhere", p.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		who, _ := FromContext(r.Context())
		if _, err := p.SignOutEverywhere(r.Context(), who); err != nil {
			p.refuse(w, r, err)
			return
		}
		p.clearCookie(w, r)
		http.Redirect(w, r, b+"/signin", http.StatusSeeOther)
	})))
	mux.Handle("POST "+b+"/password", p.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		who, _ := FromContext(r.Context())
		if err := p.SetPassword(r.Context(), who, r.PostFormValue("current_password"), r.PostFormValue("password")); err != nil {
			p.refuse(w, r, err)
			return
		}
		http.Redirect(w, r, localPath(r.PostFormValue("next"), b+"/")+"#password-saved", http.StatusSeeOther)
	})))
}

func (p *People) signIn(w http.ResponseWriter, r *http.Request) {
	email, next := r.PostFormValue("email"), localPath(r.PostFormValue("next"), p.base+"/")
	sp, err := p.checkPassword(r.Context(), email, r.PostFormValue("password"), clientAddr(r))
	if err != nil {
		p.formError(w, pageData{Kind: "signin", Title: "Sign in", Next: next, Email: email}, err)
		return
	}
	p.establish(w, r, sp, next)
}

func (p *People) signInWithLink(w http.ResponseWriter, r *http.Request) {
	next := localPath(r.PostFormValue("next"), p.base+"/")
	sp, err := p.useLink(r.Context(), r.PostFormValue("token"))
	if err != nil {
		p.formError(w, pageData{Kind: "none", Title: "Sign in to Parley"}, err)
		return
	}
	p.establish(w, r, sp, next)
}

// establish ends whatever session the browser presented (it may have been
// planted) and starts a new one.
func (p *People) establish(w http.ResponseWriter, r *http.Request, sp store.Person, next string) {
	if c, err := r.Cookie(CookieName); err == nil {
		_ = p.st.DeleteWebSession(r.Context(), hashOf(c.Value))
	}
	tok, err := p.startSession(r.Context(), sp)
	if err != nil {
		p.refuse(w, r, err)
		return
	}
	http.SetCookie(w, p.cookie(r, tok, int(p.sessionTTL.Seconds())))
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (p *People) cookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: CookieName, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		Secure: p.secure || r.TLS != nil, SameSite: http.SameSiteLaxMode}
}

func (p *People) clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, p.cookie(r, "", -1))
}

func clientAddr(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

type pageData struct {
	Kind, Title, Next, Email, Token, Base, Stylesheet string
	Error                                             *apierr.Error
}

func (p *People) page(w http.ResponseWriter, status int, d pageData) {
	d.Base, d.Stylesheet = p.base, p.base+"/static/app.css"
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	// The link's secret is in the URL: never send it on as a Referer.
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	if err := pages.ExecuteTemplate(w, "page", d); err != nil {
		p.log.Error("sign-in page", "err", err)
	}
}

func (p *People) formError(w http.ResponseWriter, d pageData, err error) {
	e, ok := apierr.As(err)
	if !ok {
		p.log.Error("sign-in", "err", err)
		e = apierr.Internal()
	}
	d.Error = e
	p.page(w, e.Status, d)
}

// refuse answers a refused request: the structured error body to scripts
// (Accept: application/json), a page with its message to browsers.
func (p *People) refuse(w http.ResponseWriter, r *http.Request, err error) {
	e, ok := apierr.As(err)
	if !ok {
		p.log.Error("people", "err", err)
		e = apierr.Internal()
	}
	if strings.Contains(r.Header.Get("Accept"), "application/json") {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(e.Status)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": e.Code, "message": e.Message, "meta": e.Meta}})
		return
	}
	p.formError(w, pageData{Kind: "none", Title: "Not allowed"}, e)
}
