package inbox

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/rules"
	"github.com/parleyhq/parley/internal/textcheck"
)

// Rich messages (issue 18): a send's attachments, quick replies, buttons,
// cards and the message it answers. The request's own shape is checked
// here; what each platform carries, and its limits, in rules (rich.go), so
// a dry run and a real send refuse the same things before any platform
// call.

// sendAttachments is every attachment of a send, in order: the legacy
// single `attachment` first, then `attachments[]`.
func sendAttachments(in apitype.SendInput) []apitype.Attachment {
	var out []apitype.Attachment
	if in.Attachment != nil {
		out = append(out, *in.Attachment)
	}
	return append(out, in.Attachments...)
}

// attachmentField names the i-th of sendAttachments(in) as the caller
// wrote it: the single attachment, or an index into attachments[].
func attachmentField(in apitype.SendInput, i int) string {
	if in.Attachment != nil {
		if i == 0 {
			return "attachment"
		}
		i--
	}
	return fmt.Sprintf("attachments[%d]", i)
}

// hasContent reports whether the send has anything to deliver.
func hasContent(in apitype.SendInput) bool {
	return strings.TrimSpace(in.Text) != "" || in.Template != nil || len(sendAttachments(in)) > 0 || len(in.Cards) > 0
}

// validateRich checks the shape of the rich fields, whatever the platform.
func validateRich(in apitype.SendInput) error {
	for i, a := range sendAttachments(in) {
		f := attachmentField(in, i)
		if !attachmentTypes[a.Type] {
			return apierr.Invalid(f+".type", "%s.type must be image, video, audio or file", f)
		}
		switch {
		case a.URL != "" && a.MediaID != "":
			return apierr.Invalid(f, "give %s.url or %s.media_id, not both", f, f)
		case a.MediaID != "":
			// An uploaded file (POST /v1/media), resolved when it is sent.
		case !absoluteURL(a.URL):
			return apierr.Invalid(f+".url", "%s.url must be an absolute http(s) URL", f)
		}
	}
	if in.ReplyToMessageID != "" && len(in.ReplyToMessageID) > 512 {
		return apierr.Invalid("reply_to_message_id", "reply_to_message_id is not a platform message id")
	}
	return checkRichText(in)
}

// checkRichText refuses control characters and invalid UTF-8 in every rich
// string the platform would receive, as checkSendText does for the rest.
func checkRichText(in apitype.SendInput) error {
	var fields [][2]string
	for i, a := range in.Attachments {
		fields = append(fields, [2]string{fmt.Sprintf("attachments[%d].url", i), a.URL}, [2]string{fmt.Sprintf("attachments[%d].media_id", i), a.MediaID})
	}
	for i, q := range in.QuickReplies {
		f := fmt.Sprintf("quick_replies[%d]", i)
		fields = append(fields, [2]string{f + ".title", q.Title}, [2]string{f + ".payload", q.Payload})
	}
	fields = appendButtons(fields, "buttons", in.Buttons)
	for i, c := range in.Cards {
		f := fmt.Sprintf("cards[%d]", i)
		fields = append(fields, [2]string{f + ".title", c.Title}, [2]string{f + ".subtitle", c.Subtitle}, [2]string{f + ".image_url", c.ImageURL})
		fields = appendButtons(fields, f+".buttons", c.Buttons)
	}
	fields = append(fields, [2]string{"reply_to_message_id", in.ReplyToMessageID})
	for _, f := range fields {
		if err := textcheck.Text(f[0], f[1]); err != nil {
			return err
		}
	}
	return nil
}

func appendButtons(fields [][2]string, path string, bs []apitype.Button) [][2]string {
	for i, b := range bs {
		f := fmt.Sprintf("%s[%d]", path, i)
		fields = append(fields, [2]string{f + ".type", b.Type}, [2]string{f + ".title", b.Title},
			[2]string{f + ".url", b.URL}, [2]string{f + ".payload", b.Payload})
	}
	return fields
}

// richRequest is the rich part of a send as the rules see it.
func richRequest(in apitype.SendInput) rules.Rich {
	r := rules.Rich{QuickReplies: in.QuickReplies, Buttons: in.Buttons, Cards: in.Cards, ReplyTo: in.ReplyToMessageID}
	for _, a := range sendAttachments(in) {
		r.Attachments = append(r.Attachments, a.Type)
	}
	return r
}

// outbound is the platform-neutral message a send hands to the adapter:
// every field the rules let through, none dropped.
func outbound(in apitype.SendInput) platform.Outbound {
	o := platform.Outbound{Text: in.Text, Tag: in.Tag, Template: in.Template,
		QuickReplies: in.QuickReplies, Buttons: in.Buttons, Cards: in.Cards, ReplyTo: in.ReplyToMessageID}
	for _, a := range sendAttachments(in) {
		// An attachment by media id gets its URL (and file) when the
		// upload is resolved.
		o.Attachments = append(o.Attachments, platform.OutAttachment{Type: a.Type, URL: a.URL})
	}
	return o
}

func absoluteURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}
