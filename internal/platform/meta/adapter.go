package meta

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/platform"
)

// Instagram API variants (platform.Account.Variant).
const (
	// VariantInstagramLogin: Instagram API with Instagram Login, on
	// graph.instagram.com with an Instagram user token. The default.
	VariantInstagramLogin = "instagram_login"
	// VariantFacebookLogin: Instagram messaging through the linked Page, on
	// graph.facebook.com with a Page token.
	VariantFacebookLogin = "facebook_login"
)

// Options configures an adapter. Zero values mean Meta's production hosts,
// DefaultVersion and http.DefaultClient.
type Options struct {
	HTTPClient *http.Client
	// Version is the Graph API version, e.g. "v25.0".
	Version string
	// FacebookBaseURL replaces https://graph.facebook.com (tests and the
	// sandbox point it at the emulator).
	FacebookBaseURL string
	// InstagramBaseURL replaces https://graph.instagram.com.
	InstagramBaseURL string
	// Now stamps Sent.CreatedAt (the Send API answer carries no time).
	Now func() time.Time
	// RecentMessages is how many of a thread's newest messages a
	// conversation read asks for, to find the participant's last message
	// (Conversation.LastInboundAt). Default 10.
	RecentMessages int
}

// Adapter implements platform.Adapter for Messenger or Instagram.
type Adapter struct {
	name   platform.Name
	fb     *Client
	ig     *Client // Instagram only
	now    func() time.Time
	recent int
}

var _ platform.Adapter = (*Adapter)(nil)

// NewMessenger returns the Messenger adapter (Page conversations on
// graph.facebook.com).
func NewMessenger(opts Options) *Adapter { return newAdapter(platform.Messenger, opts) }

// NewInstagram returns the Instagram adapter; each account's Variant picks
// Instagram Login (graph.instagram.com) or Facebook Login (graph.facebook.com).
func NewInstagram(opts Options) *Adapter { return newAdapter(platform.Instagram, opts) }

func newAdapter(name platform.Name, o Options) *Adapter {
	if o.FacebookBaseURL == "" {
		o.FacebookBaseURL = FacebookGraphURL
	}
	if o.InstagramBaseURL == "" {
		o.InstagramBaseURL = InstagramGraphURL
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.RecentMessages <= 0 {
		o.RecentMessages = 10
	}
	a := &Adapter{
		name:   name,
		fb:     NewClient(name, o.FacebookBaseURL, o.Version, o.HTTPClient),
		now:    o.Now,
		recent: o.RecentMessages,
	}
	if name == platform.Instagram {
		a.ig = NewClient(name, o.InstagramBaseURL, o.Version, o.HTTPClient)
	}
	return a
}

// route picks host, path node and `platform` parameter for an account.
//
//   - Messenger: graph.facebook.com /{page-id}/… with platform=messenger
//     (https://developers.facebook.com/docs/messenger-platform/conversations).
//   - Instagram Login: graph.instagram.com /{ig-id}/… (or /me),
//     platform=instagram
//     (https://developers.facebook.com/docs/instagram-platform/instagram-api-with-instagram-login/conversations-api).
//   - Instagram via Facebook Login: graph.facebook.com with the Page token;
//     "me" is the linked Page, so /me/conversations?platform=instagram and
//     /me/messages reach the Instagram inbox without knowing the Page id
//     (messenger-platform/conversations; send: "POST /PAGE-ID/messages",
//     https://developers.facebook.com/docs/messenger-platform/instagram/features/send-message).
type route struct {
	c    *Client
	node string
	plat string
}

func (a *Adapter) route(acct platform.Account) (route, error) {
	node := acct.NativeID
	if node == "" {
		node = "me"
	}
	if a.name == platform.Messenger {
		return route{c: a.fb, node: node, plat: "messenger"}, nil
	}
	switch acct.Variant {
	case "", VariantInstagramLogin:
		return route{c: a.ig, node: node, plat: "instagram"}, nil
	case VariantFacebookLogin:
		return route{c: a.fb, node: "me", plat: "instagram"}, nil
	}
	return route{}, apierr.Invalid("variant", "unknown Instagram API variant %q", acct.Variant)
}

// Field expansions. Conversation fields: id, updated_time, participants,
// messages (both APIs); unread_count is Messenger's
// (https://developers.facebook.com/docs/graph-api/reference/conversation).
// Message fields: id, created_time, from, to, message, attachments
// (https://developers.facebook.com/docs/graph-api/reference/message).
const messageFields = "id,created_time,from,to,message,attachments"

func (a *Adapter) conversationFields() string {
	nested := "messages.limit(" + strconv.Itoa(a.recent) + "){id,created_time,from,message,attachments}"
	if a.name == platform.Messenger {
		return "id,updated_time,unread_count,participants," + nested
	}
	return "id,updated_time,participants," + nested
}

func clampLimit(n, def int) string {
	switch {
	case n <= 0:
		n = def
	case n > 100:
		n = 100
	}
	return strconv.Itoa(n)
}

// ListConversations pages through GET /{id}/conversations, newest first.
func (a *Adapter) ListConversations(ctx context.Context, acct platform.Account, cursor string, limit int) (platform.Page[platform.Conversation], error) {
	var out platform.Page[platform.Conversation]
	r, err := a.route(acct)
	if err != nil {
		return out, err
	}
	q := url.Values{"platform": {r.plat}, "fields": {a.conversationFields()}, "limit": {clampLimit(limit, 25)}}
	if cursor != "" {
		q.Set("after", cursor)
	}
	var resp struct {
		Data   []wireConversation `json:"data"`
		Paging *wirePaging        `json:"paging"`
	}
	if err := r.c.Get(ctx, acct.AccessToken, r.node+"/conversations", q, &resp); err != nil {
		return out, err
	}
	for _, wc := range resp.Data {
		out.Items = append(out.Items, a.toConversation(acct, wc))
	}
	out.NextCursor = resp.Paging.next()
	return out, nil
}

// GetConversation reads GET /{conversation-id} with the same fields.
func (a *Adapter) GetConversation(ctx context.Context, acct platform.Account, threadID string) (platform.Conversation, error) {
	r, err := a.route(acct)
	if err != nil {
		return platform.Conversation{}, err
	}
	if !validID(threadID) {
		return platform.Conversation{}, apierr.NotFound("conversation")
	}
	var wc wireConversation
	if err := r.c.Get(ctx, acct.AccessToken, threadID, url.Values{"fields": {a.conversationFields()}}, &wc); err != nil {
		return platform.Conversation{}, err
	}
	if wc.ID == "" {
		return platform.Conversation{}, apierr.NotFound("conversation")
	}
	return a.toConversation(acct, wc), nil
}

// ListMessages pages through GET /{conversation-id}/messages, newest first
// (https://developers.facebook.com/docs/graph-api/reference/conversation/messages).
func (a *Adapter) ListMessages(ctx context.Context, acct platform.Account, threadID string, cursor string, limit int) (platform.Page[platform.Message], error) {
	var out platform.Page[platform.Message]
	r, err := a.route(acct)
	if err != nil {
		return out, err
	}
	if !validID(threadID) {
		return out, apierr.NotFound("conversation")
	}
	q := url.Values{"fields": {messageFields}, "limit": {clampLimit(limit, 25)}}
	if cursor != "" {
		q.Set("after", cursor)
	}
	var resp wireMessages
	if err := r.c.Get(ctx, acct.AccessToken, threadID+"/messages", q, &resp); err != nil {
		return out, err
	}
	for _, wm := range resp.Data {
		if a.name == platform.Instagram && wm.From.ID == "" {
			// Graph lists every Instagram message but details only the 20
			// most recent ("you will only be able to query data for the 20
			// most recent messages in the conversation":
			// https://developers.facebook.com/docs/graph-api/reference/conversation).
			// The first entry without a sender is the first older one: the
			// history Parley can read ends here, and says so.
			out.Truncated = HistoryTruncatedInstagram
			return out, nil
		}
		out.Items = append(out.Items, a.toMessage(acct, wm))
	}
	out.NextCursor = resp.Paging.next()
	return out, nil
}

// HistoryTruncatedInstagram is the reason given when an Instagram history
// ends at the platform's 20-message limit.
const HistoryTruncatedInstagram = "instagram returns only the 20 most recent messages"

// Send posts to /{id}/messages: recipient, messaging_type RESPONSE (or
// MESSAGE_TAG with tag), and message {text} or {attachment{type,payload{url}}}
// (https://developers.facebook.com/docs/messenger-platform/reference/send-api;
// Instagram: https://developers.facebook.com/docs/instagram-platform/instagram-api-with-instagram-login/messaging-api).
// A message with both an attachment and text goes out as two sends,
// attachment first, because Meta takes one or the other.
func (a *Adapter) Send(ctx context.Context, acct platform.Account, conv platform.Conversation, msg platform.Outbound) (platform.Sent, error) {
	if msg.Template != nil {
		return platform.Sent{}, apierr.Invalid("template", "message templates are WhatsApp-only")
	}
	if msg.Text == "" && msg.Attachment == nil && len(msg.Attachments) == 0 {
		return platform.Sent{}, apierr.Required("text")
	}
	r, err := a.route(acct)
	if err != nil {
		return platform.Sent{}, err
	}
	pid, err := a.participant(ctx, acct, conv)
	if err != nil {
		return platform.Sent{}, err
	}
	base := map[string]any{"recipient": map[string]any{"id": pid}, "messaging_type": "RESPONSE"}
	if msg.Tag != "" {
		base["messaging_type"] = "MESSAGE_TAG"
		base["tag"] = msg.Tag
	}
	var bodies []map[string]any
	if at := msg.Attachment; at != nil {
		bodies = append(bodies, with(base, "message", map[string]any{
			"attachment": map[string]any{"type": attachmentType(at.Type), "payload": map[string]any{"url": at.URL}},
		}))
	}
	for _, at := range msg.Attachments {
		// Meta fetches the file from its URL (for an upload, Parley's
		// signed, expiring one); one attachment per send.
		bodies = append(bodies, with(base, "message", map[string]any{
			"attachment": map[string]any{"type": attachmentType(at.Type), "payload": map[string]any{"url": at.URL}},
		}))
	}
	if msg.Text != "" {
		bodies = append(bodies, with(base, "message", map[string]any{"text": msg.Text}))
	}
	var sent platform.Sent
	for _, b := range bodies {
		var resp struct {
			RecipientID string `json:"recipient_id"`
			MessageID   string `json:"message_id"`
		}
		if err := r.c.Post(ctx, acct.AccessToken, r.node+"/messages", b, &resp); err != nil {
			return platform.Sent{}, err
		}
		sent = platform.Sent{PlatformID: resp.MessageID, CreatedAt: a.now().UTC()}
	}
	return sent, nil
}

// MarkRead sends sender_action mark_seen
// (https://developers.facebook.com/docs/messenger-platform/send-messages/sender-actions;
// Instagram: https://developers.facebook.com/docs/messenger-platform/instagram/features/sender-actions).
func (a *Adapter) MarkRead(ctx context.Context, acct platform.Account, conv platform.Conversation) error {
	r, err := a.route(acct)
	if err != nil {
		return err
	}
	pid, err := a.participant(ctx, acct, conv)
	if err != nil {
		return err
	}
	body := map[string]any{"recipient": map[string]any{"id": pid}, "sender_action": "mark_seen"}
	return r.c.Post(ctx, acct.AccessToken, r.node+"/messages", body, nil)
}

// participant is the thread's other party, read from Graph when the
// caller did not have it.
func (a *Adapter) participant(ctx context.Context, acct platform.Account, conv platform.Conversation) (string, error) {
	if conv.ParticipantID != "" {
		return conv.ParticipantID, nil
	}
	c, err := a.GetConversation(ctx, acct, conv.ThreadID)
	if err != nil {
		return "", err
	}
	if c.ParticipantID == "" {
		return "", apierr.NotFound("recipient")
	}
	return c.ParticipantID, nil
}

func with(base map[string]any, k string, v any) map[string]any {
	m := make(map[string]any, len(base)+1)
	for bk, bv := range base {
		m[bk] = bv
	}
	m[k] = v
	return m
}

// attachmentType maps our types onto the Send API's image/video/audio/file.
func attachmentType(t string) string {
	switch strings.ToLower(t) {
	case "image", "video", "audio":
		return strings.ToLower(t)
	}
	return "file"
}

// validID keeps path injection out: Graph ids are base64url-ish tokens.
func validID(id string) bool {
	if id == "" || len(id) > 512 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '=') {
			return false
		}
	}
	return true
}

// --- wire shapes ---

type wirePerson struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Username string `json:"username"`
}

func (p wirePerson) display() string {
	if p.Name != "" {
		return p.Name
	}
	return p.Username
}

type wireMedia struct {
	URL        string `json:"url"`
	PreviewURL string `json:"preview_url"`
}

type wireAttachment struct {
	MimeType  string     `json:"mime_type"`
	FileURL   string     `json:"file_url"`
	ImageData *wireMedia `json:"image_data"`
	VideoData *wireMedia `json:"video_data"`
}

type wireMessage struct {
	ID          string     `json:"id"`
	CreatedTime graphTime  `json:"created_time"`
	From        wirePerson `json:"from"`
	Message     string     `json:"message"`
	Attachments struct {
		Data []wireAttachment `json:"data"`
	} `json:"attachments"`
}

type wirePaging struct {
	Cursors struct {
		Before string `json:"before"`
		After  string `json:"after"`
	} `json:"cursors"`
	Next string `json:"next"`
}

// next is our cursor for the following page: Graph's `after` cursor, but
// only when Graph says there is a next page (paging.next present).
func (p *wirePaging) next() string {
	if p == nil || p.Next == "" {
		return ""
	}
	return p.Cursors.After
}

type wireMessages struct {
	Data   []wireMessage `json:"data"`
	Paging *wirePaging   `json:"paging"`
}

type wireConversation struct {
	ID           string    `json:"id"`
	UpdatedTime  graphTime `json:"updated_time"`
	UnreadCount  int       `json:"unread_count"`
	Participants struct {
		Data []wirePerson `json:"data"`
	} `json:"participants"`
	Messages *wireMessages `json:"messages"`
}

// graphTime accepts Graph's "2006-01-02T15:04:05-0700", RFC 3339 and Unix
// seconds (the Instagram docs show updated_time as a UNIX timestamp).
type graphTime struct{ time.Time }

func (g *graphTime) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return nil // unknown shape: leave zero rather than fail the page
		}
		s = n.String()
	}
	g.Time = parseGraphTime(s)
	return nil
}

func parseGraphTime(s string) time.Time {
	for _, layout := range []string{"2006-01-02T15:04:05-0700", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		if n > 1e12 { // milliseconds
			return time.UnixMilli(n).UTC()
		}
		return time.Unix(n, 0).UTC()
	}
	return time.Time{}
}

// isBusiness reports whether id is the account's own (Page or IG id).
func isBusiness(acct platform.Account, id string) bool {
	return id != "" && id == acct.NativeID
}

func (a *Adapter) toConversation(acct platform.Account, wc wireConversation) platform.Conversation {
	c := platform.Conversation{ThreadID: wc.ID, LastMessageAt: wc.UpdatedTime.Time, UnreadCount: wc.UnreadCount}
	var who *wirePerson
	for i := range wc.Participants.Data {
		if p := &wc.Participants.Data[i]; !isBusiness(acct, p.ID) {
			who = p
			break
		}
	}
	if who == nil && wc.Messages != nil {
		// No participants field (or only the business): take the first
		// sender who is not the business.
		for i := range wc.Messages.Data {
			if f := &wc.Messages.Data[i].From; !isBusiness(acct, f.ID) {
				who = f
				break
			}
		}
	}
	if who != nil {
		c.ParticipantID, c.ParticipantName = who.ID, who.display()
	}
	if wc.Messages != nil && len(wc.Messages.Data) > 0 {
		newest := wc.Messages.Data[0] // Graph lists messages newest first
		c.LastMessage = newest.Message
		if !newest.CreatedTime.IsZero() {
			c.LastMessageAt = newest.CreatedTime.Time
		}
		// The participant's newest message among those we see anchors
		// the reply window; zero when none is in view.
		for _, m := range wc.Messages.Data {
			if m.From.ID != "" && m.From.ID == c.ParticipantID {
				c.LastInboundAt = m.CreatedTime.Time
				break
			}
		}
	}
	return c
}

func (a *Adapter) toMessage(acct platform.Account, wm wireMessage) platform.Message {
	m := platform.Message{
		PlatformID: wm.ID,
		Direction:  "incoming",
		SenderID:   wm.From.ID,
		SenderName: wm.From.display(),
		Text:       wm.Message,
		CreatedAt:  wm.CreatedTime.Time,
	}
	if isBusiness(acct, wm.From.ID) {
		m.Direction = "outgoing"
		m.Status = "sent"
	}
	for _, at := range wm.Attachments.Data {
		switch {
		case at.ImageData != nil && at.ImageData.URL != "":
			m.Attachments = append(m.Attachments, platform.Attachment{Type: "image", URL: at.ImageData.URL})
		case at.VideoData != nil && at.VideoData.URL != "":
			m.Attachments = append(m.Attachments, platform.Attachment{Type: "video", URL: at.VideoData.URL})
		case at.FileURL != "":
			typ := "file"
			if strings.HasPrefix(at.MimeType, "audio/") {
				typ = "audio"
			}
			m.Attachments = append(m.Attachments, platform.Attachment{Type: typ, URL: at.FileURL})
		}
	}
	return m
}
