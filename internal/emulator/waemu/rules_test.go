package waemu

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestServiceWindow(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		inboundAt time.Duration // before now; <0 means no inbound
		body      map[string]any
		wantCode  int
	}{
		{"no inbound free-form", -1, textMsg(user, "hi"), CodeReengagement},
		{"inside window", 23 * time.Hour, textMsg(user, "hi"), 0},
		{"window closed", 24*time.Hour + time.Second, textMsg(user, "hi"), CodeReengagement},
		{"media outside window", 30 * time.Hour, map[string]any{"messaging_product": "whatsapp", "to": user, "type": "document",
			"document": map[string]any{"link": "https://example.com/a.pdf"}}, CodeReengagement},
		{"approved template outside window", -1, tplMsg(user, "order_update", bodyParams("Ana", "#1")), 0},
		{"rejected template outside window", -1, tplMsg(user, "win_big"), CodeTemplateMissing},
		{"named template", -1, tplMsg(user, "hello", map[string]any{"type": "body",
			"parameters": []map[string]any{{"type": "text", "parameter_name": "first_name", "text": "Ana"}}}), 0},
		{"media header template", -1, tplMsg(user, "spring_sale",
			map[string]any{"type": "header", "parameters": []map[string]any{{"type": "image", "image": map[string]any{"link": "https://example.com/s.jpg"}}}},
			bodyParams("20%")), 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, c := newEmu(t, syncFailures)
			if tc.inboundAt >= 0 {
				e.Inbound(phoneID, user, "Ana", "hi", At(c.Now().Add(-tc.inboundAt)))
			}
			status, body := do(t, e, "POST", msgsPath(), token, tc.body)
			if tc.wantCode == 0 {
				if status != http.StatusOK {
					t.Fatalf("status %d: %s", status, body)
				}
				return
			}
			if got := errCode(t, body); got != tc.wantCode {
				t.Fatalf("code %d, want %d: %s", got, tc.wantCode, body)
			}
		})
	}
}

// syncFailures makes the emulator refuse 131047/131026 at send time, so a
// test can read the code from the answer.
func syncFailures(o *Options) { o.SyncFailures = true }

func TestWindowClosesAtAndEntryPointDoesNotExtendFreeForm(t *testing.T) {
	t.Parallel()
	e, c := newEmu(t, syncFailures)
	e.Inbound(phoneID, user, "Ana", "from an ad", WithReferral(Referral{SourceType: "ad", SourceID: "120", SourceURL: "https://fb.me/x", CtwaClid: "clid"}))
	if got, want := e.WindowClosesAt(phoneID, user), epoch.Add(24*time.Hour); !got.Equal(want) {
		t.Fatalf("WindowClosesAt %v, want %v", got, want)
	}
	// Reply within 24 h opens the free entry point window.
	if s, b := do(t, e, "POST", msgsPath(), token, textMsg(user, "thanks for writing")); s != 200 {
		t.Fatalf("%d %s", s, b)
	}
	// 30 h later: still inside the 72 h entry point window, but free-form is
	// refused (the entry point window is a pricing matter only).
	c.Advance(30 * time.Hour)
	if _, b := do(t, e, "POST", msgsPath(), token, textMsg(user, "still there?")); errCode(t, b) != CodeReengagement {
		t.Fatalf("free-form at 30h: %s", b)
	}
	if s, b := do(t, e, "POST", msgsPath(), token, tplMsg(user, "spring_sale",
		map[string]any{"type": "header", "parameters": []map[string]any{{"type": "image", "image": map[string]any{"link": "https://example.com/s.jpg"}}}},
		bodyParams("20%"))); s != 200 {
		t.Fatalf("template at 30h: %d %s", s, b)
	}
	// After 72 h marketing is charged again.
	c.Advance(50 * time.Hour)
	if s, b := do(t, e, "POST", msgsPath(), token, tplMsg(user, "spring_sale",
		map[string]any{"type": "header", "parameters": []map[string]any{{"type": "image", "image": map[string]any{"link": "https://example.com/s.jpg"}}}},
		bodyParams("30%"))); s != 200 {
		t.Fatalf("template at 80h: %d %s", s, b)
	}
	got := e.Messages(phoneID)
	want := []Pricing{
		{Billable: false, PricingModel: "PMP", Category: "referral_conversion", Type: "free_entry_point"},
		{Billable: false, PricingModel: "PMP", Category: "referral_conversion", Type: "free_entry_point"},
		{Billable: true, PricingModel: "PMP", Category: "marketing", Type: "regular"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d messages recorded, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Pricing != want[i] {
			t.Errorf("message %d pricing %+v, want %+v", i, got[i].Pricing, want[i])
		}
	}
	if got[2].Template == nil || got[2].Template.Text != "Spring sale: 30% off everything!" {
		t.Errorf("hydrated template text: %+v", got[2].Template)
	}
}

func TestPricing(t *testing.T) {
	t.Parallel()
	before := serviceChargesFrom.Add(-24 * time.Hour)
	cases := []struct {
		name     string
		at       time.Time // zero: the test epoch, after serviceChargesFrom
		inWindow bool
		to       string
		body     func(to string) map[string]any
		want     Pricing
	}{
		{"service reply before Oct 2026", before, true, user, func(to string) map[string]any { return textMsg(to, "hi") },
			Pricing{false, "PMP", "service", "free_customer_service"}},
		{"utility in window before Oct 2026 is free", before, true, user, func(to string) map[string]any { return tplMsg(to, "order_update", bodyParams("A", "1")) },
			Pricing{false, "PMP", "utility", "free_customer_service"}},
		{"service reply is charged from Oct 2026", time.Time{}, true, user, func(to string) map[string]any { return textMsg(to, "hi") },
			Pricing{true, "PMP", "service", "regular"}},
		{"utility in window is charged from Oct 2026", time.Time{}, true, user, func(to string) map[string]any { return tplMsg(to, "order_update", bodyParams("A", "1")) },
			Pricing{true, "PMP", "utility", "regular"}},
		{"utility outside window", time.Time{}, false, user, func(to string) map[string]any { return tplMsg(to, "order_update", bodyParams("A", "1")) },
			Pricing{true, "PMP", "utility", "regular"}},
		{"authentication", time.Time{}, false, user, func(to string) map[string]any { return tplMsg(to, "login_code", bodyParams("123456")) },
			Pricing{true, "PMP", "authentication", "regular"}},
		{"authentication international", time.Time{}, false, "919876543210", func(to string) map[string]any { return tplMsg(to, "login_code", bodyParams("123456")) },
			Pricing{true, "PMP", "authentication_international", "regular"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, c := newEmu(t, func(o *Options) { o.AuthInternationalPrefixes = []string{"91"} })
			if !tc.at.IsZero() {
				c.Advance(tc.at.Sub(c.Now()))
			}
			if tc.inWindow {
				e.Inbound(phoneID, tc.to, "Ana", "hi")
			}
			if s, b := do(t, e, "POST", msgsPath(), token, tc.body(tc.to)); s != 200 {
				t.Fatalf("%d %s", s, b)
			}
			ms := e.Messages(phoneID)
			if len(ms) != 1 || ms[0].Pricing != tc.want {
				t.Fatalf("got %+v, want %+v", ms, tc.want)
			}
		})
	}
}

func TestPairRate(t *testing.T) {
	t.Parallel()
	e, c := newEmu(t, func(o *Options) { o.PairBurst = 2 })
	e.Inbound(phoneID, user, "Ana", "hi")
	e.Inbound(phoneID, "447700900123", "Bo", "hi")
	send := func(to string) int {
		_, b := do(t, e, "POST", msgsPath(), token, textMsg(to, "x"))
		return errCode(t, b)
	}
	for i, want := range []int{0, 0, CodePairRate} { // burst of 2, then refused
		if got := send(user); got != want {
			t.Fatalf("send %d: code %d, want %d", i, got, want)
		}
	}
	if got := send("447700900123"); got != 0 {
		t.Fatalf("another user is not limited: %d", got)
	}
	c.Advance(5 * time.Second)
	if got := send(user); got != CodePairRate {
		t.Fatalf("after 5s: %d", got)
	}
	c.Advance(time.Second)
	if got := send(user); got != 0 {
		t.Fatalf("after 6s: %d", got)
	}
}

func TestThroughput(t *testing.T) {
	t.Parallel()
	e, c := newEmu(t, func(o *Options) { o.Throughput = 3 })
	users := []string{"447700900001", "447700900002", "447700900003", "447700900004", "447700900005"}
	for _, u := range users {
		e.Inbound(phoneID, u, "", "hi")
	}
	for i, u := range users[:4] {
		want := 0
		if i == 3 {
			want = CodeThroughput
		}
		if _, b := do(t, e, "POST", msgsPath(), token, textMsg(u, "x")); errCode(t, b) != want {
			t.Fatalf("send %d: %s", i, b)
		}
	}
	c.Advance(time.Second)
	if _, b := do(t, e, "POST", msgsPath(), token, textMsg(users[4], "x")); errCode(t, b) != 0 {
		t.Fatalf("after 1s: %s", b)
	}
}

func TestMarkReadMarksEarlier(t *testing.T) {
	t.Parallel()
	e, c := newEmu(t, nil)
	m1 := e.Inbound(phoneID, user, "Ana", "one")
	c.Advance(time.Minute)
	m2 := e.Inbound(phoneID, user, "Ana", "two")
	c.Advance(time.Minute)
	e.Inbound(phoneID, user, "Ana", "three")
	other := e.Inbound(phoneID, "447700900001", "Bo", "other")
	s, b := do(t, e, "POST", msgsPath(), token, map[string]any{"messaging_product": "whatsapp", "status": "read", "message_id": m2.ID})
	if s != 200 || string(b) != "{\"success\":true}\n" {
		t.Fatalf("%d %s", s, b)
	}
	read := map[string]bool{}
	for _, m := range e.InboundMessages(phoneID) {
		read[m.ID] = m.Read
	}
	if !read[m1.ID] || !read[m2.ID] || read[other.ID] || len(read) != 4 {
		t.Fatalf("read states: %v", read)
	}
	// After 30 days a message can no longer be marked read.
	c.Advance(31 * 24 * time.Hour)
	_, b = do(t, e, "POST", msgsPath(), token, map[string]any{"messaging_product": "whatsapp", "status": "read", "message_id": m1.ID})
	if errCode(t, b) != CodeParamValue {
		t.Fatalf("old mark read: %s", b)
	}
}

func TestAuthAndRouting(t *testing.T) {
	t.Parallel()
	e, _ := newEmu(t, nil)
	e.AddPhoneNumber(PhoneNumber{ID: "200", WABAID: "300", Token: "other-token"})
	cases := []struct {
		name, method, path, tok string
		wantStatus, wantCode    int
	}{
		{"token in query", "GET", "/v23.0/" + wabaID + "/message_templates?access_token=" + token, "", 200, 0},
		{"no version segment", "GET", "/" + wabaID + "/message_templates", token, 200, 0},
		{"missing token", "GET", "/v23.0/" + wabaID + "/message_templates", "", 401, CodeAccessToken},
		{"other tenant's number", "POST", "/v23.0/200/messages", token, 400, CodeInvalidParameter},
		{"other tenant's waba", "GET", "/v23.0/300/message_templates", token, 400, CodeInvalidParameter},
		{"wrong method", "GET", msgsPath(), token, 400, CodeInvalidParameter},
		{"unknown edge", "GET", "/v23.0/" + phoneID + "/conversations", token, 400, CodeUnknownPath},
		{"too deep", "GET", "/v23.0/" + phoneID + "/messages/x", token, 400, CodeUnknownPath},
		{"bad limit", "GET", "/v23.0/" + wabaID + "/message_templates?limit=x", token, 400, CodeInvalidParameter},
		{"bad cursor", "GET", "/v23.0/" + wabaID + "/message_templates?after=!!", token, 400, CodeInvalidParameter},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body any
			if tc.method == "POST" {
				body = textMsg(user, "x")
			}
			s, b := do(t, e, tc.method, tc.path, tc.tok, body)
			if s != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", s, tc.wantStatus, b)
			}
			if tc.wantCode != 0 && errCode(t, b) != tc.wantCode {
				t.Fatalf("code: %s", b)
			}
		})
	}
}

func TestRequestValidation(t *testing.T) {
	t.Parallel()
	e, _ := newEmu(t, nil)
	e.Inbound(phoneID, user, "Ana", "hi")
	cases := []struct {
		name string
		body any
		code int
	}{
		{"not json", "{", CodeInvalidParameter},
		{"no product", map[string]any{"to": user}, CodeInvalidParameter},
		{"no to", map[string]any{"messaging_product": "whatsapp", "type": "text", "text": map[string]any{"body": "x"}}, CodeRequiredParam},
		{"bad to", map[string]any{"messaging_product": "whatsapp", "to": "abc", "type": "text", "text": map[string]any{"body": "x"}}, CodeParamValue},
		{"group", map[string]any{"messaging_product": "whatsapp", "recipient_type": "group", "to": user}, CodeInvalidParameter},
		{"empty text", textMsg(user, ""), CodeRequiredParam},
		{"unknown type", map[string]any{"messaging_product": "whatsapp", "to": user, "type": "hologram"}, CodeInvalidParameter},
		{"image without link", map[string]any{"messaging_product": "whatsapp", "to": user, "type": "image", "image": map[string]any{}}, CodeRequiredParam},
		{"image bad link", map[string]any{"messaging_product": "whatsapp", "to": user, "type": "image", "image": map[string]any{"link": "ftp://x"}}, CodeParamValue},
		{"audio caption", map[string]any{"messaging_product": "whatsapp", "to": user, "type": "audio", "audio": map[string]any{"link": "https://x/a.ogg", "caption": "c"}}, CodeInvalidParameter},
		{"template without name", map[string]any{"messaging_product": "whatsapp", "to": user, "type": "template", "template": map[string]any{}}, CodeRequiredParam},
		{"template without language", map[string]any{"messaging_product": "whatsapp", "to": user, "type": "template", "template": map[string]any{"name": "x"}}, CodeRequiredParam},
		{"template wrong language", map[string]any{"messaging_product": "whatsapp", "to": user, "type": "template",
			"template": map[string]any{"name": "order_update", "language": map[string]any{"code": "pt_BR"}}}, CodeTemplateMissing},
		{"mark read bad status", map[string]any{"messaging_product": "whatsapp", "status": "delivered", "message_id": "x"}, CodeParamValue},
		{"mark read no id", map[string]any{"messaging_product": "whatsapp", "status": "read"}, CodeRequiredParam},
		{"spaces in param", tplMsg(user, "order_update", bodyParams("a     b", "1")), CodeTemplateFormatChar},
		{"body param wrong type", tplMsg(user, "order_update", map[string]any{"type": "body", "parameters": []map[string]any{
			{"type": "image", "image": map[string]any{"link": "https://x"}}, {"type": "text", "text": "1"}}}), CodeTemplateParamFmt},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, b := do(t, e, "POST", msgsPath(), token, tc.body)
			if s == 200 || errCode(t, b) != tc.code {
				t.Fatalf("%d %s, want code %d", s, b, tc.code)
			}
		})
	}
	if n := len(e.Messages(phoneID)); n != 0 {
		t.Fatalf("refused sends were recorded: %d", n)
	}
}

func TestSentMessageRecorded(t *testing.T) {
	t.Parallel()
	e, _ := newEmu(t, nil)
	in := e.Inbound(phoneID, user, "Ana", "hi")
	_, b := do(t, e, "POST", msgsPath(), token, map[string]any{"messaging_product": "whatsapp", "to": user, "type": "video",
		"context": map[string]any{"message_id": in.ID}, "video": map[string]any{"link": "https://example.com/v.mp4", "caption": "demo"}})
	var resp SendResponse
	if err := json.Unmarshal(b, &resp); err != nil || len(resp.Messages) != 1 {
		t.Fatalf("%s", b)
	}
	ms := e.Messages(phoneID)
	if len(ms) != 1 {
		t.Fatalf("%+v", ms)
	}
	m := ms[0]
	if m.ID != resp.Messages[0].ID || m.Type != "video" || m.Text != "demo" || m.Media.Link != "https://example.com/v.mp4" ||
		m.ReplyTo != in.ID || m.To != user || !m.SentAt.Equal(epoch) {
		t.Fatalf("recorded %+v", m)
	}
}

func TestWebhookPayloads(t *testing.T) {
	t.Parallel()
	e, _ := newEmu(t, nil)
	in := e.Inbound(phoneID, user, "Ana", "hi there", WithReferral(Referral{SourceType: "ad", SourceID: "1", SourceURL: "https://fb.me/a", CtwaClid: "c1"}))
	body := e.WebhookPayload(in)
	compareGolden(t, "webhook_inbound", body)
	sig := SignWebhook("appsecret", body)
	mac := hmac.New(sha256.New, []byte("appsecret"))
	mac.Write(body)
	if sig != "sha256="+hex.EncodeToString(mac.Sum(nil)) {
		t.Fatalf("signature %s", sig)
	}
	do(t, e, "POST", msgsPath(), token, textMsg(user, "hello"))
	compareGolden(t, "webhook_status", e.StatusWebhookPayload(e.Messages(phoneID)[0], "delivered"))
}

func TestTemplateStatusChangeAndSeeding(t *testing.T) {
	t.Parallel()
	e, _ := newEmu(t, nil)
	if !e.SetTemplateStatus(wabaID, "new_terms", "", "approved") || e.SetTemplateStatus(wabaID, "nope", "", "APPROVED") {
		t.Fatal("SetTemplateStatus result")
	}
	if s, b := do(t, e, "POST", msgsPath(), token, tplMsg(user, "new_terms")); s != 200 {
		t.Fatalf("%d %s", s, b)
	}
	ts := e.Templates(wabaID)
	if len(ts) != 8 || ts[3].Status != "APPROVED" {
		t.Fatalf("%+v", ts)
	}
	e.AddAccount(PhoneNumber{ID: "555", WABAID: "777", Token: "t2"})
	if s, b := do(t, e, "GET", "/v23.0/777/message_templates", "t2", nil); s != 200 || string(b) != "{\"data\":[]}\n" {
		t.Fatalf("%d %s", s, b)
	}
}

func TestLatencyHonoursContext(t *testing.T) {
	t.Parallel()
	e, _ := newEmu(t, func(o *Options) { o.Latency = time.Hour })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	req := httptest.NewRequest("GET", "/v23.0/"+wabaID+"/message_templates", nil).WithContext(ctx)
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() { e.ServeHTTP(rec, req); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("latency ignored the request context")
	}
}

// TestConcurrentUse drives the emulator from many goroutines at once. It
// exists for the race detector (go test -race, as CI runs it), and still
// checks the outcome: exactly the sends answered 200 are recorded, each to
// its own recipient, and every template list answered is the full list.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	e, _ := newEmu(t, func(o *Options) { o.Throughput = 1000; o.FailureRate = 0.1 })
	before := len(e.Messages(phoneID))
	var wg sync.WaitGroup
	var mu sync.Mutex
	sentTo := map[string]bool{}
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			to := "4477009" + string(rune('0'+i/10)) + string(rune('0'+i%10)) + "000"
			e.Inbound(phoneID, to, "", "hi")
			if status, body := do(t, e, "POST", msgsPath(), token, textMsg(to, "x")); status == http.StatusOK {
				mu.Lock()
				sentTo[to] = true
				mu.Unlock()
			} else if !strings.Contains(string(body), `"error"`) {
				t.Errorf("send to %s: %d without an error body: %s", to, status, body)
			}
			if status, body := do(t, e, "GET", "/v23.0/"+wabaID+"/message_templates", token, nil); status == http.StatusOK && !strings.Contains(string(body), `"data"`) {
				t.Errorf("templates: %s", body)
			}
			_ = e.Messages(phoneID)
		}()
	}
	wg.Wait()
	sent := e.Messages(phoneID)[before:]
	if len(sent) != len(sentTo) || len(sent) == 0 {
		t.Fatalf("%d sends recorded, %d answered 200", len(sent), len(sentTo))
	}
	for _, m := range sent {
		if !sentTo[m.To] {
			t.Errorf("recorded a send to %s that was not answered 200", m.To)
		}
	}
}

// FailNext answers the Graph error body queued, after the token check, then
// serves again; a wrong token still gets 190 and consumes nothing.
func TestFailNextAnswersQueuedErrorsAfterAuth(t *testing.T) {
	t.Parallel()
	e, _ := newEmu(t, nil)
	e.FailNext(ThroughputError(), TransientError())
	path := "/v23.0/" + wabaID + "/message_templates"
	if status, body := do(t, e, "GET", path, "wrong", nil); status != 401 || errCode(t, body) != CodeAccessToken {
		t.Fatalf("wrong token: %d %s", status, body)
	}
	for _, want := range []struct{ status, code int }{{400, CodeThroughput}, {503, CodeTransient}} {
		status, body := do(t, e, "GET", path, token, nil)
		if status != want.status || errCode(t, body) != want.code {
			t.Errorf("got %d %s, want %d code %d", status, body, want.status, want.code)
		}
	}
	if status, body := do(t, e, "GET", path, token, nil); status != 200 {
		t.Errorf("after the queue: %d %s", status, body)
	}
}
