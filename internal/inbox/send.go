package inbox

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/events"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/rules"
	"github.com/parleyhq/parley/internal/textcheck"
)

var attachmentTypes = map[string]bool{"image": true, "video": true, "audio": true, "file": true}

// validateSend checks the request's own shape; platform rules come after.
func validateSend(in apitype.SendInput) error {
	if !hasContent(in) {
		return apierr.Required("text").With("hint", "send text, an attachment, cards or a template")
	}
	if err := checkSendText(in); err != nil {
		return err
	}
	if err := validateRich(in); err != nil {
		return err
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

// checkSendText refuses control characters and invalid UTF-8 in everything the
// platform would receive, rather than send it or silently clean it up.
// (Invalid UTF-8 in a JSON body never gets this far: the decoder would
// already have replaced it, so the transports check the raw body.)
func checkSendText(in apitype.SendInput) error {
	fields := [][2]string{{"text", in.Text}, {"tag", in.Tag}}
	if in.Attachment != nil {
		fields = append(fields, [2]string{"attachment.url", in.Attachment.URL})
	}
	if in.Template != nil {
		fields = append(fields, [2]string{"template.name", in.Template.Name}, [2]string{"template.language", in.Template.Language})
	}
	for _, f := range fields {
		if err := textcheck.Text(f[0], f[1]); err != nil {
			return err
		}
	}
	if in.Template != nil {
		for i, c := range in.Template.Components {
			if err := checkTextIn(fmt.Sprintf("template.components[%d]", i), c); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkTextIn walks a free-form JSON value (template components), keys
// included, in a stable order so the same body names the same field.
func checkTextIn(path string, v any) error {
	switch t := v.(type) {
	case string:
		return textcheck.Text(path, t)
	case []any:
		for i, x := range t {
			if err := checkTextIn(fmt.Sprintf("%s[%d]", path, i), x); err != nil {
				return err
			}
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(t)) {
			if err := textcheck.Text(path+"."+k, k); err != nil {
				return err
			}
			if err := checkTextIn(path+"."+k, t[k]); err != nil {
				return err
			}
		}
	}
	return nil
}

// SendMessage sends a message into a conversation, after the messaging rules
// allow it. With an idempotency key, the first outcome is replayed.
func (s *Inbox) SendMessage(ctx context.Context, c domain.Caller, id string, in apitype.SendInput) (apitype.Message, error) {
	if err := normalizeSend(id, &in); err != nil {
		return apitype.Message{}, err
	}
	if err := validateSend(in); err != nil {
		return apitype.Message{}, err
	}
	if in.IdempotencyKey == "" || in.DryRun {
		// A dry run records nothing, so there is no outcome to replay.
		m, _, err := s.send(ctx, c, id, in)
		return m, err
	}
	return s.sendIdempotent(ctx, c, id, in)
}

// send runs one send. reached reports whether the platform was called, which
// decides whether an idempotency key must remember the outcome.
func (s *Inbox) send(ctx context.Context, c domain.Caller, id string, in apitype.SendInput) (msg apitype.Message, reached bool, err error) {
	h, thread, err := s.conversation(ctx, c, id)
	if err != nil {
		return apitype.Message{}, false, err
	}
	atts, mediaIDs, err := s.resolveAttachments(ctx, c, h, in)
	if err != nil {
		return apitype.Message{}, false, err
	}
	// The plan's interaction, before any platform call and any of the
	// account's rate budget; given back if the message does not go out.
	done, err := s.hold(ctx, c.OrgID)
	if err != nil {
		return apitype.Message{}, false, err
	}
	defer func() { done(reached, err) }()
	p := platform.Name(h.row.Platform)
	// A dry run checks the ceilings without using a slot of them.
	use := 1
	if in.DryRun {
		use = 0
	}
	pc, err := h.adapter.GetConversation(ctx, h.acct, thread)
	if err != nil {
		return apitype.Message{}, false, s.platformErr(ctx, h, err)
	}
	meta := s.syncMeta(ctx, h, pc)
	req := rules.Request{Text: in.Text, HasAttachment: len(sendAttachments(in)) > 0, Tag: in.Tag, Automated: in.Automated, Rich: richRequest(in)}
	if in.Template != nil {
		ref, err := s.templateRef(ctx, h, *in.Template)
		if err != nil {
			return apitype.Message{}, false, err
		}
		req.Template = &ref
	}
	now := s.now()
	d := rules.Decide(p, ruleConv(meta), req, now)
	if !d.Allowed {
		return apitype.Message{}, false, d.Err
	}
	if err := s.allowAutomated(ctx, h, in.Automated, use); err != nil {
		return apitype.Message{}, false, err
	}
	if err := s.allowRecipient(ctx, h, pc, use); err != nil {
		return apitype.Message{}, false, err
	}
	// The account's send ceiling last, next to the platform call: counted
	// earlier, a burst queued behind the reads above reached the platform
	// bunched into one second (measured in cmd/parley's replica test).
	if err := s.allowSend(ctx, h, use); err != nil {
		return apitype.Message{}, false, err
	}
	if in.DryRun {
		// Every rule passed: this is what would be sent. The same path as a
		// real send up to here, so a dry run cannot drift from the rules.
		return MessageView(id, outboundMessage(h, in, now, "", "dry_run")), false, nil
	}
	o := outbound(in)
	o.Attachments = atts
	sent, err := h.adapter.Send(ctx, h.acct, pc, o)
	if err != nil {
		return apitype.Message{}, true, s.platformErr(ctx, h, err)
	}
	s.mediaUsed(ctx, c, mediaIDs)
	at := sent.CreatedAt
	if at.IsZero() {
		at = now
	}
	pm := outboundMessage(h, in, at, sent.PlatformID, "sent")
	mv := MessageView(id, pm)
	mv.PartIDs = sent.PlatformIDs
	s.recordSend(ctx, h, thread, pm, mv, d)
	return mv, true, nil
}

// outboundMessage is the message a send puts in the conversation.
func outboundMessage(h accountHandle, in apitype.SendInput, at time.Time, platformID, status string) platform.Message {
	pm := platform.Message{PlatformID: platformID, Direction: "outgoing", SenderID: h.row.NativeID,
		SenderName: h.row.DisplayName, Text: in.Text, Attachments: sendAttachments(in), CreatedAt: at, Status: status,
		QuickReplies: in.QuickReplies, Buttons: in.Buttons, Cards: in.Cards, ReplyToID: in.ReplyToMessageID}
	if in.Template != nil && pm.Text == "" {
		pm.Text = "[template " + in.Template.Name + "]"
	}
	return pm
}

// recordSend keeps the metadata a send changes. The message is already
// sent, so a failure here is logged, not returned: answering an error would
// invite a retry that sends twice.
func (s *Inbox) recordSend(ctx context.Context, h accountHandle, thread string, m platform.Message, mv apitype.Message, d rules.Decision) {
	at := m.CreatedAt
	if s.journal != nil && platform.Name(h.row.Platform) == platform.WhatsApp {
		// WhatsApp has no history API: our own sends are journalled too.
		if _, err := s.journal.Record(ctx, h.row.ID, thread, m); err != nil {
			s.log.ErrorContext(ctx, "journal outbound", "account_id", h.row.ID, "err", err)
		}
	}
	if err := s.store.NoteOutbound(ctx, h.row.OrgID, h.row.ID, thread, at, d.OpensEntryPoint); err != nil {
		s.log.ErrorContext(ctx, "record outbound", "account_id", h.row.ID, "err", err)
	}
	if err := s.publish(ctx, h.row.OrgID, events.EventMessageSent, "sent:"+h.row.ID+":"+m.PlatformID,
		apitype.MessageEvent{AccountID: h.row.ID, Platform: h.row.Platform, ConversationID: mv.ConversationID, Message: &mv, MessageID: m.PlatformID}); err != nil {
		s.log.ErrorContext(ctx, "publish message.sent", "account_id", h.row.ID, "err", err)
	}
	if d.Pricing != nil {
		if err := s.store.CountUsage(ctx, h.row.OrgID, h.row.ID, at.UTC().Format("2006-01"), d.Pricing.Category, d.Pricing.Free); err != nil {
			s.log.ErrorContext(ctx, "count whatsapp usage", "account_id", h.row.ID, "err", err)
		}
	}
}

// templateRef resolves a requested template's category and review status
// from the account's template list, which the rules need to decide.
func (s *Inbox) templateRef(ctx context.Context, h accountHandle, t platform.Template) (rules.TemplateRef, error) {
	ref := rules.TemplateRef{Name: t.Name, Language: t.Language}
	if platform.Name(h.row.Platform) != platform.WhatsApp {
		return ref, nil // the rules refuse templates elsewhere
	}
	list, err := s.templates(ctx, h, false)
	if err != nil {
		return ref, err
	}
	for _, ti := range list {
		if ti.Name == t.Name && strings.EqualFold(ti.Language, t.Language) {
			ref.Category, ref.Status = strings.ToLower(ti.Category), strings.ToUpper(ti.Status)
			return ref, nil
		}
	}
	return ref, apierr.New(http.StatusUnprocessableEntity, rules.CodeTemplateNotApproved,
		"no approved template %q in language %q on this account", t.Name, t.Language).
		With("template", t.Name).With("language", t.Language).With("hint", "list templates with refresh=true if it was approved recently")
}
