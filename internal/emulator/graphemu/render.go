package graphemu

import (
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/parleyhq/parley/internal/platform"
)

// Defaults when `fields` is absent: conversations list id and updated_time
// (the documented default answer of /conversations), messages id and
// created_time (the documented answer of ?fields=messages).
// https://developers.facebook.com/docs/messenger-platform/conversations
var (
	defaultConversationFields = []Field{{Name: "id"}, {Name: "updated_time"}}
	defaultMessageFields      = []Field{{Name: "id"}, {Name: "created_time"}}
)

// Conversation fields per API. Messenger: the Conversation reference
// (https://developers.facebook.com/docs/graph-api/reference/conversation:
// id, can_reply, is_subscribed, link, message_count, messages, name,
// participants, senders, snippet, unread_count, updated_time). Instagram
// documents id, updated_time, participants and messages only.
var (
	messengerConversationFields = []string{"id", "can_reply", "is_subscribed", "link", "message_count", "messages", "name", "participants", "senders", "snippet", "unread_count", "updated_time"}
	instagramConversationFields = []string{"id", "messages", "participants", "updated_time"}
	// Message reference: https://developers.facebook.com/docs/graph-api/reference/message
	messageFields = []string{"id", "attachments", "created_time", "from", "is_unsupported", "message", "to"}
)

func conversationFieldsFor(a *account) []string {
	if a.Platform == platform.Instagram {
		return instagramConversationFields
	}
	return messengerConversationFields
}

func checkFields(fs []Field, allowed []string, nodeType string) *Error {
	for _, f := range fs {
		if !contains(allowed, f.Name) {
			g := nonexistingField(f.Name, nodeType)
			return &g
		}
	}
	return nil
}

// person renders a participant the way each API does: Messenger
// {name,email,id} (email "<id>@facebook.com"), Instagram {username,id}
// (conversations docs, "participants" examples).
func person(plat platform.Name, id, name string) map[string]any {
	if plat == platform.Instagram {
		return map[string]any{"username": name, "id": id}
	}
	return map[string]any{"name": name, "email": id + "@facebook.com", "id": id}
}

func (t *thread) business() map[string]any {
	name := t.acct.Name
	if t.acct.Platform == platform.Instagram {
		name = t.acct.Username
	}
	return person(t.acct.Platform, t.acct.ID, name)
}

func (t *thread) customer() map[string]any {
	return person(t.acct.Platform, t.who.ID, t.who.Name)
}

func (e *Emulator) renderConversation(req *request, t *thread, fs []Field) (map[string]any, *Error) {
	if g := checkFields(fs, conversationFieldsFor(t.acct), "Conversation"); g != nil {
		return nil, g
	}
	out := map[string]any{}
	for _, f := range fs {
		switch f.Name {
		case "id":
			out["id"] = t.id
		case "updated_time":
			out["updated_time"] = graphTime(t.updated)
		case "participants", "senders":
			out[f.Name] = map[string]any{"data": []any{t.customer(), t.business()}}
		case "messages":
			sub := f.Sub
			if sub == nil {
				sub = defaultMessageFields
			}
			edge, g := e.messagesEdge(req, t, sub, url.Values{}, f.Limit)
			if g != nil {
				return nil, g
			}
			out["messages"] = edge
		case "message_count":
			out["message_count"] = len(t.msgs)
		case "unread_count":
			out["unread_count"] = t.unread
		case "snippet":
			s := ""
			if n := len(t.msgs); n > 0 {
				s = t.msgs[n-1].Text
			}
			out["snippet"] = truncateRunes(s, 100)
		case "can_reply", "is_subscribed":
			out[f.Name] = true
		case "link":
			out["link"] = "/" + t.acct.ID + "/inbox/" + t.id + "/"
		case "name":
			out["name"] = ""
		}
	}
	if _, has := out["id"]; !has {
		// Graph always echoes the node id.
		out["id"] = t.id
	}
	return out, nil
}

// messagesEdge renders /{conversation-id}/messages or the nested
// `messages` field: newest first, cursor-paged.
// https://developers.facebook.com/docs/graph-api/reference/conversation/messages
func (e *Emulator) messagesEdge(req *request, t *thread, fs []Field, q url.Values, limit int) (map[string]any, *Error) {
	if g := checkFields(fs, messageFields, "Message"); g != nil {
		return nil, g
	}
	ids := make([]string, len(t.msgs))
	for i := range t.msgs {
		ids[i] = t.msgs[len(t.msgs)-1-i].ID
	}
	start, end, g := pageWindow(ids, q, limit)
	if g != nil {
		return nil, g
	}
	data := make([]any, 0, end-start)
	for i, id := range ids[start:end] {
		if start+i >= InstagramDetailedMessages && t.acct.Platform == platform.Instagram {
			// Instagram lists every message but details only the 20 most
			// recent (see InstagramDetailedMessages): older entries carry
			// their id and time and nothing else.
			m := e.messages[id]
			older := map[string]any{"id": m.ID}
			for _, f := range fs {
				if f.Name == "created_time" {
					older["created_time"] = graphTime(m.At)
				}
			}
			data = append(data, older)
			continue
		}
		m, g := e.renderMessage(t, e.messages[id], fs)
		if g != nil {
			return nil, g
		}
		data = append(data, m)
	}
	out := map[string]any{"data": data}
	// Nested edges link to the edge itself, carrying the sub-fields.
	base := req.scheme + "://" + req.host + "/"
	if req.version != "" {
		base += req.version + "/"
	}
	base += t.id + "/messages"
	lq := url.Values{}
	for k, vs := range q {
		lq[k] = vs
	}
	if lq.Get("fields") == "" {
		lq.Set("fields", FormatFields(fs))
	}
	if limit > 0 {
		lq.Set("limit", strconv.Itoa(limit))
	}
	if p := pagingObject(ids, start, end, req, base, lq); p != nil {
		out["paging"] = p
	}
	return out, nil
}

func (e *Emulator) renderMessage(t *thread, m *Message, fs []Field) (map[string]any, *Error) {
	if g := checkFields(fs, messageFields, "Message"); g != nil {
		return nil, g
	}
	from, to := t.business(), t.customer()
	if m.Inbound {
		from, to = to, from
	}
	out := map[string]any{}
	for _, f := range fs {
		switch f.Name {
		case "id":
			out["id"] = m.ID
		case "created_time":
			out["created_time"] = graphTime(m.At)
		case "message":
			out["message"] = m.Text
		case "from":
			out["from"] = from
		case "to":
			out["to"] = map[string]any{"data": []any{to}}
		case "attachments":
			if len(m.Attachments) > 0 {
				out["attachments"] = map[string]any{"data": renderAttachments(t.acct.Platform, m.Attachments)}
			}
		case "is_unsupported":
			out["is_unsupported"] = false
		}
	}
	if _, has := out["id"]; !has {
		out["id"] = m.ID
	}
	return out, nil
}

// renderAttachments follows the Message reference's `attachments` edge:
// image_data / video_data {url, preview_url} for media, file_url otherwise;
// Messenger adds mime_type and name.
func renderAttachments(plat platform.Name, atts []Attachment) []any {
	out := make([]any, 0, len(atts))
	for _, a := range atts {
		item := map[string]any{}
		switch a.Type {
		case "image":
			item["image_data"] = map[string]any{"url": a.URL, "preview_url": a.URL}
		case "video":
			item["video_data"] = map[string]any{"url": a.URL, "preview_url": a.URL}
		default:
			item["file_url"] = a.URL
		}
		if plat == platform.Messenger {
			item["mime_type"] = mimeFor(a)
			item["name"] = nameFor(a.URL)
		}
		out = append(out, item)
	}
	return out
}

// mimeFor guesses from the extension with a fixed table (not the host's
// mime.types, so answers are the same on every machine).
func mimeFor(a Attachment) string {
	if u, err := url.Parse(a.URL); err == nil {
		switch strings.ToLower(path.Ext(u.Path)) {
		case ".jpg", ".jpeg":
			return "image/jpeg"
		case ".png":
			return "image/png"
		case ".gif":
			return "image/gif"
		case ".webp":
			return "image/webp"
		case ".mp4":
			return "video/mp4"
		case ".mov":
			return "video/quicktime"
		case ".mp3":
			return "audio/mpeg"
		case ".m4a", ".aac":
			return "audio/aac"
		case ".pdf":
			return "application/pdf"
		}
	}
	switch a.Type {
	case "image":
		return "image/jpeg"
	case "video":
		return "video/mp4"
	case "audio":
		return "audio/mpeg"
	}
	return "application/octet-stream"
}

func nameFor(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		if b := path.Base(u.Path); b != "." && b != "/" {
			return b
		}
	}
	return "attachment"
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// FormatFields renders fields back into Graph's expression syntax.
func FormatFields(fs []Field) string {
	var b strings.Builder
	for i, f := range fs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(f.Name)
		if f.Limit > 0 {
			b.WriteString(".limit(" + strconv.Itoa(f.Limit) + ")")
		}
		if len(f.Sub) > 0 {
			b.WriteString("{" + FormatFields(f.Sub) + "}")
		}
	}
	return b.String()
}
