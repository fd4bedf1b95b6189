// Package receiver serves the platforms' webhooks: verification handshakes,
// signature checks over the raw body, bounded reads, parsing into
// platform.InboundEvent, and a 200 only once the verified body is durable
// (the Ingester's Accept).
//
// Meta (Instagram, Messenger, WhatsApp) posts to /webhooks/meta, X to
// /webhooks/x, LinkedIn to /webhooks/linkedin.
package receiver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/envelope"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/platform/linkedin"
	"github.com/parleyhq/parley/internal/platform/meta"
	"github.com/parleyhq/parley/internal/platform/whatsapp"
	"github.com/parleyhq/parley/internal/platform/xapi"
	"github.com/parleyhq/parley/internal/webhook/inbound"
)

// Ingester makes a verified webhook durable (its body, from which events
// were parsed, source naming the receiver: see Parse); nil means the
// platform may be answered 200, an error asks it to retry.
type Ingester interface {
	Accept(ctx context.Context, source string, body []byte, events []platform.InboundEvent) error
}

// Config holds each platform app's webhook secrets. A platform whose secret
// is empty is not served (404), so nothing unsigned is ever accepted.
type Config struct {
	Ingest               Ingester
	Logger               *slog.Logger
	MetaAppSecret        string
	MetaVerifyToken      string
	XConsumerSecret      string
	LinkedInClientSecret string
}

type handler struct {
	cfg Config
	mux *http.ServeMux
}

// New returns the handler for /webhooks/….
func New(cfg Config) http.Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	h := &handler{cfg: cfg, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /webhooks/meta", h.metaVerify)
	h.mux.HandleFunc("POST /webhooks/meta", h.receive("meta", cfg.MetaAppSecret, inbound.HeaderMetaSignature, inbound.VerifyMeta))
	h.mux.HandleFunc("GET /webhooks/x", h.xCRC)
	h.mux.HandleFunc("POST /webhooks/x", h.receive("x", cfg.XConsumerSecret, inbound.HeaderXSignature, inbound.VerifyX))
	h.mux.HandleFunc("GET /webhooks/linkedin", h.linkedInChallenge)
	h.mux.HandleFunc("POST /webhooks/linkedin", h.receive("linkedin", cfg.LinkedInClientSecret, inbound.HeaderLinkedInSignature, inbound.VerifyLinkedIn))
	return nosniff(h.mux)
}

// nosniff marks every answer as exactly its declared type. The handshakes
// echo caller-chosen text (Meta's challenge as text/plain, X's and
// LinkedIn's inside JSON); without it a browser could be talked into
// sniffing that reflected text as HTML or script.
func nosniff(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

// Parse parses a body a receiver accepted, by the receiver's name ("meta",
// "x", "linkedin"), as that receiver did: how queued webhooks are read
// back (ingest.QueueConfig.Parse).
func Parse(source string, body []byte) ([]platform.InboundEvent, error) {
	switch source {
	case "meta":
		return parseMeta(body)
	case "x":
		return xapi.ParseWebhook(body)
	case "linkedin":
		return linkedin.ParseWebhook(body)
	}
	return nil, fmt.Errorf("receiver: unknown source %q", source)
}

// parseMeta routes one Meta app's webhook by its object: WhatsApp Business
// Accounts have their own payload; pages and Instagram share Messenger's.
// https://developers.facebook.com/docs/graph-api/webhooks/getting-started
func parseMeta(body []byte) ([]platform.InboundEvent, error) {
	var head struct {
		Object string `json:"object"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		return nil, err
	}
	if head.Object == "whatsapp_business_account" {
		return whatsapp.ParseWebhook(body)
	}
	return meta.ParseWebhook(body)
}

func plain(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(msg))
}

// fail answers in the API's error envelope, so operators reading logs or
// replaying requests see the same codes as everywhere else.
func fail(w http.ResponseWriter, status int, code, msg string) {
	writeErr(w, apierr.New(status, code, "%s", msg))
}

func writeErr(w http.ResponseWriter, e *apierr.Error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(envelope.FromError(e, w.Header().Get("X-Request-ID")))
}

// receive verifies, parses and accepts one platform's POST.
func (h *handler) receive(name, secret, header string, verify func(secret, header string, body []byte) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		log := h.cfg.Logger.With("platform", name, "remote", r.RemoteAddr)
		if secret == "" {
			fail(w, http.StatusNotFound, "resource.not_configured", name+" webhooks are not configured on this server")
			return
		}
		body, err := inbound.ReadBody(r, inbound.MaxBody)
		if err != nil {
			if errors.Is(err, inbound.ErrBodyTooLarge) {
				log.Warn("inbound webhook too large")
				fail(w, http.StatusRequestEntityTooLarge, "validation.body_too_large", "body too large")
				return
			}
			fail(w, http.StatusBadRequest, "validation.malformed_body", "unreadable body")
			return
		}
		if err := verify(secret, r.Header.Get(header), body); err != nil {
			// Logged, never explained: a prober learns nothing.
			log.Warn("inbound webhook rejected: bad signature", "err", err)
			fail(w, http.StatusUnauthorized, "auth.invalid_signature", "invalid signature")
			return
		}
		events, err := Parse(name, body)
		if err != nil {
			log.Warn("inbound webhook unparsable", "err", err)
			fail(w, http.StatusBadRequest, "validation.malformed_body", "unrecognised payload")
			return
		}
		if err := h.cfg.Ingest.Accept(r.Context(), name, body, events); err != nil {
			log.Error("inbound webhook not recorded; the platform will retry", "err", err)
			fail(w, http.StatusInternalServerError, "system.internal", "not recorded, retry")
			return
		}
		plain(w, http.StatusOK, "EVENT_RECEIVED")
	}
}

// Shapes named in validation.invalid_challenge answers.
const (
	opaqueShape = "letters, digits or any of - . _ ~ + / ="
	uuidShape   = "a UUID (8-4-4-4-12 hex digits)"
)

// handshakeFail answers a refused handshake: unconfigured 404, a wrong Meta
// verify token 403, and a challenge of the wrong shape a 400 that names the
// parameter and what was expected, so an operator setting the endpoint up
// can tell a typo in the verify token from a proxy mangling the query.
func (h *handler) handshakeFail(w http.ResponseWriter, r *http.Request, name, param, shape string, err error) {
	var e *apierr.Error
	switch {
	case errors.Is(err, inbound.ErrNoSecret):
		e = apierr.New(http.StatusNotFound, "resource.not_configured", "%s webhooks are not configured on this server", name)
	case errors.Is(err, inbound.ErrVerifyToken):
		e = apierr.New(http.StatusForbidden, "auth.invalid_verify_token", "verification failed")
	case errors.Is(err, inbound.ErrChallengeMissing):
		e = apierr.New(http.StatusBadRequest, "validation.required", "%s is required", param).With("field", param)
	case errors.Is(err, inbound.ErrChallengeTooLong):
		e = apierr.New(http.StatusBadRequest, "validation.challenge_too_long", "%s is longer than %d characters", param, inbound.MaxChallenge).
			With("field", param).With("max_length", inbound.MaxChallenge)
	default:
		e = apierr.New(http.StatusBadRequest, "validation.invalid_challenge", "%s must be %s", param, shape).
			With("field", param).With("expected", shape)
	}
	h.cfg.Logger.Warn("webhook handshake refused", "platform", name, "remote", r.RemoteAddr, "code", e.Code)
	writeErr(w, e)
}

// metaVerify answers Meta's subscription handshake by echoing hub.challenge
// as text/plain.
// https://developers.facebook.com/docs/graph-api/webhooks/getting-started#verification-requests
func (h *handler) metaVerify(w http.ResponseWriter, r *http.Request) {
	challenge, err := inbound.MetaChallenge(r.URL.Query(), h.cfg.MetaVerifyToken)
	if err != nil {
		h.handshakeFail(w, r, "meta", "hub.challenge", opaqueShape, err)
		return
	}
	plain(w, http.StatusOK, challenge)
}

// xCRC answers X's challenge-response check with JSON, as X requires ("The
// response_token must be encoded in JSON").
// https://developer.x.com/en/docs/x-api/enterprise/account-activity-api/guides/securing-webhooks
func (h *handler) xCRC(w http.ResponseWriter, r *http.Request) {
	body, err := inbound.XCRC(r.URL.Query(), h.cfg.XConsumerSecret)
	if err != nil {
		h.handshakeFail(w, r, "x", "crc_token", opaqueShape, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

// linkedInChallenge answers LinkedIn's endpoint validation with JSON, as
// LinkedIn requires ("Content-Type: application/json").
// https://learn.microsoft.com/en-us/linkedin/shared/api-guide/webhook-validation
func (h *handler) linkedInChallenge(w http.ResponseWriter, r *http.Request) {
	body, err := inbound.LinkedInChallenge(r.URL.Query(), h.cfg.LinkedInClientSecret)
	if err != nil {
		h.handshakeFail(w, r, "linkedin", "challengeCode", uuidShape, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}
