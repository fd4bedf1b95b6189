package api_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/emulator/graphemu"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/testsupport"
)

// hostedExample is one of the hosted DM API's documented examples for an
// inbox route (testdata/hosted, each with the page it was copied from).
type hostedExample struct {
	Source   string         `json:"source"`
	Checked  string         `json:"checked"`
	Method   string         `json:"method"`
	Path     string         `json:"path"`
	Request  map[string]any `json:"request"`
	Response any            `json:"response"`
	// Differs names the documented fields Parley does not answer with the
	// documented type, and why; the suite fails on any other.
	Differs map[string]string `json:"differs"`
}

func loadHosted(t *testing.T, name string) hostedExample {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "hosted", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var ex hostedExample
	if err := json.Unmarshal(raw, &ex); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ex.Source, "https://docs.social-api.ai/") || ex.Checked == "" {
		t.Fatalf("%s: every example keeps the page it was copied from and when", name)
	}
	return ex
}

// shapeDiff lists where got lacks a field of the documented example want,
// or holds it with another JSON type (a documented timestamp must also
// parse as one). Arrays compare their first elements, so a documented list
// must not come back empty.
func shapeDiff(want, got any, path string, out *[]string) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			*out = append(*out, path)
			return
		}
		for k, wv := range w {
			p := strings.TrimPrefix(path+"."+k, ".")
			gv, ok := g[k]
			if !ok {
				*out = append(*out, p)
				continue
			}
			shapeDiff(wv, gv, p, out)
		}
	case []any:
		g, ok := got.([]any)
		if !ok || (len(w) > 0 && len(g) == 0) {
			*out = append(*out, path)
			return
		}
		if len(w) > 0 {
			shapeDiff(w[0], g[0], path+"[]", out)
		}
	case string:
		g, ok := got.(string)
		if !ok {
			*out = append(*out, path)
			return
		}
		if _, err := time.Parse(time.RFC3339, w); err == nil {
			if _, err := time.Parse(time.RFC3339Nano, g); err != nil {
				*out = append(*out, path)
			}
		}
	case float64:
		if _, ok := got.(float64); !ok {
			*out = append(*out, path)
		}
	case bool:
		if _, ok := got.(bool); !ok {
			*out = append(*out, path)
		}
	}
}

// TestHostedAPICompatibility replays the hosted DM API's documented request
// examples for the inbox routes (list, get, send, history, archive) against
// the sandbox over HTTP, as a client written against its documentation
// would, with only the base URL and key changed, and checks every
// documented response field is there with the documented type (apart from
// the differences each example names, and README explains). Then what a
// client of it relies on beyond the shape: the send's ids name the sent
// message, a replayed Idempotency-Key answers the same body, account_id is
// checked without revealing another organisation's conversations,
// facebook is messenger, and an archived conversation leaves the default
// list until the customer writes again (through the signed webhook and
// the batched ingest), on both databases.
func TestHostedAPICompatibility(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		// The emulators post their signed webhooks to Parley.
		l := newVerifyEnv(t, b)
		conv := l.conv("instagram/open")
		acct := l.seeded.Accounts[platform.Instagram]
		replay := func(name, query string, headers ...string) (hostedExample, response) {
			t.Helper()
			ex := loadHosted(t, name)
			var body any
			if ex.Request != nil {
				req := map[string]any{}
				for k, v := range ex.Request {
					req[k] = v
				}
				if _, ok := req["account_id"]; ok {
					req["account_id"] = acct // the documented acc_abc123, as a client would fill it in
				}
				body = req
			}
			r := l.do(ex.Method, strings.ReplaceAll(ex.Path, "{id}", conv)+query, l.key, body, headers...)
			if r.status < 200 || r.status > 299 {
				t.Fatalf("%s: %d %s", name, r.status, r.raw)
			}
			var diff []string
			shapeDiff(ex.Response, r.body, "", &diff)
			sort.Strings(diff)
			var want []string
			for k := range ex.Differs {
				want = append(want, k)
			}
			sort.Strings(want)
			if !slices.Equal(diff, want) {
				t.Errorf("%s (%s): fields missing or of another type %v, documented differences %v\n%s", name, ex.Source, diff, want, r.raw)
			}
			return ex, r
		}

		// limit=1 so that, as in the documented examples, another page follows.
		_, list := replay("list-inbox-conversations", "?limit=1")
		if c := list.body["data"].([]any)[0].(map[string]any); c["status"] != "active" {
			t.Fatalf("a conversation's status is %v, want active", c["status"])
		}
		replay("get-a-conversation", "")

		key := "compat-" + b.Name
		_, sent := replay("send-a-message-in-a-conversation", "", "Idempotency-Key", key)
		d := sent.data(t)
		// Instagram takes the attachment and the text as two messages:
		// message_ids names both, message_id the last (data.id).
		ids, _ := sent.body["message_ids"].([]any)
		if sent.body["success"] != true || sent.body["message_id"] != d["id"] || len(ids) != 2 || ids[1] != d["id"] || ids[0] == ids[1] ||
			d["attachment_url"] != "https://cdn.example.com/photo.jpg" || d["attachment_type"] != "image" || d["status"] != "sent" {
			t.Fatalf("send answered %s", sent.raw)
		}
		if again := l.do("POST", "/v1/inbox/conversations/"+conv+"/messages", l.key, map[string]any{"account_id": acct, "text": "Thanks for your message!",
			"attachment_url": "https://cdn.example.com/photo.jpg"}, "Idempotency-Key", key); again.header.Get("Idempotent-Replayed") != "true" || string(again.raw) != string(sent.raw) {
			t.Fatalf("a replayed key answered\n%s\nnot\n%s", again.raw, sent.raw)
		}
		// The customer answers with a photo: the newest message is then
		// the documented example's incoming image.
		if _, err := l.emu.Graph.InboundFrom(l.seeded.NativeIDs[platform.Instagram], graphemu.Participant{ID: "6100000000000001"}, "",
			[]graphemu.Attachment{{Type: "image", URL: "https://cdn.example.com/their-photo.jpg"}}); err != nil {
			t.Fatal(err)
		}
		_, hist := replay("list-messages-in-a-conversation", "?limit=1")
		if m := hist.body["data"].([]any)[0].(map[string]any); m["attachment_url"] != "https://cdn.example.com/their-photo.jpg" {
			t.Fatalf("newest message %v, want the customer's photo", m)
		}
		// The page's schema rendering adds status and status_updated_at:
		// the message just sent has both.
		var mine map[string]any
		for _, it := range l.do("GET", "/v1/inbox/conversations/"+conv+"/messages?limit=10", l.key, nil).body["data"].([]any) {
			if m := it.(map[string]any); m["id"] == d["id"] {
				mine = m
			}
		}
		if at, _ := mine["status_updated_at"].(string); mine["status"] != "sent" || at == "" {
			t.Fatalf("the sent message in the history: %v", mine)
		}

		// account_id is the conversation's own: another is refused naming
		// it, with the same answer whether that account exists or not (the
		// check compares the two ids the caller sent, and looks nothing up);
		// another organisation gets the 404 of any foreign id.
		var refusals []string
		for _, a := range []string{l.seeded.Accounts[platform.Messenger], "acct_nope"} {
			r := l.do("POST", "/v1/inbox/conversations/"+conv+"/messages", l.key, map[string]any{"account_id": a, "text": "hi"})
			expect(t, r, 422, "validation.invalid_field")
			e := r.body["error"].(map[string]any)
			if e["meta"].(map[string]any)["field"] != "account_id" {
				t.Fatalf("refusal names %v, want account_id", e["meta"])
			}
			refusals = append(refusals, fmt.Sprint(e))
		}
		if refusals[0] != refusals[1] {
			t.Fatalf("an existing and a made-up account_id are refused differently:\n%s\n%s", refusals[0], refusals[1])
		}
		stranger := l.org("stranger")
		expect(t, l.do("POST", "/v1/inbox/conversations/"+conv+"/messages", stranger, map[string]any{"account_id": acct, "text": "hi"}), 404, "resource.not_found")
		expect(t, l.do("PATCH", "/v1/inbox/conversations/"+conv, stranger, map[string]any{"status": "archived"}), 404, "resource.not_found")

		// facebook is messenger, in both filters that take a platform.
		for _, path := range []string{"/v1/inbox/conversations?platform=facebook&limit=100", "/v1/accounts?platform=facebook"} {
			r := l.do("GET", path, l.key, nil)
			expect(t, r, 200, "")
			items := r.body["data"].([]any)
			if len(items) == 0 {
				t.Fatalf("%s listed nothing", path)
			}
			for _, it := range items {
				if p := it.(map[string]any)["platform"]; p != "messenger" {
					t.Fatalf("%s listed a %v item", path, p)
				}
			}
		}
		expect(t, l.do("GET", "/v1/inbox/conversations?status=open", l.key, nil), 422, "validation.invalid_field")

		// Archive (the documented request), then the customer writes again.
		_, patched := replay("update-conversation-status", "")
		if patched.body["ok"] != true || patched.data(t)["status"] != "archived" {
			t.Fatalf("PATCH answered %s", patched.raw)
		}
		listed := func(status string) bool {
			r := l.do("GET", "/v1/inbox/conversations?limit=100&status="+status, l.key, nil)
			expect(t, r, 200, "")
			for _, it := range r.body["data"].([]any) {
				if c := it.(map[string]any); c["id"] == conv {
					return c["status"] == status
				}
			}
			return false
		}
		if listed("active") || !listed("archived") {
			t.Fatal("the archived conversation is not listed under status=archived only")
		}
		if _, err := l.emu.Graph.Inbound(l.seeded.NativeIDs[platform.Instagram], "6100000000000001", "One more question"); err != nil {
			t.Fatal(err)
		}
		testsupport.Eventually(t, func() bool { return listed("active") }, "the conversation active again after a new message")
		if listed("archived") {
			t.Fatal("still listed as archived")
		}
		// And archived then unarchived by hand.
		for _, s := range []string{"archived", "active"} {
			r := l.do("PATCH", "/v1/inbox/conversations/"+conv, l.key, map[string]any{"status": s})
			expect(t, r, 200, "")
			if r.data(t)["status"] != s {
				t.Fatalf("PATCH %s answered %s", s, r.raw)
			}
		}
		expect(t, l.do("PATCH", "/v1/inbox/conversations/"+conv, l.key, map[string]any{"status": "closed"}), 422, "validation.invalid_field")
		expect(t, l.do("PATCH", "/v1/inbox/conversations/"+conv, l.key, map[string]any{}), 422, "validation.required")
	})
}
