package client_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/client"
)

// TestWire checks what the client puts on the wire and how it reads
// answers no Parley gives but a proxy in front of one may (an HTML error
// page, a truncated body, no answer at all).
func TestWire(t *testing.T) {
	var got *http.Request
	var gotBody []byte
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Clone(context.Background())
		gotBody, _ = io.ReadAll(r.Body)
		switch {
		case strings.HasSuffix(r.URL.Path, "/messages"):
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(201)
			_, _ = io.WriteString(w, `{"data":{"id":"m1","direction":"outgoing","attachments":[]}}`)
		case r.URL.Path == "/base/v1/inbox/conversations":
			_, _ = io.WriteString(w, `{"data":[],"pagination":{"has_more":true,"limit":5,"next_cursor":"abc"}}`)
		case r.URL.Path == "/base/v1/accounts":
			w.Header().Set("X-Request-ID", "req_1")
			w.WriteHeader(502)
			_, _ = io.WriteString(w, "<html>bad gateway</html>")
		default:
			_, _ = io.WriteString(w, `{"data": not json`)
		}
	}))
	defer hs.Close()
	ctx := context.Background()
	c, err := client.New(hs.URL+"/base", "sapi_key_k", client.Options{UserAgent: "ua/1", MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}

	l, err := c.ListConversations(ctx, client.ConversationQuery{AccountID: "acct_1", Platform: "x", Unread: client.Ptr(false), Limit: 5, Cursor: "c/1"})
	if err != nil || !l.Pagination.HasMore || *l.Pagination.NextCursor != "abc" {
		t.Fatalf("list = %+v %v", l, err)
	}
	if q := got.URL.Query(); q.Get("account_id") != "acct_1" || q.Get("unread") != "false" || q.Get("limit") != "5" || q.Get("cursor") != "c/1" ||
		q.Has("brand_id") || got.Header.Get("Authorization") != "Bearer sapi_key_k" || got.Header.Get("User-Agent") != "ua/1" {
		t.Errorf("request %s %v", got.URL, got.Header)
	}

	m, err := c.SendMessage(ctx, "sapi_dm_a/b", apitype.SendInput{Text: "hi", IdempotencyKey: "k1"})
	if err != nil || m.ID != "m1" || !m.Replayed {
		t.Fatalf("send = %+v %v", m, err)
	}
	if got.URL.EscapedPath() != "/base/v1/inbox/conversations/sapi_dm_a%2Fb/messages" || got.Header.Get("Idempotency-Key") != "k1" ||
		got.Header.Get("Content-Type") != "application/json" {
		t.Errorf("send request %s %v", got.URL.EscapedPath(), got.Header)
	}
	var body map[string]any
	if err := json.Unmarshal(gotBody, &body); err != nil || body["text"] != "hi" || len(body) != 1 {
		t.Errorf("send body %s (the idempotency key must not be in it)", gotBody)
	}
	// Without a key, one is made up: every send is safe to retry.
	if _, err := c.SendMessage(ctx, "sapi_dm_a", apitype.SendInput{Text: "hi"}); err != nil || !strings.HasPrefix(got.Header.Get("Idempotency-Key"), "idem_") {
		t.Errorf("generated key %q, %v", got.Header.Get("Idempotency-Key"), err)
	}

	_, err = c.ListAccounts(ctx, client.AccountQuery{})
	if e, ok := client.AsError(err); !ok || e.Status != 502 || e.Code != "system.unexpected_response" || e.RequestID != "req_1" {
		t.Errorf("non-envelope error = %#v", err)
	}
	if _, err := c.GetConversation(ctx, "sapi_dm_a"); !client.HasCode(err, "system.unexpected_response") {
		t.Errorf("bad JSON error = %v", err)
	}

	hs.Close()
	if _, err := c.GetConversation(ctx, "sapi_dm_a"); !client.HasCode(err, "system.unreachable") {
		t.Errorf("unreachable error = %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.GetConversation(cancelled, "sapi_dm_a"); err != context.Canceled {
		t.Errorf("cancelled call = %v, want context.Canceled", err)
	}
}
