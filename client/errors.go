package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Error is a failed call: the server's structured error
// ({"error":{"code","message","meta"},"request_id"}) and the HTTP status it
// came with. Failures that never reached a Parley answer are Errors too,
// with codes system.unreachable, system.timeout or
// system.unexpected_response (a proxy's HTML page, say).
type Error struct {
	// Status is the HTTP status (0 when the server could not be reached).
	Status int
	// Code is stable and machine-readable, e.g. "conversation.window_closed".
	Code string
	// Message is a sentence for humans; it may change.
	Message string
	// Meta carries the details: the field at fault, the options a closed
	// window leaves, retry_after_seconds, …
	Meta map[string]any
	// RequestID names the request in the server's logs; quote it when
	// reporting a problem.
	RequestID string
	// RetryAfter is how long the server asked to wait (Retry-After), 0 when
	// it did not say.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	s := e.Code + ": " + e.Message
	if e.RequestID != "" {
		s += " (request " + e.RequestID + ")"
	}
	return s
}

// APIError returns the error's parts. It lets code that renders structured
// errors generically (Parley's own MCP server, for one) treat a remote
// refusal like a local one.
func (e *Error) APIError() (status int, code, message string, meta map[string]any) {
	return e.Status, e.Code, e.Message, e.Meta
}

// AsError returns the *Error in err's chain.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// HasCode reports whether err is an *Error with the given code.
func HasCode(err error, code string) bool {
	e, ok := AsError(err)
	return ok && e.Code == code
}

// IsWindowClosed reports whether a send was refused because the
// conversation's reply window is closed: conversation.window_closed
// (Instagram, Messenger; Meta then lists in "options" what remains, such as
// the HUMAN_AGENT tag and until when) or whatsapp.template_required (only
// an approved template may be sent).
func IsWindowClosed(err error) bool {
	return HasCode(err, "conversation.window_closed") || HasCode(err, "whatsapp.template_required")
}

// IsRateLimited reports whether the server or the platform behind it
// refused the call for its rate (HTTP 429), after any retries. The *Error's
// RetryAfter says when to try again.
func IsRateLimited(err error) bool {
	e, ok := AsError(err)
	return ok && e.Status == http.StatusTooManyRequests
}

// IsNotFound reports whether the resource does not exist for the caller's
// organisation (Parley answers 404 for other organisations' ids too).
func IsNotFound(err error) bool {
	e, ok := AsError(err)
	return ok && e.Status == http.StatusNotFound
}

// IsUnauthorized reports whether the API key is missing, unknown or
// revoked.
func IsUnauthorized(err error) bool {
	e, ok := AsError(err)
	return ok && e.Status == http.StatusUnauthorized
}

// errorBody is the error envelope as received.
type errorBody struct {
	Error struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Meta    map[string]any `json:"meta"`
	} `json:"error"`
	RequestID string `json:"request_id"`
}

// decodeError turns an error response into an *Error; a body that is not
// Parley's envelope (a proxy's HTML page, say) keeps its status only.
func decodeError(res *http.Response, raw []byte, now time.Time) *Error {
	e := &Error{Status: res.StatusCode, RequestID: res.Header.Get("X-Request-ID"), RetryAfter: retryAfter(res.Header, now)}
	var eb errorBody
	if json.Unmarshal(raw, &eb) == nil && eb.Error.Code != "" {
		e.Code, e.Message, e.Meta = eb.Error.Code, eb.Error.Message, eb.Error.Meta
		if eb.RequestID != "" {
			e.RequestID = eb.RequestID
		}
		return e
	}
	e.Code = "system.unexpected_response"
	e.Message = fmt.Sprintf("the Parley server answered HTTP %d without an error body", res.StatusCode)
	e.Meta = map[string]any{"http_status": res.StatusCode}
	return e
}

// maxRetryAfter bounds what a Retry-After header may ask for, so a bogus
// value cannot overflow a Duration.
const maxRetryAfter = 24 * time.Hour

// retryAfter reads Retry-After (RFC 9110 §10.2.3): delay-seconds or an
// HTTP-date. 0 when absent or unreadable.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		return min(time.Duration(min(n, int64(maxRetryAfter/time.Second)))*time.Second, maxRetryAfter)
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), maxRetryAfter)
	}
	return 0
}
