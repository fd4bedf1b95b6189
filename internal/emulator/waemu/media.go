package waemu

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/emulator/emukit"
)

// UploadedMedia is a file uploaded with POST /{phone-number-id}/media.
type UploadedMedia struct {
	ID            string
	PhoneNumberID string
	MimeType      string
	Data          []byte
	SHA256        string
	UploadedAt    time.Time
}

// mediaLimits are the Cloud API's supported media types and their sizes
// (https://developers.facebook.com/documentation/business-messaging/whatsapp/business-phone-numbers/media/,
// table mirrored at https://docs.aws.amazon.com/social-messaging/latest/userguide/supported-media-types.html,
// checked 2026-11-30). Stickers are image/webp (500 KB animated).
var mediaLimits = map[string]int64{
	"audio/aac": 16 << 20, "audio/amr": 16 << 20, "audio/mpeg": 16 << 20, "audio/mp4": 16 << 20, "audio/ogg": 16 << 20,
	"text/plain": 100 << 20, "application/pdf": 100 << 20,
	"application/vnd.ms-excel": 100 << 20, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": 100 << 20,
	"application/msword": 100 << 20, "application/vnd.openxmlformats-officedocument.wordprocessingml.document": 100 << 20,
	"application/vnd.ms-powerpoint": 100 << 20, "application/vnd.openxmlformats-officedocument.presentationml.presentation": 100 << 20,
	"image/jpeg": 5 << 20, "image/png": 5 << 20, "image/webp": 500 << 10,
	"video/3gpp": 16 << 20, "video/mp4": 16 << 20,
}

// maxUpload is the most the media endpoint reads: the largest type's
// limit and the form around it.
const maxUpload = 100<<20 + 1<<20

// mediaTypeList is the accepted types as Graph lists them in its refusal.
func mediaTypeList() string {
	var ts []string
	for t := range mediaLimits {
		ts = append(ts, t)
	}
	slices.Sort(ts)
	return strings.Join(ts, ", ")
}

// handleMediaUpload is POST /{phone-number-id}/media: multipart with
// messaging_product=whatsapp, file (its part's Content-Type is the media
// type) and type; the answer is {"id": media id}. A type the Cloud API
// does not take is refused as Graph refuses it: code 100, "Param file must
// be a file with one of the following types: …".
func (e *Emulator) handleMediaUpload(w http.ResponseWriter, r *http.Request, phoneID string) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		e.writeErr(w, errRequiredParam("The parameter messaging_product is required."))
		return
	}
	mr := multipart.NewReader(http.MaxBytesReader(w, r.Body, maxUpload), params["boundary"])
	var product, typ, fileType string
	var data []byte
	haveFile := false
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			e.writeErr(w, errInvalidParam("Unable to read request body"))
			return
		}
		b, err := io.ReadAll(p)
		if err != nil {
			e.writeErr(w, errInvalidParam("Unable to read request body"))
			return
		}
		switch p.FormName() {
		case "messaging_product":
			product = string(b)
		case "type":
			typ = string(b)
		case "file":
			haveFile, data, fileType = true, b, p.Header.Get("Content-Type")
		}
	}
	switch {
	case product != "whatsapp":
		e.writeErr(w, errInvalidParam("The parameter messaging_product is required."))
		return
	case !haveFile:
		e.writeErr(w, errInvalidParam("The parameter file is required."))
		return
	}
	base, _, _ := mime.ParseMediaType(fileType)
	limit, ok := mediaLimits[base]
	if !ok || (typ != "" && typ != base) {
		e.writeErr(w, errInvalidParam(fmt.Sprintf("Param file must be a file with one of the following types: %s. Received file of type '%s'.",
			mediaTypeList(), base)))
		return
	}
	if int64(len(data)) > limit {
		e.writeErr(w, errInvalidParam(fmt.Sprintf("Param file must be at most %d bytes for type %s.", limit, base)))
		return
	}
	sum := sha256.Sum256(data)
	m := &UploadedMedia{ID: mediaID(), PhoneNumberID: phoneID, MimeType: base, Data: data, SHA256: hex.EncodeToString(sum[:]), UploadedAt: e.now()}
	e.mu.Lock()
	e.media[m.ID] = m
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"id": m.ID})
}

// mediaID is a numeric id like Graph's.
func mediaID() string {
	n, _ := rand.Int(rand.Reader, big.NewInt(1e15))
	return strconv.FormatInt(1e15+n.Int64(), 10)
}

// onMedia serves a media id the token's numbers uploaded with h, and
// anything else with next.
func (e *Emulator) onMedia(h func(http.ResponseWriter, *http.Request, *UploadedMedia), next emukit.Handler[string]) emukit.Handler[string] {
	return func(w http.ResponseWriter, r *http.Request, token string) {
		e.mu.Lock()
		m := e.media[r.PathValue("id")]
		ok := m != nil && e.tokens[token][m.PhoneNumberID]
		e.mu.Unlock()
		if ok {
			h(w, r, m)
			return
		}
		next(w, r, token)
	}
}

// handleMediaGet is GET /{media-id}: where to download it and what it is.
func (e *Emulator) handleMediaGet(w http.ResponseWriter, r *http.Request, m *UploadedMedia) {
	writeJSON(w, http.StatusOK, map[string]string{"messaging_product": "whatsapp",
		"url": "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=" + m.ID, "mime_type": m.MimeType,
		"sha256": m.SHA256, "file_size": strconv.Itoa(len(m.Data)), "id": m.ID})
}

// handleMediaDelete is DELETE /{media-id}.
func (e *Emulator) handleMediaDelete(w http.ResponseWriter, r *http.Request, m *UploadedMedia) {
	e.mu.Lock()
	delete(e.media, m.ID)
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}

// Media returns an uploaded media by id (nil when unknown or deleted).
func (e *Emulator) Media(id string) *UploadedMedia {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.media[id]
}

// knownMedia reports whether a number uploaded the media a send names.
func (e *Emulator) knownMedia(phoneID, id string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	m := e.media[id]
	return m != nil && m.PhoneNumberID == phoneID
}
