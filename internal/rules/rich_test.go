package rules

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/platform"
)

func qrs(n int) []apitype.QuickReply {
	out := make([]apitype.QuickReply, n)
	for i := range out {
		out[i] = apitype.QuickReply{Title: fmt.Sprintf("Q%d", i), Payload: fmt.Sprintf("P%d", i)}
	}
	return out
}

func postbacks(n int) []apitype.Button {
	out := make([]apitype.Button, n)
	for i := range out {
		out[i] = apitype.Button{Type: "postback", Title: fmt.Sprintf("B%d", i), Payload: fmt.Sprintf("P%d", i)}
	}
	return out
}

func cards(n int) []apitype.Card {
	out := make([]apitype.Card, n)
	for i := range out {
		out[i] = apitype.Card{Title: fmt.Sprintf("C%d", i), Subtitle: "s"}
	}
	return out
}

// TestRichLimits: every platform's limits at the boundary, and every field
// a platform cannot carry, refused with the code and meta a caller reads.
func TestRichLimits(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	open := Conversation{LastInboundAt: now.Add(-time.Hour)}
	url := apitype.Button{Type: "url", Title: "Site", URL: "https://example.com"}
	cases := []struct {
		name  string
		p     platform.Name
		text  string
		rich  Rich
		code  string
		field string
	}{
		{"messenger 13 quick replies", platform.Messenger, "pick", Rich{QuickReplies: qrs(13)}, "", ""},
		{"messenger 14 quick replies", platform.Messenger, "pick", Rich{QuickReplies: qrs(14)}, CodeTooMany, "quick_replies"},
		{"instagram 14 quick replies", platform.Instagram, "pick", Rich{QuickReplies: qrs(14)}, CodeTooMany, "quick_replies"},
		{"quick reply title 20", platform.Messenger, "pick", Rich{QuickReplies: []apitype.QuickReply{{Title: strings.Repeat("é", 20), Payload: "p"}}}, "", ""},
		{"quick reply title 21", platform.Messenger, "pick", Rich{QuickReplies: []apitype.QuickReply{{Title: strings.Repeat("é", 21), Payload: "p"}}}, CodeTooLong, "quick_replies[0].title"},
		{"quick reply payload 1001", platform.Messenger, "pick", Rich{QuickReplies: []apitype.QuickReply{{Title: "t", Payload: strings.Repeat("p", 1001)}}}, CodeTooLong, "quick_replies[0].payload"},
		{"quick replies need text", platform.Messenger, "", Rich{QuickReplies: qrs(1), Attachments: []string{"image"}}, CodeRequired, "text"},
		{"quick reply without payload", platform.Messenger, "pick", Rich{QuickReplies: []apitype.QuickReply{{Title: "t"}}}, CodeRequired, "quick_replies[0].payload"},
		{"3 buttons", platform.Messenger, "pick", Rich{Buttons: postbacks(3)}, "", ""},
		{"4 buttons", platform.Messenger, "pick", Rich{Buttons: postbacks(4)}, CodeTooMany, "buttons"},
		{"button text 641", platform.Instagram, strings.Repeat("a", 641), Rich{Buttons: postbacks(1)}, CodeTooLong, "text"},
		{"button title 21", platform.Messenger, "pick", Rich{Buttons: []apitype.Button{{Type: "postback", Title: strings.Repeat("b", 21), Payload: "p"}}}, CodeTooLong, "buttons[0].title"},
		{"button bad type", platform.Messenger, "pick", Rich{Buttons: []apitype.Button{{Type: "call", Title: "b"}}}, CodeInvalidField, "buttons[0].type"},
		{"url button without url", platform.Messenger, "pick", Rich{Buttons: []apitype.Button{{Type: "url", Title: "b"}}}, CodeInvalidField, "buttons[0].url"},
		{"10 cards", platform.Messenger, "", Rich{Cards: cards(10)}, "", ""},
		{"11 cards", platform.Instagram, "", Rich{Cards: cards(11)}, CodeTooMany, "cards"},
		{"card title 81", platform.Messenger, "", Rich{Cards: []apitype.Card{{Title: strings.Repeat("c", 81), Subtitle: "s"}}}, CodeTooLong, "cards[0].title"},
		{"card with title only", platform.Messenger, "", Rich{Cards: []apitype.Card{{Title: "c"}}}, CodeRequired, "cards[0].subtitle"},
		{"card with 4 buttons", platform.Messenger, "", Rich{Cards: []apitype.Card{{Title: "c", Buttons: postbacks(4)}}}, CodeTooMany, "cards[0].buttons"},
		{"quick replies and buttons", platform.Messenger, "pick", Rich{QuickReplies: qrs(1), Buttons: postbacks(1)}, CodeMutuallyExclusive, "quick_replies"},
		{"buttons and cards", platform.Messenger, "pick", Rich{Buttons: postbacks(1), Cards: cards(1)}, CodeMutuallyExclusive, "buttons"},
		{"instagram reply", platform.Instagram, "hi", Rich{ReplyTo: "m_1"}, "", ""},
		{"messenger reply", platform.Messenger, "hi", Rich{ReplyTo: "m_1"}, CodeUnsupportedOnPlatform, "reply_to_message_id"},
		{"11 attachments", platform.Messenger, "", Rich{Attachments: make([]string, 11)}, CodeTooMany, "attachments"},
		{"whatsapp 10 quick replies (list)", platform.WhatsApp, "pick", Rich{QuickReplies: qrs(10)}, "", ""},
		{"whatsapp 11 quick replies", platform.WhatsApp, "pick", Rich{QuickReplies: qrs(11)}, CodeTooMany, "quick_replies"},
		{"whatsapp reply button title 21", platform.WhatsApp, "pick", Rich{QuickReplies: []apitype.QuickReply{{Title: strings.Repeat("t", 21), Payload: "p"}}}, CodeTooLong, "quick_replies[0].title"},
		{"whatsapp list row title 24", platform.WhatsApp, "pick", Rich{QuickReplies: append(qrs(3), apitype.QuickReply{Title: strings.Repeat("t", 24), Payload: "x"})}, "", ""},
		{"whatsapp list row title 25", platform.WhatsApp, "pick", Rich{QuickReplies: append(qrs(3), apitype.QuickReply{Title: strings.Repeat("t", 25), Payload: "x"})}, CodeTooLong, "quick_replies[3].title"},
		{"whatsapp duplicate titles", platform.WhatsApp, "pick", Rich{QuickReplies: []apitype.QuickReply{{Title: "a", Payload: "1"}, {Title: "a", Payload: "2"}}}, CodeInvalidField, "quick_replies[1]"},
		{"whatsapp 3 reply buttons", platform.WhatsApp, "pick", Rich{Buttons: postbacks(3)}, "", ""},
		{"whatsapp 4 reply buttons", platform.WhatsApp, "pick", Rich{Buttons: postbacks(4)}, CodeTooMany, "buttons"},
		{"whatsapp one url button", platform.WhatsApp, "pick", Rich{Buttons: []apitype.Button{url}}, "", ""},
		{"whatsapp two url buttons", platform.WhatsApp, "pick", Rich{Buttons: []apitype.Button{url, {Type: "url", Title: "Other", URL: "https://e.com"}}}, CodeTooMany, "buttons (url)"},
		{"whatsapp url and reply buttons", platform.WhatsApp, "pick", Rich{Buttons: []apitype.Button{url, postbacks(1)[0]}}, CodeMutuallyExclusive, "buttons"},
		{"whatsapp body 1025", platform.WhatsApp, strings.Repeat("a", 1025), Rich{QuickReplies: qrs(1)}, CodeTooLong, "text"},
		{"whatsapp interactive with media", platform.WhatsApp, "pick", Rich{QuickReplies: qrs(1), Attachments: []string{"image"}}, CodeMutuallyExclusive, "quick_replies"},
		{"whatsapp cards", platform.WhatsApp, "", Rich{Cards: cards(1)}, CodeUnsupportedOnPlatform, "cards"},
		{"whatsapp reply", platform.WhatsApp, "hi", Rich{ReplyTo: "wamid.1"}, "", ""},
		{"x quick replies", platform.X, "hi", Rich{QuickReplies: qrs(1)}, CodeUnsupportedOnPlatform, "quick_replies"},
		{"x attachment by url", platform.X, "hi", Rich{Attachments: []string{"image"}}, CodeUnsupportedOnPlatform, "attachments"},
		{"x reply", platform.X, "hi", Rich{ReplyTo: "1"}, CodeUnsupportedOnPlatform, "reply_to_message_id"},
		{"linkedin buttons", platform.LinkedIn, "hi", Rich{Buttons: postbacks(1)}, CodeUnsupportedOnPlatform, "buttons"},
		{"linkedin cards", platform.LinkedIn, "", Rich{Cards: cards(1)}, CodeUnsupportedOnPlatform, "cards"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := Request{Text: tc.text, HasAttachment: len(tc.rich.Attachments) > 0, Rich: tc.rich}
			d := Decide(tc.p, open, r, now)
			if tc.code == "" {
				if !d.Allowed {
					t.Fatalf("refused: %v", d.Err)
				}
				return
			}
			if d.Allowed || d.Err.Code != tc.code || d.Err.Meta["field"] != tc.field {
				t.Fatalf("got %v (meta %v), want %s on %s", d.Err, d.Err.Meta, tc.code, tc.field)
			}
			if tc.code == CodeUnsupportedOnPlatform && d.Err.Meta["platform"] != string(tc.p) {
				t.Fatalf("meta does not name the platform: %v", d.Err.Meta)
			}
		})
	}
}

// TestRichWithTemplate: a template's buttons are its components.
func TestRichWithTemplate(t *testing.T) {
	t.Parallel()
	r := Request{Template: &TemplateRef{Name: "n", Language: "en", Category: CategoryUtility, Status: TemplateApproved}, Rich: Rich{QuickReplies: qrs(1)}}
	d := Decide(platform.WhatsApp, Conversation{}, r, time.Now())
	if d.Allowed || d.Err.Code != CodeMutuallyExclusive {
		t.Fatalf("got %v", d.Err)
	}
}
