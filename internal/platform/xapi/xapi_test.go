package xapi

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/emulator/xemu"
	"github.com/parleyhq/parley/internal/platform"
)

const (
	bizID   = "1500000000000000001"
	aliceID = "900000000000000001"
	bobID   = "900000000000000002"
	carolID = "900000000000000003"
	bizTok  = "tok-biz"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

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

type env struct {
	emu  *xemu.Emulator
	clk  *clock
	srv  *httptest.Server
	ad   *Adapter
	acct platform.Account
}

// setup serves a seeded emulator over loopback HTTP and points an adapter
// at it. Alice wrote last, Bob before her; Carol only ever received a
// message from the business, so her name is not in any dm_events includes.
func setup(t *testing.T, opts xemu.Options) *env {
	t.Helper()
	clk := &clock{t: t0}
	opts.Now = clk.Now
	opts.Rand = rand.NewPCG(1, 2)
	if opts.ReadLimit == 0 {
		opts.ReadLimit = 1000
	}
	if opts.SendLimit == 0 {
		opts.SendLimit = 1000
	}
	e := xemu.New(opts)
	e.AddAccount(bizID, "parleyhq", "Parley HQ", bizTok)
	e.AddUser(xemu.User{ID: aliceID, Username: "alice", Name: "Alice Doe", ProfileImageURL: "https://pbs.twimg.com/a.jpg"})
	e.AddUser(xemu.User{ID: bobID, Username: "bob", Name: "Bob Roe"})
	e.AddUser(xemu.User{ID: carolID, Username: "carol", Name: "Carol Poe", ProfileImageURL: "https://pbs.twimg.com/c.jpg"})
	mustSeed(t, e, aliceID,
		xemu.SeedMessage{SenderID: aliceID, Text: "Where is my order?", At: t0.Add(-2 * time.Hour)},
		xemu.SeedMessage{SenderID: bizID, Text: "Checking.", At: t0.Add(-110 * time.Minute)},
		xemu.SeedMessage{SenderID: aliceID, Text: "Thanks!", At: t0.Add(-10 * time.Minute)},
	)
	mustSeed(t, e, bobID, xemu.SeedMessage{SenderID: bobID, Text: "Hello", At: t0.Add(-1 * time.Hour)})
	mustSeed(t, e, carolID, xemu.SeedMessage{SenderID: bizID, Text: "Your refund is on its way", At: t0.Add(-3 * time.Hour)})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return &env{
		emu: e, clk: clk, srv: srv,
		ad:   New(srv.URL, srv.Client(), WithNow(clk.Now)),
		acct: platform.Account{ID: "acct_x", Platform: platform.X, NativeID: bizID, AccessToken: bizTok},
	}
}

func mustSeed(t *testing.T, e *xemu.Emulator, who string, msgs ...xemu.SeedMessage) string {
	t.Helper()
	id, err := e.AddConversation(bizID, who, msgs...)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestListConversations(t *testing.T) {
	t.Parallel()
	v := setup(t, xemu.Options{})
	page, err := v.ad.ListConversations(context.Background(), v.acct, "", 25)
	if err != nil {
		t.Fatal(err)
	}
	want := []platform.Conversation{
		{ThreadID: xemu.ConversationID(bizID, aliceID), ParticipantID: aliceID, ParticipantName: "Alice Doe", ParticipantPicture: "https://pbs.twimg.com/a.jpg", LastMessage: "Thanks!", LastMessageAt: t0.Add(-10 * time.Minute), LastInboundAt: t0.Add(-10 * time.Minute)},
		{ThreadID: xemu.ConversationID(bizID, bobID), ParticipantID: bobID, ParticipantName: "Bob Roe", LastMessage: "Hello", LastMessageAt: t0.Add(-time.Hour), LastInboundAt: t0.Add(-time.Hour)},
		{ThreadID: xemu.ConversationID(bizID, carolID), ParticipantID: carolID, ParticipantName: "Carol Poe", ParticipantPicture: "https://pbs.twimg.com/c.jpg", LastMessage: "Your refund is on its way", LastMessageAt: t0.Add(-3 * time.Hour)},
	}
	if len(page.Items) != len(want) {
		t.Fatalf("got %d conversations: %+v", len(page.Items), page.Items)
	}
	for i := range want {
		if page.Items[i] != want[i] {
			t.Errorf("conversation %d:\n got %+v\nwant %+v", i, page.Items[i], want[i])
		}
	}
	if page.NextCursor != "" {
		t.Errorf("unexpected cursor %q", page.NextCursor)
	}
}

// TestListConversationsPaging checks that walking with small limits over
// several X event pages yields every thread exactly once, newest first.
func TestListConversationsPaging(t *testing.T) {
	t.Parallel()
	v := setup(t, xemu.Options{})
	// 150 recent messages from one customer push the older threads onto a
	// second X event page (X pages hold at most 100 events).
	dave := "900000000000000004"
	v.emu.AddUser(xemu.User{ID: dave, Username: "dave", Name: "Dave"})
	var msgs []xemu.SeedMessage
	for i := 0; i < 150; i++ {
		msgs = append(msgs, xemu.SeedMessage{SenderID: dave, Text: fmt.Sprint("msg ", i), At: t0.Add(-time.Duration(150-i) * time.Second)})
	}
	mustSeed(t, v.emu, dave, msgs...)

	for _, limit := range []int{1, 2, 3, 100} {
		t.Run(fmt.Sprint("limit ", limit), func(t *testing.T) {
			var got []string
			cursor := ""
			for i := 0; i < 20; i++ {
				page, err := v.ad.ListConversations(context.Background(), v.acct, cursor, limit)
				if err != nil {
					t.Fatal(err)
				}
				if len(page.Items) > limit {
					t.Fatalf("page of %d for limit %d", len(page.Items), limit)
				}
				for _, c := range page.Items {
					got = append(got, c.ParticipantID)
				}
				if page.NextCursor == "" {
					break
				}
				cursor = page.NextCursor
			}
			want := []string{dave, aliceID, bobID, carolID}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("walk = %v, want %v", got, want)
			}
		})
	}
}

func TestGetConversation(t *testing.T) {
	t.Parallel()
	v := setup(t, xemu.Options{})
	c, err := v.ad.GetConversation(context.Background(), v.acct, xemu.ConversationID(bizID, carolID))
	if err != nil {
		t.Fatal(err)
	}
	if c.ParticipantID != carolID || c.ParticipantName != "Carol Poe" || c.LastMessage != "Your refund is on its way" {
		t.Errorf("conversation = %+v", c)
	}
	for _, id := range []string{"1-2", ""} {
		if _, err := v.ad.GetConversation(context.Background(), v.acct, id); !apierr.HasCode(err, "resource.not_found") {
			t.Errorf("GetConversation(%q) error = %v, want resource.not_found", id, err)
		}
	}
}

func TestListMessages(t *testing.T) {
	t.Parallel()
	v := setup(t, xemu.Options{})
	v.emu.AddMedia(xemu.Media{ID: "1583157113245011970", OwnerID: aliceID, Type: "photo", URL: "https://pbs.twimg.com/media/p.jpg"})
	thread := xemu.ConversationID(bizID, aliceID)
	if _, err := v.emu.AddConversation(bizID, aliceID, xemu.SeedMessage{SenderID: aliceID, Text: "photo", At: t0.Add(-time.Minute), MediaIDs: []string{"1583157113245011970"}}); err != nil {
		t.Fatal(err)
	}
	var got []platform.Message
	cursor := ""
	for i := 0; i < 5; i++ {
		page, err := v.ad.ListMessages(context.Background(), v.acct, thread, cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, page.Items...)
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	want := []struct{ text, dir, sender string }{
		{"photo", "incoming", "Alice Doe"},
		{"Thanks!", "incoming", "Alice Doe"},
		{"Checking.", "outgoing", "Parley HQ"},
		{"Where is my order?", "incoming", "Alice Doe"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d messages: %+v", len(got), got)
	}
	for i, w := range want {
		m := got[i]
		if m.Text != w.text || m.Direction != w.dir || m.SenderName != w.sender || m.PlatformID == "" || m.CreatedAt.IsZero() {
			t.Errorf("message %d = %+v, want %+v", i, m, w)
		}
	}
	if a := got[0].Attachments; len(a) != 1 || a[0] != (platform.Attachment{Type: "image", URL: "https://pbs.twimg.com/media/p.jpg"}) {
		t.Errorf("attachments = %+v", a)
	}
	if !got[1].CreatedAt.Equal(t0.Add(-10 * time.Minute)) {
		t.Errorf("created_at = %v", got[1].CreatedAt)
	}
}

func TestSend(t *testing.T) {
	t.Parallel()
	v := setup(t, xemu.Options{})
	newUser := "900000000000000009"
	v.emu.AddUser(xemu.User{ID: newUser, Username: "newbie", Name: "New"})
	tests := []struct {
		name     string
		conv     platform.Conversation
		wantConv string
	}{
		{"into thread", platform.Conversation{ThreadID: xemu.ConversationID(bizID, aliceID), ParticipantID: aliceID}, xemu.ConversationID(bizID, aliceID)},
		{"to participant by id", platform.Conversation{ThreadID: newUser, ParticipantID: newUser}, xemu.ConversationID(bizID, newUser)},
		{"to participant, no thread yet", platform.Conversation{ParticipantID: bobID}, xemu.ConversationID(bizID, bobID)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v.clk.Advance(time.Second)
			sent, err := v.ad.Send(context.Background(), v.acct, tc.conv, platform.Outbound{Text: "reply " + tc.name})
			if err != nil {
				t.Fatal(err)
			}
			if !sent.CreatedAt.Equal(v.clk.Now()) {
				t.Errorf("CreatedAt = %v, want %v", sent.CreatedAt, v.clk.Now())
			}
			msgs := v.emu.Messages(bizID)
			last := msgs[len(msgs)-1]
			if last.ID != sent.PlatformID || last.ConversationID != tc.wantConv || last.Text != "reply "+tc.name {
				t.Errorf("emulator saw %+v, sent %+v", last, sent)
			}
		})
	}
	refusals := []struct {
		name string
		msg  platform.Outbound
		conv platform.Conversation
		code string
	}{
		{"empty", platform.Outbound{}, tests[0].conv, "validation.required"},
		{"attachment by url", platform.Outbound{Text: "x", Attachments: []platform.OutAttachment{{Type: "image", URL: "https://e.com/a.png"}}}, tests[0].conv, "validation.invalid_field"},
		{"template", platform.Outbound{Text: "x", Template: &platform.Template{Name: "t"}}, tests[0].conv, "validation.invalid_field"},
		{"no thread", platform.Outbound{Text: "x"}, platform.Conversation{}, "resource.not_found"},
		{"text over 10,000 characters", platform.Outbound{Text: strings.Repeat("é", MaxTextChars+1)}, tests[0].conv, "validation.invalid_field"},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			before := len(v.emu.Messages(bizID))
			if _, err := v.ad.Send(context.Background(), v.acct, tc.conv, tc.msg); !apierr.HasCode(err, tc.code) {
				t.Errorf("error = %v, want %s", err, tc.code)
			}
			if after := len(v.emu.Messages(bizID)); after != before {
				t.Errorf("a refused send reached X")
			}
		})
	}
	if _, err := v.ad.Send(context.Background(), v.acct, tests[0].conv, platform.Outbound{Text: strings.Repeat("é", MaxTextChars)}); err != nil {
		t.Errorf("10,000 characters: %v", err)
	}
}

func TestMarkRead(t *testing.T) {
	t.Parallel()
	v := setup(t, xemu.Options{})
	if err := v.ad.MarkRead(context.Background(), v.acct, platform.Conversation{ThreadID: xemu.ConversationID(bizID, aliceID)}); err != nil {
		t.Fatal(err)
	}
}

func TestErrorMapping(t *testing.T) {
	t.Parallel()
	aliceThread := xemu.ConversationID(bizID, aliceID)
	tests := []struct {
		name   string
		opts   xemu.Options
		prep   func(v *env)
		call   func(ctx context.Context, v *env) error
		status int
		code   string
		meta   map[string]any
	}{
		{
			name: "bad token",
			call: func(ctx context.Context, v *env) error {
				v.acct.AccessToken = "nope"
				_, err := v.ad.ListConversations(ctx, v.acct, "", 10)
				return err
			},
			status: 409, code: "account.reauth_required", meta: map[string]any{"native_status": 401, "native_type": "about:blank"},
		},
		{
			name: "revoked token on send",
			prep: func(v *env) { v.emu.RevokeToken(bizTok) },
			call: func(ctx context.Context, v *env) error {
				_, err := v.ad.Send(ctx, v.acct, platform.Conversation{ThreadID: aliceThread}, platform.Outbound{Text: "x"})
				return err
			},
			status: 409, code: "account.reauth_required",
		},
		{
			name: "rate limited",
			opts: xemu.Options{ReadLimit: 1},
			prep: func(v *env) {
				_, _ = v.ad.ListMessages(context.Background(), v.acct, aliceThread, "", 5)
				v.clk.Advance(5 * time.Minute)
			},
			call: func(ctx context.Context, v *env) error {
				_, err := v.ad.ListMessages(ctx, v.acct, aliceThread, "", 5)
				return err
			},
			status: 429, code: "platform.x.rate_limit", meta: map[string]any{"retry_after_seconds": 600, "native_status": 429, "rate_limit_limit": 1},
		},
		{
			name: "recipient refuses DMs",
			prep: func(v *env) {
				v.emu.AddUser(xemu.User{ID: carolID, Username: "carol", Name: "Carol Poe", DMsClosed: true})
			},
			call: func(ctx context.Context, v *env) error {
				_, err := v.ad.Send(ctx, v.acct, platform.Conversation{ThreadID: xemu.ConversationID(bizID, carolID)}, platform.Outbound{Text: "x"})
				return err
			},
			status: 502, code: "platform.x.permission_denied", meta: map[string]any{"native_status": 403, "native_title": "Forbidden"},
		},
		{
			name: "invalid thread id",
			call: func(ctx context.Context, v *env) error {
				_, err := v.ad.ListMessages(ctx, v.acct, "not-an-id", "", 5)
				return err
			},
			status: 502, code: "platform.x.invalid_request", meta: map[string]any{"native_type": "https://api.twitter.com/2/problems/invalid-request"},
		},
		{
			name: "transient failure",
			opts: xemu.Options{FailureRate: 1},
			call: func(ctx context.Context, v *env) error {
				_, err := v.ad.GetConversation(ctx, v.acct, aliceThread)
				return err
			},
			status: 502, code: "platform.x.unavailable", meta: map[string]any{"native_status": 503},
		},
		{
			name: "deadline",
			opts: xemu.Options{Latency: 5 * time.Second},
			call: func(ctx context.Context, v *env) error {
				ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
				defer cancel()
				_, err := v.ad.ListConversations(ctx, v.acct, "", 10)
				return err
			},
			status: 504, code: "platform.x.timeout",
		},
		{
			name: "unreachable",
			prep: func(v *env) { v.srv.Close() },
			call: func(ctx context.Context, v *env) error {
				_, err := v.ad.ListConversations(ctx, v.acct, "", 10)
				return err
			},
			status: 502, code: "platform.x.unavailable",
		},
		{
			name: "bad conversation cursor",
			call: func(ctx context.Context, v *env) error {
				_, err := v.ad.ListConversations(ctx, v.acct, "%%%", 10)
				return err
			},
			status: 422, code: "validation.invalid_field",
		},
		{
			name: "bad message cursor",
			call: func(ctx context.Context, v *env) error {
				_, err := v.ad.ListMessages(ctx, v.acct, aliceThread, "a b", 10)
				return err
			},
			status: 422, code: "validation.invalid_field",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := setup(t, tc.opts)
			if tc.prep != nil {
				tc.prep(v)
			}
			err := tc.call(context.Background(), v)
			e, ok := apierr.As(err)
			if !ok {
				t.Fatalf("error %v (%T) is not an *apierr.Error", err, err)
			}
			if e.Status != tc.status || e.Code != tc.code {
				t.Fatalf("got %d %s (%s), want %d %s", e.Status, e.Code, e.Message, tc.status, tc.code)
			}
			for k, want := range tc.meta {
				if got := e.Meta[k]; got != want {
					t.Errorf("meta[%s] = %v (%T), want %v", k, got, got, want)
				}
			}
		})
	}
}

// TestNoRawBodyLeak makes sure an upstream body never reaches our message.
func TestNoRawBodyLeak(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"title":"Invalid Request","detail":"secret upstream detail","type":"https://api.twitter.com/2/problems/invalid-request"}`))
	}))
	defer srv.Close()
	_, err := New(srv.URL, srv.Client()).ListConversations(context.Background(), platform.Account{AccessToken: "t"}, "", 5)
	b, _ := json.Marshal(err)
	if strings.Contains(err.Error(), "secret") || strings.Contains(string(b), "secret") {
		t.Errorf("raw upstream detail leaked: %v", err)
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	a := New("", nil, WithNow(func() time.Time { return time.Unix(1000, 500_000_000) }))
	tests := []struct {
		reset string
		want  int
		ok    bool
	}{
		{"1600", 600, true},
		{"1000", 0, true},
		{"900", 0, true},
		{"", 0, false},
		{"soon", 0, false},
	}
	for _, tc := range tests {
		h := http.Header{}
		h.Set("x-rate-limit-reset", tc.reset)
		got, ok := a.retryAfter(h)
		if got != tc.want || ok != tc.ok {
			t.Errorf("reset %q: got %d %v, want %d %v", tc.reset, got, ok, tc.want, tc.ok)
		}
	}
}

func FuzzDecodeCursor(f *testing.F) {
	f.Add(encodeCursor(listCursor{Token: "DOP30CHO6CRJIDPO64PJ4E9O6GR34DPI", Seen: []string{"1-2"}}))
	f.Add("%%%")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := decodeCursor(s)
		if err == nil && !validToken(c.Token) {
			t.Errorf("accepted token %q", c.Token)
		}
	})
}

func FuzzMapError(f *testing.F) {
	f.Add(429, `{"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429}`, "1772446500")
	f.Add(400, `{"errors":[{"code":88,"message":"Rate limit exceeded"}]}`, "")
	f.Fuzz(func(t *testing.T, status int, body, reset string) {
		if status < 300 || status > 599 {
			return
		}
		h := http.Header{}
		h.Set("x-rate-limit-reset", reset)
		err := New("", nil).mapError(status, h, []byte(body))
		e, ok := apierr.As(err)
		if !ok || e.Code == "" || e.Status < 400 {
			t.Errorf("mapError(%d) = %v", status, err)
		}
		if body != "" && len(body) > 20 && strings.Contains(e.Message, body) {
			t.Errorf("raw body leaked into message")
		}
	})
}

func FuzzThreads(f *testing.F) {
	f.Add(`{"data":[{"id":"1","event_type":"MessageCreate","text":"hi","sender_id":"2","dm_conversation_id":"1-2","created_at":"2022-10-19T20:58:00.000Z"}],"includes":{"users":[{"id":"2","name":"A","username":"a"}]},"meta":{"result_count":1}}`)
	f.Fuzz(func(t *testing.T, body string) {
		var r eventsResponse
		if json.Unmarshal([]byte(body), &r) != nil {
			return
		}
		seen := map[string]bool{}
		for _, c := range threads(platform.Account{NativeID: "1"}, r) {
			if c.ThreadID == "" || seen[c.ThreadID] {
				t.Errorf("bad or duplicate thread %q", c.ThreadID)
			}
			seen[c.ThreadID] = true
		}
	})
}
