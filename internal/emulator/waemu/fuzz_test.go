package waemu

import (
	"bytes"
	"net/http/httptest"
	"testing"
)

// FuzzParseSendRequest feeds arbitrary bodies through the messages handler:
// it must never panic and must answer JSON (a send, a receipt or a Graph
// error).
func FuzzParseSendRequest(f *testing.F) {
	f.Add([]byte(`{"messaging_product":"whatsapp","to":"16505551234","type":"text","text":{"body":"hi"}}`))
	f.Add([]byte(`{"messaging_product":"whatsapp","to":"1","type":"template","template":{"name":"order_update","language":{"code":"en_US"},"components":[{"type":"body","parameters":[{"type":"text","text":"a"}]}]}}`))
	f.Add([]byte(`{"messaging_product":"whatsapp","status":"read","message_id":"wamid.x"}`))
	f.Add([]byte(`{"messaging_product":"whatsapp","to":"16505551234","type":"interactive","context":{"message_id":"wamid.x"},"interactive":{"type":"list","body":{"text":"x"},"action":{"button":"b","sections":[{"rows":[{"id":"1","title":"a"}]}]}}}`))
	f.Add([]byte(`{"messaging_product":"whatsapp","to":"16505551234","type":"interactive","interactive":{"type":"cta_url","body":{"text":"x"},"action":{"name":"cta_url","parameters":{"display_text":"d","url":"https://e.com"}}}}`))
	e, _ := newEmu(f, nil)
	e.Inbound(phoneID, user, "Ana", "hi")
	f.Fuzz(func(t *testing.T, body []byte) {
		_, _ = ParseSendRequest(body)
		req := httptest.NewRequest("POST", msgsPath(), bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Body.Len() == 0 || rec.Body.Bytes()[0] != '{' {
			t.Fatalf("non-JSON answer %d %q", rec.Code, rec.Body.String())
		}
	})
}

// FuzzDecodeCursor checks that cursors round-trip and that junk is refused
// without panicking.
func FuzzDecodeCursor(f *testing.F) {
	f.Add("MTAwMDAwMDAwMDAwMDAwMQ")
	f.Add("")
	f.Add("!!")
	f.Fuzz(func(t *testing.T, c string) {
		id, err := DecodeCursor(c)
		if err != nil {
			return
		}
		if back, err := DecodeCursor(EncodeCursor(id)); err != nil || back != id {
			t.Fatalf("round trip %q → %q, %v", id, back, err)
		}
	})
}

// FuzzNumberReads feeds arbitrary query strings to the phone-number reads
// (GET /{phone-number-id}, GET /{waba-id}/phone_numbers): never a panic,
// always JSON, and never a number the token was not granted.
func FuzzNumberReads(f *testing.F) {
	f.Add(false, "fields=id,display_phone_number,verified_name")
	f.Add(true, "fields=id&limit=1&after=MTA2NTQwMzUyMjQyOTIy")
	f.Add(true, "limit=-1")
	f.Add(false, "fields=id,,owner")
	e, _ := newEmu(f, nil)
	e.AddPhoneNumber(PhoneNumber{ID: "106540352242777", WABAID: "102290129340777", Token: "EAAJBother"})
	f.Fuzz(func(t *testing.T, edge bool, query string) {
		path := "/v23.0/" + phoneID
		if edge {
			path = "/v23.0/" + wabaID + "/phone_numbers"
		}
		req := httptest.NewRequest("GET", "http://graph.test"+path, nil)
		req.URL.RawQuery = query
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Body.Len() == 0 || rec.Body.Bytes()[0] != '{' {
			t.Fatalf("non-JSON answer %d %q", rec.Code, rec.Body.String())
		}
		if bytes.Contains(rec.Body.Bytes(), []byte("106540352242777")) {
			t.Fatalf("another business's number leaked: %s", rec.Body.String())
		}
	})
}
