package apitype

// Single is the single-object envelope: {"data": {...}}.
type Single[T any] struct {
	// Data is the object.
	Data T `json:"data"`
}

// Pagination is the paging part of the list envelope.
type Pagination struct {
	// HasMore is true when another page follows.
	HasMore bool `json:"has_more"`
	// Limit is the page size the server applied.
	Limit int `json:"limit"`
	// NextCursor pages on (send it as ?cursor=); null on the last page. A
	// cursor is opaque and only valid for the list that issued it.
	NextCursor *string `json:"next_cursor"`
}

// ListMeta reports what a list could not include: accounts a list across
// accounts could not read, or a history the platform cuts short.
type ListMeta struct {
	// Partial is true when some accounts are missing from the page.
	Partial bool `json:"partial"`
	// Failures says which accounts, and why.
	Failures []AccountFailure `json:"failures,omitempty"`
	// HistoryTruncated is true on the last page of a message history when
	// the platform holds older messages it does not return; Reason says why
	// (e.g. "instagram returns only the 20 most recent messages").
	HistoryTruncated bool `json:"history_truncated,omitempty"`
	// Reason explains HistoryTruncated.
	Reason string `json:"reason,omitempty"`
}

// List is the list envelope:
// {"data": [...], "pagination": {...}, "meta": {"partial", "failures"} or
// {"history_truncated", "reason"}}.
type List[T any] struct {
	// Data is the page's items; [] (never null) when there are none.
	Data []T `json:"data"`
	// Pagination says whether and how to page on.
	Pagination Pagination `json:"pagination"`
	// Meta is present only when some account could not be read or the
	// platform cut a history short.
	Meta *ListMeta `json:"meta,omitempty"`
}

// AccountFailure says why one account is missing from a list across
// accounts, which still answered from the others.
type AccountFailure struct {
	// AccountID is the account that could not be read.
	AccountID string `json:"account_id"`
	// Platform is the account's platform.
	Platform string `json:"platform"`
	// Code is the structured error code (as in ErrorDetail).
	Code string `json:"code"`
	// Message is the error in words.
	Message string `json:"message"`
	// Meta carries the error's details, as in ErrorDetail.
	Meta map[string]any `json:"meta,omitempty"`
}

// ErrorBody is the error envelope: {"error": {...}, "request_id": "..."}.
type ErrorBody struct {
	// Error is the structured error.
	Error ErrorDetail `json:"error"`
	// RequestID names the request in the server's logs; quote it when
	// reporting a problem.
	RequestID string `json:"request_id,omitempty"`
}

// ErrorDetail is the inside of the error envelope.
type ErrorDetail struct {
	// Code is stable and machine-readable, e.g. "validation.required".
	Code string `json:"code"`
	// Message is a sentence for humans; it may change.
	Message string `json:"message"`
	// Meta carries details such as the field at fault or
	// retry_after_seconds.
	Meta map[string]any `json:"meta,omitempty"`
}
