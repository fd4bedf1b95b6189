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
