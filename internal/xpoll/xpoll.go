// Package xpoll receives X DMs for deployments whose X app has no Account
// Activity webhooks, by polling GET /2/dm_events within X's rate limits.
package xpoll

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/platform/xapi"
	"github.com/parleyhq/parley/internal/secrets"
	"github.com/parleyhq/parley/internal/store"
)

// The schedule. X allows 15 DM lookup requests per 15 minutes per user
// (https://docs.x.com/x-api/fundamentals/rate-limits, checked 2026-11-30),
// shared by every GET …/dm_events Parley makes for the account (history
// reads too). Polling every Active interval with one page spends at most
// half of that, leaving the rest to the people reading the inbox; an
// account that stays quiet is polled ever less often, up to MaxIdle; a 429
// waits for X's window to reset.
const (
	// DefaultActive is the interval after a poll that found messages: a
	// customer's DM raises message.received within it.
	DefaultActive = 2 * time.Minute
	// DefaultMaxIdle caps the back-off of a quiet account (the interval
	// doubles with each empty poll).
	DefaultMaxIdle = 15 * time.Minute
	// DefaultMaxPages bounds one poll's requests: a second page only when
	// more than 100 events arrived since the last poll.
	DefaultMaxPages = 2
	// Tick is how often the job looks for accounts whose poll is due.
	Tick = time.Minute
	// batch bounds the accounts one run polls; the rest stay due.
	batch = 200
)

// Poller is X's side of a poll (xapi.Adapter).
type Poller interface {
	Poll(ctx context.Context, acct platform.Account, sinceID string, maxPages int) (xapi.Polled, error)
}

// Config builds a Job.
type Config struct {
	Store store.Store
	Keys  *secrets.KeyRing
	X     Poller
	// Ingest records events as the webhook receiver does (dedupe, journal,
	// conversation metadata, deliveries to users' endpoints).
	Ingest  func(ctx context.Context, evs []platform.InboundEvent) error
	Logger  *slog.Logger
	Now     func() time.Time
	Active  time.Duration // 0: DefaultActive
	MaxIdle time.Duration // 0: DefaultMaxIdle
}

// Job polls the X accounts whose turn has come. Run is its periodic task;
// River runs periodic tasks on one replica at a time.
type Job struct{ cfg Config }

// New returns the job.
func New(cfg Config) *Job {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Active <= 0 {
		cfg.Active = DefaultActive
	}
	if cfg.MaxIdle < cfg.Active {
		cfg.MaxIdle = max(DefaultMaxIdle, cfg.Active)
	}
	return &Job{cfg: cfg}
}

// Run polls every due X account once and schedules its next poll. One
// account's failure is logged and retried later; it never stops the others.
func (j *Job) Run(ctx context.Context) error {
	now := j.cfg.Now()
	due, err := j.cfg.Store.DuePolls(ctx, string(platform.X), now, batch)
	if err != nil {
		return err
	}
	for _, st := range due {
		if err := ctx.Err(); err != nil {
			return err
		}
		next := j.pollOne(ctx, st)
		if err := j.cfg.Store.SavePoll(ctx, next); err != nil {
			return err
		}
	}
	return nil
}

// pollOne polls one account and returns its next state.
func (j *Job) pollOne(ctx context.Context, st store.PollState) store.PollState {
	now := j.cfg.Now()
	next := store.PollState{AccountID: st.AccountID, NewestID: st.NewestID, IdlePolls: st.IdlePolls}
	acct, err := j.open(st.Account)
	if err == nil {
		var got xapi.Polled
		got, err = j.cfg.X.Poll(ctx, acct, st.NewestID, DefaultMaxPages)
		if err == nil && len(got.Events) > 0 {
			err = j.cfg.Ingest(ctx, got.Events)
		}
		if err == nil {
			// Only once ingested: a failed ingest polls the same events again.
			next.NewestID = got.Newest
			if len(got.Events) > 0 {
				next.IdlePolls = 0
				next.NextPollAt = now.Add(j.cfg.Active)
				return next
			}
		}
	}
	if err != nil {
		j.cfg.Logger.WarnContext(ctx, "x dm poll failed", "account_id", st.AccountID, "error", err)
		if wait, ok := retryAfter(err); ok {
			next.NextPollAt = now.Add(max(wait, j.cfg.Active))
			return next
		}
	}
	next.IdlePolls = min(st.IdlePolls+1, 16)
	next.NextPollAt = now.Add(j.backoff(next.IdlePolls))
	return next
}

// backoff is the interval after idle empty polls in a row: Active doubled
// each time, at most MaxIdle.
func (j *Job) backoff(idle int) time.Duration {
	d := j.cfg.Active
	for i := 1; i < idle && d < j.cfg.MaxIdle; i++ {
		d *= 2
	}
	return min(d, j.cfg.MaxIdle)
}

func (j *Job) open(a store.Account) (platform.Account, error) {
	token, err := j.cfg.Keys.Open(a.Credentials, []byte(a.ID))
	if err != nil {
		return platform.Account{}, err
	}
	return platform.Account{ID: a.ID, Platform: platform.X, NativeID: a.NativeID, AccessToken: string(token), Variant: a.Variant}, nil
}

// retryAfter reads X's reset time from a rate-limit refusal.
func retryAfter(err error) (time.Duration, bool) {
	var e *apierr.Error
	if !errors.As(err, &e) || e.Code != "platform.x.rate_limit" {
		return 0, false
	}
	s, ok := e.Meta["retry_after_seconds"].(int)
	if !ok {
		return 0, false
	}
	return time.Duration(s) * time.Second, true
}
