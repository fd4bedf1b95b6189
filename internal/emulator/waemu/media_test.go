package waemu

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"testing"
)

// upload posts a media upload form as the Cloud API expects it.
func upload(t *testing.T, e *Emulator, tok, product, fileType string, data []byte) (int, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if product != "" {
		_ = mw.WriteField("messaging_product", product)
	}
	_ = mw.WriteField("type", fileType)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="a"`)
	h.Set("Content-Type", fileType)
	pw, _ := mw.CreatePart(h)
	_, _ = pw.Write(data)
	_ = mw.Close()
	req := httptest.NewRequest("POST", "http://graph.test/v23.0/"+phoneID+"/media", &buf)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

// The media endpoints: an upload of a supported type within its size gets
// an id that a send may name, GET describes it and DELETE removes it;
// what the Cloud API refuses is refused with Graph's error body.
func TestMediaEndpoints(t *testing.T) {
	t.Parallel()
	e, _ := newEmu(t, nil)
	e.Inbound(phoneID, user, "Ana", "hi")
	img := []byte("\x89PNG\r\n\x1a\nrest")

	for _, c := range []struct {
		name, product, typ string
		data               []byte
		wantMsg            string
	}{
		{"no messaging_product", "", "image/png", img, "messaging_product"},
		{"unsupported type", "whatsapp", "image/gif", img, "Param file must be a file with one of the following types"},
		{"image over 5 MB", "whatsapp", "image/png", make([]byte, 5<<20+1), "at most 5242880 bytes"},
	} {
		status, body := upload(t, e, token, c.product, c.typ, c.data)
		if status != http.StatusBadRequest || errCode(t, body) != CodeInvalidParameter || !strings.Contains(string(body), c.wantMsg) {
			t.Errorf("%s: %d %s", c.name, status, body)
		}
	}
	if status, _ := upload(t, e, "EAAJBother", "whatsapp", "image/png", img); status == http.StatusOK {
		t.Fatal("a token without the number uploaded media")
	}

	status, body := upload(t, e, token, "whatsapp", "image/png", img)
	var up struct{ ID string }
	if status != http.StatusOK || json.Unmarshal(body, &up) != nil || up.ID == "" {
		t.Fatalf("upload: %d %s", status, body)
	}
	status, body = do(t, e, "GET", "/v23.0/"+up.ID, token, nil)
	var got map[string]string
	if status != http.StatusOK || json.Unmarshal(body, &got) != nil || got["mime_type"] != "image/png" || got["file_size"] != "12" || got["id"] != up.ID {
		t.Fatalf("retrieve: %d %s", status, body)
	}
	send := func(id string) (int, []byte) {
		return do(t, e, "POST", msgsPath(), token, map[string]any{"messaging_product": "whatsapp", "to": user, "type": "image",
			"image": map[string]any{"id": id, "caption": "receipt"}})
	}
	if status, body := send(up.ID); status != http.StatusOK {
		t.Fatalf("send by id: %d %s", status, body)
	}
	msgs := e.Messages(phoneID)
	if last := msgs[len(msgs)-1]; last.Media == nil || last.Media.ID != up.ID || last.Text != "receipt" {
		t.Fatalf("sent %+v", last)
	}
	if status, body := do(t, e, "DELETE", "/v23.0/"+up.ID, token, nil); status != http.StatusOK || !strings.Contains(string(body), `"success":true`) {
		t.Fatalf("delete: %d %s", status, body)
	}
	if status, body := send(up.ID); status != http.StatusBadRequest || errCode(t, body) != CodeParamValue {
		t.Fatalf("send by a deleted id: %d %s", status, body)
	}
	if status, _ := do(t, e, "GET", "/v23.0/"+up.ID, token, nil); status != http.StatusBadRequest {
		t.Fatalf("a deleted media is still served: %d", status)
	}
}
