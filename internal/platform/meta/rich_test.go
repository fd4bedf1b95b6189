package meta

import (
	"path/filepath"
	"testing"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/testsupport/golden"
)

// TestSendBodiesGolden pins the Send API bodies each rich send becomes
// (recipient and messaging_type are added per post).
func TestSendBodiesGolden(t *testing.T) {
	t.Parallel()
	buttons := []apitype.Button{{Type: "url", Title: "Track", URL: "https://shop.example.com/t/1"}, {Type: "postback", Title: "Talk to us", Payload: "HUMAN"}}
	for _, tc := range []struct {
		name string
		p    platform.Name
		msg  platform.Outbound
	}{
		{"quick_replies", platform.Messenger, platform.Outbound{Text: "Which size?", QuickReplies: []apitype.QuickReply{{Title: "S", Payload: "SIZE_S"}, {Title: "M", Payload: "SIZE_M"}}}},
		{"button_template", platform.Messenger, platform.Outbound{Text: "What next?", Buttons: buttons}},
		{"generic_reply", platform.Instagram, platform.Outbound{Text: "Our jackets", ReplyTo: "aWdfZAG1", Cards: []apitype.Card{
			{Title: "Blue", Subtitle: "Medium", ImageURL: "https://cdn.example.com/b.png", Buttons: buttons[:1]}, {Title: "Red", Subtitle: "Small"}}}},
		{"attachments_then_text", platform.Messenger, platform.Outbound{Text: "Your label", Attachments: []platform.OutAttachment{
			{Type: "image", URL: "https://cdn.example.com/1.png"}, {Type: "file", URL: "https://cdn.example.com/2.pdf"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := sendBodies(tc.p, tc.msg)
			if err != nil {
				t.Fatal(err)
			}
			golden.CompareJSON(t, filepath.Join("testdata", "send", tc.name+".golden"), got)
		})
	}
}

func TestSendBodiesRefuse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		p    platform.Name
		msg  platform.Outbound
	}{
		{"reply on messenger", platform.Messenger, platform.Outbound{Text: "x", ReplyTo: "m_1"}},
		{"quick replies without text", platform.Messenger, platform.Outbound{Attachments: []platform.OutAttachment{{Type: "image", URL: "https://e.com/a.png"}}, QuickReplies: []apitype.QuickReply{{Title: "a", Payload: "b"}}}},
		{"attachment without url", platform.Messenger, platform.Outbound{Attachments: []platform.OutAttachment{{Type: "image"}}}},
		{"nothing", platform.Instagram, platform.Outbound{ReplyTo: "m_1"}},
	} {
		if _, err := sendBodies(tc.p, tc.msg); err == nil {
			t.Errorf("%s: accepted", tc.name)
		} else if _, ok := apierr.As(err); !ok {
			t.Errorf("%s: %v is not an API error", tc.name, err)
		}
	}
}
