package xemu

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/testsupport/golden"
)

// lastFrom returns the id of the newest event sender sent in conversation cid.
func lastFrom(t *testing.T, e *Emulator, cid, sender string) string {
	t.Helper()
	evs := e.ConversationEvents(cid)
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].SenderID == sender {
			return evs[i].ID
		}
	}
	t.Fatalf("no event from %s in %s", sender, cid)
	return ""
}

func TestEventEndpointGoldens(t *testing.T) {
	t.Parallel()
	e, _ := fixture(t, Options{})
	cid := ConversationID(bizID, aliceID)
	fromAlice, fromBiz := lastFrom(t, e, cid, aliceID), lastFrom(t, e, cid, bizID)
	group := `{"conversation_type":"Group","participant_ids":["` + aliceID + `","` + bobID + `"],"message":{"text":"Welcome, both of you"}}`
	tests := []struct{ name, method, target, body string }{
		{"dm_event_by_id.golden", "GET", "/2/dm_events/" + fromAlice + "?dm_event.fields=sender_id,created_at,dm_conversation_id&expansions=sender_id&user.fields=username", ""},
		{"dm_event_not_found.golden", "GET", "/2/dm_events/1234567890123456789", ""},
		{"error_400_event_id.golden", "GET", "/2/dm_events/abc", ""},
		{"error_403_delete_others.golden", "DELETE", "/2/dm_events/" + fromAlice, ""},
		{"dm_event_delete.golden", "DELETE", "/2/dm_events/" + fromBiz, ""},
		{"dm_conversation_create.golden", "POST", "/2/dm_conversations", group},
		{"error_400_group_type.golden", "POST", "/2/dm_conversations", `{"conversation_type":"group","participant_ids":["1","2"],"message":{"text":"x"}}`},
		{"error_400_group_size.golden", "POST", "/2/dm_conversations", `{"conversation_type":"Group","participant_ids":["` + aliceID + `"],"message":{"text":"x"}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			golden.Compare(t, filepath.Join("testdata", tc.name), wire(do(t, e, tc.method, tc.target, bizTok, tc.body)))
		})
	}
}

// A deleted message is gone from every lookup; only its sender may delete it.
func TestDeleteEventRemovesItFromLookups(t *testing.T) {
	t.Parallel()
	e, _ := fixture(t, Options{})
	cid := ConversationID(bizID, aliceID)
	mine, theirs := lastFrom(t, e, cid, bizID), lastFrom(t, e, cid, aliceID)
	if w := do(t, e, "DELETE", "/2/dm_events/"+theirs, bizTok, ""); w.Code != 403 {
		t.Fatalf("deleting the customer's message: %d %s", w.Code, w.Body)
	}
	if w := do(t, e, "DELETE", "/2/dm_events/"+mine, bizTok, ""); w.Code != 200 || !json.Valid(w.Body.Bytes()) {
		t.Fatalf("delete: %d %s", w.Code, w.Body)
	}
	var one struct {
		Data   *wireEvent      `json:"data"`
		Errors []resourceError `json:"errors"`
	}
	w := do(t, e, "GET", "/2/dm_events/"+mine, bizTok, "")
	if err := json.Unmarshal(w.Body.Bytes(), &one); err != nil || one.Data != nil || len(one.Errors) != 1 || one.Errors[0].ResourceID != mine {
		t.Fatalf("GET after delete: %s", w.Body)
	}
	for _, ev := range decodeList(t, do(t, e, "GET", "/2/dm_events", bizTok, "")).Data {
		if ev.ID == mine {
			t.Fatalf("deleted event %s still listed", mine)
		}
	}
	if w := do(t, e, "GET", "/2/dm_events/"+theirs, bizTok, ""); w.Code != 200 || !json.Valid(w.Body.Bytes()) {
		t.Fatalf("the other message: %d %s", w.Code, w.Body)
	}
	// Someone outside the conversation cannot see its events.
	e.AddAccount(bobID, "bob", "Bob Roe", "tok-bob")
	if err := json.Unmarshal(do(t, e, "GET", "/2/dm_events/"+theirs, "tok-bob", "").Body.Bytes(), &one); err != nil || one.Data != nil {
		t.Fatalf("outsider read another conversation's event")
	}
}

// Each group create is a new conversation holding the members' join and the
// message; a member who does not accept DMs refuses the whole request.
func TestCreateGroupConversation(t *testing.T) {
	t.Parallel()
	e, _ := fixture(t, Options{})
	body := `{"conversation_type":"Group","participant_ids":["` + aliceID + `","` + bobID + `"],"message":{"text":"Hello group"}}`
	var ids []string
	for range 2 {
		w := do(t, e, "POST", "/2/dm_conversations", bizTok, body)
		var resp sendResponse
		if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || w.Code != 201 {
			t.Fatalf("create: %d %s", w.Code, w.Body)
		}
		ids = append(ids, resp.Data.DMConversationID)
		evs := e.ConversationEvents(resp.Data.DMConversationID)
		if len(evs) != 2 || evs[0].Type != ParticipantsJoin || evs[1].ID != resp.Data.DMEventID || evs[1].Text != "Hello group" {
			t.Fatalf("conversation events: %+v", evs)
		}
		if !validConversationID(resp.Data.DMConversationID) {
			t.Fatalf("group id %q", resp.Data.DMConversationID)
		}
	}
	if ids[0] == ids[1] {
		t.Fatalf("two creates gave the same conversation %s", ids[0])
	}
	// The new group answers the conversation lookup and send endpoints.
	if w := do(t, e, "POST", "/2/dm_conversations/"+ids[0]+"/messages", bizTok, `{"text":"again"}`); w.Code != 201 {
		t.Fatalf("send to group: %d %s", w.Code, w.Body)
	}
	before := len(e.Messages(bizID))
	closed := `{"conversation_type":"Group","participant_ids":["` + aliceID + `","` + carolID + `"],"message":{"text":"hi"}}`
	if w := do(t, e, "POST", "/2/dm_conversations", bizTok, closed); w.Code != 403 {
		t.Fatalf("group with a closed member: %d %s", w.Code, w.Body)
	}
	for _, bad := range []string{
		`{"conversation_type":"Group","participant_ids":["` + aliceID + `","` + bobID + `"],"message":{"text":"hi"},"extra":1}`,
		`{"conversation_type":"Group","participant_ids":["` + aliceID + `","` + bobID + `"],"message":{"text":"hi","quick_reply":{}}}`,
		`{"conversation_type":"Group","participant_ids":["` + aliceID + `","` + aliceID + `"],"message":{"text":"hi"}}`,
		`{"conversation_type":"Group","participant_ids":["` + aliceID + `","` + bizID + `"],"message":{"text":"hi"}}`,
		`{"conversation_type":"Group","participant_ids":["` + aliceID + `","` + bobID + `"]}`,
		`{"conversation_type":"Group","participant_ids":["` + aliceID + `",7],"message":{"text":"hi"}}`,
	} {
		if w := do(t, e, "POST", "/2/dm_conversations", bizTok, bad); w.Code != 400 {
			t.Errorf("%s: %d %s", bad, w.Code, w.Body)
		}
	}
	if after := len(e.Messages(bizID)); after != before {
		t.Fatalf("refused creates recorded %d messages", after-before)
	}
}

func FuzzParseGroup(f *testing.F) {
	f.Add(`{"conversation_type":"Group","participant_ids":["1","2"],"message":{"text":"hi"}}`)
	f.Add(`{"conversation_type":"Group","participant_ids":["1","2"],"message":{"attachments":[{"media_id":"3"}]}}`)
	f.Fuzz(func(t *testing.T, body string) {
		g, p := parseGroup(strings.NewReader(body))
		if p != nil {
			return
		}
		if len(g.participants) < minGroupParticipants || len(g.participants) > maxGroupParticipants ||
			(g.text == "" && len(g.mediaIDs) == 0) || utf8.RuneCountInString(g.text) > maxTextChars {
			t.Errorf("accepted %q as %+v", body, g)
		}
		for _, id := range g.participants {
			if !isNumericID(id) {
				t.Errorf("accepted participant %q", id)
			}
		}
	})
}
