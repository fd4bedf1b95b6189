package graphemu

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/platform"
)

func errorOf(t *testing.T, body map[string]any) (code, sub int, typ string) {
	t.Helper()
	e, ok := body["error"].(map[string]any)
	if !ok {
		t.Fatalf("no error object in %v", body)
	}
	code = int(e["code"].(float64))
	if s, ok := e["error_subcode"].(float64); ok {
		sub = int(s)
	}
	typ, _ = e["type"].(string)
	if tr, _ := e["fbtrace_id"].(string); tr == "" {
		t.Errorf("error without fbtrace_id: %v", e)
	}
	return code, sub, typ
}

func TestIDsLookLikeMeta(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	cases := []struct {
		acct         string
		thread, mess *regexp.Regexp
	}{
		{pageID, regexp.MustCompile(`^t_[0-9]{15,20}$`), regexp.MustCompile(`^m_[A-Za-z0-9_-]{40,}$`)},
		{igID, regexp.MustCompile(`^aWdf[A-Za-z0-9_-]+$`), regexp.MustCompile(`^aWdf[A-Za-z0-9_-]+$`)},
		{igFBID, regexp.MustCompile(`^aWdf[A-Za-z0-9_-]+$`), regexp.MustCompile(`^aWdf[A-Za-z0-9_-]+$`)},
	}
	for _, tc := range cases {
		ts, err := fx.emu.Threads(tc.acct)
		if err != nil || len(ts) != 3 {
			t.Fatalf("Threads(%s) = %d, %v", tc.acct, len(ts), err)
		}
		for _, th := range ts {
			if !tc.thread.MatchString(th.ID) {
				t.Errorf("thread id %q does not look like Meta's", th.ID)
			}
			for _, m := range th.Messages {
				if !tc.mess.MatchString(m.ID) {
					t.Errorf("message id %q does not look like Meta's", m.ID)
				}
			}
		}
	}
}

// TestPagingLinks follows paging.next as an absolute URL all the way, then
// paging.previous back, one conversation per page.
func TestPagingLinks(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	next := fb + "/" + pageID + "/conversations?platform=messenger&limit=1"
	var seen []string
	for i := 0; next != ""; i++ {
		if i > 5 {
			t.Fatal("paging does not end")
		}
		status, body, _ := fx.do(t, "GET", next, pageToken, "", "")
		if status != 200 {
			t.Fatalf("status %d: %v", status, body)
		}
		data := body["data"].([]any)
		if len(data) != 1 {
			t.Fatalf("page %d has %d items", i, len(data))
		}
		seen = append(seen, data[0].(map[string]any)["id"].(string))
		next = ""
		if p, ok := body["paging"].(map[string]any); ok {
			if n, ok := p["next"].(string); ok {
				if !strings.HasPrefix(n, "https://graph.facebook.com/v25.0/") || !strings.Contains(n, "access_token=") {
					t.Errorf("next link %q", n)
				}
				next = n
			}
			if i == 0 && p["previous"] != nil {
				t.Error("first page has a previous link")
			}
		}
	}
	want := []string{fx.threads[pageID]["jane"], fx.threads[pageID]["bob"], fx.threads[pageID]["carol"]}
	if strings.Join(seen, ",") != strings.Join(want, ",") {
		t.Fatalf("order %v, want %v (most recently updated first)", seen, want)
	}

	// `before` the last item gives the two before it.
	after := url.QueryEscape(encodeCursor(want[2]))
	status, body, _ := fx.do(t, "GET", fb+"/me/conversations?limit=2&before="+after, pageToken, "", "")
	if status != 200 || len(body["data"].([]any)) != 2 {
		t.Fatalf("before page: %d %v", status, body)
	}
	status, body, _ = fx.do(t, "GET", fb+"/me/conversations?after=bogus", pageToken, "", "")
	if code, _, _ := errorOf(t, body); status != 400 || code != 100 {
		t.Fatalf("bad cursor: %d %v", status, body)
	}
}

func TestWindowRules(t *testing.T) {
	t.Parallel()
	type want struct {
		ok      bool
		code    int
		subcode int
	}
	winM := want{code: 10, subcode: 2018278}
	winI := want{code: 10, subcode: 2534022}
	bad := want{code: 100}
	cases := []struct {
		name   string
		acct   string
		token  string
		since  time.Duration // since the participant's last message
		noIn   bool          // the participant never wrote
		mtype  string
		tag    string
		expect want
	}{
		{"messenger just inside 24h", pageID, pageToken, 24 * time.Hour, false, "RESPONSE", "", want{ok: true}},
		{"messenger just outside 24h", pageID, pageToken, 24*time.Hour + time.Second, false, "RESPONSE", "", winM},
		{"messenger UPDATE inside", pageID, pageToken, time.Hour, false, "UPDATE", "", want{ok: true}},
		{"messenger human agent day 7", pageID, pageToken, 7 * 24 * time.Hour, false, "MESSAGE_TAG", "HUMAN_AGENT", want{ok: true}},
		{"messenger human agent day 7+", pageID, pageToken, 7*24*time.Hour + time.Second, false, "MESSAGE_TAG", "HUMAN_AGENT", winM},
		{"messenger account update day 30", pageID, pageToken, 30 * 24 * time.Hour, false, "MESSAGE_TAG", "ACCOUNT_UPDATE", want{ok: true}},
		{"messenger confirmed event day 30", pageID, pageToken, 30 * 24 * time.Hour, false, "MESSAGE_TAG", "CONFIRMED_EVENT_UPDATE", want{ok: true}},
		{"messenger tag but never wrote", pageID, pageToken, 0, true, "MESSAGE_TAG", "POST_PURCHASE_UPDATE", winM},
		{"messenger unknown tag", pageID, pageToken, time.Hour, false, "MESSAGE_TAG", "SHIPPING_UPDATE", bad},
		{"messenger tag missing", pageID, pageToken, time.Hour, false, "MESSAGE_TAG", "", bad},
		{"bad messaging_type", pageID, pageToken, time.Hour, false, "PROMO", "", bad},
		{"instagram inside 24h", igID, igToken, 23 * time.Hour, false, "", "", want{ok: true}},
		{"instagram outside 24h", igID, igToken, 25 * time.Hour, false, "RESPONSE", "", winI},
		{"instagram human agent day 6", igID, igToken, 6 * 24 * time.Hour, false, "MESSAGE_TAG", "HUMAN_AGENT", want{ok: true}},
		{"instagram human agent day 8", igID, igToken, 8 * 24 * time.Hour, false, "MESSAGE_TAG", "HUMAN_AGENT", winI},
		{"instagram post purchase refused", igID, igToken, time.Hour, false, "MESSAGE_TAG", "POST_PURCHASE_UPDATE", bad},
		{"instagram account update refused", igID, igToken, time.Hour, false, "MESSAGE_TAG", "ACCOUNT_UPDATE", bad},
		{"instagram confirmed event refused", igID, igToken, time.Hour, false, "MESSAGE_TAG", "CONFIRMED_EVENT_UPDATE", bad},
		{"instagram fb login outside 24h", igFBID, igFBPageToken, 30 * time.Hour, false, "RESPONSE", "", winI},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fx := newFixture(t)
			msgs := []SeedMessage{{Inbound: !tc.noIn, Text: "hello", At: fixedNow.Add(-tc.since)}}
			if _, err := fx.emu.AddConversation(tc.acct, Conversation{Participant: Participant{ID: "999", Name: "Zed"}, Messages: msgs}); err != nil {
				t.Fatal(err)
			}
			status, body, _ := fx.do(t, "POST", hostFor(tc.token)+"/me/messages", tc.token, "application/json", sendBody("999", "hi", tc.mtype, tc.tag))
			if tc.expect.ok {
				if status != 200 || body["message_id"] == nil || body["recipient_id"] != "999" {
					t.Fatalf("want success, got %d %v", status, body)
				}
				return
			}
			code, sub, _ := errorOf(t, body)
			if code != tc.expect.code || (tc.expect.subcode != 0 && sub != tc.expect.subcode) {
				t.Fatalf("got %d %d/%d %v, want %d/%d", status, code, sub, body, tc.expect.code, tc.expect.subcode)
			}
			if n := len(fx.emu.Messages(tc.acct)); n != 0 {
				t.Errorf("a refused send was recorded (%d)", n)
			}
		})
	}
}

func TestInboundReopensWindowAndMarkSeen(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	bob := psid(0, 1) // last wrote 3 days ago
	status, _, _ := fx.do(t, "POST", fb+"/me/messages", pageToken, "application/json", sendBody(bob, "late", "RESPONSE", ""))
	if status == 200 {
		t.Fatal("send outside the window succeeded")
	}
	m, err := fx.emu.Inbound(pageID, bob, "still there?")
	if err != nil || !m.Inbound || m.ThreadID != fx.threads[pageID]["bob"] {
		t.Fatalf("Inbound = %+v, %v", m, err)
	}
	th, _ := fx.emu.Thread(m.ThreadID)
	if th.Unread != 2 {
		t.Errorf("unread = %d, want 2", th.Unread)
	}
	status, body, _ := fx.do(t, "POST", fb+"/me/messages", pageToken, "application/json", sendBody(bob, "yes!", "RESPONSE", ""))
	if status != 200 {
		t.Fatalf("send after inbound: %d %v", status, body)
	}
	sent := fx.emu.Messages(pageID)
	if len(sent) != 1 || sent[0].Text != "yes!" || sent[0].ID != body["message_id"] {
		t.Fatalf("Messages = %+v", sent)
	}
	if _, err := fx.emu.Inbound(pageID, bob, "thanks"); err != nil {
		t.Fatal(err)
	}
	status, body, _ = fx.do(t, "POST", fb+"/"+pageID+"/messages", pageToken, "application/json",
		`{"recipient":{"id":"`+bob+`"},"sender_action":"mark_seen"}`)
	if status != 200 || body["recipient_id"] != bob {
		t.Fatalf("mark_seen: %d %v", status, body)
	}
	th, _ = fx.emu.Thread(m.ThreadID)
	if th.Unread != 0 || !th.SeenAt.Equal(fixedNow) {
		t.Errorf("after mark_seen unread=%d seen=%v", th.Unread, th.SeenAt)
	}

	// A stranger writing opens a new thread.
	m, err = fx.emu.Inbound(igID, "555", "hey")
	if err != nil {
		t.Fatal(err)
	}
	th, _ = fx.emu.Thread(m.ThreadID)
	if th.Participant.ID != "555" || len(th.Messages) != 1 {
		t.Errorf("new thread = %+v", th)
	}
}

func TestFormEncodedSendAndTokenParam(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	form := url.Values{
		"recipient":      {"{'id':'" + psid(0, 0) + "'}"},
		"messaging_type": {"RESPONSE"},
		"message":        {`{"text":"hello, world"}`},
		"access_token":   {pageToken},
	}
	status, body, _ := fx.do(t, "POST", fb+"/"+pageID+"/messages", "", "application/x-www-form-urlencoded", form.Encode())
	if status != 200 {
		t.Fatalf("form send: %d %v", status, body)
	}
	status, body, _ = fx.do(t, "GET", ig+"/me?fields=id,username&access_token="+igToken, "", "", "")
	if status != 200 || body["id"] != igID || body["username"] != "acmecoffee" {
		t.Fatalf("/me with access_token param: %d %v", status, body)
	}
	status, body, _ = fx.do(t, "GET", fb+"/me", igFBPageToken, "", "")
	if status != 200 || body["id"] != igFBPageID {
		t.Fatalf("/me with a Page token is the Page: %d %v", status, body)
	}
}

func TestFacebookLoginNeedsPlatformParam(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	for _, tc := range []struct {
		url  string
		want int
	}{
		{fb + "/me/conversations", 0},
		{fb + "/me/conversations?platform=messenger", 0},
		{fb + "/me/conversations?platform=instagram", 3},
		{fb + "/" + igFBPageID + "/conversations?platform=instagram", 3},
		{fb + "/" + igFBID + "/conversations?platform=instagram", 3},
		{fb + "/me/conversations?platform=instagram&user_id=" + psid(2, 1), 1},
	} {
		status, body, _ := fx.do(t, "GET", tc.url, igFBPageToken, "", "")
		if status != 200 || len(body["data"].([]any)) != tc.want {
			t.Errorf("%s: %d %v, want %d threads", tc.url, status, body, tc.want)
		}
	}
	status, body, _ := fx.do(t, "GET", fb+"/me/conversations?platform=whatsapp", igFBPageToken, "", "")
	if code, _, _ := errorOf(t, body); status != 400 || code != 100 {
		t.Errorf("bad platform: %d %v", status, body)
	}
}

func TestVisibilityAndRouting(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	for _, tc := range []struct {
		name, method, url, token string
		status, code, sub        int
	}{
		{"other account's thread", "GET", fb + "/" + fx.threads[igID]["jane"], pageToken, 400, 100, 33},
		{"other account's conversations", "GET", fb + "/" + igID + "/conversations", pageToken, 400, 100, 33},
		{"other account's messages edge", "GET", fb + "/" + fx.threads[igID]["jane"] + "/messages", pageToken, 400, 100, 33},
		{"send as another account", "POST", fb + "/" + igID + "/messages", pageToken, 400, 100, 33},
		{"unknown edge", "GET", fb + "/me/feed", pageToken, 400, 2500, 0},
		{"no node", "GET", fb + "/", pageToken, 400, 2500, 0},
		{"delete", "DELETE", fb + "/" + fx.threads[pageID]["jane"], pageToken, 400, 100, 33},
		{"username on a Page", "GET", fb + "/me?fields=username", pageToken, 400, 100, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body, _ := fx.do(t, tc.method, tc.url, tc.token, "", "")
			code, sub, _ := errorOf(t, body)
			if status != tc.status || code != tc.code || sub != tc.sub {
				t.Fatalf("got %d %d/%d %v", status, code, sub, body)
			}
		})
	}
	// A message node is readable by its own account.
	th, _ := fx.emu.Thread(fx.threads[pageID]["jane"])
	status, body, _ := fx.do(t, "GET", fb+"/"+th.Messages[0].ID+"?fields=id,message,from", pageToken, "", "")
	if status != 200 || body["message"] != "Hi, is the shop open today?" {
		t.Fatalf("message node: %d %v", status, body)
	}
}

func TestSendValidation(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	jane := psid(0, 0)
	igJane := psid(1, 0)
	cases := []struct {
		name, token, body string
		code, sub         int
	}{
		{"no recipient", pageToken, `{"message":{"text":"x"}}`, 100, 0},
		{"no message", pageToken, `{"recipient":{"id":"` + jane + `"}}`, 100, 0},
		{"empty message", pageToken, `{"recipient":{"id":"` + jane + `"},"message":{"text":""}}`, 100, 2018034},
		{"text and attachment", pageToken, `{"recipient":{"id":"` + jane + `"},"message":{"text":"x","attachment":{"type":"image","payload":{"url":"https://a.b/c.png"}}}}`, 100, 0},
		{"bad attachment type", pageToken, `{"recipient":{"id":"` + jane + `"},"message":{"attachment":{"type":"sticker","payload":{"url":"https://a.b/c.png"}}}}`, 100, 0},
		{"bad attachment url", pageToken, `{"recipient":{"id":"` + jane + `"},"message":{"attachment":{"type":"image","payload":{"url":"ftp://x"}}}}`, 100, 0},
		{"messenger text too long", pageToken, sendBody(jane, strings.Repeat("é", messengerTextMax+1), "", ""), 100, 0},
		{"instagram text too long", igToken, sendBody(igJane, strings.Repeat("é", instagramTextMaxBytes/2+1), "", ""), 100, 0},
		{"bad sender action", pageToken, `{"recipient":{"id":"` + jane + `"},"sender_action":"dance"}`, 100, 0},
		{"action and message", pageToken, `{"recipient":{"id":"` + jane + `"},"sender_action":"mark_seen","message":{"text":"x"}}`, 100, 0},
		{"action for stranger", pageToken, `{"recipient":{"id":"42"},"sender_action":"mark_seen"}`, 100, 2018001},
		{"invalid json", pageToken, `{"recipient":`, 100, 0},
		{"recipient not an object", pageToken, `{"recipient":"x","message":{"text":"x"}}`, 100, 0},
		{"tag not a string", pageToken, `{"recipient":{"id":"` + jane + `"},"message":{"text":"x"},"tag":7}`, 100, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body, _ := fx.do(t, "POST", hostFor(tc.token)+"/me/messages", tc.token, "application/json", tc.body)
			code, sub, _ := errorOf(t, body)
			if status != 400 || code != tc.code || sub != tc.sub {
				t.Fatalf("got %d %d/%d %v", status, code, sub, body)
			}
		})
	}
	// Exactly at the limits is fine.
	for _, tc := range []struct{ token, to, text string }{
		{pageToken, jane, strings.Repeat("é", messengerTextMax)},
		{igToken, igJane, strings.Repeat("a", instagramTextMaxBytes)},
	} {
		if status, body, _ := fx.do(t, "POST", hostFor(tc.token)+"/me/messages", tc.token, "application/json", sendBody(tc.to, tc.text, "", "")); status != 200 {
			t.Errorf("text at the limit refused: %v", body)
		}
	}
}

func TestThrottleHeaders(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	fx.emu.FailNext(ErrMessengerRateLimit, ErrAppRateLimit)
	_, _, h := fx.do(t, "GET", fb+"/me/conversations", pageToken, "", "")
	var usage map[string][]map[string]any
	if err := json.Unmarshal([]byte(h.Get("X-Business-Use-Case-Usage")), &usage); err != nil {
		t.Fatalf("usage header: %v", err)
	}
	if e := usage[pageID]; len(e) != 1 || e[0]["estimated_time_to_regain_access"] != float64(5) || e[0]["type"] != "messenger" {
		t.Errorf("usage = %v", usage)
	}
	_, _, h = fx.do(t, "GET", fb+"/me/conversations", pageToken, "", "")
	if h.Get("X-Business-Use-Case-Usage") != "" {
		t.Error("app-level throttling carries no BUC header")
	}
	status, _, _ := fx.do(t, "GET", fb+"/me/conversations", pageToken, "", "")
	if status != 200 {
		t.Error("FailNext errors were not consumed")
	}
}

func TestFailureRateIsSeededAndTransient(t *testing.T) {
	t.Parallel()
	run := func() []int {
		emu := New(Options{FailureRate: 0.5, Rand: rand.NewPCG(3, 4), Now: func() time.Time { return fixedNow }})
		if _, err := emu.AddAccount(Account{Platform: platform.Messenger, ID: "1", Token: "tok", Name: "P"}); err != nil {
			t.Fatal(err)
		}
		var statuses []int
		for i := 0; i < 40; i++ {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("GET", fb+"/me/conversations", nil)
			req.Header.Set("Authorization", "Bearer tok")
			emu.ServeHTTP(rec, req)
			statuses = append(statuses, rec.Code)
		}
		return statuses
	}
	a, b := run(), run()
	fails := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("same seed, different failures")
		}
		if a[i] == 500 {
			fails++
		}
	}
	if fails < 8 || fails > 32 {
		t.Errorf("%d/40 failures at rate 0.5", fails)
	}
}

func TestLatencyHonoursCancellation(t *testing.T) {
	emu := New(Options{Latency: 5 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	req := httptest.NewRequest("GET", fb+"/me", nil).WithContext(ctx)
	start := time.Now()
	emu.ServeHTTP(httptest.NewRecorder(), req)
	if time.Since(start) > time.Second {
		t.Fatal("latency ignored the request context")
	}
	emu = New(Options{Latency: 30 * time.Millisecond})
	start = time.Now()
	emu.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", fb+"/me", nil))
	if time.Since(start) < 30*time.Millisecond {
		t.Fatal("latency not applied")
	}
}

func TestSeedingErrors(t *testing.T) {
	t.Parallel()
	emu := New(Options{})
	if _, err := emu.AddAccount(Account{Platform: platform.WhatsApp, ID: "1", Token: "a"}); err == nil {
		t.Error("WhatsApp account accepted")
	}
	if _, err := emu.AddAccount(Account{Platform: platform.Messenger, ID: "1"}); err == nil {
		t.Error("account without token accepted")
	}
	if _, err := emu.AddAccount(Account{Platform: platform.Instagram, ID: "2", Token: "b", Variant: "sms"}); err == nil {
		t.Error("unknown variant accepted")
	}
	a, err := emu.AddAccount(Account{Platform: platform.Instagram, ID: "3", Token: "c", Name: "N", Variant: VariantFacebookLogin})
	if err != nil || a.PageID == "" || a.Username != "N" {
		t.Fatalf("defaults not filled: %+v %v", a, err)
	}
	if _, err := emu.AddAccount(Account{Platform: platform.Messenger, ID: "3", Token: "d"}); err == nil {
		t.Error("duplicate id accepted")
	}
	if _, err := emu.AddAccount(Account{Platform: platform.Messenger, ID: "4", Token: "c"}); err == nil {
		t.Error("duplicate token accepted")
	}
	if _, err := emu.AddConversation("nope", Conversation{Participant: Participant{ID: "1"}}); err != ErrNotFound {
		t.Errorf("unknown account: %v", err)
	}
	if _, err := emu.AddConversation("3", Conversation{}); err == nil {
		t.Error("participant without id accepted")
	}
	if _, err := emu.AddConversation("3", Conversation{Participant: Participant{ID: "9"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := emu.AddConversation("3", Conversation{Participant: Participant{ID: "9"}}); err == nil {
		t.Error("second thread with the same participant accepted")
	}
	if _, err := emu.Inbound("nope", "1", "x"); err != ErrNotFound {
		t.Errorf("Inbound unknown account: %v", err)
	}
	if err := emu.ExpireToken("nope"); err != ErrNotFound {
		t.Errorf("ExpireToken unknown account: %v", err)
	}
	if _, err := emu.Thread("nope"); err != ErrNotFound {
		t.Errorf("Thread unknown: %v", err)
	}
	if _, err := emu.Threads("nope"); err != ErrNotFound {
		t.Errorf("Threads unknown: %v", err)
	}
}

func TestWebhookBody(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	for _, tc := range []struct{ acct, object string }{{pageID, "page"}, {igID, "instagram"}} {
		m, err := fx.emu.InboundFrom(tc.acct, Participant{ID: "321", Name: "Kim"}, "hello", []Attachment{{Type: "image", URL: "https://x.y/z.jpg"}})
		if err != nil {
			t.Fatal(err)
		}
		b, err := fx.emu.WebhookBody(m)
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Object string `json:"object"`
			Entry  []struct {
				ID        string `json:"id"`
				Messaging []struct {
					Sender    struct{ ID string } `json:"sender"`
					Recipient struct{ ID string } `json:"recipient"`
					Timestamp int64               `json:"timestamp"`
					Message   struct {
						Mid         string `json:"mid"`
						Text        string `json:"text"`
						Attachments []struct {
							Type    string            `json:"type"`
							Payload map[string]string `json:"payload"`
						} `json:"attachments"`
					} `json:"message"`
				} `json:"messaging"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		ev := got.Entry[0].Messaging[0]
		if got.Object != tc.object || got.Entry[0].ID != tc.acct || ev.Sender.ID != "321" || ev.Recipient.ID != tc.acct ||
			ev.Message.Mid != m.ID || ev.Message.Text != "hello" || ev.Timestamp != fixedNow.UnixMilli() ||
			len(ev.Message.Attachments) != 1 || ev.Message.Attachments[0].Payload["url"] != "https://x.y/z.jpg" {
			t.Errorf("webhook = %s", b)
		}
	}
	if _, err := fx.emu.WebhookBody(Message{ThreadID: "nope"}); err != ErrNotFound {
		t.Errorf("unknown thread: %v", err)
	}
}

func TestWrongMethodStatus(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	status, body, h := fx.do(t, "GET", fb+"/me", "", "", "")
	if code, _, _ := errorOf(t, body); status != 400 || code != 104 || h.Get("WWW-Authenticate") == "" {
		t.Fatalf("missing token: %d %v", status, body)
	}
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("content type %q", ct)
	}
}

// hostFor is the host a token belongs to: Instagram-Login tokens work on
// graph.instagram.com only.
func hostFor(token string) string {
	if token == igToken {
		return ig
	}
	return fb
}

func TestHostsHoldTokensApart(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	for _, tc := range []struct {
		name    string
		handler http.Handler
		token   string
		ok      bool
	}{
		{"page token on facebook host", fx.emu.FacebookHost(), pageToken, true},
		{"ig-fb-login page token on facebook host", fx.emu.FacebookHost(), igFBPageToken, true},
		{"ig token on facebook host", fx.emu.FacebookHost(), igToken, false},
		{"ig token on instagram host", fx.emu.InstagramHost(), igToken, true},
		{"page token on instagram host", fx.emu.InstagramHost(), pageToken, false},
		{"any token on the combined handler", fx.emu, igToken, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "http://127.0.0.1/v25.0/me", nil)
			req.Header.Set("Authorization", "Bearer "+tc.token)
			rec := httptest.NewRecorder()
			tc.handler.ServeHTTP(rec, req)
			if (rec.Code == 200) != tc.ok {
				t.Fatalf("status %d: %s", rec.Code, rec.Body.String())
			}
		})
	}
}

// Graph checks the token first: a queued fault is answered only to an
// authenticated request, so a refused token leaves it queued.
func TestFailNextWaitsForAnAuthenticatedRequest(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	fx.emu.FailNext(ErrPageRateLimit)
	if status, body, _ := fx.do(t, "GET", fb+"/me/conversations", "no-such-token", "", ""); status != 400 || !strings.Contains(fmt.Sprint(body), "190") {
		t.Fatalf("bad token: %d %v", status, body)
	}
	if status, body, _ := fx.do(t, "GET", fb+"/me/conversations", pageToken, "", ""); status != 400 || !strings.Contains(fmt.Sprint(body), "(#32)") {
		t.Fatalf("queued fault: %d %v", status, body)
	}
	if status, _, _ := fx.do(t, "GET", fb+"/me/conversations", pageToken, "", ""); status != 200 {
		t.Errorf("fault not consumed: %d", status)
	}
}

// TestRetiredTags: from 2026-04-27 Meta answers the retired Messenger tags
// with the bare Graph error 100 "(#100) Invalid parameter" (OAuthException,
// no subcode); one nanosecond earlier they still went through.
func TestRetiredTags(t *testing.T) {
	t.Parallel()
	retiredOn := time.Date(2026, time.April, 27, 0, 0, 0, 0, time.UTC)
	for _, tag := range []string{"ACCOUNT_UPDATE", "CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE"} {
		t.Run(tag, func(t *testing.T) {
			fx := newFixture(t)
			psidBob := psid(0, 1)
			*fx.clock = retiredOn.Add(-time.Nanosecond)
			status, body, _ := fx.do(t, "POST", fb+"/me/messages", pageToken, "application/json", sendBody(psidBob, "receipt", "MESSAGE_TAG", tag))
			if status != 200 || body["message_id"] == nil {
				t.Fatalf("before retirement: %d %v", status, body)
			}
			*fx.clock = retiredOn
			status, body, hdr := fx.do(t, "POST", fb+"/me/messages", pageToken, "application/json", sendBody(psidBob, "receipt", "MESSAGE_TAG", tag))
			e, _ := body["error"].(map[string]any)
			if status != 400 || e == nil {
				t.Fatalf("after retirement: %d %v", status, body)
			}
			trace, _ := e["fbtrace_id"].(string)
			want := map[string]any{"message": "(#100) Invalid parameter", "type": "OAuthException", "code": float64(100), "fbtrace_id": trace}
			if trace == "" || !reflect.DeepEqual(e, want) {
				t.Fatalf("error body: %v, want %v", e, want)
			}
			if hdr.Get("X-Fb-Trace-Id") != trace {
				t.Errorf("X-Fb-Trace-Id %q, body %q", hdr.Get("X-Fb-Trace-Id"), trace)
			}
			if n := len(fx.emu.Messages(pageID)); n != 1 {
				t.Fatalf("want only the pre-retirement send recorded, got %d", n)
			}
		})
	}
}

// TestInstagramTwentyMostRecent: Graph lists every message of an Instagram
// conversation but details only the 20 most recent; asking for an older one
// answers the "message has been deleted" error. Messenger has no such limit.
func TestInstagramTwentyMostRecent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		acct, token string
		limited     bool
	}{{igID, igToken, true}, {pageID, pageToken, false}} {
		fx := newFixture(t)
		var msgs []SeedMessage
		for i := range 25 {
			msgs = append(msgs, SeedMessage{Inbound: i%2 == 0, Text: fmt.Sprintf("m%02d", i), At: fixedNow.Add(time.Duration(i-30) * time.Minute)})
		}
		tid, err := fx.emu.AddConversation(tc.acct, Conversation{Participant: Participant{ID: "888", Name: "Old Friend"}, Messages: msgs})
		if err != nil {
			t.Fatal(err)
		}
		host := hostFor(tc.token)
		status, body, _ := fx.do(t, "GET", host+"/"+tid+"/messages?limit=100&fields=id,created_time,from,message", tc.token, "", "")
		data, _ := body["data"].([]any)
		if status != 200 || len(data) != 25 {
			t.Fatalf("%s: edge %d, %d messages: %v", tc.acct, status, len(data), body)
		}
		for i, d := range data {
			m := d.(map[string]any)
			detailed := m["message"] != nil && m["from"] != nil
			if want := !tc.limited || i < 20; detailed != want || m["id"] == nil || m["created_time"] == nil {
				t.Fatalf("%s: message %d (newest first) detailed=%v, want %v: %v", tc.acct, i, detailed, want, m)
			}
		}
		newest20 := data[19].(map[string]any)["id"].(string)
		older := data[20].(map[string]any)["id"].(string)
		if status, body, _ := fx.do(t, "GET", host+"/"+newest20+"?fields=message", tc.token, "", ""); status != 200 || body["message"] != "m05" {
			t.Fatalf("%s: 20th newest: %d %v", tc.acct, status, body)
		}
		status, body, _ = fx.do(t, "GET", host+"/"+older+"?fields=message", tc.token, "", "")
		if !tc.limited {
			if status != 200 || body["message"] != "m04" {
				t.Fatalf("messenger 21st newest: %d %v", status, body)
			}
			continue
		}
		if code, _, _ := errorOf(t, body); status != 400 || code != 100 || !strings.Contains(body["error"].(map[string]any)["message"].(string), "deleted") {
			t.Fatalf("instagram 21st newest: %d %v", status, body)
		}
	}
}
