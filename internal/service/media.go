package service

import (
	"context"
	"net/http"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/media"
)

// UploadMedia stores a file for a later send (POST /v1/media).
func (s *Service) UploadMedia(ctx context.Context, c Caller, u media.Upload) (apitype.Media, error) {
	return s.media.Create(ctx, c, u)
}

// GetMedia describes an upload of the caller's organisation.
func (s *Service) GetMedia(ctx context.Context, c Caller, id string) (apitype.Media, error) {
	return s.media.Get(ctx, c, id)
}

// DeleteMedia deletes an upload of the caller's organisation at once.
func (s *Service) DeleteMedia(ctx context.Context, c Caller, id string) error {
	return s.media.Delete(ctx, c, id)
}

// MediaMaxBytes is the largest file an upload may carry.
func (s *Service) MediaMaxBytes() int64 { return s.media.MaxBytes() }

// ServeMedia serves a signed media URL to the platform fetching it; an
// error (always a 404) is for the transport to render.
func (s *Service) ServeMedia(w http.ResponseWriter, r *http.Request) error {
	return s.media.Serve(w, r)
}

// PruneMedia deletes expired and used uploads (a periodic job).
func (s *Service) PruneMedia(ctx context.Context) error { return s.media.Prune(ctx) }
