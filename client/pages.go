package client

import (
	"context"
	"fmt"
	"iter"
	"maps"
	"net/url"
	"strconv"
	"strings"

	"github.com/parleyhq/parley/apitype"
)

// PageQuery is the paging of a list: Limit items per page (0: the server's
// default of 25) from Cursor (a previous page's pagination.next_cursor;
// empty for the first page). The iterators set Cursor themselves.
type PageQuery struct {
	Limit  int
	Cursor string
}

func (q PageQuery) values() url.Values {
	v := url.Values{}
	if q.Limit != 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	set(v, "cursor", q.Cursor)
	return v
}

func set(v url.Values, k, s string) {
	if s != "" {
		v.Set(k, s)
	}
}

// PartialError is yielded by an iterator after the items of a page that
// lacks some accounts (the list across accounts answered from the others).
// The iteration goes on if the loop does not stop.
type PartialError struct {
	// Failures say which accounts are missing and why.
	Failures []apitype.AccountFailure
}

func (e *PartialError) Error() string {
	ids := make([]string, len(e.Failures))
	for i, f := range e.Failures {
		ids[i] = f.AccountID + " (" + f.Code + ")"
	}
	return "the list lacks accounts that could not be read: " + strings.Join(ids, ", ")
}

// all follows a list's cursors from q, yielding each item; a failure is
// yielded once as (zero, err) and ends the iteration. Parameters named in
// firstOnly are sent with the first page only (refresh=true refreshes a
// cache once, not on every page).
func all[T any](ctx context.Context, c *Client, path string, q url.Values, firstOnly ...string) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		q := maps.Clone(q)
		if q == nil {
			q = url.Values{}
		}
		seen := map[string]bool{}
		for {
			var page List[T]
			if err := c.get(ctx, path, q, &page); err != nil {
				yield(zero, err)
				return
			}
			for _, v := range page.Data {
				if !yield(v, nil) {
					return
				}
			}
			if page.Meta != nil && page.Meta.Partial && !yield(zero, &PartialError{Failures: page.Meta.Failures}) {
				return
			}
			next := page.Pagination.NextCursor
			if !page.Pagination.HasMore || next == nil || *next == "" {
				return
			}
			if seen[*next] {
				yield(zero, &Error{Code: "system.unexpected_response", Message: fmt.Sprintf("the server returned cursor %q twice for %s", *next, path)})
				return
			}
			seen[*next] = true
			q.Set("cursor", *next)
			for _, k := range firstOnly {
				q.Del(k)
			}
		}
	}
}

// page reads one page of a list.
func page[T any](ctx context.Context, c *Client, path string, q url.Values) (List[T], error) {
	var out List[T]
	err := c.get(ctx, path, q, &out)
	return out, err
}
