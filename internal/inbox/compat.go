package inbox

import (
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/convid"
)

// The hosted DM API's send body (SocialAPI.ai, POST
// /v1/inbox/conversations/{id}/messages,
// https://docs.social-api.ai/api-reference/inbox/send-a-message-in-a-conversation,
// checked 2026-11-30) names some fields differently: account_id (required
// there), attachment_url ("a single-attachment shorthand … its type is
// inferred from the URL extension") and message_tag. normalizeSend turns
// them into Parley's own fields before anything else looks at the request,
// so validation, the rules, the idempotency hash and the platform call see
// one shape whichever names the client used.

// normalizeSend rewrites the hosted API's names in *in into Parley's, or
// refuses a request whose two names for one thing disagree: a part of a
// message is never silently dropped.
func normalizeSend(id string, in *apitype.SendInput) error {
	if a := strings.TrimSpace(in.AccountID); a != "" {
		// Compared with the id's own account, read without a lookup: the
		// answer depends only on the two values the caller sent, so it
		// tells nothing about another organisation's accounts. An id that
		// does not decode is left to the send's 404.
		if acct, _, err := convid.Decode(id); err == nil && acct != a {
			return apierr.Invalid("account_id", "account_id is not the account of this conversation; omit it or send the conversation's account_id")
		}
	}
	in.AccountID = ""
	if in.MessageTag != "" {
		if in.Tag != "" && in.Tag != in.MessageTag {
			return apierr.Invalid("message_tag", "message_tag and tag name different tags; send one of them")
		}
		in.Tag, in.MessageTag = in.MessageTag, ""
	}
	typ := strings.TrimSpace(in.AttachmentType)
	if typ != "" && !attachmentTypes[typ] {
		return apierr.Invalid("attachment_type", "attachment_type must be image, video, audio or file")
	}
	u := in.AttachmentURL
	in.AttachmentURL, in.AttachmentType = "", ""
	if u == "" {
		if typ != "" {
			return apierr.Required("attachment_url").With("hint", "attachment_type describes attachment_url")
		}
		return nil
	}
	if typ == "" {
		typ = attachmentTypeOf(u)
	}
	same := func(a apitype.Attachment) bool { return a.URL == u }
	switch {
	case in.Attachment != nil:
		if !same(*in.Attachment) {
			return apierr.Invalid("attachment_url", "attachment_url and attachment name different files; send one of them")
		}
	case len(in.Attachments) > 0:
		// The hosted API ignores attachment_url beside attachments; Parley
		// accepts it only when it repeats one of them, rather than drop a
		// file the caller meant to send.
		if !slices.ContainsFunc(in.Attachments, same) {
			return apierr.Invalid("attachment_url", "attachment_url is not one of attachments; list every file in attachments")
		}
	default:
		in.Attachment = &apitype.Attachment{Type: typ, URL: u}
	}
	return nil
}

// attachmentTypeOf infers an attachment's type from its URL's extension, as
// the hosted API documents for attachment_url; anything unrecognised is a
// file.
func attachmentTypeOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "file"
	}
	switch strings.ToLower(path.Ext(u.Path)) {
	case ".jpg", ".jpeg", ".png", ".gif", ".webp":
		return "image"
	case ".mp4", ".mov", ".3gp", ".webm":
		return "video"
	case ".mp3", ".ogg", ".oga", ".m4a", ".aac", ".amr", ".wav", ".opus":
		return "audio"
	}
	return "file"
}
