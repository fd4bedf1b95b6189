package whatsapp

import (
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/rules"
)

// ListButtonLabel is the label of the button that opens an interactive
// list (action.button, at most 20 characters): WhatsApp shows it under the
// text, and Parley's quick replies have no field for it.
const ListButtonLabel = "Choose"

type contextBody struct {
	MessageID string `json:"message_id"`
}

// interactive is a type "interactive" message: reply buttons, a list or a
// call-to-action URL button (checked 2026-11-30):
// https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/interactive-reply-buttons-messages,
// https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/interactive-list-messages,
// https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/interactive-cta-url-messages.
type interactive struct {
	Type   string            `json:"type"`
	Body   interactiveBody   `json:"body"`
	Action interactiveAction `json:"action"`
}

// interactiveBody is interactive.body: {"text": …}.
type interactiveBody struct {
	Text string `json:"text"`
}

type interactiveAction struct {
	Buttons    []replyButton  `json:"buttons,omitempty"`
	Button     string         `json:"button,omitempty"`
	Sections   []listSection  `json:"sections,omitempty"`
	Name       string         `json:"name,omitempty"`
	Parameters *ctaParameters `json:"parameters,omitempty"`
}

type replyButton struct {
	Type  string     `json:"type"`
	Reply replyTitle `json:"reply"`
}

type replyTitle struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

type listSection struct {
	Rows []replyTitle `json:"rows"`
}

type ctaParameters struct {
	DisplayText string `json:"display_text"`
	URL         string `json:"url"`
}

type choice struct{ id, title string }

// buildSends turns a neutral Outbound into Cloud API bodies for a recipient
// named by phone number (to) or business-scoped user id (recipient):
//
//   - a template: one template message;
//   - quick replies: up to three, reply buttons (interactive button, the
//     payload as the button's id); four to ten, an interactive list of one
//     section (the payload as the row's id);
//   - postback buttons: reply buttons; one url button: interactive cta_url;
//   - attachments: one media message each, in order, the text as the first
//     one's caption;
//   - otherwise a text message.
//
// A reply puts context {message_id} on the first message
// (https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/contextual-replies/).
// The rules (rules.RichOf) have refused what WhatsApp cannot carry; these
// checks only keep a direct caller from sending half a message.
func buildSends(to, recipient string, msg platform.Outbound) ([]sendBody, error) {
	base := sendBody{MessagingProduct: "whatsapp", RecipientType: "individual", To: to, Recipient: recipient}
	if msg.Tag != "" {
		// WhatsApp has no message tags: outside the window only a template goes.
		return nil, apierr.Invalid("tag", "WhatsApp has no message tags; send an approved template outside the 24-hour window")
	}
	if len(msg.Cards) > 0 {
		return nil, apierr.Invalid("cards", "WhatsApp cannot carry cards")
	}
	var out []sendBody
	switch {
	case msg.Template != nil:
		if msg.Text != "" || len(msg.Attachments) > 0 || len(msg.QuickReplies) > 0 || len(msg.Buttons) > 0 {
			return nil, apierr.Invalid("template", "a WhatsApp template message cannot also carry text, attachments or buttons")
		}
		if msg.Template.Name == "" {
			return nil, apierr.Required("template.name")
		}
		if msg.Template.Language == "" {
			return nil, apierr.Required("template.language")
		}
		b := base
		b.Type = "template"
		b.Template = &templateBody{Name: msg.Template.Name, Language: languageBody{Code: msg.Template.Language},
			Components: msg.Template.Components}
		out = append(out, b)
	case len(msg.QuickReplies) > 0 || len(msg.Buttons) > 0:
		in, err := interactiveOf(msg)
		if err != nil {
			return nil, err
		}
		b := base
		b.Type, b.Interactive = "interactive", in
		out = append(out, b)
	case len(msg.Attachments) > 0:
		for i, at := range msg.Attachments {
			b := base
			// An uploaded file goes by the Cloud API media id uploadFiles
			// got for it; anything else by link.
			m := &mediaBody{Link: at.URL}
			if at.File != nil && at.File.ID != "" {
				m = &mediaBody{ID: at.File.ID}
			} else if at.URL == "" {
				return nil, apierr.Required("attachments.url")
			}
			if i == 0 {
				m.Caption = msg.Text
			}
			switch at.Type {
			case "image":
				b.Type, b.Image = "image", m
			case "video":
				b.Type, b.Video = "video", m
			case "audio":
				if m.Caption != "" {
					return nil, apierr.Invalid("text", "WhatsApp audio messages cannot carry a caption; send the text separately")
				}
				b.Type, b.Audio = "audio", m
			case "document", "file":
				b.Type, b.Document = "document", m
			default:
				return nil, apierr.Invalid("attachment.type", "WhatsApp supports image, video, audio and document attachments")
			}
			out = append(out, b)
		}
	case msg.Text != "":
		b := base
		b.Type, b.Text = "text", &textBody{Body: msg.Text}
		out = append(out, b)
	default:
		return nil, apierr.Required("text")
	}
	if msg.ReplyTo != "" {
		out[0].Context = &contextBody{MessageID: msg.ReplyTo}
	}
	return out, nil
}

// interactiveOf maps quick replies or buttons onto an interactive message.
func interactiveOf(msg platform.Outbound) (*interactive, error) {
	if msg.Text == "" {
		return nil, apierr.Required("text")
	}
	in := &interactive{Body: interactiveBody{Text: msg.Text}}
	var choices []choice
	for _, q := range msg.QuickReplies {
		choices = append(choices, choice{q.Payload, q.Title})
	}
	for _, b := range msg.Buttons {
		if b.Type == "url" {
			if len(msg.Buttons) != 1 || len(msg.QuickReplies) > 0 {
				return nil, apierr.Invalid("buttons", "WhatsApp sends one url button alone")
			}
			in.Type = "cta_url"
			in.Action = interactiveAction{Name: "cta_url", Parameters: &ctaParameters{DisplayText: b.Title, URL: b.URL}}
			return in, nil
		}
		choices = append(choices, choice{b.Payload, b.Title})
	}
	switch {
	case len(choices) <= rules.WhatsAppReplyButtons:
		in.Type = "button"
		for _, c := range choices {
			in.Action.Buttons = append(in.Action.Buttons, replyButton{Type: "reply", Reply: replyTitle{ID: c.id, Title: c.title}})
		}
	case len(choices) <= rules.WhatsAppListRows && len(msg.Buttons) == 0:
		in.Type = "list"
		sec := listSection{}
		for _, c := range choices {
			sec.Rows = append(sec.Rows, replyTitle{ID: c.id, Title: c.title})
		}
		in.Action = interactiveAction{Button: ListButtonLabel, Sections: []listSection{sec}}
	default:
		return nil, apierr.Invalid("quick_replies", "WhatsApp offers at most %d reply buttons or %d list rows", rules.WhatsAppReplyButtons, rules.WhatsAppListRows)
	}
	return in, nil
}
