package xemu

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/testsupport/golden"
)

const (
	bizID   = "1500000000000000001"
	aliceID = "900000000000000001"
	bobID   = "900000000000000002"
	carolID = "900000000000000003"
	bizTok  = "tok-biz"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// fixture returns an emulator holding a business account with two
// conversations, and its clock.
func fixture(t *testing.T, opts Options) (*Emulator, *clock) {
	t.Helper()
	clk := &clock{t: t0}
	opts.Now = clk.Now
	if opts.Rand == nil {
		opts.Rand = rand.NewPCG(1, 2)
	}
	e := New(opts)
	e.AddAccount(bizID, "parleyhq", "Parley HQ", bizTok)
	e.AddUser(User{ID: aliceID, Username: "alice", Name: "Alice Doe", ProfileImageURL: "https://pbs.twimg.com/profile_images/1/alice_normal.jpg"})
	e.AddUser(User{ID: bobID, Username: "bob", Name: "Bob Roe", ProfileImageURL: "https://pbs.twimg.com/profile_images/2/bob_normal.jpg"})
	e.AddUser(User{ID: carolID, Username: "carol", Name: "Carol", DMsClosed: true})
	if _, err := e.AddConversation(bizID, aliceID,
		SeedMessage{SenderID: aliceID, Text: "Hi, where is my order?", At: t0.Add(-2 * time.Hour)},
		SeedMessage{SenderID: bizID, Text: "Looking into it now.", At: t0.Add(-110 * time.Minute)},
		SeedMessage{SenderID: aliceID, Text: "Thanks!", At: t0.Add(-10 * time.Minute)},
	); err != nil {
		t.Fatal(err)
	}
	if _, err := e.AddConversation(bizID, bobID,
		SeedMessage{SenderID: bobID, Text: "Hello there", At: t0.Add(-1 * time.Hour)},
	); err != nil {
		t.Fatal(err)
	}
	return e, clk
}

func do(t *testing.T, h http.Handler, method, target, token, body string) *httptest.ResponseRecorder {
	t.Helper()
	var r *http.Request
	if body != "" {
		r = httptest.NewRequest(method, target, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
	} else {
		r = httptest.NewRequest(method, target, nil)
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// wire renders a response as golden text: status, the headers X clients
// read, and the body.
func wire(w *httptest.ResponseRecorder) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP %d\n", w.Code)
	for _, h := range []string{"Content-Type", "X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset"} {
		if v := w.Header().Get(h); v != "" {
			fmt.Fprintf(&b, "%s: %s\n", strings.ToLower(h), v)
		}
	}
	b.WriteString("\n")
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, w.Body.Bytes(), "", "  "); err != nil {
		b.Write(w.Body.Bytes())
	} else {
		b.Write(pretty.Bytes())
		b.WriteString("\n")
	}
	return b.Bytes()
}

const listQuery = "dm_event.fields=id,text,event_type,dm_conversation_id,created_at,sender_id&expansions=sender_id&user.fields=name,username,profile_image_url"

func TestGolden(t *testing.T) {
	t.Parallel()
	e, _ := fixture(t, Options{})
	first := do(t, e, "GET", "/2/dm_events?"+listQuery+"&max_results=3", bizTok, "")
	var page struct {
		Meta struct {
			NextToken string `json:"next_token"`
		} `json:"meta"`
	}
	if err := json.Unmarshal(first.Body.Bytes(), &page); err != nil || page.Meta.NextToken == "" {
		t.Fatalf("first page has no next_token: %v %s", err, first.Body)
	}

	limited, _ := fixture(t, Options{ReadLimit: 1})
	do(t, limited, "GET", "/2/dm_events", bizTok, "")

	tests := []struct {
		name string
		w    *httptest.ResponseRecorder
	}{
		{"dm_events_list.golden", first},
		{"dm_events_page2.golden", do(t, e, "GET", "/2/dm_events?"+listQuery+"&max_results=3&pagination_token="+page.Meta.NextToken, bizTok, "")},
		{"dm_events_with_participant.golden", do(t, e, "GET", "/2/dm_conversations/with/"+aliceID+"/dm_events?dm_event.fields=sender_id,created_at,dm_conversation_id", bizTok, "")},
		{"send_response.golden", do(t, e, "POST", "/2/dm_conversations/with/"+bobID+"/messages", bizTok, `{"text":"Hi Bob, how can we help?"}`)},
		{"error_401.golden", do(t, e, "GET", "/2/dm_events", "wrong-token", "")},
		{"error_429.golden", do(t, limited, "GET", "/2/dm_events", bizTok, "")},
		{"error_400_max_results.golden", do(t, e, "GET", "/2/dm_events?max_results=0", bizTok, "")},
		{"error_403_send.golden", do(t, e, "POST", "/2/dm_conversations/with/"+carolID+"/messages", bizTok, `{"text":"hi"}`)},
		{"users_lookup.golden", do(t, e, "GET", "/2/users?ids="+aliceID+",12345&user.fields=profile_image_url", bizTok, "")},
		{"users_me.golden", do(t, e, "GET", "/2/users/me?user.fields=name,username", bizTok, "")},
		{"error_401_users_me.golden", do(t, e, "GET", "/2/users/me", "fake", "")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			golden.Compare(t, filepath.Join("testdata", tc.name), wire(tc.w))
		})
	}
}

type listBody struct {
	Data []struct {
		ID               string `json:"id"`
		Text             string `json:"text"`
		SenderID         string `json:"sender_id"`
		DMConversationID string `json:"dm_conversation_id"`
	} `json:"data"`
	Meta struct {
		ResultCount   int    `json:"result_count"`
		NextToken     string `json:"next_token"`
		PreviousToken string `json:"previous_token"`
	} `json:"meta"`
}

func decodeList(t *testing.T, w *httptest.ResponseRecorder) listBody {
	t.Helper()
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var b listBody
	if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPaginationWalksEveryEventOnce(t *testing.T) {
	t.Parallel()
	e, _ := fixture(t, Options{ReadLimit: 100})
	var ids []string
	tok := ""
	for i := 0; i < 10; i++ {
		target := "/2/dm_events?max_results=1&dm_event.fields=sender_id"
		if tok != "" {
			target += "&pagination_token=" + tok
		}
		b := decodeList(t, do(t, e, "GET", target, bizTok, ""))
		for _, d := range b.Data {
			ids = append(ids, d.ID)
		}
		if i > 0 && b.Meta.PreviousToken == "" {
			t.Errorf("page %d has no previous_token", i)
		}
		if b.Meta.NextToken == "" {
			break
		}
		tok = b.Meta.NextToken
	}
	if len(ids) != 4 {
		t.Fatalf("walked %d events, want 4: %v", len(ids), ids)
	}
	for i := 1; i < len(ids); i++ {
		if !lessID(ids[i], ids[i-1]) {
			t.Errorf("events not newest first: %v", ids)
		}
	}
	// previous_token of the last page leads back to the page before it.
	last := decodeList(t, do(t, e, "GET", "/2/dm_events?max_results=1&pagination_token="+tok, bizTok, ""))
	back := decodeList(t, do(t, e, "GET", "/2/dm_events?max_results=1&pagination_token="+last.Meta.PreviousToken, bizTok, ""))
	if len(back.Data) != 1 || back.Data[0].ID != ids[2] {
		t.Errorf("previous page = %+v, want event %s", back.Data, ids[2])
	}
}

func TestRateLimitHeadersAndWindow(t *testing.T) {
	t.Parallel()
	e, clk := fixture(t, Options{ReadLimit: 2, SendLimit: 1, SendDailyLimit: 2})
	reset := fmt.Sprint(t0.Add(DefaultWindow).Unix())
	steps := []struct {
		name      string
		advance   time.Duration
		method    string
		path      string
		body      string
		status    int
		remaining string
		reset     string
	}{
		{"first read", 0, "GET", "/2/dm_events", "", 200, "1", reset},
		{"second read", 0, "GET", "/2/dm_conversations/with/" + aliceID + "/dm_events", "", 200, "1", reset},
		{"reads are per endpoint", 0, "GET", "/2/dm_events", "", 200, "0", reset},
		{"read spent", 0, "GET", "/2/dm_events", "", 429, "0", reset},
		{"send", 0, "POST", "/2/dm_conversations/with/" + bobID + "/messages", `{"text":"a"}`, 201, "0", reset},
		{"send spent", 0, "POST", "/2/dm_conversations/with/" + bobID + "/messages", `{"text":"b"}`, 429, "0", reset},
		{"window reset", DefaultWindow, "GET", "/2/dm_events", "", 200, "1", fmt.Sprint(t0.Add(2 * DefaultWindow).Unix())},
		{"send again", 0, "POST", "/2/dm_conversations/with/" + bobID + "/messages", `{"text":"c"}`, 201, "0", fmt.Sprint(t0.Add(2 * DefaultWindow).Unix())},
		{"daily window spent", DefaultWindow, "POST", "/2/dm_conversations/with/" + bobID + "/messages", `{"text":"d"}`, 429, "0", fmt.Sprint(t0.Add(24 * time.Hour).Unix())},
	}
	for _, s := range steps {
		clk.Advance(s.advance)
		w := do(t, e, s.method, s.path, bizTok, s.body)
		if w.Code != s.status {
			t.Fatalf("%s: status %d, want %d: %s", s.name, w.Code, s.status, w.Body)
		}
		if got := w.Header().Get("x-rate-limit-remaining"); got != s.remaining {
			t.Errorf("%s: remaining %s, want %s", s.name, got, s.remaining)
		}
		if got := w.Header().Get("x-rate-limit-reset"); got != s.reset {
			t.Errorf("%s: reset %s, want %s", s.name, got, s.reset)
		}
	}
}

func TestSendAndReadBack(t *testing.T) {
	t.Parallel()
	e, _ := fixture(t, Options{})
	e.AddMedia(Media{ID: "1583157113245011970", OwnerID: bizID, Type: "photo", URL: "https://pbs.twimg.com/media/x.jpg"})
	e.AddMedia(Media{ID: "1583157113245011971", OwnerID: aliceID, Type: "photo"})
	aliceConv := ConversationID(bizID, aliceID)
	tests := []struct {
		name   string
		path   string
		body   string
		status int
	}{
		{"into conversation", "/2/dm_conversations/" + aliceConv + "/messages", `{"text":"Shipped today"}`, 201},
		{"with participant", "/2/dm_conversations/with/" + bobID + "/messages", `{"text":"Hi"}`, 201},
		{"media only", "/2/dm_conversations/with/" + bobID + "/messages", `{"attachments":[{"media_id":"1583157113245011970"}]}`, 201},
		{"media of someone else", "/2/dm_conversations/with/" + bobID + "/messages", `{"text":"x","attachments":[{"media_id":"1583157113245011971"}]}`, 400},
		{"two attachments", "/2/dm_conversations/with/" + bobID + "/messages", `{"attachments":[{"media_id":"1"},{"media_id":"2"}]}`, 400},
		{"empty", "/2/dm_conversations/with/" + bobID + "/messages", `{}`, 400},
		{"bad json", "/2/dm_conversations/with/" + bobID + "/messages", `{"text":`, 400},
		{"unknown user", "/2/dm_conversations/with/42/messages", `{"text":"x"}`, 400},
		{"self", "/2/dm_conversations/with/" + bizID + "/messages", `{"text":"x"}`, 400},
		{"dms closed", "/2/dm_conversations/with/" + carolID + "/messages", `{"text":"x"}`, 403},
		{"not a participant", "/2/dm_conversations/" + ConversationID(aliceID, bobID) + "/messages", `{"text":"x"}`, 403},
		{"bad conversation id", "/2/dm_conversations/abc/messages", `{"text":"x"}`, 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := do(t, e, "POST", tc.path, bizTok, tc.body)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
		})
	}
	sent := e.Messages(bizID)
	if len(sent) != 3 || sent[0].Text != "Shipped today" || sent[0].ConversationID != aliceConv || sent[2].MediaIDs[0] != "1583157113245011970" {
		t.Fatalf("Messages = %+v", sent)
	}
	// The media-only message lists its media key and includes.media.
	w := do(t, e, "GET", "/2/dm_conversations/with/"+bobID+"/dm_events?dm_event.fields=attachments&expansions=attachments.media_keys&media.fields=url", bizTok, "")
	if !strings.Contains(w.Body.String(), `"media_keys":["3_1583157113245011970"]`) || !strings.Contains(w.Body.String(), `"url":"https://pbs.twimg.com/media/x.jpg"`) {
		t.Errorf("attachments not rendered: %s", w.Body)
	}
}

func TestInboundAndSeeding(t *testing.T) {
	t.Parallel()
	e, clk := fixture(t, Options{})
	clk.Advance(time.Minute)
	ev, err := e.Inbound(bizID, "777", "new customer here")
	if err != nil {
		t.Fatal(err)
	}
	if ev.ConversationID != "777-"+bizID || !ev.CreatedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("inbound event = %+v", ev)
	}
	b := decodeList(t, do(t, e, "GET", "/2/dm_events?dm_event.fields=dm_conversation_id&max_results=1", bizTok, ""))
	if b.Data[0].ID != ev.ID || b.Data[0].DMConversationID != ev.ConversationID {
		t.Errorf("newest event = %+v, want %s", b.Data, ev.ID)
	}
	if _, err := e.Inbound("1", aliceID, "x"); err != ErrUnknownUser {
		t.Errorf("inbound to unknown account: %v", err)
	}
	if _, err := e.AddConversation(bizID, aliceID, SeedMessage{SenderID: bobID, Text: "x"}); err == nil {
		t.Error("seeding a sender outside the conversation succeeded")
	}
	if _, err := e.AddConversation(bizID, bobID, SeedMessage{SenderID: bobID, Text: "too old", At: t0.Add(-31 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	w := do(t, e, "GET", "/2/dm_conversations/with/"+bobID+"/dm_events", bizTok, "")
	if strings.Contains(w.Body.String(), "too old") || !strings.Contains(w.Body.String(), "Hello there") {
		t.Errorf("30-day retention not applied: %s", w.Body)
	}
	if got := len(e.ConversationEvents(ConversationID(bizID, aliceID))); got != 3 {
		t.Errorf("alice conversation has %d events", got)
	}
}

func TestLookupErrorsAndAccess(t *testing.T) {
	t.Parallel()
	e, _ := fixture(t, Options{ReadLimit: 100})
	group, err := e.AddGroupConversation(aliceID, []string{bobID}, t0)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		path   string
		token  string
		status int
		want   string
	}{
		{"no token", "/2/dm_events", "", 401, `"title":"Unauthorized"`},
		{"unknown param", "/2/dm_events?foo=1", bizTok, 400, "The query parameter [foo] is not one of"},
		{"bad field", "/2/dm_events?dm_event.fields=nope", bizTok, 400, "dm_event.fields"},
		{"bad expansion", "/2/dm_events?expansions=nope", bizTok, 400, "expansions"},
		{"bad token", "/2/dm_events?pagination_token=zzzz", bizTok, 400, "pagination_token"},
		{"max too big", "/2/dm_events?max_results=101", bizTok, 400, "not between 1 and 100"},
		{"event type filter", "/2/dm_events?event_types=ParticipantsJoin", bizTok, 200, `"result_count":0`},
		{"group of others", "/2/dm_conversations/" + group + "/dm_events", bizTok, 403, "Forbidden"},
		{"unknown conversation is empty", "/2/dm_conversations/1-2/dm_events", bizTok, 200, `"result_count":0`},
		{"bad participant", "/2/dm_conversations/with/x1/dm_events", bizTok, 400, "participant_id"},
		{"unknown path", "/2/nope", bizTok, 404, `"code":34`},
		{"users needs ids", "/2/users", bizTok, 400, "ids"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := do(t, e, "GET", tc.path, tc.token, "")
			if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.want) {
				t.Errorf("got %d %s, want %d containing %q", w.Code, w.Body, tc.status, tc.want)
			}
		})
	}
	e.RevokeToken(bizTok)
	if w := do(t, e, "GET", "/2/dm_events", bizTok, ""); w.Code != 401 {
		t.Errorf("revoked token: %d", w.Code)
	}
}

func TestFailureAndLatency(t *testing.T) {
	t.Parallel()
	e, _ := fixture(t, Options{FailureRate: 1})
	w := do(t, e, "GET", "/2/dm_events", bizTok, "")
	if w.Code != 503 || !strings.Contains(w.Body.String(), `"title":"Service Unavailable"`) {
		t.Errorf("failure injection: %d %s", w.Code, w.Body)
	}
	slow, _ := fixture(t, Options{Latency: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequest("GET", "/2/dm_events", nil).WithContext(ctx)
	r.Header.Set("Authorization", "Bearer "+bizTok)
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() { slow.ServeHTTP(rec, r); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("latency ignored a cancelled request")
	}
}

func TestConcurrentSends(t *testing.T) {
	t.Parallel()
	e, _ := fixture(t, Options{SendLimit: 1000, SendDailyLimit: 1000, ReadLimit: 1000})
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			body := fmt.Sprintf(`{"text":"m%d"}`, i)
			if w := do(t, e, "POST", "/2/dm_conversations/with/"+aliceID+"/messages", bizTok, body); w.Code != 201 {
				t.Errorf("send %d: %d", i, w.Code)
			}
			do(t, e, "GET", "/2/dm_events", bizTok, "")
		}(i)
	}
	wg.Wait()
	sent := e.Messages(bizID)
	seen := map[string]bool{}
	for _, m := range sent {
		seen[m.ID] = true
	}
	if len(sent) != 20 || len(seen) != 20 {
		t.Errorf("%d sends, %d distinct ids", len(sent), len(seen))
	}
}

func TestConversationID(t *testing.T) {
	t.Parallel()
	tests := []struct{ a, b, want string }{
		{"944480690", "17200003", "17200003-944480690"},
		{"17200003", "944480690", "17200003-944480690"},
		{"2", "10", "2-10"},
	}
	for _, tc := range tests {
		if got := ConversationID(tc.a, tc.b); got != tc.want {
			t.Errorf("ConversationID(%s,%s) = %s, want %s", tc.a, tc.b, got, tc.want)
		}
	}
}

func FuzzDecodeToken(f *testing.F) {
	f.Add(encodeToken('n', "1582838499983564806"))
	f.Add("zzzz")
	f.Fuzz(func(t *testing.T, tok string) {
		dir, id, ok := decodeToken(tok)
		if ok && (encodeToken(dir, id) != strings.ToUpper(tok) || !isNumericID(id)) {
			t.Errorf("decode(%q) = %c %q but does not round-trip", tok, dir, id)
		}
	})
}

func FuzzParseSend(f *testing.F) {
	f.Add(`{"text":"hi"}`)
	f.Add(`{"attachments":[{"media_id":"1"}]}`)
	f.Fuzz(func(t *testing.T, body string) {
		text, media, p := parseSend(strings.NewReader(body))
		if p == nil && text == "" && len(media) == 0 {
			t.Errorf("accepted an empty message from %q", body)
		}
	})
}

func FuzzParseLookup(f *testing.F) {
	f.Add("max_results=5&dm_event.fields=sender_id&expansions=sender_id")
	f.Add("pagination_token=zz&event_types=MessageCreate")
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		lq, p := parseLookup(q)
		if p == nil && (lq.max < 1 || lq.max > maxMaxResults) {
			t.Errorf("max_results %d accepted from %q", lq.max, raw)
		}
	})
}

// FailNext answers X's own problem bodies, after auth and the rate-limit
// window (so the headers are there), and only to authenticated requests.
func TestFailNextAnswersAfterAuthWithRateHeaders(t *testing.T) {
	t.Parallel()
	e, _ := fixture(t, Options{})
	e.FailNext(StatusError(http.StatusTooManyRequests), StatusError(http.StatusServiceUnavailable))
	if w := do(t, e, "GET", "/2/dm_events", "nope", ""); w.Code != 401 {
		t.Fatalf("bad token: %d", w.Code)
	}
	if w := do(t, e, "GET", "/2/nothing", bizTok, ""); w.Code != 404 {
		t.Fatalf("unknown path: %d", w.Code)
	}
	for _, want := range []int{429, 503, 200} {
		w := do(t, e, "GET", "/2/dm_events", bizTok, "")
		if w.Code != want {
			t.Fatalf("got %d %s, want %d", w.Code, w.Body, want)
		}
		if w.Header().Get("x-rate-limit-limit") == "" {
			t.Errorf("%d without rate-limit headers", w.Code)
		}
		if want != 200 && (w.Header().Get("Content-Type") != "application/problem+json" ||
			!strings.Contains(w.Body.String(), `"title":"`+http.StatusText(want)+`"`)) {
			t.Errorf("%d body: %s %s", want, w.Header().Get("Content-Type"), w.Body)
		}
	}
}
