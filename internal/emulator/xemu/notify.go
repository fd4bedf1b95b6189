package xemu

import (
	"encoding/json"
	"errors"
	"strconv"
	"time"
)

// WebhookTimeout bounds one webhook POST.
const WebhookTimeout = 5 * time.Second

// ErrWebhook wraps every failure to deliver a webhook: the target was
// unreachable, timed out or answered other than 2xx. The message is recorded
// regardless.
var ErrWebhook = errors.New("xemu: webhook delivery failed")

// SetWebhook makes the emulator POST the Account Activity API event to url
// each time a customer writes (Inbound), signed with consumerSecret in
// x-twitter-webhooks-signature: "sha256=" + base64 HMAC-SHA256 of the body
// (https://developer.x.com/en/docs/x-api/enterprise/account-activity-api/guides/securing-webhooks).
// An empty url turns delivery off.
func (e *Emulator) SetWebhook(url, consumerSecret string) { e.kit.SetWebhook(url, consumerSecret) }

// Account Activity wire shapes: the envelope
// (https://developer.x.com/en/docs/x-api/enterprise/account-activity-api/guides/account-activity-data-objects)
// and the message_create event
// (https://developer.x.com/content/developer-twitter/en/docs/direct-messages/sending-and-receiving/guides/message-create-object).
type aaaPayload struct {
	ForUserID           string             `json:"for_user_id"`
	DirectMessageEvents []aaaDMEvent       `json:"direct_message_events"`
	Users               map[string]aaaUser `json:"users"`
}

type aaaDMEvent struct {
	Type             string           `json:"type"`
	ID               string           `json:"id"`
	CreatedTimestamp string           `json:"created_timestamp"`
	MessageCreate    aaaMessageCreate `json:"message_create"`
}

type aaaMessageCreate struct {
	Target struct {
		RecipientID string `json:"recipient_id"`
	} `json:"target"`
	SenderID    string         `json:"sender_id"`
	MessageData aaaMessageData `json:"message_data"`
}

type aaaMessageData struct {
	Text       string         `json:"text"`
	Entities   aaaEntities    `json:"entities"`
	Attachment *aaaAttachment `json:"attachment,omitempty"`
}

type aaaEntities struct {
	Hashtags     []any `json:"hashtags"`
	Symbols      []any `json:"symbols"`
	UserMentions []any `json:"user_mentions"`
	URLs         []any `json:"urls"`
}

type aaaAttachment struct {
	Type  string   `json:"type"`
	Media aaaMedia `json:"media"`
}

type aaaMedia struct {
	ID            int64  `json:"id"`
	IDStr         string `json:"id_str"`
	MediaURLHTTPS string `json:"media_url_https"`
	Type          string `json:"type"`
}

// aaaUser is the hydrated v1.1 user object of the `users` map.
type aaaUser struct {
	ID                   string `json:"id"`
	CreatedTimestamp     string `json:"created_timestamp"`
	Name                 string `json:"name"`
	ScreenName           string `json:"screen_name"`
	Protected            bool   `json:"protected"`
	Verified             bool   `json:"verified"`
	ProfileImageURLHTTPS string `json:"profile_image_url_https,omitempty"`
}

// WebhookBody builds the Account Activity API body X would POST to the
// webhook of accountUserID for a message_create event ev (as returned by
// Inbound), with both users hydrated in `users`.
func (e *Emulator) WebhookBody(accountUserID string, ev Event) ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.convs[ev.ConversationID]
	if c == nil || ev.Type != MessageCreate || !c.has(accountUserID) || !c.has(ev.SenderID) {
		return nil, ErrUnknownUser
	}
	recipient := ""
	for _, p := range c.participants {
		if p != ev.SenderID {
			recipient = p
			break
		}
	}
	dm := aaaDMEvent{Type: "message_create", ID: ev.ID, CreatedTimestamp: strconv.FormatInt(ev.CreatedAt.UnixMilli(), 10)}
	dm.MessageCreate.Target.RecipientID = recipient
	dm.MessageCreate.SenderID = ev.SenderID
	dm.MessageCreate.MessageData = aaaMessageData{Text: ev.Text, Entities: aaaEntities{Hashtags: []any{}, Symbols: []any{}, UserMentions: []any{}, URLs: []any{}}}
	if len(ev.MediaIDs) > 0 {
		if m, ok := e.media[ev.MediaIDs[0]]; ok {
			n, _ := strconv.ParseInt(m.ID, 10, 64)
			dm.MessageCreate.MessageData.Attachment = &aaaAttachment{Type: "media", Media: aaaMedia{ID: n, IDStr: m.ID, MediaURLHTTPS: m.URL, Type: m.Type}}
		}
	}
	users := map[string]aaaUser{}
	for _, id := range []string{ev.SenderID, recipient} {
		if u := e.users[id]; u != nil {
			au := aaaUser{ID: u.ID, Name: u.Name, ScreenName: u.Username, Protected: u.Protected, Verified: u.Verified, ProfileImageURLHTTPS: u.ProfileImageURL}
			if !u.CreatedAt.IsZero() {
				au.CreatedTimestamp = strconv.FormatInt(u.CreatedAt.UnixMilli(), 10)
			}
			users[id] = au
		}
	}
	return json.Marshal(aaaPayload{ForUserID: accountUserID, DirectMessageEvents: []aaaDMEvent{dm}, Users: users})
}

// notify posts ev's webhook when a target is set. Must be called without
// e.mu held: the receiver may call the emulator's API before it answers.
func (e *Emulator) notify(accountUserID string, ev Event) error {
	return e.kit.Notify(func() ([]byte, error) { return e.WebhookBody(accountUserID, ev) })
}
