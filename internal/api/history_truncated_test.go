package api_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/convid"
	"github.com/parleyhq/parley/internal/emulator/graphemu"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestInstagramHistoryTruncated: Instagram details only a conversation's 20
// most recent messages, so paging its history ends there, and the last page
// says so in meta instead of pretending there is nothing older. Messenger,
// without the limit, pages through all of it with no such meta.
func TestInstagramHistoryTruncated(t *testing.T) {
	t.Parallel()
	l := newLiveEnv(t, storetest.Backend{Name: "sqlite", DataDir: t.TempDir()})
	for _, tc := range []struct {
		p       platform.Name
		limited bool
	}{{platform.Instagram, true}, {platform.Messenger, false}} {
		t.Run(string(tc.p), func(t *testing.T) {
			var msgs []graphemu.SeedMessage
			for i := range 25 {
				msgs = append(msgs, graphemu.SeedMessage{Inbound: i%2 == 0, Text: fmt.Sprintf("m%02d", i), At: time.Now().Add(time.Duration(i-60) * time.Minute)})
			}
			tid, err := l.emu.Graph.AddConversation(l.seeded.NativeIDs[tc.p], graphemu.Conversation{
				Participant: graphemu.Participant{ID: "6100000000000999", Name: "Long Thread"}, Messages: msgs})
			if err != nil {
				t.Fatal(err)
			}
			conv := convid.Encode(l.seeded.Accounts[tc.p], tid)
			var texts []string
			var last response
			path := "/v1/inbox/conversations/" + conv + "/messages?limit=8"
			for range 10 {
				last = l.do("GET", path, l.key, nil)
				expect(t, last, 200, "")
				for _, m := range last.body["data"].([]any) {
					texts = append(texts, m.(map[string]any)["text"].(string))
				}
				pg := last.body["pagination"].(map[string]any)
				if pg["has_more"] != true {
					break
				}
				path = "/v1/inbox/conversations/" + conv + "/messages?limit=8&cursor=" + pg["next_cursor"].(string)
			}
			want := 25
			if tc.limited {
				want = 20
			}
			if len(texts) != want || texts[0] != "m24" || texts[want-1] != fmt.Sprintf("m%02d", 25-want) {
				t.Fatalf("read %d messages %v, want the %d newest", len(texts), texts, want)
			}
			meta, _ := last.body["meta"].(map[string]any)
			if !tc.limited {
				if meta != nil {
					t.Fatalf("messenger history with meta: %s", last.raw)
				}
				return
			}
			if meta == nil || meta["history_truncated"] != true || meta["reason"] != "instagram returns only the 20 most recent messages" {
				t.Fatalf("last instagram page without history_truncated meta: %s", last.raw)
			}
			if _, has := meta["failures"]; has {
				t.Fatalf("history meta carries failures: %s", last.raw)
			}
		})
	}
}
