package service

import (
	"context"
	"time"
)

// EventRetention is how long events and their delivery attempts stay
// listable and replayable: longer than the day of retries, long enough to
// investigate a missed delivery.
const EventRetention = 30 * 24 * time.Hour

// Prune deletes what has outlived its retention: journalled WhatsApp
// messages, expired rate counters, idempotency keys past their 24 h, MCP
// sign-in codes and tokens past their expiry, and events past
// EventRetention.
func (s *Service) Prune(ctx context.Context) error {
	now := s.now()
	if _, err := s.store.PruneJournal(ctx, now); err != nil {
		return err
	}
	if _, err := s.store.PruneCounters(ctx, now); err != nil {
		return err
	}
	if _, err := s.store.PruneIdempotencyKeys(ctx, now.Add(-IdempotencyTTL)); err != nil {
		return err
	}
	if _, err := s.store.PruneOAuth(ctx, now); err != nil {
		return err
	}
	_, err := s.store.PruneEvents(ctx, now.Add(-EventRetention))
	return err
}
