package xapi

import (
	"fmt"
	"testing"

	"github.com/parleyhq/parley/internal/emulator/xemu"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/testsupport/golden"
)

// TestParseWebhookGolden parses each sample payload under testdata/webhook
// (Account Activity API shapes from X's docs, with deliberately broken
// items) and compares the events with the .golden file beside it.
func TestParseWebhookGolden(t *testing.T) {
	t.Parallel()
	golden.ParseFiles(t, "testdata/webhook", ParseWebhook)
}

func TestParseWebhookCases(t *testing.T) {
	t.Parallel()
	golden.ParseCases(t, ParseWebhook, ErrNotAccountActivity, []golden.Case{
		{Name: "not JSON", Body: `<xml/>`, WantErr: true},
		{Name: "no for_user_id", Body: `{"direct_message_events":[]}`, WantErr: true},
		{Name: "array", Body: `[]`, WantErr: true},
		{Name: "events wrong type", Body: `{"for_user_id":"1","direct_message_events":{}}`},
		{Name: "numeric for_user_id", Body: `{"for_user_id":1,"direct_message_events":[{"type":"message_create","id":"9","message_create":{"sender_id":"2","target":{"recipient_id":"1"},"message_data":{"text":"x"}}}]}`, Want: 1},
		{Name: "read without event id", Body: `{"for_user_id":"1","direct_message_mark_read_events":[{"sender_id":"2","target":{"recipient_id":"1"}}]}`},
		{Name: "no message_create", Body: `{"for_user_id":"1","direct_message_events":[{"type":"message_create","id":"9"}]}`},
	})
}

// TestOneToOneIDMatchesEmulator: the parser's thread id is the one the
// emulator (and X) assign.
func TestOneToOneIDMatchesEmulator(t *testing.T) {
	t.Parallel()
	for _, p := range [][2]string{{"12", "4337869213"}, {"4337869213", "12"}, {"99", "100"}, {"5", "5"}, {"1500000000000000002", "1500000000000000001"}} {
		if got, want := oneToOneID(p[0], p[1]), xemu.ConversationID(p[0], p[1]); got != want {
			t.Errorf("oneToOneID(%s, %s) = %s, want %s", p[0], p[1], got, want)
		}
	}
}

// FuzzParseWebhook: no panic, and every event names its platform, kind and
// account.
func FuzzParseWebhook(f *testing.F) {
	golden.FuzzParse(f, ParseWebhook, func(ev platform.InboundEvent) error {
		if ev.Platform != platform.X || ev.Kind == "" || ev.AccountNativeID == "" {
			return fmt.Errorf("incomplete event %+v", ev)
		}
		return nil
	}, "testdata/webhook", "direct_messages.json", "tweet_events.json")
}
