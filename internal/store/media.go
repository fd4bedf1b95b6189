package store

import (
	"context"
	"time"
)

// Media is an outbound file uploaded for a later send (POST /v1/media).
// Content is sealed by package secrets with the media id as associated
// data; the store never sees it in clear. It lives until ExpiresAt, or
// until a short while after the send that used it (UsedAt).
type Media struct {
	ID          string
	OrgID       string
	Type        string // image, video, audio or file
	ContentType string
	Filename    string
	Size        int64
	Content     []byte
	CreatedAt   time.Time
	ExpiresAt   time.Time
	UsedAt      *time.Time
}

// MediaStore keeps uploaded media. It is part of Store.
type MediaStore interface {
	CreateMedia(ctx context.Context, m Media) error
	// GetMedia finds a media of the organisation unexpired at now, content
	// included; ErrNotFound otherwise (unknown, expired or another
	// organisation's alike).
	GetMedia(ctx context.Context, orgID, id string, now time.Time) (Media, error)
	// MediaByID finds a media unexpired at now in any organisation: only
	// for serving a URL whose signature names it.
	MediaByID(ctx context.Context, id string, now time.Time) (Media, error)
	// UseMedia marks media of the organisation used at now (those already
	// used keep their first time).
	UseMedia(ctx context.Context, orgID string, ids []string, now time.Time) error
	// DeleteMedia deletes a media of the organisation; ErrNotFound when
	// there is none.
	DeleteMedia(ctx context.Context, orgID, id string) error
	// PruneMedia deletes media expired at now and media used before
	// usedBefore, and reports how many.
	PruneMedia(ctx context.Context, now, usedBefore time.Time) (int64, error)
}
