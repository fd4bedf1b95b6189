package xapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/emulator/xemu"
	"github.com/parleyhq/parley/internal/platform"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/webhook")

// TestParseWebhookGolden parses each sample payload under testdata/webhook
// (Account Activity API shapes from X's docs, with deliberately broken
// items) and compares the events with the .golden file beside it.
func TestParseWebhookGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/webhook/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no payloads: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			body, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			evs, err := ParseWebhook(body)
			if err != nil {
				t.Fatal(err)
			}
			compareGolden(t, strings.TrimSuffix(f, ".json")+".golden", evs)
		})
	}
}

func compareGolden(t *testing.T, path string, evs []platform.InboundEvent) {
	t.Helper()
	got, err := json.MarshalIndent(evs, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("events differ from %s:\n%s", path, got)
	}
}

func TestParseWebhookCases(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		wantErr bool
		want    int
	}{
		{name: "not JSON", body: `<xml/>`, wantErr: true},
		{name: "no for_user_id", body: `{"direct_message_events":[]}`, wantErr: true},
		{name: "array", body: `[]`, wantErr: true},
		{name: "events wrong type", body: `{"for_user_id":"1","direct_message_events":{}}`},
		{name: "numeric for_user_id", body: `{"for_user_id":1,"direct_message_events":[{"type":"message_create","id":"9","message_create":{"sender_id":"2","target":{"recipient_id":"1"},"message_data":{"text":"x"}}}]}`, want: 1},
		{name: "read without event id", body: `{"for_user_id":"1","direct_message_mark_read_events":[{"sender_id":"2","target":{"recipient_id":"1"}}]}`},
		{name: "no message_create", body: `{"for_user_id":"1","direct_message_events":[{"type":"message_create","id":"9"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := ParseWebhook([]byte(tt.body))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrNotAccountActivity) {
				t.Fatalf("err = %v", err)
			}
			if len(evs) != tt.want {
				t.Fatalf("got %d events, want %d: %+v", len(evs), tt.want, evs)
			}
		})
	}
}

// TestOneToOneIDMatchesEmulator: the parser's thread id is the one the
// emulator (and X) assign.
func TestOneToOneIDMatchesEmulator(t *testing.T) {
	for _, p := range [][2]string{{"12", "4337869213"}, {"4337869213", "12"}, {"99", "100"}, {"5", "5"}, {"1500000000000000002", "1500000000000000001"}} {
		if got, want := oneToOneID(p[0], p[1]), xemu.ConversationID(p[0], p[1]); got != want {
			t.Errorf("oneToOneID(%s, %s) = %s, want %s", p[0], p[1], got, want)
		}
	}
}

// FuzzParseWebhook: no panic, and every event names its platform, kind and
// account.
func FuzzParseWebhook(f *testing.F) {
	for _, name := range []string{"direct_messages.json", "tweet_events.json"} {
		if b, err := os.ReadFile(filepath.Join("testdata/webhook", name)); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := ParseWebhook(body)
		if err != nil && evs != nil {
			t.Fatal("events with an error")
		}
		for _, ev := range evs {
			if ev.Platform != platform.X || ev.Kind == "" || ev.AccountNativeID == "" {
				t.Fatalf("incomplete event %+v", ev)
			}
		}
	})
}
