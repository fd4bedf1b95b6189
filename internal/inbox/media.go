package inbox

import (
	"context"
	"fmt"
	"net/url"

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

// sendAttachments is the send's attachments[] (and an attachment given by
// media_id) as the adapter receives them: by URL as given, by media id
// with the file's bytes and a signed, expiring Parley URL, so an adapter
// uploads or links as its platform wants. An unknown, expired, used or
// foreign media id answers 404, a file the platform would refuse 422 —
// both before any platform call, and the same on a dry run, which
// consumes nothing. ids are the uploads to mark used once sent.
func (s *Inbox) sendAttachments(ctx context.Context, c domain.Caller, h accountHandle, in apitype.SendInput) (out []platform.OutAttachment, ids []string, err error) {
	type item struct {
		field string
		at    apitype.Attachment
	}
	var items []item
	if in.Attachment != nil && in.Attachment.MediaID != "" {
		items = append(items, item{"attachment", *in.Attachment})
	}
	for i, at := range in.Attachments {
		items = append(items, item{fmt.Sprintf("attachments[%d]", i), at})
	}
	p := platform.Name(h.row.Platform)
	for _, it := range items {
		at := it.at
		if at.Type != "" && !attachmentTypes[at.Type] {
			return nil, nil, apierr.Invalid(it.field+".type", "%s.type must be image, video, audio or file", it.field)
		}
		switch {
		case at.MediaID != "" && at.URL != "":
			return nil, nil, apierr.Invalid(it.field, "give %s.url or %s.media_id, not both", it.field, it.field)
		case at.MediaID != "":
			if s.media == nil {
				return nil, nil, apierr.NotFound("media").With("field", it.field+".media_id")
			}
			oa, err := s.media.Attachment(ctx, c, p, it.field, at)
			if err != nil {
				return nil, nil, err
			}
			out, ids = append(out, oa), append(ids, at.MediaID)
		default:
			u, err := url.Parse(at.URL)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				return nil, nil, apierr.Invalid(it.field+".url", "%s.url must be an absolute http(s) URL", it.field)
			}
			if at.Type == "" {
				return nil, nil, apierr.Required(it.field + ".type")
			}
			out = append(out, platform.OutAttachment{Type: at.Type, URL: at.URL})
		}
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

// byURL is the single attachment of the request when it is by URL (one
// given by media_id travels in Attachments).
func byURL(at *apitype.Attachment) *apitype.Attachment {
	if at == nil || at.MediaID != "" {
		return nil
	}
	return at
}
