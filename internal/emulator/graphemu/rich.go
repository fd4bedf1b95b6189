package graphemu

import (
	"encoding/json"
	"errors"
	"net/url"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/platform"
)

// Rich messages on the Send API, accepted and refused as Meta documents
// them (checked 2026-11-30):
//
//   - message.quick_replies: "up to 13" (content_type text needs a title;
//     "payload … 1000 character limit"); a title longer than 20 characters
//     is truncated, not refused ("each quick reply allows up to 20
//     characters before being truncated"):
//     https://developers.facebook.com/docs/messenger-platform/reference/buttons/quick-replies,
//     https://developers.facebook.com/docs/messenger-platform/instagram/features/quick-replies;
//   - attachment.type template, payload.template_type button: "text …
//     up to 640 characters", "Set of 1-3 buttons":
//     https://developers.facebook.com/documentation/business-messaging/messenger-platform/send-messages/template/button;
//   - template_type generic: "Maximum of 10 elements", title and subtitle
//     "80 character limit", up to three buttons, "At least one property must
//     be set in addition to title":
//     https://developers.facebook.com/documentation/business-messaging/messenger-platform/send-messages/template/generic;
//   - buttons: web_url {url, title}, postback {title, payload}; "title …
//     20 character limit", "payload … 1000 character limit":
//     https://developers.facebook.com/documentation/business-messaging/messenger-platform/send-messages/buttons/postback;
//   - reply_to {mid} at the top level (Instagram): a message of the thread.
//
// Every refusal is Graph's error 100 (OAuthException, "(#100) …"), the
// code Meta answers for an invalid parameter.

// QuickReply is one quick reply the business offered.
type QuickReply struct {
	Title, Payload string
}

// Button is one button of a template.
type Button struct {
	Type    string // web_url or postback
	Title   string
	URL     string
	Payload string
}

// Element is one element (card) of a generic template.
type Element struct {
	Title, Subtitle, ImageURL string
	Buttons                   []Button
}

// Template is a structured message the business sent.
type Template struct {
	// Type is button or generic.
	Type     string
	Text     string
	Buttons  []Button
	Elements []Element
}

// Rich-message limits (sources above).
const (
	MaxQuickReplies       = 13
	QuickReplyTitleMax    = 20
	PayloadMax            = 1000
	ButtonTemplateTextMax = 640
	MaxButtons            = 3
	ButtonTitleMax        = 20
	MaxElements           = 10
	ElementTextMax        = 80
)

type wireQuickReply struct {
	ContentType string          `json:"content_type"`
	Title       string          `json:"title"`
	Payload     json.RawMessage `json:"payload"`
	ImageURL    string          `json:"image_url"`
}

type wireButton struct {
	Type    string `json:"type"`
	Title   string `json:"title"`
	URL     string `json:"url"`
	Payload string `json:"payload"`
}

type wireElement struct {
	Title    string       `json:"title"`
	Subtitle string       `json:"subtitle"`
	ImageURL string       `json:"image_url"`
	Buttons  []wireButton `json:"buttons"`
	// DefaultAction counts as a property besides the title.
	DefaultAction json.RawMessage `json:"default_action"`
}

// templatePayload is message.attachment.payload of a template.
type templatePayload struct {
	TemplateType string        `json:"template_type"`
	Text         string        `json:"text"`
	Buttons      []wireButton  `json:"buttons"`
	Elements     []wireElement `json:"elements"`
}

func runes(s string) int { return utf8.RuneCountInString(s) }

// quickReplies checks message.quick_replies and returns them, titles
// truncated as Meta shows them.
func quickReplies(p platform.Name, raw []wireQuickReply) ([]QuickReply, *Error) {
	if len(raw) == 0 {
		return nil, nil
	}
	if len(raw) > MaxQuickReplies {
		g := invalidParam("param message[quick_replies] must have at most %d elements", MaxQuickReplies)
		return nil, &g
	}
	out := make([]QuickReply, 0, len(raw))
	for i, q := range raw {
		switch q.ContentType {
		case "text":
		case "user_phone_number", "user_email":
			if p == platform.Instagram {
				// "Quick replies only support plain text" on Instagram.
				g := invalidParam("param message[quick_replies][%d][content_type] must be one of {text}", i)
				return nil, &g
			}
			out = append(out, QuickReply{})
			continue
		default:
			g := invalidParam("param message[quick_replies][%d][content_type] must be one of {text, user_phone_number, user_email}", i)
			return nil, &g
		}
		if q.Title == "" {
			g := invalidParam("param message[quick_replies][%d][title] must be non-empty for text quick replies", i)
			return nil, &g
		}
		var payload string
		if len(q.Payload) > 0 {
			if json.Unmarshal(q.Payload, &payload) != nil {
				// "String, Number": a number is its decimal text.
				payload = string(q.Payload)
			}
		}
		if payload == "" {
			g := invalidParam("param message[quick_replies][%d][payload] is required for text quick replies", i)
			return nil, &g
		}
		if runes(payload) > PayloadMax {
			g := invalidParam("Length of param message[quick_replies][%d][payload] must be less than or equal to %d", i, PayloadMax)
			return nil, &g
		}
		title := q.Title
		if runes(title) > QuickReplyTitleMax {
			title = string([]rune(title)[:QuickReplyTitleMax])
		}
		out = append(out, QuickReply{Title: title, Payload: payload})
	}
	return out, nil
}

func buttons(path string, raw []wireButton, min int) ([]Button, *Error) {
	if len(raw) < min || len(raw) > MaxButtons {
		g := invalidParam("param %s must have between %d and %d elements", path, min, MaxButtons)
		return nil, &g
	}
	out := make([]Button, 0, len(raw))
	for i, b := range raw {
		if b.Title == "" || runes(b.Title) > ButtonTitleMax {
			g := invalidParam("param %s[%d][title] must be non-empty and at most %d characters", path, i, ButtonTitleMax)
			return nil, &g
		}
		switch b.Type {
		case "web_url":
			if !validURL(b.URL) {
				g := invalidParam("param %s[%d][url] must be a valid URL", path, i)
				return nil, &g
			}
		case "postback":
			if b.Payload == "" || runes(b.Payload) > PayloadMax {
				g := invalidParam("param %s[%d][payload] must be non-empty and at most %d characters", path, i, PayloadMax)
				return nil, &g
			}
		default:
			// Parley maps only url and postback; the emulator accepts the
			// two it can render.
			g := invalidParam("param %s[%d][type] must be one of {web_url, postback}", path, i)
			return nil, &g
		}
		out = append(out, Button(b))
	}
	return out, nil
}

// template checks a template attachment's payload.
func template(raw json.RawMessage) (*Template, *Error) {
	var p templatePayload
	if json.Unmarshal(raw, &p) != nil {
		g := invalidParam("param message[attachment][payload] must be a JSON object")
		return nil, &g
	}
	switch p.TemplateType {
	case "button":
		if p.Text == "" || runes(p.Text) > ButtonTemplateTextMax {
			g := invalidParam("param message[attachment][payload][text] must be non-empty and at most %d characters", ButtonTemplateTextMax)
			return nil, &g
		}
		bs, g := buttons("message[attachment][payload][buttons]", p.Buttons, 1)
		if g != nil {
			return nil, g
		}
		return &Template{Type: "button", Text: p.Text, Buttons: bs}, nil
	case "generic":
		if len(p.Elements) == 0 || len(p.Elements) > MaxElements {
			g := invalidParam("param message[attachment][payload][elements] must have between 1 and %d elements", MaxElements)
			return nil, &g
		}
		t := &Template{Type: "generic"}
		for i, el := range p.Elements {
			path := "message[attachment][payload][elements]"
			switch {
			case el.Title == "" || runes(el.Title) > ElementTextMax:
				g := invalidParam("param %s[%d][title] must be non-empty and at most %d characters", path, i, ElementTextMax)
				return nil, &g
			case runes(el.Subtitle) > ElementTextMax:
				g := invalidParam("Length of param %s[%d][subtitle] must be less than or equal to %d", path, i, ElementTextMax)
				return nil, &g
			case el.Subtitle == "" && el.ImageURL == "" && len(el.Buttons) == 0 && len(el.DefaultAction) == 0:
				g := invalidParam("%s[%d]: at least one property must be set in addition to title", path, i)
				return nil, &g
			case el.ImageURL != "" && !validURL(el.ImageURL):
				g := invalidParam("param %s[%d][image_url] must be a valid URL", path, i)
				return nil, &g
			}
			bs, g := buttons(path+"["+itoa(i)+"][buttons]", el.Buttons, 0)
			if g != nil {
				return nil, g
			}
			t.Elements = append(t.Elements, Element{Title: el.Title, Subtitle: el.Subtitle, ImageURL: el.ImageURL, Buttons: bs})
		}
		return t, nil
	}
	g := invalidParam("param message[attachment][payload][template_type] must be one of {button, generic}")
	return nil, &g
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func validURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// replyTarget checks a top-level reply_to {mid}: Instagram only, and a
// message of the thread.
func (e *Emulator) replyTarget(a *account, t *thread, mid string) *Error {
	if a.Platform != platform.Instagram {
		g := invalidParam("param reply_to is not supported for this recipient")
		return &g
	}
	if m, ok := e.messages[mid]; !ok || m.ThreadID != t.id {
		g := invalidParam("param reply_to[mid] must be a message of this conversation")
		return &g
	}
	return nil
}

// ErrNotOffered is returned when a test taps a quick reply the business
// never offered in the thread: a person can only tap what they were shown.
var ErrNotOffered = errors.New("graphemu: no such quick reply was offered in this thread")

// TapQuickReply records the person tapping one of the quick replies the
// business's latest message in the thread offered (by payload): its title
// becomes their message and the webhook carries message.quick_reply
// {payload}, as Meta sends it.
func (e *Emulator) TapQuickReply(accountID, participantID, payload string) (Message, error) {
	e.mu.Lock()
	acc, ok := e.accounts[accountID]
	var title string
	found := false
	if ok {
		if t := acc.threadWith(participantID); t != nil {
			for i := len(t.msgs) - 1; i >= 0 && !found; i-- {
				m := t.msgs[i]
				if m.Inbound {
					continue
				}
				for _, q := range m.QuickReplies {
					if q.Payload == payload {
						title, found = q.Title, true
					}
				}
				break // only the latest business message's chips are shown
			}
		}
	}
	e.mu.Unlock()
	if !ok {
		return Message{}, ErrNotFound
	}
	if !found {
		return Message{}, ErrNotOffered
	}
	m, err := e.recordInbound(accountID, Participant{ID: participantID}, title, nil, func(m *Message) { m.QuickReplyPayload = payload })
	if err != nil {
		return m, err
	}
	return m, e.notify(m)
}

// ReplyTo records the person replying to message mid of their thread with
// text; the webhook carries message.reply_to {mid}.
func (e *Emulator) ReplyTo(accountID, participantID, mid, text string) (Message, error) {
	e.mu.Lock()
	target, ok := e.messages[mid]
	e.mu.Unlock()
	if !ok {
		return Message{}, ErrNotFound
	}
	m, err := e.recordInbound(accountID, Participant{ID: participantID}, text, nil, func(m *Message) { m.ReplyTo = target.ID })
	if err != nil {
		return m, err
	}
	return m, e.notify(m)
}
