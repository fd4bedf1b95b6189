package xapi

import (
	"encoding/json"
	"errors"

	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/platform/webhookjson"
)

// Account Activity API payloads
// (https://developer.x.com/en/docs/x-api/enterprise/account-activity-api/guides/account-activity-data-objects):
// for_user_id names the subscribed account; direct_message_events[] holds
// Direct Message events of type message_create, each
// {id, created_timestamp (epoch ms, a string), message_create{sender_id,
// target{recipient_id}, message_data{text, attachment{type: "media",
// media{media_url_https, type}}}}}
// (https://developer.x.com/content/developer-twitter/en/docs/direct-messages/sending-and-receiving/guides/message-create-object);
// users{} maps ids to user objects (name, screen_name).
// direct_message_mark_read_events[] {created_timestamp, sender_id (the
// reader), last_read_event_id, target{recipient_id}} are read receipts
// (https://developer.x.com/en/docs/direct-messages/typing-indicator-and-read-receipts/api-reference/new-read-receipt,
// "Webhook Event"). Other activity (tweets, follows, typing, …) is skipped.

// ErrNotAccountActivity is returned by ParseWebhook when the body is not an
// Account Activity API payload.
var ErrNotAccountActivity = errors.New("xapi: not an Account Activity API payload")

type hookEnvelope struct {
	ForUserID  webhookjson.ID             `json:"for_user_id"`
	DMEvents   []json.RawMessage          `json:"direct_message_events"`
	ReadEvents []json.RawMessage          `json:"direct_message_mark_read_events"`
	Users      map[string]json.RawMessage `json:"users"`
}

type hookDMEvent struct {
	Type             string          `json:"type"`
	ID               webhookjson.ID  `json:"id"`
	CreatedTimestamp webhookjson.Int `json:"created_timestamp"`
	MessageCreate    *struct {
		SenderID webhookjson.ID `json:"sender_id"`
		Target   struct {
			RecipientID webhookjson.ID `json:"recipient_id"`
		} `json:"target"`
		MessageData struct {
			Text       string          `json:"text"`
			Attachment json.RawMessage `json:"attachment"`
		} `json:"message_data"`
	} `json:"message_create"`
}

type hookAttachment struct {
	Type  string `json:"type"`
	Media struct {
		MediaURLHTTPS string `json:"media_url_https"`
		Type          string `json:"type"`
	} `json:"media"`
}

type hookReadEvent struct {
	CreatedTimestamp webhookjson.Int `json:"created_timestamp"`
	SenderID         webhookjson.ID  `json:"sender_id"`
	LastReadEventID  webhookjson.ID  `json:"last_read_event_id"`
	Target           struct {
		RecipientID webhookjson.ID `json:"recipient_id"`
	} `json:"target"`
}

type hookUser struct {
	Name       string `json:"name"`
	ScreenName string `json:"screen_name"`
}

// ParseWebhook normalises an Account Activity API body into events.
// AccountNativeID is for_user_id; ThreadID is the one-to-one
// dm_conversation_id "{lower id}-{higher id}"; a message whose sender is the
// account itself is an EventEcho. A message between two other users (or
// with a missing id) is skipped, as are unknown event types and fields. It
// fails only when the body is not a JSON object carrying for_user_id.
func ParseWebhook(body []byte) ([]platform.InboundEvent, error) {
	var env hookEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		var probe struct {
			ForUserID webhookjson.ID `json:"for_user_id"`
		}
		if json.Unmarshal(body, &probe) != nil || probe.ForUserID == "" {
			return nil, ErrNotAccountActivity
		}
		return nil, nil
	}
	me := string(env.ForUserID)
	if me == "" {
		return nil, ErrNotAccountActivity
	}
	var out []platform.InboundEvent
	for _, raw := range env.DMEvents {
		var e hookDMEvent
		if json.Unmarshal(raw, &e) != nil || e.Type != "message_create" || e.ID == "" || e.MessageCreate == nil {
			continue
		}
		mc := e.MessageCreate
		sender, recipient := string(mc.SenderID), string(mc.Target.RecipientID)
		if sender == "" || recipient == "" || (sender != me && recipient != me) {
			continue
		}
		at := webhookjson.Millis(int64(e.CreatedTimestamp))
		if at.IsZero() {
			if t, ok := snowflakeTime(string(e.ID)); ok {
				at = t
			}
		}
		ev := platform.InboundEvent{
			Kind:            platform.EventMessage,
			Platform:        platform.X,
			AccountNativeID: me,
			ThreadID:        oneToOneID(sender, recipient),
			ParticipantID:   sender,
			MessageID:       string(e.ID),
			At:              at,
			Message: platform.Message{
				PlatformID: string(e.ID),
				Direction:  "incoming",
				SenderID:   sender,
				SenderName: userName(env.Users, sender),
				Text:       mc.MessageData.Text,
				CreatedAt:  at,
			},
		}
		if sender == me {
			ev.Kind, ev.ParticipantID = platform.EventEcho, recipient
			ev.Message.Direction, ev.Message.Status = "outgoing", "sent"
		}
		var a hookAttachment
		if webhookjson.Present(mc.MessageData.Attachment) && json.Unmarshal(mc.MessageData.Attachment, &a) == nil && a.Media.MediaURLHTTPS != "" {
			t := "image"
			if a.Media.Type == "video" || a.Media.Type == "animated_gif" {
				t = "video"
			}
			ev.Message.Attachments = []platform.Attachment{{Type: t, URL: a.Media.MediaURLHTTPS}}
		}
		out = append(out, ev)
	}
	for _, raw := range env.ReadEvents {
		var r hookReadEvent
		if json.Unmarshal(raw, &r) != nil || r.SenderID == "" || r.LastReadEventID == "" {
			continue
		}
		reader, other := string(r.SenderID), string(r.Target.RecipientID)
		if other == "" {
			other = me
		}
		// Only the customer reading the business's messages is a receipt;
		// the account's own reads (from another client) are not.
		if reader == me || other != me {
			continue
		}
		out = append(out, platform.InboundEvent{
			Kind:            platform.EventRead,
			Platform:        platform.X,
			AccountNativeID: me,
			ThreadID:        oneToOneID(reader, me),
			ParticipantID:   reader,
			MessageID:       string(r.LastReadEventID),
			At:              webhookjson.Millis(int64(r.CreatedTimestamp)),
		})
	}
	return out, nil
}

// oneToOneID is X's one-to-one dm_conversation_id, "{smaller}-{larger}" by
// numeric value (https://docs.x.com/x-api/direct-messages/lookup/integrate,
// "Conversation types"); ids are decimal strings, so a shorter one is
// smaller.
func oneToOneID(a, b string) string {
	if len(b) < len(a) || (len(a) == len(b) && b < a) {
		a, b = b, a
	}
	return a + "-" + b
}

func userName(users map[string]json.RawMessage, id string) string {
	raw, ok := users[id]
	if !ok {
		return ""
	}
	var u hookUser
	if json.Unmarshal(raw, &u) != nil {
		return ""
	}
	if u.Name != "" {
		return u.Name
	}
	return u.ScreenName
}
