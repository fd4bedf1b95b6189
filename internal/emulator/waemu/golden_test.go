package waemu

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// step is one request run before the request a golden case checks.
type step struct {
	method, path, tok string
	body              any
}

// TestGolden pins representative wire responses: send, mark read, template
// list pages and every error body the emulator produces.
func TestGolden(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		setup  func(e *Emulator, c *clock) []step // steps run before the checked one
		method string
		path   string
		tok    string
		body   any
		status int
	}{
		{name: "send_text", setup: inbound, method: "POST", path: msgsPath(), tok: token,
			body: textMsg("+1 650 555 1234", "Hi! How can we help?"), status: 200},
		{name: "send_image", setup: inbound, method: "POST", path: msgsPath(), tok: token,
			body: map[string]any{"messaging_product": "whatsapp", "to": user, "type": "image",
				"image": map[string]any{"link": "https://example.com/a.jpg", "caption": "Your receipt"}}, status: 200},
		{name: "send_template", method: "POST", path: msgsPath(), tok: token,
			body: tplMsg(user, "order_update", bodyParams("Ana", "#1234")), status: 200},
		{name: "mark_read", setup: func(e *Emulator, c *clock) []step {
			m := e.Inbound(phoneID, user, "Ana", "hello")
			return []step{{"POST", msgsPath(), token, map[string]any{"messaging_product": "whatsapp", "status": "read", "message_id": m.ID}}}
		}, method: "", status: 200},
		{name: "templates_page1", method: "GET", path: "/v23.0/" + wabaID + "/message_templates?limit=3", tok: token, status: 200},
		{name: "templates_page2", method: "GET",
			path: "/v23.0/" + wabaID + "/message_templates?limit=3&after=" + EncodeCursor("1000000000000003"), tok: token, status: 200},
		{name: "templates_approved_fields", method: "GET",
			path: "/v23.0/" + wabaID + "/message_templates?status=APPROVED&fields=name,language,status,category", tok: token, status: 200},
		// Phone-number reads, as Parley verifies a token before storing it.
		{name: "phone_number_node", method: "GET", path: "/v23.0/" + phoneID + "?fields=id,display_phone_number,verified_name", tok: token, status: 200},
		{name: "phone_number_node_default_fields", method: "GET", path: "/v23.0/" + phoneID, tok: token, status: 200},
		{name: "phone_numbers_of_waba", setup: func(e *Emulator, c *clock) []step {
			e.AddPhoneNumber(PhoneNumber{ID: "106540352242999", DisplayPhoneNumber: "15550783882", VerifiedName: "Acme Support", WABAID: wabaID, Token: token})
			return nil
		}, method: "GET", path: "/v23.0/" + wabaID + "/phone_numbers?fields=id,display_phone_number,verified_name&limit=1", tok: token, status: 200},
		{name: "error_100_number_not_granted", setup: func(e *Emulator, c *clock) []step {
			e.AddPhoneNumber(PhoneNumber{ID: "106540352242777", DisplayPhoneNumber: "15550783777", WABAID: "102290129340777", Token: "EAAJBother"})
			return nil
		}, method: "GET", path: "/v23.0/" + phoneID + "?fields=id", tok: "EAAJBother", status: 400},
		{name: "error_100_nonexisting_number_field", method: "GET", path: "/v23.0/" + phoneID + "?fields=id,owner", tok: token, status: 400},
		{name: "error_131047_reengagement", method: "POST", path: msgsPath(), tok: token,
			body: textMsg(user, "late reply"), status: 400},
		{name: "error_131056_pair_rate", setup: func(e *Emulator, c *clock) []step {
			inbound(e, c)
			return []step{{"POST", msgsPath(), token, textMsg(user, "one")}}
		}, method: "POST", path: msgsPath(), tok: token, body: textMsg(user, "two"), status: 400},
		{name: "error_130429_throughput", setup: func(e *Emulator, c *clock) []step {
			e.AddPhoneNumber(PhoneNumber{ID: phoneID, DisplayPhoneNumber: "15550783881", WABAID: wabaID, Token: token, Throughput: 1})
			e.Inbound(phoneID, "447700900001", "A", "hi")
			e.Inbound(phoneID, "447700900002", "B", "hi")
			return []step{{"POST", msgsPath(), token, textMsg("447700900001", "one")}}
		}, method: "POST", path: msgsPath(), tok: token, body: textMsg("447700900002", "two"), status: 400},
		{name: "error_132000_param_count", method: "POST", path: msgsPath(), tok: token,
			body: tplMsg(user, "order_update", bodyParams("Ana")), status: 400},
		{name: "error_132001_missing", method: "POST", path: msgsPath(), tok: token,
			body: tplMsg(user, "no_such_template"), status: 404},
		{name: "error_132001_pending", method: "POST", path: msgsPath(), tok: token,
			body: tplMsg(user, "new_terms"), status: 404},
		{name: "error_132005_too_long", method: "POST", path: msgsPath(), tok: token,
			body: tplMsg(user, "order_update", bodyParams("Ana", string(make([]byte, 1100)))), status: 400},
		{name: "error_132007_format_char", method: "POST", path: msgsPath(), tok: token,
			body: tplMsg(user, "order_update", bodyParams("Ana\nBob", "#1")), status: 400},
		{name: "error_132012_param_format", method: "POST", path: msgsPath(), tok: token,
			body: tplMsg(user, "spring_sale", bodyParams("20%")), status: 400},
		{name: "error_132015_paused", method: "POST", path: msgsPath(), tok: token,
			body: tplMsg(user, "old_promo"), status: 400},
		{name: "error_132016_disabled", method: "POST", path: msgsPath(), tok: token,
			body: tplMsg(user, "dead_promo"), status: 400},
		{name: "error_131026_undeliverable", setup: func(e *Emulator, c *clock) []step {
			e.MarkUndeliverable(user)
			return nil
		}, method: "POST", path: msgsPath(), tok: token, body: tplMsg(user, "order_update", bodyParams("Ana", "#1")), status: 400},
		{name: "error_100_invalid_parameter", method: "POST", path: msgsPath(), tok: token,
			body: map[string]any{"messaging_product": "sms", "to": user}, status: 400},
		{name: "error_100_unsupported_object", method: "POST", path: "/v23.0/999/messages", tok: token,
			body: textMsg(user, "x"), status: 400},
		{name: "error_131009_mark_read_unknown", method: "POST", path: msgsPath(), tok: token,
			body: map[string]any{"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.nope"}, status: 400},
		{name: "error_190_invalid_token", method: "POST", path: msgsPath(), tok: "wrong",
			body: textMsg(user, "x"), status: 401},
		{name: "error_190_expired_token", setup: func(e *Emulator, c *clock) []step {
			e.ExpireToken(token)
			return nil
		}, method: "GET", path: "/v23.0/" + wabaID + "/message_templates", tok: token, status: 401},
		{name: "error_2_transient", setup: nil, method: "GET", path: "/v23.0/" + wabaID + "/message_templates", tok: token, status: 503},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, c := newEmu(t, func(o *Options) {
				if tc.name == "error_2_transient" {
					o.FailureRate = 1
				}
				// The synchronous forms of the failures Meta usually
				// reports in a status webhook (failures.go).
				o.SyncFailures = strings.HasPrefix(tc.name, "error_131047") || strings.HasPrefix(tc.name, "error_131026")
			})
			var steps []step
			if tc.setup != nil {
				steps = tc.setup(e, c)
			}
			var status int
			var body []byte
			for i, s := range steps {
				status, body = do(t, e, s.method, s.path, s.tok, s.body)
				if tc.method != "" && status != http.StatusOK {
					t.Fatalf("setup step %d: %d %s", i, status, body)
				}
			}
			if tc.method != "" {
				status, body = do(t, e, tc.method, tc.path, tc.tok, tc.body)
			}
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, body)
			}
			compareGolden(t, tc.name, body)
		})
	}
}

// inbound seeds a customer message an hour ago, opening the window.
func inbound(e *Emulator, c *clock) []step {
	e.Inbound(phoneID, user, "Ana", "Hello, is my order on its way?", At(c.Now().Add(-time.Hour)))
	return nil
}
