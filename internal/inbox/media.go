package inbox

import (
	"context"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/platform"
)

// MediaFiles resolves attachments sent by media id (package media): the
// organisation's live, unused upload, checked against the platform's
// limits, as bytes and a signed URL; Use marks uploads used once sent.
type MediaFiles interface {
	Attachment(ctx context.Context, c domain.Caller, p platform.Name, field string, at apitype.Attachment) (platform.OutAttachment, error)
	Use(ctx context.Context, c domain.Caller, ids []string) error
}

// resolveAttachments is the send's attachments (sendAttachments: the
// single attachment and attachments[]) as the adapter receives them: by URL
// as given, by media id with the file's bytes and a signed, expiring Parley
// URL, so an adapter uploads or links as its platform wants. An unknown,
// expired, used or foreign media id answers 404, a file the platform would
// refuse 422 — both before any platform call, and the same on a dry run,
// which consumes nothing. ids are the uploads to mark used once sent.
// validateRich has already checked each attachment's shape.
func (s *Inbox) resolveAttachments(ctx context.Context, c domain.Caller, h accountHandle, in apitype.SendInput) (out []platform.OutAttachment, ids []string, err error) {
	p := platform.Name(h.row.Platform)
	for i, at := range sendAttachments(in) {
		if at.MediaID == "" {
			out = append(out, platform.OutAttachment{Type: at.Type, URL: at.URL})
			continue
		}
		field := attachmentField(in, i)
		if s.media == nil {
			return nil, nil, apierr.NotFound("media").With("field", field+".media_id")
		}
		oa, err := s.media.Attachment(ctx, c, p, field, at)
		if err != nil {
			return nil, nil, err
		}
		out, ids = append(out, oa), append(ids, at.MediaID)
	}
	return out, ids, nil
}

// mediaUsed marks the uploads a send carried as used. The message is
// already sent, so a failure is logged, not returned; the upload then
// simply lives until its TTL.
func (s *Inbox) mediaUsed(ctx context.Context, c domain.Caller, ids []string) {
	if len(ids) == 0 || s.media == nil {
		return
	}
	if err := s.media.Use(ctx, c, ids); err != nil {
		s.log.ErrorContext(ctx, "mark media used", "err", err)
	}
}
