package whatsapp

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/platform"
)

// uploadFiles uploads every attachment carrying a file (POST /v1/media)
// to the number's media endpoint and returns the message with the Cloud
// API's media id in place of the file: WhatsApp sends uploaded media by id
// (https://developers.facebook.com/documentation/business-messaging/whatsapp/business-phone-numbers/media/,
// checked 2026-11-30).
func (a *Adapter) uploadFiles(ctx context.Context, acct platform.Account, msg platform.Outbound) (platform.Outbound, error) {
	if len(msg.Attachments) == 0 {
		return msg, nil
	}
	out := append([]platform.OutAttachment(nil), msg.Attachments...)
	for i, at := range out {
		if at.File == nil {
			continue
		}
		id, err := a.upload(ctx, acct, at.File)
		if err != nil {
			return msg, err
		}
		out[i] = platform.OutAttachment{Type: at.Type, File: &platform.MediaFile{ID: id, Filename: at.File.Filename, ContentType: at.File.ContentType}}
	}
	msg.Attachments = out
	return msg, nil
}

// upload is POST /{phone-number-id}/media: multipart with
// messaging_product=whatsapp, type (the media type) and file.
func (a *Adapter) upload(ctx context.Context, acct platform.Account, f *platform.MediaFile) (string, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("messaging_product", "whatsapp")
	_ = mw.WriteField("type", f.ContentType)
	h := textproto.MIMEHeader{}
	name := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\r", "", "\n", "").Replace(f.Filename)
	h.Set("Content-Disposition", `form-data; name="file"; filename="`+name+`"`)
	h.Set("Content-Type", f.ContentType)
	pw, err := mw.CreatePart(h)
	if err != nil {
		return "", apierr.Internal()
	}
	_, _ = pw.Write(f.Data)
	if err := mw.Close(); err != nil {
		return "", apierr.Internal()
	}
	raw, err := a.do(ctx, acct, http.MethodPost, acct.NativeID+"/media", nil, mw.FormDataContentType(), &body, nil)
	if err != nil {
		return "", err
	}
	var r struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(raw, &r); err != nil || r.ID == "" {
		return "", errResponse("media upload acknowledgement", err)
	}
	return r.ID, nil
}

// mediaOf is the message's one attachment and its Cloud API media object:
// an uploaded file by id, anything else by link. WhatsApp carries one
// media per message.
func mediaOf(msg platform.Outbound) (platform.OutAttachment, *mediaBody, error) {
	var at platform.OutAttachment
	switch {
	case msg.Attachment != nil && len(msg.Attachments) == 0:
		at = platform.OutAttachment{Type: msg.Attachment.Type, URL: msg.Attachment.URL}
	case msg.Attachment == nil && len(msg.Attachments) == 1:
		at = msg.Attachments[0]
	default:
		return at, nil, apierr.Invalid("attachments", "a WhatsApp message carries one attachment; send the others as messages of their own")
	}
	m := &mediaBody{Link: at.URL, Caption: msg.Text}
	if at.File != nil {
		m = &mediaBody{ID: at.File.ID, Caption: msg.Text}
		if at.Type == "file" {
			m.Filename = at.File.Filename
		}
	}
	if m.ID == "" && m.Link == "" {
		return at, nil, apierr.Required("attachment.url")
	}
	return at, m, nil
}
