package xemu

import (
	"net/http"
	"strconv"
	"time"
)

// Rate limiting as X documents it (https://docs.x.com/fundamentals/rate-limits):
// per-user limits for user tokens, each endpoint with its own limit, windows
// that reset (fixed, not sliding), every response carrying
// x-rate-limit-limit / x-rate-limit-remaining / x-rate-limit-reset (Unix
// seconds), and 429 Too Many Requests once a window is spent.

type bucketKey struct {
	userID string
	route  string
	window time.Duration
}

type bucket struct {
	start time.Time
	used  int
}

// limit is one window of one route.
type limit struct {
	n      int
	window time.Duration
}

// rateState is what the x-rate-limit-* headers report.
type rateState struct {
	limit     int
	remaining int
	reset     time.Time
}

func (s rateState) set(h http.Header) {
	h.Set("x-rate-limit-limit", strconv.Itoa(s.limit))
	h.Set("x-rate-limit-remaining", strconv.Itoa(s.remaining))
	h.Set("x-rate-limit-reset", strconv.FormatInt(s.reset.Unix(), 10))
}

// take consumes one request of every limit of a route for a user. When any
// window is spent nothing is consumed and ok is false; the state returned is
// then the spent window's, otherwise the first (shortest) limit's.
func (e *Emulator) take(userID, route string, limits []limit) (rateState, bool) {
	now := e.opts.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	bs := make([]*bucket, len(limits))
	for i, l := range limits {
		k := bucketKey{userID, route, l.window}
		b := e.buckets[k]
		if b == nil || !now.Before(b.start.Add(l.window)) {
			b = &bucket{start: now}
			e.buckets[k] = b
		}
		bs[i] = b
		if b.used >= l.n {
			return rateState{limit: l.n, remaining: 0, reset: b.start.Add(l.window)}, false
		}
	}
	for _, b := range bs {
		b.used++
	}
	l, b := limits[0], bs[0]
	return rateState{limit: l.n, remaining: l.n - b.used, reset: b.start.Add(l.window)}, true
}
