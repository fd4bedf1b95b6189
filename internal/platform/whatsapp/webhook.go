package whatsapp

import (
	"cmp"
	"encoding/json"
	"errors"
	"time"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/platform/webhookjson"
)

// Webhook payloads: object "whatsapp_business_account", entry[].changes[]
// with field "messages" and a value carrying metadata.phone_number_id,
// contacts[{profile{name}, wa_id}], messages[] and statuses[]
// (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/text/,
// .../messages/image, .../messages/status/). Message types read here: text
// (text.body), image/video/audio/document/sticker (caption, url when Meta
// includes one), button (button.text) and interactive
// (button_reply/list_reply title); others (reaction, location, contacts,
// system, unsupported, …) are skipped. A message with a `referral` came from
// a Click-to-WhatsApp ad or a Page CTA. Statuses sent, delivered, read and
// failed map to the Event* kinds of the same names, with pricing{category,
// billable} and errors[{code, title, message, error_data{details}}].
//
// Business-scoped user ids (BSUIDs; Meta, updated Nov 5 2026:
// https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids/;
// payload fields: https://dualhook.com/docs/contacts-bsuid-webhooks, checked
// 2026-11-30): since April 2026 contacts[].user_id,
// messages[].from_user_id and statuses[].recipient_user_id name the user;
// wa_id, from and recipient_id may be absent for a user with a username
// (contacts[].profile.username). The phone number, when present, stays the
// ThreadID (threads begun before BSUIDs keep their id); ParticipantID is
// the BSUID when there is one, with ParticipantFirst set so a thread
// already known for it wins — and a message without a phone number still
// reaches it.

// ErrNotWhatsAppWebhook is returned by ParseWebhook when the body is not a
// WhatsApp Business Account webhook.
var ErrNotWhatsAppWebhook = errors.New("whatsapp: not a whatsapp_business_account webhook payload")

type hookEnvelope struct {
	Object string            `json:"object"`
	Entry  []json.RawMessage `json:"entry"`
}

type hookEntry struct {
	Changes []json.RawMessage `json:"changes"`
}

type hookChange struct {
	Field string          `json:"field"`
	Value json.RawMessage `json:"value"`
}

type hookValue struct {
	Metadata struct {
		PhoneNumberID webhookjson.ID `json:"phone_number_id"`
	} `json:"metadata"`
	Contacts []json.RawMessage `json:"contacts"`
	Messages []json.RawMessage `json:"messages"`
	Statuses []json.RawMessage `json:"statuses"`
}

type hookContact struct {
	WaID    webhookjson.ID `json:"wa_id"`
	UserID  string         `json:"user_id"`
	Profile struct {
		Name     string `json:"name"`
		Username string `json:"username"`
	} `json:"profile"`
}

type hookMedia struct {
	URL      string `json:"url"`
	Caption  string `json:"caption"`
	MimeType string `json:"mime_type"`
}

type hookMessage struct {
	From       webhookjson.ID  `json:"from"`
	FromUserID string          `json:"from_user_id"`
	ID         string          `json:"id"`
	Timestamp  webhookjson.Int `json:"timestamp"`
	Type       string          `json:"type"`
	Referral   json.RawMessage `json:"referral"`
	Text       *struct {
		Body string `json:"body"`
	} `json:"text"`
	// Button is a template's quick-reply button tapped: {payload, text}.
	Button *struct {
		Payload string `json:"payload"`
		Text    string `json:"text"`
	} `json:"button"`
	// Interactive is a reply button or list row tapped: {id, title}
	// (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/interactive/,
	// checked 2026-11-30).
	Interactive *struct {
		ButtonReply *hookReply `json:"button_reply"`
		ListReply   *hookReply `json:"list_reply"`
	} `json:"interactive"`
	// Context names the message this one answers (context.id) when the
	// customer replied to one or tapped one of its buttons.
	Context *struct {
		ID string `json:"id"`
	} `json:"context"`
	Image    json.RawMessage `json:"image"`
	Video    json.RawMessage `json:"video"`
	Audio    json.RawMessage `json:"audio"`
	Document json.RawMessage `json:"document"`
	Sticker  json.RawMessage `json:"sticker"`
}

type hookReply struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

type hookStatus struct {
	ID              string          `json:"id"`
	Status          string          `json:"status"`
	Timestamp       webhookjson.Int `json:"timestamp"`
	RecipientID     webhookjson.ID  `json:"recipient_id"`
	RecipientUserID string          `json:"recipient_user_id"`
	Pricing         *struct {
		Billable *bool  `json:"billable"`
		Category string `json:"category"`
	} `json:"pricing"`
	Errors []struct {
		Code      int    `json:"code"`
		Title     string `json:"title"`
		Message   string `json:"message"`
		ErrorData struct {
			Details string `json:"details"`
		} `json:"error_data"`
	} `json:"errors"`
}

// ParseWebhook normalises a WhatsApp Cloud API webhook body into events.
// AccountNativeID is the business phone-number id; ThreadID and
// ParticipantID are the customer's wa_id. Unknown fields, change fields and
// message types are skipped; a malformed message or status skips only
// itself. It fails only when the body is not a JSON object with object
// "whatsapp_business_account".
func ParseWebhook(body []byte) ([]platform.InboundEvent, error) {
	var env hookEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		var probe struct {
			Object string `json:"object"`
		}
		if json.Unmarshal(body, &probe) != nil || probe.Object != "whatsapp_business_account" {
			return nil, ErrNotWhatsAppWebhook
		}
		return nil, nil
	}
	if env.Object != "whatsapp_business_account" {
		return nil, ErrNotWhatsAppWebhook
	}
	var out []platform.InboundEvent
	for _, re := range env.Entry {
		var e hookEntry
		if json.Unmarshal(re, &e) != nil {
			continue
		}
		for _, rc := range e.Changes {
			var c hookChange
			if json.Unmarshal(rc, &c) != nil || (c.Field != "" && c.Field != "messages") {
				continue
			}
			var v hookValue
			if json.Unmarshal(c.Value, &v) != nil || v.Metadata.PhoneNumberID == "" {
				continue
			}
			out = appendValue(out, string(v.Metadata.PhoneNumberID), v)
		}
	}
	return out, nil
}

// maxUserID bounds a business-scoped user id: "a two-letter ISO country
// code, a period, and up to 128 alphanumeric characters", with room for a
// parent BSUID's ".ENT".
const maxUserID = 140

// userID returns s when it can be a business-scoped user id, else "".
func userID(s string) string {
	if len(s) > maxUserID {
		return ""
	}
	return s
}

func appendValue(out []platform.InboundEvent, phoneID string, v hookValue) []platform.InboundEvent {
	type contact struct{ name, username string }
	contacts := make(map[string]contact, min(len(v.Contacts), 64))
	for _, rc := range v.Contacts {
		var c hookContact
		if json.Unmarshal(rc, &c) != nil {
			continue
		}
		for _, k := range []string{string(c.WaID), userID(c.UserID)} {
			if k != "" {
				contacts[k] = contact{c.Profile.Name, c.Profile.Username}
			}
		}
	}
	for _, rm := range v.Messages {
		var m hookMessage
		if json.Unmarshal(rm, &m) != nil || m.ID == "" {
			continue
		}
		from, uid := string(m.From), userID(m.FromUserID)
		if from == "" && uid == "" {
			continue
		}
		msg, ok := messageOf(m)
		if !ok {
			continue
		}
		at := seconds(int64(m.Timestamp))
		who := cmp.Or(uid, from)
		c := contacts[cmp.Or(from, uid)]
		msg.PlatformID, msg.Direction, msg.SenderID, msg.SenderName, msg.CreatedAt = m.ID, "incoming", cmp.Or(from, uid), cmp.Or(c.name, c.username), at
		if m.Context != nil {
			msg.ReplyToID = m.Context.ID
		}
		out = append(out, platform.InboundEvent{
			Kind:                platform.EventMessage,
			Platform:            platform.WhatsApp,
			AccountNativeID:     phoneID,
			ThreadID:            from,
			ParticipantID:       who,
			ParticipantFirst:    uid != "",
			ParticipantUsername: c.username,
			Message:             msg,
			MessageID:           m.ID,
			At:                  at,
			Referral:            webhookjson.Present(m.Referral),
		})
	}
	for _, rs := range v.Statuses {
		var s hookStatus
		if json.Unmarshal(rs, &s) != nil || s.ID == "" {
			continue
		}
		kind := statusKind(s.Status)
		if kind == "" {
			continue
		}
		uid := userID(s.RecipientUserID)
		ev := platform.InboundEvent{
			Kind:             kind,
			Platform:         platform.WhatsApp,
			AccountNativeID:  phoneID,
			ThreadID:         string(s.RecipientID),
			ParticipantID:    cmp.Or(uid, string(s.RecipientID)),
			ParticipantFirst: uid != "",
			MessageID:        s.ID,
			At:               seconds(int64(s.Timestamp)),
		}
		if s.Pricing != nil {
			ev.PricingCategory = s.Pricing.Category
			if s.Pricing.Billable != nil {
				b := *s.Pricing.Billable
				ev.Billable = &b
			}
		}
		if len(s.Errors) > 0 {
			e := s.Errors[0]
			ev.ErrorCode, ev.ErrorTitle = e.Code, e.Title
			ev.ErrorDetails = cmp.Or(e.ErrorData.Details, e.Message)
		}
		out = append(out, ev)
	}
	return out
}

// messageOf reads the content of the message types Parley shows; ok is
// false for the others.
func messageOf(m hookMessage) (platform.Message, bool) {
	var msg platform.Message
	switch m.Type {
	case "text":
		if m.Text == nil {
			return msg, false
		}
		msg.Text = m.Text.Body
	case "button":
		if m.Button == nil {
			return msg, false
		}
		msg.Text = m.Button.Text
		msg.Choice = &apitype.Choice{Type: "button", Title: m.Button.Text, Payload: m.Button.Payload}
	case "interactive":
		switch {
		case m.Interactive == nil:
			return msg, false
		case m.Interactive.ButtonReply != nil:
			r := m.Interactive.ButtonReply
			msg.Text = r.Title
			msg.Choice = &apitype.Choice{Type: "button", Title: r.Title, Payload: r.ID}
		case m.Interactive.ListReply != nil:
			r := m.Interactive.ListReply
			msg.Text = r.Title
			msg.Choice = &apitype.Choice{Type: "list_item", Title: r.Title, Payload: r.ID}
		default:
			return msg, false
		}
	case "image", "video", "audio", "document", "sticker":
		raw := map[string]json.RawMessage{"image": m.Image, "video": m.Video, "audio": m.Audio, "document": m.Document, "sticker": m.Sticker}[m.Type]
		var md hookMedia
		if json.Unmarshal(raw, &md) != nil {
			// A media message whose media object is unreadable still
			// happened; report it without the attachment.
			md = hookMedia{}
		}
		msg.Text = md.Caption
		typ := m.Type
		switch typ {
		case "document":
			typ = "file"
		case "sticker":
			typ = "image"
		}
		// The webhook carries a media id and, in recent versions, a url;
		// without a url the attachment is still listed so the message is
		// not shown as empty.
		msg.Attachments = []platform.Attachment{{Type: typ, URL: md.URL}}
	default:
		return msg, false
	}
	return msg, true
}

func statusKind(s string) string {
	switch s {
	case "sent":
		return platform.EventSent
	case "delivered":
		return platform.EventDelivered
	case "read":
		return platform.EventRead
	case "failed":
		return platform.EventFailed
	}
	return ""
}

// seconds turns the webhook's Unix-seconds timestamp into a time.
func seconds(s int64) time.Time {
	if s <= 0 || s > 1<<40 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}
