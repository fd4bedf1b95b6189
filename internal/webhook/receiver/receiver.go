// Package receiver serves the platforms' webhooks: verification handshakes,
// signature checks over the raw body, bounded reads, parsing into
// platform.InboundEvent, and a 200 only once the events are durable.
//
// Meta (Instagram, Messenger, WhatsApp) posts to /webhooks/meta, X to
// /webhooks/x, LinkedIn to /webhooks/linkedin.
package receiver

import (
	"context"
	"encoding/json"
	"errors"
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

// Ingester makes events durable; an error asks the platform to retry.
type Ingester interface {
	Ingest(ctx context.Context, events []platform.InboundEvent) error
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

// HeaderXSignature is X's webhook signature header.
// https://developer.x.com/en/docs/x-api/enterprise/account-activity-api/guides/securing-webhooks
const HeaderXSignature = "X-Twitter-Webhooks-Signature"

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
	h.mux.HandleFunc("POST /webhooks/meta", h.receive("meta", cfg.MetaAppSecret, inbound.HeaderMetaSignature, inbound.VerifyMeta, parseMeta))
	h.mux.HandleFunc("GET /webhooks/x", h.xCRC)
	h.mux.HandleFunc("POST /webhooks/x", h.receive("x", cfg.XConsumerSecret, HeaderXSignature, inbound.VerifyX, xapi.ParseWebhook))
	h.mux.HandleFunc("GET /webhooks/linkedin", h.linkedInChallenge)
	h.mux.HandleFunc("POST /webhooks/linkedin", h.receive("linkedin", cfg.LinkedInClientSecret, inbound.HeaderLinkedInSignature, inbound.VerifyLinkedIn, linkedin.ParseWebhook))
	return h.mux
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
func fail(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(envelope.FromError(apierr.New(status, code, "%s", msg), w.Header().Get("X-Request-ID")))
}

// receive verifies, parses and ingests one platform's POST.
func (h *handler) receive(name, secret, header string, verify func(secret, header string, body []byte) error,
	parse func([]byte) ([]platform.InboundEvent, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		log := h.cfg.Logger.With("platform", name, "remote", r.RemoteAddr)
		if secret == "" {
			fail(w, r, http.StatusNotFound, "resource.not_configured", name+" webhooks are not configured on this server")
			return
		}
		body, err := inbound.ReadBody(r, inbound.MaxBody)
		if err != nil {
			if errors.Is(err, inbound.ErrBodyTooLarge) {
				log.Warn("inbound webhook too large")
				fail(w, r, http.StatusRequestEntityTooLarge, "validation.body_too_large", "body too large")
				return
			}
			fail(w, r, http.StatusBadRequest, "validation.malformed_body", "unreadable body")
			return
		}
		if err := verify(secret, r.Header.Get(header), body); err != nil {
			// Logged, never explained: a prober learns nothing.
			log.Warn("inbound webhook rejected: bad signature", "err", err)
			fail(w, r, http.StatusUnauthorized, "auth.invalid_signature", "invalid signature")
			return
		}
		events, err := parse(body)
		if err != nil {
			log.Warn("inbound webhook unparsable", "err", err)
			fail(w, r, http.StatusBadRequest, "validation.malformed_body", "unrecognised payload")
			return
		}
		if err := h.cfg.Ingest.Ingest(r.Context(), events); err != nil {
			log.Error("inbound webhook not recorded; the platform will retry", "err", err)
			fail(w, r, http.StatusInternalServerError, "system.internal", "not recorded, retry")
			return
		}
		plain(w, http.StatusOK, "EVENT_RECEIVED")
	}
}

// metaVerify answers Meta's subscription handshake.
// https://developers.facebook.com/docs/graph-api/webhooks/getting-started#verification-requests
func (h *handler) metaVerify(w http.ResponseWriter, r *http.Request) {
	challenge, ok := inbound.MetaChallenge(r.URL.Query(), h.cfg.MetaVerifyToken)
	if !ok {
		fail(w, r, http.StatusForbidden, "auth.invalid_verify_token", "verification failed")
		return
	}
	plain(w, http.StatusOK, challenge)
}

// xCRC answers X's challenge-response check.
// https://developer.x.com/en/docs/x-api/enterprise/account-activity-api/guides/securing-webhooks
func (h *handler) xCRC(w http.ResponseWriter, r *http.Request) {
	body, ok := inbound.XCRC(r.URL.Query(), h.cfg.XConsumerSecret)
	if !ok {
		fail(w, r, http.StatusBadRequest, "validation.required", "crc_token required")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

// linkedInChallenge answers LinkedIn's endpoint validation.
// https://learn.microsoft.com/en-us/linkedin/shared/api-guide/webhook-validation
func (h *handler) linkedInChallenge(w http.ResponseWriter, r *http.Request) {
	body, ok := inbound.LinkedInChallenge(r.URL.Query(), h.cfg.LinkedInClientSecret)
	if !ok {
		fail(w, r, http.StatusBadRequest, "validation.required", "challengeCode required")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}
