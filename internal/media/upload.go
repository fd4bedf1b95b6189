package media

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/textcheck"
)

// Upload is one POST /v1/media request, parsed.
type Upload struct {
	// Filename is the file part's name, its base name only.
	Filename string
	// Declared is the file part's own Content-Type ("" when absent).
	Declared string
	// Type (image, video, audio, file) and Platform are the optional form
	// fields of the same names.
	Type     string
	Platform string
	Data     []byte
}

// maxField bounds the text fields; the longest valid value is 9 bytes.
const maxField = 64

// FormOverhead is what a multipart body may add to its file: boundaries,
// part headers and the small fields. The transport bounds the whole body
// at the file's maximum plus this.
const FormOverhead = 64 << 10

// ParseUpload reads a multipart/form-data body (contentType is the
// request's Content-Type): exactly one `file` part of at most max bytes,
// and optionally `type` and `platform`. Anything else is refused, so a
// misspelt field is not silently ignored. Every refusal is a structured
// error; nothing is stored here.
func ParseUpload(body io.Reader, contentType string, max int64) (Upload, error) {
	var u Upload
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return u, apierr.New(http.StatusUnsupportedMediaType, "validation.unsupported_media_type",
			"send the file as multipart/form-data with a `file` field")
	}
	mr := multipart.NewReader(body, params["boundary"])
	seen := map[string]bool{}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return u, readErr(err, max)
		}
		name := p.FormName()
		if seen[name] {
			return u, apierr.Invalid(name, "%s is given twice", name)
		}
		seen[name] = true
		switch name {
		case "file":
			u.Filename = p.FileName()
			u.Declared = p.Header.Get("Content-Type")
			data, err := io.ReadAll(io.LimitReader(p, max+1))
			if err != nil {
				return u, readErr(err, max)
			}
			if int64(len(data)) > max {
				return u, tooLarge(max)
			}
			u.Data = data
		case "type", "platform":
			b, err := io.ReadAll(io.LimitReader(p, maxField+1))
			if err != nil {
				return u, readErr(err, max)
			}
			if len(b) > maxField || !utf8.Valid(b) {
				return u, apierr.Invalid(name, "%s is not one of the accepted values", name)
			}
			if name == "type" {
				u.Type = strings.TrimSpace(string(b))
			} else {
				u.Platform = strings.TrimSpace(string(b))
			}
		default:
			return u, apierr.New(http.StatusUnprocessableEntity, "validation.unknown_field", "unknown form field %q", truncate(name)).
				With("field", truncate(name))
		}
	}
	if !seen["file"] {
		return u, apierr.Required("file")
	}
	if len(u.Data) == 0 {
		return u, apierr.Invalid("file", "the file is empty")
	}
	if err := textcheck.Text("filename", u.Filename); err != nil {
		return u, err
	}
	return u, nil
}

// readErr tells a body cut off by the transport's bound (413) from a
// malformed one (400).
func readErr(err error, max int64) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return tooLarge(max)
	}
	return apierr.New(http.StatusBadRequest, "validation.malformed_body", "the multipart body could not be read")
}

func tooLarge(max int64) error {
	return apierr.New(http.StatusRequestEntityTooLarge, "validation.body_too_large", "the file is larger than this server takes (%s)", human(max)).
		With("field", "file").With("max_bytes", max)
}

// truncate keeps an echoed field name short and valid.
func truncate(s string) string {
	if len(s) > maxField {
		s = s[:maxField]
	}
	return strings.ToValidUTF8(s, "")
}

// sniffable are the types http.DetectContentType recognises: for these the
// bytes must agree with the declared type. Others (Office files, AAC,
// AMR, 3GPP, M4A) it cannot tell apart, so the declared type stands as
// long as the bytes are not something it recognises as different.
var sniffable = map[string]bool{
	"image/jpeg": true, "image/png": true, "image/gif": true, "image/webp": true, "image/bmp": true,
	"video/mp4": true, "video/webm": true, "video/avi": true, "audio/mpeg": true, "audio/wave": true,
	"application/ogg": true, "application/pdf": true, "application/zip": true, "text/plain": true,
}

// aliases map declared types to what DetectContentType answers for them.
var aliases = map[string]string{
	"audio/wav": "audio/wave", "audio/x-wav": "audio/wave", "audio/ogg": "application/ogg", "video/ogg": "application/ogg",
	"audio/mp4": "video/mp4", "image/jpg": "image/jpeg", "audio/mp3": "audio/mpeg", "video/x-msvideo": "video/avi",
}

// contentType decides a file's type from its declared type and its bytes:
// the bytes win when the declaration is missing or generic, a declaration
// the bytes contradict is refused, and active content (HTML, XML) is
// never accepted, since it would be served from Parley's own origin.
func contentType(declared string, data []byte) (string, error) {
	sniffed, _, _ := mime.ParseMediaType(http.DetectContentType(data))
	if sniffed == "text/html" || sniffed == "text/xml" {
		return "", apierr.Invalid("file", "HTML and XML files are not accepted")
	}
	d := ""
	if declared != "" {
		mt, _, err := mime.ParseMediaType(declared)
		if err != nil {
			return "", apierr.Invalid("file", "the file part's Content-Type %q is malformed", truncate(declared))
		}
		d = strings.ToLower(mt)
	}
	if d == "" || d == "application/octet-stream" {
		if sniffed == "application/octet-stream" {
			return "", apierr.Invalid("file", "the file's type cannot be told from its bytes; give the file part a Content-Type")
		}
		return sniffed, nil
	}
	want := d
	if a, ok := aliases[d]; ok {
		want = a
	}
	switch {
	case want == sniffed:
	case sniffable[want] || sniffable[sniffed] && sniffed != "application/zip" && sniffed != "text/plain":
		// Office files are zip archives, and plain text is what unknown
		// UTF-8 looks like: neither contradicts a declared type on its own.
		return "", apierr.Invalid("file", "the file's bytes are %s, not the declared %s", sniffed, d).
			With("declared", d).With("detected", sniffed)
	}
	return d, nil
}

// typeOf is the attachment type a content type travels as.
func typeOf(ct string) string {
	switch {
	case strings.HasPrefix(ct, "image/"):
		return "image"
	case strings.HasPrefix(ct, "video/"):
		return "video"
	case strings.HasPrefix(ct, "audio/"):
		return "audio"
	}
	return "file"
}
