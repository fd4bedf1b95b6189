package service

import (
	"context"
	"time"

	"github.com/parleyhq/parley/internal/events"
)

// Events and deliveries are the events capability (internal/events); these
// names and methods are its front for the transports.

// Event types delivered to users' endpoints (DESIGN §4).
const (
	EventMessageReceived  = events.EventMessageReceived
	EventMessageSent      = events.EventMessageSent
	EventMessageDelivered = events.EventMessageDelivered
	EventMessageRead      = events.EventMessageRead
	EventMessageFailed    = events.EventMessageFailed
	EventMessageReaction  = events.EventMessageReaction
	EventMessageEdited    = events.EventMessageEdited
	EventMessageDeleted   = events.EventMessageDeleted
	EventAccountDisconn   = events.EventAccountDisconn
	EventWindowClosing    = events.EventWindowClosing
	EventEndpointDisabled = events.EventEndpointDisabled
	EventWebhookTest      = events.EventWebhookTest

	// RotationOverlap is how long the previous secret keeps signing after
	// a rotation.
	RotationOverlap = events.RotationOverlap
	// DefaultWindowLead is how long before a reply window closes that
	// conversation.window_closing is sent, unless configured.
	DefaultWindowLead = events.DefaultWindowLead
)

// EventTypes are the types an endpoint may filter on.
var EventTypes = events.EventTypes

// Enqueuer inserts River jobs inside a transaction (the River client).
type Enqueuer = events.Enqueuer

// Publish records and enqueues an event in its own transaction.
func (s *Service) Publish(ctx context.Context, orgID, typ, dedupeKey string, data any) error {
	return s.events.Publish(ctx, orgID, typ, dedupeKey, data)
}

// CreateWebhook adds an endpoint; its whsec_ secret is in this answer only.
func (s *Service) CreateWebhook(ctx context.Context, c Caller, in WebhookInput) (WebhookEndpoint, error) {
	return s.events.CreateWebhook(ctx, c, in)
}

// GetWebhook reads one endpoint.
func (s *Service) GetWebhook(ctx context.Context, c Caller, id string) (WebhookEndpoint, error) {
	return s.events.GetWebhook(ctx, c, id)
}

// ListWebhooks pages through endpoints.
func (s *Service) ListWebhooks(ctx context.Context, c Caller, p PageRequest) (List[WebhookEndpoint], error) {
	return s.events.ListWebhooks(ctx, c, p)
}

// UpdateWebhook changes an endpoint; enabling clears a disabled state.
func (s *Service) UpdateWebhook(ctx context.Context, c Caller, id string, in WebhookInput) (WebhookEndpoint, error) {
	return s.events.UpdateWebhook(ctx, c, id, in)
}

// DeleteWebhook removes an endpoint; pending deliveries to it are dropped.
func (s *Service) DeleteWebhook(ctx context.Context, c Caller, id string) error {
	return s.events.DeleteWebhook(ctx, c, id)
}

// RotateWebhookSecret issues a new secret; both sign until the overlap ends.
func (s *Service) RotateWebhookSecret(ctx context.Context, c Caller, id string) (WebhookEndpoint, error) {
	return s.events.RotateWebhookSecret(ctx, c, id)
}

// TestWebhook sends a webhook.test event to one endpoint.
func (s *Service) TestWebhook(ctx context.Context, c Caller, id string) (EventView, error) {
	return s.events.TestWebhook(ctx, c, id)
}

// ListEvents pages through the organisation's events, oldest first.
func (s *Service) ListEvents(ctx context.Context, c Caller, p PageRequest) (List[EventView], error) {
	return s.events.ListEvents(ctx, c, p)
}

// GetEvent reads one event.
func (s *Service) GetEvent(ctx context.Context, c Caller, id string) (EventView, error) {
	return s.events.GetEvent(ctx, c, id)
}

// ListAttempts lists delivery attempts of an event or to an endpoint.
func (s *Service) ListAttempts(ctx context.Context, c Caller, eventID, endpointID string, p PageRequest) (List[DeliveryAttempt], error) {
	return s.events.ListAttempts(ctx, c, eventID, endpointID, p)
}

// ReplayEvent delivers an event again to every matching enabled endpoint,
// or to one.
func (s *Service) ReplayEvent(ctx context.Context, c Caller, id, endpointID string) error {
	return s.events.ReplayEvent(ctx, c, id, endpointID)
}

// DisableEndpoint turns an endpoint off after failed deliveries and records
// endpoint.disabled in the same transaction.
func (s *Service) DisableEndpoint(ctx context.Context, orgID, endpointID, reason string, at time.Time) error {
	return s.events.DisableEndpoint(ctx, orgID, endpointID, reason, at)
}

// NotifyClosingWindows publishes conversation.window_closing for windows
// about to close with no reply.
func (s *Service) NotifyClosingWindows(ctx context.Context) error {
	return s.events.NotifyClosingWindows(ctx)
}
