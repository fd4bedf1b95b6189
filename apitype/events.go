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
