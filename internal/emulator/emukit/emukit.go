// Package emukit is the skeleton every platform emulator under
// internal/emulator is built on, so a newcomer finds the same five parts in
// each of them:
//
//   - a route table: method + path patterns (http.ServeMux, Go 1.22+) to
//     handlers, with the platform's own answer for unknown paths;
//   - an auth hook: the emulator checks the token (and whatever else the
//     platform checks before routing) and renders its own error body;
//   - latency, honouring the request's context, and fault injection with one
//     API: FailNext(faults...) queues platform-native errors, FailureRate
//     answers a fraction of requests with the platform's transient error;
//   - an injectable clock (Config.Now) and seeded randomness (Config.Rand);
//   - the webhook poster (SetWebhook, Notify), signed the platform's way.
//
// Every request goes through the same stages, in this order: the body is
// buffered (so net/http watches the connection and cancels the context when
// the client gives up), Latency, Begin, routing (on RoutePath); then, for routes
// that are not public, Auth, then one injected fault if any, then the
// handler. Faults come after auth because the platforms throttle and fail
// per authenticated caller (X's rate limits are per user; Graph's
// business-use-case throttling names the token's account).
package emukit

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"
)

// DefaultMaxBody is how much of a request body is buffered before Latency
// when Config.MaxBody is zero.
const DefaultMaxBody = 1 << 20

// Handler serves one routed request for principal p: whatever Auth returned
// (the zero value on public routes).
type Handler[P any] func(w http.ResponseWriter, r *http.Request, p P)

// Config wires an emulator into the kit. F is the platform's error value
// (what FailNext queues and Render writes); P is what Auth resolves a
// request to (a user id, a token record, an account).
type Config[F, P any] struct {
	// Latency delays every answer; a request whose context ends first is
	// dropped without an answer.
	Latency time.Duration
	// FailureRate is the fraction [0,1] of authenticated requests answered
	// with Transient().
	FailureRate float64
	// Now is the emulator's clock; time.Now when nil.
	Now func() time.Time
	// Rand drives failure injection and whatever the emulator draws (ids,
	// trace ids); a fixed seed makes answers reproducible. Time-seeded when nil.
	Rand rand.Source
	// MaxBody bounds the body buffered before Latency (DefaultMaxBody when
	// zero). The rest stays readable: handlers apply their own limits.
	MaxBody int64

	// Begin, if set, runs on every request after Latency, before routing
	// (headers every answer carries, request counters).
	Begin func(w http.ResponseWriter, r *http.Request)
	// RoutePath, if set, is the path routes are matched on (e.g. with
	// Graph's optional version segment removed); handlers and Auth still see
	// the request's own URL (for paging links).
	RoutePath func(r *http.Request) string
	// Auth checks a request to a non-public route (r.Pattern names the
	// route); ok false answers fault. It may set headers every
	// authenticated answer carries (X's rate-limit headers).
	Auth func(w http.ResponseWriter, r *http.Request) (p P, fault F, ok bool)
	// Transient is the platform's transient error, answered at FailureRate.
	Transient func() F
	// Render writes a platform error: status, headers, body. p is what
	// Auth returned, also when it refused (possibly partial, or zero).
	Render func(w http.ResponseWriter, r *http.Request, p P, f F)
	// NotFound answers a request no route matches (also a known path with
	// another method, and unclean paths ServeMux would redirect). It goes
	// through Auth and faults unless PublicNotFound is set.
	NotFound       Handler[P]
	PublicNotFound bool

	// Webhook is how SetWebhook signs and posts.
	Webhook Webhook
}

// Kit is one emulator's skeleton. Safe for concurrent use.
type Kit[F, P any] struct {
	cfg  Config[F, P]
	mux  *http.ServeMux
	rand *Rand

	mu     sync.Mutex
	faults []F
	hook   *Target
}

// New returns a kit with the catch-all route installed.
func New[F, P any](cfg Config[F, P]) *Kit[F, P] {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	src := cfg.Rand
	if src == nil {
		seed := uint64(time.Now().UnixNano())
		src = rand.NewPCG(seed, 0x9e3779b97f4a7c15)
	}
	k := &Kit[F, P]{cfg: cfg, mux: http.NewServeMux(), rand: &Rand{r: rand.New(src)}}
	k.mux.Handle("/", k.wrap(cfg.NotFound, cfg.PublicNotFound))
	return k
}

// Handle routes pattern (ServeMux syntax, e.g. "GET /2/users/{id}") to h
// behind Auth and fault injection.
func (k *Kit[F, P]) Handle(pattern string, h Handler[P]) {
	k.mux.Handle(pattern, k.getOnly(pattern, k.wrap(h, false)))
}

// HandlePublic routes pattern to h without Auth or faults.
func (k *Kit[F, P]) HandlePublic(pattern string, h Handler[P]) {
	k.mux.Handle(pattern, k.getOnly(pattern, k.wrap(h, true)))
}

// getOnly keeps a GET route from answering HEAD, which ServeMux would
// send it: the platforms document GET only.
func (k *Kit[F, P]) getOnly(pattern string, h http.Handler) http.Handler {
	if !strings.HasPrefix(pattern, http.MethodGet+" ") {
		return h
	}
	notFound := k.wrap(k.cfg.NotFound, k.cfg.PublicNotFound)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			notFound.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// FailNext queues faults: the next len(faults) authenticated requests are
// answered with them, in order, instead of being served.
func (k *Kit[F, P]) FailNext(faults ...F) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.faults = append(k.faults, faults...)
}

// Now reads the emulator's clock.
func (k *Kit[F, P]) Now() time.Time { return k.cfg.Now() }

// Rand is the emulator's seeded randomness.
func (k *Kit[F, P]) Rand() *Rand { return k.rand }

// ServeHTTP runs the stages described in the package comment.
func (k *Kit[F, P]) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Body != nil {
		buf, err := io.ReadAll(io.LimitReader(r.Body, k.cfg.MaxBody+1))
		rest := r.Body
		if err != nil {
			rest = io.NopCloser(errReader{err})
		}
		r.Body = readCloser{io.MultiReader(bytes.NewReader(buf), rest), r.Body}
	}
	if k.cfg.Latency > 0 {
		t := time.NewTimer(k.cfg.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if k.cfg.Begin != nil {
		k.cfg.Begin(w, r)
	}
	if k.cfg.RoutePath != nil {
		orig := r.URL
		r = r.WithContext(context.WithValue(r.Context(), origURLKey{}, orig))
		u := *orig
		u.Path, u.RawPath = k.cfg.RoutePath(r), ""
		r.URL = &u
	}
	// ServeMux answers an unclean path with its own redirect; a platform
	// answers it as an unknown path.
	if p := r.URL.EscapedPath(); r.Method != http.MethodConnect && p != cleanPath(p) {
		k.wrap(k.cfg.NotFound, k.cfg.PublicNotFound).ServeHTTP(w, r)
		return
	}
	k.mux.ServeHTTP(w, r)
}

func (k *Kit[F, P]) wrap(h Handler[P], public bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, ok := r.Context().Value(origURLKey{}).(*url.URL); ok {
			r.URL = u
		}
		var p P
		if !public {
			var f F
			var ok bool
			if p, f, ok = k.cfg.Auth(w, r); !ok {
				k.cfg.Render(w, r, p, f)
				return
			}
			if f, ok := k.nextFault(); ok {
				k.cfg.Render(w, r, p, f)
				return
			}
		}
		h(w, r, p)
	})
}

// nextFault pops a queued fault or draws one at FailureRate.
func (k *Kit[F, P]) nextFault() (F, bool) {
	k.mu.Lock()
	if len(k.faults) > 0 {
		f := k.faults[0]
		k.faults = k.faults[1:]
		k.mu.Unlock()
		return f, true
	}
	k.mu.Unlock()
	if k.cfg.FailureRate > 0 && k.rand.Float64() < k.cfg.FailureRate {
		return k.cfg.Transient(), true
	}
	var zero F
	return zero, false
}

// cleanPath is ServeMux's canonical form of a path: what it would not
// redirect.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}

// origURLKey holds the request's own URL while routing on RoutePath.
type origURLKey struct{}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

type readCloser struct {
	io.Reader
	io.Closer
}

// Rand is a seeded *rand.Rand safe for concurrent use.
type Rand struct {
	mu sync.Mutex
	r  *rand.Rand
}

// Float64 draws from [0,1).
func (x *Rand) Float64() float64 {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.r.Float64()
}

// IntN draws from [0,n).
func (x *Rand) IntN(n int) int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.r.IntN(n)
}

// UintN draws from [0,n).
func (x *Rand) UintN(n uint) uint {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.r.UintN(n)
}
