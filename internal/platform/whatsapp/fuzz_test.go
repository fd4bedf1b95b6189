package whatsapp

import (
	"net/http"
	"testing"

	"github.com/parleyhq/parley/internal/apierr"
)

// FuzzMapError feeds arbitrary upstream bodies to the error mapper: it must
// always produce a structured error that never embeds the raw body.
func FuzzMapError(f *testing.F) {
	f.Add(400, []byte(`{"error":{"message":"(#131047) Re-engagement message","type":"OAuthException","code":131047,"error_data":{"messaging_product":"whatsapp","details":"x"},"fbtrace_id":"A"}}`))
	f.Add(401, []byte(`{"error":{"message":"Invalid OAuth access token","type":"OAuthException","code":190}}`))
	f.Add(502, []byte(`<html>`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 999 {
			status = http.StatusBadRequest
		}
		e := mapError(status, body, nil)
		if e == nil || e.Code == "" || e.Status < 400 {
			t.Fatalf("bad mapping %+v", e)
		}
		if len(body) > 20 && e.Message == string(body) {
			t.Fatalf("raw body leaked")
		}
	})
}

// FuzzParseSendResponse checks the send acknowledgement parser never panics
// and only succeeds with a message id.
func FuzzParseSendResponse(f *testing.F) {
	f.Add([]byte(`{"messaging_product":"whatsapp","contacts":[{"input":"1","wa_id":"1"}],"messages":[{"id":"wamid.x"}]}`))
	f.Add([]byte(`{"messages":[]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := parseSendResponse(body)
		if err == nil && (len(r.Messages) == 0 || r.Messages[0].ID == "") {
			t.Fatalf("accepted without id: %s", body)
		}
	})
}

// FuzzDecodeOffset checks MemJournal cursors: junk is a validation error,
// valid ones round-trip.
func FuzzDecodeOffset(f *testing.F) {
	f.Add(encodeOffset(25))
	f.Add("")
	f.Add("bzE")
	f.Fuzz(func(t *testing.T, c string) {
		n, err := decodeOffset(c)
		if err != nil {
			if !apierr.HasCode(err, "validation.invalid_field") {
				t.Fatalf("unstructured error %v", err)
			}
			return
		}
		if n < 0 {
			t.Fatalf("negative offset %d", n)
		}
		if c != "" {
			if back, _ := decodeOffset(encodeOffset(n)); back != n {
				t.Fatalf("round trip %d → %d", n, back)
			}
		}
	})
}
