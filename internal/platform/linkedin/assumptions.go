package linkedin

import "encoding/json"

// This file holds EVERY assumption the adapter makes about LinkedIn's
// organisation (Pages) messaging API that the public documentation does not
// pin down. LinkedIn's messaging APIs are restricted to approved partners
// ("Usage of this API is restricted to approved partners, subject to
// limitations via API agreement" —
// https://learn.microsoft.com/en-us/linkedin/shared/integrations/communications/messages),
// and the partner documentation for organisation inboxes is not public.
//
// Each constant or type below says whether it is DOCUMENTED (with the URL) or
// ASSUMED. When a partner confirms the real shapes, correct them here; the
// emulator (internal/emulator/liemu) implements the same assumed shapes and
// must be changed alongside.

// DefaultBaseURL is LinkedIn's API host. DOCUMENTED: versioned APIs live under
// https://api.linkedin.com/rest/ —
// https://learn.microsoft.com/en-us/linkedin/talent/versioning-announcement
const DefaultBaseURL = "https://api.linkedin.com"

// DefaultVersion is the LinkedIn-Version header value (YYYYMM). DOCUMENTED:
// every versioned call must send it, and a sunset version is answered with
// 426 NONEXISTENT_VERSION —
// https://learn.microsoft.com/en-us/linkedin/marketing/versioning and e.g.
// https://github.com/n8n-io/n8n/issues/14678 for the 426 body. LinkedIn asks
// integrators to keep it configurable (see Adapter.WithVersion). ASSUMED: that
// the messaging endpoints accept the same monthly versions as the Community
// Management APIs.
const DefaultVersion = "202509"

// Header names. DOCUMENTED: "LinkedIn-Version" (versioning page above) and
// "X-Restli-Protocol-Version: 2.0.0" —
// https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/protocol-version
const (
	headerVersion    = "LinkedIn-Version"
	headerProtocol   = "X-Restli-Protocol-Version"
	protocolVersion  = "2.0.0"
	headerRestliID   = "X-RestLi-Id" // Rest.li CREATE answers the new key in this header (ASSUMED for /rest/messages; it is the Rest.li convention).
	headerTraceID    = "X-Li-Uuid"   // ASSUMED: LinkedIn's per-request id header; used only as meta.trace_id.
	headerRetryAfter = "Retry-After" // ASSUMED: LinkedIn does not document a Retry-After on 429; we read it when present.
)

// Paths. ASSUMED except where noted.
//
//   - pathConversations with the finder q=organization&organization={orgURN}
//     lists an organisation's threads. ASSUMED: the public docs name no
//     conversation-listing endpoint for organisations; FINDER methods with
//     q={finderName} are DOCUMENTED at
//     https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/methods
//   - pathConversations + "/" + encoded thread URN reads one thread (Rest.li GET
//     by key; the key is URL-encoded as protocol 2.0 requires —
//     https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/protocol-version).
//   - pathMessages with q=thread&thread={threadURN} lists a thread's messages.
//     ASSUMED.
//   - POST pathMessages creates a message. DOCUMENTED as the Messages API
//     (fields recipients, subject, body, attachments, thread) —
//     https://learn.microsoft.com/en-us/linkedin/shared/integrations/communications/messages
//     ASSUMED: that an organisation sends by naming itself as `author`.
const (
	pathConversations = "/rest/conversations"
	pathMessages      = "/rest/messages"
	finderOrg         = "organization"
	finderThread      = "thread"
)

// Paging. DOCUMENTED: start/count query parameters, default count 10, response
// `paging {start,count,total?,links?}` and `elements`; the end of the data set
// is a page with fewer elements than count —
// https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/pagination
// ASSUMED: the maximum count the messaging endpoints accept (we never ask for
// more than maxCount; a smaller page is handled by the end-of-data rule).
const maxCount = 100

// Ordering. ASSUMED: both finders answer newest first (conversations by last
// activity, messages by creation time), as LinkedIn's own inbox does. The
// adapter does not re-sort, because re-sorting one page cannot fix the order
// across pages.

// wireConversation is one element of the conversations finder. ASSUMED shape:
// the thread URN as `id` (urn:li:messagingThread:… is DOCUMENTED as the thread
// id in the compliance message events —
// https://learn.microsoft.com/en-us/linkedin/compliance/integrations/compliance-events/resource-references/messages),
// the participants with their display fields inlined (LinkedIn would normally
// need a projection/decoration; the field names follow the Profile API's
// localizedFirstName/localizedLastName, and profilePicture is ASSUMED to be a
// plain URL), epoch-millisecond times (LinkedIn's convention for createdAt),
// an unreadCount and the lastMessage.
type wireConversation struct {
	ID             string            `json:"id"`
	Participants   []wireParticipant `json:"participants"`
	CreatedAt      int64             `json:"createdAt"`
	LastActivityAt int64             `json:"lastActivityAt"`
	UnreadCount    int               `json:"unreadCount"`
	LastMessage    *wireMessage      `json:"lastMessage,omitempty"`
}

// wireParticipant is one member of a thread. ASSUMED shape (see above).
// Organisations carry localizedName; people carry first/last names.
type wireParticipant struct {
	Participant        string `json:"participant"`
	LocalizedName      string `json:"localizedName,omitempty"`
	LocalizedFirstName string `json:"localizedFirstName,omitempty"`
	LocalizedLastName  string `json:"localizedLastName,omitempty"`
	ProfilePicture     string `json:"profilePicture,omitempty"`
}

// wireMessage is one message element. DOCUMENTED field names and meanings from
// LinkedIn's Message Schema (id, thread, author, owner, createdAt, deliveredAt,
// content{format, fallback, formatVersion, content}, attachments as
// digitalMediaAsset URNs) —
// https://learn.microsoft.com/en-us/linkedin/shared/references/v2/message-schema
// ASSUMED: that the messages finder returns this same schema. For format TEXT
// the docs say `content.content` is null and the text is in `fallback`.
type wireMessage struct {
	ID          string      `json:"id"`
	Thread      string      `json:"thread"`
	Author      string      `json:"author"`
	Owner       string      `json:"owner,omitempty"`
	CreatedAt   int64       `json:"createdAt"`
	DeliveredAt int64       `json:"deliveredAt,omitempty"`
	ReadAt      int64       `json:"readAt,omitempty"`
	Content     wireContent `json:"content"`
	Attachments []string    `json:"attachments,omitempty"`
}

// wireContent is a message's content (DOCUMENTED, see wireMessage).
type wireContent struct {
	Format        string          `json:"format"`
	Fallback      string          `json:"fallback"`
	FormatVersion int             `json:"formatVersion,omitempty"`
	Content       *wireContentStr `json:"content,omitempty"`
}

// wireContentStr is the union wrapper the compliance samples show
// ({"string": "…"}).
type wireContentStr struct {
	String string `json:"string"`
}

// wireCreateMessage is the POST /rest/messages body. DOCUMENTED: `thread` for
// a reply ("recipients … must be omitted if thread is present"), `body` for
// the text, `attachments` as digitalMediaAsset URNs —
// https://learn.microsoft.com/en-us/linkedin/shared/integrations/communications/messages
// ASSUMED: `author` naming the organisation URN to send as the Page.
type wireCreateMessage struct {
	Author string `json:"author"`
	Thread string `json:"thread"`
	Body   string `json:"body"`
}

// Attachments. DOCUMENTED: message attachments are digitalMediaAsset URNs that
// must be uploaded first (message-schema page above), not URLs. So the
// adapter cannot send an attachment by URL and answers 422
// validation.attachment_not_supported. Incoming attachment URNs are reported
// as Attachment{Type: "file", URL: <the URN>} (ASSUMED: no download URL is
// available without a further Assets API call).
const attachmentTypeForURN = "file"

// MarkRead. No public endpoint marks an organisation thread as read, so
// MarkRead is a no-op that succeeds (ASSUMED; replace when a partner endpoint
// is confirmed).

// Error bodies. DOCUMENTED: {"status", "serviceErrorCode", "message"} —
// https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/error-handling
// and a `code` string seen on real responses (REVOKED_ACCESS_TOKEN with
// serviceErrorCode 65601 —
// https://github.com/jclusso/omniauth-linkedin-openid/issues/6; Invalid access
// token 65600 — https://github.com/xcarpentier/react-native-linkedin/issues/80;
// 429 "Resource level throttle limit…" serviceErrorCode 101 —
// https://github.com/Automattic/wp-calypso/issues/32007).
type wireError struct {
	Status           int    `json:"status"`
	ServiceErrorCode int    `json:"serviceErrorCode"`
	Code             string `json:"code"`
	Message          string `json:"message"`
}

// Webhooks. DOCUMENTED: registration, the challengeCode validation and the
// X-LI-Signature header (hex HMAC-SHA256 keyed with the clientSecret over
// "hmacsha256=" + body) —
// https://learn.microsoft.com/en-us/linkedin/shared/api-guide/webhook-validation
// — and one organisation event family, ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS
// (likes, comments, shares, mentions; no messages), whose push body is
// {"type": "...", "notifications": [{notificationId, organizationalEntity,
// action, lastModifiedAt, …}]} —
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-social-action-notifications
//
// ASSUMED: no public webhook carries organisation messages, so Parley defines
// one in the same envelope. The event type is WebhookTypeMessages; each
// notification names the organisation (organizationalEntity), an action
// (WebhookActionMessageCreated), lastModifiedAt (epoch ms), the message in
// the Message Schema shape the adapter already reads (wireMessage), and the
// author's display fields (decoratedAuthor, wireParticipant's shape). The
// emulator (liemu) sends exactly this; the parser skips every other type
// and action.
const (
	WebhookTypeMessages         = "ORGANIZATION_MESSAGE_NOTIFICATIONS" // ASSUMED
	WebhookActionMessageCreated = "MESSAGE_CREATED"                    // ASSUMED
)

// wireNotifications is the push body (envelope DOCUMENTED for social
// actions, ASSUMED for messages; see above).
type wireNotifications struct {
	Type          string            `json:"type"`
	Notifications []json.RawMessage `json:"notifications"`
}

// wireMessageNotification is one message notification. ASSUMED shape.
type wireMessageNotification struct {
	NotificationID       int64            `json:"notificationId"`
	OrganizationalEntity string           `json:"organizationalEntity"`
	Action               string           `json:"action"`
	LastModifiedAt       int64            `json:"lastModifiedAt"`
	Message              *wireMessage     `json:"message"`
	DecoratedAuthor      *wireParticipant `json:"decoratedAuthor,omitempty"`
}
