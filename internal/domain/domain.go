// Package domain is what every capability of Parley's domain layer shares:
// the caller's identity, paging (requests, the list a capability answers
// with, management cursors) and the mapping of store errors to API errors.
//
// Capabilities (internal/events, …) build on it; internal/service is the
// front the transports call, and it re-exports these names.
package domain

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/secrets"
	"github.com/parleyhq/parley/internal/store"
)

// Caller is an authenticated API key's identity.
type Caller struct {
	OrgID string
	KeyID string
}

// PageRequest is a caller's cursor and limit, already validated.
type PageRequest struct {
	Cursor string
	Limit  int
}

// List is one page of results and the cursor of the next.
type List[T any] struct {
	Data       []T
	HasMore    bool
	NextCursor string
	Limit      int
	// Partial lists the accounts whose platform could not be read, when a
	// list across accounts still answered from the others.
	Partial []apitype.AccountFailure
	// HistoryTruncated, on a message history's last page, is why older
	// messages exist but cannot be read (platform.Page.Truncated).
	HistoryTruncated string
}

// Envelope renders the list as the public list envelope: empty data is [],
// no cursor is null, and meta appears only when some account failed or the
// platform cut a history short.
func (l List[T]) Envelope() apitype.List[T] {
	out := apitype.List[T]{Data: l.Data, Pagination: apitype.Pagination{HasMore: l.HasMore, Limit: l.Limit}}
	if out.Data == nil {
		out.Data = []T{}
	}
	if l.NextCursor != "" {
		c := l.NextCursor
		out.Pagination.NextCursor = &c
	}
	if len(l.Partial) > 0 {
		out.Meta = &apitype.ListMeta{Partial: true, Failures: l.Partial}
	}
	if l.HistoryTruncated != "" {
		out.Meta = &apitype.ListMeta{HistoryTruncated: true, Reason: l.HistoryTruncated}
	}
	return out
}

// StoreErr turns store sentinels into API errors for one resource kind.
func StoreErr(err error, resource string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return apierr.NotFound(resource)
	case errors.Is(err, store.ErrConflict):
		return apierr.New(http.StatusConflict, "resource.conflict", "%s already exists", resource).With("resource", resource)
	}
	return err
}

// IDPage turns store rows (Limit+1 fetched) into a List whose cursor is the
// last id shown. Management ids are not secret, so the cursor is the id itself.
func IDPage[R, V any](rows []R, limit int, id func(R) string, view func(R) V) List[V] {
	out := List[V]{Limit: limit, Data: make([]V, 0, min(len(rows), limit))}
	if len(rows) > limit {
		rows = rows[:limit]
		out.HasMore = true
		out.NextCursor = id(rows[len(rows)-1])
	}
	for _, r := range rows {
		out.Data = append(out.Data, view(r))
	}
	return out
}

// IDCursor checks a management list's cursor (brands, accounts, keys,
// webhooks, events, attempts page by id, and their cursor is the last id
// shown): store.NewID's shape, prefix "_" 32 lowercase hex digits. A cursor
// the list did not issue is refused with 400 validation.invalid_cursor,
// never ignored (which would restart the list).
func IDCursor(prefix, cursor string) error {
	if cursor == "" {
		return nil
	}
	hex, ok := strings.CutPrefix(cursor, prefix+"_")
	if !ok || len(hex) != 32 || strings.IndexFunc(hex, func(r rune) bool { return (r < '0' || r > '9') && (r < 'a' || r > 'f') }) >= 0 {
		return apierr.BadCursor()
	}
	return nil
}

// Deps are what every capability is built from.
type Deps struct {
	Store store.Store
	// Keys seals tokens, webhook secrets and cursors.
	Keys *secrets.KeyRing
	// Now is the clock (tests pin it); nil means time.Now.
	Now func() time.Time
	Log *slog.Logger
}

// DefaultAccountTimeout bounds one account's platform call when a
// capability is not told otherwise.
const DefaultAccountTimeout = 10 * time.Second

// WithDefaults fills what a capability may leave unset: the clock
// (time.Now) and the logger (slog.Default).
func (d Deps) WithDefaults() Deps {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	return d
}
