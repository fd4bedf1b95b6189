package linkedin

import (
	"fmt"
	"testing"

	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/testsupport/golden"
)

// TestParseWebhookGolden parses each sample payload under testdata/webhook
// (the ASSUMED message notification of assumptions.go, and LinkedIn's
// documented social-action notification, which yields nothing) and
// compares the events with the .golden file beside it.
func TestParseWebhookGolden(t *testing.T) {
	t.Parallel()
	golden.ParseFiles(t, "testdata/webhook", ParseWebhook)
}

func TestParseWebhookCases(t *testing.T) {
	t.Parallel()
	golden.ParseCases(t, ParseWebhook, ErrNotLinkedInWebhook, []golden.Case{
		{Name: "not JSON", Body: `}`, WantErr: true},
		{Name: "no type", Body: `{"notifications":[]}`, WantErr: true},
		{Name: "type not a string", Body: `{"type":5}`, WantErr: true},
		{Name: "lead sync", Body: `{"type":"LEAD_ACTION","leadGenFormResponse":"urn:li:leadGenFormResponse:1"}`},
		{Name: "notifications wrong type", Body: `{"type":"ORGANIZATION_MESSAGE_NOTIFICATIONS","notifications":7}`},
		{Name: "owner when no organizationalEntity", Body: `{"type":"ORGANIZATION_MESSAGE_NOTIFICATIONS","notifications":[{"action":"MESSAGE_CREATED","message":{"id":"2-a","thread":"urn:li:messagingThread:2-b","author":"urn:li:person:c","owner":"urn:li:organization:1","createdAt":1}}]}`, Want: 1},
		{Name: "no message", Body: `{"type":"ORGANIZATION_MESSAGE_NOTIFICATIONS","notifications":[{"action":"MESSAGE_CREATED","organizationalEntity":"urn:li:organization:1"}]}`},
	})
}

// FuzzParseWebhook: no panic, and every event names its platform, kind and
// account.
func FuzzParseWebhook(f *testing.F) {
	golden.FuzzParse(f, ParseWebhook, func(ev platform.InboundEvent) error {
		if ev.Platform != platform.LinkedIn || ev.Kind == "" || ev.AccountNativeID == "" {
			return fmt.Errorf("incomplete event %+v", ev)
		}
		return nil
	}, "testdata/webhook", "messages.json", "social_actions.json")
}
