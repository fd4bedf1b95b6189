package service

import (
	"context"
	"time"

	"github.com/parleyhq/parley/internal/platform"
)

// Inbound ingestion is its own capability (internal/ingest); these methods
// are its front for the webhook receivers.

// Ingest records normalised webhook events durably for every organisation
// that connected the account. When it returns nil everything is durable;
// an error asks the platform to retry.
func (s *Service) Ingest(ctx context.Context, events []platform.InboundEvent) error {
	return s.ingest.Ingest(ctx, events)
}

// Accept makes a verified webhook body durable and records its events in
// the background (ingest.Ingest.Accept): when it returns nil the platform
// may be answered.
func (s *Service) Accept(ctx context.Context, source string, body []byte, events []platform.InboundEvent) error {
	return s.ingest.Accept(ctx, source, body, events)
}

// SweepInbound records accepted webhooks a replica left behind or failed
// to record (ingest.Ingest.Sweep).
func (s *Service) SweepInbound(ctx context.Context) error { return s.ingest.Sweep(ctx) }

// WaitInbound waits until the webhooks this replica accepted are recorded,
// or ctx ends.
func (s *Service) WaitInbound(ctx context.Context) error { return s.ingest.Wait(ctx) }

// RecordInbound notes a message a customer sent on an account's thread; it
// reports false for a message already recorded (platforms retry webhooks).
func (s *Service) RecordInbound(ctx context.Context, orgID, accountID, threadID string, m platform.Message, referralAt time.Time) (bool, error) {
	return s.ingest.RecordInbound(ctx, orgID, accountID, threadID, m, referralAt)
}
