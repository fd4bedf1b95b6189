package graphemu

import (
	"encoding/json"

	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/webhook/inbound"
)

// WebhookBody builds the webhook notification Meta would POST for an
// inbound message (e.g. one returned by Inbound), so the sandbox can
// deliver it, signed, to Parley's webhook endpoint. The body is what Meta
// puts on the wire: non-ASCII characters are \uXXXX-escaped, so
// inbound.SignMeta over it is the X-Hub-Signature-256 Meta would send.
//
// Messenger: object "page", entry[].messaging[] with sender, recipient,
// timestamp (ms) and message{mid,text,attachments[{type,payload{url}}]}
// (https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/messages).
// Instagram: the same with object "instagram" and the Instagram account id
// as entry id (https://developers.facebook.com/docs/instagram-platform/webhooks).
func (e *Emulator) WebhookBody(m Message) ([]byte, error) {
	e.mu.Lock()
	t := e.threads[m.ThreadID]
	e.mu.Unlock()
	if t == nil {
		return nil, ErrNotFound
	}
	sender, recipient := t.who.ID, t.acct.ID
	if !m.Inbound {
		// An echo of the business's own message.
		sender, recipient = recipient, sender
	}
	msg := map[string]any{"mid": m.ID}
	if m.Text != "" {
		msg["text"] = m.Text
	}
	if len(m.Attachments) > 0 {
		var atts []any
		for _, a := range m.Attachments {
			atts = append(atts, map[string]any{"type": a.Type, "payload": map[string]any{"url": a.URL}})
		}
		msg["attachments"] = atts
	}
	if !m.Inbound {
		msg["is_echo"] = true
	}
	if m.QuickReplyPayload != "" {
		msg["quick_reply"] = map[string]any{"payload": m.QuickReplyPayload}
	}
	if m.ReplyTo != "" {
		msg["reply_to"] = map[string]any{"mid": m.ReplyTo}
	}
	ms := m.At.UnixMilli()
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.envelope(t, map[string]any{
		"sender":    map[string]any{"id": sender},
		"recipient": map[string]any{"id": recipient},
		"timestamp": ms,
		"message":   msg,
	})
}

// envelope wraps one messaging item in Meta's notification, in
// entry[].standby[] when the thread is on standby, and escapes it as Meta
// serialises it. The caller holds e.mu.
func (e *Emulator) envelope(t *thread, item map[string]any) ([]byte, error) {
	object := "page"
	if t.acct.Platform == platform.Instagram {
		object = "instagram"
	}
	channel := "messaging"
	if t.standby {
		channel = "standby"
	}
	b, err := json.Marshal(map[string]any{
		"object": object,
		"entry": []any{map[string]any{
			"id":    t.acct.ID,
			"time":  e.opts.Now().UnixMilli(),
			channel: []any{item},
		}},
	})
	if err != nil {
		return nil, err
	}
	// Meta sends (and signs) JSON with non-ASCII characters escaped.
	return inbound.MetaEscapeUnicode(b), nil
}
