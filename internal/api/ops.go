package api

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/service"
)

// An operation is declared once, as a Route built by op or list: the
// declaration is what the mux serves, what the wrapper decodes and
// validates, what the wrapper answers on success, and what the OpenAPI
// document says. Handlers are plain functions from a decoded request to a
// value or an error; they never see the http.Request, so they cannot read a
// parameter or answer a status the route does not declare.

// none is the In of an operation without a request body, and the Out of one
// answering no body (204, or 202 with nothing to show).
type none struct{}

// Header documents a request header an operation reads.
type Header struct {
	Name        string
	Description string
	// MaxLength bounds the value in the document (0: unbounded).
	MaxLength int
}

// params is what a handler reads of its request besides the body: the path
// id and the declared query parameters and headers, already validated. Each
// read is recorded so the wrapper can tell a declared parameter that the
// handler ignores (a documented filter that filters nothing).
type params struct {
	r     *http.Request
	route *Route
	page  service.PageRequest
	bools map[string]*bool
	read  map[string]bool
	// out holds response headers the handler sets (Idempotent-Replayed).
	out http.Header
}

// id is the {id} path segment.
func (p *params) id() string { return p.r.PathValue("id") }

// pageRequest is the declared limit and cursor.
func (p *params) pageRequest() service.PageRequest {
	p.mark("limit")
	p.mark("cursor")
	return p.page
}

// str is a declared string query parameter ("" when absent).
func (p *params) str(name string) string {
	p.mark(name)
	return p.r.URL.Query().Get(name)
}

// flag is a declared boolean query parameter (nil when absent).
func (p *params) flag(name string) *bool {
	p.mark(name)
	return p.bools[name]
}

// header is a declared request header.
func (p *params) header(name string) string {
	p.mark(name)
	return p.r.Header.Get(name)
}

// mark records a read; reading what the route does not declare is a bug in
// this package, so it panics (the middleware answers 500) rather than let
// the document and the handler disagree.
func (p *params) mark(name string) {
	if !p.route.declares(name) {
		panic(fmt.Sprintf("api: %s reads %q, which its route does not declare", p.route.OperationID, name))
	}
	p.read[name] = true
}

func (rt *Route) declares(name string) bool {
	for _, q := range rt.Query {
		if q.Name == name {
			return true
		}
	}
	for _, h := range rt.Headers {
		if h.Name == name {
			return true
		}
	}
	return false
}

// unread names the declared parameters a handler did not read.
func (p *params) unread() []string {
	var out []string
	for _, q := range p.route.Query {
		if !p.read[q.Name] {
			out = append(out, q.Name)
		}
	}
	for _, h := range p.route.Headers {
		if !p.read[h.Name] {
			out = append(out, h.Name)
		}
	}
	return out
}

// handler is an operation's own code: it calls the service and returns what
// the wrapper renders with the route's declared status.
type handler[In, Out any] func(ctx context.Context, c service.Caller, p *params, in In) (Out, error)

// op declares an operation answering a single value in the data envelope
// (or no body when Out is none).
func op[In, Out any](a *API, rt Route, h handler[In, Out]) Route {
	rt.Body, rt.Data = bodyType[In](), bodyType[Out]()
	rt.Handler = serve(a, &rt, h, func(w http.ResponseWriter, v Out) {
		if rt.Data == nil {
			w.WriteHeader(rt.Status)
			return
		}
		writeData(w, rt.Status, v)
	})
	return rt
}

// list declares an operation answering a page in the list envelope; its
// route declares limit and cursor (pageOf).
func list[In, T any](a *API, rt Route, h handler[In, service.List[T]]) Route {
	rt.Body, rt.Data, rt.List = bodyType[In](), reflect.TypeFor[T](), true
	rt.Handler = serve(a, &rt, h, func(w http.ResponseWriter, l service.List[T]) {
		writeJSON(w, rt.Status, l.Envelope())
	})
	return rt
}

// whole declares an operation whose answer is its own envelope: data and,
// beside it, the names a client of the hosted DM API reads (apitype.Sent,
// apitype.ConversationUpdated). The document describes Out itself.
func whole[In, Out any](a *API, rt Route, h handler[In, Out]) Route {
	rt.Body, rt.Data, rt.Whole = bodyType[In](), bodyType[Out](), true
	rt.Handler = serve(a, &rt, h, func(w http.ResponseWriter, v Out) { writeJSON(w, rt.Status, v) })
	return rt
}

// raw declares an operation whose handler writes its own non-envelope
// answer (metrics, this document, the platforms' webhooks).
func raw(rt Route, h http.HandlerFunc) Route {
	rt.Handler = h
	return rt
}

func bodyType[T any]() reflect.Type {
	t := reflect.TypeFor[T]()
	if t == reflect.TypeFor[none]() {
		return nil
	}
	return t
}

// serve is the one wrapper every JSON operation runs in: it refuses
// undeclared query parameters, validates the declared ones, decodes the
// body strictly, calls the handler and answers the declared status. (The
// API key and quota are checked before it, by authenticate.)
func serve[In, Out any](a *API, rt *Route, h handler[In, Out], write func(http.ResponseWriter, Out)) http.HandlerFunc {
	documented := map[int]bool{}
	for _, s := range rt.statuses() {
		documented[s] = true
	}
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := parseParams(r, rt)
		if err != nil {
			a.writeError(w, r, err)
			return
		}
		var in In
		if rt.Body != nil {
			if err := decode(r, w, &in); err != nil {
				a.writeError(w, r, err)
				return
			}
		}
		out, err := h(r.Context(), caller(r), p, in)
		if missed := p.unread(); len(missed) > 0 {
			// Checked on every call, whatever the outcome, so the first
			// test to call the route fails rather than a client finding a
			// documented filter that does nothing.
			a.writeError(w, r, fmt.Errorf("api: %s declares %s but its handler does not read it", rt.OperationID, strings.Join(missed, ", ")))
			return
		}
		for k, v := range p.out {
			w.Header()[k] = v
		}
		if err != nil {
			if e, ok := apierr.As(err); ok && !documented[e.Status] {
				// Still answered as the service meant it; the log names the
				// route whose Errors the document is missing.
				a.log.ErrorContext(r.Context(), "status not in the route's declaration", "operation", rt.OperationID,
					"status", e.Status, "code", e.Code)
			}
			a.writeError(w, r, err)
			return
		}
		write(w, out)
	}
}

// parseParams refuses a query parameter the route does not declare (as the
// body decoder refuses an unknown field: a misspelt filter must not
// silently list everything), then validates the declared ones by type.
func parseParams(r *http.Request, rt *Route) (*params, error) {
	p := &params{r: r, route: rt, read: map[string]bool{}, bools: map[string]*bool{}, out: http.Header{}}
	q := r.URL.Query()
	names := make([]string, 0, len(q))
	for name := range q {
		names = append(names, name)
	}
	sort.Strings(names) // the same request always names the same parameter
	for _, name := range names {
		if !slices.ContainsFunc(rt.Query, func(d Param) bool { return d.Name == name }) {
			return nil, apierr.New(http.StatusBadRequest, "validation.unknown_parameter", "unknown query parameter %q", name).With("field", name)
		}
	}
	for _, d := range rt.Query {
		s := q.Get(d.Name)
		switch {
		case d.Name == "limit":
			page, err := pageRequest(r, d.Max)
			if err != nil {
				return nil, err
			}
			p.page = page
		case d.Type == "boolean" && s != "":
			b, err := strconv.ParseBool(s)
			if err != nil {
				return nil, apierr.Invalid(d.Name, "%s must be true or false", d.Name)
			}
			p.bools[d.Name] = &b
		}
	}
	return p, nil
}

// statuses are every status an operation can answer: its success, what
// the wrapper itself refuses with, and the errors its route declares for
// the service's refusals. The document lists exactly these.
func (rt *Route) statuses() []int {
	// 400: an unknown query parameter, a bad limit or cursor, malformed
	// JSON (and the platforms' own refusals on the raw webhook routes).
	set := map[int]bool{rt.Status: true, http.StatusBadRequest: true}
	if hasBool(rt.Query) {
		// A boolean parameter that is not true or false.
		set[http.StatusUnprocessableEntity] = true
	}
	if rt.Body != nil || rt.Form != nil {
		// decode (or an upload's parser): malformed JSON (400), too large, wrong media type,
		// unknown field or invalid text (422).
		set[http.StatusRequestEntityTooLarge] = true
		set[http.StatusUnsupportedMediaType] = true
		set[http.StatusUnprocessableEntity] = true
	}
	switch {
	case rt.Operator:
		// authenticateOperator: no or a wrong token (no quota applies).
		set[http.StatusUnauthorized] = true
		set[http.StatusInternalServerError] = true
	case !rt.Public:
		// authenticate: no or a bad key, spent quota; and any error that
		// is not an apierr.
		set[http.StatusUnauthorized] = true
		set[http.StatusTooManyRequests] = true
		set[http.StatusInternalServerError] = true
	}
	for _, s := range rt.Errors {
		set[s] = true
	}
	out := make([]int, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Ints(out)
	return out
}

func hasBool(ps []Param) bool {
	return slices.ContainsFunc(ps, func(p Param) bool { return p.Type == "boolean" })
}
