package graphemu

import (
	"fmt"
	"net/http"
)

// Error is one Graph API error answer: the HTTP status and the fields of the
// body {"error":{"message","type","code","error_subcode","fbtrace_id"}}.
//
// Shape: https://developers.facebook.com/docs/graph-api/guides/error-handling
// ("Error Responses"); Messenger codes:
// https://developers.facebook.com/docs/messenger-platform/error-codes
type Error struct {
	Status    int
	Message   string
	Type      string
	Code      int
	Subcode   int
	Transient bool
	// RegainAccessMinutes, when set on a throttling error, adds the
	// X-Business-Use-Case-Usage header with estimated_time_to_regain_access
	// (https://developers.facebook.com/docs/graph-api/overview/rate-limiting,
	// "Business Use Case Rate Limits" headers).
	RegainAccessMinutes int
}

// body renders the wire shape; fbtrace_id is filled per answer.
func (e Error) body(trace string) map[string]any {
	inner := map[string]any{
		"message":    e.Message,
		"type":       e.Type,
		"code":       e.Code,
		"fbtrace_id": trace,
	}
	if e.Subcode != 0 {
		inner["error_subcode"] = e.Subcode
	}
	if e.Transient {
		inner["is_transient"] = true
	}
	return map[string]any{"error": inner}
}

// Canonical errors. Messages are Meta's own wording where the docs or
// public reports show it; each cites its source.
var (
	// ErrInvalidToken: code 190 without subcode, "Invalid OAuth access
	// token" (https://developers.facebook.com/docs/messenger-platform/error-codes,
	// "Example Error Response"; the "- Cannot parse access token" suffix is
	// what Graph adds for a token it cannot decode).
	ErrInvalidToken = Error{Status: http.StatusBadRequest, Type: "OAuthException", Code: 190,
		Message: "Invalid OAuth access token - Cannot parse access token"}

	// ErrTokenExpired: code 190 subcode 463 "Session has expired"
	// (https://developers.facebook.com/docs/graph-api/guides/error-handling,
	// "Authentication Error Subcodes", 463).
	ErrTokenExpired = Error{Status: http.StatusBadRequest, Type: "OAuthException", Code: 190, Subcode: 463,
		Message: "Error validating access token: Session has expired."}

	// ErrTokenRequired: code 104 when no token is sent at all.
	ErrTokenRequired = Error{Status: http.StatusBadRequest, Type: "OAuthException", Code: 104,
		Message: "An access token is required to request this resource."}

	// ErrTransient: code 2 "An unexpected error has occurred. Please retry
	// your request later." (Messenger error codes table, code 2; Graph
	// error handling: "API Service – temporary issue due to downtime").
	ErrTransient = Error{Status: http.StatusInternalServerError, Type: "OAuthException", Code: 2, Transient: true,
		Message: "An unexpected error has occurred. Please retry your request later."}

	// Throttling, Graph "Rate Limiting Error Codes"
	// (https://developers.facebook.com/docs/graph-api/overview/rate-limiting):
	// 4 application, 17 user, 32 Page, 613 custom; BUC 80002 Instagram,
	// 80006 Messenger.
	ErrAppRateLimit = Error{Status: http.StatusBadRequest, Type: "OAuthException", Code: 4, Transient: true,
		Message: "(#4) Application request limit reached"}
	ErrUserRateLimit = Error{Status: http.StatusBadRequest, Type: "OAuthException", Code: 17, Transient: true,
		Message: "(#17) User request limit reached"}
	ErrPageRateLimit = Error{Status: http.StatusBadRequest, Type: "OAuthException", Code: 32, Transient: true,
		Message: "(#32) Page request limit reached"}
	// ErrSendRateLimit: Messenger "613 – Calls to this API have exceeded the
	// rate limit" (send-api error codes).
	ErrSendRateLimit = Error{Status: http.StatusBadRequest, Type: "OAuthException", Code: 613, Transient: true,
		Message: "(#613) Calls to this api have exceeded the rate limit."}
	ErrInstagramRateLimit = Error{Status: http.StatusBadRequest, Type: "OAuthException", Code: 80002, Transient: true, RegainAccessMinutes: 5,
		Message: "(#80002) There have been too many calls to this Instagram account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting."}
	ErrMessengerRateLimit = Error{Status: http.StatusBadRequest, Type: "OAuthException", Code: 80006, Transient: true, RegainAccessMinutes: 5,
		Message: "(#80006) There have been too many messaging requests to this Page. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting."}

	// ErrMessengerWindow: "10 – 2018278 This message is sent outside of
	// allowed window." (https://developers.facebook.com/docs/messenger-platform/reference/send-api/error-codes,
	// permission errors); the full sentence as Graph sends it is quoted in
	// https://github.com/botpress/botpress/issues/4890 (HTTP 400).
	ErrMessengerWindow = Error{Status: http.StatusBadRequest, Type: "OAuthException", Code: 10, Subcode: 2018278,
		Message: "(#10) This message is sent outside of allowed window. Learn more about the new policy here: https://developers.facebook.com/docs/messenger-platform/policy-overview"}

	// ErrInstagramWindow: code 10 subcode 2534022, HTTP 403, as
	// graph.instagram.com answers it (quoted verbatim in
	// https://github.com/ComposioHQ/composio/issues/3604). Through the
	// Facebook-Login variant the type is OAuthException (see window()).
	ErrInstagramWindow = Error{Status: http.StatusForbidden, Type: "IGApiException", Code: 10, Subcode: 2534022,
		Message: "This message is sent outside of allowed window."}

	// ErrRecipientUnavailable: "551 – 1545041 This person isn't available
	// right now." (Messenger error codes table).
	ErrRecipientUnavailable = Error{Status: http.StatusBadRequest, Type: "OAuthException", Code: 551, Subcode: 1545041,
		Message: "(#551) This person isn't available right now."}

	// ErrNoMatchingUser: "100 – 2018001 No matching user found" (send-api
	// error codes, bad parameter errors).
	ErrNoMatchingUser = Error{Status: http.StatusBadRequest, Type: "OAuthException", Code: 100, Subcode: 2018001,
		Message: "(#100) No matching user found"}

	// ErrEmptyMessage: "100 – 2018034 Message cannot be empty" (subcode as
	// handled by https://github.com/rickydunlop/fbmessenger-node/pull/24).
	ErrEmptyMessage = Error{Status: http.StatusBadRequest, Type: "OAuthException", Code: 100, Subcode: 2018034,
		Message: "(#100) Message cannot be empty, must provide valid attachment or text"}

	// ErrPermissionDenied: code 10 "API Permission Denied" without subcode
	// (Graph error handling table).
	// ErrInstagramMessageTooOld: GET /{message-id} for an Instagram message
	// outside the conversation's 20 most recent. Meta: "If a message is not
	// within the 20 most recent, an error will be returned stating that the
	// message has been deleted"
	// (https://developers.facebook.com/docs/graph-api/reference/conversation).
	// The docs give no code or wording; this uses Graph's code 100 and says
	// what the docs say. Unverified against a live answer.
	ErrInstagramMessageTooOld = Error{Status: http.StatusBadRequest, Type: "OAuthException", Code: 100,
		Message: "(#100) This message has been deleted"}
	// ErrTagRetired: a Send API call with a message tag Meta retired in
	// 2026 (ACCOUNT_UPDATE, CONFIRMED_EVENT_UPDATE, POST_PURCHASE_UPDATE).
	// Meta answers the bare code-100 "Invalid parameter", no subcode, as
	// integrators report it (https://github.com/chatwoot/chatwoot/issues/14674:
	// "Graph API error 100", external_error "Invalid parameter").
	ErrTagRetired = Error{Status: http.StatusBadRequest, Type: "OAuthException", Code: 100,
		Message: "(#100) Invalid parameter"}
	ErrPermissionDenied = Error{Status: http.StatusForbidden, Type: "OAuthException", Code: 10,
		Message: "(#10) Application does not have permission for this action"}
)

// invalidParam is Graph's generic code-100 parameter error.
func invalidParam(format string, args ...any) Error {
	return Error{Status: http.StatusBadRequest, Type: "OAuthException", Code: 100,
		Message: "(#100) " + fmt.Sprintf(format, args...)}
}

// unsupported is Graph's answer for a node that does not exist or that the
// token may not see: code 100 subcode 33, GraphMethodException (the wording
// of the Graph API for every unknown or hidden object id).
func unsupported(method, id string) Error {
	return Error{Status: http.StatusBadRequest, Type: "GraphMethodException", Code: 100, Subcode: 33,
		Message: fmt.Sprintf("Unsupported %s request. Object with ID '%s' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api", method, id)}
}

// unknownPath is code 2500 for a path Graph does not route.
func unknownPath(rest string) Error {
	return Error{Status: http.StatusBadRequest, Type: "OAuthException", Code: 2500,
		Message: "Unknown path components: " + rest}
}

// nonexistingField is code 100 for a field the node type does not have.
func nonexistingField(field, nodeType string) Error {
	return invalidParam("Tried accessing nonexisting field (%s) on node type (%s)", field, nodeType)
}

// syntaxError is code 2500 for a malformed `fields` expression.
func syntaxError(msg string) Error {
	return Error{Status: http.StatusBadRequest, Type: "OAuthException", Code: 2500,
		Message: "Syntax error \"" + msg + "\""}
}
