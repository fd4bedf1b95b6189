package ingest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/store"
)

// A platform's webhook is answered once its verified body is durable, not
// once everything it says is recorded (issue #15, item 2): the receiver
// calls Accept, which appends the sealed body to the inbound queue (one
// statement per group-committed batch of webhooks) and returns; the same
// replica then records the events in the background (Ingest's batched
// transaction), and that transaction deletes the queue row, so the events
// are recorded once whoever records them. A replica killed in between
// leaves the row; the sweep (Sweep, a periodic task) records it once its
// grace has passed, and retries one whose recording failed with a backoff.
//
// The acknowledgement costs one insert; the recording runs in larger
// batches than the requests would make on their own, so the database does
// less work per event. Deliveries stay at least once: a recorded event is
// enqueued for delivery in the transaction that records it. SQLite records
// before answering instead (QueueConfig.Direct).

// QueueConfig tunes Accept and Sweep; the zero value is usable.
type QueueConfig struct {
	// Parse turns a queued body back into events, by its source (the
	// receiver's parsers); required by Sweep.
	Parse func(source string, body []byte) ([]platform.InboundEvent, error)
	// Grace is how long a queued webhook belongs to the replica that
	// accepted it before a sweep may record it (a killed replica's are
	// recorded after it); 0 means DefaultGrace.
	Grace time.Duration
	// Backlog bounds the webhooks a replica has accepted and not yet
	// recorded: beyond it Accept waits, so a flood is answered at the
	// speed it is recorded rather than piling up in memory. 0 means
	// DefaultBacklog.
	Backlog int
	// Direct records a webhook's events before Accept returns, in one
	// transaction, without queueing the body: for SQLite, whose one
	// process and one writer connection gain nothing from answering first
	// and lose to the queue's extra write (at 200 webhooks/s the p50 to
	// the endpoint went from about 10 to 20–28 ms, and throughput fell; see
	// BENCHMARKS.md, issue 15 run D).
	Direct bool
}

// Queue defaults.
const (
	DefaultGrace   = 2 * time.Minute
	DefaultBacklog = 4096
	// MaxAttempts is how often a sweep tries a queued webhook that fails to
	// record before leaving it for an operator (parley_inbound_queue
	// {state="failed"}); with backoff up to an hour, about a day.
	MaxAttempts = 30
	sweepBatch  = 500
)

// queue is Ingest's accept-then-record machinery.
type queue struct {
	cfg     QueueConfig
	backlog *semaphore.Weighted

	// mu guards inflight, the recordings Accept started and that have not
	// ended, and idle, closed whenever inflight is zero (for Wait).
	mu       sync.Mutex
	inflight int
	idle     chan struct{}
}

// begin and end bracket one recording started by Accept.
func (q *queue) begin() {
	q.mu.Lock()
	if q.inflight == 0 {
		q.idle = make(chan struct{})
	}
	q.inflight++
	q.mu.Unlock()
}

func (q *queue) end() {
	q.mu.Lock()
	q.inflight--
	if q.inflight == 0 {
		close(q.idle)
	}
	q.mu.Unlock()
}

// settled is closed once no recording is in flight.
func (q *queue) settled() <-chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.inflight == 0 {
		done := make(chan struct{})
		close(done)
		return done
	}
	return q.idle
}

func newQueue(cfg QueueConfig) *queue {
	if cfg.Grace <= 0 {
		cfg.Grace = DefaultGrace
	}
	if cfg.Backlog <= 0 {
		cfg.Backlog = DefaultBacklog
	}
	return &queue{cfg: cfg, backlog: semaphore.NewWeighted(int64(cfg.Backlog))}
}

// Accept makes a verified webhook durable and records its events in the
// background. source names the receiver that parsed body into events. When
// Accept returns nil the body is stored: the platform may be answered 200.
func (s *Ingest) Accept(ctx context.Context, source string, body []byte, events []platform.InboundEvent) error {
	if len(events) == 0 {
		return nil // nothing it says would be recorded
	}
	if s.queue.cfg.Direct {
		return s.apply(ctx, "", events)
	}
	if err := s.queue.backlog.Acquire(ctx, 1); err != nil {
		return fmt.Errorf("ingest: backlog full: %w", err)
	}
	now := s.now().UTC()
	raw := store.InboundRaw{ID: store.NewID("inb"), Source: source, ReceivedAt: now, NextAt: now.Add(s.queue.cfg.Grace)}
	sealed, err := s.keys.Seal(body, []byte(raw.ID))
	if err == nil {
		raw.Sealed = sealed
		err = s.appendGroup.Commit(ctx, raw, func(batch []store.InboundRaw) error {
			return s.store.AppendInbound(context.WithoutCancel(ctx), batch)
		})
	}
	if err != nil {
		s.queue.backlog.Release(1)
		return err
	}
	s.queue.begin()
	go func() {
		defer s.queue.end()
		defer s.queue.backlog.Release(1)
		s.record(context.WithoutCancel(ctx), raw, events)
	}()
	return nil
}

// record records a queued webhook's events; a failure is counted on its
// row, which a later sweep retries.
func (s *Ingest) record(ctx context.Context, raw store.InboundRaw, events []platform.InboundEvent) bool {
	err := s.apply(ctx, raw.ID, events)
	if err == nil {
		return true
	}
	s.fail(ctx, raw, "inbound webhook not recorded yet; it stays queued and is retried", err)
	return false
}

// fail counts a failed attempt on a queued webhook and puts its next one
// off: it stays queued, never dropped.
func (s *Ingest) fail(ctx context.Context, raw store.InboundRaw, msg string, err error) {
	attempt := raw.Attempts + 1
	next := s.now().Add(backoff(attempt))
	s.log.ErrorContext(ctx, msg, "id", raw.ID, "source", raw.Source, "attempt", attempt, "next", next, "err", err)
	if ferr := s.store.FailInbound(ctx, raw.ID, err.Error(), next); ferr != nil {
		s.log.ErrorContext(ctx, "inbound webhook failure not counted", "id", raw.ID, "err", ferr)
	}
}

// backoff is the wait before a failed recording's next try: 10 s doubling
// up to an hour.
func backoff(attempt int) time.Duration {
	d := 10 * time.Second
	for i := 1; i < attempt && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// Wait blocks until no webhook this replica accepted is being recorded
// (each is recorded, or has failed and waits for a sweep), or ctx ends: a
// replica stopping lets its accepted work finish first, and a test reads
// what a webhook it posted recorded.
func (s *Ingest) Wait(ctx context.Context) error {
	select {
	case <-s.queue.settled():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Sweep records queued webhooks whose grace or backoff has passed: those a
// killed replica accepted, and those whose recording failed. It runs as a
// periodic task on one replica; a row a live replica is recording at the
// same moment is recorded once (the claim), whoever wins.
func (s *Ingest) Sweep(ctx context.Context) error {
	if s.queue.cfg.Parse == nil {
		return errors.New("ingest: Sweep needs QueueConfig.Parse")
	}
	for {
		rows, err := s.store.InboundDue(ctx, s.now(), MaxAttempts, sweepBatch)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		var failed atomic.Int64
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(32)
		for _, raw := range rows {
			g.Go(func() error {
				if !s.recordQueued(gctx, raw) {
					failed.Add(1)
				}
				return nil
			})
		}
		_ = g.Wait()
		if err := ctx.Err(); err != nil {
			return err
		}
		// A pass whose every row failed stops even if the failures could
		// not be counted (the rows would come back at once).
		if int(failed.Load()) == len(rows) || len(rows) < sweepBatch {
			// What failed waits for its backoff; the next pass takes it.
			return nil
		}
	}
}

// recordQueued opens and parses a queued body, then records it.
func (s *Ingest) recordQueued(ctx context.Context, raw store.InboundRaw) bool {
	body, err := s.keys.Open(raw.Sealed, []byte(raw.ID))
	var events []platform.InboundEvent
	if err == nil {
		events, err = s.queue.cfg.Parse(raw.Source, body)
	}
	if err != nil {
		// Kept, not dropped: a key put back or a parser fixed records it.
		s.fail(ctx, raw, "queued inbound webhook unreadable", err)
		return false
	}
	return s.record(ctx, raw, events)
}
