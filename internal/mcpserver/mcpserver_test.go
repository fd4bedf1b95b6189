package mcpserver_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/convid"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/service"
	"github.com/parleyhq/parley/internal/store/storetest"
)

func TestToolsList(t *testing.T) {
	eachEnv(t, func(t *testing.T, tr transport, b storetest.Backend) {
		e := newEnv(t, b, nil)
		cs := mustConnect(t, e, tr, e.org("A"))
		if got := cs.InitializeResult().ServerInfo.Name; got != "parley" {
			t.Errorf("server name %q", got)
		}
		if !strings.Contains(cs.InitializeResult().Instructions, "reply_window") {
			t.Errorf("instructions do not explain the reply window: %q", cs.InitializeResult().Instructions)
		}
		res, err := cs.ListTools(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		tools := map[string]*mcp.Tool{}
		for _, tool := range res.Tools {
			tools[tool.Name] = tool
		}
		type want struct {
			required               []string
			readOnly               bool
			destructive, openWorld *bool
			outputTopLevel         []string
		}
		yes, no := ptr(true), ptr(false)
		for name, w := range map[string]want{
			"list_conversations":      {nil, true, nil, yes, []string{"data", "pagination"}},
			"get_conversation":        {[]string{"id"}, true, nil, yes, []string{"data"}},
			"send_dm":                 {[]string{"conversation_id"}, false, yes, yes, []string{"data"}},
			"mark_conversation_read":  {[]string{"conversation_id"}, false, no, yes, []string{"data"}},
			"list_accounts":           {nil, true, nil, no, []string{"data", "pagination"}},
			"list_whatsapp_templates": {[]string{"account_id"}, true, nil, yes, []string{"data", "pagination"}},
		} {
			tool := tools[name]
			if tool == nil {
				t.Errorf("tool %s missing", name)
				continue
			}
			if len(tool.Description) < 80 {
				t.Errorf("%s: description too thin for a model: %q", name, tool.Description)
			}
			a := tool.Annotations
			if a == nil || a.ReadOnlyHint != w.readOnly || !boolPtrEq(a.OpenWorldHint, w.openWorld) ||
				(w.destructive != nil && !boolPtrEq(a.DestructiveHint, w.destructive)) || a.Title == "" {
				t.Errorf("%s: annotations %+v", name, a)
			}
			var in struct {
				Type                 string                    `json:"type"`
				Required             []string                  `json:"required"`
				Properties           map[string]map[string]any `json:"properties"`
				AdditionalProperties any                       `json:"additionalProperties"`
			}
			remarshal(t, tool.InputSchema, &in)
			if in.Type != "object" || !sameSet(in.Required, w.required) {
				t.Errorf("%s: input schema type %q required %v, want %v", name, in.Type, in.Required, w.required)
			}
			if in.AdditionalProperties != false {
				t.Errorf("%s: input schema accepts unknown arguments", name)
			}
			for prop, s := range in.Properties {
				if d, _ := s["description"].(string); len(d) < 10 {
					t.Errorf("%s.%s: no useful description: %v", name, prop, s)
				}
			}
			var out struct {
				Required []string `json:"required"`
			}
			remarshal(t, tool.OutputSchema, &out)
			for _, f := range w.outputTopLevel {
				if !contains(out.Required, f) {
					t.Errorf("%s: output schema lacks %q: %v", name, f, out.Required)
				}
			}
		}
		if len(tools) != 6 {
			t.Errorf("%d tools, want 6", len(tools))
		}
		// Enums and bounds a model needs to call right the first time.
		var lc struct {
			Properties map[string]map[string]any `json:"properties"`
		}
		remarshal(t, tools["list_conversations"].InputSchema, &lc)
		if lc.Properties["limit"]["maximum"] != 100.0 || len(lc.Properties["platform"]["enum"].([]any)) != 5 {
			t.Errorf("list_conversations schema lacks bounds/enums: %v", lc.Properties)
		}
	})
}

func TestListsMatchREST(t *testing.T) {
	eachEnv(t, func(t *testing.T, tr transport, b storetest.Backend) {
		ig := newFake(platform.Instagram) // no conversations yet
		e := newEnv(t, b, platform.Registry{platform.Instagram: ig})
		key := e.org("A")
		cs := mustConnect(t, e, tr, key)

		// An empty organisation.
		for tool, path := range map[string]string{"list_accounts": "/v1/accounts", "list_conversations": "/v1/inbox/conversations"} {
			got := ok(t, call(t, cs, tool, map[string]any{}))
			_, want := e.rest("GET", path, key)
			if !jsonEqual(got, want) || len(got["data"].([]any)) != 0 {
				t.Errorf("%s = %v, REST %s = %v", tool, got, path, want)
			}
		}

		// An account whose platform has no adapter: the list still answers,
		// flagged partial, as REST does.
		acct := e.account(key, platform.Instagram, "1784")
		li := e.account(key, platform.LinkedIn, "urn:li:organization:1")
		for tool, path := range map[string]string{
			"list_accounts":      "/v1/accounts?limit=25",
			"list_conversations": "/v1/inbox/conversations?limit=25",
		} {
			got := ok(t, call(t, cs, tool, map[string]any{"limit": 25}))
			_, want := e.rest("GET", path, key)
			if !jsonEqual(got, want) {
				t.Errorf("%s = %v, REST %s = %v", tool, got, path, want)
			}
		}
		got := ok(t, call(t, cs, "list_conversations", map[string]any{}))
		meta, _ := got["meta"].(map[string]any)
		failures, _ := meta["failures"].([]any)
		if meta["partial"] != true || len(failures) != 1 {
			t.Fatalf("want one partial failure, got %v", got)
		}
		f := failures[0].(map[string]any)
		if f["account_id"] != li.ID || f["code"] != "account.platform_unavailable" {
			t.Errorf("failure %v", f)
		}

		// Filters reach the backend.
		got = ok(t, call(t, cs, "list_accounts", map[string]any{"platform": "instagram"}))
		if d := got["data"].([]any); len(d) != 1 || d[0].(map[string]any)["id"] != acct.ID {
			t.Errorf("platform filter: %v", got)
		}
		got = ok(t, call(t, cs, "list_conversations", map[string]any{"account_id": acct.ID}))
		if got["meta"] != nil || len(got["data"].([]any)) != 0 {
			t.Errorf("account filter: %v", got)
		}
	})
}

func TestConversationTools(t *testing.T) {
	eachEnv(t, func(t *testing.T, tr transport, b storetest.Backend) {
		now := time.Now().UTC()
		ig := newFake(platform.Instagram,
			platform.Conversation{ThreadID: "t_open", ParticipantID: "u1", ParticipantName: "Ada", LastMessage: "hi",
				LastMessageAt: now.Add(-time.Hour), LastInboundAt: now.Add(-time.Hour), UnreadCount: 2},
			platform.Conversation{ThreadID: "t_closed", ParticipantID: "u2", ParticipantName: "Bob", LastMessage: "hello?",
				LastMessageAt: now.Add(-48 * time.Hour), LastInboundAt: now.Add(-48 * time.Hour)},
		)
		e := newEnv(t, b, platform.Registry{platform.Instagram: ig})
		key := e.org("A")
		acct := e.account(key, platform.Instagram, "1784")
		cs := mustConnect(t, e, tr, key)
		open, closed := convid.Encode(acct.ID, "t_open"), convid.Encode(acct.ID, "t_closed")

		list := ok(t, call(t, cs, "list_conversations", map[string]any{"unread": true}))
		if d := list["data"].([]any); len(d) != 1 || d[0].(map[string]any)["id"] != open {
			t.Fatalf("unread filter: %v", list)
		}

		got := ok(t, call(t, cs, "get_conversation", map[string]any{"id": open}))
		conv := got["data"].(map[string]any)
		rw, _ := conv["reply_window"].(map[string]any)
		if conv["id"] != open || conv["participant_name"] != "Ada" || rw["open"] != true {
			t.Fatalf("get_conversation = %v", got)
		}
		_, rest := e.rest("GET", "/v1/inbox/conversations/"+open, key)
		if !jsonEqual(got, rest) {
			t.Errorf("get_conversation %v differs from REST %v", got, rest)
		}

		// A send goes out once, and a retry with its idempotency key replays.
		args := map[string]any{"conversation_id": open, "text": "Thanks, Ada!", "idempotency_key": "k-" + tr.name}
		res := call(t, cs, "send_dm", args)
		msg := ok(t, res)["data"].(map[string]any)
		if msg["direction"] != "outgoing" || msg["text"] != "Thanks, Ada!" || msg["conversation_id"] != open || res.Meta["idempotent_replayed"] != nil {
			t.Fatalf("send_dm = %v (meta %v)", msg, res.Meta)
		}
		res = call(t, cs, "send_dm", args)
		if again := ok(t, res)["data"].(map[string]any); again["id"] != msg["id"] || res.Meta["idempotent_replayed"] != true {
			t.Errorf("replay = %v (meta %v), want %v replayed", again, res.Meta, msg["id"])
		}
		if s := ig.sends(); len(s) != 1 || s[0].Text != "Thanks, Ada!" {
			t.Errorf("platform saw %+v, want one send", s)
		}

		// A closed window is a tool error that says what remains.
		d := toolErr(t, call(t, cs, "send_dm", map[string]any{"conversation_id": closed, "text": "still there?"}), "conversation.window_closed")
		opts, _ := d.Meta["options"].([]any)
		if len(opts) == 0 || !strings.Contains(string(mustJSON(t, opts)), "HUMAN_AGENT") || d.Meta["closed_at"] == nil {
			t.Errorf("window_closed meta %v", d.Meta)
		}
		// …and a person taking the HUMAN_AGENT option gets through.
		ok(t, call(t, cs, "send_dm", map[string]any{"conversation_id": closed, "text": "Sorry for the wait", "tag": "HUMAN_AGENT"}))
		toolErr(t, call(t, cs, "send_dm", map[string]any{"conversation_id": closed, "text": "bot", "tag": "HUMAN_AGENT", "automated": true}),
			"validation.tag_not_allowed")
		if n := len(ig.sends()); n != 2 {
			t.Errorf("%d sends reached the platform, want 2", n)
		}

		read := ok(t, call(t, cs, "mark_conversation_read", map[string]any{"conversation_id": open}))
		if read["data"].(map[string]any)["read"] != true || len(ig.read) != 1 {
			t.Errorf("mark read = %v, platform saw %v", read, ig.read)
		}

		// Another organisation cannot see or act on it.
		other := mustConnect(t, e, tr, e.org("B"))
		toolErr(t, call(t, other, "get_conversation", map[string]any{"id": open}), "resource.not_found")
		toolErr(t, call(t, other, "send_dm", map[string]any{"conversation_id": open, "text": "x"}), "resource.not_found")
		toolErr(t, call(t, other, "mark_conversation_read", map[string]any{"conversation_id": open}), "resource.not_found")
		toolErr(t, call(t, other, "list_conversations", map[string]any{"account_id": acct.ID}), "resource.not_found")
	})
}

func TestToolErrors(t *testing.T) {
	eachEnv(t, func(t *testing.T, tr transport, b storetest.Backend) {
		down := newFake(platform.Messenger)
		down.fail = apierr.New(http.StatusBadGateway, "platform.messenger.unavailable", "messenger could not be reached").With("native_code", 2)
		e := newEnv(t, b, platform.Registry{platform.Messenger: down, platform.Instagram: newFake(platform.Instagram)})
		key := e.org("A")
		fb := e.account(key, platform.Messenger, "page1")
		ig := e.account(key, platform.Instagram, "1784")
		cs := mustConnect(t, e, tr, key)

		for _, c := range []struct {
			name, tool string
			args       map[string]any
			code       string
			field      string
		}{
			{"unknown conversation", "get_conversation", map[string]any{"id": "sapi_dm_nope"}, "resource.not_found", ""},
			{"nothing to send", "send_dm", map[string]any{"conversation_id": convid.Encode(ig.ID, "t")}, "validation.required", "text"},
			{"bad attachment url", "send_dm", map[string]any{"conversation_id": convid.Encode(ig.ID, "t"),
				"attachment": map[string]any{"type": "image", "url": "ftp://x"}}, "validation.invalid_field", "attachment.url"},
			{"limit out of range", "list_conversations", map[string]any{"limit": 500}, "validation.invalid_field", "limit"},
			{"wrong type", "list_accounts", map[string]any{"limit": "ten"}, "validation.invalid_field", "limit"},
			{"unknown argument", "list_accounts", map[string]any{"colour": "red"}, "validation.unknown_field", "colour"},
			{"missing required", "get_conversation", map[string]any{}, "validation.required", "id"},
			{"nested enum", "send_dm", map[string]any{"conversation_id": "x", "attachment": map[string]any{"type": "gif", "url": "https://x.test/a.gif"}},
				"validation.invalid_field", "attachment.type"},
			{"nested required", "send_dm", map[string]any{"conversation_id": "x", "template": map[string]any{"name": "t"}},
				"validation.required", "template.language"},
			{"bad cursor", "list_conversations", map[string]any{"cursor": "%%%"}, "validation.invalid_field", "cursor"},
			{"unknown account", "list_whatsapp_templates", map[string]any{"account_id": "acct_nope"}, "resource.not_found", ""},
			{"platform down", "get_conversation", map[string]any{"id": convid.Encode(fb.ID, "t")}, "platform.messenger.unavailable", ""},
		} {
			t.Run(c.name, func(t *testing.T) {
				d := toolErr(t, call(t, cs, c.tool, c.args), c.code)
				if c.field != "" && d.Meta["field"] != c.field {
					t.Errorf("meta.field = %v, want %s (%s)", d.Meta["field"], c.field, d.Message)
				}
			})
		}
		// The platform's native code survives in meta.
		d := toolErr(t, call(t, cs, "get_conversation", map[string]any{"id": convid.Encode(fb.ID, "t")}), "platform.messenger.unavailable")
		if d.Meta["native_code"] != 2.0 {
			t.Errorf("meta %v", d.Meta)
		}
		// An unknown tool is a protocol error, not a tool result.
		if _, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "delete_everything", Arguments: map[string]any{}}); err == nil {
			t.Error("unknown tool accepted")
		}
	})
}

func TestWhatsAppTemplates(t *testing.T) {
	eachEnv(t, func(t *testing.T, tr transport, b storetest.Backend) {
		wa := templateFake{newFake(platform.WhatsApp)}
		wa.templates = []platform.TemplateInfo{{Name: "order_update", Language: "en_US", Status: "APPROVED", Category: "UTILITY"}}
		e := newEnv(t, b, platform.Registry{platform.WhatsApp: wa, platform.Instagram: newFake(platform.Instagram)})
		key := e.org("A")
		waAcct := e.account(key, platform.WhatsApp, "10987")
		igAcct := e.account(key, platform.Instagram, "1784")
		cs := mustConnect(t, e, tr, key)
		got := ok(t, call(t, cs, "list_whatsapp_templates", map[string]any{"account_id": waAcct.ID, "refresh": true}))
		d := got["data"].([]any)
		if len(d) != 1 || d[0].(map[string]any)["name"] != "order_update" || d[0].(map[string]any)["status"] != "APPROVED" {
			t.Errorf("templates = %v", got)
		}
		toolErr(t, call(t, cs, "list_whatsapp_templates", map[string]any{"account_id": igAcct.ID}), "validation.templates_not_supported")
	})
}

// TestHTTPAuth: /mcp answers a missing, unknown or revoked key with REST's
// 401 error body before any MCP processing, and a key revoked mid-session
// stops working at once.
func TestHTTPAuth(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, nil)
		key := e.org("A")
		initialize := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}`
		post := func(auth, reqID string) (*http.Response, map[string]any) {
			t.Helper()
			req, _ := http.NewRequest("POST", e.url+"/mcp", strings.NewReader(initialize))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			if reqID != "" {
				req.Header.Set("X-Request-ID", reqID)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			raw, _ := io.ReadAll(res.Body)
			var body map[string]any
			_ = json.Unmarshal(raw, &body)
			return res, body
		}
		for _, c := range []struct {
			name, auth, code string
		}{
			{"missing", "", "auth.missing_key"},
			{"wrong scheme", "Basic " + key, "auth.missing_key"},
			{"unknown", "Bearer sapi_key_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "auth.invalid_key"},
		} {
			res, body := post(c.auth, "")
			errBody, _ := body["error"].(map[string]any)
			if res.StatusCode != 401 || errBody["code"] != c.code || body["request_id"] == "" || body["request_id"] != res.Header.Get("X-Request-ID") ||
				res.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s: %d %v %v", c.name, res.StatusCode, body, res.Header)
			}
		}
		// A caller's own request id is kept.
		if res, body := post("", "trace-42"); body["request_id"] != "trace-42" || res.Header.Get("X-Request-ID") != "trace-42" {
			t.Errorf("request id not kept: %v", body)
		}
		if res, body := post("Bearer "+key, ""); res.StatusCode != 200 || body["result"] == nil {
			t.Fatalf("valid key: %d %v", res.StatusCode, body)
		}

		// A session's key is revoked: its next call is refused, over HTTP.
		ctx := context.Background()
		c := e.caller(key)
		second, err := e.srv.Service.CreateAPIKey(ctx, c, serviceKeyInput("agent"))
		if err != nil {
			t.Fatal(err)
		}
		cs := mustConnect(t, e, transports[0], second.Secret)
		ok(t, call(t, cs, "list_accounts", map[string]any{}))
		if err := e.srv.Service.RevokeAPIKey(ctx, c, second.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "list_accounts", Arguments: map[string]any{}}); err == nil {
			t.Error("revoked key still served")
		}
		if _, err := connectHTTP(t, e, second.Secret); err == nil {
			t.Error("revoked key connected")
		}
		res, body := post("Bearer "+second.Secret, "")
		if res.StatusCode != 401 || body["error"].(map[string]any)["code"] != "auth.invalid_key" {
			t.Errorf("revoked: %d %v", res.StatusCode, body)
		}
	})
}

// TestStdioAuth: over stdio the key is checked by the remote REST API, and
// a bad key is a tool error an agent can read.
func TestStdioAuth(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, nil)
		cs := mustConnect(t, e, transports[1], "sapi_key_revoked")
		toolErr(t, call(t, cs, "list_accounts", map[string]any{}), "auth.invalid_key")
	})
}

func boolPtrEq(a, b *bool) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func ptr[T any](v T) *T { return &v }

func remarshal(t *testing.T, from, to any) {
	t.Helper()
	b, err := json.Marshal(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, to); err != nil {
		t.Fatal(err)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !contains(b, x) {
			return false
		}
	}
	return true
}

func contains(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

func serviceKeyInput(name string) service.CreateAPIKeyInput {
	return service.CreateAPIKeyInput{Name: name}
}
