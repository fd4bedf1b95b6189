package waemu

import (
	"errors"
	"fmt"
	"net/http"
)

// The Cloud API is built on the Graph API, so every refusal uses the Graph
// error envelope with a WhatsApp error_data block:
//
//	{"error":{"message":"(#130429) Rate limit hit","type":"OAuthException","code":130429,
//	  "error_data":{"messaging_product":"whatsapp","details":"…"},"error_subcode":2494055,
//	  "fbtrace_id":"Az8or2yhqkZfEZ-_4Qn_Bam"}}
//
// Shape, titles, details and HTTP statuses:
// https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes
// (formerly https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes).
// Graph-level fields (type, error_subcode, fbtrace_id, is_transient):
// https://developers.facebook.com/docs/graph-api/guides/error-handling

// ErrorBody is the Graph API error envelope. Exported so tests of clients can
// decode what the emulator answers without redefining it.
type ErrorBody struct {
	Error GraphError `json:"error"`
}

// GraphError is the "error" object of a Graph API error response. Field order
// follows Meta's documented syntax.
type GraphError struct {
	Message      string     `json:"message"`
	Type         string     `json:"type"`
	Code         int        `json:"code"`
	ErrorData    *ErrorData `json:"error_data,omitempty"`
	ErrorSubcode int        `json:"error_subcode,omitempty"`
	IsTransient  bool       `json:"is_transient,omitempty"`
	FBTraceID    string     `json:"fbtrace_id"`
}

// ErrorData is the WhatsApp-specific part of an error: messaging_product is
// always "whatsapp" for Cloud API responses.
type ErrorData struct {
	MessagingProduct string `json:"messaging_product"`
	Details          string `json:"details"`
}

// Error is an error answer of the Cloud API: the HTTP status and the
// Graph error object (its fbtrace_id is drawn when it is written). It is
// what FailNext injects.
type Error struct {
	Status  int
	Body    GraphError
	retryIn int // seconds; informational only, the Cloud API sends no Retry-After
}

// cloudErr builds a Cloud API (13xxxx and friends) error: the message is
// "(#code) title" and error_data carries the details string.
func cloudErr(status, code int, title, details string) *Error {
	return &Error{Status: status, Body: GraphError{
		Message:   fmt.Sprintf("(#%d) %s", code, title),
		Type:      "OAuthException",
		Code:      code,
		ErrorData: &ErrorData{MessagingProduct: "whatsapp", Details: details},
	}}
}

// Error codes the emulator produces. Titles and details are Meta's.
const (
	CodeTransient          = 2      // API Service: temporary downtime or overload
	CodeInvalidParameter   = 100    // Invalid parameter
	CodeAccessToken        = 190    // Access token has expired / invalid
	CodeUnknownPath        = 2500   // Graph: unknown path components
	CodeThroughput         = 130429 // Rate limit hit (per-number throughput)
	CodeUndeliverable      = 131026 // Message Undeliverable
	CodeReengagement       = 131047 // Re-engagement message (outside 24 h window)
	CodeRequiredParam      = 131008 // Required parameter is missing
	CodeParamValue         = 131009 // Parameter value is not valid
	CodePairRate           = 131056 // (Business Account, Consumer Account) pair rate limit hit
	CodeTemplateParamCount = 132000 // Template Param Count Mismatch
	CodeTemplateMissing    = 132001 // Template does not exist
	CodeTemplateTooLong    = 132005 // Template Hydrated Text Too Long
	CodeTemplateFormatChar = 132007 // Template Format Character Policy Violated
	CodeTemplateParamFmt   = 132012 // Template Parameter Format Mismatch
	CodeTemplatePaused     = 132015 // Template is Paused
	CodeTemplateDisabled   = 132016 // Template is Disabled
)

func errReengagement() *Error {
	// 131047: free-form message outside the customer service window.
	return cloudErr(http.StatusBadRequest, CodeReengagement, "Re-engagement message",
		"Message failed to send because more than 24 hours have passed since the customer last replied to this number.")
}

func errPairRate(retryIn int) *Error {
	// 131056: too many messages to the same user in a short time (about one
	// every 6 s). Subcode as observed in Meta's responses.
	e := cloudErr(http.StatusBadRequest, CodePairRate, "(Business Account, Consumer Account) pair rate limit hit",
		"Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.")
	e.Body.ErrorSubcode = 2494071
	e.retryIn = retryIn
	return e
}

func errThroughput() *Error {
	// 130429: the number's messages-per-second throughput was exceeded.
	// https://developers.facebook.com/documentation/business-messaging/whatsapp/throughput
	e := cloudErr(http.StatusBadRequest, CodeThroughput, "Rate limit hit",
		"Message failed to send because there were too many messages sent from this phone number in a short period of time")
	e.Body.ErrorSubcode = 2494055
	e.retryIn = 1
	return e
}

func errUndeliverable() *Error {
	return cloudErr(http.StatusBadRequest, CodeUndeliverable, "Message Undeliverable",
		"Unable to deliver message. Reasons can include: The recipient phone number is not a WhatsApp phone number; The recipient has not accepted our new Terms of Service and Privacy Policy; The recipient is using an old WhatsApp version.")
}

func errTemplateParamCount(component string, got, want int) *Error {
	return cloudErr(http.StatusBadRequest, CodeTemplateParamCount, "Number of parameters does not match the expected number of params",
		fmt.Sprintf("%s: number of localizable_params (%d) does not match the expected number of params (%d)", component, got, want))
}

func errTemplateMissing(name, lang string) *Error {
	// 132001 is answered both for a name/language pair that does not exist
	// and for a template that is not (yet) approved: only approved
	// translations can be looked up at send time. Meta lists it as 404.
	return cloudErr(http.StatusNotFound, CodeTemplateMissing, "Template name does not exist in the translation",
		fmt.Sprintf("template name (%s) does not exist in %s", name, lang))
}

func errTemplateTooLong() *Error {
	return cloudErr(http.StatusBadRequest, CodeTemplateTooLong, "Translated text too long",
		"Translated text is too long.")
}

func errTemplateFormatChar() *Error {
	// 132007 (the on-premises "format character policy"): parameter text may
	// not carry new-lines, tabs or more than 4 consecutive spaces.
	return cloudErr(http.StatusBadRequest, CodeTemplateFormatChar, "Template Format Character Policy Violated",
		"Param text cannot have new-line/tab characters or more than 4 consecutive spaces")
}

func errTemplateParamFormat(details string) *Error {
	return cloudErr(http.StatusBadRequest, CodeTemplateParamFmt, "Parameter format does not match format in the created template", details)
}

func errTemplatePaused() *Error {
	return cloudErr(http.StatusBadRequest, CodeTemplatePaused, "Template is Paused",
		"Template is paused due to low quality so it cannot be sent in a template message.")
}

func errTemplateDisabled() *Error {
	return cloudErr(http.StatusBadRequest, CodeTemplateDisabled, "Template is disabled",
		"Template has been paused too many times due to low quality and is now permanently disabled.")
}

func errInvalidParam(details string) *Error {
	return cloudErr(http.StatusBadRequest, CodeInvalidParameter, "Invalid parameter", details)
}

func errRequiredParam(details string) *Error {
	return cloudErr(http.StatusBadRequest, CodeRequiredParam, "Required parameter is missing", details)
}

func errParamValue(details string) *Error {
	// Also what mark-as-read answers for an unknown message id:
	// https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/mark-message-as-read/
	return cloudErr(http.StatusBadRequest, CodeParamValue, "Parameter value is not valid", details)
}

func errInvalidToken() *Error {
	// Graph API auth failure: code 190, HTTP 401, no error_data.
	return &Error{Status: http.StatusUnauthorized, Body: GraphError{
		Message: "Invalid OAuth access token - Cannot parse access token",
		Type:    "OAuthException",
		Code:    CodeAccessToken,
	}}
}

func errExpiredToken() *Error {
	// Subcode 463: the session has expired.
	return &Error{Status: http.StatusUnauthorized, Body: GraphError{
		Message:      "Error validating access token: Session has expired.",
		Type:         "OAuthException",
		Code:         CodeAccessToken,
		ErrorSubcode: 463,
	}}
}

func errUnsupported(method, id string) *Error {
	// What Graph answers for an object that does not exist or that the token
	// may not see (code 100, subcode 33).
	return &Error{Status: http.StatusBadRequest, Body: GraphError{
		Message: fmt.Sprintf("Unsupported %s request. Object with ID '%s' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api",
			method, id),
		Type:         "GraphMethodException",
		Code:         CodeInvalidParameter,
		ErrorSubcode: 33,
	}}
}

func errUnknownPath(path string) *Error {
	return &Error{Status: http.StatusBadRequest, Body: GraphError{
		Message: "Unknown path components: " + path,
		Type:    "OAuthException",
		Code:    CodeUnknownPath,
	}}
}

// TransientError is code 2, the Cloud API's answer when it is briefly down
// or overloaded (HTTP 503): what FailureRate answers.
func TransientError() Error { return *errTransient() }

// ThroughputError is 130429, the number's throughput exceeded.
func ThroughputError() Error { return *errThroughput() }

// PairRateError is 131056, too many messages to one user in a short time.
func PairRateError() Error { return *errPairRate(6) }

func errTransient() *Error {
	// Code 2 "API Service": temporary downtime or overload, HTTP 503.
	return &Error{Status: http.StatusServiceUnavailable, Body: GraphError{
		Message:     "(#2) Service temporarily unavailable",
		Type:        "OAuthException",
		Code:        CodeTransient,
		IsTransient: true,
	}}
}

// ErrNotOffered is returned by Tap when the business's latest interactive
// message to the customer has no such choice.
var ErrNotOffered = errors.New("waemu: no such reply button or list row was offered")
