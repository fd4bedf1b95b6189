package meta

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/platform/webhookjson"
)

// Webhook payloads. Messenger and Instagram share one envelope,
// {"object": "page"|"instagram", "entry": [{"id", "time", "messaging": [...]}]}
// (https://developers.facebook.com/docs/messenger-platform/webhooks, "Event
// Notifications"; https://developers.facebook.com/docs/instagram-platform/webhooks).
// entry.id is the Page id (Messenger) or the Instagram professional account
// id (Instagram). Each messaging item names sender and recipient and carries
// one of:
//
//   - message {mid, text, attachments[{type, payload{url}}], is_echo,
//     referral, is_deleted}
//     (https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/messages,
//     .../message-echoes; Instagram: https://developers.facebook.com/docs/instagram-platform/webhooks/examples);
//   - delivery {mids, watermark}
//     (https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/message-deliveries);
//   - read {watermark} on Messenger, read {mid} on Instagram (messaging_seen)
//     (https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/message-reads);
//   - postback {mid, title, payload, referral}
//     (https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/messaging_postbacks);
//   - reaction {mid, action: react|unreact, reaction, emoji} (message_reactions,
//     Messenger and Instagram; an unreact may omit reaction and emoji)
//     (https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/message-reactions,
//     updated Oct 29 2019; checked 2026-11-30);
//   - message_edit {mid, text, num_edit} (message_edits, "Only available for
//     Messenger conversations")
//     (https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/message-edits,
//     updated Apr 9 2024; field list: .../webhooks/webhook-events, updated Jun 26 2024; checked 2026-11-30);
//   - message {mid, is_deleted: true}: the customer unsent a message
//     (Instagram; Chatwoot's fixtures carry it);
//   - referral {ref, source, type} alone: a person already in a thread
//     opened it again from an ad, m.me link or CTA (messaging_referrals).
//
// Items of the handover protocol's standby channel arrive in
// entry[].standby[] instead of entry[].messaging[] with the same shapes,
// when another app owns the thread; postbacks there carry no payload
// (https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/standby,
// updated Sep 25 2024; checked 2026-11-30). They are read like the others
// and marked Standby.
//
// Postbacks are mapped to EventMessage with the button's title as text: a
// tap on a button is the person writing to the business (it opens the
// messaging window like a message does), and the title is what the thread
// shows. A postback without a mid is skipped (nothing to dedupe on).
// A standalone messaging_referrals item becomes EventReferral: the flag on
// the conversation, no message.

// maxMidsPerItem bounds the events one delivery item may fan out to; Meta
// sends a handful of mids at most.
const maxMidsPerItem = 1000

// ErrNotMetaWebhook is returned by ParseWebhook when the body is not a
// Messenger or Instagram webhook.
var ErrNotMetaWebhook = errors.New("meta: not a Messenger or Instagram webhook payload")

type hookEnvelope struct {
	Object string            `json:"object"`
	Entry  []json.RawMessage `json:"entry"`
}

type hookEntry struct {
	ID        webhookjson.ID    `json:"id"`
	Messaging []json.RawMessage `json:"messaging"`
	Standby   []json.RawMessage `json:"standby"`
}

type hookParty struct {
	ID webhookjson.ID `json:"id"`
}

type hookItem struct {
	Sender    hookParty       `json:"sender"`
	Recipient hookParty       `json:"recipient"`
	Timestamp flexInt         `json:"timestamp"`
	Message   json.RawMessage `json:"message"`
	Delivery  json.RawMessage `json:"delivery"`
	Read      json.RawMessage `json:"read"`
	Postback  json.RawMessage `json:"postback"`
	Referral  json.RawMessage `json:"referral"`
	Reaction  json.RawMessage `json:"reaction"`
	Edit      json.RawMessage `json:"message_edit"`
}

type hookReaction struct {
	Mid      string `json:"mid"`
	Action   string `json:"action"`
	Reaction string `json:"reaction"`
	Emoji    string `json:"emoji"`
}

type hookEdit struct {
	Mid     string  `json:"mid"`
	Text    string  `json:"text"`
	NumEdit flexInt `json:"num_edit"`
}

type hookMessage struct {
	Mid         string            `json:"mid"`
	Text        string            `json:"text"`
	Attachments []json.RawMessage `json:"attachments"`
	IsEcho      bool              `json:"is_echo"`
	IsDeleted   bool              `json:"is_deleted"`
	Referral    json.RawMessage   `json:"referral"`
	// QuickReply is set when the person tapped a quick reply: the text is
	// its title (https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/messages,
	// message.quick_reply.payload; Instagram the same:
	// https://developers.facebook.com/docs/messenger-platform/instagram/features/quick-replies).
	QuickReply *struct {
		Payload string `json:"payload"`
	} `json:"quick_reply"`
	// ReplyTo names the message this one answers (message.reply_to.mid).
	ReplyTo *struct {
		Mid string `json:"mid"`
	} `json:"reply_to"`
}

type hookAttachment struct {
	Type    string `json:"type"`
	Payload struct {
		URL string `json:"url"`
	} `json:"payload"`
}

type hookDelivery struct {
	Mids      []string `json:"mids"`
	Watermark flexInt  `json:"watermark"`
}

type hookRead struct {
	Mid       string  `json:"mid"`
	Watermark flexInt `json:"watermark"`
}

type hookPostback struct {
	Mid      string          `json:"mid"`
	Title    string          `json:"title"`
	Payload  string          `json:"payload"`
	Referral json.RawMessage `json:"referral"`
}

// ParseWebhook normalises a Messenger (object "page") or Instagram (object
// "instagram") webhook body into events. Unknown fields and event types are
// skipped; a malformed item (or attachment) skips only itself. It fails only
// when the body is not a JSON object of one of those two kinds.
//
// Events carry no ThreadID: Meta names the participant only (use
// Adapter.ResolveThread). ParticipantID is sender.id, or recipient.id for an
// echo of the business's own message. Delivery and read receipts without a
// mid carry the watermark as At and an empty MessageID: every business
// message at or before At is delivered (read).
func ParseWebhook(body []byte) ([]platform.InboundEvent, error) {
	var env hookEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		// A well-formed object whose entry is the wrong shape is still a
		// Meta body with nothing usable in it.
		var probe struct {
			Object string `json:"object"`
		}
		if json.Unmarshal(body, &probe) != nil || platformOf(probe.Object) == "" {
			return nil, ErrNotMetaWebhook
		}
		return nil, nil
	}
	plat := platformOf(env.Object)
	if plat == "" {
		return nil, ErrNotMetaWebhook
	}
	var out []platform.InboundEvent
	for _, raw := range env.Entry {
		var e hookEntry
		if json.Unmarshal(raw, &e) != nil || e.ID == "" {
			continue
		}
		for i, rawItem := range append(e.Messaging, e.Standby...) {
			var it hookItem
			if json.Unmarshal(rawItem, &it) != nil {
				continue
			}
			evs := parseItem(plat, string(e.ID), it)
			for j := range evs {
				evs[j].Standby = i >= len(e.Messaging)
			}
			out = append(out, evs...)
		}
	}
	return out, nil
}

func platformOf(object string) platform.Name {
	switch object {
	case "page":
		return platform.Messenger
	case "instagram":
		return platform.Instagram
	}
	return ""
}

func parseItem(plat platform.Name, acct string, it hookItem) []platform.InboundEvent {
	base := platform.InboundEvent{Platform: plat, AccountNativeID: acct, At: webhookjson.Millis(int64(it.Timestamp))}
	switch {
	case webhookjson.Present(it.Message):
		var m hookMessage
		if json.Unmarshal(it.Message, &m) != nil || m.Mid == "" {
			return nil
		}
		if m.IsDeleted {
			if it.Sender.ID == "" {
				return nil
			}
			ev := base
			ev.Kind, ev.ParticipantID, ev.MessageID = platform.EventDeleted, string(it.Sender.ID), m.Mid
			return []platform.InboundEvent{ev}
		}
		ev := base
		ev.Kind, ev.ParticipantID = platform.EventMessage, string(it.Sender.ID)
		direction := "incoming"
		if m.IsEcho {
			ev.Kind, ev.ParticipantID = platform.EventEcho, string(it.Recipient.ID)
			direction = "outgoing"
		}
		if ev.ParticipantID == "" {
			return nil
		}
		ev.MessageID = m.Mid
		ev.Referral = webhookjson.Present(m.Referral) || webhookjson.Present(it.Referral)
		ev.Message = platform.Message{
			PlatformID: m.Mid,
			Direction:  direction,
			SenderID:   string(it.Sender.ID),
			Text:       m.Text,
			CreatedAt:  ev.At,
		}
		if direction == "outgoing" {
			ev.Message.Status = "sent"
		}
		if m.QuickReply != nil && m.QuickReply.Payload != "" {
			ev.Message.Choice = &apitype.Choice{Type: "quick_reply", Title: m.Text, Payload: m.QuickReply.Payload}
		}
		if m.ReplyTo != nil {
			ev.Message.ReplyToID = m.ReplyTo.Mid
		}
		for _, ra := range m.Attachments {
			var a hookAttachment
			if json.Unmarshal(ra, &a) != nil || a.Type == "" || a.Payload.URL == "" {
				continue // e.g. a template or fallback attachment: no media
			}
			ev.Message.Attachments = append(ev.Message.Attachments, platform.Attachment{Type: a.Type, URL: a.Payload.URL})
		}
		return []platform.InboundEvent{ev}
	case webhookjson.Present(it.Reaction):
		var r hookReaction
		if json.Unmarshal(it.Reaction, &r) != nil || r.Mid == "" || it.Sender.ID == "" || (r.Action != "react" && r.Action != "unreact") {
			return nil
		}
		ev := base
		ev.Kind, ev.ParticipantID, ev.MessageID = platform.EventReaction, string(it.Sender.ID), r.Mid
		ev.Reaction = &platform.Reaction{Action: r.Action, Emoji: r.Emoji, Name: r.Reaction}
		return []platform.InboundEvent{ev}
	case webhookjson.Present(it.Edit):
		var ed hookEdit
		if json.Unmarshal(it.Edit, &ed) != nil || ed.Mid == "" || it.Sender.ID == "" {
			return nil
		}
		ev := base
		ev.Kind, ev.ParticipantID, ev.MessageID, ev.EditCount = platform.EventEdited, string(it.Sender.ID), ed.Mid, int(ed.NumEdit)
		ev.Message = platform.Message{PlatformID: ed.Mid, Direction: "incoming", SenderID: string(it.Sender.ID), Text: ed.Text}
		return []platform.InboundEvent{ev}
	case webhookjson.Present(it.Postback):
		var p hookPostback
		if json.Unmarshal(it.Postback, &p) != nil || p.Mid == "" || it.Sender.ID == "" {
			return nil
		}
		ev := base
		ev.Kind, ev.ParticipantID, ev.MessageID = platform.EventMessage, string(it.Sender.ID), p.Mid
		ev.Referral = webhookjson.Present(p.Referral)
		text := p.Title
		if text == "" {
			text = p.Payload
		}
		ev.Message = platform.Message{PlatformID: p.Mid, Direction: "incoming", SenderID: string(it.Sender.ID), Text: text, CreatedAt: ev.At}
		if p.Payload != "" {
			// A postback button of a button or generic template (on the
			// standby channel Meta leaves the payload out).
			ev.Message.Choice = &apitype.Choice{Type: "button", Title: p.Title, Payload: p.Payload}
		}
		return []platform.InboundEvent{ev}
	case webhookjson.Present(it.Delivery):
		var d hookDelivery
		if json.Unmarshal(it.Delivery, &d) != nil || it.Sender.ID == "" {
			return nil
		}
		ev := base
		ev.Kind, ev.ParticipantID = platform.EventDelivered, string(it.Sender.ID)
		if ev.At.IsZero() || len(d.Mids) == 0 {
			if w := webhookjson.Millis(int64(d.Watermark)); !w.IsZero() {
				ev.At = w
			}
		}
		if len(d.Mids) == 0 {
			return []platform.InboundEvent{ev}
		}
		var out []platform.InboundEvent
		for i, mid := range d.Mids {
			if i == maxMidsPerItem {
				break
			}
			if mid == "" {
				continue
			}
			e := ev
			e.MessageID = mid
			out = append(out, e)
		}
		return out
	case webhookjson.Present(it.Read):
		var r hookRead
		if json.Unmarshal(it.Read, &r) != nil || it.Sender.ID == "" {
			return nil
		}
		ev := base
		ev.Kind, ev.ParticipantID, ev.MessageID = platform.EventRead, string(it.Sender.ID), r.Mid
		if w := webhookjson.Millis(int64(r.Watermark)); !w.IsZero() {
			ev.At = w
		}
		return []platform.InboundEvent{ev}
	case webhookjson.Present(it.Referral):
		if it.Sender.ID == "" {
			return nil
		}
		ev := base
		ev.Kind, ev.ParticipantID, ev.Referral = platform.EventReferral, string(it.Sender.ID), true
		return []platform.InboundEvent{ev}
	}
	return nil
}

// flexInt accepts an integer sent as a number or a numeric string; anything
// else reads as 0 rather than failing the item. Unlike webhookjson.Int it
// also takes a non-negative float below 2^62 (truncated), which is why it
// stays Meta's own.
type flexInt int64

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		*f = flexInt(n)
		return nil
	}
	if x, err := strconv.ParseFloat(s, 64); err == nil && x >= 0 && x < 1<<62 {
		*f = flexInt(int64(x))
		return nil
	}
	*f = 0
	return nil
}

// ResolveThread finds the conversation between the account and one person,
// which Meta's webhooks do not name: GET /{page-or-ig-id}/conversations with
// user_id={PSID or IGSID} and platform=messenger|instagram, the Conversations
// API's lookup of "a conversation between your app user's Instagram
// professional account and a specific" person
// (https://developers.facebook.com/docs/instagram-platform/instagram-api-with-instagram-login/conversations-api;
// Pages and Instagram through Facebook Login:
// https://developers.facebook.com/docs/messenger-platform/conversations).
// No conversation yields 404 resource.not_found.
func (a *Adapter) ResolveThread(ctx context.Context, acct platform.Account, participantID string) (string, error) {
	r, err := a.route(acct)
	if err != nil {
		return "", err
	}
	if !validID(participantID) {
		return "", apierr.NotFound("conversation")
	}
	q := url.Values{"platform": {r.plat}, "user_id": {participantID}, "fields": {"id"}}
	var resp struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := r.c.Get(ctx, acct.AccessToken, r.node+"/conversations", q, &resp); err != nil {
		return "", err
	}
	for _, c := range resp.Data {
		if c.ID != "" {
			return c.ID, nil
		}
	}
	return "", apierr.NotFound("conversation")
}

var _ platform.ThreadResolver = (*Adapter)(nil)
