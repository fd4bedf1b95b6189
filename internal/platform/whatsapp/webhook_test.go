package whatsapp

import (
	"fmt"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/testsupport/golden"
)

// TestParseWebhookGolden parses each sample payload under testdata/webhook
// (shapes from Meta's WhatsApp webhook references, with deliberately broken
// items) and compares the events with the .golden file beside it.
func TestParseWebhookGolden(t *testing.T) {
	t.Parallel()
	golden.ParseFiles(t, "testdata/webhook", ParseWebhook)
}

func TestParseWebhookCases(t *testing.T) {
	t.Parallel()
	golden.ParseCases(t, ParseWebhook, ErrNotWhatsAppWebhook, []golden.Case{
		{Name: "not JSON", Body: `nope`, WantErr: true},
		{Name: "Messenger body", Body: `{"object":"page","entry":[]}`, WantErr: true},
		{Name: "string", Body: `"whatsapp_business_account"`, WantErr: true},
		{Name: "entry wrong type", Body: `{"object":"whatsapp_business_account","entry":"x"}`},
		{Name: "no phone number id", Body: `{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"messages":[{"from":"1","id":"w","type":"text","text":{"body":"x"}}]}}]}]}`},
		{Name: "numeric phone number id", Body: `{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":123},"messages":[{"from":"1","id":"w","type":"text","text":{"body":"x"}}]}}]}]}`, Want: 1},
		{Name: "unknown status", Body: `{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"metadata":{"phone_number_id":"1"},"statuses":[{"id":"w","status":"warning"}]}}]}]}`},
		{Name: "username user without phone", Body: `{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"metadata":{"phone_number_id":"1"},"messages":[{"from_user_id":"US.1","id":"w","type":"text","text":{"body":"x"}}]}}]}]}`, Want: 1},
		{Name: "oversized user id is not an id", Body: `{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"metadata":{"phone_number_id":"1"},"messages":[{"from_user_id":"` + strings.Repeat("9", 200) + `","id":"w","type":"text","text":{"body":"x"}}]}}]}]}`},
		{Name: "other field", Body: `{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"account_update","value":{"metadata":{"phone_number_id":"1"},"statuses":[{"id":"w","status":"sent"}]}}]}]}`},
	})
}

// FuzzParseWebhook: no panic, and every event names its platform, kind and
// account.
func FuzzParseWebhook(f *testing.F) {
	golden.FuzzParse(f, ParseWebhook, func(ev platform.InboundEvent) error {
		if ev.Platform != platform.WhatsApp || ev.Kind == "" || ev.AccountNativeID == "" {
			return fmt.Errorf("incomplete event %+v", ev)
		}
		if ev.ParticipantFirst && ev.ParticipantID == "" {
			return fmt.Errorf("participant-first without a participant: %+v", ev)
		}
		if ev.Kind == platform.EventMessage && ev.ThreadID == "" && ev.ParticipantID == "" {
			return fmt.Errorf("message from nobody: %+v", ev)
		}
		return nil
	}, "testdata/webhook", "messages.json", "statuses.json", "bsuid_failed.json")
}
