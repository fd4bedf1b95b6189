package inbox

import (
	"cmp"
	"encoding/base64"
	"errors"
	"slices"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/domain"
)

// Cursors come in two kinds, and a cursor a list did not issue is refused
// with 400 validation.invalid_cursor: never ignored (which would restart
// the list) and never answered with an empty page.
//
// Management lists (brands, accounts, keys, webhooks, events, attempts)
// page by id, and their cursor is the last id shown: ids are not secret,
// and a cursor that is not a well-formed id of the resource is refused.
//
// Every other list's cursor carries state Parley computed — positions in
// several accounts' platform pages, a platform's own cursor, a place in a
// list held in memory — and is sealed with the key ring, bound to the list
// it pages (its scope). So a cursor is opened only by the list that issued
// it, and a platform only ever receives a cursor it issued itself.

var errNoKeyRing = errors.New("service: sealed cursors need a key ring")

// sealCursor seals a cursor's payload for one list.
func (s *Inbox) sealCursor(scope string, payload []byte) (string, error) {
	if s.keys == nil {
		return "", errNoKeyRing
	}
	sealed, err := s.keys.Seal(payload, []byte("cursor\x00"+scope))
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(sealed), nil
}

// openCursor opens a cursor sealed for the same list; anything else is a
// BadCursor.
func (s *Inbox) openCursor(scope, cursor string) ([]byte, error) {
	if s.keys == nil {
		return nil, errNoKeyRing
	}
	sealed, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, apierr.BadCursor()
	}
	payload, err := s.keys.Open(sealed, []byte("cursor\x00"+scope))
	if err != nil {
		return nil, apierr.BadCursor()
	}
	return payload, nil
}

// pageSlice pages a list held in memory, ordered by key (ascending, unique
// per item). Its cursor is the sealed key of the last item shown, so a page
// starts after it even when items were added or removed in between. Callers
// that fetch the items from a platform check the cursor first (afterKey),
// so a bad cursor costs no platform call.
func pageSlice[T any](s *Inbox, scope, after string, items []T, key func(T) string, limit int) (domain.List[T], error) {
	if limit <= 0 {
		limit = 25
	}
	items = slices.SortedStableFunc(slices.Values(items), func(a, b T) int { return cmp.Compare(key(a), key(b)) })
	start := 0
	if after != "" {
		start, _ = slices.BinarySearchFunc(items, after, func(it T, k string) int { return cmp.Compare(key(it), k) })
		if start < len(items) && key(items[start]) == after {
			start++
		}
	}
	end := min(start+limit, len(items))
	out := domain.List[T]{Limit: limit, Data: slices.Clip(items[start:end])}
	if end < len(items) {
		next, err := s.sealCursor(scope, []byte(key(items[end-1])))
		if err != nil {
			return domain.List[T]{}, err
		}
		out.HasMore, out.NextCursor = true, next
	}
	return out, nil
}

// afterKey opens an in-memory list's cursor: the key of the last item of
// the previous page ("" for the first page).
func (s *Inbox) afterKey(scope, cursor string) (string, error) {
	if cursor == "" {
		return "", nil
	}
	b, err := s.openCursor(scope, cursor)
	return string(b), err
}
