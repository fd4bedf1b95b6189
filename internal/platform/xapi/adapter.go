package xapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/platform"
)

// listCursor is our ListConversations cursor.
//
// X has no "list conversations" endpoint: GET /2/dm_events pages through
// *events* of every conversation, newest first
// (https://docs.x.com/x-api/direct-messages/lookup/integrate, "Pagination"),
// and we derive threads by grouping them by dm_conversation_id. So a page of
// events is not a page of conversations: one busy thread can fill a whole
// event page, and an older event page repeats threads already shown. The
// cursor therefore carries:
//
//   - Token: the X pagination_token of the event page to resume from (""
//     for the first page). We resume at the *start* of that page because X
//     cannot start mid-page; threads already shown are skipped.
//   - Seen: every thread id already returned, so a thread appears once across
//     the whole walk. The cursor grows with the number of threads listed.
//
// Threads are ordered by their newest event, which is exactly X's order.
// Limits of the approach: history is bounded by X's 30-day DM window; a call
// reads at most maxPagesPerList event pages (DM lookups allow 15 requests
// per 15 minutes per user) and may return fewer than limit threads with a
// cursor to continue; the last page can come back empty when the remaining
// events belong only to threads already listed.
type listCursor struct {
	Token string   `json:"t,omitempty"`
	Seen  []string `json:"s,omitempty"`
}

func encodeCursor(c listCursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (listCursor, error) {
	var c listCursor
	if s == "" {
		return c, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(raw, &c) != nil || !validToken(c.Token) {
		return listCursor{}, invalidCursor()
	}
	for _, id := range c.Seen {
		if id == "" || len(id) > 64 {
			return listCursor{}, invalidCursor()
		}
	}
	return c, nil
}

// ListConversations derives the account's threads from GET /2/dm_events
// (see listCursor for how event pages map to conversation pages).
func (a *Adapter) ListConversations(ctx context.Context, acct platform.Account, cursor string, limit int) (platform.Page[platform.Conversation], error) {
	var page platform.Page[platform.Conversation]
	cur, err := decodeCursor(cursor)
	if err != nil {
		return page, err
	}
	limit = clampLimit(limit)
	seen := make(map[string]bool, len(cur.Seen))
	for _, id := range cur.Seen {
		seen[id] = true
	}
	token := cur.Token
	done, exhausted := false, false
	for pages := 0; pages < maxPagesPerList && !done; pages++ {
		resp, err := a.events(ctx, acct, "/2/dm_events", token, maxResults, convExpansions)
		if err != nil {
			return page, err
		}
		full := false
		for _, c := range threads(acct, resp) {
			if seen[c.ThreadID] {
				continue
			}
			if len(page.Items) == limit {
				full = true // more threads on this page: resume here
				break
			}
			page.Items = append(page.Items, c)
			seen[c.ThreadID] = true
			cur.Seen = append(cur.Seen, c.ThreadID)
		}
		switch {
		case full:
			done = true
		case resp.Meta.NextToken == "":
			token, done, exhausted = "", true, true
		default:
			token = resp.Meta.NextToken
			done = len(page.Items) == limit
		}
	}
	if !exhausted {
		page.NextCursor = encodeCursor(listCursor{Token: token, Seen: cur.Seen})
	}
	a.nameParticipants(ctx, acct, page.Items)
	return page, nil
}

// GetConversation reads a thread's newest events
// (GET /2/dm_conversations/:dm_conversation_id/dm_events) and derives its
// metadata. A thread with no events is not found.
func (a *Adapter) GetConversation(ctx context.Context, acct platform.Account, threadID string) (platform.Conversation, error) {
	if threadID == "" {
		return platform.Conversation{}, apierr.NotFound("conversation")
	}
	resp, err := a.events(ctx, acct, conversationPath(threadID), "", maxResults, convExpansions)
	if err != nil {
		return platform.Conversation{}, err
	}
	for _, c := range threads(acct, resp) {
		if c.ThreadID == threadID {
			one := []platform.Conversation{c}
			a.nameParticipants(ctx, acct, one)
			return one[0], nil
		}
	}
	return platform.Conversation{}, apierr.NotFound("conversation")
}

// threads groups a page of newest-first events into conversations, newest
// first. LastInboundAt is only known when one of the participant's messages
// is on the page.
func threads(acct platform.Account, resp eventsResponse) []platform.Conversation {
	users := make(map[string]xUser, len(resp.Includes.Users))
	for _, u := range resp.Includes.Users {
		users[u.ID] = u
	}
	var out []platform.Conversation
	index := map[string]int{}
	for _, ev := range resp.Data {
		if ev.DMConversationID == "" || ev.EventType != "MessageCreate" {
			continue
		}
		i, ok := index[ev.DMConversationID]
		if !ok {
			c := platform.Conversation{ThreadID: ev.DMConversationID, LastMessage: ev.Text, LastMessageAt: parseTime(ev.CreatedAt)}
			// One-to-one ids name both users; for a group the first
			// other sender stands in as "the participant".
			c.ParticipantID, _ = otherParticipant(ev.DMConversationID, acct.NativeID)
			out = append(out, c)
			i = len(out) - 1
			index[ev.DMConversationID] = i
		}
		c := &out[i]
		if ev.SenderID != "" && ev.SenderID != acct.NativeID {
			if c.ParticipantID == "" {
				c.ParticipantID = ev.SenderID
			}
			if c.LastInboundAt.IsZero() {
				c.LastInboundAt = parseTime(ev.CreatedAt)
			}
		}
	}
	for i := range out {
		if u, ok := users[out[i].ParticipantID]; ok {
			out[i].ParticipantName = displayName(u)
			out[i].ParticipantPicture = u.ProfileImageURL
		}
	}
	return out
}

func displayName(u xUser) string {
	if u.Name != "" {
		return u.Name
	}
	return u.Username
}

// nameParticipants fills names of participants that sent nothing on the page
// we read (so were not in includes.users) with one GET /2/users?ids= call
// (https://docs.x.com/x-api/users/lookup/introduction). Names are cosmetic:
// a failure here leaves them empty rather than failing the listing.
func (a *Adapter) nameParticipants(ctx context.Context, acct platform.Account, convs []platform.Conversation) {
	var ids []string
	for _, c := range convs {
		if c.ParticipantName == "" && c.ParticipantID != "" {
			ids = append(ids, c.ParticipantID)
		}
	}
	if len(ids) == 0 {
		return
	}
	var resp usersResponse
	q := url.Values{"ids": {strings.Join(ids[:min(len(ids), maxResults)], ",")}, "user.fields": {userFields}}
	if err := a.do(ctx, acct, http.MethodGet, "/2/users", q, nil, &resp); err != nil {
		return
	}
	byID := make(map[string]xUser, len(resp.Data))
	for _, u := range resp.Data {
		byID[u.ID] = u
	}
	for i := range convs {
		if u, ok := byID[convs[i].ParticipantID]; ok && convs[i].ParticipantName == "" {
			convs[i].ParticipantName = displayName(u)
			convs[i].ParticipantPicture = u.ProfileImageURL
		}
	}
}

// ListMessages pages through a thread's messages newest first
// (GET /2/dm_conversations/:dm_conversation_id/dm_events, MessageCreate
// events only). Events map one to one to messages, so our cursor is X's
// next_token unchanged.
func (a *Adapter) ListMessages(ctx context.Context, acct platform.Account, threadID string, cursor string, limit int) (platform.Page[platform.Message], error) {
	var page platform.Page[platform.Message]
	if threadID == "" {
		return page, apierr.NotFound("conversation")
	}
	if !validToken(cursor) {
		return page, invalidCursor()
	}
	resp, err := a.events(ctx, acct, conversationPath(threadID), cursor, clampLimit(limit), msgExpansions)
	if err != nil {
		return page, err
	}
	users := make(map[string]xUser, len(resp.Includes.Users))
	for _, u := range resp.Includes.Users {
		users[u.ID] = u
	}
	media := make(map[string]xMedia, len(resp.Includes.Media))
	for _, m := range resp.Includes.Media {
		media[m.MediaKey] = m
	}
	for _, ev := range resp.Data {
		if ev.EventType != "MessageCreate" {
			continue
		}
		m := platform.Message{
			PlatformID: ev.ID,
			Direction:  "incoming",
			SenderID:   ev.SenderID,
			SenderName: displayName(users[ev.SenderID]),
			Text:       ev.Text,
			CreatedAt:  parseTime(ev.CreatedAt),
		}
		if ev.SenderID == acct.NativeID {
			m.Direction = "outgoing"
		}
		for _, k := range ev.Attachments.MediaKeys {
			if att, ok := attachment(media[k]); ok {
				m.Attachments = append(m.Attachments, att)
			}
		}
		page.Items = append(page.Items, m)
	}
	page.NextCursor = resp.Meta.NextToken
	return page, nil
}

// attachment maps an X media object (photo, video, animated_gif) to ours.
func attachment(m xMedia) (platform.Attachment, bool) {
	u := m.URL
	if u == "" {
		u = m.PreviewImageURL
	}
	if u == "" {
		return platform.Attachment{}, false
	}
	t := "image"
	if m.Type == "video" || m.Type == "animated_gif" {
		t = "video"
	}
	return platform.Attachment{Type: t, URL: u}, true
}

// MaxTextChars is the longest DM text X accepts: "Text messages support up
// to 10,000 characters"
// (https://developer.x.com/en/docs/x-api/direct-messages/manage/api-reference/post-dm_conversations-with-participant_id-messages).
// Longer texts are refused before any request, with the field named.
const MaxTextChars = 10000

// Send posts a message.
//
// Path choice: an existing thread is written with
// POST /2/dm_conversations/:dm_conversation_id/messages (works for one-to-one
// and group threads). When the thread id is empty or is the participant's
// user id (a thread Parley opens before X has assigned an id), we use
// POST /2/dm_conversations/with/:participant_id/messages, which "either
// creates a new 1-1 conversation or retrieves the current conversation"
// (https://developer.x.com/en/docs/x-api/direct-messages/manage). X has no
// reply window (DESIGN §2), so Tag is ignored.
//
// Attachments: X DMs attach media by a media_id the sender uploaded to X
// first (https://docs.x.com/x-api/direct-messages/manage/integrate, "Media
// attachments"); sending by URL is refused until media upload is wired.
func (a *Adapter) Send(ctx context.Context, acct platform.Account, conv platform.Conversation, msg platform.Outbound) (platform.Sent, error) {
	if msg.Template != nil {
		return platform.Sent{}, apierr.Invalid("template", "templates are a WhatsApp feature; X sends plain text")
	}
	if len(msg.Attachments) > 0 {
		return platform.Sent{}, apierr.Invalid("attachment", "X attachments must be uploaded to X first; sending media by URL is not supported for X")
	}
	if f := platform.RichField(msg); f != "" {
		// X API v2 DMs carry text and one media id only (rules.RichOf).
		return platform.Sent{}, apierr.Invalid(f, "X Direct Messages cannot carry %s", f)
	}
	if msg.Text == "" {
		return platform.Sent{}, apierr.Required("text")
	}
	if utf8.RuneCountInString(msg.Text) > MaxTextChars {
		return platform.Sent{}, apierr.Invalid("text", "X Direct Messages hold at most %d characters", MaxTextChars)
	}
	var path string
	switch {
	case conv.ThreadID != "" && conv.ThreadID != conv.ParticipantID:
		path = "/2/dm_conversations/" + url.PathEscape(conv.ThreadID) + "/messages"
	case conv.ParticipantID != "":
		path = "/2/dm_conversations/with/" + url.PathEscape(conv.ParticipantID) + "/messages"
	default:
		return platform.Sent{}, apierr.NotFound("conversation")
	}
	var resp sendResponse
	body := map[string]string{"text": msg.Text}
	if err := a.do(ctx, acct, http.MethodPost, path, nil, body, &resp); err != nil {
		return platform.Sent{}, err
	}
	if resp.Data.DMEventID == "" {
		return platform.Sent{}, apierr.New(http.StatusBadGateway, "platform.x.bad_response", "X accepted the message but returned no event id")
	}
	// The send response carries no timestamp; X ids are Snowflakes that
	// embed their creation time.
	at, ok := snowflakeTime(resp.Data.DMEventID)
	if !ok {
		at = a.now().UTC()
	}
	return platform.Sent{PlatformID: resp.Data.DMEventID, CreatedAt: at}, nil
}

// MarkRead is a no-op: X API v2 offers no read-receipt endpoint. The DM
// endpoints are the three lookups and the send/delete methods listed at
// https://docs.x.com/x-api/direct-messages/lookup/introduction and
// https://docs.x.com/x-api/direct-messages/manage/introduction; none marks a
// conversation read. Parley's own unread count is still cleared by the
// domain layer.
func (a *Adapter) MarkRead(context.Context, platform.Account, platform.Conversation) error {
	return nil
}
