package xemu

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/platform/xapi"
	"github.com/parleyhq/parley/internal/testsupport/golden"
	"github.com/parleyhq/parley/internal/webhook/inbound"
)

const consumerSecret = "x_consumer_secret"

// newHookReceiver verifies each webhook with package inbound and parses it
// with xapi.ParseWebhook, as Parley's endpoint does.
func newHookReceiver(t *testing.T, secret string, status int) (*golden.Receiver, *httptest.Server) {
	t.Helper()
	verify := func(sig string, body []byte) error { return inbound.VerifyX(secret, sig, body) }
	return golden.NewReceiver(t, inbound.HeaderXSignature, verify, xapi.ParseWebhook, status)
}

func TestWebhookRoundTrip(t *testing.T) {
	t.Parallel()
	e, _ := fixture(t, Options{})
	rc, srv := newHookReceiver(t, consumerSecret, http.StatusOK)
	e.SetWebhook(srv.URL, consumerSecret)
	for i, from := range []string{aliceID, "42"} { // a known user, then a new short-id one
		ev, err := e.Inbound(bizID, from, "Olá ✓ <b> & 👋")
		if err != nil {
			t.Fatal(err)
		}
		events, errs := rc.Snapshot()
		if len(errs) > 0 || len(events) != i+1 {
			t.Fatalf("receiver: %v, %d events", errs, len(events))
		}
		got := events[i]
		if got.Kind != platform.EventMessage || got.Platform != platform.X || got.AccountNativeID != bizID ||
			got.ThreadID != ev.ConversationID || got.ThreadID != ConversationID(bizID, from) || got.ParticipantID != from ||
			got.MessageID != ev.ID || !got.At.Equal(ev.CreatedAt.Truncate(1e6)) || got.Message.Text != ev.Text ||
			got.Message.SenderID != from || got.Message.SenderName == "" {
			t.Errorf("event %+v, sent %+v", got, ev)
		}
	}
}

// TestWebhookBodyParses covers what Inbound does not send: an echo of the
// business's own message and a media attachment.
func TestWebhookBodyParses(t *testing.T) {
	t.Parallel()
	e, _ := fixture(t, Options{})
	e.AddMedia(Media{ID: "1455952740635586573", OwnerID: bizID, Type: "photo", URL: "https://pbs.twimg.com/dm_media/1.jpg"})
	conv, err := e.AddConversation(bizID, bobID, SeedMessage{SenderID: bizID, Text: "here you go", At: t0, MediaIDs: []string{"1455952740635586573"}})
	if err != nil {
		t.Fatal(err)
	}
	evs := e.ConversationEvents(conv)
	last := evs[len(evs)-1]
	body, err := e.WebhookBody(bizID, last)
	if err != nil {
		t.Fatal(err)
	}
	got, err := xapi.ParseWebhook(body)
	if err != nil || len(got) != 1 {
		t.Fatalf("parse: %v %+v", err, got)
	}
	g := got[0]
	if g.Kind != platform.EventEcho || g.ParticipantID != bobID || g.ThreadID != conv || g.MessageID != last.ID ||
		len(g.Message.Attachments) != 1 || g.Message.Attachments[0] != (platform.Attachment{Type: "image", URL: "https://pbs.twimg.com/dm_media/1.jpg"}) ||
		g.Message.SenderName != "Parley HQ" || !g.At.Equal(t0) {
		t.Fatalf("event %+v", g)
	}
	if _, err := e.WebhookBody(carolID, last); !errors.Is(err, ErrUnknownUser) {
		t.Fatalf("outsider: %v", err)
	}
}

func TestWebhookFailures(t *testing.T) {
	t.Parallel()
	e, _ := fixture(t, Options{})
	if _, err := e.Inbound(bizID, aliceID, "no webhook"); err != nil {
		t.Fatal(err)
	}
	_, wrongSecret := newHookReceiver(t, "other", http.StatusOK)
	_, refusing := newHookReceiver(t, consumerSecret, http.StatusInternalServerError)
	for name, url := range map[string]string{"bad signature": wrongSecret.URL, "5xx": refusing.URL} {
		t.Run(name, func(t *testing.T) {
			e.SetWebhook(url, consumerSecret)
			ev, err := e.Inbound(bizID, aliceID, name)
			if !errors.Is(err, ErrWebhook) {
				t.Fatalf("err = %v", err)
			}
			evs := e.ConversationEvents(ev.ConversationID)
			if evs[len(evs)-1].ID != ev.ID {
				t.Fatal("message not recorded")
			}
		})
	}
	e.SetWebhook("", "")
	if _, err := e.Inbound(bizID, aliceID, "off"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Inbound("1", aliceID, "x"); !errors.Is(err, ErrUnknownUser) {
		t.Fatalf("unknown account: %v", err)
	}
}

// A message sent through the API reaches the webhook as X posts it: an
// echo for the sending account, after the API has answered, carrying the
// app that sent it; a group message is not carried.
func TestSentMessagesReachTheWebhook(t *testing.T) {
	t.Parallel()
	e, _ := fixture(t, Options{})
	rc, hook := newHookReceiver(t, consumerSecret, http.StatusOK)
	e.SetWebhook(hook.URL, consumerSecret)
	api := httptest.NewServer(e)
	t.Cleanup(api.Close)
	req, _ := http.NewRequest("POST", api.URL+"/2/dm_conversations/with/"+aliceID+"/messages", strings.NewReader(`{"text":"Your parcel ships today"}`))
	req.Header.Set("Authorization", "Bearer "+bizTok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := api.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var sent sendResponse
	if err := json.NewDecoder(resp.Body).Decode(&sent); err != nil || resp.StatusCode != 201 {
		t.Fatalf("send: %d %v", resp.StatusCode, err)
	}
	_ = resp.Body.Close()
	var got []platform.InboundEvent
	for deadline := time.Now().Add(10 * time.Second); len(got) == 0 && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		var errs []error
		if got, errs = rc.Snapshot(); len(errs) > 0 {
			t.Fatal(errs)
		}
	}
	if len(got) != 1 {
		t.Fatalf("webhook events: %+v", got)
	}
	g := got[0]
	if g.Kind != platform.EventEcho || g.AccountNativeID != bizID || g.ParticipantID != aliceID || g.MessageID != sent.Data.DMEventID ||
		g.ThreadID != sent.Data.DMConversationID || g.Message.Text != "Your parcel ships today" || g.Message.SenderName != "Parley HQ" {
		t.Fatalf("echo %+v", g)
	}

	group := `{"conversation_type":"Group","participant_ids":["` + aliceID + `","` + bobID + `"],"message":{"text":"group hello"}}`
	if w := do(t, e, "POST", "/2/dm_conversations", bizTok, group); w.Code != 201 {
		t.Fatalf("group: %d %s", w.Code, w.Body)
	}
	if w := do(t, e, "POST", "/2/dm_conversations/with/"+bobID+"/messages", bizTok, `{"text":"after the group"}`); w.Code != 201 {
		t.Fatalf("send: %d %s", w.Code, w.Body)
	}
	// The recorder runs the echo before returning, so both are settled.
	events, _ := rc.Snapshot()
	if len(events) != 2 || events[1].Message.Text != "after the group" {
		t.Fatalf("events after a group message: %+v", events)
	}
}

// Webhook users are X's full v1.1 objects with created_timestamp, and a
// message sent through the API names its app.
func TestWebhookPayloadGolden(t *testing.T) {
	t.Parallel()
	e, _ := fixture(t, Options{AppID: "8829219", AppName: "Parley", AppURL: "https://parley.example"})
	e.AddUser(User{ID: aliceID, Username: "alice", Name: "Alice Doe", Location: "Lisbon", Description: "Buys things", URL: "https://t.co/x",
		FollowersCount: 12, FriendsCount: 34, StatusesCount: 56, ProfileImageURL: "https://pbs.twimg.com/profile_images/1/alice_normal.jpg"})
	if w := do(t, e, "POST", "/2/dm_conversations/with/"+aliceID+"/messages", bizTok, `{"text":"On its way"}`); w.Code != 201 {
		t.Fatalf("send: %d %s", w.Code, w.Body)
	}
	msgs := e.Messages(bizID)
	body, err := e.WebhookBody(bizID, msgs[len(msgs)-1])
	if err != nil {
		t.Fatal(err)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, body, "", "  "); err != nil {
		t.Fatal(err)
	}
	golden.Compare(t, filepath.Join("testdata", "webhook_sent.golden"), pretty.Bytes())
}
