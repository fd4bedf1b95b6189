package linkedin

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/platform"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/webhook")

// TestParseWebhookGolden parses each sample payload under testdata/webhook
// (the ASSUMED message notification of assumptions.go, and LinkedIn's
// documented social-action notification, which yields nothing) and
// compares the events with the .golden file beside it.
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
		{name: "not JSON", body: `}`, wantErr: true},
		{name: "no type", body: `{"notifications":[]}`, wantErr: true},
		{name: "type not a string", body: `{"type":5}`, wantErr: true},
		{name: "lead sync", body: `{"type":"LEAD_ACTION","leadGenFormResponse":"urn:li:leadGenFormResponse:1"}`},
		{name: "notifications wrong type", body: `{"type":"ORGANIZATION_MESSAGE_NOTIFICATIONS","notifications":7}`},
		{name: "owner when no organizationalEntity", body: `{"type":"ORGANIZATION_MESSAGE_NOTIFICATIONS","notifications":[{"action":"MESSAGE_CREATED","message":{"id":"2-a","thread":"urn:li:messagingThread:2-b","author":"urn:li:person:c","owner":"urn:li:organization:1","createdAt":1}}]}`, want: 1},
		{name: "no message", body: `{"type":"ORGANIZATION_MESSAGE_NOTIFICATIONS","notifications":[{"action":"MESSAGE_CREATED","organizationalEntity":"urn:li:organization:1"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := ParseWebhook([]byte(tt.body))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrNotLinkedInWebhook) {
				t.Fatalf("err = %v", err)
			}
			if len(evs) != tt.want {
				t.Fatalf("got %d events, want %d: %+v", len(evs), tt.want, evs)
			}
		})
	}
}

// FuzzParseWebhook: no panic, and every event names its platform, kind and
// account.
func FuzzParseWebhook(f *testing.F) {
	for _, name := range []string{"messages.json", "social_actions.json"} {
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
			if ev.Platform != platform.LinkedIn || ev.Kind == "" || ev.AccountNativeID == "" {
				t.Fatalf("incomplete event %+v", ev)
			}
		}
	})
}
