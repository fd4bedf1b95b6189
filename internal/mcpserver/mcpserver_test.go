package mcpserver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/parleyhq/parley/internal/convid"
	"github.com/parleyhq/parley/internal/emulator/graphemu"
	"github.com/parleyhq/parley/internal/emulator/liemu"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/service"
	"github.com/parleyhq/parley/internal/store/storetest"
)

func TestToolsList(t *testing.T) {
	t.Parallel()
	eachEnv(t, func(t *testing.T, tr transport, b storetest.Backend) {
		e := newEnv(t, b)
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
			"get_conversation":        {nil, true, nil, yes, []string{"data"}},
			"list_messages":           {[]string{"conversation_id"}, true, nil, yes, []string{"data", "pagination"}},
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
		if len(tools) != 7 {
			t.Errorf("%d tools, want 7", len(tools))
		}
		// One name for one thing: the old get_conversation id is marked
		// deprecated, so clients and models prefer conversation_id.
		var gc struct {
			Properties map[string]struct {
				Deprecated bool `json:"deprecated"`
			} `json:"properties"`
		}
		remarshal(t, tools["get_conversation"].InputSchema, &gc)
		if !gc.Properties["id"].Deprecated || gc.Properties["conversation_id"].Deprecated {
			t.Errorf("get_conversation argument names: %+v", gc.Properties)
		}
		// Enums and bounds a model needs to call right the first time.
		var lc struct {
			Properties map[string]map[string]any `json:"properties"`
		}
		remarshal(t, tools["list_conversations"].InputSchema, &lc)
		// facebook is Messenger, by the hosted DM APIs' name for it.
		if lc.Properties["limit"]["maximum"] != 100.0 || len(lc.Properties["platform"]["enum"].([]any)) != 6 ||
			!slices.Contains(lc.Properties["platform"]["enum"].([]any), any("facebook")) ||
			fmt.Sprint(lc.Properties["status"]["enum"]) != "[active archived]" {
			t.Errorf("list_conversations schema lacks bounds/enums: %v", lc.Properties)
		}
	})
}

// TestListsMatchREST: the list tools answer exactly what REST answers, for
// an empty organisation, for one with every platform connected (the
// emulators, seeded as the sandbox seeds them), and when one platform fails.
func TestListsMatchREST(t *testing.T) {
	t.Parallel()
	eachEnv(t, func(t *testing.T, tr transport, b storetest.Backend) {
		l := newLiveEnv(t, b)

		// An empty organisation.
		empty := l.org("Empty")
		ecs := mustConnect(t, l.env, tr, empty)
		for tool, path := range map[string]string{"list_accounts": "/v1/accounts", "list_conversations": "/v1/inbox/conversations"} {
			got := ok(t, call(t, ecs, tool, map[string]any{}))
			_, want := l.rest("GET", path, empty)
			if !jsonEqual(withoutVolatile(t, got), withoutVolatile(t, want)) || len(got["data"].([]any)) != 0 {
				t.Errorf("%s = %v, REST %s = %v", tool, got, path, want)
			}
		}

		// Every platform answering.
		cs := mustConnect(t, l.env, tr, l.key)
		for tool, path := range map[string]string{
			"list_accounts":      "/v1/accounts?limit=25",
			"list_conversations": "/v1/inbox/conversations?limit=25",
		} {
			got := ok(t, call(t, cs, tool, map[string]any{"limit": 25}))
			_, want := l.rest("GET", path, l.key)
			if !jsonEqual(withoutVolatile(t, got), withoutVolatile(t, want)) || len(got["data"].([]any)) == 0 || got["meta"] != nil {
				t.Errorf("%s = %v, REST %s = %v", tool, got, path, want)
			}
		}

		// LinkedIn down for one request each: the list still answers,
		// flagged partial with the failing account, as REST does.
		li := l.seeded.Accounts[platform.LinkedIn]
		l.emu.LinkedIn.FailNext(liemu.StatusError(http.StatusServiceUnavailable))
		got := ok(t, call(t, cs, "list_conversations", map[string]any{}))
		l.emu.LinkedIn.FailNext(liemu.StatusError(http.StatusServiceUnavailable))
		_, rest := l.rest("GET", "/v1/inbox/conversations", l.key)
		// LinkedIn's trace id names one answer; the rest must match.
		if !jsonEqual(withoutVolatile(t, got), withoutVolatile(t, rest)) {
			t.Errorf("list_conversations = %v, REST = %v", got, rest)
		}
		meta, _ := got["meta"].(map[string]any)
		failures, _ := meta["failures"].([]any)
		if meta["partial"] != true || len(failures) != 1 {
			t.Fatalf("want one partial failure, got %v", got)
		}
		f := failures[0].(map[string]any)
		if f["account_id"] != li || f["platform"] != "linkedin" || f["code"] != "platform.linkedin.unavailable" {
			t.Errorf("failure %v", f)
		}
		for _, d := range got["data"].([]any) {
			if d.(map[string]any)["account_id"] == li {
				t.Errorf("failed account listed: %v", d)
			}
		}
		if len(got["data"].([]any)) == 0 {
			t.Error("the platforms that answered are missing")
		}

		// Filters reach the backend.
		ig := l.seeded.Accounts[platform.Instagram]
		got = ok(t, call(t, cs, "list_accounts", map[string]any{"platform": "instagram"}))
		if d := got["data"].([]any); len(d) != 1 || d[0].(map[string]any)["id"] != ig {
			t.Errorf("platform filter: %v", got)
		}
		got = ok(t, call(t, cs, "list_conversations", map[string]any{"account_id": ig}))
		want := []string{l.conv("instagram/open"), l.conv("instagram/human_agent_only"), l.conv("instagram/closed")}
		if ids := convIDs(got); got["meta"] != nil || !sameSet(ids, want) {
			t.Errorf("account filter: %v, want %v", got, want)
		}
	})
}

// TestConversationTools drives reads, sends and mark-read through the
// emulators, checking what the platform itself received.
func TestConversationTools(t *testing.T) {
	t.Parallel()
	eachEnv(t, func(t *testing.T, tr transport, b storetest.Backend) {
		l := newLiveEnv(t, b)
		cs := mustConnect(t, l.env, tr, l.key)
		igID := l.seeded.NativeIDs[platform.Instagram]

		// The unread filter, on Messenger (Instagram's API reports no unread
		// counts): every seeded thread ends with the customer's message, and
		// marking one read takes it out of the unread list.
		fb := l.seeded.Accounts[platform.Messenger]
		fbOpen := l.conv("messenger/open")
		fbAll := []string{fbOpen, l.conv("messenger/human_agent_only"), l.conv("messenger/closed"), l.conv("messenger/quick_reply")}
		unread := func(u bool) []string {
			t.Helper()
			return convIDs(ok(t, call(t, cs, "list_conversations", map[string]any{"account_id": fb, "unread": u})))
		}
		if got := unread(true); !sameSet(got, fbAll) {
			t.Fatalf("unread filter: %v, want %v", got, fbAll)
		}
		read := ok(t, call(t, cs, "mark_conversation_read", map[string]any{"conversation_id": fbOpen}))
		if th := l.thread(fbOpen); read["data"].(map[string]any)["read"] != true || th.SeenAt.IsZero() || th.Unread != 0 {
			t.Errorf("mark read = %v, platform thread %+v", read, th)
		}
		if got := unread(true); !sameSet(got, fbAll[1:]) {
			t.Errorf("unread after mark read: %v, want %v", got, fbAll[1:])
		}
		if got := unread(false); !sameSet(got, fbAll[:1]) {
			t.Errorf("read: %v, want %v", got, fbAll[:1])
		}

		// Instagram: open within 24 h; human_agent_only is 3 days old.
		open, late := l.conv("instagram/open"), l.conv("instagram/human_agent_only")
		got := ok(t, call(t, cs, "get_conversation", map[string]any{"conversation_id": open}))
		conv := got["data"].(map[string]any)
		rw, _ := conv["reply_window"].(map[string]any)
		if conv["id"] != open || conv["participant_name"] != "Maya Lopez" || rw["open"] != true {
			t.Fatalf("get_conversation = %v", got)
		}
		// The conversation is REST's, plus the transcript.
		delete(conv, "messages")
		_, rest := l.rest("GET", "/v1/inbox/conversations/"+open, l.key)
		if !jsonEqual(got, rest) {
			t.Errorf("get_conversation %v differs from REST %v", got, rest)
		}

		// A send goes out once, and a retry with its idempotency key replays.
		args := map[string]any{"conversation_id": open, "text": "Thanks, Maya!", "idempotency_key": "k-" + tr.name}
		res := call(t, cs, "send_dm", args)
		msg := ok(t, res)["data"].(map[string]any)
		if msg["direction"] != "outgoing" || msg["text"] != "Thanks, Maya!" || msg["conversation_id"] != open || res.Meta["idempotent_replayed"] != nil {
			t.Fatalf("send_dm = %v (meta %v)", msg, res.Meta)
		}
		res = call(t, cs, "send_dm", args)
		if again := ok(t, res)["data"].(map[string]any); again["id"] != msg["id"] || res.Meta["idempotent_replayed"] != true {
			t.Errorf("replay = %v (meta %v), want %v replayed", again, res.Meta, msg["id"])
		}
		if s := l.emu.Graph.Messages(igID); len(s) != 1 || s[0].Text != "Thanks, Maya!" || s[0].ThreadID != l.thread(open).ID || msg["platform_id"] != s[0].ID {
			t.Errorf("platform saw %+v, want one send (%v)", s, msg["platform_id"])
		}

		// A closed window is a tool error that says what remains.
		d := toolErr(t, call(t, cs, "send_dm", map[string]any{"conversation_id": late, "text": "still there?"}), "conversation.window_closed")
		opts, _ := d.Meta["options"].([]any)
		if len(opts) == 0 || !strings.Contains(string(mustJSON(t, opts)), "HUMAN_AGENT") || d.Meta["closed_at"] == nil {
			t.Errorf("window_closed meta %v", d.Meta)
		}
		// …and a person taking the HUMAN_AGENT option gets through.
		ok(t, call(t, cs, "send_dm", map[string]any{"conversation_id": late, "text": "Sorry for the wait", "tag": "HUMAN_AGENT"}))
		toolErr(t, call(t, cs, "send_dm", map[string]any{"conversation_id": late, "text": "bot", "tag": "HUMAN_AGENT", "automated": true}),
			"validation.tag_not_allowed")
		if s := l.emu.Graph.Messages(igID); len(s) != 2 || s[1].Text != "Sorry for the wait" || s[1].Tag != "HUMAN_AGENT" {
			t.Errorf("platform saw %+v, want 2 sends, the second tagged HUMAN_AGENT", s)
		}

		read = ok(t, call(t, cs, "mark_conversation_read", map[string]any{"conversation_id": open}))
		if th := l.thread(open); read["data"].(map[string]any)["read"] != true || th.SeenAt.IsZero() {
			t.Errorf("mark read = %v, platform thread seen at %v", read, th.SeenAt)
		}
		if n := len(l.emu.Graph.Messages(igID)); n != 2 {
			t.Errorf("mark read sent a message: %d sends", n)
		}

		// Another organisation cannot see or act on it.
		other := mustConnect(t, l.env, tr, l.org("B"))
		toolErr(t, call(t, other, "get_conversation", map[string]any{"conversation_id": open}), "resource.not_found")
		toolErr(t, call(t, other, "get_conversation", map[string]any{"id": open}), "resource.not_found")
		toolErr(t, call(t, other, "list_messages", map[string]any{"conversation_id": open}), "resource.not_found")
		toolErr(t, call(t, other, "send_dm", map[string]any{"conversation_id": open, "text": "x"}), "resource.not_found")
		toolErr(t, call(t, other, "mark_conversation_read", map[string]any{"conversation_id": open}), "resource.not_found")
		toolErr(t, call(t, other, "list_conversations", map[string]any{"account_id": l.seeded.Accounts[platform.Instagram]}), "resource.not_found")
		if n := len(l.emu.Graph.Messages(igID)); n != 2 {
			t.Errorf("another organisation's send reached the platform: %d sends", n)
		}
	})
}

func TestToolErrors(t *testing.T) {
	t.Parallel()
	eachEnv(t, func(t *testing.T, tr transport, b storetest.Backend) {
		l := newLiveEnv(t, b)
		cs := mustConnect(t, l.env, tr, l.key)
		igOpen, fbOpen := l.conv("instagram/open"), l.conv("messenger/open")

		for _, c := range []struct {
			name, tool string
			args       map[string]any
			code       string
			field      string
			// down queues Graph's transient error (code 2) for the next request.
			down bool
		}{
			{"unknown conversation", "get_conversation", map[string]any{"id": "sapi_dm_nope"}, "resource.not_found", "", false},
			{"unknown thread", "get_conversation", map[string]any{"id": convid.Encode(l.seeded.Accounts[platform.Instagram], "t")}, "resource.not_found", "", false},
			{"nothing to send", "send_dm", map[string]any{"conversation_id": igOpen}, "validation.required", "text", false},
			{"bad attachment url", "send_dm", map[string]any{"conversation_id": igOpen,
				"attachment": map[string]any{"type": "image", "url": "ftp://x"}}, "validation.invalid_field", "attachment.url", false},
			{"limit out of range", "list_conversations", map[string]any{"limit": 500}, "validation.invalid_field", "limit", false},
			{"wrong type", "list_accounts", map[string]any{"limit": "ten"}, "validation.invalid_field", "limit", false},
			{"unknown argument", "list_accounts", map[string]any{"colour": "red"}, "validation.unknown_field", "colour", false},
			{"missing required", "send_dm", map[string]any{}, "validation.required", "conversation_id", false},
			{"no conversation id", "get_conversation", map[string]any{}, "validation.required", "conversation_id", false},
			{"two different ids", "get_conversation", map[string]any{"conversation_id": igOpen, "id": fbOpen}, "validation.invalid_field", "id", false},
			{"transcript too long", "get_conversation", map[string]any{"conversation_id": igOpen, "message_limit": 101}, "validation.invalid_field", "message_limit", false},
			{"history bad cursor", "list_messages", map[string]any{"conversation_id": igOpen, "cursor": "%%%"}, "validation.invalid_cursor", "cursor", false},
			{"history of another conversation", "list_messages", map[string]any{"conversation_id": "sapi_dm_nope"}, "resource.not_found", "", false},
			{"nested enum", "send_dm", map[string]any{"conversation_id": "x", "attachment": map[string]any{"type": "gif", "url": "https://x.test/a.gif"}},
				"validation.invalid_field", "attachment.type", false},
			{"nested required", "send_dm", map[string]any{"conversation_id": "x", "template": map[string]any{"name": "t"}},
				"validation.required", "template.language", false},
			{"control character", "send_dm", map[string]any{"conversation_id": igOpen, "text": "hi\x00"}, "validation.invalid_text", "text", false},
			{"bad cursor", "list_conversations", map[string]any{"cursor": "%%%"}, "validation.invalid_cursor", "cursor", false},
			{"unknown account", "list_whatsapp_templates", map[string]any{"account_id": "acct_nope"}, "resource.not_found", "", false},
			{"platform down", "get_conversation", map[string]any{"id": fbOpen}, "platform.messenger.unavailable", "", true},
		} {
			t.Run(c.name, func(t *testing.T) {
				if c.down {
					l.emu.Graph.FailNext(graphemu.ErrTransient)
				}
				d := toolErr(t, call(t, cs, c.tool, c.args), c.code)
				if c.field != "" && d.Meta["field"] != c.field {
					t.Errorf("meta.field = %v, want %s (%s)", d.Meta["field"], c.field, d.Message)
				}
			})
		}
		// Nothing above reached the platform as a send.
		if s := l.emu.Graph.Messages(l.seeded.NativeIDs[platform.Instagram]); len(s) != 0 {
			t.Errorf("refused sends reached the platform: %+v", s)
		}
		// The platform's native code survives in meta.
		l.emu.Graph.FailNext(graphemu.ErrTransient)
		d := toolErr(t, call(t, cs, "get_conversation", map[string]any{"id": fbOpen}), "platform.messenger.unavailable")
		if d.Meta["native_code"] != 2.0 {
			t.Errorf("meta %v", d.Meta)
		}
		// The failure was the platform's, once: the next call goes through.
		ok(t, call(t, cs, "get_conversation", map[string]any{"id": fbOpen}))
		// An unknown tool is a protocol error, not a tool result.
		if _, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "delete_everything", Arguments: map[string]any{}}); err == nil {
			t.Error("unknown tool accepted")
		}
	})
}

func TestWhatsAppTemplates(t *testing.T) {
	t.Parallel()
	eachEnv(t, func(t *testing.T, tr transport, b storetest.Backend) {
		l := newLiveEnv(t, b)
		cs := mustConnect(t, l.env, tr, l.key)
		got := ok(t, call(t, cs, "list_whatsapp_templates", map[string]any{"account_id": l.seeded.Accounts[platform.WhatsApp], "refresh": true}))
		// The emulator's approved templates for the account's WABA, and not
		// new_terms, still PENDING there: it cannot be sent yet.
		want := map[string]string{"order_update": "APPROVED UTILITY", "spring_sale": "APPROVED MARKETING"}
		seen := map[string]string{}
		for _, x := range got["data"].([]any) {
			m := x.(map[string]any)
			if m["language"] != "en_US" {
				t.Errorf("template language: %v", m)
			}
			seen[m["name"].(string)] = m["status"].(string) + " " + m["category"].(string)
		}
		if !maps.Equal(seen, want) {
			t.Errorf("templates = %v, want %v", got, want)
		}
		toolErr(t, call(t, cs, "list_whatsapp_templates", map[string]any{"account_id": l.seeded.Accounts[platform.Instagram]}), "validation.templates_not_supported")
	})
}

// withoutVolatile copies a list answer without what differs between two
// answers of the same page: the trace ids of platform failures, and the
// next_cursor, which is sealed afresh each time (only its presence counts).
func withoutVolatile(t *testing.T, list map[string]any) map[string]any {
	t.Helper()
	var out map[string]any
	remarshal(t, list, &out)
	meta, _ := out["meta"].(map[string]any)
	failures, _ := meta["failures"].([]any)
	for _, f := range failures {
		if m, _ := f.(map[string]any)["meta"].(map[string]any); m != nil {
			delete(m, "trace_id")
		}
	}
	if p, _ := out["pagination"].(map[string]any); p != nil && p["next_cursor"] != nil {
		p["next_cursor"] = "(set)"
	}
	return out
}

// convIDs lists the conversation ids of a list tool's answer.
func convIDs(list map[string]any) []string {
	var ids []string
	for _, d := range list["data"].([]any) {
		ids = append(ids, d.(map[string]any)["id"].(string))
	}
	return ids
}

// TestHTTPAuth: /mcp answers a missing, unknown or revoked key with REST's
// 401 error body before any MCP processing, and a key revoked mid-session
// stops working at once.
func TestHTTPAuth(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
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
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
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
