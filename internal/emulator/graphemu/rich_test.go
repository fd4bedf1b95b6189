package graphemu

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func richBody(recipient string, message map[string]any, extra map[string]any) string {
	m := map[string]any{"recipient": map[string]any{"id": recipient}, "messaging_type": "RESPONSE", "message": message}
	for k, v := range extra {
		m[k] = v
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func qrs(n int, title string) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = map[string]any{"content_type": "text", "title": title, "payload": fmt.Sprintf("P%d", i)}
	}
	return out
}

func tpl(payload map[string]any) map[string]any {
	return map[string]any{"attachment": map[string]any{"type": "template", "payload": payload}}
}

func btns(n int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = map[string]any{"type": "postback", "title": fmt.Sprintf("B%d", i), "payload": fmt.Sprintf("P%d", i)}
	}
	return out
}

// TestRichSendLimits: the Send API's rich limits, accepted at the boundary
// and refused one past it with Graph's error 100.
func TestRichSendLimits(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	jane := psid(0, 0)
	els := func(n int) []map[string]any {
		out := make([]map[string]any, n)
		for i := range out {
			out[i] = map[string]any{"title": fmt.Sprintf("E%d", i), "subtitle": "s"}
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		message map[string]any
		extra   map[string]any
		ok      bool
	}{
		{"13 quick replies", map[string]any{"text": "pick", "quick_replies": qrs(13, "t")}, nil, true},
		{"14 quick replies", map[string]any{"text": "pick", "quick_replies": qrs(14, "t")}, nil, false},
		{"quick reply without payload", map[string]any{"text": "pick", "quick_replies": []map[string]any{{"content_type": "text", "title": "t"}}}, nil, false},
		{"button template 3", tpl(map[string]any{"template_type": "button", "text": "next?", "buttons": btns(3)}), nil, true},
		{"button template 4", tpl(map[string]any{"template_type": "button", "text": "next?", "buttons": btns(4)}), nil, false},
		{"button template text 641", tpl(map[string]any{"template_type": "button", "text": strings.Repeat("a", 641), "buttons": btns(1)}), nil, false},
		{"generic 10", tpl(map[string]any{"template_type": "generic", "elements": els(10)}), nil, true},
		{"generic 11", tpl(map[string]any{"template_type": "generic", "elements": els(11)}), nil, false},
		{"generic title only", tpl(map[string]any{"template_type": "generic", "elements": []map[string]any{{"title": "t"}}}), nil, false},
		{"reply_to on messenger", map[string]any{"text": "hi"}, map[string]any{"reply_to": map[string]any{"mid": "m_1"}}, false},
	} {
		status, body, _ := fx.do(t, "POST", fb+"/me/messages", pageToken, "application/json", richBody(jane, tc.message, tc.extra))
		if tc.ok != (status == 200) {
			t.Fatalf("%s: %d %v", tc.name, status, body)
		}
		if !tc.ok {
			e, _ := body["error"].(map[string]any)
			if e["code"] != float64(100) || e["type"] != "OAuthException" || !strings.HasPrefix(e["message"].(string), "(#100)") {
				t.Fatalf("%s: not Graph's error 100: %v", tc.name, body)
			}
		}
	}
	// Long quick-reply titles are truncated, as Meta shows them.
	status, _, _ := fx.do(t, "POST", fb+"/me/messages", pageToken, "application/json",
		richBody(jane, map[string]any{"text": "pick", "quick_replies": qrs(1, strings.Repeat("é", 25))}, nil))
	msgs := fx.emu.Messages(pageID)
	if status != 200 || msgs[len(msgs)-1].QuickReplies[0].Title != strings.Repeat("é", 20) {
		t.Fatalf("%d %+v", status, msgs[len(msgs)-1].QuickReplies)
	}
}

// TestInstagramReplyTo: reply_to {mid} must name a message of the thread.
func TestInstagramReplyTo(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	jane := psid(1, 0)
	th, err := fx.emu.Thread(fx.threads[igID]["jane"])
	if err != nil {
		t.Fatal(err)
	}
	mid := th.Messages[0].ID
	// Instagram quick replies are plain text only.
	status, body, _ := fx.do(t, "POST", ig+"/me/messages", igToken, "application/json",
		richBody(jane, map[string]any{"text": "email?", "quick_replies": []map[string]any{{"content_type": "user_email"}}}, nil))
	if status != 400 {
		t.Fatalf("an email quick reply on Instagram: %d %v", status, body)
	}
	status, body, _ = fx.do(t, "POST", ig+"/me/messages", igToken, "application/json",
		richBody(jane, map[string]any{"text": "yes"}, map[string]any{"reply_to": map[string]any{"mid": mid}}))
	if status != 200 {
		t.Fatalf("%d %v", status, body)
	}
	if m := fx.emu.Messages(igID); m[len(m)-1].ReplyTo != mid {
		t.Fatalf("reply not recorded: %+v", m[len(m)-1])
	}
	other := fx.threads[igID]["bob"]
	ob, _ := fx.emu.Thread(other)
	status, _, _ = fx.do(t, "POST", ig+"/me/messages", igToken, "application/json",
		richBody(jane, map[string]any{"text": "yes"}, map[string]any{"reply_to": map[string]any{"mid": ob.Messages[0].ID}}))
	if status != 400 {
		t.Fatalf("a reply to another thread's message: %d", status)
	}
}
