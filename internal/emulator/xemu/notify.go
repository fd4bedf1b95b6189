package xemu

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
)

// WebhookTimeout bounds one webhook POST.
const WebhookTimeout = 5 * time.Second

// ErrWebhook wraps every failure to deliver a webhook: the target was
// unreachable, timed out or answered other than 2xx. The message is recorded
// regardless.
var ErrWebhook = errors.New("xemu: webhook delivery failed")

// SetWebhook makes the emulator POST the Account Activity API event to url
// each time a customer writes (Inbound) or a message is sent through the
// API, signed with consumerSecret in
// x-twitter-webhooks-signature: "sha256=" + base64 HMAC-SHA256 of the body
// (https://developer.x.com/en/docs/x-api/enterprise/account-activity-api/guides/securing-webhooks).
// An empty url turns delivery off.
// SetWebhook sends no CRC (RegisterWebhook does); CheckCRC and RunCRC
// check it later.
func (e *Emulator) SetWebhook(url, consumerSecret string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.hookURL, e.hookSecret, e.hookValid = url, consumerSecret, url != ""
	e.kit.SetWebhook(url, consumerSecret)
}

// Account Activity wire shapes: the envelope
// (https://developer.x.com/en/docs/x-api/enterprise/account-activity-api/guides/account-activity-data-objects)
// and the message_create event
// (https://developer.x.com/content/developer-twitter/en/docs/direct-messages/sending-and-receiving/guides/message-create-object).
type aaaPayload struct {
	ForUserID           string             `json:"for_user_id"`
	DirectMessageEvents []aaaDMEvent       `json:"direct_message_events"`
	Apps                map[string]aaaApp  `json:"apps,omitempty"`
	Users               map[string]aaaUser `json:"users"`
}

// aaaApp is the hydrated application of the `apps` map, keyed by the
// source_app_id of messages sent through the API.
type aaaApp struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	URL  string `json:"url"`
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
	SourceAppID string         `json:"source_app_id,omitempty"`
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

// aaaUser is the hydrated v1.1 user object of the `users` map, every field
// of the data-objects example: id, created_timestamp, name, screen_name,
// location, description, url, protected, verified, followers_count,
// friends_count, statuses_count, profile_image_url and
// profile_image_url_https; absent strings are null as in X's payloads.
type aaaUser struct {
	ID                   string  `json:"id"`
	CreatedTimestamp     string  `json:"created_timestamp"`
	Name                 string  `json:"name"`
	ScreenName           string  `json:"screen_name"`
	Location             *string `json:"location"`
	Description          *string `json:"description"`
	URL                  *string `json:"url"`
	Protected            bool    `json:"protected"`
	Verified             bool    `json:"verified"`
	FollowersCount       int     `json:"followers_count"`
	FriendsCount         int     `json:"friends_count"`
	StatusesCount        int     `json:"statuses_count"`
	ProfileImageURL      *string `json:"profile_image_url"`
	ProfileImageURLHTTPS *string `json:"profile_image_url_https"`
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func aaaUserOf(u *User) aaaUser {
	au := aaaUser{
		ID: u.ID, CreatedTimestamp: strconv.FormatInt(u.CreatedAt.UnixMilli(), 10), Name: u.Name, ScreenName: u.Username,
		Location: nullable(u.Location), Description: nullable(u.Description), URL: nullable(u.URL),
		Protected: u.Protected, Verified: u.Verified,
		FollowersCount: u.FollowersCount, FriendsCount: u.FriendsCount, StatusesCount: u.StatusesCount,
		ProfileImageURLHTTPS: nullable(u.ProfileImageURL),
	}
	if u.ProfileImageURL != "" {
		// The http form X still sends beside the https one.
		plain := strings.Replace(u.ProfileImageURL, "https://", "http://", 1)
		au.ProfileImageURL = &plain
	}
	return au
}

// ErrGroupConversation is returned by WebhookBody for an event of a group
// conversation: "the Enterprise and Premium Account Activity APIs support v2
// one-to-one messages, but do not yet support group conversations"
// (https://docs.x.com/x-api/x-api-v2/direct-messages/manage-direct-messages).
var ErrGroupConversation = errors.New("xemu: Account Activity carries no group conversation events")

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
	if !strings.Contains(c.id, "-") {
		return nil, ErrGroupConversation
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
	var apps map[string]aaaApp
	if ev.ViaAPI {
		// "The source_app_id, recipient_id or sender_id can help determine
		// if the message is incoming or outgoing": messages an app sent
		// name it, hydrated in `apps`.
		dm.MessageCreate.SourceAppID = e.opts.AppID
		apps = map[string]aaaApp{e.opts.AppID: {ID: e.opts.AppID, Name: e.opts.AppName, URL: e.opts.AppURL}}
	}
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
			users[id] = aaaUserOf(u)
		}
	}
	return json.Marshal(aaaPayload{ForUserID: accountUserID, DirectMessageEvents: []aaaDMEvent{dm}, Apps: apps, Users: users})
}

// echo posts a message sent through the API to the webhook, as X does:
// "Events for messages received AND sent to a user will be sent to the
// webhook" (https://developer.x.com/en/docs/x-api/enterprise/account-activity-api/guides/account-activity-data-objects,
// direct_message_events: "when a direct message is sent or received"). One
// payload goes to each participant that is a connected account (holds a
// token), the sender first; group messages are not carried. Delivery
// errors are the webhook owner's to see, not the sender's, so they are
// dropped here as X drops them.
func (e *Emulator) echo(ev Event) {
	if !strings.Contains(ev.ConversationID, "-") {
		return
	}
	e.mu.Lock()
	var targets []string
	for _, id := range append([]string{ev.SenderID}, ev.ParticipantIDs...) {
		if e.isAccountLocked(id) && !slices.Contains(targets, id) {
			targets = append(targets, id)
		}
	}
	if c := e.convs[ev.ConversationID]; c != nil {
		for _, id := range c.participants {
			if e.isAccountLocked(id) && !slices.Contains(targets, id) {
				targets = append(targets, id)
			}
		}
	}
	e.mu.Unlock()
	for _, id := range targets {
		_ = e.notify(id, ev)
	}
}

// isAccountLocked reports whether some token acts for userID.
func (e *Emulator) isAccountLocked(userID string) bool {
	for _, id := range e.tokens {
		if id == userID {
			return true
		}
	}
	return false
}

// notify posts ev's webhook when a target is set. Must be called without
// e.mu held: the receiver may call the emulator's API before it answers.
func (e *Emulator) notify(accountUserID string, ev Event) error {
	return e.kit.Notify(func() ([]byte, error) { return e.WebhookBody(accountUserID, ev) })
}
