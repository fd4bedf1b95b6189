// Package apierr is Parley's structured error value: an HTTP status, a dotted
// code from DESIGN §1 (auth.*, validation.*, resource.*, …), a human message
// and machine-readable meta. Every layer returns these; transports render them.
package apierr

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is a structured, user-facing error.
type Error struct {
	// Status is the HTTP status the REST transport answers with.
	Status int
	// Code is the stable, dotted error code, e.g. "conversation.window_closed".
	Code string
	// Message is a sentence for humans; it never contains secrets or raw
	// upstream bodies.
	Message string
	// Meta carries machine-readable details (field names, native platform
	// codes, times, remaining options).
	Meta map[string]any
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// New returns an error with the given status, code and message.
func New(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// With returns a copy of e with meta[key] = value, so shared templates are
// never mutated.
func (e *Error) With(key string, value any) *Error {
	c := *e
	c.Meta = make(map[string]any, len(e.Meta)+1)
	for k, v := range e.Meta {
		c.Meta[k] = v
	}
	c.Meta[key] = value
	return &c
}

// As extracts an *Error from err's chain. An error that carries a
// structured API error from a Parley server (the public Go client's
// *client.Error, which cannot import this package) counts too, so code
// written against the domain layer works unchanged against a remote server.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	var r remote
	if errors.As(err, &r) {
		status, code, message, meta := r.APIError()
		return &Error{Status: status, Code: code, Message: message, Meta: meta}, true
	}
	return nil, false
}

// remote is a structured error received from a Parley server.
type remote interface {
	error
	APIError() (status int, code, message string, meta map[string]any)
}

// HasCode reports whether err is an *Error with the given code.
func HasCode(err error, code string) bool {
	e, ok := As(err)
	return ok && e.Code == code
}

// NotFound is the answer for any resource the caller cannot see, whether it
// does not exist or belongs to another organisation (no existence oracle).
func NotFound(resource string) *Error {
	return New(http.StatusNotFound, "resource.not_found", "%s not found", resource).With("resource", resource)
}

// Invalid reports one bad request field.
func Invalid(field, format string, args ...any) *Error {
	return New(http.StatusUnprocessableEntity, "validation.invalid_field", format, args...).With("field", field)
}

// Required reports a missing request field.
func Required(field string) *Error {
	return New(http.StatusUnprocessableEntity, "validation.required", "%s is required", field).With("field", field)
}

// Internal hides an unexpected error behind a generic message; the cause is
// logged by the transport, never shown.
func Internal() *Error {
	return New(http.StatusInternalServerError, "system.internal", "internal error")
}

// NotSupported answers DM calls on platforms without a DM API.
func NotSupported(format string, args ...any) *Error {
	return New(http.StatusNotImplemented, "resource.not_supported", format, args...)
}

// BadLimit refuses a page size outside [min, max]. A malformed query
// parameter is a bad request (400), unlike a body field the service
// could not accept (422).
func BadLimit(min, max int) *Error {
	return New(http.StatusBadRequest, "validation.invalid_limit", "limit must be an integer from %d to %d", min, max).
		With("field", "limit").With("min", min).With("max", max)
}

// BadCursor refuses a cursor that this list did not issue: it is never
// ignored (that would restart the list) nor answered with an empty page.
func BadCursor() *Error {
	return New(http.StatusBadRequest, "validation.invalid_cursor",
		"cursor is not valid for this list; pass pagination.next_cursor of its previous page unchanged").With("field", "cursor")
}
