// Package events is the events-and-deliveries capability: recording events
// once and enqueueing their deliveries to users' webhook endpoints in the
// same transaction, the endpoints themselves (with their URL checks and
// secrets), listing and replaying events and delivery attempts, disabling
// failing endpoints and announcing closing reply windows (DESIGN §4).
package events

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"net"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/delivery"
	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/secrets"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/webhook/stdwebhook"
)

// Event types delivered to users' endpoints (DESIGN §4); their names and
// data shapes are public, in apitype.
const (
	EventMessageReceived  = apitype.EventMessageReceived
	EventMessageSent      = apitype.EventMessageSent
	EventMessageDelivered = apitype.EventMessageDelivered
	EventMessageRead      = apitype.EventMessageRead
	EventMessageFailed    = apitype.EventMessageFailed
	// The customer reacted to a message (or took it back), edited or
	// unsent (deleted) one of theirs: Meta's message_reactions,
	// message_edits and unsend webhooks.
	EventMessageReaction = apitype.EventMessageReaction
	EventMessageEdited   = apitype.EventMessageEdited
	EventMessageDeleted  = apitype.EventMessageDeleted
	EventAccountDisconn  = apitype.EventAccountDisconnected
	// account.connected and account.reauth_required are published by the
	// connect capability (package connect); endpoints filter on them here.
	EventAccountConnected      = apitype.EventAccountConnected
	EventAccountReauthRequired = apitype.EventAccountReauthRequired
	EventWindowClosing         = apitype.EventWindowClosing
	// billing.* are published by the plans capability (package plans).
	EventBillingLimitApproaching = apitype.EventBillingLimitApproaching
	EventBillingLimitReached     = apitype.EventBillingLimitReached
	EventEndpointDisabled        = apitype.EventEndpointDisabled
	EventWebhookTest             = apitype.EventWebhookTest
)

// EventTypes are the types an endpoint may filter on.
var EventTypes = apitype.EventTypes()

// Describe says in a sentence when an event type is sent (the OpenAPI
// document's webhooks section).
func Describe(typ string) string {
	switch typ {
	case EventMessageReceived:
		return "A customer wrote to an account (data: MessageEvent with message; standby is true when Meta delivered it on the handover standby channel)."
	case EventMessageSent:
		return "The business sent a message, through Parley or elsewhere (data: MessageEvent with message)."
	case EventMessageDelivered:
		return "A sent message reached the customer (data: MessageEvent with message_id, status delivered; Meta may report a watermark instead of a message id)."
	case EventMessageRead:
		return "The customer read a sent message, or everything up to it (data: MessageEvent with status read)."
	case EventMessageFailed:
		return "A message the platform had accepted could not be delivered (data: MessageEvent with status failed, error_code, error_title, error_details; e.g. WhatsApp 131047, 131026, 131049, 130472)."
	case EventMessageReaction:
		return "The customer reacted to a message or took the reaction back (data: MessageEvent with message_id and reaction{action, emoji, name}; Messenger and Instagram)."
	case EventMessageEdited:
		return "The customer edited one of their messages (data: MessageEvent with message_id, text, edit_count; Messenger)."
	case EventMessageDeleted:
		return "The customer unsent one of their messages (data: MessageEvent with message_id; Instagram and Messenger)."
	case EventAccountConnected:
		return "An account was connected or reconnected."
	case EventAccountReauthRequired:
		return "An account's token stopped working; reconnect it."
	case EventAccountDisconn:
		return "An account was disconnected."
	case EventWindowClosing:
		return "A conversation's reply window closes soon with no reply sent."
	case EventEndpointDisabled:
		return "A webhook endpoint was disabled after failing deliveries."
	case EventBillingLimitApproaching:
		return "The organisation has used 80 % of a plan limit (data: the limit, plan, used and resets_at)."
	case EventBillingLimitReached:
		return "The organisation reached a plan limit; further sends or brands are refused with 402 until it resets or the plan changes."
	}
	return ""
}

// Enqueuer inserts River jobs inside a transaction (the River client).
type Enqueuer interface {
	InsertManyTx(ctx context.Context, tx *sql.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
}

// Config builds Events.
type Config struct {
	// Jobs enqueues webhook deliveries; nil records events without
	// delivering them.
	Jobs Enqueuer
	// AllowPrivate lets endpoints use private and loopback addresses
	// (tests, the sandbox).
	AllowPrivate bool
	// Resolver looks up endpoint hosts at registration; nil means
	// net.DefaultResolver.
	Resolver *net.Resolver
	// WindowLead is how long before a reply window closes that
	// conversation.window_closing is sent; 0 means DefaultWindowLead.
	WindowLead time.Duration
}

// Events is the capability. It is safe for concurrent use.
type Events struct {
	store        store.Store
	keys         *secrets.KeyRing
	now          func() time.Time
	jobs         Enqueuer
	allowPrivate bool
	resolver     *net.Resolver
	windowLead   time.Duration
}

// New returns Events over the shared dependencies.
func New(d domain.Deps, cfg Config) *Events {
	e := &Events{store: d.Store, keys: d.Keys, now: d.Now, jobs: cfg.Jobs, allowPrivate: cfg.AllowPrivate, resolver: cfg.Resolver, windowLead: cfg.WindowLead}
	if e.now == nil {
		e.now = time.Now
	}
	if e.windowLead <= 0 {
		e.windowLead = DefaultWindowLead
	}
	return e
}

// Batch is a store serving one group-committed transaction: it gathers the
// batch's delivery jobs so they are inserted once, at the batch's end,
// rather than once per event.
type Batch interface {
	store.Store
	AddDeliveries(params []river.InsertManyParams)
}

// PublishTx records an event once (by dedupeKey) and, in the same transaction,
// enqueues a delivery to each enabled endpoint that wants it. only, when set,
// restricts delivery to one endpoint. It reports whether the event is new.
func (s *Events) PublishTx(ctx context.Context, st store.Store, tx *sql.Tx, orgID, typ, dedupeKey string, data any, only string) (store.Event, bool, error) {
	return s.publish(ctx, st, tx, orgID, typ, dedupeKey, data, only)
}

// publish records an event once (by dedupeKey) and, in the same transaction,
// enqueues a delivery to each enabled endpoint that wants it. only, when set,
// restricts delivery to one endpoint.
func (s *Events) publish(ctx context.Context, st store.Store, tx *sql.Tx, orgID, typ, dedupeKey string, data any, only string) (store.Event, bool, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return store.Event{}, false, err
	}
	now := s.now().UTC()
	ev := store.Event{ID: store.NewID("evt"), OrgID: orgID, Type: typ, DedupeKey: dedupeKey, CreatedAt: now}
	if ev.Payload, err = json.Marshal(apitype.EventView{ID: ev.ID, Type: typ, Timestamp: now, Data: raw}); err != nil {
		return ev, false, err
	}
	fresh, err := st.InsertEvent(ctx, ev)
	if err != nil || !fresh {
		return ev, false, err
	}
	return ev, true, s.enqueue(ctx, st, tx, ev, only)
}

func (s *Events) enqueue(ctx context.Context, st store.Store, tx *sql.Tx, ev store.Event, only string) error {
	if s.jobs == nil {
		return nil
	}
	eps, err := st.EnabledEndpoints(ctx, ev.OrgID)
	if err != nil {
		return err
	}
	var params []river.InsertManyParams
	for _, ep := range eps {
		if only != "" && ep.ID != only {
			continue
		}
		if only == "" && len(ep.EventTypes) > 0 && !slices.Contains(ep.EventTypes, ev.Type) {
			continue
		}
		params = append(params, river.InsertManyParams{Args: delivery.Args{OrgID: ev.OrgID, EventID: ev.ID, EndpointID: ep.ID}})
	}
	if len(params) == 0 {
		return nil
	}
	if b, ok := st.(Batch); ok {
		// Inside a group commit: one insert for the whole batch, at its end.
		b.AddDeliveries(params)
		return nil
	}
	_, err = s.jobs.InsertManyTx(ctx, tx, params)
	return err
}

// Publish records and enqueues an event in its own transaction. Errors are
// logged by callers that have already done what the event reports.
func (s *Events) Publish(ctx context.Context, orgID, typ, dedupeKey string, data any) error {
	return s.store.InTx(ctx, func(st store.Store, tx *sql.Tx) error {
		_, _, err := s.publish(ctx, st, tx, orgID, typ, dedupeKey, data, "")
		return err
	})
}

func endpointView(e store.Endpoint) apitype.WebhookEndpoint {
	ev := e.EventTypes
	if ev == nil {
		ev = []string{}
	}
	return apitype.WebhookEndpoint{ID: e.ID, URL: e.URL, Description: e.Description, Events: ev, Enabled: e.Enabled,
		DisabledReason: e.DisabledReason, FailingSince: e.FailingSince, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt}
}

func checkEventTypes(types []string) error {
	for _, t := range types {
		if !slices.Contains(EventTypes, t) {
			return apierr.Invalid("events", "unknown event type %q", t).With("allowed", EventTypes)
		}
	}
	return nil
}

func (s *Events) sealSecret(id string) (plain string, sealed []byte, err error) {
	if plain, err = stdwebhook.NewSecret(); err != nil {
		return "", nil, err
	}
	sealed, err = s.keys.Seal([]byte(plain), []byte(id))
	return plain, sealed, err
}

// CreateWebhook adds an endpoint; its whsec_ secret is in this answer only.
func (s *Events) CreateWebhook(ctx context.Context, c domain.Caller, in apitype.WebhookInput) (apitype.WebhookEndpoint, error) {
	if in.URL == nil {
		return apitype.WebhookEndpoint{}, apierr.Required("url")
	}
	u, err := s.checkURL(ctx, *in.URL)
	if err != nil {
		return apitype.WebhookEndpoint{}, err
	}
	now := s.now()
	ep := store.Endpoint{ID: store.NewID("whep"), OrgID: c.OrgID, URL: u, Enabled: true, CreatedAt: now, UpdatedAt: now}
	if in.Events != nil {
		if err := checkEventTypes(*in.Events); err != nil {
			return apitype.WebhookEndpoint{}, err
		}
		ep.EventTypes = *in.Events
	}
	if in.Description != nil {
		ep.Description = strings.TrimSpace(*in.Description)
	}
	secret, sealed, err := s.sealSecret(ep.ID)
	if err != nil {
		return apitype.WebhookEndpoint{}, err
	}
	ep.Secret = sealed
	if err := s.store.CreateEndpoint(ctx, ep); err != nil {
		return apitype.WebhookEndpoint{}, err
	}
	v := endpointView(ep)
	v.Secret = secret
	return v, nil
}

// GetWebhook reads one endpoint.
func (s *Events) GetWebhook(ctx context.Context, c domain.Caller, id string) (apitype.WebhookEndpoint, error) {
	ep, err := s.store.GetEndpoint(ctx, c.OrgID, id)
	return endpointView(ep), domain.StoreErr(err, "webhook")
}

// ListWebhooks pages through endpoints.
func (s *Events) ListWebhooks(ctx context.Context, c domain.Caller, p domain.PageRequest) (domain.List[apitype.WebhookEndpoint], error) {
	if err := domain.IDCursor("whep", p.Cursor); err != nil {
		return domain.List[apitype.WebhookEndpoint]{}, err
	}
	rows, err := s.store.ListEndpoints(ctx, c.OrgID, store.Page{After: p.Cursor, Limit: p.Limit})
	if err != nil {
		return domain.List[apitype.WebhookEndpoint]{}, err
	}
	return domain.IDPage(rows, p.Limit, func(e store.Endpoint) string { return e.ID }, endpointView), nil
}

// UpdateWebhook changes an endpoint; enabling clears a disabled state.
func (s *Events) UpdateWebhook(ctx context.Context, c domain.Caller, id string, in apitype.WebhookInput) (apitype.WebhookEndpoint, error) {
	ep, err := s.store.GetEndpoint(ctx, c.OrgID, id)
	if err != nil {
		return apitype.WebhookEndpoint{}, domain.StoreErr(err, "webhook")
	}
	if in.URL != nil {
		if ep.URL, err = s.checkURL(ctx, *in.URL); err != nil {
			return apitype.WebhookEndpoint{}, err
		}
	}
	if in.Events != nil {
		if err := checkEventTypes(*in.Events); err != nil {
			return apitype.WebhookEndpoint{}, err
		}
		ep.EventTypes = *in.Events
	}
	if in.Description != nil {
		ep.Description = strings.TrimSpace(*in.Description)
	}
	if in.Enabled != nil {
		ep.Enabled = *in.Enabled
		if ep.Enabled {
			ep.DisabledReason, ep.FailingSince = "", nil
		} else if ep.DisabledReason == "" {
			ep.DisabledReason = "disabled by the user"
		}
	}
	ep.UpdatedAt = s.now()
	if err := s.store.UpdateEndpoint(ctx, ep); err != nil {
		return apitype.WebhookEndpoint{}, domain.StoreErr(err, "webhook")
	}
	return endpointView(ep), nil
}

// DeleteWebhook removes an endpoint; pending deliveries to it are dropped.
func (s *Events) DeleteWebhook(ctx context.Context, c domain.Caller, id string) error {
	return domain.StoreErr(s.store.DeleteEndpoint(ctx, c.OrgID, id), "webhook")
}

// RotationOverlap is how long the previous secret keeps signing after a
// rotation, so receivers can switch without dropping deliveries.
const RotationOverlap = 24 * time.Hour

// RotateWebhookSecret issues a new secret; both sign until the overlap ends.
func (s *Events) RotateWebhookSecret(ctx context.Context, c domain.Caller, id string) (apitype.WebhookEndpoint, error) {
	ep, err := s.store.GetEndpoint(ctx, c.OrgID, id)
	if err != nil {
		return apitype.WebhookEndpoint{}, domain.StoreErr(err, "webhook")
	}
	secret, sealed, err := s.sealSecret(ep.ID)
	if err != nil {
		return apitype.WebhookEndpoint{}, err
	}
	until := s.now().Add(RotationOverlap)
	ep.PreviousSecret, ep.PreviousUntil, ep.Secret, ep.UpdatedAt = ep.Secret, &until, sealed, s.now()
	if err := s.store.UpdateEndpoint(ctx, ep); err != nil {
		return apitype.WebhookEndpoint{}, domain.StoreErr(err, "webhook")
	}
	v := endpointView(ep)
	v.Secret = secret
	return v, nil
}

// TestWebhook sends a webhook.test event to one endpoint.
func (s *Events) TestWebhook(ctx context.Context, c domain.Caller, id string) (apitype.EventView, error) {
	if _, err := s.store.GetEndpoint(ctx, c.OrgID, id); err != nil {
		return apitype.EventView{}, domain.StoreErr(err, "webhook")
	}
	var ev store.Event
	err := s.store.InTx(ctx, func(st store.Store, tx *sql.Tx) error {
		var err error
		ev, _, err = s.publish(ctx, st, tx, c.OrgID, EventWebhookTest, store.NewID("test"),
			apitype.WebhookTestEvent{EndpointID: id, Message: "Parley test event"}, id)
		return err
	})
	if err != nil {
		return apitype.EventView{}, err
	}
	return eventView(ev), nil
}

func eventView(e store.Event) apitype.EventView {
	var v apitype.EventView
	if json.Unmarshal(e.Payload, &v) != nil {
		v = apitype.EventView{ID: e.ID, Type: e.Type, Timestamp: e.CreatedAt}
	}
	return v
}

// ListEvents pages through the organisation's events, oldest first.
func (s *Events) ListEvents(ctx context.Context, c domain.Caller, p domain.PageRequest) (domain.List[apitype.EventView], error) {
	if err := domain.IDCursor("evt", p.Cursor); err != nil {
		return domain.List[apitype.EventView]{}, err
	}
	rows, err := s.store.ListEvents(ctx, c.OrgID, store.Page{After: p.Cursor, Limit: p.Limit})
	if err != nil {
		return domain.List[apitype.EventView]{}, err
	}
	return domain.IDPage(rows, p.Limit, func(e store.Event) string { return e.ID }, eventView), nil
}

// GetEvent reads one event.
func (s *Events) GetEvent(ctx context.Context, c domain.Caller, id string) (apitype.EventView, error) {
	e, err := s.store.GetEvent(ctx, c.OrgID, id)
	return eventView(e), domain.StoreErr(err, "event")
}

func attemptView(a store.Attempt) apitype.DeliveryAttempt {
	v := apitype.DeliveryAttempt{ID: a.ID, EventID: a.EventID, EndpointID: a.EndpointID, Attempt: a.Attempt, StatusCode: a.StatusCode,
		DurationMS: a.DurationMS, Success: a.Success, CreatedAt: a.CreatedAt}
	if !a.Success {
		v.Reason = delivery.NormalizeReason(a.Error, a.StatusCode)
		v.Error = delivery.Describe(v.Reason, a.StatusCode)
	}
	return v
}

// ListAttempts lists delivery attempts of an event or to an endpoint.
func (s *Events) ListAttempts(ctx context.Context, c domain.Caller, eventID, endpointID string, p domain.PageRequest) (domain.List[apitype.DeliveryAttempt], error) {
	if err := domain.IDCursor("att", p.Cursor); err != nil {
		return domain.List[apitype.DeliveryAttempt]{}, err
	}
	if eventID != "" {
		if _, err := s.store.GetEvent(ctx, c.OrgID, eventID); err != nil {
			return domain.List[apitype.DeliveryAttempt]{}, domain.StoreErr(err, "event")
		}
	}
	if endpointID != "" {
		if _, err := s.store.GetEndpoint(ctx, c.OrgID, endpointID); err != nil {
			return domain.List[apitype.DeliveryAttempt]{}, domain.StoreErr(err, "webhook")
		}
	}
	rows, err := s.store.ListAttempts(ctx, c.OrgID, eventID, endpointID, store.Page{After: p.Cursor, Limit: p.Limit})
	if err != nil {
		return domain.List[apitype.DeliveryAttempt]{}, err
	}
	return domain.IDPage(rows, p.Limit, func(a store.Attempt) string { return a.ID }, attemptView), nil
}

// ReplayEvent delivers an event again (with its original webhook-id) to every
// matching enabled endpoint, or to one.
func (s *Events) ReplayEvent(ctx context.Context, c domain.Caller, id, endpointID string) error {
	ev, err := s.store.GetEvent(ctx, c.OrgID, id)
	if err != nil {
		return domain.StoreErr(err, "event")
	}
	if endpointID != "" {
		ep, err := s.store.GetEndpoint(ctx, c.OrgID, endpointID)
		if err != nil {
			return domain.StoreErr(err, "webhook")
		}
		if !ep.Enabled {
			return apierr.New(http.StatusConflict, "resource.disabled", "the endpoint is disabled; enable it first").With("resource", "webhook")
		}
	}
	return s.store.InTx(ctx, func(st store.Store, tx *sql.Tx) error { return s.enqueue(ctx, st, tx, ev, endpointID) })
}

// DisableEndpoint turns an endpoint off after failed deliveries and records
// endpoint.disabled in the same transaction: both happen, or neither does
// and the delivery job retries. An endpoint deleted meanwhile is no error.
func (s *Events) DisableEndpoint(ctx context.Context, orgID, endpointID, reason string, at time.Time) error {
	err := s.store.InTx(ctx, func(st store.Store, tx *sql.Tx) error {
		if err := st.SetEndpointHealth(ctx, orgID, endpointID, &at, reason); err != nil {
			return err
		}
		_, _, err := s.publish(ctx, st, tx, orgID, EventEndpointDisabled, "endpoint.disabled:"+endpointID+":"+at.UTC().Format(time.RFC3339Nano),
			apitype.EndpointDisabledEvent{EndpointID: endpointID, Reason: reason}, "")
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}
