package media

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/platform"
)

// MB is a megabyte as the platforms count it in their limits (2^20 bytes).
const MB = 1 << 20

// Delivery is how a platform gets an uploaded file.
type Delivery int

const (
	// NotDelivered: Parley cannot hand this platform an uploaded file yet.
	NotDelivered Delivery = iota
	// ByUpload: the adapter uploads the bytes to the platform's media API
	// and sends the platform's media id (WhatsApp).
	ByUpload
	// ByURL: the platform downloads the file from a signed, expiring
	// Parley URL given in the send (Messenger, Instagram).
	ByURL
)

// Rule is what a platform accepts for one attachment type.
type Rule struct {
	// ContentTypes are the accepted media types; nil accepts any.
	ContentTypes []string
	MaxBytes     int64
}

// Limits are one platform's rules for outbound files.
type Limits struct {
	Delivery Delivery
	// Types maps image, video, audio and file to their rule; a type
	// missing here is not accepted.
	Types map[string]Rule
	// Source is where the platform documents these limits.
	Source string
}

// officeTypes are the document types WhatsApp lists besides PDF and text.
var officeTypes = []string{
	"application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"application/msword", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"application/vnd.ms-powerpoint", "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}

// table holds every platform's limits, with where each is documented
// (checked 2026-11-30). X and LinkedIn take DM media only through their
// own upload APIs (X's media upload, LinkedIn's images/documents API),
// which Parley's adapters do not call yet: uploads are refused there,
// before any call, rather than dropped.
var table = map[platform.Name]Limits{
	// WhatsApp Cloud API, supported media types
	// (https://developers.facebook.com/documentation/business-messaging/whatsapp/business-phone-numbers/media/
	// and its table as mirrored at
	// https://docs.aws.amazon.com/social-messaging/latest/userguide/supported-media-types.html,
	// checked 2026-11-30): images JPEG/PNG 5 MB; video MP4/3GPP 16 MB;
	// audio AAC, AMR, MP3, M4A, OGG (Opus) 16 MB; documents (text, PDF,
	// Office) 100 MB. Stickers (WebP, 100 KB static, 500 KB animated) are
	// a message type of their own that Parley does not send.
	platform.WhatsApp: {Delivery: ByUpload, Source: "https://developers.facebook.com/documentation/business-messaging/whatsapp/business-phone-numbers/media/",
		Types: map[string]Rule{
			"image": {ContentTypes: []string{"image/jpeg", "image/png"}, MaxBytes: 5 * MB},
			"video": {ContentTypes: []string{"video/mp4", "video/3gpp"}, MaxBytes: 16 * MB},
			"audio": {ContentTypes: []string{"audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"}, MaxBytes: 16 * MB},
			"file":  {ContentTypes: append([]string{"text/plain", "application/pdf"}, officeTypes...), MaxBytes: 100 * MB},
		}},
	// Messenger: assets up to 25 MB, images 8 MB when fetched from a URL
	// (https://developers.facebook.com/docs/messenger-platform/send-messages/saving-assets,
	// checked 2026-11-30); Parley always sends by URL.
	platform.Messenger: {Delivery: ByURL, Source: "https://developers.facebook.com/docs/messenger-platform/send-messages/saving-assets",
		Types: map[string]Rule{
			"image": {ContentTypes: []string{"image/jpeg", "image/png", "image/gif", "image/webp"}, MaxBytes: 8 * MB},
			"video": {MaxBytes: 25 * MB},
			"audio": {MaxBytes: 25 * MB},
			"file":  {MaxBytes: 25 * MB},
		}},
	// Instagram messaging: audio AAC/M4A/WAV/MP4 25 MB; images PNG/JPEG
	// 8 MB; video MP4/OGG/AVI/MOV/WEBM 25 MB; files PDF 25 MB
	// (https://developers.facebook.com/docs/messenger-platform/instagram/features/send-message
	// and .../instagram/features/attachment-upload, checked 2026-11-30).
	platform.Instagram: {Delivery: ByURL, Source: "https://developers.facebook.com/docs/messenger-platform/instagram/features/send-message",
		Types: map[string]Rule{
			"image": {ContentTypes: []string{"image/jpeg", "image/png"}, MaxBytes: 8 * MB},
			"video": {ContentTypes: []string{"video/mp4", "video/ogg", "application/ogg", "video/avi", "video/quicktime", "video/webm"}, MaxBytes: 25 * MB},
			"audio": {ContentTypes: []string{"audio/aac", "audio/mp4", "audio/wav", "audio/wave", "video/mp4"}, MaxBytes: 25 * MB},
			"file":  {ContentTypes: []string{"application/pdf"}, MaxBytes: 25 * MB},
		}},
	platform.X:        {Delivery: NotDelivered},
	platform.LinkedIn: {Delivery: NotDelivered},
}

// LimitsOf returns a platform's limits (NotDelivered for one without any).
func LimitsOf(p platform.Name) Limits { return table[p] }

// Check refuses a file the platform would refuse, before any call: an
// unsupported platform or type, a content type it does not take, a size
// over its limit. field names the request field the file came from.
func Check(p platform.Name, field, typ, contentType string, size int64) error {
	l := table[p]
	if l.Delivery == NotDelivered {
		return apierr.New(http.StatusUnprocessableEntity, "validation.unsupported_on_platform",
			"%s cannot carry an uploaded file yet; send a link in the text instead", p).
			With("field", field).With("platform", string(p))
	}
	r, ok := l.Types[typ]
	if !ok {
		return apierr.New(http.StatusUnprocessableEntity, "validation.media_type_unsupported", "%s does not take %s attachments", p, typ).
			With("field", field).With("platform", string(p)).With("type", typ)
	}
	if r.ContentTypes != nil && !slices.Contains(r.ContentTypes, contentType) {
		return apierr.New(http.StatusUnprocessableEntity, "validation.media_type_unsupported",
			"%s does not take %s as %s; it takes %v", p, contentType, typ, r.ContentTypes).
			With("field", field).With("platform", string(p)).With("type", typ).With("content_type", contentType).
			With("accepted", r.ContentTypes).With("source", l.Source)
	}
	if size > r.MaxBytes {
		return apierr.New(http.StatusUnprocessableEntity, "validation.media_too_large",
			"%s takes %s attachments up to %s; this file is %s", p, typ, human(r.MaxBytes), human(size)).
			With("field", field).With("platform", string(p)).With("type", typ).With("max_bytes", r.MaxBytes).
			With("size", size).With("source", l.Source)
	}
	return nil
}

// human writes a size the way the platforms' documentation does.
func human(n int64) string {
	switch {
	case n >= MB && n%MB == 0:
		return fmt.Sprintf("%d MB", n/MB)
	case n >= MB:
		return fmt.Sprintf("%.1f MB", float64(n)/MB)
	case n >= 1024:
		return fmt.Sprintf("%d KB", n/1024)
	}
	return fmt.Sprintf("%d bytes", n)
}
