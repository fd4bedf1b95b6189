// Package platform defines the one interface every messaging platform adapter
// implements, and the platform-neutral shapes that cross it.
//
// The domain layer (package inbox) only ever talks to an Adapter; everything
// that is specific to the Graph API, the WhatsApp Cloud API, X or LinkedIn lives
// behind it, in the adapter's own package.
package platform

import (
	"context"
	"time"

	"github.com/parleyhq/parley/apitype"
)

// Name identifies a platform. The values are the public `platform` field of the
// REST API.
type Name string

// The platforms Parley knows. The last three have no public DM API; they are
// listed so that GET /v1/platforms can say so and DM calls answer 501.
const (
	Instagram Name = "instagram"
	Messenger Name = "messenger"
	WhatsApp  Name = "whatsapp"
	LinkedIn  Name = "linkedin"
	X         Name = "x"
	TikTok    Name = "tiktok"
	Threads   Name = "threads"
	YouTube   Name = "youtube"
)

// Known reports whether n is a platform Parley knows about (with or without a
// DM API).
func Known(n Name) bool {
	switch n {
	case Instagram, Messenger, WhatsApp, LinkedIn, X, TikTok, Threads, YouTube:
		return true
	}
	return false
}

// HasDMAPI reports whether the platform offers a public direct-message API.
func HasDMAPI(n Name) bool {
	switch n {
	case Instagram, Messenger, WhatsApp, LinkedIn, X:
		return true
	}
	return false
}

// Account is what an adapter needs to act for one connected account. The
// access token is already decrypted; adapters must never log it.
type Account struct {
	// ID is Parley's account id (acct_…).
	ID string
	// Platform is the account's platform.
	Platform Name
	// NativeID is the platform's own id: the Page id for Messenger, the
	// Instagram professional account id, the WhatsApp phone-number id, the
	// LinkedIn organization URN, the X user id.
	NativeID string
	// AccessToken is the decrypted platform token.
	AccessToken string
	// Variant selects an API flavour where a platform offers more than one,
	// e.g. "instagram_login" (graph.instagram.com) or "facebook_login"
	// (graph.facebook.com) for Instagram. Empty means the platform default.
	Variant string
	// BusinessAccountID is the WhatsApp Business Account id that owns the
	// number's message templates; empty on other platforms.
	BusinessAccountID string
}

// Conversation is one thread as the platform reports it.
type Conversation struct {
	// ThreadID is the platform's native thread id.
	ThreadID           string
	ParticipantID      string
	ParticipantName    string
	ParticipantPicture string
	LastMessage        string
	LastMessageAt      time.Time
	// LastInboundAt is the time of the participant's last message, when the
	// platform response lets us know it (zero otherwise).
	LastInboundAt time.Time
	UnreadCount   int
}

// Attachment is a media item of a message; its public shape is apitype's.
type Attachment = apitype.Attachment

// Message is one message of a conversation.
type Message struct {
	PlatformID  string
	Direction   string // "incoming" or "outgoing"
	SenderID    string
	SenderName  string
	Text        string
	Attachments []Attachment
	CreatedAt   time.Time
	Status      string // sent, delivered, read, failed, or "" when unknown
	// StatusAt is when Status last changed, when known (zero otherwise).
	StatusAt time.Time
	// QuickReplies, Buttons and Cards are what an outgoing message offered.
	QuickReplies []apitype.QuickReply
	Buttons      []apitype.Button
	Cards        []apitype.Card
	// ReplyToID is the platform id of the message this one answers.
	ReplyToID string
	// Choice is what the customer tapped (quick reply, button, postback,
	// list item), when the message is such an answer.
	Choice *apitype.Choice
}

// Page is one page of results and the platform's own cursor for the next one
// ("" when there is none).
type Page[T any] struct {
	Items      []T
	NextCursor string
	// Truncated, when set, says why the platform returns no further items
	// although older ones exist (Instagram details only a conversation's
	// 20 most recent messages). NextCursor is then empty.
	Truncated string
}

// Template is a WhatsApp message template reference (the public shape).
type Template = apitype.Template

// Outbound is a message to send. The domain layer has already checked it
// against the platform's Capabilities, so an adapter maps every field it is
// given and never drops one.
type Outbound struct {
	Text string
	// Attachments are the message's media in order. An attachment sent by
	// media id has File set (the bytes, for platforms that take uploads,
	// e.g. WhatsApp's media API) and URL set to a signed, expiring Parley
	// URL (for platforms that fetch by URL).
	Attachments []OutAttachment
	// QuickReplies, Buttons and Cards are the interactive parts.
	QuickReplies []apitype.QuickReply
	Buttons      []apitype.Button
	Cards        []apitype.Card
	// ReplyTo is the platform id of the message this one answers.
	ReplyTo string
	// Tag is a Meta message tag (HUMAN_AGENT, …); empty for a standard
	// in-window reply.
	Tag      string
	Template *Template
}

// RichField names the first interactive field msg carries (quick_replies,
// buttons, cards, reply_to_message_id), or "" for none: an adapter whose
// platform has none of them refuses rather than drop it.
func RichField(msg Outbound) string {
	switch {
	case len(msg.QuickReplies) > 0:
		return "quick_replies"
	case len(msg.Buttons) > 0:
		return "buttons"
	case len(msg.Cards) > 0:
		return "cards"
	case msg.ReplyTo != "":
		return "reply_to_message_id"
	}
	return ""
}

// OutAttachment is one attachment of a send.
type OutAttachment struct {
	Type string
	URL  string
	// File is set when the caller uploaded the media (POST /v1/media).
	File *MediaFile
}

// MediaFile is an uploaded file, decrypted, ready to hand to a platform.
type MediaFile struct {
	ID          string
	Filename    string
	ContentType string
	Data        []byte
}

// Sent is the platform's acknowledgement of a send.
type Sent struct {
	// PlatformID is the id of the message the send is known by: the last
	// platform message when one send needed several (Meta and WhatsApp
	// take one attachment per message; see PlatformIDs).
	PlatformID string
	CreatedAt  time.Time
	// PlatformIDs are every platform message of the send, in the order
	// sent, when there were several; nil for one.
	PlatformIDs []string
}

// Adapter is implemented once per platform. Every method is called with a
// context that carries the caller's deadline; adapters must honour it.
//
// Errors returned should be *apierr.Error values with a platform.<name>.*
// code (or account.reauth_required for token failures); anything else is
// reported as a platform failure.
type Adapter interface {
	// ListConversations pages through an account's threads, newest first.
	ListConversations(ctx context.Context, acct Account, cursor string, limit int) (Page[Conversation], error)
	// GetConversation reads one thread's metadata.
	GetConversation(ctx context.Context, acct Account, threadID string) (Conversation, error)
	// ListMessages pages through a thread's messages, newest first.
	ListMessages(ctx context.Context, acct Account, threadID string, cursor string, limit int) (Page[Message], error)
	// Send delivers a message to the thread's participant.
	Send(ctx context.Context, acct Account, conv Conversation, msg Outbound) (Sent, error)
	// MarkRead marks the thread as seen by the business.
	MarkRead(ctx context.Context, acct Account, conv Conversation) error
}

// Registry maps platforms to their adapters. A platform missing from the map
// has no adapter configured in this deployment.
type Registry map[Name]Adapter

// TemplateInfo is a message template as the platform lists it (the
// public shape).
type TemplateInfo = apitype.TemplateInfo

// TemplateLister is implemented by adapters whose platform has message
// templates (WhatsApp).
type TemplateLister interface {
	ListTemplates(ctx context.Context, acct Account) ([]TemplateInfo, error)
}

// Inbound event kinds, normalised from every platform's webhooks.
const (
	EventMessage   = "message"   // a customer wrote to the business
	EventEcho      = "echo"      // the business's own send, echoed back
	EventDelivered = "delivered" // a business message reached the customer
	EventRead      = "read"      // the customer read up to a message
	EventFailed    = "failed"    // a business message could not be delivered
	EventSent      = "sent"      // WhatsApp: accepted for delivery
	EventReaction  = "reaction"  // the customer reacted to a message, or took the reaction back
	EventEdited    = "edited"    // the customer edited one of their messages
	EventDeleted   = "deleted"   // the customer unsent (deleted) one of their messages
	EventReferral  = "referral"  // the customer opened an existing thread from an ad, link or CTA
)

// Reaction is a customer's reaction to a message (Meta's message_reactions).
type Reaction struct {
	// Action is "react" or "unreact".
	Action string
	// Emoji is the reaction's emoji; it may be empty on an unreact.
	Emoji string
	// Name is Meta's category of the emoji (like, love, smile, wow, sad,
	// angry, dislike, other); empty when the platform gave none.
	Name string
}

// InboundEvent is one normalised webhook event. Parsers fill what the
// platform says and leave the rest zero; one bad item never drops the others.
type InboundEvent struct {
	Kind     string
	Platform Name
	// AccountNativeID is the business side: Page id, Instagram account id,
	// WhatsApp phone-number id, X for_user_id, LinkedIn organization URN.
	AccountNativeID string
	// ThreadID is the native thread id when the payload carries it (WhatsApp:
	// the customer's wa_id; X: the dm_conversation_id); empty for Meta, whose
	// webhooks name only the participant, and for a WhatsApp user whose
	// phone number the webhook withholds (username users).
	ThreadID string
	// ParticipantID is the customer's platform id: PSID/IGSID on Meta, the
	// business-scoped user id (BSUID) on WhatsApp when the webhook carries
	// one (else the wa_id). With ThreadID empty the thread is the one last
	// seen with this participant.
	ParticipantID string
	// ParticipantFirst says the thread already seen with ParticipantID wins
	// over ThreadID: a WhatsApp user's business-scoped id outlives the phone
	// number a thread was begun with, and stays when the number is withheld.
	ParticipantFirst bool
	// Message is set for EventMessage and EventEcho.
	Message Message
	// MessageID is the platform message a status event refers to (or the
	// message's own id).
	MessageID string
	At        time.Time
	// Referral is set when a message came from an ad or Page call-to-action
	// (Click-to-WhatsApp, Click-to-Messenger).
	Referral bool
	// PricingCategory and Billable come from WhatsApp status webhooks.
	PricingCategory string
	Billable        *bool
	// ErrorCode and ErrorTitle describe a failed delivery; ErrorDetails is
	// the platform's explanation in words, when it gives one.
	ErrorCode    int
	ErrorTitle   string
	ErrorDetails string
	// Reaction is set for EventReaction; MessageID is the message reacted to.
	Reaction *Reaction
	// EditCount is, for EventEdited, how many times the message has been
	// edited; Message.Text is its new text and MessageID its id.
	EditCount int
	// Standby is set when Meta delivered the event on the standby channel
	// (handover protocol): another app owns the thread, so this app's
	// replies are refused until it takes or is passed thread control.
	Standby bool
	// ParticipantUsername is the customer's username, when they chose one
	// (WhatsApp usernames).
	ParticipantUsername string
}

// ThreadResolver is implemented by adapters whose webhooks name a
// participant but not the thread (Meta): it finds the thread id.
type ThreadResolver interface {
	ResolveThread(ctx context.Context, acct Account, participantID string) (string, error)
}
