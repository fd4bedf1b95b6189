package api_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// pngBytes is a real PNG header followed by padding: what
// http.DetectContentType reads as image/png.
func pngBytes(n int) []byte {
	b := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 8)...)
	return append(b, bytes.Repeat([]byte{7}, n)...)
}

// multipartBody is a POST /v1/media body with a file part of a declared
// content type and the given text fields.
func multipartBody(t testing.TB, filename, contentType string, data []byte, fields ...string) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for i := 0; i+1 < len(fields); i += 2 {
		_ = mw.WriteField(fields[i], fields[i+1])
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="`+filename+`"`)
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	pw, err := mw.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = pw.Write(data)
	_ = mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

func (e *env) upload(key, filename, contentType string, data []byte, fields ...string) response {
	e.t.Helper()
	body, ct := multipartBody(e.t, filename, contentType, data, fields...)
	return e.do("POST", "/v1/media", key, body, "Content-Type", ct)
}

// An upload sent on WhatsApp reaches the number's media endpoint and the
// message names it by id; sent on Messenger, Meta is given a signed Parley
// URL that serves exactly the file, and only while it is valid. A used,
// foreign or unknown media id, or a file the platform refuses, is
// answered before any platform call.
func TestMediaUploadAndSend(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		l := newLiveEnvCfg(t, b, config.Config{MediaMaxBytes: 6 << 20})
		img := pngBytes(2 << 20) // over a megabyte: bodies are not cut at JSON-sized bounds anywhere

		r := l.upload(l.key, "photo.png", "image/png", img)
		expect(t, r, 201, "")
		d := r.data(t)
		id := d["id"].(string)
		if !strings.HasPrefix(id, "med_") || d["type"] != "image" || d["content_type"] != "image/png" || d["size"] != float64(len(img)) ||
			d["filename"] != "photo.png" || d["expires_at"] == nil {
			t.Fatalf("upload answered %s", r.raw)
		}
		expect(t, l.do("GET", "/v1/media/"+id, l.key, nil), 200, "")

		// Another organisation cannot see, use or delete it.
		other := l.org("Other")
		expect(t, l.do("GET", "/v1/media/"+id, other, nil), 404, "resource.not_found")
		expect(t, l.do("DELETE", "/v1/media/"+id, other, nil), 404, "resource.not_found")

		wa := l.conv("whatsapp/open")
		before := l.sentCount(platform.WhatsApp)
		send := func(key, conv string, body map[string]any) response {
			return l.do("POST", "/v1/inbox/conversations/"+conv+"/messages", key, body)
		}
		att := func(id string) []any { return []any{map[string]any{"type": "image", "media_id": id}} }
		// Dry run checks and consumes nothing.
		expect(t, send(l.key, wa, map[string]any{"text": "Your receipt", "attachments": att(id), "dry_run": true}), 201, "")
		r = send(l.key, wa, map[string]any{"text": "Your receipt", "attachments": att(id)})
		expect(t, r, 201, "")
		sent := l.emu.WhatsApp.Messages(l.seeded.NativeIDs[platform.WhatsApp])
		if len(sent) != before+1 {
			t.Fatalf("%d WhatsApp sends, want %d", len(sent), before+1)
		}
		last := sent[len(sent)-1]
		if last.Type != "image" || last.Media == nil || last.Media.ID == "" || last.Media.Link != "" || last.Text != "Your receipt" {
			t.Fatalf("WhatsApp got %+v", last)
		}
		up := l.emu.WhatsApp.Media(last.Media.ID)
		if up == nil || !bytes.Equal(up.Data, img) || up.MimeType != "image/png" {
			t.Fatalf("WhatsApp media %s was not the uploaded file: %+v", last.Media.ID, up)
		}

		// Used once: a second send with it is refused before any call.
		expect(t, send(l.key, wa, map[string]any{"text": "again", "attachments": att(id)}), 404, "resource.not_found")
		// Another organisation's id is unknown to it.
		id2 := l.upload(l.key, "b.png", "", img).data(t)["id"].(string)
		r = send(other, wa, map[string]any{"text": "x", "attachments": att(id2)})
		if r.status != 404 {
			t.Fatalf("foreign conversation and media: %d %s", r.status, r.raw)
		}
		r = send(l.key, wa, map[string]any{"text": "x", "attachments": att("med_00000000000000000000000000000000")})
		expect(t, r, 404, "resource.not_found")
		if meta, _ := r.body["error"].(map[string]any)["meta"].(map[string]any); meta["field"] != "attachments[0].media_id" {
			t.Fatalf("404 names no field: %s", r.raw)
		}

		// Messenger fetches by URL: the signed URL serves the file.
		ms := l.conv("messenger/open")
		expect(t, send(l.key, ms, map[string]any{"text": "here", "attachments": att(id2)}), 201, "")
		gm := l.emu.Graph.Messages(l.seeded.NativeIDs[platform.Messenger])
		var link string
		for _, m := range gm {
			for _, a := range m.Attachments {
				link = a.URL
			}
		}
		if !strings.Contains(link, "/media/"+id2+"?") {
			t.Fatalf("Messenger got no signed Parley URL: %q", link)
		}
		res, err := http.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !bytes.Equal(got, img) || res.Header.Get("Content-Type") != "image/png" ||
			!strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") || res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("signed URL: %d %v (%d bytes)", res.StatusCode, res.Header, len(got))
		}
		// Tampered URLs, and the path without a signature, are 404 alike.
		path := strings.TrimPrefix(link, l.url)
		for _, bad := range []string{
			strings.Replace(path, "sig=", "sig=A", 1),
			strings.Replace(path, "exp=", "exp=1", 1),
			strings.Replace(path, id2, id, 1),
			"/media/" + id2,
			path + "&x=1",
			"/media/..%2f..%2fv1%2fmedia?" + strings.SplitN(path, "?", 2)[1],
		} {
			r := l.do("GET", bad, "", nil)
			if r.status != 404 {
				t.Errorf("GET %s: %d, want 404", bad, r.status)
			}
		}

		// The single `attachment` may name an upload too; url and media_id
		// together are refused.
		id4 := l.upload(l.key, "c.png", "image/png", img).data(t)["id"].(string)
		expect(t, send(l.key, ms, map[string]any{"attachments": []any{map[string]any{"type": "image", "media_id": id4, "url": "https://cdn.example/c.png"}}}),
			422, "validation.invalid_field")
		expect(t, send(l.key, ms, map[string]any{"attachment": map[string]any{"type": "image", "media_id": id4}}), 201, "")
		if gm := l.emu.Graph.Messages(l.seeded.NativeIDs[platform.Messenger]); len(gm[len(gm)-1].Attachments) != 1 ||
			!strings.Contains(gm[len(gm)-1].Attachments[0].URL, "/media/"+id4+"?") {
			t.Fatalf("attachment by media_id: Messenger got %+v", gm[len(gm)-1])
		}

		// Limits: WhatsApp takes images up to 5 MB (422 naming it); the
		// server's own maximum is 413.
		big := pngBytes(5<<20 + 10)
		r = l.upload(l.key, "big.png", "image/png", big, "platform", "whatsapp")
		expect(t, r, 422, "validation.media_too_large")
		if meta := r.body["error"].(map[string]any)["meta"].(map[string]any); meta["platform"] != "whatsapp" || meta["max_bytes"] != float64(5<<20) {
			t.Fatalf("limit not named: %s", r.raw)
		}
		id3 := l.upload(l.key, "big.png", "image/png", big).data(t)["id"].(string)
		expect(t, send(l.key, wa, map[string]any{"text": "x", "attachments": att(id3)}), 422, "validation.media_too_large")
		expect(t, l.upload(l.key, "huge.png", "image/png", pngBytes(6<<20)), 413, "validation.body_too_large")
		// A declared type the bytes contradict, and HTML, are refused.
		expect(t, l.upload(l.key, "x.jpg", "image/jpeg", img), 422, "validation.invalid_field")
		expect(t, l.upload(l.key, "x.png", "image/png", []byte("<html><script>alert(1)</script></html>")), 422, "validation.invalid_field")
		expect(t, l.do("POST", "/v1/media", l.key, `{"file":"x"}`), 415, "validation.unsupported_media_type")

		// Deleted now: gone for sends and for its URL.
		expect(t, l.do("DELETE", "/v1/media/"+id3, l.key, nil), 204, "")
		expect(t, l.do("GET", "/v1/media/"+id3, l.key, nil), 404, "resource.not_found")
	})
}
