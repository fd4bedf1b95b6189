package api

import (
	"context"
	"net/http"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/media"
	"github.com/parleyhq/parley/internal/service"
)

// FormField documents one field of a multipart/form-data body.
type FormField struct {
	Name        string
	Description string
	// File marks the part holding the file (format binary).
	File bool
	// Enum lists the accepted values of a text field.
	Enum     []string
	Required bool
}

// formBody is the OpenAPI requestBody of an upload.
func formBody(fields []FormField) map[string]any {
	props := map[string]any{}
	var required []string
	for _, f := range fields {
		s := map[string]any{"type": "string", "description": f.Description}
		if f.File {
			s["format"] = "binary"
		}
		if f.Enum != nil {
			s["enum"] = f.Enum
		}
		props[f.Name] = s
		if f.Required {
			required = append(required, f.Name)
		}
	}
	schema := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if required != nil {
		schema["required"] = required
	}
	return map[string]any{"required": true, "content": map[string]any{"multipart/form-data": map[string]any{"schema": schema}}}
}

// upload reads the route's multipart body, bounded at the server's
// upload maximum (plus the form's own overhead), so a huge body is cut
// off while it streams in, not after.
func (p *params) upload(max int64) (media.Upload, error) {
	body := http.MaxBytesReader(nil, p.r.Body, max+media.FormOverhead)
	return media.ParseUpload(body, p.r.Header.Get("Content-Type"), max)
}

var mediaForm = []FormField{
	{Name: "file", File: true, Required: true, Description: "the file; its part's Content-Type is checked against its bytes"},
	{Name: "type", Enum: []string{"image", "video", "audio", "file"}, Description: "how it travels; by default from its content type (anything may go as file)"},
	{Name: "platform", Enum: []string{"whatsapp", "messenger", "facebook", "instagram", "x", "linkedin"},
		Description: "check the platform's type and size limits now rather than at the send"},
}

func (a *API) mediaRoutes(std []int) []Route {
	withNotFound := append([]int{http.StatusNotFound}, std...)
	return []Route{
		op(a, Route{Method: "POST", Path: "/v1/media", OperationID: "uploadMedia", Tag: "media", Form: mediaForm,
			Summary: "Upload a file for a later send (attachments[].media_id); kept sealed until expires_at (PARLEY_MEDIA_TTL) or shortly after the send that uses it",
			Status:  201, Errors: std}, a.uploadMedia),
		op(a, Route{Method: "GET", Path: "/v1/media/{id}", OperationID: "getMedia", Summary: "Describe an upload (never its bytes)", Tag: "media",
			Status: 200, Errors: withNotFound}, a.getMedia),
		op(a, Route{Method: "DELETE", Path: "/v1/media/{id}", OperationID: "deleteMedia", Summary: "Delete an upload now", Tag: "media",
			Status: 204, Errors: withNotFound}, a.deleteMedia),
		raw(Route{Method: "GET", Path: media.URLPath + "{id}", OperationID: "fetchSignedMedia", Tag: "media", Public: true,
			Summary: "An upload, for the platform a send gave this signed, expiring URL to (exp, sig); 404 for anything else",
			Raw:     "application/octet-stream", Status: 200, Errors: []int{http.StatusNotFound}}, a.serveMedia),
	}
}

func (a *API) uploadMedia(ctx context.Context, c service.Caller, p *params, _ none) (apitype.Media, error) {
	u, err := p.upload(a.svc.MediaMaxBytes())
	if err != nil {
		return apitype.Media{}, err
	}
	return a.svc.UploadMedia(ctx, c, u)
}

func (a *API) getMedia(ctx context.Context, c service.Caller, p *params, _ none) (apitype.Media, error) {
	return a.svc.GetMedia(ctx, c, p.id())
}

func (a *API) deleteMedia(ctx context.Context, c service.Caller, p *params, _ none) (none, error) {
	return none{}, a.svc.DeleteMedia(ctx, c, p.id())
}

func (a *API) serveMedia(w http.ResponseWriter, r *http.Request) {
	if err := a.svc.ServeMedia(w, r); err != nil {
		a.writeError(w, r, err)
	}
}
