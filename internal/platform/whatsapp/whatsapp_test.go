package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/emulator/waemu"
	"github.com/parleyhq/parley/internal/platform"
)

const (
	phoneID = "106540352242922"
	wabaID  = "102290129340398"
	token   = "EAAJBtest"
	ana     = "16505551234"
	bo      = "447700900123"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

var epoch = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

type env struct {
	emu     *waemu.Emulator
	clock   *clock
	journal *MemJournal
	ad      *Adapter
	acct    platform.Account
}

// newEnv serves a seeded emulator over loopback HTTP and points an adapter
// with an in-memory journal at it.
func newEnv(t *testing.T, mod func(*waemu.Options)) *env {
	t.Helper()
	c := &clock{t: epoch}
	opts := waemu.Options{Now: c.Now, Rand: rand.New(rand.NewPCG(7, 8))}
	if mod != nil {
		mod(&opts)
	}
	emu := waemu.New(opts)
	emu.AddPhoneNumber(waemu.PhoneNumber{ID: phoneID, DisplayPhoneNumber: "15550783881", WABAID: wabaID, Token: token})
	emu.AddTemplate(wabaID, waemu.Template{Name: "order_update", Category: "UTILITY",
		Components: []map[string]any{{"type": "BODY", "text": "Hi {{1}}, your order {{2}} has shipped."}}})
	emu.AddTemplate(wabaID, waemu.Template{Name: "spring_sale", Category: "MARKETING",
		Components: []map[string]any{{"type": "HEADER", "format": "IMAGE"}, {"type": "BODY", "text": "{{1}} off!"}}})
	emu.AddTemplate(wabaID, waemu.Template{Name: "new_terms", Status: "PENDING"})
	emu.AddTemplate(wabaID, waemu.Template{Name: "old_promo", Status: "PAUSED", Category: "MARKETING"})
	emu.AddTemplate(wabaID, waemu.Template{Name: "dead_promo", Status: "DISABLED", Category: "MARKETING"})
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	j := NewMemJournal()
	ad := New(Options{BaseURL: srv.URL, HTTPClient: srv.Client(), Journal: j, Now: c.Now})
	return &env{emu: emu, clock: c, journal: j, ad: ad,
		acct: platform.Account{ID: "acct_1", Platform: platform.WhatsApp, NativeID: phoneID, AccessToken: token}}
}

// inbound has the customer write through the emulator and journals it, as
// the webhook pipeline would.
func (e *env) inbound(waID, name, text string, opts ...waemu.InboundOption) waemu.InboundMessage {
	m := e.emu.Inbound(phoneID, waID, name, text, opts...)
	e.journal.Append(e.acct.ID, waID, name, platform.Message{PlatformID: m.ID, Direction: "incoming", SenderID: waID,
		SenderName: name, Text: text, CreatedAt: m.Timestamp})
	return m
}

func conv(waID string) platform.Conversation {
	return platform.Conversation{ThreadID: waID, ParticipantID: waID}
}

func TestReadFromJournal(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	e.inbound(ana, "Ana", "first", waemu.At(epoch.Add(-3*time.Hour)))
	e.inbound(bo, "Bo", "hello", waemu.At(epoch.Add(-2*time.Hour)))
	e.inbound(ana, "Ana", "second", waemu.At(epoch.Add(-time.Hour)))
	e.journal.Append(e.acct.ID, ana, "", platform.Message{PlatformID: "wamid.out", Direction: "outgoing", Text: "reply", CreatedAt: epoch})

	p1, err := e.ad.ListConversations(ctx, e.acct, "", 1)
	if err != nil || len(p1.Items) != 1 || p1.Items[0].ThreadID != ana || p1.NextCursor == "" {
		t.Fatalf("page 1: %+v %v", p1, err)
	}
	p2, err := e.ad.ListConversations(ctx, e.acct, p1.NextCursor, 1)
	if err != nil || len(p2.Items) != 1 || p2.Items[0].ThreadID != bo || p2.NextCursor != "" {
		t.Fatalf("page 2: %+v %v", p2, err)
	}
	c, err := e.ad.GetConversation(ctx, e.acct, ana)
	if err != nil || c.ParticipantName != "Ana" || c.LastMessage != "reply" || !c.LastInboundAt.Equal(epoch.Add(-time.Hour)) || c.UnreadCount != 2 {
		t.Fatalf("conversation: %+v %v", c, err)
	}
	ms, err := e.ad.ListMessages(ctx, e.acct, ana, "", 2)
	if err != nil || len(ms.Items) != 2 || ms.Items[0].Text != "reply" || ms.Items[1].Text != "second" || ms.NextCursor == "" {
		t.Fatalf("messages: %+v %v", ms, err)
	}
	ms2, err := e.ad.ListMessages(ctx, e.acct, ana, ms.NextCursor, 2)
	if err != nil || len(ms2.Items) != 1 || ms2.Items[0].Text != "first" || ms2.NextCursor != "" {
		t.Fatalf("messages page 2: %+v %v", ms2, err)
	}

	if _, err := e.ad.GetConversation(ctx, e.acct, "999"); !apierr.HasCode(err, "resource.not_found") {
		t.Fatalf("missing conversation: %v", err)
	}
	if _, err := e.ad.ListMessages(ctx, e.acct, "999", "", 10); !apierr.HasCode(err, "resource.not_found") {
		t.Fatalf("missing conversation messages: %v", err)
	}
	if _, err := e.ad.ListConversations(ctx, e.acct, "garbage!", 10); !apierr.HasCode(err, "validation.invalid_field") {
		t.Fatalf("bad cursor: %v", err)
	}
	// Another account's journal is separate, even for the same number.
	other := e.acct
	other.ID = "acct_other"
	if p, err := e.ad.ListConversations(ctx, other, "", 10); err != nil || len(p.Items) != 0 {
		t.Fatalf("other number: %+v %v", p, err)
	}
}

func TestNoJournal(t *testing.T) {
	t.Parallel()
	ad := New(Options{BaseURL: "http://127.0.0.1:1"})
	ctx := context.Background()
	acct := platform.Account{ID: "acct_1", NativeID: phoneID}
	if _, err := ad.ListConversations(ctx, acct, "", 10); !apierr.HasCode(err, "resource.not_supported") {
		t.Fatal(err)
	}
	if _, err := ad.GetConversation(ctx, acct, ana); !apierr.HasCode(err, "resource.not_supported") {
		t.Fatal(err)
	}
	if _, err := ad.ListMessages(ctx, acct, ana, "", 10); !apierr.HasCode(err, "resource.not_supported") {
		t.Fatal(err)
	}
	if err := ad.MarkRead(ctx, acct, conv(ana)); !apierr.HasCode(err, "resource.not_supported") {
		t.Fatal(err)
	}
}

func TestSendArrivesInEmulator(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		msg      platform.Outbound
		wantType string
		check    func(t *testing.T, m waemu.SentMessage)
	}{
		{"text", platform.Outbound{Text: "Your order shipped"}, "text", func(t *testing.T, m waemu.SentMessage) {
			if m.Text != "Your order shipped" || m.Pricing.Category != "service" {
				t.Errorf("%+v", m)
			}
		}},
		{"image with caption", platform.Outbound{Text: "receipt", Attachments: []platform.OutAttachment{{Type: "image", URL: "https://example.com/r.png"}}}, "image",
			func(t *testing.T, m waemu.SentMessage) {
				if m.Media == nil || m.Media.Link != "https://example.com/r.png" || m.Text != "receipt" {
					t.Errorf("%+v", m)
				}
			}},
		{"file as document", platform.Outbound{Attachments: []platform.OutAttachment{{Type: "file", URL: "https://example.com/a.pdf"}}}, "document", nil},
		{"audio", platform.Outbound{Attachments: []platform.OutAttachment{{Type: "audio", URL: "https://example.com/a.ogg"}}}, "audio", nil},
		{"video", platform.Outbound{Attachments: []platform.OutAttachment{{Type: "video", URL: "https://example.com/a.mp4"}}}, "video", nil},
		{"template", platform.Outbound{Template: &platform.Template{Name: "order_update", Language: "en_US",
			Components: []map[string]any{{"type": "body", "parameters": []map[string]any{{"type": "text", "text": "Ana"}, {"type": "text", "text": "#42"}}}}}},
			"template", func(t *testing.T, m waemu.SentMessage) {
				if m.Template == nil || m.Template.Text != "Hi Ana, your order #42 has shipped." || m.Pricing.Category != "utility" || !m.Pricing.Billable {
					t.Errorf("%+v %+v", m, m.Template)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.inbound(ana, "Ana", "hi")
			sent, err := e.ad.Send(context.Background(), e.acct, conv(ana), tc.msg)
			if err != nil {
				t.Fatal(err)
			}
			got := e.emu.Messages(phoneID)
			if len(got) != 1 || got[0].ID != sent.PlatformID || got[0].Type != tc.wantType || got[0].To != ana || !sent.CreatedAt.Equal(epoch) {
				t.Fatalf("sent %+v, emulator has %+v", sent, got)
			}
			if tc.check != nil {
				tc.check(t, got[0])
			}
		})
	}
}

func TestBuildSendValidation(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		msg  platform.Outbound
		code string
	}{
		{"empty", platform.Outbound{}, "validation.required"},
		{"tag", platform.Outbound{Text: "x", Tag: "HUMAN_AGENT"}, "validation.invalid_field"},
		{"template and text", platform.Outbound{Text: "x", Template: &platform.Template{Name: "a", Language: "en"}}, "validation.invalid_field"},
		{"template without name", platform.Outbound{Template: &platform.Template{Language: "en"}}, "validation.required"},
		{"template without language", platform.Outbound{Template: &platform.Template{Name: "a"}}, "validation.required"},
		{"audio caption", platform.Outbound{Text: "x", Attachments: []platform.OutAttachment{{Type: "audio", URL: "https://x"}}}, "validation.invalid_field"},
		{"sticker", platform.Outbound{Attachments: []platform.OutAttachment{{Type: "sticker", URL: "https://x"}}}, "validation.invalid_field"},
		{"no url", platform.Outbound{Attachments: []platform.OutAttachment{{Type: "image"}}}, "validation.required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := buildSends(ana, "", tc.msg); !apierr.HasCode(err, tc.code) {
				t.Fatalf("got %v, want %s", err, tc.code)
			}
		})
	}
	e := newEnv(t, nil)
	if _, err := e.ad.Send(context.Background(), e.acct, platform.Conversation{}, platform.Outbound{Text: "x"}); !apierr.HasCode(err, "validation.required") {
		t.Fatalf("no participant: %v", err)
	}
}

func TestMarkRead(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	first := e.inbound(ana, "Ana", "one", waemu.At(epoch.Add(-2*time.Minute)))
	second := e.inbound(ana, "Ana", "two", waemu.At(epoch.Add(-time.Minute)))
	e.journal.Append(e.acct.ID, ana, "", platform.Message{PlatformID: "wamid.out", Direction: "outgoing", Text: "reply", CreatedAt: epoch})
	if err := e.ad.MarkRead(ctx, e.acct, conv(ana)); err != nil {
		t.Fatal(err)
	}
	for _, m := range e.emu.InboundMessages(phoneID) {
		if (m.ID == first.ID || m.ID == second.ID) && !m.Read {
			t.Errorf("%s not read", m.Text)
		}
	}
	// A conversation with nothing incoming has nothing to mark.
	e.journal.Append(e.acct.ID, bo, "", platform.Message{PlatformID: "wamid.o2", Direction: "outgoing", Text: "hi", CreatedAt: epoch})
	if err := e.ad.MarkRead(ctx, e.acct, conv(bo)); err != nil {
		t.Fatal(err)
	}
	// A message id the platform does not know is refused (131009).
	e.journal.Append(e.acct.ID, "447700900999", "", platform.Message{PlatformID: "wamid.unknown", Direction: "incoming", CreatedAt: epoch})
	err := e.ad.MarkRead(ctx, e.acct, conv("447700900999"))
	if ae, ok := apierr.As(err); !ok || ae.Code != "platform.whatsapp.invalid_parameter" || ae.Meta["native_code"] != 131009 {
		t.Fatalf("unknown id: %v", err)
	}
}

func TestTemplatesPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	for i := range 130 {
		status := "APPROVED"
		if i%10 == 0 {
			status = "REJECTED"
		}
		e.emu.AddTemplate(wabaID, waemu.Template{Name: fmt.Sprintf("bulk_%03d", i), Status: status, Category: "MARKETING"})
	}
	ts, err := e.ad.Templates(context.Background(), e.acct, wabaID)
	if err != nil {
		t.Fatal(err)
	}
	// 2 seeded approved + 117 of the bulk ones, across two pages.
	if len(ts) != 119 {
		t.Fatalf("%d templates", len(ts))
	}
	for _, tpl := range ts {
		if tpl.Status != "APPROVED" || tpl.ID == "" || tpl.Language != "en_US" || tpl.Category == "" {
			t.Fatalf("%+v", tpl)
		}
	}
	if ts[0].Name != "order_update" || len(ts[0].Components) != 1 {
		t.Fatalf("first: %+v", ts[0])
	}
	if _, err := e.ad.Templates(context.Background(), e.acct, ""); !apierr.HasCode(err, "validation.required") {
		t.Fatal(err)
	}
	bad := e.acct
	bad.AccessToken = "nope"
	if _, err := e.ad.Templates(context.Background(), bad, wabaID); !apierr.HasCode(err, "account.reauth_required") {
		t.Fatal(err)
	}
}

func TestErrorMapping(t *testing.T) {
	t.Parallel()
	approved := func(name string, params ...string) platform.Outbound {
		ps := []map[string]any{}
		for _, p := range params {
			ps = append(ps, map[string]any{"type": "text", "text": p})
		}
		return platform.Outbound{Template: &platform.Template{Name: name, Language: "en_US",
			Components: []map[string]any{{"type": "body", "parameters": ps}}}}
	}
	cases := []struct {
		name       string
		opts       func(*waemu.Options)
		setup      func(e *env)
		msg        platform.Outbound
		status     int
		code       string
		nativeCode int
		meta       map[string]any
	}{
		{name: "window closed", opts: func(o *waemu.Options) { o.SyncFailures = true }, setup: func(e *env) { e.inbound(ana, "Ana", "hi", waemu.At(epoch.Add(-25*time.Hour))) },
			msg: platform.Outbound{Text: "late"}, status: 410, code: "conversation.window_closed", nativeCode: 131047,
			meta: map[string]any{"closed_at": "2026-11-25T11:00:00Z", "requires_template": true}},
		{name: "pair rate", setup: func(e *env) {
			e.inbound(ana, "Ana", "hi")
			_, _ = e.ad.Send(context.Background(), e.acct, conv(ana), platform.Outbound{Text: "one"})
		}, msg: platform.Outbound{Text: "two"}, status: 429, code: "whatsapp.pair_rate_limit", nativeCode: 131056,
			meta: map[string]any{"retry_after_seconds": 6, "native_subcode": 2494071}},
		{name: "throughput", opts: func(o *waemu.Options) { o.Throughput = 1 }, setup: func(e *env) {
			e.inbound(ana, "Ana", "hi")
			e.inbound(bo, "Bo", "hi")
			_, _ = e.ad.Send(context.Background(), e.acct, conv(bo), platform.Outbound{Text: "one"})
		}, msg: platform.Outbound{Text: "two"}, status: 429, code: "platform.whatsapp.rate_limit", nativeCode: 130429,
			meta: map[string]any{"retry_after_seconds": 1}},
		{name: "template missing", msg: approved("nope"), status: 422, code: "whatsapp.template_not_approved", nativeCode: 132001},
		{name: "template pending", msg: approved("new_terms"), status: 422, code: "whatsapp.template_not_approved", nativeCode: 132001},
		{name: "template paused", msg: approved("old_promo"), status: 422, code: "whatsapp.template_not_approved", nativeCode: 132015,
			meta: map[string]any{"reason": "paused"}},
		{name: "template disabled", msg: approved("dead_promo"), status: 422, code: "whatsapp.template_not_approved", nativeCode: 132016},
		{name: "param count", msg: approved("order_update", "Ana"), status: 422, code: "whatsapp.template_invalid", nativeCode: 132000,
			meta: map[string]any{"native_details": "body: number of localizable_params (1) does not match the expected number of params (2)"}},
		{name: "too long", msg: approved("order_update", "Ana", string(make([]rune, 1100))), status: 422, code: "whatsapp.template_invalid", nativeCode: 132005},
		{name: "format char", msg: approved("order_update", "Ana\tB", "1"), status: 422, code: "whatsapp.template_invalid", nativeCode: 132007},
		{name: "header format", msg: approved("spring_sale", "20%"), status: 422, code: "whatsapp.template_invalid", nativeCode: 132012},
		// Meta sometimes refuses an undeliverable number at send time
		// (usually it reports it in a failed status webhook).
		{name: "undeliverable", opts: func(o *waemu.Options) { o.SyncFailures = true }, setup: func(e *env) { e.emu.MarkUndeliverable(ana) }, msg: approved("order_update", "A", "1"),
			status: 502, code: "platform.whatsapp.undeliverable", nativeCode: 131026},
		{name: "expired token", setup: func(e *env) { e.emu.ExpireToken(token) }, msg: platform.Outbound{Text: "x"},
			status: 409, code: "account.reauth_required", nativeCode: 190, meta: map[string]any{"native_subcode": 463}},
		{name: "bad token", setup: func(e *env) { e.acct.AccessToken = "wrong" }, msg: platform.Outbound{Text: "x"},
			status: 409, code: "account.reauth_required", nativeCode: 190},
		{name: "unknown number", setup: func(e *env) { e.acct.NativeID = "999" }, msg: platform.Outbound{Text: "x"},
			status: 404, code: "resource.not_found", nativeCode: 100},
		{name: "invalid parameter", setup: func(e *env) { e.inbound(ana, "Ana", "hi") },
			msg:    platform.Outbound{Attachments: []platform.OutAttachment{{Type: "image", URL: "ftp://x"}}},
			status: 502, code: "platform.whatsapp.invalid_parameter", nativeCode: 131009},
		{name: "transient", opts: func(o *waemu.Options) { o.FailureRate = 1 }, msg: platform.Outbound{Text: "x"},
			status: 502, code: "platform.whatsapp.unavailable", nativeCode: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.opts)
			if tc.setup != nil {
				tc.setup(e)
			}
			c, _ := e.journal.GetConversation(context.Background(), e.acct.ID, ana)
			if c.ThreadID == "" {
				c = conv(ana)
			}
			_, err := e.ad.Send(context.Background(), e.acct, c, tc.msg)
			ae, ok := apierr.As(err)
			if !ok {
				t.Fatalf("not an apierr: %v", err)
			}
			if ae.Status != tc.status || ae.Code != tc.code || ae.Meta["native_code"] != tc.nativeCode {
				t.Fatalf("got %d %s %v, want %d %s %d", ae.Status, ae.Code, ae.Meta, tc.status, tc.code, tc.nativeCode)
			}
			if tr, _ := ae.Meta["trace_id"].(string); tr == "" {
				t.Errorf("no trace_id: %v", ae.Meta)
			}
			for k, v := range tc.meta {
				if ae.Meta[k] != v {
					t.Errorf("meta[%s] = %v, want %v", k, ae.Meta[k], v)
				}
			}
		})
	}
}

func TestTransportErrors(t *testing.T) {
	t.Parallel()
	t.Run("timeout", func(t *testing.T) {
		e := newEnv(t, func(o *waemu.Options) { o.Latency = time.Minute })
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := e.ad.Send(ctx, e.acct, conv(ana), platform.Outbound{Text: "x"})
		if ae, ok := apierr.As(err); !ok || ae.Status != http.StatusGatewayTimeout || ae.Code != "platform.whatsapp.timeout" {
			t.Fatalf("%v", err)
		}
	})
	t.Run("unreachable", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		ad := New(Options{BaseURL: url, Journal: NewMemJournal()})
		_, err := ad.Send(context.Background(), platform.Account{NativeID: phoneID}, conv(ana), platform.Outbound{Text: "x"})
		if !apierr.HasCode(err, "platform.whatsapp.unavailable") {
			t.Fatalf("%v", err)
		}
	})
	t.Run("non-graph bodies", func(t *testing.T) {
		cases := []struct {
			status int
			body   string
			code   string
		}{
			{502, "<html>bad gateway</html>", "platform.whatsapp.unavailable"},
			{401, "", "account.reauth_required"},
			{429, "slow down", "platform.whatsapp.rate_limit"},
			{418, "teapot", "platform.whatsapp.request_failed"},
			{200, "{}", "platform.whatsapp.invalid_response"},
		}
		for _, tc := range cases {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", "7")
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			ad := New(Options{BaseURL: srv.URL, HTTPClient: srv.Client()})
			_, err := ad.Send(context.Background(), platform.Account{NativeID: phoneID}, conv(ana), platform.Outbound{Text: "x"})
			srv.Close()
			ae, ok := apierr.As(err)
			if !ok || ae.Code != tc.code {
				t.Fatalf("%d %q: %v", tc.status, tc.body, err)
			}
			if tc.status == 429 && ae.Meta["retry_after_seconds"] != 7 {
				t.Errorf("Retry-After not kept: %v", ae.Meta)
			}
			if errors.Is(err, context.Canceled) {
				t.Fatal("unexpected cancel")
			}
		}
	})
}

func TestMemJournalConcurrent(t *testing.T) {
	t.Parallel()
	j := NewMemJournal()
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("4477009000%02d", i)
			j.Append(phoneID, id, "n", platform.Message{Direction: "incoming", Text: "x", CreatedAt: epoch.Add(time.Duration(i) * time.Second)})
			_, _ = j.ListConversations(context.Background(), phoneID, "", 5)
			j.MarkRead(phoneID, id)
		}()
	}
	wg.Wait()
	p, _ := j.ListConversations(context.Background(), phoneID, "", 100)
	if len(p.Items) != 10 || p.Items[0].ThreadID != "447700900009" || p.Items[0].UnreadCount != 0 {
		t.Fatalf("%+v", p.Items)
	}
}

func TestListTemplates(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	if _, err := e.ad.ListTemplates(ctx, e.acct); !apierr.HasCode(err, "validation.required") {
		t.Fatalf("no resolver: %v", err)
	}
	ad := New(Options{BaseURL: e.ad.base, HTTPClient: e.ad.hc, WABAID: func(_ context.Context, acct platform.Account) (string, error) {
		if acct.NativeID == phoneID {
			return wabaID, nil
		}
		return "", errors.New("unknown account")
	}})
	ts, err := ad.ListTemplates(ctx, e.acct)
	if err != nil || len(ts) != 2 || ts[0].Name != "order_update" || ts[0].Status != "APPROVED" || ts[1].Category != "MARKETING" {
		t.Fatalf("%+v %v", ts, err)
	}
	other := e.acct
	other.NativeID = "x"
	if _, err := ad.ListTemplates(ctx, other); err == nil {
		t.Fatal("resolver error swallowed")
	}
}

// TestSendByUserID: a conversation that knows the customer's phone number
// is sent to with `to` even when its participant is their BSUID; one keyed
// on a BSUID (a username user whose number is withheld) with `recipient`,
// and the Cloud API accepts both.
func TestSendByUserID(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	bsuid := e.emu.SetUsername(ana, "ana.s", true)
	e.inbound(ana, "Ana", "hi")
	for _, tc := range []struct {
		name             string
		conv             platform.Conversation
		wantTo, wantUser string
	}{
		{"phone thread, BSUID participant", platform.Conversation{ThreadID: ana, ParticipantID: bsuid}, ana, ""},
		{"BSUID thread", platform.Conversation{ThreadID: bsuid, ParticipantID: bsuid}, ana, bsuid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.clock.Add(time.Minute) // past the pair rate
			sent, err := e.ad.Send(ctx, e.acct, tc.conv, platform.Outbound{Text: "hello"})
			if err != nil {
				t.Fatal(err)
			}
			msgs := e.emu.Messages(phoneID)
			last := msgs[len(msgs)-1]
			if last.ID != sent.PlatformID || last.To != tc.wantTo || last.ToUserID != tc.wantUser {
				t.Fatalf("emulator recorded %+v", last)
			}
		})
	}
	if to, rcpt := sendTarget(platform.Conversation{ThreadID: "not-an-id"}); to != "not-an-id" || rcpt != "" {
		t.Fatalf("fallback: %q %q", to, rcpt)
	}
	for id, want := range map[string]bool{"US.13491208655302741918": true, "US.ENT.11815799212886844830": true, "us.1": false, "16505551234": false, "US-1": false, "": false} {
		if IsUserID(id) != want {
			t.Errorf("IsUserID(%q) = %v", id, !want)
		}
	}
}
