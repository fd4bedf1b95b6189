// Package inbox is the inbox-and-sends capability of the domain layer:
// listing conversations across accounts (the fan-out merge and its cursor
// here are pure functions), reading histories, marking read, and sending
// under the messaging rules, Parley's rate limits and idempotency keys
// (send.go, limits.go, idempotency.go). WhatsApp templates (templates.go),
// usage counts and the platforms' capability matrix (platforms.go) live
// here too, because sends decide on them (DESIGN §1, §2).
package inbox

import (
	"encoding/json"
	"sort"
	"time"

	"github.com/parleyhq/parley/internal/apierr"
)

// Cursor is the state of a list across accounts: each account's own
// position. It is sealed before it leaves the server (it holds platform
// cursors, which are passed on to the platforms).
type Cursor struct {
	V        int             `json:"v"`
	Accounts map[string]Seek `json:"a"`
}

// Seek is one account's position: the platform cursor of the page being
// consumed and how many of its items were already returned.
type Seek struct {
	Cursor string `json:"c,omitempty"`
	Skip   int    `json:"s,omitempty"`
	Done   bool   `json:"d,omitempty"`
}

// cursorVersion is the only version ParseCursor accepts.
const cursorVersion = 1

// ParseCursor reads an opened cursor. Only Parley seals cursors, but a
// cursor of another version is still refused rather than misread.
func ParseCursor(b []byte) (Cursor, error) {
	var c Cursor
	if json.Unmarshal(b, &c) != nil || c.V != cursorVersion {
		return Cursor{}, apierr.BadCursor()
	}
	return c, nil
}

// Encode is the cursor's payload, to be sealed.
func (c Cursor) Encode() []byte {
	b, _ := json.Marshal(c) // a struct of strings, ints and bools always marshals
	return b
}

// Resume says where an account's listing continues: from the start on a
// first page (cur is the zero Cursor), from its Seek on a later one. ok is
// false when the account takes no part: it was not in the listing the
// cursor belongs to, or it is exhausted.
func Resume(cur Cursor, accountID string) (s Seek, ok bool) {
	if cur.Accounts == nil {
		return Seek{}, true
	}
	s, ok = cur.Accounts[accountID]
	return s, ok && !s.Done
}

// Source is what one account answered for a page of a list across
// accounts.
type Source[T any] struct {
	// AccountID keys the account's place in the cursor.
	AccountID string
	// Seek is where this page was read from.
	Seek Seek
	// Items is the platform page read at Seek.Cursor, including the
	// Seek.Skip items already returned by earlier pages.
	Items []T
	// Next is the platform's cursor after Items; "" when it has no more.
	Next string
	// Failed is true when the account could not be read; it is retried from
	// Seek on the next page.
	Failed bool
}

// Pick is an item of a merged page and the index of its source.
type Pick[T any] struct {
	Source int
	Item   T
}

// Page is the outcome of Merge.
type Page[T any] struct {
	// Items are the picked items, newest first.
	Items []Pick[T]
	// Next is the cursor state of the next page; meaningful when HasMore.
	Next Cursor
	// HasMore is true when a next page may hold something.
	HasMore bool
}

// Merge is a k-way merge over paged sources: it walks every fetched item
// newest first (by at; ties keep the sources' order, then each page's) and
// picks those keep accepts (given the item and its source's index), up to
// limit. Items keep drops still count as
// consumed, so the cursor moves past them. The walk stops at the limit, or
// right after a source's fetched page runs out while it has more: its next
// item, not yet fetched, may be newer than anything after this point.
//
// The next cursor holds, per source, where to continue: the same platform
// page with a larger skip when some of it is left, the platform's next
// page when it was used up, and the unchanged position of a failed source.
// A source with nothing left is absent, so it is not read again. HasMore is
// false when no source has anything left, and when the page is empty and
// every source left is one that failed: paging on would only repeat the
// failures.
func Merge[T any](sources []Source[T], limit int, at func(T) time.Time, keep func(item T, source int) bool) Page[T] {
	fresh := make([][]T, len(sources))
	var merged []Pick[T]
	failed := 0
	for i, s := range sources {
		if s.Failed {
			failed++
			continue
		}
		if s.Seek.Skip <= len(s.Items) {
			fresh[i] = s.Items[s.Seek.Skip:]
		}
		for _, it := range fresh[i] {
			merged = append(merged, Pick[T]{Source: i, Item: it})
		}
	}
	sort.SliceStable(merged, func(a, b int) bool { return at(merged[a].Item).After(at(merged[b].Item)) })
	out := Page[T]{Next: Cursor{V: cursorVersion, Accounts: map[string]Seek{}}}
	consumed := make([]int, len(sources))
	for _, m := range merged {
		if len(out.Items) == limit {
			break
		}
		consumed[m.Source]++
		if keep(m.Item, m.Source) {
			out.Items = append(out.Items, m)
		}
		if s := sources[m.Source]; consumed[m.Source] == len(fresh[m.Source]) && s.Next != "" {
			break
		}
	}
	for i, s := range sources {
		switch {
		case s.Failed:
			out.Next.Accounts[s.AccountID] = s.Seek
		case consumed[i] < len(fresh[i]):
			out.Next.Accounts[s.AccountID] = Seek{Cursor: s.Seek.Cursor, Skip: s.Seek.Skip + consumed[i]}
		case s.Next != "":
			out.Next.Accounts[s.AccountID] = Seek{Cursor: s.Next}
		}
	}
	out.HasMore = len(out.Next.Accounts) > 0 && (len(out.Items) > 0 || failed < len(out.Next.Accounts))
	return out
}
