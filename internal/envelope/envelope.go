// Package envelope renders Parley's public JSON envelopes (DESIGN §1). The
// shapes themselves live in apitype, shared with every client; this package
// adds what needs the server's own types: an *apierr.Error as an error body.
package envelope

import (
	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/apierr"
)

// The envelopes, by their established names.
type (
	Single[T any] = apitype.Single[T]
	Pagination    = apitype.Pagination
	ListMeta      = apitype.ListMeta
	List[T any]   = apitype.List[T]
	ErrorBody     = apitype.ErrorBody
	ErrorDetail   = apitype.ErrorDetail
)

// FromError renders a structured error.
func FromError(e *apierr.Error, requestID string) ErrorBody {
	return ErrorBody{Error: ErrorDetail{Code: e.Code, Message: e.Message, Meta: e.Meta}, RequestID: requestID}
}
