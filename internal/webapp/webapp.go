// Package webapp is the inbox app people use in a browser (DESIGN §8): the
// unified inbox, a conversation with its reply window and a composer that
// offers what the rules allow, and live updates over server-sent events.
//
// It renders what the domain layer (internal/service) answers and decides
// nothing itself; sign-in, sessions and forgery protection are package
// people's. Pages are html/template with a little vanilla JavaScript, all
// embedded: no front-end build.
package webapp

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/connect"
	"github.com/parleyhq/parley/internal/live"
	"github.com/parleyhq/parley/internal/people"
	"github.com/parleyhq/parley/internal/plans"
	"github.com/parleyhq/parley/internal/service"
	"github.com/parleyhq/parley/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Base is where the app is served.
const Base = "/app"

// Config builds the app.
type Config struct {
	Service *service.Service
	People  *people.People
	// Connect, when set, offers hosted connect (OAuth) in the settings.
	Connect *connect.Connect
	// PublicURL is where browsers reach Parley (hosted connect returns
	// there).
	PublicURL string
	Log       *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Live tells open pages of the events any replica commits; nil leaves
	// pages to catch up when they are reloaded.
	Live *live.Hub
	// Heartbeat is how often an idle event stream sends a comment, so
	// proxies keep it open; 0 means 25 s.
	Heartbeat time.Duration
	// Plans, when set, shows admins the organisation's plan and usage in
	// the settings, from the same call as GET /v1/usage.
	Plans *plans.Plans
}

// App is the inbox app.
type App struct {
	svc       *service.Service
	ppl       *people.People
	log       *slog.Logger
	now       func() time.Time
	heartbeat time.Duration
	live      *live.Hub
	tmpl      *template.Template
	connect   *connect.Connect
	plans     *plans.Plans
	publicURL string
	// done closes when the server starts shutting down, ending every event
	// stream (an open one would hold a graceful shutdown to its timeout).
	done      chan struct{}
	closeOnce sync.Once
}

// Close ends the open event streams; call it when the HTTP server starts
// shutting down (http.Server.RegisterOnShutdown).
func (a *App) Close() { a.closeOnce.Do(func() { close(a.done) }) }

// New returns the app.
func New(cfg Config) *App {
	a := &App{svc: cfg.Service, ppl: cfg.People, log: cfg.Log, now: cfg.Now, heartbeat: cfg.Heartbeat, live: cfg.Live,
		connect: cfg.Connect, plans: cfg.Plans, publicURL: strings.TrimRight(cfg.PublicURL, "/"), done: make(chan struct{})}
	if a.log == nil {
		a.log = slog.Default()
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.heartbeat <= 0 {
		a.heartbeat = 25 * time.Second
	}
	a.tmpl = template.Must(template.New("").Funcs(funcs(a.now)).ParseFS(templateFS, "templates/*.html"))
	return a
}

// Register adds the app, its sign-in pages and its assets to mux.
func (a *App) Register(mux *http.ServeMux) {
	a.ppl.Register(mux)
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET "+Base+"/static/", http.StripPrefix(Base+"/static/", cacheFor(http.FileServerFS(static))))
	page := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, secure(a.ppl.Require(h))) }
	page("GET "+Base+"/{$}", a.inbox)
	page("GET "+Base+"/c/{id}", a.conversation)
	page("POST "+Base+"/c/{id}/send", a.send)
	page("POST "+Base+"/c/{id}/read", a.markRead)
	page("GET "+Base+"/events", a.events)
	a.registerSettings(page)
	mux.Handle(Base+"/", secure(a.ppl.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.fail(w, r, apierr.NotFound("page"))
	}))))
}

// secure sets the headers every page carries: no framing, no inline
// scripts or styles, no sniffing.
func secure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' https: data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		h.ServeHTTP(w, r)
	})
}

func cacheFor(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		h.ServeHTTP(w, r)
	})
}

// caller is the signed-in person's organisation as the domain layer knows
// callers: everything the app does is scoped to it.
func caller(ctx context.Context) (service.Caller, people.Person) {
	who, _ := people.FromContext(ctx)
	return service.Caller{OrgID: who.OrgID}, who
}

// base is what every page's layout needs.
type base struct {
	// After names the moment the page was drawn, as an event id: its
	// event stream sends what happened since.
	After  string
	Title  string
	Person people.Person
	CSRF   string
	Nav    string
	Error  *apierr.Error
}

func (a *App) base(r *http.Request, title, nav string) base {
	_, who := caller(r.Context())
	return base{After: store.NewID("evt"), Title: title, Person: who, CSRF: people.CSRFToken(r.Context()), Nav: nav}
}

func (a *App) render(w http.ResponseWriter, status int, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := a.tmpl.ExecuteTemplate(w, name, data); err != nil {
		a.log.Error("render", "template", name, "err", err)
	}
}

// errorOf is the structured error of err, logging what is not one.
func (a *App) errorOf(err error) *apierr.Error {
	if e, ok := apierr.As(err); ok {
		return e
	}
	a.log.Error("app", "err", err)
	return apierr.Internal()
}

// fail answers with a page showing the structured error's message.
func (a *App) fail(w http.ResponseWriter, r *http.Request, err error) {
	e := a.errorOf(err)
	b := a.base(r, "Error", "")
	b.Error = e
	a.render(w, e.Status, "error", b)
}

func newIdempotencyKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "app-" + hex.EncodeToString(b)
}

var platformNames = map[string]string{"instagram": "Instagram", "messenger": "Messenger", "whatsapp": "WhatsApp", "x": "X", "linkedin": "LinkedIn"}

// platforms in the order the filter lists them.
var platforms = []string{"instagram", "messenger", "whatsapp", "x", "linkedin"}

func funcs(now func() time.Time) template.FuncMap {
	return template.FuncMap{
		"platformName": func(p string) string {
			if n, ok := platformNames[p]; ok {
				return n
			}
			return p
		},
		// utcDay is a UTC instant as people read it, for the plan's
		// monthly reset (00:00 UTC on the first of the month).
		"utcDay": func(t time.Time) string { return t.UTC().Format("2 January 2006, 15:04 UTC") },
		"rfc3339": func(t any) string {
			switch v := t.(type) {
			case time.Time:
				return v.UTC().Format(time.RFC3339)
			case *time.Time:
				if v != nil {
					return v.UTC().Format(time.RFC3339)
				}
			}
			return ""
		},
		"when": func(t any) string {
			var tt time.Time
			switch v := t.(type) {
			case time.Time:
				tt = v
			case *time.Time:
				if v == nil {
					return ""
				}
				tt = *v
			}
			return tt.UTC().Format("2 Jan 15:04 UTC")
		},
		"initial": func(s string) string {
			for _, r := range s {
				return strings.ToUpper(string(r))
			}
			return "?"
		},
		"now": func() time.Time { return now() },
	}
}
