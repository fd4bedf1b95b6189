package inbox

import (
	"reflect"
	"testing"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/platform"
)

// TestOutboundCarriesEveryField: the legacy single attachment and
// attachments[] become one ordered list, and every rich field reaches the
// adapter.
func TestOutboundCarriesEveryField(t *testing.T) {
	t.Parallel()
	in := apitype.SendInput{Text: "hi", Attachment: &apitype.Attachment{Type: "image", URL: "https://e.com/1.png"},
		Attachments:  []apitype.Attachment{{Type: "file", URL: "https://e.com/2.pdf"}},
		QuickReplies: []apitype.QuickReply{{Title: "a", Payload: "A"}}, Buttons: []apitype.Button{{Type: "postback", Title: "b", Payload: "B"}},
		Cards: []apitype.Card{{Title: "c", Subtitle: "s"}}, ReplyToMessageID: "m_1", Tag: "HUMAN_AGENT"}
	got := outbound(in)
	want := platform.Outbound{Text: "hi", Tag: "HUMAN_AGENT", ReplyTo: "m_1", QuickReplies: in.QuickReplies, Buttons: in.Buttons, Cards: in.Cards,
		Attachments: []platform.OutAttachment{{Type: "image", URL: "https://e.com/1.png"}, {Type: "file", URL: "https://e.com/2.pdf"}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("outbound = %+v", got)
	}
}

func TestValidateRichShape(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		in    apitype.SendInput
		code  string
		field string
	}{
		{"cards alone are content", apitype.SendInput{Cards: []apitype.Card{{Title: "c", Subtitle: "s"}}}, "", ""},
		{"attachments alone are content", apitype.SendInput{Attachments: []apitype.Attachment{{Type: "image", URL: "https://e.com/a.png"}}}, "", ""},
		{"nothing", apitype.SendInput{QuickReplies: []apitype.QuickReply{{Title: "a", Payload: "b"}}}, "validation.required", "text"},
		{"bad type", apitype.SendInput{Attachments: []apitype.Attachment{{Type: "gif", URL: "https://e.com/a.gif"}}}, "validation.invalid_field", "attachments[0].type"},
		{"legacy first", apitype.SendInput{Attachment: &apitype.Attachment{Type: "image", URL: "https://e.com/a.png"},
			Attachments: []apitype.Attachment{{Type: "image", URL: "ftp://e.com/b.png"}}}, "validation.invalid_field", "attachments[0].url"},
		{"url and media id", apitype.SendInput{Attachments: []apitype.Attachment{{Type: "image", URL: "https://e.com/a.png", MediaID: "med_1"}}}, "validation.invalid_field", "attachments[0]"},
		{"control character", apitype.SendInput{Text: "x", QuickReplies: []apitype.QuickReply{{Title: "a\x07", Payload: "b"}}}, "validation.invalid_text", "quick_replies[0].title"},
	} {
		err := validateSend(tc.in)
		if tc.code == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		e, ok := apierr.As(err)
		if !ok || e.Code != tc.code || e.Meta["field"] != tc.field {
			t.Errorf("%s: got %v (meta %v), want %s on %s", tc.name, err, e.Meta, tc.code, tc.field)
		}
	}
}
