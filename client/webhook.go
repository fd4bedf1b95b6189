package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/webhook/stdwebhook"
)

// ErrInvalidWebhook is wrapped by every verification failure of
// WebhookReceiver.Verify: missing headers, a timestamp outside the
// tolerance (a replay), no matching signature.
var ErrInvalidWebhook = errors.New("parley webhook: not verified")

// Event is one webhook event, verified and decoded. ID is stable across
// retries and replays of the event: de-duplicate on it.
type Event struct {
	// ID is the event's id (evt_…), also sent as the webhook-id header.
	ID string
	// Type is the event type (apitype.EventMessageReceived, …).
	Type string
	// Timestamp is when the event happened.
	Timestamp time.Time
	// Data is the typed payload: apitype.MessageEvent for message.*
	// (reactions, edits and unsends included),
	// apitype.AccountConnectedEvent, apitype.AccountStatusEvent (for
	// account.reauth_required and account.disconnected),
	// apitype.WindowClosingEvent, apitype.EndpointDisabledEvent,
	// apitype.WebhookTestEvent; a json.RawMessage for billing.* and for a
	// type this version of the package does not know.
	Data any
	// Raw is the payload as received.
	Raw json.RawMessage
}

// DecodeEvent decodes an event's payload into its typed value, for events
// read with GetEvent or Events as well as delivered ones.
func DecodeEvent(v apitype.EventView) (Event, error) {
	ev := Event{ID: v.ID, Type: v.Type, Timestamp: v.Timestamp, Raw: v.Data}
	var err error
	switch v.Type {
	case apitype.EventMessageReceived, apitype.EventMessageSent, apitype.EventMessageDelivered, apitype.EventMessageRead, apitype.EventMessageFailed,
		apitype.EventMessageReaction, apitype.EventMessageEdited, apitype.EventMessageDeleted:
		ev.Data, err = decodeAs[apitype.MessageEvent](v.Data)
	case apitype.EventAccountConnected:
		ev.Data, err = decodeAs[apitype.AccountConnectedEvent](v.Data)
	case apitype.EventAccountReauthRequired, apitype.EventAccountDisconnected:
		ev.Data, err = decodeAs[apitype.AccountStatusEvent](v.Data)
	case apitype.EventWindowClosing:
		ev.Data, err = decodeAs[apitype.WindowClosingEvent](v.Data)
	case apitype.EventEndpointDisabled:
		ev.Data, err = decodeAs[apitype.EndpointDisabledEvent](v.Data)
	case apitype.EventWebhookTest:
		ev.Data, err = decodeAs[apitype.WebhookTestEvent](v.Data)
	default:
		ev.Data = v.Data
	}
	if err != nil {
		return Event{}, fmt.Errorf("parley webhook: decoding %s event %s: %w", v.Type, v.ID, err)
	}
	return ev, nil
}

func decodeAs[T any](raw json.RawMessage) (T, error) {
	var v T
	err := json.Unmarshal(raw, &v)
	return v, err
}

// WebhookOptions configures a WebhookReceiver.
type WebhookOptions struct {
	// Secrets are the endpoint's whsec_ signing secrets
	// (WebhookEndpoint.Secret). During a rotation list the new one and the
	// old: a delivery verifies when any of them signed it.
	Secrets []string
	// Tolerance is how far a delivery's webhook-timestamp may be from now,
	// which bounds replays; 0 means 5 minutes, as the Standard Webhooks
	// reference libraries use.
	Tolerance time.Duration
	// MaxBodyBytes bounds the body the handler reads; 0 means 1 MiB.
	MaxBodyBytes int64
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// WebhookReceiver verifies Parley's deliveries as the Standard Webhooks
// specification prescribes (webhook-id, webhook-timestamp and an
// HMAC-SHA256 webhook-signature over "id.timestamp.body") and decodes
// them. It is safe for concurrent use.
type WebhookReceiver struct {
	keys      [][]byte
	tolerance time.Duration
	maxBody   int64
	now       func() time.Time
}

// NewWebhookReceiver checks the secrets and returns a receiver.
func NewWebhookReceiver(opts WebhookOptions) (*WebhookReceiver, error) {
	if len(opts.Secrets) == 0 {
		return nil, errors.New("parley webhook: a whsec_ secret is required")
	}
	r := &WebhookReceiver{tolerance: opts.Tolerance, maxBody: opts.MaxBodyBytes, now: opts.Now}
	for _, s := range opts.Secrets {
		key, err := stdwebhook.ParseSecret(s)
		if err != nil {
			return nil, errors.New("parley webhook: a secret is not a whsec_ secret of 24 to 64 bytes")
		}
		r.keys = append(r.keys, key)
	}
	if r.tolerance <= 0 {
		r.tolerance = stdwebhook.DefaultTolerance
	}
	if r.maxBody <= 0 {
		r.maxBody = 1 << 20
	}
	if r.now == nil {
		r.now = time.Now
	}
	return r, nil
}

// Verify checks one delivery's headers and raw body and decodes it. Pass
// the body exactly as received: re-encoded JSON does not verify.
func (r *WebhookReceiver) Verify(h http.Header, body []byte) (Event, error) {
	now := r.now()
	var err error
	for _, key := range r.keys {
		if err = stdwebhook.Verify(key, h, body, now, r.tolerance); err == nil {
			break
		}
	}
	if err != nil {
		return Event{}, fmt.Errorf("%w: %v", ErrInvalidWebhook, err)
	}
	var v apitype.EventView
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&v); err != nil || v.ID == "" || v.Type == "" {
		return Event{}, fmt.Errorf("parley webhook: the signed body is not an event: %v", err)
	}
	if id := h.Get(stdwebhook.HeaderID); id != v.ID {
		// The id is signed, and so is the body: both come from Parley, but
		// they must name the same event for de-duplication to hold.
		return Event{}, fmt.Errorf("%w: webhook-id %q does not name the event %q", ErrInvalidWebhook, id, v.ID)
	}
	return DecodeEvent(v)
}

// Handler returns an http.Handler for your webhook endpoint: it verifies
// each POST and calls fn with the event. It answers 401 to a delivery that
// does not verify (nothing is called), 204 when fn returns nil, and 500
// when fn fails, so Parley retries the delivery later (with the same
// event ID).
func (r *WebhookReceiver) Handler(fn func(ctx context.Context, ev Event) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, r.maxBody))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "could not read the body", http.StatusBadRequest)
			return
		}
		ev, err := r.Verify(req.Header, body)
		switch {
		case errors.Is(err, ErrInvalidWebhook):
			http.Error(w, "signature not verified", http.StatusUnauthorized)
			return
		case err != nil:
			http.Error(w, "not a Parley event", http.StatusBadRequest)
			return
		}
		if err := fn(req.Context(), ev); err != nil {
			http.Error(w, "the event was not handled; retry later", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
