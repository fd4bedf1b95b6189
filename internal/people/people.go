// Package people is who may use the inbox app: people (distinct from API
// keys) with a role, argon2id passwords, one-time sign-in links and
// server-side sessions, all scoped to the person's organisation.
//
// Other handlers (the app, the MCP OAuth sign-in) reuse it through a small
// API: Require and Person say who is signed in, Protect refuses cross-site
// state changes, and SignInURL sends a browser to the sign-in page.
package people

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/store"
)

// Defaults of Config.
const (
	DefaultSessionTTL = 14 * 24 * time.Hour
	DefaultLinkTTL    = 24 * time.Hour
	// DefaultFailureLimit is how many failed password sign-ins one email
	// (or one client address, ten times as many) may have per
	// FailureWindow before sign-in is refused outright.
	DefaultFailureLimit = 10
	FailureWindow       = 15 * time.Minute
)

// Config builds People.
type Config struct {
	Store store.Store
	Log   *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Base is the path the sign-in pages live under ("/app" when empty).
	Base string
	// PublicURL is where browsers reach Parley; an https URL makes the
	// session cookie Secure even behind a TLS-terminating proxy.
	PublicURL  string
	SessionTTL time.Duration
	LinkTTL    time.Duration
	// FailureLimit is DefaultFailureLimit when 0.
	FailureLimit int
}

// People is the capability. It is safe for concurrent use.
type People struct {
	st           store.Store
	log          *slog.Logger
	now          func() time.Time
	base         string
	publicURL    string
	secure       bool
	sessionTTL   time.Duration
	linkTTL      time.Duration
	failureLimit int
	cop          *http.CrossOriginProtection
}

// New returns People.
func New(cfg Config) *People {
	p := &People{st: cfg.Store, log: cfg.Log, now: cfg.Now, base: strings.TrimRight(cfg.Base, "/"), publicURL: strings.TrimRight(cfg.PublicURL, "/"),
		sessionTTL: cfg.SessionTTL, linkTTL: cfg.LinkTTL, failureLimit: cfg.FailureLimit}
	if p.log == nil {
		p.log = slog.Default()
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.base == "" {
		p.base = "/app"
	}
	p.secure = strings.HasPrefix(p.publicURL, "https://")
	if p.sessionTTL <= 0 {
		p.sessionTTL = DefaultSessionTTL
	}
	if p.linkTTL <= 0 {
		p.linkTTL = DefaultLinkTTL
	}
	if p.failureLimit <= 0 {
		p.failureLimit = DefaultFailureLimit
	}
	p.cop = http.NewCrossOriginProtection()
	p.cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.refuse(w, r, apierr.New(http.StatusForbidden, "auth.cross_origin", "This request came from another site and was refused."))
	}))
	return p
}

// Person is a signed-in person as other packages see them.
type Person struct {
	ID    string
	OrgID string
	Email string
	Name  string
	Role  string
	// HasPassword is false until the person sets one.
	HasPassword bool
}

// Admin reports whether the person may manage the organisation's people.
func (p Person) Admin() bool { return p.Role == store.RoleAdmin }

func view(p store.Person) Person {
	return Person{ID: p.ID, OrgID: p.OrgID, Email: p.Email, Name: p.Name, Role: p.Role, HasPassword: p.PasswordHash != ""}
}

// normalEmail checks an address and lower-cases it, so one mailbox is one
// person however it is typed.
func normalEmail(s string) (string, error) {
	a, err := mail.ParseAddress(strings.TrimSpace(s))
	if err != nil || a.Name != "" || !strings.Contains(a.Address, "@") || len(a.Address) > 254 {
		return "", apierr.New(http.StatusUnprocessableEntity, "validation.invalid_email", "%q is not an email address", s).With("field", "email")
	}
	return strings.ToLower(a.Address), nil
}

// Create adds a person to an organisation. The email must be new across
// all organisations (409 resource.conflict otherwise).
func (p *People) Create(ctx context.Context, orgID, email, name, role string) (Person, error) {
	email, err := normalEmail(email)
	if err != nil {
		return Person{}, err
	}
	if role != store.RoleAdmin && role != store.RoleAgent {
		return Person{}, apierr.New(http.StatusUnprocessableEntity, "validation.invalid_role", "role must be admin or agent").With("field", "role")
	}
	now := p.now().UTC()
	sp := store.Person{ID: store.NewID("person"), OrgID: orgID, Email: email, Name: strings.TrimSpace(name), Role: role, CreatedAt: now, UpdatedAt: now}
	if err := p.st.CreatePerson(ctx, sp); err != nil {
		return Person{}, domain.StoreErr(err, "person")
	}
	return view(sp), nil
}

// List pages through an organisation's people.
func (p *People) List(ctx context.Context, orgID string, pg domain.PageRequest) (domain.List[Person], error) {
	if err := domain.IDCursor("person", pg.Cursor); err != nil {
		return domain.List[Person]{}, err
	}
	if pg.Limit <= 0 {
		pg.Limit = 100
	}
	rows, err := p.st.ListPeople(ctx, orgID, store.Page{After: pg.Cursor, Limit: pg.Limit})
	if err != nil {
		return domain.List[Person]{}, err
	}
	return domain.IDPage(rows, pg.Limit, func(r store.Person) string { return r.ID }, view), nil
}

// secret returns a fresh 256-bit secret and its SHA-256: the secret goes to
// the browser, only the hash is stored.
func secret() (string, []byte) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	s := base64.RawURLEncoding.EncodeToString(b)
	return s, hashOf(s)
}

func hashOf(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// SignInLink makes a one-time sign-in link for a person of orgID, valid
// for the configured LinkTTL, and returns its URL (on PublicURL, or a
// path when that is empty).
func (p *People) SignInLink(ctx context.Context, orgID, personID string) (string, time.Time, error) {
	token, hash := secret()
	now := p.now().UTC()
	l := store.SignInLink{ID: store.NewID("sil"), OrgID: orgID, PersonID: personID, TokenHash: hash, ExpiresAt: now.Add(p.linkTTL), CreatedAt: now}
	if err := p.st.CreateSignInLink(ctx, l); err != nil {
		return "", time.Time{}, domain.StoreErr(err, "person")
	}
	return p.publicURL + p.base + "/signin/link/" + token, l.ExpiresAt, nil
}

// Errors of signing in. They say no more than needed: a wrong password and
// an unknown email read the same.
var (
	errBadCredentials = apierr.New(http.StatusUnauthorized, "auth.invalid_credentials", "That email and password do not match.")
	errLinkInvalid    = apierr.New(http.StatusGone, "auth.link_invalid",
		"This sign-in link has been used or has expired. Ask an admin for a new one.")
)

// useLink signs in with a link's token: the link is spent whatever happens
// next.
func (p *People) useLink(ctx context.Context, token string) (store.Person, error) {
	if token == "" || len(token) > 100 {
		return store.Person{}, errLinkInvalid
	}
	l, err := p.st.UseSignInLink(ctx, hashOf(token), p.now().UTC())
	if errors.Is(err, store.ErrNotFound) {
		return store.Person{}, errLinkInvalid
	}
	if err != nil {
		return store.Person{}, err
	}
	sp, err := p.st.GetPerson(ctx, l.OrgID, l.PersonID)
	if errors.Is(err, store.ErrNotFound) {
		return store.Person{}, errLinkInvalid
	}
	return sp, err
}

// dummyHash is checked against when an email is unknown, so the time a
// sign-in takes does not tell which emails exist.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("parley-no-such-person")
	return h
})

// checkPassword signs in with an email and password, counting failures per
// email and per client address; past the limit it refuses before hashing
// anything (429 auth.throttled).
func (p *People) checkPassword(ctx context.Context, email, password, clientAddr string) (store.Person, error) {
	norm, err := normalEmail(email)
	if err != nil {
		return store.Person{}, errBadCredentials
	}
	buckets := []struct {
		key   string
		limit int
	}{{"signin:email:" + norm, p.failureLimit}, {"signin:addr:" + clientAddr, 10 * p.failureLimit}}
	now := p.now()
	for _, b := range buckets {
		n, wait, err := domain.Count(ctx, p.st, now, b.key, FailureWindow, 0)
		if err != nil {
			return store.Person{}, err
		}
		if n >= b.limit {
			secs := int(wait.Seconds()) + 1
			return store.Person{}, apierr.New(http.StatusTooManyRequests, "auth.throttled",
				"Too many failed sign-ins. Try again in %d minutes, or use a sign-in link.", (secs+59)/60).With("retry_after_seconds", secs)
		}
	}
	sp, err := p.st.PersonByEmail(ctx, norm)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return store.Person{}, err
	}
	hash := sp.PasswordHash
	if hash == "" {
		hash = dummyHash()
	}
	if CheckPassword(hash, password) && sp.PasswordHash != "" {
		return sp, nil
	}
	for _, b := range buckets {
		if _, _, err := domain.Count(ctx, p.st, now, b.key, FailureWindow, 1); err != nil {
			return store.Person{}, err
		}
	}
	return store.Person{}, errBadCredentials
}

// SetPassword sets the signed-in person's password. When one is set
// already, the current one must be given.
func (p *People) SetPassword(ctx context.Context, who Person, current, next string) error {
	sp, err := p.st.GetPerson(ctx, who.OrgID, who.ID)
	if err != nil {
		return domain.StoreErr(err, "person")
	}
	if sp.PasswordHash != "" && !CheckPassword(sp.PasswordHash, current) {
		return apierr.New(http.StatusUnprocessableEntity, "auth.invalid_credentials", "The current password is not right.").With("field", "current_password")
	}
	if len([]rune(next)) < MinPasswordLength || len(next) > 1024 {
		return apierr.New(http.StatusUnprocessableEntity, "validation.password_too_short",
			"A password needs at least %d characters.", MinPasswordLength).With("field", "password")
	}
	h, err := HashPassword(next)
	if err != nil {
		return err
	}
	return domain.StoreErr(p.st.SetPassword(ctx, who.OrgID, who.ID, h, p.now().UTC()), "person")
}

// startSession creates a fresh session for a person and returns the
// cookie's secret. A new secret every time: a session id an attacker planted
// before sign-in never becomes a signed-in one (session fixation).
func (p *People) startSession(ctx context.Context, sp store.Person) (string, error) {
	tok, hash := secret()
	now := p.now().UTC()
	err := p.st.CreateWebSession(ctx, store.WebSession{IDHash: hash, OrgID: sp.OrgID, PersonID: sp.ID, CreatedAt: now, ExpiresAt: now.Add(p.sessionTTL)})
	return tok, err
}

// session resolves a cookie's secret to its person; ErrNotFound when the
// session ended or never was.
func (p *People) session(ctx context.Context, tok string) (store.Person, error) {
	if tok == "" || len(tok) > 100 {
		return store.Person{}, store.ErrNotFound
	}
	ws, err := p.st.WebSessionByHash(ctx, hashOf(tok), p.now().UTC())
	if err != nil {
		return store.Person{}, err
	}
	return p.st.GetPerson(ctx, ws.OrgID, ws.PersonID)
}

// SignOutEverywhere ends every session of a person.
func (p *People) SignOutEverywhere(ctx context.Context, who Person) (int64, error) {
	return p.st.DeleteWebSessions(ctx, who.OrgID, who.ID)
}

// Prune deletes expired sessions and sign-in links (a periodic task).
func (p *People) Prune(ctx context.Context) error {
	_, err := p.st.PruneSignIns(ctx, p.now().UTC())
	return err
}
