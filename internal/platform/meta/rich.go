package meta

import (
	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/platform"
)

// sendBodies maps one neutral Outbound onto the Send API's message bodies
// (without recipient and messaging_type), in the order they are posted:
//
//   - each attachment: message.attachment {type, payload {url}};
//   - buttons: a button template, message.attachment {type: template,
//     payload {template_type: button, text, buttons}}
//     (https://developers.facebook.com/documentation/business-messaging/messenger-platform/send-messages/template/button);
//   - cards: the text first, if any, then a generic template, payload
//     {template_type: generic, elements [{title, subtitle, image_url, buttons}]}
//     (https://developers.facebook.com/documentation/business-messaging/messenger-platform/send-messages/template/generic);
//   - otherwise the text, with quick_replies [{content_type: text, title,
//     payload}] (https://developers.facebook.com/docs/messenger-platform/reference/buttons/quick-replies).
//
// Buttons: url → {type: web_url, url, title}, postback → {type: postback,
// title, payload} (https://developers.facebook.com/documentation/business-messaging/messenger-platform/send-messages/buttons).
// A reply (Instagram) puts a top-level reply_to {mid} on the first message
// (rules.RichOf: Messenger refuses it before the adapter is called).
// All checked 2026-11-30.
func sendBodies(p platform.Name, msg platform.Outbound) ([]map[string]any, error) {
	var out []map[string]any
	add := func(message map[string]any) { out = append(out, map[string]any{"message": message}) }
	for _, at := range msg.Attachments {
		if at.URL == "" {
			return nil, apierr.Required("attachments.url")
		}
		add(map[string]any{"attachment": map[string]any{"type": attachmentType(at.Type), "payload": map[string]any{"url": at.URL}}})
	}
	switch {
	case len(msg.Buttons) > 0:
		add(map[string]any{"attachment": map[string]any{"type": "template", "payload": map[string]any{
			"template_type": "button", "text": msg.Text, "buttons": wireButtons(msg.Buttons)}}})
	case len(msg.Cards) > 0:
		if msg.Text != "" {
			add(map[string]any{"text": msg.Text})
		}
		els := make([]map[string]any, 0, len(msg.Cards))
		for _, c := range msg.Cards {
			el := map[string]any{"title": c.Title}
			if c.Subtitle != "" {
				el["subtitle"] = c.Subtitle
			}
			if c.ImageURL != "" {
				el["image_url"] = c.ImageURL
			}
			if len(c.Buttons) > 0 {
				el["buttons"] = wireButtons(c.Buttons)
			}
			els = append(els, el)
		}
		add(map[string]any{"attachment": map[string]any{"type": "template", "payload": map[string]any{
			"template_type": "generic", "elements": els}}})
	case msg.Text != "":
		m := map[string]any{"text": msg.Text}
		if len(msg.QuickReplies) > 0 {
			qs := make([]map[string]any, 0, len(msg.QuickReplies))
			for _, q := range msg.QuickReplies {
				qs = append(qs, map[string]any{"content_type": "text", "title": q.Title, "payload": q.Payload})
			}
			m["quick_replies"] = qs
		}
		add(m)
	}
	if len(msg.QuickReplies) > 0 && msg.Text == "" {
		return nil, apierr.Required("text")
	}
	if len(out) == 0 {
		return nil, apierr.Required("text")
	}
	if msg.ReplyTo != "" {
		if p != platform.Instagram {
			return nil, apierr.Invalid("reply_to_message_id", "%s cannot reply to a specific message", p)
		}
		out[0]["reply_to"] = map[string]any{"mid": msg.ReplyTo}
	}
	return out, nil
}

func wireButtons(bs []apitype.Button) []map[string]any {
	out := make([]map[string]any, 0, len(bs))
	for _, b := range bs {
		if b.Type == "url" {
			out = append(out, map[string]any{"type": "web_url", "url": b.URL, "title": b.Title})
			continue
		}
		out = append(out, map[string]any{"type": "postback", "title": b.Title, "payload": b.Payload})
	}
	return out
}
