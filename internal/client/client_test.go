package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/client"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/secrets"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/service"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestAgainstServer runs the client against a real Parley REST API.
func TestAgainstServer(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		key, err := secrets.GenerateKey(time.Now())
		if err != nil {
			t.Fatal(err)
		}
		srv, err := server.New(context.Background(), config.Config{DatabaseURL: b.URL, DataDir: b.DataDir, SecretKeys: key},
			server.Options{Logger: slog.New(slog.DiscardHandler), Adapters: platform.Registry{}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		hs := httptest.NewServer(srv.Handler)
		t.Cleanup(hs.Close)
		ctx := context.Background()
		org, k, err := srv.Service.Bootstrap(ctx, "A", "test")
		if err != nil {
			t.Fatal(err)
		}
		caller := service.Caller{OrgID: org.ID}
		brand, err := srv.Service.CreateBrand(ctx, caller, service.BrandInput{Name: "Acme"})
		if err != nil {
			t.Fatal(err)
		}
		// No platform is configured to verify a token with, so the account
		// is written straight to the store.
		now := time.Now()
		acct := store.Account{ID: store.NewID("acct"), OrgID: org.ID, BrandID: brand.ID, Platform: "instagram", NativeID: "1784",
			DisplayName: "1784", Status: store.AccountActive, VerifiedAt: &now, CreatedAt: now, UpdatedAt: now}
		if acct.Credentials, err = srv.Keys.Seal([]byte("t"), []byte(acct.ID)); err != nil {
			t.Fatal(err)
		}
		if err := srv.Store.CreateAccount(ctx, acct); err != nil {
			t.Fatal(err)
		}

		c, err := client.New(hs.URL+"/", k.Secret, client.Options{})
		if err != nil {
			t.Fatal(err)
		}
		accts, err := c.ListAccounts(ctx, client.AccountQuery{Platform: "instagram", Limit: 10})
		if err != nil || len(accts.Data) != 1 || accts.Data[0].ID != acct.ID || accts.Pagination.Limit != 10 || accts.Pagination.NextCursor != nil {
			t.Fatalf("ListAccounts = %+v, %v", accts, err)
		}
		// No adapter is configured: the list answers, partially.
		convs, err := c.ListConversations(ctx, client.ConversationQuery{Unread: ptr(true)})
		if err != nil || convs.Meta == nil || !convs.Meta.Partial || convs.Meta.Failures[0].Code != "account.platform_unavailable" {
			t.Fatalf("ListConversations = %+v, %v", convs, err)
		}
		// Errors keep their status, code, meta and request id.
		_, err = c.GetConversation(ctx, "sapi_dm_a/b?c")
		var ce *client.Error
		if !errors.As(err, &ce) || ce.API.Status != 404 || ce.API.Code != "resource.not_found" || ce.RequestID == "" || !apierr.HasCode(err, "resource.not_found") {
			t.Fatalf("GetConversation error = %#v", err)
		}
		_, err = c.SendMessage(ctx, "sapi_dm_x", apitype.SendInput{})
		if e, ok := apierr.As(err); !ok || e.Code != "validation.required" || e.Meta["field"] != "text" {
			t.Fatalf("SendMessage error = %v", err)
		}
		if err := c.MarkRead(ctx, "sapi_dm_x"); !apierr.HasCode(err, "resource.not_found") {
			t.Fatalf("MarkRead error = %v", err)
		}
		if _, err := c.ListWhatsAppTemplates(ctx, acct.ID, true); !apierr.HasCode(err, "account.platform_unavailable") {
			t.Fatalf("ListWhatsAppTemplates error = %v", err)
		}
		if _, err := c.ListMessages(ctx, "sapi_dm_x", 500, ""); !apierr.HasCode(err, "validation.invalid_limit") {
			t.Fatalf("ListMessages error = %v", err)
		}

		bad, _ := client.New(hs.URL, "sapi_key_nope", client.Options{})
		if _, err := bad.ListAccounts(ctx, client.AccountQuery{}); !apierr.HasCode(err, "auth.invalid_key") {
			t.Fatalf("bad key error = %v", err)
		}
	})
}

// TestWire checks what the client sends and how it reads what it gets.
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
		case strings.HasSuffix(r.URL.Path, "/read"):
			w.WriteHeader(204)
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
	c, err := client.New(hs.URL+"/base", "sapi_key_k", client.Options{UserAgent: "ua/1"})
	if err != nil {
		t.Fatal(err)
	}

	l, err := c.ListConversations(ctx, client.ConversationQuery{AccountID: "acct_1", Platform: "x", Unread: ptr(false), Limit: 5, Cursor: "c/1"})
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

	if err := c.MarkRead(ctx, "sapi_dm_a"); err != nil {
		t.Fatal(err)
	}

	_, err = c.ListAccounts(ctx, client.AccountQuery{})
	var ce *client.Error
	if !errors.As(err, &ce) || ce.API.Status != 502 || ce.API.Code != "system.unexpected_response" || ce.RequestID != "req_1" {
		t.Errorf("non-envelope error = %#v", err)
	}
	if _, err := c.GetConversation(ctx, "sapi_dm_a"); !apierr.HasCode(err, "system.unexpected_response") {
		t.Errorf("bad JSON error = %v", err)
	}

	hs.Close()
	if _, err := c.GetConversation(ctx, "sapi_dm_a"); !apierr.HasCode(err, "system.unreachable") {
		t.Errorf("unreachable error = %v", err)
	}
}

func TestNew(t *testing.T) {
	for _, c := range []struct{ url, key string }{
		{"", "k"}, {"ftp://x", "k"}, {"http://", "k"}, {"http://x", " "}, {"127.0.0.1:8080", "k"},
	} {
		if _, err := client.New(c.url, c.key, client.Options{}); err == nil {
			t.Errorf("New(%q, %q) accepted", c.url, c.key)
		}
	}
}

func ptr[T any](v T) *T { return &v }
