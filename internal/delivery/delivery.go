// Package delivery sends events to users' webhook endpoints on River, exactly
// as Standard Webhooks specifies: one webhook-id per event on every attempt,
// retries with jitter over about a day, 2xx only is success, no redirects.
//
// It also guards where deliveries may go (Policy): only globally reachable
// addresses, plus loopback and private networks when the operator allows
// them; never link-local (cloud metadata) or other special-purpose ranges.
// Failed attempts are recorded by a stable reason (ReasonOf), never by the
// raw error, which names addresses.
package delivery

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"

	"github.com/riverqueue/river"

	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/secrets"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/webhook/stdwebhook"
)

// Args is the River job that delivers one event to one endpoint.
type Args struct {
	OrgID      string `json:"org_id"`
	EventID    string `json:"event_id"`
	EndpointID string `json:"endpoint_id"`
}

// Kind implements river.JobArgs.
func (Args) Kind() string { return "webhook_delivery" }

// InsertOpts spreads deliveries over their own queue and sets the attempt
// budget of DESIGN §4.
func (Args) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: len(Schedule), Queue: Queue}
}

// Queue is the River queue deliveries run on.
const Queue = "webhooks"

// Schedule is the delay before each attempt (DESIGN §4): immediately, then
// 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h — about a day in all.
var Schedule = []time.Duration{0, 5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}

// Timeout bounds one delivery attempt.
const Timeout = 15 * time.Second

// DisableAfter is how long an endpoint may fail every delivery before it is
// disabled and an endpoint.disabled notice recorded.
const DisableAfter = 5 * 24 * time.Hour

// attemptCommitters is how many commits of attempts may run at once.
const attemptCommitters = 4

// Workers is how many deliveries a replica makes at once (its River queue's
// concurrency).
const Workers = 50

// Config builds a Worker.
type Config struct {
	Store  store.Store
	Keys   *secrets.KeyRing
	Logger *slog.Logger
	// AllowPrivate lets deliveries reach loopback and private networks
	// (tests and the sandbox; never on a shared deployment). It never opens
	// link-local, reserved or other special-purpose addresses: see Policy.
	AllowPrivate bool
	// Resolver looks up endpoint host names; nil means net.DefaultResolver.
	// Tests point it at a scripted DNS server.
	Resolver *net.Resolver
	// Timeout bounds one attempt; 0 means Timeout.
	Timeout time.Duration
	// Disable turns an endpoint off and records its endpoint.disabled event,
	// both in one transaction (the service's DisableEndpoint): were they two
	// writes, a crash between them would lose the event.
	Disable func(ctx context.Context, orgID, endpointID, reason string, at time.Time) error
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Schedule replaces the retry schedule (tests compress the day into
	// milliseconds); nil means Schedule.
	Schedule []time.Duration
}

// Worker delivers events.
type Worker struct {
	river.WorkerDefaults[Args]
	cfg    Config
	client *http.Client
	// attempts records the attempts of concurrent deliveries together: one
	// commit for many (each was one commit, a WAL flush on PostgreSQL,
	// per delivery), a few at once.
	attempts domain.GroupCommit[store.Attempt]
}

// NewWorker returns a delivery worker.
func NewWorker(cfg Config) *Worker {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Schedule == nil {
		cfg.Schedule = Schedule
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = Timeout
	}
	return &Worker{cfg: cfg, client: NewClient(cfg), attempts: domain.GroupCommit[store.Attempt]{Limit: attemptCommitters}}
}

// NewClient is the HTTP client deliveries use: bounded by cfg.Timeout, no
// redirects, no proxy, and refusing to connect to any address Policy does
// not allow. The check runs in the dialer's Control hook on the address
// actually being dialled, after resolution and before the connect, so a
// name that resolves (or later rebinds) to a refused address is caught and
// nothing is sent to it.
func NewClient(cfg Config) *http.Client {
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = Timeout
	}
	policy := Policy{AllowPrivate: cfg.AllowPrivate}
	dialer := &net.Dialer{Timeout: min(5*time.Second, timeout), Resolver: cfg.Resolver,
		Control: func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: unparsable address %q", ErrAddressNotAllowed, address)
			}
			if v, ok := policy.Allows(ap.Addr()); !ok {
				return fmt.Errorf("%w: %s is %s", ErrAddressNotAllowed, ap.Addr(), v.Range)
			}
			return nil
		}}
	// Proxy stays nil: through a proxy the dialled address would be the
	// proxy's, and the check above would guard nothing.
	// As many idle connections per host as workers: with fewer, a burst to
	// one endpoint (the common case: one receiver per organisation) closes
	// and reopens connections on every delivery past the limit.
	tr := &http.Transport{DialContext: dialer.DialContext, MaxIdleConnsPerHost: Workers, IdleConnTimeout: 90 * time.Second,
		TLSHandshakeTimeout: min(5*time.Second, timeout), ResponseHeaderTimeout: timeout}
	return &http.Client{Transport: tr, Timeout: timeout,
		// Redirects are not followed (DESIGN §4): a 3xx is a failed attempt.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// ErrAddressNotAllowed refuses a delivery to an address Policy does not
// allow. Its text names the address, for the operator's logs only; the
// attempt record shows ReasonAddressNotAllowed.
var ErrAddressNotAllowed = errors.New("delivery: address not allowed")

// NextRetry implements River's per-worker retry schedule, with ±10 % jitter
// so retries from one outage do not arrive together.
func (w *Worker) NextRetry(job *river.Job[Args]) time.Time {
	sched := w.cfg.Schedule
	i := min(job.Attempt, len(sched)-1) // Attempt counts from 1; the next delay is sched[Attempt].
	d := sched[i]
	jitter := time.Duration(rand.Int64N(int64(d)/5+1)) - d/10
	return w.cfg.Now().Add(d + jitter)
}

// Timeout implements river.Worker: the HTTP client has its own bound.
func (w *Worker) Timeout(*river.Job[Args]) time.Duration { return w.cfg.Timeout + 5*time.Second }

// Work makes one attempt.
func (w *Worker) Work(ctx context.Context, job *river.Job[Args]) error {
	a := job.Args
	ev, err := w.cfg.Store.GetEvent(ctx, a.OrgID, a.EventID)
	if errors.Is(err, store.ErrNotFound) {
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	ep, err := w.cfg.Store.GetEndpoint(ctx, a.OrgID, a.EndpointID)
	if errors.Is(err, store.ErrNotFound) {
		return river.JobCancel(fmt.Errorf("endpoint %s deleted", a.EndpointID))
	}
	if err != nil {
		return err
	}
	if !ep.Enabled {
		return river.JobCancel(fmt.Errorf("endpoint %s disabled", ep.ID))
	}
	keys, err := w.signingKeys(ep)
	if err != nil {
		return river.JobCancel(err)
	}
	now := w.cfg.Now()
	start := time.Now()
	status, derr := w.post(ctx, ep.URL, stdwebhook.Headers(keys, ev.ID, now, ev.Payload), ev.Payload)
	if derr != nil && errors.Is(ctx.Err(), context.Canceled) {
		// The replica is stopping and cancelled the attempt (a deadline
		// would be context.DeadlineExceeded): not the endpoint's failure,
		// so nothing is recorded against it. River, seeing the context's
		// error, makes the job available again without counting the
		// attempt, for another replica to deliver under the same webhook-id.
		return ctx.Err()
	}
	att := store.Attempt{ID: store.NewID("att"), OrgID: a.OrgID, EventID: ev.ID, EndpointID: ep.ID, Attempt: job.Attempt,
		StatusCode: status, DurationMS: int(time.Since(start).Milliseconds()), Success: derr == nil, CreatedAt: now}
	if derr != nil {
		// The record keeps only the stable reason: the raw error names
		// resolved addresses and dial internals, which are the operator's
		// business (logged here), not the endpoint owner's.
		att.Error = ReasonOf(derr, status)
		w.cfg.Logger.WarnContext(ctx, "webhook delivery failed", "endpoint_id", ep.ID, "event_id", ev.ID,
			"attempt", job.Attempt, "reason", att.Error, "err", derr)
	}
	if err := w.attempts.Commit(ctx, att, func(as []store.Attempt) error {
		return w.cfg.Store.InsertAttempts(context.WithoutCancel(ctx), as)
	}); err != nil {
		w.cfg.Logger.ErrorContext(ctx, "record delivery attempt", "err", err)
	}
	if derr == nil {
		if ep.FailingSince != nil {
			_ = w.cfg.Store.SetEndpointHealth(ctx, a.OrgID, ep.ID, nil, "")
		}
		return nil
	}
	switch {
	case status == http.StatusGone:
		// 410: the receiver asks us to stop (DESIGN §4).
		return w.disable(ctx, ep, now, "endpoint answered 410 Gone", derr)
	case ep.FailingSince != nil && now.Sub(*ep.FailingSince) >= DisableAfter:
		return w.disable(ctx, ep, now, fmt.Sprintf("every delivery failed for %s", DisableAfter), derr)
	default:
		if err := w.cfg.Store.SetEndpointHealth(ctx, a.OrgID, ep.ID, &now, ""); err != nil {
			w.cfg.Logger.ErrorContext(ctx, "record endpoint failure", "err", err)
		}
	}
	return derr
}

// disable ends the job once the endpoint is disabled. If disabling fails the
// job is retried instead, so the endpoint is disabled (with its event) at the
// next attempt rather than never.
func (w *Worker) disable(ctx context.Context, ep store.Endpoint, now time.Time, reason string, derr error) error {
	if err := w.cfg.Disable(ctx, ep.OrgID, ep.ID, reason, now); err != nil {
		return fmt.Errorf("disable endpoint %s: %w", ep.ID, err)
	}
	return river.JobCancel(derr)
}

// signingKeys opens the endpoint's secret, and the previous one while a
// rotation overlap lasts, so receivers on either secret verify.
func (w *Worker) signingKeys(ep store.Endpoint) ([][]byte, error) {
	open := func(sealed []byte) ([]byte, error) {
		s, err := w.cfg.Keys.Open(sealed, []byte(ep.ID))
		if err != nil {
			return nil, err
		}
		return stdwebhook.ParseSecret(string(s))
	}
	cur, err := open(ep.Secret)
	if err != nil {
		return nil, err
	}
	keys := [][]byte{cur}
	if len(ep.PreviousSecret) > 0 && ep.PreviousUntil != nil && w.cfg.Now().Before(*ep.PreviousUntil) {
		if prev, err := open(ep.PreviousSecret); err == nil {
			keys = append(keys, prev)
		}
	}
	return keys, nil
}

// post sends the body; any non-2xx answer is an error carrying its status.
func (w *Worker) post(ctx context.Context, url string, h http.Header, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("%w: %w", errInvalidURL, err)
	}
	req.Header = h
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Parley-Webhooks/1")
	res, err := w.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return res.StatusCode, fmt.Errorf("endpoint answered %d", res.StatusCode)
	}
	return res.StatusCode, nil
}
