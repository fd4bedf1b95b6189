package whatsapp

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/platform"
)

// graphError is the Graph API error envelope the Cloud API answers with.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes
// https://developers.facebook.com/docs/graph-api/guides/error-handling
type graphError struct {
	Error struct {
		Message   string `json:"message"`
		Type      string `json:"type"`
		Code      int    `json:"code"`
		ErrorData *struct {
			MessagingProduct string `json:"messaging_product"`
			Details          string `json:"details"`
		} `json:"error_data"`
		ErrorSubcode int    `json:"error_subcode"`
		IsTransient  bool   `json:"is_transient"`
		FBTraceID    string `json:"fbtrace_id"`
	} `json:"error"`
}

// parseGraphError decodes a Graph error body; ok is false when the body is
// not one (a proxy's HTML page, an empty body, …).
func parseGraphError(body []byte) (graphError, bool) {
	var ge graphError
	if err := json.Unmarshal(body, &ge); err != nil || (ge.Error.Code == 0 && ge.Error.Message == "") {
		return graphError{}, false
	}
	return ge, true
}

// title strips Meta's "(#code) " prefix from an error message, leaving the
// code's title ("Re-engagement message").
func title(msg string) string {
	if strings.HasPrefix(msg, "(#") {
		if i := strings.Index(msg, ") "); i > 0 {
			return msg[i+2:]
		}
	}
	return msg
}

// mapError turns a non-2xx Cloud API answer into Parley's error (DESIGN §1):
// the native code, subcode, type and trace id go in Meta, never the raw body.
// conv, when known, lets a window refusal say when the window closed.
func mapError(status int, body []byte, conv *platform.Conversation) *apierr.Error {
	ge, ok := parseGraphError(body)
	if !ok {
		switch {
		case status == http.StatusUnauthorized:
			return apierr.New(http.StatusConflict, "account.reauth_required", "the WhatsApp access token was refused; reconnect the account").
				With("http_status", status)
		case status == http.StatusTooManyRequests:
			return apierr.New(http.StatusTooManyRequests, "platform.whatsapp.rate_limit", "WhatsApp is throttling this account").
				With("http_status", status)
		case status >= 500:
			return apierr.New(http.StatusBadGateway, "platform.whatsapp.unavailable", "WhatsApp is unavailable (HTTP %d)", status).
				With("http_status", status)
		}
		return apierr.New(http.StatusBadGateway, "platform.whatsapp.request_failed", "WhatsApp refused the request (HTTP %d)", status).
			With("http_status", status)
	}
	g := ge.Error
	t := title(g.Message)
	var e *apierr.Error
	switch c := g.Code; {
	case c == 131047:
		// Outside the 24 h customer service window only templates may go.
		e = apierr.New(http.StatusGone, "conversation.window_closed",
			"the 24-hour WhatsApp customer service window is closed; only an approved template can be sent").
			With("requires_template", true).
			With("allowed", []string{"template"})
		if conv != nil && !conv.LastInboundAt.IsZero() {
			e = e.With("closed_at", conv.LastInboundAt.Add(24*time.Hour).UTC().Format(time.RFC3339))
		} else {
			e = e.With("closed_at", nil)
		}
	case c == 131056:
		// About one message per 6 s to the same user.
		e = apierr.New(http.StatusTooManyRequests, "whatsapp.pair_rate_limit",
			"too many messages to this WhatsApp user in a short time; wait a few seconds").
			With("retry_after_seconds", 6)
	case c == 130429:
		// Per-number throughput (80 msg/s by default) exceeded.
		e = apierr.New(http.StatusTooManyRequests, "platform.whatsapp.rate_limit", "WhatsApp throughput limit reached for this number").
			With("retry_after_seconds", 1)
	case c == 80007 || c == 4 || c == 131048:
		e = apierr.New(http.StatusTooManyRequests, "platform.whatsapp.rate_limit", "WhatsApp is rate limiting this account: %s", t)
	case c == 132001 || c == 132015 || c == 132016:
		// 132001 covers both a missing and a not-yet-approved template.
		reason := map[int]string{132001: "not_found_or_not_approved", 132015: "paused", 132016: "disabled"}[c]
		e = apierr.New(http.StatusUnprocessableEntity, "whatsapp.template_not_approved",
			"the WhatsApp template is not approved for sending (%s)", strings.ReplaceAll(reason, "_", " ")).
			With("reason", reason)
	case c == 132000 || c == 132005 || c == 132007 || c == 132012 || c == 132068 || c == 132069:
		e = apierr.New(http.StatusUnprocessableEntity, "whatsapp.template_invalid",
			"the WhatsApp template parameters do not fit the template: %s", t)
	case c == 190 || c == 0 || c == 102:
		e = apierr.New(http.StatusConflict, "account.reauth_required", "the WhatsApp access token is invalid or expired; reconnect the account")
	case c == 100 && g.ErrorSubcode == 33:
		// The phone number / WABA does not exist or the token may not see it.
		e = apierr.NotFound("whatsapp object")
	case c == 131026:
		e = apierr.New(http.StatusBadGateway, "platform.whatsapp.undeliverable", "WhatsApp could not deliver the message to this user")
	case c == 100 || c == 131009:
		e = apierr.New(http.StatusBadGateway, "platform.whatsapp.invalid_parameter", "WhatsApp rejected a parameter: %s", t)
	case c == 131008:
		e = apierr.New(http.StatusBadGateway, "platform.whatsapp.missing_parameter", "WhatsApp reports a missing parameter")
	case c == 10 || (c >= 200 && c <= 299):
		e = apierr.New(http.StatusBadGateway, "platform.whatsapp.permission_denied", "the WhatsApp token lacks a required permission")
	case c == 368 || c == 131031:
		e = apierr.New(http.StatusBadGateway, "platform.whatsapp.account_restricted", "the WhatsApp Business Account is restricted")
	case c == 1 || c == 2 || c == 131000 || c == 131016 || g.IsTransient || status >= 500:
		e = apierr.New(http.StatusBadGateway, "platform.whatsapp.unavailable", "WhatsApp is temporarily unavailable")
	default:
		e = apierr.New(http.StatusBadGateway, "platform.whatsapp.request_failed", "WhatsApp refused the request: %s", t)
	}
	e = e.With("native_code", g.Code)
	if g.ErrorSubcode != 0 {
		e = e.With("native_subcode", g.ErrorSubcode)
	}
	if g.Type != "" {
		e = e.With("native_type", g.Type)
	}
	if g.FBTraceID != "" {
		e = e.With("trace_id", g.FBTraceID)
	}
	if g.ErrorData != nil && g.ErrorData.Details != "" {
		// Meta's human-readable details (which parameter, which limit): a
		// sentence Meta wrote for developers, not the raw body.
		e = e.With("native_details", g.ErrorData.Details)
	}
	return e
}

// errResponse reports a 2xx answer we could not understand.
func errResponse(what string, err error) *apierr.Error {
	return apierr.New(http.StatusBadGateway, "platform.whatsapp.invalid_response",
		"WhatsApp answered an unreadable %s", what).With("cause", fmt.Sprint(err))
}
