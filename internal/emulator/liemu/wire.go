package liemu

import (
	"fmt"
	"net/http"
)

// The JSON shapes below are what the emulator puts on the wire. They are the
// SAME assumed shapes the adapter decodes (internal/platform/linkedin/
// assumptions.go), because LinkedIn's organisation-messaging documentation is
// partner-only. Documented pieces are cited beside them.

// Collection is a Rest.li collection response: `elements` plus `paging`
// (DOCUMENTED: https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/pagination).
type collection[T any] struct {
	Elements []T    `json:"elements"`
	Paging   paging `json:"paging"`
}

type paging struct {
	Start int        `json:"start"`
	Count int        `json:"count"`
	Total int        `json:"total"`
	Links []pageLink `json:"links"`
}

type pageLink struct {
	Rel  string `json:"rel"`
	Href string `json:"href"`
	Type string `json:"type"`
}

// wireConversation is one thread. ASSUMED shape (see the adapter's
// assumptions.go): thread URN as id, participants with inlined display
// fields, epoch-millisecond times, unreadCount and lastMessage.
type wireConversation struct {
	ID             string            `json:"id"`
	Participants   []wireParticipant `json:"participants"`
	CreatedAt      int64             `json:"createdAt"`
	LastActivityAt int64             `json:"lastActivityAt"`
	UnreadCount    int               `json:"unreadCount"`
	LastMessage    *wireMessage      `json:"lastMessage,omitempty"`
}

type wireParticipant struct {
	Participant        string `json:"participant"`
	LocalizedName      string `json:"localizedName,omitempty"`
	LocalizedFirstName string `json:"localizedFirstName,omitempty"`
	LocalizedLastName  string `json:"localizedLastName,omitempty"`
	ProfilePicture     string `json:"profilePicture,omitempty"`
}

// wireMessage follows LinkedIn's Message Schema (DOCUMENTED:
// https://learn.microsoft.com/en-us/linkedin/shared/references/v2/message-schema):
// for format TEXT the text is in `fallback` and `content.content` is null, so
// it is omitted.
type wireMessage struct {
	ID          string      `json:"id"`
	Thread      string      `json:"thread"`
	Author      string      `json:"author"`
	Owner       string      `json:"owner"`
	CreatedAt   int64       `json:"createdAt"`
	DeliveredAt int64       `json:"deliveredAt"`
	Content     wireContent `json:"content"`
	Attachments []string    `json:"attachments"`
}

type wireContent struct {
	Format        string `json:"format"`
	Fallback      string `json:"fallback"`
	FormatVersion int    `json:"formatVersion"`
}

// createMessage is the POST /rest/messages body. DOCUMENTED fields
// (recipients, subject, body, messageType, attachments, thread):
// https://learn.microsoft.com/en-us/linkedin/shared/integrations/communications/messages
// ASSUMED: `author` names the organisation sending.
type createMessage struct {
	Author      string   `json:"author"`
	Thread      string   `json:"thread"`
	Recipients  []string `json:"recipients"`
	Subject     string   `json:"subject"`
	Body        string   `json:"body"`
	MessageType string   `json:"messageType"`
	Attachments []string `json:"attachments"`
}

// Error is LinkedIn's error answer, what FailNext injects: its Status is
// the HTTP status and the body (DOCUMENTED fields status,
// serviceErrorCode, message:
// https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/error-handling;
// `code` is seen on real responses, e.g.
// https://github.com/jclusso/omniauth-linkedin-openid/issues/6).
type Error struct {
	Status           int    `json:"status"`
	ServiceErrorCode int    `json:"serviceErrorCode,omitempty"`
	Code             string `json:"code,omitempty"`
	Message          string `json:"message"`
}

// The catalogue of error bodies is built by functions, not package variables,
// so no package-level state can be mutated. Each body says where it comes
// from; ASSUMED ones should be corrected when seen on the wire.

// DOCUMENTED sample: {"message": "Empty oauth2_access_token",
// "serviceErrorCode": 401, "status": 401} (error-handling page above).
// The `code` value is ASSUMED.
func errEmptyToken() Error {
	return Error{Status: 401, ServiceErrorCode: 401, Code: "EMPTY_ACCESS_TOKEN", Message: "Empty oauth2_access_token"}
}

// DOCUMENTED case "Unknown authentication schema" (error-handling page);
// wording and code ASSUMED.
func errUnknownScheme() Error {
	return Error{Status: 401, ServiceErrorCode: 401, Code: "UNKNOWN_AUTHENTICATION_SCHEME", Message: "Unknown authentication scheme"}
}

// serviceErrorCode 65600 "Invalid access token" seen on the wire:
// https://github.com/xcarpentier/react-native-linkedin/issues/80
func errInvalidToken() Error {
	return Error{Status: 401, ServiceErrorCode: 65600, Code: "INVALID_ACCESS_TOKEN", Message: "Invalid access token"}
}

// DOCUMENTED case "Expired access token" (error-handling page);
// serviceErrorCode 65602 and wording ASSUMED.
func errExpiredToken() Error {
	return Error{Status: 401, ServiceErrorCode: 65602, Code: "EXPIRED_ACCESS_TOKEN", Message: "The token used in the request has expired"}
}

// Seen on the wire: https://github.com/jclusso/omniauth-linkedin-openid/issues/6
func errRevokedToken() Error {
	return Error{Status: 401, ServiceErrorCode: 65601, Code: "REVOKED_ACCESS_TOKEN", Message: "The token used in the request has been revoked by the user"}
}

// Seen on the wire: https://github.com/Automattic/wp-calypso/issues/32007
// (no `code` field in that sample).
func errThrottled() Error {
	return Error{Status: 429, ServiceErrorCode: 101, Message: "Resource level throttle limit for calls to this resource is reached."}
}

// ASSUMED wording: LinkedIn requires the header (versioning page) but the
// exact body for a missing one is not public.
func errVersionMissing() Error {
	return Error{Status: 400, Code: "VERSION_MISSING", Message: "A version must be present. Please specify a version by adding the LinkedIn-Version header."}
}

// ASSUMED: the messaging endpoints are Rest.li 2.0 only. LinkedIn
// documents that a missing X-Restli-Protocol-Version means 1.0
// (https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/protocol-version),
// under which 2.0-encoded keys and finder values are misread; the emulator
// refuses such requests outright so a client that forgets the header fails
// loudly in tests.
func errProtocol() Error {
	return Error{Status: 400, Code: "ILLEGAL_ARGUMENT", Message: "This resource requires Rest.li protocol version 2.0.0: send X-Restli-Protocol-Version: 2.0.0"}
}

// ASSUMED transient bodies.
func errInternal() Error {
	return Error{Status: 500, Code: "INTERNAL_SERVER_ERROR", Message: "Internal Server Error"}
}

func errUnavailable() Error {
	return Error{Status: 503, Code: "SERVICE_UNAVAILABLE", Message: "Service Unavailable"}
}

// errNonexistentVersion is the 426 for an inactive version. Seen on the wire:
// https://github.com/ComposioHQ/composio/issues/3113
func errNonexistentVersion(v string) Error {
	return Error{Status: 426, Code: "NONEXISTENT_VERSION", Message: fmt.Sprintf("Requested version %s is not active", v)}
}

// errAccessDenied is LinkedIn's 403 (serviceErrorCode 100 / ACCESS_DENIED,
// "Not enough permissions to access: …"); the resource naming in the message
// is ASSUMED.
func errAccessDenied(what string) Error {
	return Error{Status: 403, ServiceErrorCode: 100, Code: "ACCESS_DENIED", Message: "Not enough permissions to access: " + what}
}

// errNotFound is ASSUMED (Rest.li 404 with a message).
func errNotFound(what string) Error {
	return Error{Status: 404, Code: "NOT_FOUND", Message: what + " does not exist"}
}

// errBadRequest is ASSUMED (Rest.li 400 with a message).
func errBadRequest(msg string) Error {
	return Error{Status: 400, Code: "ILLEGAL_ARGUMENT", Message: msg}
}

// StatusError is the catalogue body LinkedIn answers with for status (401,
// 403, 404, 429, 500, 503, …): the way to inject a failure by status.
func StatusError(status int) Error {
	switch status {
	case http.StatusUnauthorized:
		return errInvalidToken()
	case http.StatusForbidden:
		return errAccessDenied("the requested resource")
	case http.StatusNotFound:
		return errNotFound("The requested resource")
	case http.StatusTooManyRequests:
		return errThrottled()
	case http.StatusServiceUnavailable:
		return errUnavailable()
	case http.StatusInternalServerError:
		return errInternal()
	}
	return Error{Status: status, Message: http.StatusText(status)}
}
