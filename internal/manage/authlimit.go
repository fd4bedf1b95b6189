package manage

import (
	"context"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/apierr"
)

type clientAddrKey struct{}

// WithClientAddr records the address a request's limits are keyed on (the
// transport decides it: the TCP peer, or a trusted proxy's report of it).
func WithClientAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientAddrKey{}, addr)
}

func clientAddr(ctx context.Context) string {
	a, _ := ctx.Value(clientAddrKey{}).(string)
	return a
}

// Failed authentications are limited per client address, so keys cannot be
// guessed at the speed of the network.
//
// The count lives in the database's fixed-window counters, like every other
// limit, so it holds across replicas: a client spreading its guesses over
// several replicas is still counted once. The decision to lock a client out
// is then remembered in memory by each replica that sees the count go over
// (lockouts), until the window ends. A locked-out client is refused before
// its key is hashed or looked up, and a successful request costs no extra
// database write. The price is that a replica which has not yet seen the
// client fail since the count went over looks up one more key, which it
// refuses with 429 if invalid: across R replicas at most limit+R-1 keys are
// tried per window.
//
// Missing keys are not counted: they guess nothing, and a misconfigured
// client should keep seeing auth.missing_key rather than a 429. Clients
// behind one address (a NAT) share its limit; an operator can raise it
// (PARLEY_AUTH_FAILURE_LIMIT) or set PARLEY_TRUSTED_PROXIES so clients are
// told apart behind a proxy.

const authFailWindow = time.Minute

// authFailed counts an invalid key from client and answers: auth.invalid_key
// while under the limit, rate_limit.exceeded past it.
func (s *Manage) authFailed(ctx context.Context, client string) error {
	if s.authFailLimit <= 0 || client == "" {
		return errInvalidKey
	}
	n, reset, err := s.count(ctx, "authfail:"+client, authFailWindow, 1)
	if err != nil {
		s.log.WarnContext(ctx, "count failed authentication", "client", client, "err", err)
		return errInvalidKey
	}
	if n >= s.authFailLimit {
		now := s.now()
		s.lockouts.lock(client, now, now.Add(reset))
	}
	if n > s.authFailLimit {
		return s.tooManyFailures(reset)
	}
	return errInvalidKey
}

// lockedOut refuses a client this replica saw go over the limit.
func (s *Manage) lockedOut(client string) error {
	if s.authFailLimit <= 0 || client == "" {
		return nil
	}
	if left := s.lockouts.until(client).Sub(s.now()); left > 0 {
		return s.tooManyFailures(left)
	}
	return nil
}

func (s *Manage) tooManyFailures(reset time.Duration) error {
	retry := max(1, int(math.Ceil(reset.Seconds())))
	return apierr.New(http.StatusTooManyRequests, "rate_limit.exceeded",
		"too many requests with an invalid API key from this address; retry in %ds", retry).
		With("retry_after_seconds", retry).With("limit", s.authFailLimit).With("window_seconds", int(authFailWindow.Seconds())).
		With("scope", "client_address")
}

// lockouts remembers, per replica, which client addresses are refused and
// until when. Only clients that went over the limit are kept, expired ones
// are dropped as new ones arrive, and past maxLockouts nothing new is kept:
// the database count still refuses those clients, one lookup later.
type lockouts struct {
	mu sync.Mutex
	m  map[string]time.Time
}

const maxLockouts = 100_000

func (l *lockouts) lock(client string, now, until time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]time.Time{}
	}
	if _, ok := l.m[client]; !ok && len(l.m) >= maxLockouts/2 {
		for c, t := range l.m {
			if !t.After(now) {
				delete(l.m, c)
			}
		}
		if len(l.m) >= maxLockouts {
			return
		}
	}
	if until.After(l.m[client]) {
		l.m[client] = until
	}
}

func (l *lockouts) until(client string) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.m[client]
}
