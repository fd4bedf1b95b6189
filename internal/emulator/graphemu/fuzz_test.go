package graphemu

import (
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

// FuzzParseFields: any `fields` value either fails cleanly or parses into
// a structure that FormatFields renders back to the same structure.
func FuzzParseFields(f *testing.F) {
	for _, s := range []string{
		"id,updated_time",
		"id,updated_time,participants,messages.limit(10){id,created_time,from,message,attachments}",
		"messages{id,to{id}}",
		"messages.limit(x){id}",
		"a{b{c{d{e{f{g{h{i{j}}}}}}}}}",
		"id,,name",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fs, err := ParseFields(s)
		if err != nil {
			return
		}
		again, err := ParseFields(FormatFields(fs))
		if err != nil {
			t.Fatalf("formatted %q does not reparse: %v", FormatFields(fs), err)
		}
		if !reflect.DeepEqual(normalize(fs), normalize(again)) {
			t.Fatalf("round trip changed %q: %+v vs %+v", s, fs, again)
		}
	})
}

// normalize drops what FormatFields cannot express (limit(0), empty braces).
func normalize(fs []Field) []Field {
	var out []Field
	for _, f := range fs {
		out = append(out, Field{Name: f.Name, Limit: f.Limit, Sub: normalize(f.Sub)})
	}
	return out
}

// FuzzSendBody: whatever a client POSTs to /messages, the emulator answers
// JSON — a send acknowledgement or a Graph error body — and never panics.
func FuzzSendBody(f *testing.F) {
	for _, s := range []string{
		`{"recipient":{"id":"7000000000010001"},"messaging_type":"RESPONSE","message":{"text":"hi"}}`,
		`{"recipient":{"id":"7000000000010001"},"sender_action":"mark_seen"}`,
		`{"recipient":{"id":"7000000000010002"},"messaging_type":"MESSAGE_TAG","tag":"HUMAN_AGENT","message":{"text":"x"}}`,
		`{"recipient":{"id":"7000000000010001"},"message":{"attachment":{"type":"image","payload":{"url":"https://a.b/c.jpg"}}}}`,
		`{"recipient":[],"message":null}`,
		`{"recipient":{"id":"7000000000010001"},"message":{"text":"pick","quick_replies":[{"content_type":"text","title":"A","payload":1}]}}`,
		`{"recipient":{"id":"7000000000010001"},"message":{"attachment":{"type":"template","payload":{"template_type":"generic","elements":[{"title":"t","buttons":[{"type":"postback","title":"b","payload":"p"}]}]}}}}`,
		`{"recipient":{"id":"7000000000010001"},"reply_to":{"mid":"m_1"},"message":{"attachment":{"type":"template","payload":{"template_type":"button","text":"x","buttons":[]}}}}`,
		`recipient={'id':'7000000000010001'}&message={'text':'hi'}`,
	} {
		f.Add(s)
	}
	fx := newFixture(f)
	f.Fuzz(func(t *testing.T, body string) {
		ctype := "application/json"
		if !strings.HasPrefix(strings.TrimSpace(body), "{") {
			ctype = "application/x-www-form-urlencoded"
		}
		req := httptest.NewRequest("POST", fb+"/me/messages", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+pageToken)
		req.Header.Set("Content-Type", ctype)
		rec := httptest.NewRecorder()
		fx.emu.ServeHTTP(rec, req)
		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("answer is not JSON: %q", rec.Body.String())
		}
		_, isErr := out["error"]
		if (rec.Code == 200) == isErr {
			t.Fatalf("status %d with body %v", rec.Code, out)
		}
	})
}
