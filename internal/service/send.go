package service

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/platform"
)

// SendInput is the body of POST /v1/inbox/conversations/{id}/messages.
type SendInput struct {
	Text       string               `json:"text,omitempty" jsonschema:"message text"`
	Attachment *platform.Attachment `json:"attachment,omitempty" jsonschema:"one attachment by URL: type is image, video, audio or file"`
	Tag        string               `json:"tag,omitempty" jsonschema:"Meta message tag for sends outside the 24 h window: HUMAN_AGENT, CONFIRMED_EVENT_UPDATE, POST_PURCHASE_UPDATE or ACCOUNT_UPDATE"`
	Template   *platform.Template   `json:"template,omitempty" jsonschema:"WhatsApp template: name, language, components"`
	Automated  bool                 `json:"automated,omitempty" jsonschema:"true when no human wrote this message (HUMAN_AGENT is then refused)"`
}

var attachmentTypes = map[string]bool{"image": true, "video": true, "audio": true, "file": true}

// validate checks the request's own shape; platform rules come after.
func (in SendInput) validate() error {
	if strings.TrimSpace(in.Text) == "" && in.Attachment == nil && in.Template == nil {
		return apierr.Required("text").With("hint", "send text, an attachment or a template")
	}
	if in.Attachment != nil {
		if !attachmentTypes[in.Attachment.Type] {
			return apierr.Invalid("attachment.type", "attachment.type must be image, video, audio or file")
		}
		u, err := url.Parse(in.Attachment.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return apierr.Invalid("attachment.url", "attachment.url must be an absolute http(s) URL")
		}
	}
	if in.Template != nil {
		if in.Template.Name == "" {
			return apierr.Required("template.name")
		}
		if in.Template.Language == "" {
			return apierr.Required("template.language")
		}
	}
	return nil
}

// SendMessage sends a message into a conversation.
func (s *Service) SendMessage(ctx context.Context, c Caller, id string, in SendInput) (Message, error) {
	if err := in.validate(); err != nil {
		return Message{}, err
	}
	h, thread, err := s.conversation(ctx, c, id)
	if err != nil {
		return Message{}, err
	}
	pc, err := h.adapter.GetConversation(ctx, h.acct, thread)
	if err != nil {
		return Message{}, s.platformErr(ctx, h, err)
	}
	if err := s.decide(platform.Name(h.row.Platform), pc, in); err != nil {
		return Message{}, err
	}
	sent, err := h.adapter.Send(ctx, h.acct, pc, platform.Outbound{Text: in.Text, Attachment: in.Attachment, Tag: in.Tag, Template: in.Template})
	if err != nil {
		return Message{}, s.platformErr(ctx, h, err)
	}
	at := sent.CreatedAt
	if at.IsZero() {
		at = s.now()
	}
	var att []platform.Attachment
	if in.Attachment != nil {
		att = []platform.Attachment{*in.Attachment}
	}
	return messageView(id, platform.Message{PlatformID: sent.PlatformID, Direction: "outgoing", SenderID: h.row.NativeID,
		SenderName: h.row.DisplayName, Text: in.Text, Attachments: att, CreatedAt: at, Status: "sent"}), nil
}

// decide applies the messaging rules before the platform is called. Until
// the rules engine lands it lets every well-formed request through and the
// platform's own refusal is mapped instead.
func (s *Service) decide(p platform.Name, pc platform.Conversation, in SendInput) error {
	_, _, _ = p, pc, in
	return nil
}

// replyWindow computes the reply_window of a conversation; nil (rendered as
// null) until the rules engine lands.
func (s *Service) replyWindow(p platform.Name, pc platform.Conversation) *ReplyWindow {
	_, _ = p, pc
	_ = time.Time{}
	return nil
}
