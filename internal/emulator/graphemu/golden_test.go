package graphemu

import (
	"path/filepath"
	"testing"

	"github.com/parleyhq/parley/internal/testsupport/golden"
)

const (
	fb = "https://graph.facebook.com/v25.0"
	ig = "https://graph.instagram.com/v25.0"
)

// TestGolden compares the emulator's wire answers (status and body) to the
// representative responses under testdata/golden. Run with -update to
// regenerate after a deliberate change, then review the diff against Meta's
// docs.
func TestGolden(t *testing.T) {
	t.Parallel()
	jsonCT := "application/json"
	cases := []struct {
		name   string
		setup  func(fx *fixture)
		method string
		url    func(fx *fixture) string
		token  string
		ctype  string
		body   func(fx *fixture) string
	}{
		{name: "messenger_list_conversations", method: "GET", token: pageToken,
			url: func(*fixture) string {
				return fb + "/" + pageID + "/conversations?platform=messenger&limit=2&fields=id,updated_time,unread_count,participants,messages.limit(2){id,created_time,from,to,message}"
			}},
		{name: "instagram_list_conversations", method: "GET", token: igToken,
			url: func(*fixture) string {
				return ig + "/me/conversations?platform=instagram&fields=id,updated_time,participants"
			}},
		{name: "instagram_fb_login_list_conversations_default_fields", method: "GET", token: igFBPageToken,
			url: func(*fixture) string { return fb + "/" + igFBPageID + "/conversations?platform=instagram" }},
		{name: "messenger_conversation_messages", method: "GET", token: pageToken,
			url: func(fx *fixture) string {
				return fb + "/" + fx.threads[pageID]["jane"] + "/messages?fields=id,created_time,from,to,message,attachments&limit=2"
			}},
		{name: "instagram_conversation_node_messages", method: "GET", token: igToken,
			url: func(fx *fixture) string {
				return ig + "/" + fx.threads[igID]["jane"] + "?fields=messages{id,created_time,from,to,message,attachments}"
			}},
		{name: "messenger_send", method: "POST", token: pageToken, ctype: jsonCT,
			url:  func(*fixture) string { return fb + "/me/messages" },
			body: func(*fixture) string { return sendBody(psid(0, 0), "See you soon!", "RESPONSE", "") }},
		{name: "instagram_send", method: "POST", token: igToken, ctype: jsonCT,
			url:  func(*fixture) string { return ig + "/" + igID + "/messages" },
			body: func(*fixture) string { return sendBody(psid(1, 0), "See you soon!", "", "") }},
		{name: "mark_seen", method: "POST", token: pageToken, ctype: jsonCT,
			url:  func(*fixture) string { return fb + "/" + pageID + "/messages" },
			body: func(*fixture) string { return `{"recipient":{"id":"` + psid(0, 0) + `"},"sender_action":"mark_seen"}` }},
		// Token identity, as Parley reads it before it stores a token.
		{name: "messenger_me_page", method: "GET", token: pageToken,
			url: func(*fixture) string { return fb + "/me?fields=id,name" }},
		{name: "instagram_login_me_user_id", method: "GET", token: igToken,
			url: func(*fixture) string { return ig + "/me?fields=user_id,username,name" }},
		{name: "instagram_fb_login_me_linked_account", method: "GET", token: igFBPageToken,
			url: func(*fixture) string { return fb + "/me?fields=id,name,instagram_business_account{id,username,name}" }},
		{name: "error_other_page_not_visible", method: "GET", token: pageToken,
			url: func(*fixture) string { return fb + "/" + igFBPageID + "?fields=id,name" }},
		{name: "error_user_id_not_on_page", method: "GET", token: pageToken,
			url: func(*fixture) string { return fb + "/me?fields=user_id" }},
		{name: "error_granted_token_expired", method: "GET", token: "EAAG-granted",
			setup: func(fx *fixture) {
				_ = fx.emu.GrantToken(pageID, "EAAG-granted")
				_ = fx.emu.ExpireGrantedToken("EAAG-granted")
			},
			url: func(*fixture) string { return fb + "/me?fields=id" }},
		{name: "error_invalid_token", method: "GET", token: "not-a-token",
			url: func(*fixture) string { return fb + "/me/conversations" }},
		{name: "error_expired_token", method: "GET", token: igToken,
			setup: func(fx *fixture) { _ = fx.emu.ExpireToken(igID) },
			url:   func(*fixture) string { return ig + "/me/conversations" }},
		{name: "error_missing_token", method: "GET",
			url: func(*fixture) string { return fb + "/me/conversations" }},
		{name: "error_window_messenger", method: "POST", token: pageToken, ctype: jsonCT,
			url:  func(*fixture) string { return fb + "/me/messages" },
			body: func(*fixture) string { return sendBody(psid(0, 1), "Yes we do", "RESPONSE", "") }},
		{name: "error_window_instagram", method: "POST", token: igToken, ctype: jsonCT,
			url:  func(*fixture) string { return ig + "/me/messages" },
			body: func(*fixture) string { return sendBody(psid(1, 1), "Yes we do", "", "") }},
		{name: "error_window_instagram_fb_login", method: "POST", token: igFBPageToken, ctype: jsonCT,
			url:  func(*fixture) string { return fb + "/" + igFBPageID + "/messages" },
			body: func(*fixture) string { return sendBody(psid(2, 1), "Yes we do", "RESPONSE", "") }},
		{name: "error_human_agent_expired", method: "POST", token: pageToken, ctype: jsonCT,
			url:  func(*fixture) string { return fb + "/me/messages" },
			body: func(*fixture) string { return sendBody(psid(0, 2), "Following up", "MESSAGE_TAG", "HUMAN_AGENT") }},
		{name: "error_tag_not_on_instagram", method: "POST", token: igToken, ctype: jsonCT,
			url: func(*fixture) string { return ig + "/me/messages" },
			body: func(*fixture) string {
				return sendBody(psid(1, 2), "Your order shipped", "MESSAGE_TAG", "POST_PURCHASE_UPDATE")
			}},
		{name: "error_no_matching_user", method: "POST", token: pageToken, ctype: jsonCT,
			url:  func(*fixture) string { return fb + "/me/messages" },
			body: func(*fixture) string { return sendBody("123", "hello", "RESPONSE", "") }},
		{name: "error_empty_message", method: "POST", token: pageToken, ctype: jsonCT,
			url:  func(*fixture) string { return fb + "/me/messages" },
			body: func(*fixture) string { return `{"recipient":{"id":"` + psid(0, 0) + `"},"message":{}}` }},
		{name: "error_not_found", method: "GET", token: pageToken,
			url: func(*fixture) string { return fb + "/t_1234567890?fields=messages" }},
		{name: "error_nonexisting_field", method: "GET", token: igToken,
			url: func(*fixture) string { return ig + "/me/conversations?platform=instagram&fields=id,unread_count" }},
		{name: "error_fields_syntax", method: "GET", token: pageToken,
			url: func(*fixture) string { return fb + "/me/conversations?fields=messages{id" }},
		{name: "error_transient", method: "GET", token: pageToken,
			setup: func(fx *fixture) { fx.emu.FailNext(ErrTransient) },
			url:   func(*fixture) string { return fb + "/me/conversations" }},
		{name: "error_rate_limit_instagram", method: "POST", token: igToken, ctype: jsonCT,
			setup: func(fx *fixture) { fx.emu.FailNext(ErrInstagramRateLimit) },
			url:   func(*fixture) string { return ig + "/me/messages" },
			body:  func(*fixture) string { return sendBody(psid(1, 0), "hi", "", "") }},
		{name: "error_rate_limit_send", method: "POST", token: pageToken, ctype: jsonCT,
			setup: func(fx *fixture) { fx.emu.FailNext(ErrSendRateLimit) },
			url:   func(*fixture) string { return fb + "/me/messages" },
			body:  func(*fixture) string { return sendBody(psid(0, 0), "hi", "RESPONSE", "") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fx := newFixture(t)
			if tc.setup != nil {
				tc.setup(fx)
			}
			body := ""
			if tc.body != nil {
				body = tc.body(fx)
			}
			status, got, _ := fx.do(t, tc.method, tc.url(fx), tc.token, tc.ctype, body)
			compareGolden(t, tc.name, map[string]any{"status": status, "body": got})
		})
	}
}

func compareGolden(t *testing.T, name string, v any) {
	t.Helper()
	golden.CompareJSON(t, filepath.Join("testdata", "golden", name+".json"), v)
}
