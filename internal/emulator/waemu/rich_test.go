package waemu

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func interactiveMsg(to string, in map[string]any) map[string]any {
	return map[string]any{"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": "interactive", "interactive": in}
}

func replies(n int, title string) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = map[string]any{"type": "reply", "reply": map[string]any{"id": fmt.Sprintf("ID%d", i), "title": fmt.Sprintf("%s%d", title, i)}}
	}
	return out
}

func rows(n int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = map[string]any{"id": fmt.Sprintf("R%d", i), "title": fmt.Sprintf("Row %d", i)}
	}
	return out
}

// TestInteractiveLimits: reply buttons, lists and cta_url accepted at the
// Cloud API's limits and refused one past them; a tap answers only what
// the latest interactive message offered, with the webhook's shape.
func TestInteractiveLimits(t *testing.T) {
	t.Parallel()
	e, c := newEmu(t, nil)
	const user = "16505551234"
	e.Inbound(phoneID, user, "Ana", "hi")
	body := map[string]any{"text": "Pick one"}
	for _, tc := range []struct {
		name string
		in   map[string]any
		code int // 0: accepted
	}{
		{"3 reply buttons", map[string]any{"type": "button", "body": body, "action": map[string]any{"buttons": replies(3, "B")}}, 0},
		{"4 reply buttons", map[string]any{"type": "button", "body": body, "action": map[string]any{"buttons": replies(4, "B")}}, CodeParamValue},
		{"title 21", map[string]any{"type": "button", "body": body, "action": map[string]any{"buttons": replies(1, strings.Repeat("t", 21))}}, CodeParamValue},
		{"no body", map[string]any{"type": "button", "action": map[string]any{"buttons": replies(1, "B")}}, CodeRequiredParam},
		{"body as body", map[string]any{"type": "button", "body": map[string]any{"body": "x"}, "action": map[string]any{"buttons": replies(1, "B")}}, CodeRequiredParam},
		{"list 10 rows", map[string]any{"type": "list", "body": body, "action": map[string]any{"button": "Choose", "sections": []map[string]any{{"rows": rows(10)}}}}, 0},
		{"list 11 rows", map[string]any{"type": "list", "body": body, "action": map[string]any{"button": "Choose", "sections": []map[string]any{{"rows": rows(11)}}}}, CodeParamValue},
		{"list without button", map[string]any{"type": "list", "body": body, "action": map[string]any{"sections": []map[string]any{{"rows": rows(2)}}}}, CodeParamValue},
		{"cta_url", map[string]any{"type": "cta_url", "body": body, "action": map[string]any{"name": "cta_url", "parameters": map[string]any{"display_text": "Track", "url": "https://e.com/t"}}}, 0},
		{"cta_url bad url", map[string]any{"type": "cta_url", "body": body, "action": map[string]any{"name": "cta_url", "parameters": map[string]any{"display_text": "Track", "url": "e.com"}}}, CodeParamValue},
		{"unknown type", map[string]any{"type": "carousel", "body": body}, CodeInvalidParameter},
	} {
		c.Advance(7 * time.Second) // one message per 6 s to a user
		status, raw := do(t, e, "POST", msgsPath(), token, interactiveMsg(user, tc.in))
		if tc.code == 0 && status != 200 || tc.code != 0 && (status != 400 || errCode(t, raw) != tc.code) {
			t.Fatalf("%s: %d %s", tc.name, status, raw)
		}
	}
	// The latest interactive message is the cta_url: nothing to tap.
	if _, err := e.Tap(phoneID, user, "Ana", "R3"); err != ErrNotOffered {
		t.Fatalf("tapped a row no longer on screen: %v", err)
	}
	c.Advance(7 * time.Second)
	if status, raw := do(t, e, "POST", msgsPath(), token, interactiveMsg(user, map[string]any{"type": "list", "body": body,
		"action": map[string]any{"button": "Choose", "sections": []map[string]any{{"rows": rows(4)}}}})); status != 200 {
		t.Fatalf("%d %s", status, raw)
	}
	sent := e.Messages(phoneID)
	m, err := e.Tap(phoneID, user, "Ana", "R3")
	if err != nil {
		t.Fatal(err)
	}
	hook := string(e.WebhookPayload(m))
	for _, want := range []string{`"type":"interactive"`, `"list_reply":{"id":"R3","title":"Row 3"}`, `"context":{"from":"15550783881","id":"` + sent[len(sent)-1].ID + `"}`} {
		if !strings.Contains(hook, want) {
			t.Fatalf("webhook lacks %s: %s", want, hook)
		}
	}
	r := e.Inbound(phoneID, user, "Ana", "Stop promotions", TappedTemplateButton("STOP"), InReplyTo("wamid.x"))
	if hook := string(e.WebhookPayload(r)); !strings.Contains(hook, `"button":{"payload":"STOP","text":"Stop promotions"}`) || strings.Contains(hook, `"text":{`) {
		t.Fatalf("template button webhook: %s", hook)
	}
}
