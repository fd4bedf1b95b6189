package meta

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/parleyhq/parley/internal/emulator/graphemu"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/testsupport/golden"
)

// TestParseWebhookGolden parses each sample payload under testdata/webhook
// (shapes from Meta's webhook references, with deliberately broken items)
// and compares the events with the .golden file beside it.
func TestParseWebhookGolden(t *testing.T) {
	t.Parallel()
	golden.ParseFiles(t, "testdata/webhook", ParseWebhook)
}

func TestParseWebhookCases(t *testing.T) {
	t.Parallel()
	golden.ParseCases(t, ParseWebhook, ErrNotMetaWebhook, []golden.Case{
		{Name: "not JSON", Body: `{"object":`, WantErr: true},
		{Name: "array", Body: `[{"object":"page"}]`, WantErr: true},
		{Name: "other object", Body: `{"object":"whatsapp_business_account","entry":[]}`, WantErr: true},
		{Name: "no object", Body: `{"entry":[]}`, WantErr: true},
		{Name: "entry not an array", Body: `{"object":"page","entry":{"id":"1"}}`},
		{Name: "empty", Body: `{"object":"instagram"}`},
		{Name: "entry with changes only (feed)", Body: `{"object":"page","entry":[{"id":"1","changes":[{"field":"feed"}]}]}`},
		{Name: "messaging not an array", Body: `{"object":"page","entry":[{"id":"1","messaging":5}]}`},
		{Name: "null message", Body: `{"object":"page","entry":[{"id":"1","messaging":[{"sender":{"id":"2"},"message":null}]}]}`},
		{Name: "numeric ids tolerated", Body: `{"object":"page","entry":[{"id":1,"messaging":[{"sender":{"id":2},"recipient":{"id":1},"timestamp":5,"message":{"mid":"m","text":"x"}}]}]}`, Want: 1},
		{Name: "postback without mid", Body: `{"object":"page","entry":[{"id":"1","messaging":[{"sender":{"id":"2"},"postback":{"title":"t"}}]}]}`},
		{Name: "echo without recipient", Body: `{"object":"page","entry":[{"id":"1","messaging":[{"sender":{"id":"1"},"message":{"mid":"m","is_echo":true}}]}]}`},
		{Name: "referral only", Body: `{"object":"page","entry":[{"id":"1","messaging":[{"sender":{"id":"2"},"referral":{"ref":"x"}}]}]}`, Want: 1},
		{Name: "referral without sender", Body: `{"object":"page","entry":[{"id":"1","messaging":[{"referral":{"ref":"x"}}]}]}`},
		{Name: "reaction without mid", Body: `{"object":"page","entry":[{"id":"1","messaging":[{"sender":{"id":"2"},"reaction":{"action":"react","emoji":"x"}}]}]}`},
		{Name: "reaction of unknown action", Body: `{"object":"page","entry":[{"id":"1","messaging":[{"sender":{"id":"2"},"reaction":{"action":"hug","mid":"m"}}]}]}`},
		{Name: "edit without sender", Body: `{"object":"page","entry":[{"id":"1","messaging":[{"message_edit":{"mid":"m","text":"x"}}]}]}`},
		{Name: "unsend without sender", Body: `{"object":"instagram","entry":[{"id":"1","messaging":[{"message":{"mid":"m","is_deleted":true}}]}]}`},
		{Name: "standby not an array", Body: `{"object":"page","entry":[{"id":"1","standby":{"sender":{"id":"2"}}}]}`},
		{Name: "standby and messaging", Body: `{"object":"page","entry":[{"id":"1","messaging":[{"sender":{"id":"2"},"message":{"mid":"a","text":"x"}}],"standby":[{"sender":{"id":"3"},"message":{"mid":"b","text":"y"}}]}]}`, Want: 2},
	})
}

// FuzzParseWebhook: no panic, and every event names its platform, kind and
// account.
func FuzzParseWebhook(f *testing.F) {
	golden.FuzzParse(f, ParseWebhook, func(ev platform.InboundEvent) error {
		if ev.Platform == "" || ev.Kind == "" || ev.AccountNativeID == "" {
			return fmt.Errorf("incomplete event %+v", ev)
		}
		if ev.Platform != platform.Messenger && ev.Platform != platform.Instagram {
			return fmt.Errorf("platform %q", ev.Platform)
		}
		switch ev.Kind {
		case platform.EventReaction:
			if ev.Reaction == nil || (ev.Reaction.Action != "react" && ev.Reaction.Action != "unreact") || ev.MessageID == "" || ev.ParticipantID == "" {
				return fmt.Errorf("bad reaction %+v", ev)
			}
		case platform.EventEdited, platform.EventDeleted:
			if ev.MessageID == "" || ev.ParticipantID == "" {
				return fmt.Errorf("%s without message or participant: %+v", ev.Kind, ev)
			}
		case platform.EventReferral:
			if !ev.Referral || ev.ParticipantID == "" {
				return fmt.Errorf("bad referral %+v", ev)
			}
		}
		return nil
	}, "testdata/webhook", "messenger.json", "instagram.json", "messenger_events.json")
}

func TestResolveThread(t *testing.T) {
	t.Parallel()
	e := newEnv(t, graphemu.Options{})
	p := graphemu.Participant{ID: "7000000000000009", Name: "Ines"}
	ids := e.seed(t, p, []graphemu.SeedMessage{{Inbound: true, Text: "hi", At: t0}})
	// A second person, so the filter has something to filter out.
	e.seed(t, graphemu.Participant{ID: "7000000000000010", Name: "Other"}, []graphemu.SeedMessage{{Inbound: true, Text: "yo", At: t0}})
	ctx := context.Background()
	for _, f := range e.flavours {
		t.Run(f.name, func(t *testing.T) {
			got, err := f.adapter.ResolveThread(ctx, f.acct, p.ID)
			if err != nil || got != ids[f.name] {
				t.Fatalf("ResolveThread = %q, %v; want %q", got, err, ids[f.name])
			}
			_, err = f.adapter.ResolveThread(ctx, f.acct, "7000000000000999")
			wantCode(t, err, http.StatusNotFound, "resource.not_found")
			_, err = f.adapter.ResolveThread(ctx, f.acct, "../me")
			wantCode(t, err, http.StatusNotFound, "resource.not_found")
			bad := f.acct
			bad.AccessToken = "nope"
			_, err = f.adapter.ResolveThread(ctx, bad, p.ID)
			wantCode(t, err, http.StatusConflict, "account.reauth_required")
		})
	}
}
