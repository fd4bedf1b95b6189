package meta

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/emulator/graphemu"
	"github.com/parleyhq/parley/internal/platform"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/webhook")

// TestParseWebhookGolden parses each sample payload under testdata/webhook
// (shapes from Meta's webhook references, with deliberately broken items)
// and compares the events with the .golden file beside it.
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
		{name: "not JSON", body: `{"object":`, wantErr: true},
		{name: "array", body: `[{"object":"page"}]`, wantErr: true},
		{name: "other object", body: `{"object":"whatsapp_business_account","entry":[]}`, wantErr: true},
		{name: "no object", body: `{"entry":[]}`, wantErr: true},
		{name: "entry not an array", body: `{"object":"page","entry":{"id":"1"}}`},
		{name: "empty", body: `{"object":"instagram"}`},
		{name: "entry with changes only (feed)", body: `{"object":"page","entry":[{"id":"1","changes":[{"field":"feed"}]}]}`},
		{name: "messaging not an array", body: `{"object":"page","entry":[{"id":"1","messaging":5}]}`},
		{name: "null message", body: `{"object":"page","entry":[{"id":"1","messaging":[{"sender":{"id":"2"},"message":null}]}]}`},
		{name: "numeric ids tolerated", body: `{"object":"page","entry":[{"id":1,"messaging":[{"sender":{"id":2},"recipient":{"id":1},"timestamp":5,"message":{"mid":"m","text":"x"}}]}]}`, want: 1},
		{name: "postback without mid", body: `{"object":"page","entry":[{"id":"1","messaging":[{"sender":{"id":"2"},"postback":{"title":"t"}}]}]}`},
		{name: "echo without recipient", body: `{"object":"page","entry":[{"id":"1","messaging":[{"sender":{"id":"1"},"message":{"mid":"m","is_echo":true}}]}]}`},
		{name: "referral only", body: `{"object":"page","entry":[{"id":"1","messaging":[{"sender":{"id":"2"},"referral":{"ref":"x"}}]}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := ParseWebhook([]byte(tt.body))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrNotMetaWebhook) {
				t.Fatalf("err = %v, want ErrNotMetaWebhook", err)
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
	for _, name := range []string{"messenger.json", "instagram.json"} {
		if b, err := os.ReadFile(filepath.Join("testdata/webhook", name)); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := ParseWebhook(body)
		if err != nil && evs != nil {
			t.Fatalf("events with an error")
		}
		for _, ev := range evs {
			if ev.Platform == "" || ev.Kind == "" || ev.AccountNativeID == "" {
				t.Fatalf("incomplete event %+v", ev)
			}
			if ev.Platform != platform.Messenger && ev.Platform != platform.Instagram {
				t.Fatalf("platform %q", ev.Platform)
			}
		}
	})
}

func TestResolveThread(t *testing.T) {
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
