package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/envelope"
	"github.com/parleyhq/parley/internal/service"
	"github.com/parleyhq/parley/internal/textcheck"
)

type ctxKey int

const (
	callerKey ctxKey = iota
	requestIDKey
)

var (
	requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	errNotReady      = apierr.New(http.StatusServiceUnavailable, "system.not_ready", "the database is not reachable")
	// The same code as errNotReady, so a client that handles one handles
	// both; the message tells an operator which it is.
	errDraining = apierr.New(http.StatusServiceUnavailable, "system.not_ready", "this replica is shutting down; send requests to another")
)

// RequestID returns the request's id (the caller's X-Request-ID when it was
// acceptable, otherwise one we made).
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

func caller(r *http.Request) service.Caller {
	c, _ := r.Context().Value(callerKey).(service.Caller)
	return c
}

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "parley_http_requests_total",
			Help: "HTTP requests by route and status."}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "parley_http_request_duration_seconds",
			Help: "HTTP request latency by route.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}, []string{"method", "route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

type recorder struct {
	http.ResponseWriter
	status int
	// throttled is set when the answer is a platform's rate limit, which
	// must not count against the caller's quota.
	throttled bool
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// middleware assigns the request id, recovers panics, logs and measures.
func (a *API) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-ID")
		if !requestIDPattern.MatchString(id) {
			var b [12]byte
			_, _ = rand.Read(b[:])
			id = "req_" + hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-ID", id)
		ctx := context.WithValue(r.Context(), requestIDKey, id)
		// Every route, /mcp included, authenticates with this address at hand.
		r = r.WithContext(service.WithClientAddr(ctx, clientAddr(r, a.trusted)))
		rec := &recorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				a.log.ErrorContext(r.Context(), "panic", "request_id", id, "panic", fmt.Sprint(p))
				if rec.status == 0 {
					a.writeError(rec, r, apierr.Internal())
				}
			}
			method, route := metricLabels(r)
			d := time.Since(start)
			a.metrics.requests.WithLabelValues(method, route, strconv.Itoa(rec.status)).Inc()
			a.metrics.duration.WithLabelValues(method, route).Observe(d.Seconds())
			a.log.LogAttrs(r.Context(), levelFor(rec.status), "request", slogAttrs(id, r, rec.status, d)...)
		}()
		next.ServeHTTP(rec, r)
	})
}

// metricLabels are the method and route labels of a request. Callers choose
// both the method and the path, and every distinct label value is a series
// Prometheus keeps for the life of the process, so neither is recorded as
// sent: the method is one of the standard ones or OTHER, and the route is
// the pattern that matched (from the route table) or "unmatched". The third
// label, the status, comes from our own handlers.
func metricLabels(r *http.Request) (method, route string) {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete,
		http.MethodOptions, http.MethodConnect, http.MethodTrace:
		method = r.Method
	default:
		method = "OTHER"
	}
	route = r.Pattern
	if route == "" || route == "/" {
		return method, "unmatched"
	}
	if _, p, ok := strings.Cut(route, " "); ok {
		route = p
	}
	return method, route
}

// authenticate resolves the Bearer key before the handler runs.
func (a *API) authenticate(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := a.svc.Authenticate(r.Context(), r.Header.Get("Authorization"))
		if err != nil {
			a.writeError(w, r, err)
			return
		}
		q, err := a.svc.ChargeQuota(r.Context(), c)
		if q.Limit > 0 {
			// IETF draft RateLimit header fields, as most API clients read them.
			w.Header().Set("RateLimit-Limit", strconv.Itoa(q.Limit))
			w.Header().Set("RateLimit-Remaining", strconv.Itoa(q.Remaining))
			w.Header().Set("RateLimit-Reset", strconv.Itoa(int(math.Ceil(q.Reset.Seconds()))))
		}
		if err != nil {
			a.writeError(w, r, err)
			return
		}
		rec := &recorder{ResponseWriter: w}
		next(rec, r.WithContext(context.WithValue(r.Context(), callerKey, c)))
		if rec.throttled {
			a.svc.RefundQuota(context.WithoutCancel(r.Context()), c)
		}
	}
}

// notFound answers unknown paths with 404 and known paths with the wrong
// method with 405, both in the error envelope.
func (a *API) notFound(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{"GET", "POST", "PATCH", "DELETE", "PUT"} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := a.mux.Handler(probe); pattern != "" && pattern != "/" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		a.writeError(w, r, apierr.New(http.StatusMethodNotAllowed, "resource.method_not_allowed",
			"%s is not allowed here; use %s", r.Method, strings.Join(allow, ", ")))
		return
	}
	a.writeError(w, r, apierr.New(http.StatusNotFound, "resource.route_not_found", "no route for %s %s", r.Method, r.URL.Path))
}

func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e, ok := apierr.As(err)
	if !ok {
		a.log.ErrorContext(r.Context(), "internal error", "request_id", RequestID(r.Context()), "err", err)
		e = apierr.Internal()
	}
	if c := apierr.BearerChallenge(e); c != "" {
		w.Header().Set("WWW-Authenticate", c)
	}
	if e.Status == http.StatusTooManyRequests {
		if s, ok := e.Meta["retry_after_seconds"]; ok {
			w.Header().Set("Retry-After", fmt.Sprint(s))
		}
		if rec, ok := w.(*recorder); ok && service.IsPlatformThrottle(e) {
			rec.throttled = true
		}
	}
	writeJSON(w, e.Status, envelope.FromError(e, RequestID(r.Context())))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func writeData[T any](w http.ResponseWriter, status int, v T) {
	writeJSON(w, status, envelope.Single[T]{Data: v})
}

// decode reads a JSON body into v strictly: bounded size, JSON media type,
// no unknown fields, one value. Errors name the offending field.
func decode(r *http.Request, w http.ResponseWriter, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		// curl -d labels a JSON body as a form unless told otherwise; the body
		// is still parsed strictly as JSON, so accepting the label is safe.
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json") && mt != "application/x-www-form-urlencoded") {
			return apierr.New(http.StatusUnsupportedMediaType, "validation.unsupported_media_type", "send the body as application/json")
		}
	}
	// The raw body is kept: once decoded, invalid UTF-8 has become U+FFFD
	// and can no longer be refused.
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return apierr.New(http.StatusRequestEntityTooLarge, "validation.body_too_large", "the body is larger than %d bytes", MaxBodyBytes).With("max_bytes", MaxBodyBytes)
	}
	if err != nil {
		return apierr.New(http.StatusBadRequest, "validation.malformed_json", "the body could not be read")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	if err == nil {
		if dec.More() {
			return apierr.New(http.StatusBadRequest, "validation.malformed_json", "the body must be a single JSON object")
		}
		if _, err := dec.Token(); err != io.EOF {
			return apierr.New(http.StatusBadRequest, "validation.malformed_json", "the body must be a single JSON object")
		}
		return textcheck.JSON(raw)
	}
	var (
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.Is(err, io.EOF):
		return apierr.New(http.StatusBadRequest, "validation.malformed_json", "a JSON body is required")
	case errors.As(err, &syntax):
		return apierr.New(http.StatusBadRequest, "validation.malformed_json", "malformed JSON at byte %d", syntax.Offset).With("offset", syntax.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return apierr.New(http.StatusBadRequest, "validation.malformed_json", "the body must be a JSON object")
		}
		return apierr.Invalid(field, "%s must be a %s", field, jsonKind(typ.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return apierr.New(http.StatusUnprocessableEntity, "validation.unknown_field", "unknown field %q", field).With("field", field)
	}
	return apierr.New(http.StatusBadRequest, "validation.malformed_json", "the body is not valid JSON")
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "struct", "map", "ptr":
		return "object"
	case "slice", "array":
		return "array"
	}
	return "number"
}

// pageRequest parses limit and cursor (empty ones mean the defaults: the
// first page of 25). Both are checked before anything else happens; the
// service then checks the cursor belongs to its list.
func pageRequest(r *http.Request, max int) (service.PageRequest, error) {
	q := r.URL.Query()
	p := service.PageRequest{Limit: 25, Cursor: q.Get("cursor")}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > max {
			return p, apierr.BadLimit(1, max)
		}
		p.Limit = n
	}
	if len(p.Cursor) > maxCursor {
		return p, apierr.BadCursor()
	}
	return p, nil
}

// maxCursor bounds a cursor before any work is spent opening it.
const maxCursor = 8192
