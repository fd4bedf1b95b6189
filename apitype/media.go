package apitype

import "time"

// Media is an outbound file uploaded with POST /v1/media. A send names it
// by ID in attachments[].media_id; it is kept, sealed, until ExpiresAt (or
// briefly after the send that used it) and then deleted.
type Media struct {
	// ID is med_ and 32 hex digits.
	ID string `json:"id"`
	// Type is image, video, audio or file.
	Type string `json:"type"`
	// ContentType is the file's media type, checked against its bytes.
	ContentType string `json:"content_type"`
	// Size is the file's length in bytes.
	Size int64 `json:"size"`
	// Filename is the uploaded file's name (its base name only).
	Filename  string    `json:"filename"`
	CreatedAt time.Time `json:"created_at"`
	// ExpiresAt is when the file is deleted if no send used it.
	ExpiresAt time.Time `json:"expires_at"`
	// UsedAt is when a send first used it; it is deleted shortly after.
	UsedAt *time.Time `json:"used_at,omitempty"`
}
