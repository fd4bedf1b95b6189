package media

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/apierr"
)

func form(t testing.TB, fields [][2]string, file []byte, fileCT string) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range fields {
		_ = mw.WriteField(f[0], f[1])
	}
	if file != nil {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="file"; filename="../../etc/a.png"`)
		if fileCT != "" {
			h.Set("Content-Type", fileCT)
		}
		pw, _ := mw.CreatePart(h)
		_, _ = pw.Write(file)
	}
	_ = mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

var pngHead = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR")

// ParseUpload takes one file and the two optional fields, bounded; it
// refuses everything else with a structured error.
func TestParseUpload(t *testing.T) {
	t.Parallel()
	ok, okCT := form(t, [][2]string{{"type", "image"}, {"platform", "whatsapp"}}, pngHead, "image/png")
	u, err := ParseUpload(bytes.NewReader(ok), okCT, 100)
	if err != nil || u.Filename != "a.png" || u.Type != "image" || u.Platform != "whatsapp" || u.Declared != "image/png" || !bytes.Equal(u.Data, pngHead) {
		t.Fatalf("parsed %+v, %v", u, err)
	}
	dup, dupCT := form(t, [][2]string{{"type", "image"}, {"type", "file"}}, pngHead, "")
	unknown, unknownCT := form(t, [][2]string{{"caption", "x"}}, pngHead, "")
	none, noneCT := form(t, [][2]string{{"type", "image"}}, nil, "")
	empty, emptyCT := form(t, nil, []byte{}, "")
	for _, c := range []struct {
		name       string
		body       []byte
		ct         string
		max        int64
		status     int
		code, meta string
	}{
		{"too large", ok, okCT, 5, 413, "validation.body_too_large", "file"},
		{"not multipart", []byte(`{"file":1}`), "application/json", 100, 415, "validation.unsupported_media_type", ""},
		{"no boundary", ok, "multipart/form-data", 100, 415, "validation.unsupported_media_type", ""},
		{"field twice", dup, dupCT, 100, 422, "validation.invalid_field", "type"},
		{"unknown field", unknown, unknownCT, 100, 422, "validation.unknown_field", "caption"},
		{"no file", none, noneCT, 100, 422, "validation.required", "file"},
		{"empty file", empty, emptyCT, 100, 422, "validation.invalid_field", "file"},
		{"truncated", ok[:len(ok)-20], okCT, 100, 400, "validation.malformed_body", ""},
	} {
		_, err := ParseUpload(bytes.NewReader(c.body), c.ct, c.max)
		e, isAPI := apierr.As(err)
		if !isAPI || e.Status != c.status || e.Code != c.code || (c.meta != "" && e.Meta["field"] != c.meta) {
			t.Errorf("%s: %v, want %d %s (field %s)", c.name, err, c.status, c.code, c.meta)
		}
	}
	// A body cut off by the transport's bound is 413, not malformed.
	big, bigCT := form(t, nil, bytes.Repeat([]byte{1}, 1000), "")
	_, err = ParseUpload(http.MaxBytesReader(nil, readCloser{bytes.NewReader(big)}, 500), bigCT, 10000)
	if e, _ := apierr.As(err); e == nil || e.Status != 413 {
		t.Fatalf("cut-off body: %v, want 413", err)
	}
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

// contentType trusts the bytes over the declaration where it can read
// them, and refuses active content outright.
func TestContentType(t *testing.T) {
	t.Parallel()
	pdf := []byte("%PDF-1.7\n...")
	zip := []byte("PK\x03\x04rest-of-a-docx")
	for _, c := range []struct {
		name, declared string
		data           []byte
		want           string // "" means refused
	}{
		{"png as declared", "image/png", pngHead, "image/png"},
		{"png undeclared", "", pngHead, "image/png"},
		{"png as octet-stream", "application/octet-stream", pngHead, "image/png"},
		{"png claimed jpeg", "image/jpeg", pngHead, ""},
		{"pdf claimed png", "image/png", pdf, ""},
		{"docx is a zip", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", zip,
			"application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{"amr cannot be sniffed", "audio/amr", []byte("#!AMR\n\x00\x01"), "audio/amr"},
		{"html claimed png", "image/png", []byte("<!DOCTYPE html><script>x</script>"), ""},
		{"html undeclared", "", []byte("<html></html>"), ""},
		{"unknown bytes undeclared", "", []byte{0, 1, 2, 3}, ""},
		{"text with charset", "text/plain; charset=utf-8", []byte("hello"), "text/plain"},
		{"malformed declaration", "image/", pngHead, ""},
		{"jpg alias", "image/jpg", []byte("\xff\xd8\xff\xe0rest"), "image/jpg"},
	} {
		got, err := contentType(c.declared, c.data)
		if c.want == "" {
			if err == nil {
				t.Errorf("%s: accepted as %s", c.name, got)
			} else if e, ok := apierr.As(err); !ok || e.Status != 422 {
				t.Errorf("%s: %v, want a 422", c.name, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s: %q, %v; want %q", c.name, got, err, c.want)
		}
	}
}

// FuzzParseUpload: any body and content type either parses into a bounded
// upload or is refused with a structured error; never a panic, never more
// than max bytes kept.
func FuzzParseUpload(f *testing.F) {
	ok, ct := form(f, [][2]string{{"type", "image"}}, pngHead, "image/png")
	f.Add(ok, ct)
	f.Add([]byte("--x\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc\r\n--x--\r\n"), "multipart/form-data; boundary=x")
	f.Add([]byte("--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\x01b\"\r\n\r\nabc\r\n--x--"), "multipart/form-data; boundary=x")
	f.Add([]byte(""), "multipart/form-data; boundary=")
	f.Fuzz(func(t *testing.T, body []byte, ct string) {
		const max = 64
		u, err := ParseUpload(bytes.NewReader(body), ct, max)
		if err != nil {
			if _, ok := apierr.As(err); !ok {
				t.Fatalf("unstructured error %v", err)
			}
			return
		}
		if len(u.Data) == 0 || len(u.Data) > max || len(u.Type) > maxField || len(u.Platform) > maxField || strings.ContainsAny(u.Filename, "/\x00") {
			t.Fatalf("accepted %+v", u)
		}
		if _, err := contentType(u.Declared, u.Data); err != nil {
			if _, ok := apierr.As(err); !ok {
				t.Fatalf("unstructured content type error %v", err)
			}
		}
	})
}
