package apitype

import "time"

// Conversation is the public shape of a conversation (DESIGN §1).
type Conversation struct {
	// ID is Parley's conversation id (sapi_dm_…), stable for the account.
	ID string `json:"id"`
	// AccountID is the connected account the conversation belongs to.
	AccountID string `json:"account_id"`
	// BrandID is that account's brand.
	BrandID string `json:"brand_id"`
	// Platform is the account's platform (instagram, messenger, …).
	Platform string `json:"platform"`
	// PlatformID is the platform's own thread id.
	PlatformID string `json:"platform_id"`
	// ParticipantID is the customer's id on the platform.
	ParticipantID string `json:"participant_id"`
	// ParticipantName is the customer's name, when the platform gives it.
	ParticipantName string `json:"participant_name"`
	// ParticipantPicture is the customer's picture URL, when given.
	ParticipantPicture string `json:"participant_picture"`
	// LastMessage is the newest message's text.
	LastMessage string `json:"last_message"`
	// LastMessageAt is when the newest message was sent; null when unknown.
	LastMessageAt *time.Time `json:"last_message_at"`
	// UnreadCount counts the customer's messages not yet marked read.
	UnreadCount int `json:"unread_count"`
	// Status is "active" or "archived". The platforms expose no archive
	// state: archiving is Parley's own (PATCH /v1/inbox/conversations/{id}),
	// and a new message from the customer makes the conversation active
	// again.
	Status string `json:"status" jsonschema:"active or archived (archived in Parley with PATCH /v1/inbox/conversations/{id}; a new message from the customer makes it active again)"`
	// CreatedAt is when the conversation started; null when unknown.
	CreatedAt *time.Time `json:"created_at"`
	// UpdatedAt is when the conversation last changed; null when unknown.
	UpdatedAt *time.Time `json:"updated_at"`
	// ReplyWindow is what a send may do now.
	ReplyWindow ReplyWindow `json:"reply_window"`
}

// ReplyWindow is the `reply_window` object of DESIGN §1: what a send may do
// now, so a UI or agent can tell before it tries.
type ReplyWindow struct {
	// Open is true when a standard reply (no tag, no template) may be sent.
	Open bool `json:"open"`
	// ClosesAt is when the standard (Meta) or customer service (WhatsApp)
	// window closes, or closed if Open is false; null when the platform has
	// no window or no inbound message is known.
	ClosesAt *time.Time `json:"closes_at"`
	// HumanAgentUntil is until when a person may still reply with the
	// HUMAN_AGENT tag; null when that is not (or no longer) possible.
	HumanAgentUntil *time.Time `json:"human_agent_until"`
	// AllowedTags are the tags a send may use now (HUMAN_AGENT for people only).
	AllowedTags []string `json:"allowed_tags"`
	// RequiresTemplate is true when only an approved WhatsApp template may be sent.
	RequiresTemplate bool `json:"requires_template"`
	// EntryPointUntil (WhatsApp) is when an open free entry point window
	// ends; omitted when there is none.
	EntryPointUntil *time.Time `json:"entry_point_until,omitempty"`
}

// Message is the public shape of a message (DESIGN §1).
type Message struct {
	// ID is the message's id; the platform's own.
	ID string `json:"id"`
	// ConversationID is the conversation the message belongs to.
	ConversationID string `json:"conversation_id"`
	// PlatformID is the platform's message id.
	PlatformID string `json:"platform_id"`
	// Direction is "incoming" (from the customer) or "outgoing".
	Direction string `json:"direction"`
	// SenderID is the sender's id on the platform.
	SenderID string `json:"sender_id"`
	// SenderName is the sender's name, when known.
	SenderName string `json:"sender_name"`
	// Text is the message text.
	Text string `json:"text"`
	// Attachments are the message's media; [] when there are none.
	Attachments []Attachment `json:"attachments"`
	// CreatedAt is when the message was sent.
	CreatedAt time.Time `json:"created_at"`
	// Status is sent, delivered, read or failed; omitted when unknown.
	Status string `json:"status,omitempty"`
	// StatusUpdatedAt is when Status last changed, when Parley saw it change
	// (a delivery or read receipt, or the send itself).
	StatusUpdatedAt *time.Time `json:"status_updated_at,omitempty"`
	// AttachmentType and AttachmentURL repeat the first attachment, the
	// shape hosted DM APIs answer; omitted when there is none.
	AttachmentType string `json:"attachment_type,omitempty"`
	AttachmentURL  string `json:"attachment_url,omitempty"`
	// ReplyToMessageID is the platform id of the message this one answers,
	// when the platform says so (Instagram/Messenger reply_to, WhatsApp
	// context, X quoted reply).
	ReplyToMessageID string `json:"reply_to_message_id,omitempty"`
	// Choice is set when the customer tapped a quick reply, a button, a
	// postback or a list item: what they chose and its payload.
	Choice *Choice `json:"choice,omitempty"`
	// QuickReplies, Buttons and Cards are what an outgoing message offered.
	QuickReplies []QuickReply `json:"quick_replies,omitempty"`
	Buttons      []Button     `json:"buttons,omitempty"`
	Cards        []Card       `json:"cards,omitempty"`
	// PartIDs are, when one send posted several platform messages (Meta
	// and WhatsApp take one attachment per message), all their ids in
	// order; ID is the last. Omitted for a single message.
	PartIDs []string `json:"part_ids,omitempty"`
	// Replayed is true when an Idempotency-Key answered with a stored
	// outcome instead of sending. It is not part of the JSON body: REST
	// reports it in the Idempotent-Replayed header.
	Replayed bool `json:"-"`
}

// Attachment is one attachment, by URL or (on a send) by an uploaded
// media id.
type Attachment struct {
	// Type is image, video, audio or file.
	Type string `json:"type"`
	// URL is where the media is (absolute http(s)). On a send, give URL or
	// MediaID, not both.
	URL string `json:"url"`
	// MediaID names a file uploaded with POST /v1/media (sends only).
	MediaID string `json:"media_id,omitempty"`
}

// QuickReply is one quick-reply chip offered under a message: the customer
// taps it and Parley reports a message.received with its payload.
type QuickReply struct {
	// Title is what the customer sees (Messenger/Instagram: 20 characters).
	Title string `json:"title"`
	// Payload is what comes back when it is tapped.
	Payload string `json:"payload"`
}

// Button is one button of a message or a card.
type Button struct {
	// Type is url (opens URL) or postback (sends Payload back).
	Type string `json:"type"`
	// Title is the button's label.
	Title string `json:"title"`
	// URL is opened by a url button.
	URL string `json:"url,omitempty"`
	// Payload comes back when a postback button is tapped.
	Payload string `json:"payload,omitempty"`
}

// Card is one element of a carousel (Meta's generic template).
type Card struct {
	Title    string   `json:"title"`
	Subtitle string   `json:"subtitle,omitempty"`
	ImageURL string   `json:"image_url,omitempty"`
	Buttons  []Button `json:"buttons,omitempty"`
}

// Choice is what a customer tapped.
type Choice struct {
	// Type is quick_reply, button (a reply or postback button) or
	// list_item (a WhatsApp list row).
	Type string `json:"type"`
	// Title is the label the customer tapped, when the platform gives it.
	Title string `json:"title,omitempty"`
	// Payload is the payload (or id) the business attached to it.
	Payload string `json:"payload"`
}

// Template is a WhatsApp message template to send.
type Template struct {
	// Name is the approved template's name.
	Name string `json:"name"`
	// Language is its language code, e.g. en_US.
	Language string `json:"language"`
	// Components fill the template's parameters, in WhatsApp's own shape.
	Components []map[string]any `json:"components,omitempty"`
}

// TemplateInfo is one of an account's WhatsApp message templates.
type TemplateInfo struct {
	// Name is the template's name.
	Name string `json:"name"`
	// Language is its language code.
	Language string `json:"language"`
	// Status is the review status, e.g. APPROVED.
	Status string `json:"status"`
	// Category is the pricing category: marketing, utility or authentication.
	Category string `json:"category"`
	// Components are the template's parts, in WhatsApp's own shape.
	Components []map[string]any `json:"components,omitempty"`
}

// SendInput is the body of POST /v1/inbox/conversations/{id}/messages.
type SendInput struct {
	// Text is the message text.
	Text string `json:"text,omitempty" jsonschema:"message text"`
	// Attachment is one attachment by URL.
	Attachment *Attachment `json:"attachment,omitempty" jsonschema:"one attachment by URL: type is image, video, audio or file"`
	// Tag is a Meta message tag, for sends outside the standard window.
	Tag string `json:"tag,omitempty" jsonschema:"Meta message tag for sends outside the 24 h window: HUMAN_AGENT (a person, within 7 days of the customer's last message). CONFIRMED_EVENT_UPDATE, POST_PURCHASE_UPDATE and ACCOUNT_UPDATE were retired by Meta in 2026 and are refused with 422 conversation.tag_retired"`
	// Template is a WhatsApp template to send.
	Template *Template `json:"template,omitempty" jsonschema:"WhatsApp template: name, language, components"`
	// Automated is true when no human wrote this message.
	Automated bool `json:"automated,omitempty" jsonschema:"true when no human wrote this message (HUMAN_AGENT is then refused)"`
	// Attachments are several attachments, each by URL or media id.
	Attachments []Attachment `json:"attachments,omitempty" jsonschema:"attachments, each {type, url} or {type, media_id} from POST /v1/media"`
	// QuickReplies are chips offered under the message.
	QuickReplies []QuickReply `json:"quick_replies,omitempty" jsonschema:"quick replies {title, payload}; the tap comes back as message.received with choice.payload"`
	// Buttons are buttons under the message.
	Buttons []Button `json:"buttons,omitempty" jsonschema:"buttons {type: url|postback, title, url|payload}"`
	// Cards are a carousel.
	Cards []Card `json:"cards,omitempty" jsonschema:"carousel cards {title, subtitle, image_url, buttons}"`
	// ReplyToMessageID is the platform id of the message this one answers.
	ReplyToMessageID string `json:"reply_to_message_id,omitempty" jsonschema:"the platform id of the message this one replies to"`
	// AccountID, AttachmentURL, AttachmentType and MessageTag are the hosted
	// DM API's names (account_id is checked against the conversation;
	// attachment_url/attachment_type are one attachment; message_tag is tag).
	AccountID      string `json:"account_id,omitempty" jsonschema:"optional; when given it must be the conversation's account"`
	AttachmentURL  string `json:"attachment_url,omitempty" jsonschema:"shorthand for one attachment by URL"`
	AttachmentType string `json:"attachment_type,omitempty" jsonschema:"type of attachment_url: image, video, audio or file (default file)"`
	MessageTag     string `json:"message_tag,omitempty" jsonschema:"alias of tag"`
	// IdempotencyKey comes from the Idempotency-Key header (REST) or the
	// tool argument (MCP), never from the JSON body.
	IdempotencyKey string `json:"-"`
	// DryRun runs every rule the send would (the reply window, tags,
	// templates, rate ceilings, without using them up) and answers the
	// message that would be sent, with status "dry_run", or the refusal,
	// without calling the platform or recording anything.
	DryRun bool `json:"dry_run,omitempty" jsonschema:"true: check every rule and answer the message that would be sent (status dry_run) or the refusal, without sending or recording anything"`
}

// MessageEvent is the data of message.* events.
type MessageEvent struct {
	// AccountID is the account the message belongs to.
	AccountID string `json:"account_id"`
	// Platform is the account's platform.
	Platform string `json:"platform"`
	// ConversationID is the message's conversation.
	ConversationID string `json:"conversation_id"`
	// Message is the message (message.received and message.sent).
	Message *Message `json:"message,omitempty"`
	// MessageID names the message a status, reaction, edit or deletion
	// refers to.
	MessageID string `json:"message_id,omitempty" jsonschema:"the message a status, reaction, edit or deletion refers to"`
	// Status is delivered, read or failed (status events).
	Status string `json:"status,omitempty"`
	// StatusUpdatedAt is when the platform says the status changed (status
	// events), the time a message's status_updated_at then shows.
	StatusUpdatedAt *time.Time `json:"status_updated_at,omitempty" jsonschema:"when the status changed, by the platform's receipt (status events)"`
	// Reaction is the customer's reaction (message.reaction).
	Reaction *Reaction `json:"reaction,omitempty" jsonschema:"the customer's reaction (message.reaction)"`
	// Text is the message's new text (message.edited).
	Text string `json:"text,omitempty" jsonschema:"the edited message's new text (message.edited)"`
	// EditCount is how many times the message has been edited (message.edited).
	EditCount int `json:"edit_count,omitempty" jsonschema:"how many times the customer has edited the message (message.edited; Messenger allows 5)"`
	// Standby is true when Meta delivered the message on the handover
	// protocol's standby channel: another app owns the conversation.
	Standby bool `json:"standby,omitempty" jsonschema:"true when the message came on Meta's standby channel: another app owns the conversation (handover protocol), and replies are refused until it passes control"`
	// ParticipantUsername is the customer's WhatsApp username, when they
	// chose one.
	ParticipantUsername string `json:"participant_username,omitempty" jsonschema:"the customer's WhatsApp username, when they chose one"`
	// PricingCategory is WhatsApp's pricing category, when it reports one.
	PricingCategory string `json:"pricing_category,omitempty"`
	// Billable is whether WhatsApp bills the message, when it reports it.
	Billable *bool `json:"billable,omitempty"`
	// ErrorCode is the platform's error code of a failed message.
	ErrorCode int `json:"error_code,omitempty"`
	// ErrorTitle is the platform's description of that error.
	ErrorTitle string `json:"error_title,omitempty"`
	// ErrorDetails is the platform's explanation of it, in words.
	ErrorDetails string `json:"error_details,omitempty" jsonschema:"the platform's explanation of the failure, e.g. WhatsApp's error_data.details"`
}

// Reaction is a customer's reaction to a message (message.reaction).
type Reaction struct {
	// Action is react or unreact.
	Action string `json:"action" jsonschema:"react, or unreact when the customer took the reaction back"`
	// Emoji is the reaction; it may be absent on unreact.
	Emoji string `json:"emoji,omitempty" jsonschema:"the emoji; may be absent on unreact"`
	// Name is Meta's category of the emoji.
	Name string `json:"name,omitempty" jsonschema:"Meta's category of the emoji: like, love, smile, wow, sad, angry, dislike or other"`
}

// Conversation statuses: Parley-side, since the platforms expose no archive
// state through their APIs.
const (
	ConversationActive   = "active"
	ConversationArchived = "archived"
)

// ConversationUpdate is the body of PATCH /v1/inbox/conversations/{id}.
type ConversationUpdate struct {
	// Status is "archived" to archive the conversation, "active" to bring
	// it back.
	Status string `json:"status" jsonschema:"archived to archive the conversation (kept in Parley: the platforms expose no archive state); active to unarchive it. A new message from the customer makes it active again"`
}

// ConversationUpdated answers PATCH /v1/inbox/conversations/{id}: the
// conversation in data and, beside it, the hosted DM API's {"ok": true}.
type ConversationUpdated struct {
	// Data is the conversation as it is now.
	Data Conversation `json:"data"`
	// OK is always true on success, for clients written against the hosted
	// DM API's documented answer.
	OK bool `json:"ok" jsonschema:"always true: the hosted DM API's success flag"`
}

// Sent answers POST /v1/inbox/conversations/{id}/messages: the message in
// data and, beside it, the names a client written against the hosted DM
// API's documented examples reads.
type Sent struct {
	// Data is the message as sent.
	Data Message `json:"data"`
	// Success is always true on success.
	Success bool `json:"success" jsonschema:"always true: the hosted DM API's success flag"`
	// MessageID is the sent message's id (data.id).
	MessageID string `json:"message_id" jsonschema:"the sent message's id, the same as data.id"`
	// MessageIDs lists the send's message ids, as the hosted DM API does:
	// every platform message where the platform needed several for one send
	// (Meta and WhatsApp take one attachment per message), in order, the
	// last being MessageID.
	MessageIDs []string `json:"message_ids" jsonschema:"the ids of every platform message the send posted, in order (Meta and WhatsApp take one attachment per message); message_id is the last"`
}

// NewSent is the answer to a send of m.
func NewSent(m Message) Sent {
	ids := m.PartIDs
	if len(ids) == 0 {
		ids = []string{m.ID}
	}
	return Sent{Data: m, Success: true, MessageID: m.ID, MessageIDs: ids}
}
