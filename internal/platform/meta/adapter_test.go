package meta

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/emulator/graphemu"
	"github.com/parleyhq/parley/internal/platform"
)

var t0 = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// flavour is one way Parley reaches a Meta inbox: Messenger, Instagram
// with Instagram Login, Instagram with Facebook Login.
type flavour struct {
	name    string
	adapter *Adapter
	acct    platform.Account
	plat    platform.Name
}

// env is the emulator served over real loopback HTTP as two hosts
// (graph.facebook.com and graph.instagram.com, each refusing the other's
// tokens as Meta does), with one account per flavour and adapters pointed
// at both.
type env struct {
	emu      *graphemu.Emulator
	mu       sync.Mutex
	now      time.Time
	flavours []flavour
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = e.now.Add(d)
}

func newEnv(t *testing.T, opts graphemu.Options) *env {
	t.Helper()
	e := &env{now: t0}
	opts.Now = e.clock
	if opts.Rand == nil {
		opts.Rand = rand.NewPCG(1, 2)
	}
	e.emu = graphemu.New(opts)
	fbSrv := httptest.NewServer(e.emu.FacebookHost())
	igSrv := httptest.NewServer(e.emu.InstagramHost())
	t.Cleanup(fbSrv.Close)
	t.Cleanup(igSrv.Close)

	aopts := Options{FacebookBaseURL: fbSrv.URL, InstagramBaseURL: igSrv.URL, Now: e.clock}
	messenger, instagram := NewMessenger(aopts), NewInstagram(aopts)
	seeds := []struct {
		name    string
		adapter *Adapter
		acct    graphemu.Account
	}{
		{"messenger", messenger, graphemu.Account{Platform: platform.Messenger, ID: "104857600000001", Token: "EAAGpage", Name: "Acme Coffee"}},
		{"instagram_login", instagram, graphemu.Account{Platform: platform.Instagram, ID: "17841400000000001", Token: "IGAAuser", Name: "Acme", Username: "acme", Variant: graphemu.VariantInstagramLogin}},
		{"facebook_login", instagram, graphemu.Account{Platform: platform.Instagram, ID: "17841400000000002", Token: "EAAGpageig", Name: "Acme Tea", Username: "acmetea", Variant: graphemu.VariantFacebookLogin}},
	}
	for _, s := range seeds {
		if _, err := e.emu.AddAccount(s.acct); err != nil {
			t.Fatal(err)
		}
		e.flavours = append(e.flavours, flavour{
			name:    s.name,
			adapter: s.adapter,
			plat:    s.acct.Platform,
			acct: platform.Account{ID: "acct_" + s.name, Platform: s.acct.Platform, NativeID: s.acct.ID,
				AccessToken: s.acct.Token, Variant: s.acct.Variant},
		})
	}
	return e
}

// seed adds one conversation with history to every flavour and returns
// the thread ids by flavour name.
func (e *env) seed(t *testing.T, p graphemu.Participant, msgs []graphemu.SeedMessage) map[string]string {
	t.Helper()
	ids := map[string]string{}
	for _, f := range e.flavours {
		id, err := e.emu.AddConversation(f.acct.NativeID, graphemu.Conversation{Participant: p, Messages: msgs})
		if err != nil {
			t.Fatal(err)
		}
		ids[f.name] = id
	}
	return ids
}

func wantCode(t *testing.T, err error, status int, code string) *apierr.Error {
	t.Helper()
	ae, ok := apierr.As(err)
	if !ok {
		t.Fatalf("error = %v (%T), want *apierr.Error %s", err, err, code)
	}
	if ae.Status != status || ae.Code != code {
		t.Fatalf("error = %d %s (%v), want %d %s", ae.Status, ae.Code, ae.Meta, status, code)
	}
	return ae
}

func TestListGetAndLastInbound(t *testing.T) {
	t.Parallel()
	e := newEnv(t, graphemu.Options{})
	ids := e.seed(t, graphemu.Participant{ID: "7000000000000001", Name: "Jane Doe"}, []graphemu.SeedMessage{
		{Inbound: true, Text: "Hi!", At: t0.Add(-3 * time.Hour)},
		{Inbound: true, Text: "Are you open?", At: t0.Add(-2 * time.Hour)},
		{Inbound: false, Text: "Yes, until 6pm.", At: t0.Add(-1 * time.Hour)},
	})
	for _, f := range e.flavours {
		t.Run(f.name, func(t *testing.T) {
			ctx := context.Background()
			page, err := f.adapter.ListConversations(ctx, f.acct, "", 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Items) != 1 || page.NextCursor != "" {
				t.Fatalf("page = %+v", page)
			}
			c := page.Items[0]
			want := platform.Conversation{
				ThreadID: ids[f.name], ParticipantID: "7000000000000001", ParticipantName: "Jane Doe",
				LastMessage: "Yes, until 6pm.", LastMessageAt: t0.Add(-time.Hour), LastInboundAt: t0.Add(-2 * time.Hour),
			}
			if f.plat == platform.Messenger {
				want.UnreadCount = 0 // the business replied last
			}
			if c != want {
				t.Errorf("conversation\n got %+v\nwant %+v", c, want)
			}
			got, err := f.adapter.GetConversation(ctx, f.acct, ids[f.name])
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("GetConversation\n got %+v\nwant %+v", got, want)
			}
			_, err = f.adapter.GetConversation(ctx, f.acct, "t_999999")
			wantCode(t, err, http.StatusNotFound, "resource.not_found")
			_, err = f.adapter.GetConversation(ctx, f.acct, "../me")
			wantCode(t, err, http.StatusNotFound, "resource.not_found")
		})
	}
}

func TestMessengerUnreadCount(t *testing.T) {
	t.Parallel()
	e := newEnv(t, graphemu.Options{})
	e.seed(t, graphemu.Participant{ID: "7000000000000009", Name: "Ann"}, []graphemu.SeedMessage{
		{Inbound: true, Text: "one", At: t0.Add(-3 * time.Minute)},
		{Inbound: true, Text: "two", At: t0.Add(-2 * time.Minute)},
	})
	f := e.flavours[0]
	page, err := f.adapter.ListConversations(context.Background(), f.acct, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if page.Items[0].UnreadCount != 2 {
		t.Fatalf("unread = %d, want 2", page.Items[0].UnreadCount)
	}
}

func TestConversationPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t, graphemu.Options{})
	const n = 8
	for i := 0; i < n; i++ {
		e.seed(t, graphemu.Participant{ID: fmt.Sprintf("70000000000001%02d", i), Name: fmt.Sprintf("P%d", i)},
			[]graphemu.SeedMessage{{Inbound: true, Text: "hello", At: t0.Add(-time.Duration(i) * time.Minute)}})
	}
	for _, f := range e.flavours {
		t.Run(f.name, func(t *testing.T) {
			var all []platform.Conversation
			cursor, pages := "", 0
			for {
				page, err := f.adapter.ListConversations(context.Background(), f.acct, cursor, 3)
				if err != nil {
					t.Fatal(err)
				}
				pages++
				all = append(all, page.Items...)
				if page.NextCursor == "" {
					break
				}
				cursor = page.NextCursor
				if pages > n {
					t.Fatal("paging does not end")
				}
			}
			if pages != 3 || len(all) != n {
				t.Fatalf("pages=%d items=%d, want 3 and %d", pages, len(all), n)
			}
			for i, c := range all {
				if want := fmt.Sprintf("P%d", i); c.ParticipantName != want {
					t.Errorf("item %d = %s, want %s (newest first)", i, c.ParticipantName, want)
				}
			}
		})
	}
}

func TestMessagesPagingAndShape(t *testing.T) {
	t.Parallel()
	e := newEnv(t, graphemu.Options{})
	var msgs []graphemu.SeedMessage
	for i := 0; i < 11; i++ {
		msgs = append(msgs, graphemu.SeedMessage{Inbound: i%2 == 0, Text: fmt.Sprintf("m%02d", i), At: t0.Add(time.Duration(i-20) * time.Minute)})
	}
	msgs = append(msgs,
		graphemu.SeedMessage{Inbound: true, At: t0.Add(-5 * time.Minute), Attachments: []graphemu.Attachment{{Type: "image", URL: "https://cdn.example.com/a.jpg"}}},
		graphemu.SeedMessage{Inbound: true, At: t0.Add(-4 * time.Minute), Attachments: []graphemu.Attachment{{Type: "video", URL: "https://cdn.example.com/v.mp4"}}},
		graphemu.SeedMessage{Inbound: true, At: t0.Add(-3 * time.Minute), Attachments: []graphemu.Attachment{{Type: "file", URL: "https://cdn.example.com/f.pdf"}}},
	)
	ids := e.seed(t, graphemu.Participant{ID: "7000000000000002", Name: "Bob"}, msgs)
	for _, f := range e.flavours {
		t.Run(f.name, func(t *testing.T) {
			var all []platform.Message
			cursor, pages := "", 0
			for {
				page, err := f.adapter.ListMessages(context.Background(), f.acct, ids[f.name], cursor, 5)
				if err != nil {
					t.Fatal(err)
				}
				pages++
				all = append(all, page.Items...)
				if page.NextCursor == "" {
					break
				}
				cursor = page.NextCursor
			}
			if pages != 3 || len(all) != 14 {
				t.Fatalf("pages=%d messages=%d, want 3 and 14", pages, len(all))
			}
			wantAtt := []platform.Attachment{
				{Type: "file", URL: "https://cdn.example.com/f.pdf"},
				{Type: "video", URL: "https://cdn.example.com/v.mp4"},
				{Type: "image", URL: "https://cdn.example.com/a.jpg"},
			}
			for i, w := range wantAtt {
				if len(all[i].Attachments) != 1 || all[i].Attachments[0] != w {
					t.Errorf("message %d attachments = %+v, want %+v", i, all[i].Attachments, w)
				}
			}
			last := all[len(all)-1] // oldest: m00, inbound
			if last.Text != "m00" || last.Direction != "incoming" || last.SenderID != "7000000000000002" || last.SenderName != "Bob" || !last.CreatedAt.Equal(t0.Add(-20*time.Minute)) {
				t.Errorf("oldest = %+v", last)
			}
			out := all[len(all)-2] // m01, outgoing
			if out.Direction != "outgoing" || out.SenderID != f.acct.NativeID || out.Status != "sent" {
				t.Errorf("outgoing = %+v", out)
			}
			for i := 1; i < len(all); i++ {
				if all[i].CreatedAt.After(all[i-1].CreatedAt) {
					t.Fatalf("messages not newest first at %d", i)
				}
			}
		})
	}
}

func TestSendMarkReadAndWindows(t *testing.T) {
	t.Parallel()
	e := newEnv(t, graphemu.Options{})
	ids := e.seed(t, graphemu.Participant{ID: "7000000000000003", Name: "Carol"}, []graphemu.SeedMessage{
		{Inbound: true, Text: "Where is my order?", At: t0.Add(-time.Hour)},
	})
	ctx := context.Background()
	for _, f := range e.flavours {
		t.Run(f.name, func(t *testing.T) {
			conv := platform.Conversation{ThreadID: ids[f.name], ParticipantID: "7000000000000003"}
			sent, err := f.adapter.Send(ctx, f.acct, conv, platform.Outbound{Text: "On its way!"})
			if err != nil {
				t.Fatal(err)
			}
			if sent.PlatformID == "" || !sent.CreatedAt.Equal(e.clock()) {
				t.Fatalf("sent = %+v", sent)
			}
			// Without the participant id the adapter looks it up.
			sent2, err := f.adapter.Send(ctx, f.acct, platform.Conversation{ThreadID: ids[f.name]},
				platform.Outbound{Text: "Tracking: 123", Attachments: []platform.OutAttachment{{Type: "image", URL: "https://cdn.example.com/label.png"}}})
			if err != nil {
				t.Fatal(err)
			}
			got := e.emu.Messages(f.acct.NativeID)
			if len(got) != 3 {
				t.Fatalf("emulator saw %d sends, want 3: %+v", len(got), got)
			}
			if got[0].ID != sent.PlatformID || got[0].Text != "On its way!" || got[0].MessagingType != "RESPONSE" {
				t.Errorf("first send = %+v", got[0])
			}
			if len(got[1].Attachments) != 1 || got[1].Attachments[0].URL != "https://cdn.example.com/label.png" || got[2].Text != "Tracking: 123" || got[2].ID != sent2.PlatformID {
				t.Errorf("attachment+text sends = %+v", got[1:])
			}

			if err := f.adapter.MarkRead(ctx, f.acct, conv); err != nil {
				t.Fatal(err)
			}
			th, _ := e.emu.Thread(ids[f.name])
			if th.Unread != 0 || !th.SeenAt.Equal(e.clock()) {
				t.Errorf("after MarkRead: unread=%d seen=%v", th.Unread, th.SeenAt)
			}

			_, err = f.adapter.Send(ctx, f.acct, conv, platform.Outbound{Text: "x", Template: &platform.Template{Name: "t"}})
			wantCode(t, err, http.StatusUnprocessableEntity, "validation.invalid_field")
			_, err = f.adapter.Send(ctx, f.acct, conv, platform.Outbound{})
			wantCode(t, err, http.StatusUnprocessableEntity, "validation.required")
		})
	}

	// Two days later the standard window is closed; HUMAN_AGENT still
	// works; after 8 days nothing but Messenger's non-human tags does.
	e.advance(48 * time.Hour)
	for _, f := range e.flavours {
		t.Run(f.name+"/windows", func(t *testing.T) {
			conv := platform.Conversation{ThreadID: ids[f.name], ParticipantID: "7000000000000003"}
			_, err := f.adapter.Send(ctx, f.acct, conv, platform.Outbound{Text: "late"})
			ae := wantCode(t, err, http.StatusGone, "conversation.window_closed")
			wantSub := 2018278
			if f.plat == platform.Instagram {
				wantSub = 2534022
			}
			if ae.Meta["native_code"] != 10 || ae.Meta["native_subcode"] != wantSub || ae.Meta["trace_id"] == "" {
				t.Errorf("meta = %v", ae.Meta)
			}
			if _, err := f.adapter.Send(ctx, f.acct, conv, platform.Outbound{Text: "agent here", Tag: "HUMAN_AGENT"}); err != nil {
				t.Fatalf("HUMAN_AGENT inside 7 days: %v", err)
			}
			_, err = f.adapter.Send(ctx, f.acct, conv, platform.Outbound{Text: "receipt", Tag: "POST_PURCHASE_UPDATE"})
			if f.plat == platform.Instagram {
				wantCode(t, err, http.StatusBadGateway, "platform.instagram.invalid_request")
			} else if err != nil {
				t.Fatalf("Messenger POST_PURCHASE_UPDATE outside the window: %v", err)
			}
		})
	}
	e.advance(7 * 24 * time.Hour)
	for _, f := range e.flavours {
		conv := platform.Conversation{ThreadID: ids[f.name], ParticipantID: "7000000000000003"}
		_, err := f.adapter.Send(ctx, f.acct, conv, platform.Outbound{Text: "agent", Tag: "HUMAN_AGENT"})
		wantCode(t, err, http.StatusGone, "conversation.window_closed")
		// A new inbound message reopens the window.
		if _, err := e.emu.Inbound(f.acct.NativeID, "7000000000000003", "hello again"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.adapter.Send(ctx, f.acct, conv, platform.Outbound{Text: "welcome back"}); err != nil {
			t.Fatalf("%s: send after a new inbound message: %v", f.name, err)
		}
	}
}

func TestBadAndExpiredToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, graphemu.Options{})
	for _, f := range e.flavours {
		t.Run(f.name, func(t *testing.T) {
			bad := f.acct
			bad.AccessToken = "revoked"
			_, err := f.adapter.ListConversations(context.Background(), bad, "", 10)
			ae := wantCode(t, err, http.StatusConflict, "account.reauth_required")
			if ae.Meta["native_code"] != 190 {
				t.Errorf("meta = %v", ae.Meta)
			}
			if err := e.emu.ExpireToken(f.acct.NativeID); err != nil {
				t.Fatal(err)
			}
			_, err = f.adapter.ListMessages(context.Background(), f.acct, "t_1", "", 10)
			ae = wantCode(t, err, http.StatusConflict, "account.reauth_required")
			if ae.Meta["native_subcode"] != 463 {
				t.Errorf("meta = %v", ae.Meta)
			}
		})
	}
}

// TestErrorMappings injects each Graph error the emulator knows and checks
// the apierr the adapter returns, for every flavour.
func TestErrorMappings(t *testing.T) {
	t.Parallel()
	custom := func(code, sub int) graphemu.Error {
		return graphemu.Error{Status: 400, Type: "OAuthException", Code: code, Subcode: sub, Message: "(#x) custom"}
	}
	cases := []struct {
		name      string
		inject    graphemu.Error
		status    int
		code      string // %s is the platform name
		retryWant int
	}{
		{"app throttle", graphemu.ErrAppRateLimit, 429, "platform.%s.rate_limit", 0},
		{"user throttle", graphemu.ErrUserRateLimit, 429, "platform.%s.rate_limit", 0},
		{"page throttle", graphemu.ErrPageRateLimit, 429, "platform.%s.rate_limit", 0},
		{"send throttle 613", graphemu.ErrSendRateLimit, 429, "platform.%s.rate_limit", 0},
		{"instagram BUC 80002", graphemu.ErrInstagramRateLimit, 429, "platform.%s.rate_limit", 300},
		{"messenger BUC 80006", graphemu.ErrMessengerRateLimit, 429, "platform.%s.rate_limit", 300},
		{"BUC 80004", custom(80004, 0), 429, "platform.%s.rate_limit", 0},
		{"invalid token", graphemu.ErrInvalidToken, 409, "account.reauth_required", 0},
		{"expired token", graphemu.ErrTokenExpired, 409, "account.reauth_required", 0},
		{"messenger window", graphemu.ErrMessengerWindow, 410, "conversation.window_closed", 0},
		{"instagram window", graphemu.ErrInstagramWindow, 410, "conversation.window_closed", 0},
		{"window 2018065", custom(10, 2018065), 410, "conversation.window_closed", 0},
		{"transient", graphemu.ErrTransient, 502, "platform.%s.unavailable", 0},
		{"temporary send failure 1200", custom(1200, 0), 502, "platform.%s.unavailable", 0},
		{"permission", graphemu.ErrPermissionDenied, 502, "platform.%s.permission_denied", 0},
		{"permission 230", custom(230, 0), 502, "platform.%s.permission_denied", 0},
		{"recipient unavailable", graphemu.ErrRecipientUnavailable, 502, "platform.%s.recipient_unavailable", 0},
		{"no matching user", graphemu.ErrNoMatchingUser, 404, "resource.not_found", 0},
		{"empty message", graphemu.ErrEmptyMessage, 502, "platform.%s.invalid_request", 0},
		{"policy block", custom(368, 1390008), 502, "platform.%s.policy_blocked", 0},
		{"unknown", custom(12345, 0), 502, "platform.%s.request_failed", 0},
	}
	e := newEnv(t, graphemu.Options{})
	ids := e.seed(t, graphemu.Participant{ID: "7000000000000004", Name: "Dan"}, []graphemu.SeedMessage{{Inbound: true, Text: "hi", At: t0}})
	for _, f := range e.flavours {
		for _, tc := range cases {
			t.Run(f.name+"/"+tc.name, func(t *testing.T) {
				e.emu.FailNext(tc.inject)
				conv := platform.Conversation{ThreadID: ids[f.name], ParticipantID: "7000000000000004"}
				_, err := f.adapter.Send(context.Background(), f.acct, conv, platform.Outbound{Text: "hello"})
				code := tc.code
				if len(code) > 9 && code[:9] == "platform." {
					code = fmt.Sprintf(code, f.plat)
				}
				ae := wantCode(t, err, tc.status, code)
				if ae.Meta["native_code"] != tc.inject.Code || ae.Meta["native_type"] != tc.inject.Type {
					t.Errorf("meta = %v", ae.Meta)
				}
				if tr, _ := ae.Meta["trace_id"].(string); len(tr) < 10 {
					t.Errorf("trace_id = %v", ae.Meta["trace_id"])
				}
				if tc.retryWant != 0 && ae.Meta["retry_after_seconds"] != tc.retryWant {
					t.Errorf("retry_after_seconds = %v, want %d", ae.Meta["retry_after_seconds"], tc.retryWant)
				}
				if ae.Message == tc.inject.Message {
					t.Error("the upstream message leaked into ours")
				}
			})
		}
	}
}

func TestTransportFailures(t *testing.T) {
	t.Parallel()
	acct := platform.Account{Platform: platform.Messenger, NativeID: "1", AccessToken: "x"}

	t.Run("unreachable", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		a := NewMessenger(Options{FacebookBaseURL: url})
		_, err := a.ListConversations(context.Background(), acct, "", 1)
		wantCode(t, err, http.StatusBadGateway, "platform.messenger.unavailable")
	})
	t.Run("deadline", func(t *testing.T) {
		e := newEnv(t, graphemu.Options{Latency: 2 * time.Second})
		f := e.flavours[0]
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := f.adapter.ListConversations(ctx, f.acct, "", 1)
		wantCode(t, err, http.StatusGatewayTimeout, "platform.messenger.timeout")
	})
	t.Run("failure rate", func(t *testing.T) {
		e := newEnv(t, graphemu.Options{FailureRate: 1})
		f := e.flavours[1]
		_, err := f.adapter.ListConversations(context.Background(), f.acct, "", 1)
		wantCode(t, err, http.StatusBadGateway, "platform.instagram.unavailable")
	})
	for _, tc := range []struct {
		name   string
		status int
		body   string
		want   int
		code   string
	}{
		{"html 503", 503, "<html>down</html>", 502, "platform.messenger.unavailable"},
		{"bare 429", 429, "slow down", 429, "platform.messenger.rate_limit"},
		{"bare 400", 400, "nope", 502, "platform.messenger.request_failed"},
		{"garbage 200", 200, "{not json", 502, "platform.messenger.bad_response"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			a := NewMessenger(Options{FacebookBaseURL: srv.URL})
			_, err := a.ListConversations(context.Background(), acct, "", 1)
			wantCode(t, err, tc.want, tc.code)
		})
	}
}

func TestUnknownVariant(t *testing.T) {
	t.Parallel()
	a := NewInstagram(Options{})
	_, err := a.ListConversations(context.Background(), platform.Account{Platform: platform.Instagram, Variant: "carrier_pigeon"}, "", 1)
	wantCode(t, err, http.StatusUnprocessableEntity, "validation.invalid_field")
}

// TestRequestShape checks what goes on the wire: version, path, Bearer
// token (never in the URL) and the `platform` parameter per flavour.
func TestRequestShape(t *testing.T) {
	t.Parallel()
	type seen struct{ host, path, query, auth string }
	var mu sync.Mutex
	var got []seen
	handler := func(host string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			got = append(got, seen{host, r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization")})
			mu.Unlock()
			_, _ = w.Write([]byte(`{"data":[]}`))
		})
	}
	fbSrv, igSrv := httptest.NewServer(handler("fb")), httptest.NewServer(handler("ig"))
	defer fbSrv.Close()
	defer igSrv.Close()
	o := Options{FacebookBaseURL: fbSrv.URL, InstagramBaseURL: igSrv.URL, Version: "v24.0"}
	ctx := context.Background()
	_, _ = NewMessenger(o).ListConversations(ctx, platform.Account{NativeID: "PAGE", AccessToken: "tok1"}, "", 5)
	_, _ = NewInstagram(o).ListConversations(ctx, platform.Account{NativeID: "IG", AccessToken: "tok2", Variant: VariantInstagramLogin}, "", 5)
	_, _ = NewInstagram(o).ListConversations(ctx, platform.Account{NativeID: "IG", AccessToken: "tok3", Variant: VariantFacebookLogin}, "", 5)
	want := []struct{ host, path, plat, auth string }{
		{"fb", "/v24.0/PAGE/conversations", "messenger", "Bearer tok1"},
		{"ig", "/v24.0/IG/conversations", "instagram", "Bearer tok2"},
		{"fb", "/v24.0/me/conversations", "instagram", "Bearer tok3"},
	}
	if len(got) != len(want) {
		t.Fatalf("requests = %+v", got)
	}
	for i, w := range want {
		g := got[i]
		if g.host != w.host || g.path != w.path || g.auth != w.auth {
			t.Errorf("request %d = %+v, want %+v", i, g, w)
		}
		if !containsParam(g.query, "platform="+w.plat) || containsParam(g.query, "access_token") {
			t.Errorf("request %d query = %s", i, g.query)
		}
	}
}

func containsParam(q, p string) bool {
	for _, part := range splitAmp(q) {
		if part == p || (len(part) >= len(p) && part[:len(p)] == p) {
			return true
		}
	}
	return false
}

func splitAmp(q string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(q); i++ {
		if i == len(q) || q[i] == '&' {
			out = append(out, q[start:i])
			start = i + 1
		}
	}
	return out
}

// TestConcurrentUse exercises adapter and emulator from many goroutines.
// It exists for the race detector (go test -race, as CI runs it), and still
// checks that every send succeeded and was recorded once.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	e := newEnv(t, graphemu.Options{})
	ids := e.seed(t, graphemu.Participant{ID: "7000000000000005", Name: "Eve"}, []graphemu.SeedMessage{{Inbound: true, Text: "hi", At: t0}})
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := 0; i < 8; i++ {
		for _, f := range e.flavours {
			wg.Add(1)
			go func(f flavour, i int) {
				defer wg.Done()
				conv := platform.Conversation{ThreadID: ids[f.name], ParticipantID: "7000000000000005"}
				if _, err := f.adapter.Send(context.Background(), f.acct, conv, platform.Outbound{Text: fmt.Sprint(i)}); err != nil {
					errs <- err
				}
				if _, err := f.adapter.ListMessages(context.Background(), f.acct, ids[f.name], "", 3); err != nil {
					errs <- err
				}
				if _, err := e.emu.Inbound(f.acct.NativeID, "7000000000000005", "again"); err != nil {
					errs <- err
				}
			}(f, i)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, f := range e.flavours {
		if n := len(e.emu.Messages(f.acct.NativeID)); n != 8 {
			t.Errorf("%s: %d sends recorded, want 8", f.name, n)
		}
	}
}
