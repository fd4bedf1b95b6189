package whatsapp

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/testsupport/golden"
)

func quick(n int) []apitype.QuickReply {
	out := make([]apitype.QuickReply, n)
	for i := range out {
		out[i] = apitype.QuickReply{Title: fmt.Sprintf("Option %d", i+1), Payload: fmt.Sprintf("OPT_%d", i+1)}
	}
	return out
}

// TestBuildSendsGolden pins the Cloud API bodies each rich send becomes.
func TestBuildSendsGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		msg  platform.Outbound
	}{
		{"reply_buttons", platform.Outbound{Text: "Which size?", QuickReplies: quick(3), ReplyTo: "wamid.in1"}},
		{"list", platform.Outbound{Text: "Pick a colour", QuickReplies: quick(4)}},
		{"postback_buttons", platform.Outbound{Text: "Need help?", Buttons: []apitype.Button{{Type: "postback", Title: "Yes", Payload: "HELP_YES"}}}},
		{"cta_url", platform.Outbound{Text: "Track it here", Buttons: []apitype.Button{{Type: "url", Title: "Track", URL: "https://shop.example.com/t/1"}}}},
		{"attachments", platform.Outbound{Text: "Your documents", ReplyTo: "wamid.in2", Attachments: []platform.OutAttachment{
			{Type: "image", URL: "https://cdn.example.com/1.png"}, {Type: "file", URL: "https://cdn.example.com/2.pdf"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := buildSends("16505551234", "", tc.msg)
			if err != nil {
				t.Fatal(err)
			}
			golden.CompareJSON(t, filepath.Join("testdata", "send", tc.name+".golden"), got)
		})
	}
}

func TestBuildSendsRefuse(t *testing.T) {
	t.Parallel()
	for name, msg := range map[string]platform.Outbound{
		"cards":                {Text: "x", Cards: []apitype.Card{{Title: "a", Subtitle: "b"}}},
		"11 choices":           {Text: "x", QuickReplies: quick(11)},
		"url and reply":        {Text: "x", Buttons: []apitype.Button{{Type: "url", Title: "a", URL: "https://e.com"}, {Type: "postback", Title: "b", Payload: "b"}}},
		"interactive bare":     {QuickReplies: quick(2)},
		"template and buttons": {Template: &platform.Template{Name: "t", Language: "en"}, QuickReplies: quick(1)},
	} {
		if _, err := buildSends("16505551234", "", msg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
