package waemu

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Phone-number reads of the WhatsApp Business Management API: GET
// /{phone-number-id} and GET /{waba-id}/phone_numbers. The default fields
// and their values follow "Get all phone numbers" / "Get a single phone
// number" (https://developers.facebook.com/docs/whatsapp/business-management-api/manage-phone-numbers):
// verified_name, code_verification_status, display_phone_number,
// quality_rating, platform_type, throughput and id. A token sees only the
// numbers and WABAs it was granted (authErr), as a system user token sees
// only its business's assets.

var (
	defaultNumberFields = []string{"verified_name", "code_verification_status", "display_phone_number", "quality_rating", "platform_type", "throughput", "id"}
	numberFieldSet      = map[string]bool{"verified_name": true, "code_verification_status": true, "display_phone_number": true,
		"quality_rating": true, "platform_type": true, "throughput": true, "id": true, "name_status": true}
)

// numberJSON renders one number with the asked fields; id is always there.
func numberJSON(p PhoneNumber, fields []string) map[string]any {
	name := p.VerifiedName
	if name == "" {
		name = "Test Number"
	}
	all := map[string]any{
		"verified_name":            name,
		"code_verification_status": "VERIFIED",
		"display_phone_number":     p.DisplayPhoneNumber,
		"quality_rating":           "GREEN",
		"platform_type":            "CLOUD_API",
		"throughput":               map[string]any{"level": "STANDARD"},
		"name_status":              "APPROVED",
		"id":                       p.ID,
	}
	out := map[string]any{"id": p.ID}
	for _, f := range fields {
		out[f] = all[f]
	}
	return out
}

// numberFields reads ?fields=; an unknown field is Graph's code 100
// "nonexisting field" refusal.
func numberFields(q url.Values) ([]string, *Error) {
	s := q.Get("fields")
	if s == "" {
		return defaultNumberFields, nil
	}
	var out []string
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if !numberFieldSet[f] {
			return nil, &Error{Status: http.StatusBadRequest, Body: GraphError{
				Message: "(#100) Tried accessing nonexisting field (" + f + ") on node type (WhatsAppBusinessPhoneNumber)",
				Type:    "OAuthException", Code: CodeInvalidParameter}}
		}
		out = append(out, f)
	}
	return out, nil
}

func (e *Emulator) handleNumber(w http.ResponseWriter, r *http.Request, id string) {
	fields, ae := numberFields(r.URL.Query())
	if ae != nil {
		e.writeErr(w, ae)
		return
	}
	e.mu.Lock()
	p := e.numbers[id].PhoneNumber
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, numberJSON(p, fields))
}

// handlePhoneNumbers lists a WABA's numbers by id, with Graph's cursor
// paging (limit, after).
func (e *Emulator) handlePhoneNumbers(w http.ResponseWriter, r *http.Request, wabaID string) {
	q := r.URL.Query()
	fields, ae := numberFields(q)
	if ae != nil {
		e.writeErr(w, ae)
		return
	}
	limit := 25
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			e.writeErr(w, errInvalidParam("Param limit must be a positive integer"))
			return
		}
		limit = min(n, 1000)
	}
	e.mu.Lock()
	var all []PhoneNumber
	for _, n := range e.numbers {
		if n.WABAID == wabaID {
			all = append(all, n.PhoneNumber)
		}
	}
	e.mu.Unlock()
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	start, ok := afterCursor(q.Get("after"), all, func(n PhoneNumber) string { return n.ID })
	if !ok {
		e.writeErr(w, errInvalidParam("Invalid after cursor"))
		return
	}
	end := min(len(all), start+limit)
	out := struct {
		Data   []map[string]any `json:"data"`
		Paging *Paging          `json:"paging,omitempty"`
	}{Data: []map[string]any{}}
	for _, n := range all[start:end] {
		out.Data = append(out.Data, numberJSON(n, fields))
	}
	if end > start {
		out.Paging = &Paging{Cursors: Cursors{Before: EncodeCursor(all[start].ID), After: EncodeCursor(all[end-1].ID)}}
		if end < len(all) {
			out.Paging.Next = pageURL(r, "after", out.Paging.Cursors.After)
		}
	}
	writeJSON(w, http.StatusOK, out)
}
