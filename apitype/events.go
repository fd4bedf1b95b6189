package apitype

import (
	"encoding/json"
	"time"
)

// WebhookEndpoint is the public shape of a webhook endpoint. Secret is set
// only when it is created or rotated.
type WebhookEndpoint struct {
	// ID is the endpoint's id (whep_…).
	ID string `json:"id"`
	// URL is where events are POSTed.
	URL string `json:"url"`
	// Description is a note for humans.
	Description string `json:"description"`
	// Events are the event types delivered; [] means all.
	Events []string `json:"events"`
	// Enabled is false while deliveries are paused.
	Enabled bool `json:"enabled"`
	// DisabledReason says why Parley or the user disabled it.
	DisabledReason string `json:"disabled_reason,omitempty"`
	// FailingSince is when deliveries started failing; null while healthy.
	FailingSince *time.Time `json:"failing_since"`
	// Secret is the whsec_ signing secret, in the creating or rotating
	// response only.
	Secret string `json:"secret,omitempty"`
	// CreatedAt is when the endpoint was added.
	CreatedAt time.Time `json:"created_at"`
	// UpdatedAt is when it last changed.
	UpdatedAt time.Time `json:"updated_at"`
}

// WebhookInput creates or updates an endpoint; absent fields are left as
// they are on update.
type WebhookInput struct {
	// URL is where events are POSTed.
	URL *string `json:"url,omitempty" jsonschema:"where events are POSTed (https; http only for loopback when allowed)"`
	// Events are the event types to deliver.
	Events *[]string `json:"events,omitempty" jsonschema:"event types to deliver; empty or absent for all"`
	// Description is a note for humans.
	Description *string `json:"description,omitempty" jsonschema:"a note for humans"`
	// Enabled pauses (false) or resumes (true) deliveries.
	Enabled *bool `json:"enabled,omitempty" jsonschema:"false pauses deliveries; true re-enables a disabled endpoint"`
}

// EventView is an event as delivered and as listed.
type EventView struct {
	// ID is the event's id (evt_…); deliveries carry it as webhook-id.
	ID string `json:"id"`
	// Type is the event type, e.g. message.received.
	Type string `json:"type"`
	// Timestamp is when the event happened.
	Timestamp time.Time `json:"timestamp"`
	// Data is the event's payload (MessageEvent for message.*).
	Data json.RawMessage `json:"data"`
}

// DeliveryAttempt is one delivery attempt as listed. A failed attempt says
// why in Reason, a stable code, and in Error, a sentence; neither carries
// the address dialled or dial internals.
type DeliveryAttempt struct {
	// ID is the attempt's id (att_…).
	ID string `json:"id"`
	// EventID is the event delivered.
	EventID string `json:"event_id"`
	// EndpointID is the endpoint it was delivered to.
	EndpointID string `json:"endpoint_id"`
	// Attempt numbers the attempts of one delivery, from 1.
	Attempt int `json:"attempt"`
	// StatusCode is the endpoint's HTTP status; 0 when it did not answer.
	StatusCode int `json:"status_code" jsonschema:"the endpoint's HTTP status; 0 when it did not answer"`
	// Reason is why the attempt failed, a stable code.
	Reason string `json:"reason,omitempty" jsonschema:"why the attempt failed: address_not_allowed, dns_error, timeout, connection_refused, connection_error, tls_error, http_status, redirect_not_followed, interrupted, invalid_url or delivery_failed"`
	// Error is the reason in words.
	Error string `json:"error,omitempty" jsonschema:"the reason in words"`
	// DurationMS is how long the attempt took.
	DurationMS int `json:"duration_ms"`
	// Success is true when the endpoint answered 2xx.
	Success bool `json:"success"`
	// CreatedAt is when the attempt was made.
	CreatedAt time.Time `json:"created_at"`
}

// Event types delivered to webhook endpoints and listed by GET /v1/events
// (DESIGN §4). EventView.Type is one of these.
const (
	EventMessageReceived       = "message.received"
	EventMessageSent           = "message.sent"
	EventMessageDelivered      = "message.delivered"
	EventMessageRead           = "message.read"
	EventMessageFailed         = "message.failed"
	EventMessageReaction       = "message.reaction"
	EventMessageEdited         = "message.edited"
	EventMessageDeleted        = "message.deleted"
	EventAccountConnected      = "account.connected"
	EventAccountReauthRequired = "account.reauth_required"
	EventAccountDisconnected   = "account.disconnected"
	EventWindowClosing         = "conversation.window_closing"
	EventEndpointDisabled      = "endpoint.disabled"
	// EventBillingLimitApproaching and EventBillingLimitReached report a
	// plan limit at 80 % and at 100 %.
	EventBillingLimitApproaching = "billing.limit_approaching"
	EventBillingLimitReached     = "billing.limit_reached"
	// EventWebhookTest is sent by POST /v1/webhooks/{id}/test only; an
	// endpoint cannot subscribe to it.
	EventWebhookTest = "webhook.test"
)

// EventTypes are the types an endpoint may subscribe to (WebhookInput.Events).
func EventTypes() []string {
	return []string{EventMessageReceived, EventMessageSent, EventMessageDelivered, EventMessageRead, EventMessageFailed,
		EventMessageReaction, EventMessageEdited, EventMessageDeleted, EventAccountConnected, EventAccountReauthRequired,
		EventAccountDisconnected, EventWindowClosing, EventEndpointDisabled, EventBillingLimitApproaching, EventBillingLimitReached}
}

// AccountConnectedEvent is the data of account.connected: an account was
// connected (or reconnected under its id) through a connect session.
type AccountConnectedEvent struct {
	// AccountID is the account connected.
	AccountID string `json:"account_id"`
	// Platform is its platform.
	Platform string `json:"platform"`
	// BrandID is its brand.
	BrandID string `json:"brand_id"`
	// NativeID is the platform's own id of the account.
	NativeID string `json:"native_id"`
	// SessionID is the connect session that connected it.
	SessionID string `json:"session_id"`
	// Reconnected is true when an existing account got a new token.
	Reconnected bool `json:"reconnected"`
}

// AccountStatusEvent is the data of account.reauth_required and
// account.disconnected: the account can no longer reach its platform until
// it is reconnected.
type AccountStatusEvent struct {
	// AccountID is the account concerned.
	AccountID string `json:"account_id"`
	// Platform is its platform.
	Platform string `json:"platform"`
	// Status is the account's new status (account.disconnected only).
	Status string `json:"status,omitempty"`
	// Reason says why, e.g. refresh_failed or the platform's refusal.
	Reason string `json:"reason"`
}

// WindowClosingEvent is the data of conversation.window_closing: a reply
// window closes soon and the customer's last message has no reply.
type WindowClosingEvent struct {
	// AccountID is the conversation's account.
	AccountID string `json:"account_id"`
	// Platform is its platform.
	Platform string `json:"platform"`
	// ConversationID is the conversation (sapi_dm_…).
	ConversationID string `json:"conversation_id"`
	// ParticipantID is the customer's id on the platform.
	ParticipantID string `json:"participant_id"`
	// ClosesAt is when the window closes.
	ClosesAt time.Time `json:"closes_at"`
	// SecondsLeft is how long remained when the event was published.
	SecondsLeft int `json:"seconds_left"`
}

// EndpointDisabledEvent is the data of endpoint.disabled: Parley stopped
// delivering to an endpoint that kept failing.
type EndpointDisabledEvent struct {
	// EndpointID is the endpoint disabled (whep_…).
	EndpointID string `json:"endpoint_id"`
	// Reason says why.
	Reason string `json:"reason"`
}

// WebhookTestEvent is the data of webhook.test.
type WebhookTestEvent struct {
	// EndpointID is the endpoint tested.
	EndpointID string `json:"endpoint_id"`
	// Message is a fixed sentence.
	Message string `json:"message"`
}

// ConnectSessionInput is the body of POST /v1/connect/sessions.
type ConnectSessionInput struct {
	// Platform is the platform to connect (x today).
	Platform string `json:"platform"`
	// BrandID is the brand the account joins.
	BrandID string `json:"brand_id"`
	// RedirectURL is where the browser returns, with session_id and status.
	RedirectURL string `json:"redirect_url"`
	// AccountID reconnects an existing account under its own id.
	AccountID string `json:"account_id,omitempty"`
	// Variant picks Instagram's API: instagram_login (default, no Page
	// needed) or facebook_login (the Page's linked account).
	Variant string `json:"variant,omitempty"`
}

// ConnectSession is a created connect session; URL is for the end customer.
type ConnectSession struct {
	// ID is the session's id (cs_…).
	ID string `json:"id"`
	// URL is the single-use hosted page to send the end customer to.
	URL string `json:"url"`
	// ExpiresAt is when the URL stops working.
	ExpiresAt time.Time `json:"expires_at"`
}

// ConnectAccountInput is the body of POST /v1/accounts/connect, the shape
// other hosted DM APIs use.
type ConnectAccountInput struct {
	// Platform is the platform to connect.
	Platform string `json:"platform"`
	// BrandID is the brand the account joins; the oldest brand when empty.
	BrandID string `json:"brand_id,omitempty"`
	// RedirectURL is where the browser returns.
	RedirectURL string `json:"redirect_url,omitempty"`
	// Variant picks Instagram's API, as in ConnectSessionInput.
	Variant string `json:"variant,omitempty"`
}

// ConnectAccountOutput answers POST /v1/accounts/connect.
type ConnectAccountOutput struct {
	// AuthURL is the hosted page to send the end customer to.
	AuthURL string `json:"auth_url"`
}
