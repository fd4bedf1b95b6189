// Package envelope holds the JSON envelopes of Parley's public API (DESIGN
// §1): single objects, lists with pagination, and errors. The REST server,
// its Go client and the MCP tools all speak exactly these.
package envelope

import (
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/service"
)

// Single is the single-object envelope: {"data": {...}}.
type Single[T any] struct {
	Data T `json:"data"`
}

// Pagination is the paging part of the list envelope.
type Pagination struct {
	HasMore    bool    `json:"has_more"`
	Limit      int     `json:"limit"`
	NextCursor *string `json:"next_cursor"`
}

// ListMeta reports accounts a list across accounts could not read.
type ListMeta struct {
	Partial  bool                     `json:"partial"`
	Failures []service.AccountFailure `json:"failures,omitempty"`
	// HistoryTruncated is true on the last page of a message history when
	// the platform holds older messages it does not return; Reason says why
	// (e.g. "instagram returns only the 20 most recent messages").
	HistoryTruncated bool   `json:"history_truncated,omitempty"`
	Reason           string `json:"reason,omitempty"`
}

// List is the list envelope:
// {"data": [...], "pagination": {...}, "meta": {"partial", "failures"} or
// {"history_truncated", "reason"}}.
type List[T any] struct {
	Data       []T        `json:"data"`
	Pagination Pagination `json:"pagination"`
	Meta       *ListMeta  `json:"meta,omitempty"`
}

// FromList renders a domain list: empty data is [], no cursor is null, and
// meta appears only when some account failed or a history was cut short by
// the platform.
func FromList[T any](l service.List[T]) List[T] {
	out := List[T]{Data: l.Data, Pagination: Pagination{HasMore: l.HasMore, Limit: l.Limit}}
	if out.Data == nil {
		out.Data = []T{}
	}
	if l.NextCursor != "" {
		c := l.NextCursor
		out.Pagination.NextCursor = &c
	}
	if len(l.Partial) > 0 {
		out.Meta = &ListMeta{Partial: true, Failures: l.Partial}
	}
	if l.HistoryTruncated != "" {
		out.Meta = &ListMeta{HistoryTruncated: true, Reason: l.HistoryTruncated}
	}
	return out
}

// ErrorBody is the error envelope.
type ErrorBody struct {
	Error     ErrorDetail `json:"error"`
	RequestID string      `json:"request_id,omitempty"`
}

// ErrorDetail is the inside of the error envelope.
type ErrorDetail struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Meta    map[string]any `json:"meta,omitempty"`
}

// FromError renders a structured error.
func FromError(e *apierr.Error, requestID string) ErrorBody {
	return ErrorBody{Error: ErrorDetail{Code: e.Code, Message: e.Message, Meta: e.Meta}, RequestID: requestID}
}
