package waemu

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// TemplateJSON is one template as GET /{waba-id}/message_templates returns
// it, in Meta's field order; fields not asked for with ?fields= are omitted
// (id is always present).
// https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/template-management/
type TemplateJSON struct {
	Name            string           `json:"name,omitempty"`
	ParameterFormat string           `json:"parameter_format,omitempty"`
	Components      []map[string]any `json:"components,omitempty"`
	Language        string           `json:"language,omitempty"`
	Status          string           `json:"status,omitempty"`
	Category        string           `json:"category,omitempty"`
	ID              string           `json:"id"`
}

// TemplatePage is a Graph API list page: data plus cursor paging; "next" is
// present only when there is a following page, "previous" only when there is
// an earlier one.
type TemplatePage struct {
	Data   []TemplateJSON `json:"data"`
	Paging *Paging        `json:"paging,omitempty"`
}

// Paging is Graph's cursor-based paging object.
// https://developers.facebook.com/docs/graph-api/results
type Paging struct {
	Cursors  Cursors `json:"cursors"`
	Next     string  `json:"next,omitempty"`
	Previous string  `json:"previous,omitempty"`
}

// Cursors are opaque strings pointing at the first and last item of a page.
type Cursors struct {
	Before string `json:"before"`
	After  string `json:"after"`
}

// EncodeCursor and DecodeCursor turn a template id into the opaque cursor
// string and back.
func EncodeCursor(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

// DecodeCursor is the inverse of EncodeCursor; it rejects anything else.
func DecodeCursor(c string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) == 0 {
		return "", fmt.Errorf("invalid cursor")
	}
	for _, ch := range b {
		if ch < '0' || ch > '9' {
			return "", fmt.Errorf("invalid cursor")
		}
	}
	return string(b), nil
}

var defaultTemplateFields = []string{"name", "parameter_format", "components", "language", "status", "category", "id"}

func (e *Emulator) handleTemplates(w http.ResponseWriter, r *http.Request, wabaID string) {
	q := r.URL.Query()
	limit := 25
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			e.writeErr(w, errInvalidParam("Param limit must be a positive integer"))
			return
		}
		limit = min(n, 1000)
	}
	fields := defaultTemplateFields
	if s := q.Get("fields"); s != "" {
		fields = strings.Split(s, ",")
	}
	want := map[string]bool{}
	for _, f := range fields {
		want[strings.TrimSpace(f)] = true
	}

	e.mu.Lock()
	var all []Template
	for _, t := range e.templates[wabaID] {
		if f := q.Get("status"); f != "" && !strings.EqualFold(f, t.Status) {
			continue
		}
		if f := q.Get("category"); f != "" && !strings.EqualFold(f, t.Category) {
			continue
		}
		if f := q.Get("language"); f != "" && f != t.Language {
			continue
		}
		if f := q.Get("name"); f != "" && !strings.Contains(t.Name, f) {
			continue
		}
		all = append(all, *t)
	}
	e.mu.Unlock()

	var start, end int
	if c := q.Get("after"); c != "" {
		var ok bool
		if start, ok = afterCursor(c, all, func(t Template) string { return t.ID }); !ok {
			e.writeErr(w, errInvalidParam("Invalid after cursor"))
			return
		}
		end = min(start+limit, len(all))
	} else if c := q.Get("before"); c != "" {
		id, err := DecodeCursor(c)
		if err != nil {
			e.writeErr(w, errInvalidParam("Invalid before cursor"))
			return
		}
		end = 0
		for i, t := range all {
			if t.ID == id {
				end = i
				break
			}
		}
		start = max(0, end-limit)
	} else {
		end = min(limit, len(all))
	}

	page := TemplatePage{Data: []TemplateJSON{}}
	for _, t := range all[start:end] {
		j := TemplateJSON{ID: t.ID}
		if want["name"] {
			j.Name = t.Name
		}
		if want["parameter_format"] {
			j.ParameterFormat = t.ParameterFormat
		}
		if want["components"] {
			j.Components = t.Components
		}
		if want["language"] {
			j.Language = t.Language
		}
		if want["status"] {
			j.Status = t.Status
		}
		if want["category"] {
			j.Category = t.Category
		}
		page.Data = append(page.Data, j)
	}
	if end > start {
		p := &Paging{Cursors: Cursors{Before: EncodeCursor(all[start].ID), After: EncodeCursor(all[end-1].ID)}}
		if end < len(all) {
			p.Next = pageURL(r, "after", p.Cursors.After)
		}
		if start > 0 {
			p.Previous = pageURL(r, "before", p.Cursors.Before)
		}
		page.Paging = p
	}
	writeJSON(w, http.StatusOK, page)
}

// pageURL rebuilds the request URL with one cursor, as Graph's next/previous
// links do (without the access token, which callers add back).
func pageURL(r *http.Request, key, cursor string) string {
	q := url.Values{}
	for k, v := range r.URL.Query() {
		if k != "after" && k != "before" && k != "access_token" {
			q[k] = v
		}
	}
	q.Set(key, cursor)
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return (&url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path, RawQuery: q.Encode()}).String()
}

// afterCursor is where a Graph "after" cursor resumes in items: just past the
// item it names (the end when that item is gone), or 0 without a cursor.
// ok is false for a cursor that does not decode.
func afterCursor[T any](cursor string, items []T, id func(T) string) (start int, ok bool) {
	if cursor == "" {
		return 0, true
	}
	want, err := DecodeCursor(cursor)
	if err != nil {
		return 0, false
	}
	for i, it := range items {
		if id(it) == want {
			return i + 1, true
		}
	}
	return len(items), true
}
