package linkedin

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/emulator/liemu"
	"github.com/parleyhq/parley/internal/platform"
)

const (
	acme    = "urn:li:organization:2414183"
	acmeTok = "AQV-acme-token"
	globex  = "urn:li:organization:1035"
	globTok = "AQV-globex-token"
	ada     = "urn:li:person:ada123"
	grace   = "urn:li:person:grace456"
)

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

type env struct {
	emu     *liemu.Emulator
	srv     *httptest.Server
	ad      *Adapter
	acct    platform.Account
	adaT    string
	graceT  string
	globexT string
}

// newEnv serves a seeded emulator over real loopback HTTP and points an
// adapter at it. wrap, when set, sits in front of the emulator.
func newEnv(t *testing.T, opts liemu.Options, wrap func(http.Handler) http.Handler) env {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return t0 }
	}
	if opts.Rand == nil {
		opts.Rand = rand.New(rand.NewPCG(3, 4))
	}
	e := liemu.New(opts)
	mustOK(t, e.AddAccount(acme, "Acme Robotics", acmeTok))
	mustOK(t, e.AddAccount(globex, "Globex", globTok))
	adaP := liemu.Person{URN: ada, FirstName: "Ada", LastName: "Lovelace", PictureURL: "https://media.licdn.example/ada.jpg"}
	adaT, err := e.AddConversation(acme, []liemu.Person{adaP},
		liemu.SeedMessage{From: ada, Text: "Hi, do you ship to Lisbon?", At: t0.Add(-2 * time.Hour)},
		liemu.SeedMessage{Text: "Yes, within 3 days.", At: t0.Add(-110 * time.Minute)},
		liemu.SeedMessage{From: ada, Text: "Great, thanks!", At: t0.Add(-time.Hour)},
	)
	mustOK(t, err)
	graceT, err := e.AddConversation(acme, []liemu.Person{{URN: grace, FirstName: "Grace", LastName: "Hopper"}},
		liemu.SeedMessage{From: grace, Text: "Is the X200 in stock?", At: t0.Add(-30 * time.Minute)})
	mustOK(t, err)
	globexT, err := e.AddConversation(globex, []liemu.Person{adaP}, liemu.SeedMessage{From: ada, Text: "Hello Globex", At: t0.Add(-10 * time.Minute)})
	mustOK(t, err)
	var h http.Handler = e
	if wrap != nil {
		h = wrap(e)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return env{
		emu: e, srv: srv, ad: New(srv.URL, srv.Client()),
		acct: platform.Account{ID: "acct_1", Platform: platform.LinkedIn, NativeID: acme, AccessToken: acmeTok},
		adaT: adaT, graceT: graceT, globexT: globexT,
	}
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantCode(t *testing.T, err error, status int, code string) *apierr.Error {
	t.Helper()
	e, ok := apierr.As(err)
	if !ok {
		t.Fatalf("error %v is not *apierr.Error", err)
	}
	if e.Status != status || e.Code != code {
		t.Fatalf("got %d %s (%v), want %d %s", e.Status, e.Code, e.Meta, status, code)
	}
	return e
}

func TestListConversations(t *testing.T) {
	t.Parallel()
	v := newEnv(t, liemu.Options{}, nil)
	ctx := context.Background()
	page, err := v.ad.ListConversations(ctx, v.acct, "", 25)
	mustOK(t, err)
	if len(page.Items) != 2 || page.NextCursor != "" {
		t.Fatalf("page: %+v", page)
	}
	g, a := page.Items[0], page.Items[1]
	if g.ThreadID != v.graceT || a.ThreadID != v.adaT {
		t.Fatalf("not newest first: %s, %s", g.ThreadID, a.ThreadID)
	}
	want := platform.Conversation{
		ThreadID: v.adaT, ParticipantID: ada, ParticipantName: "Ada Lovelace",
		ParticipantPicture: "https://media.licdn.example/ada.jpg", LastMessage: "Great, thanks!",
		LastMessageAt: t0.Add(-time.Hour), LastInboundAt: t0.Add(-time.Hour), UnreadCount: 1,
	}
	if a != want {
		t.Errorf("conversation:\n got %+v\nwant %+v", a, want)
	}
	if g.ParticipantName != "Grace Hopper" || g.ParticipantPicture != "" {
		t.Errorf("grace: %+v", g)
	}

	// Paging one at a time walks both and stops.
	var ids []string
	cursor := ""
	for range 5 {
		p, err := v.ad.ListConversations(ctx, v.acct, cursor, 1)
		mustOK(t, err)
		for _, c := range p.Items {
			ids = append(ids, c.ThreadID)
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	if len(ids) != 2 || ids[0] != v.graceT || ids[1] != v.adaT {
		t.Errorf("paged ids %v", ids)
	}
}

func TestGetConversation(t *testing.T) {
	t.Parallel()
	v := newEnv(t, liemu.Options{}, nil)
	c, err := v.ad.GetConversation(context.Background(), v.acct, v.adaT)
	mustOK(t, err)
	if c.ThreadID != v.adaT || c.ParticipantName != "Ada Lovelace" || c.UnreadCount != 1 {
		t.Errorf("got %+v", c)
	}
	_, err = v.ad.GetConversation(context.Background(), v.acct, "urn:li:messagingThread:2-nope==")
	wantCode(t, err, 404, "resource.not_found")
	_, err = v.ad.GetConversation(context.Background(), v.acct, "")
	wantCode(t, err, 404, "resource.not_found")
}

func TestListMessages(t *testing.T) {
	t.Parallel()
	v := newEnv(t, liemu.Options{}, nil)
	ctx := context.Background()
	p, err := v.ad.ListMessages(ctx, v.acct, v.adaT, "", 2)
	mustOK(t, err)
	if len(p.Items) != 2 || p.NextCursor != "2" {
		t.Fatalf("page 1: %+v", p)
	}
	m0, m1 := p.Items[0], p.Items[1]
	if m0.Text != "Great, thanks!" || m0.Direction != "incoming" || m0.SenderID != ada || !m0.CreatedAt.Equal(t0.Add(-time.Hour)) || m0.Status != "" {
		t.Errorf("newest: %+v", m0)
	}
	if m1.Text != "Yes, within 3 days." || m1.Direction != "outgoing" || m1.SenderID != acme || m1.Status != "delivered" {
		t.Errorf("second: %+v", m1)
	}
	p, err = v.ad.ListMessages(ctx, v.acct, v.adaT, p.NextCursor, 2)
	mustOK(t, err)
	if len(p.Items) != 1 || p.Items[0].Text != "Hi, do you ship to Lisbon?" || p.NextCursor != "" {
		t.Errorf("page 2: %+v", p)
	}
	_, err = v.ad.ListMessages(ctx, v.acct, v.adaT, "abc", 2)
	wantCode(t, err, 422, "validation.invalid_field")
	_, err = v.ad.ListMessages(ctx, v.acct, "urn:li:messagingThread:2-nope", "", 2)
	wantCode(t, err, 404, "resource.not_found")
}

func TestSend(t *testing.T) {
	v := newEnv(t, liemu.Options{}, nil)
	ctx := context.Background()
	conv := platform.Conversation{ThreadID: v.graceT, ParticipantID: grace}
	sent, err := v.ad.Send(ctx, v.acct, conv, platform.Outbound{Text: "Yes, 12 left."})
	mustOK(t, err)
	got := v.emu.Messages(acme)
	last := got[len(got)-1]
	if last.ID != sent.PlatformID || last.Text != "Yes, 12 left." || last.ThreadURN != v.graceT {
		t.Errorf("emulator saw %+v for %+v", last, sent)
	}
	if sent.CreatedAt.IsZero() || time.Since(sent.CreatedAt) > time.Minute {
		t.Errorf("created at %v", sent.CreatedAt)
	}
	// The reply shows up, newest first, as outgoing.
	p, err := v.ad.ListMessages(ctx, v.acct, v.graceT, "", 10)
	mustOK(t, err)
	if p.Items[0].PlatformID != sent.PlatformID || p.Items[0].Direction != "outgoing" {
		t.Errorf("after send: %+v", p.Items[0])
	}

	before := v.emu.Requests()
	cases := []struct {
		name   string
		conv   platform.Conversation
		msg    platform.Outbound
		status int
		code   string
	}{
		{"attachment", conv, platform.Outbound{Text: "see", Attachments: []platform.OutAttachment{{Type: "image", URL: "https://x/y.png"}}}, 422, "validation.attachment_not_supported"},
		{"empty text", conv, platform.Outbound{Text: "  "}, 422, "validation.required"},
		{"template", conv, platform.Outbound{Text: "x", Template: &platform.Template{Name: "t"}}, 422, "validation.invalid_field"},
		{"tag", conv, platform.Outbound{Text: "x", Tag: "HUMAN_AGENT"}, 422, "validation.invalid_field"},
		{"no thread", platform.Conversation{}, platform.Outbound{Text: "x"}, 404, "resource.not_found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.ad.Send(ctx, v.acct, tc.conv, tc.msg)
			wantCode(t, err, tc.status, tc.code)
		})
	}
	if v.emu.Requests() != before {
		t.Error("refused sends must not reach LinkedIn")
	}
}

func TestMarkReadIsNoOp(t *testing.T) {
	t.Parallel()
	v := newEnv(t, liemu.Options{}, nil)
	before := v.emu.Requests()
	mustOK(t, v.ad.MarkRead(context.Background(), v.acct, platform.Conversation{ThreadID: v.adaT}))
	if v.emu.Requests() != before {
		t.Error("MarkRead called LinkedIn")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := v.ad.MarkRead(ctx, v.acct, platform.Conversation{ThreadID: v.adaT}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: %v", err)
	}
}

func TestErrorMapping(t *testing.T) {
	t.Parallel()
	retryAfter := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "30")
			h.ServeHTTP(w, r)
		})
	}
	cases := []struct {
		name     string
		opts     liemu.Options
		wrap     func(http.Handler) http.Handler
		setup    func(v *env)
		call     func(v env) error
		status   int
		code     string
		meta     map[string]any
		noTraceI bool
	}{
		{name: "bad token", setup: func(v *env) { v.acct.AccessToken = "wrong" }, status: 409, code: "account.reauth_required",
			meta: map[string]any{"native_code": 65600, "native_type": "INVALID_ACCESS_TOKEN", "native_status": 401}},
		{name: "expired token", setup: func(v *env) { v.emu.ExpireToken(acmeTok) }, status: 409, code: "account.reauth_required",
			meta: map[string]any{"native_type": "EXPIRED_ACCESS_TOKEN"}},
		{name: "revoked token", setup: func(v *env) { v.emu.RevokeToken(acmeTok) }, status: 409, code: "account.reauth_required",
			meta: map[string]any{"native_code": 65601, "native_type": "REVOKED_ACCESS_TOKEN"}},
		{name: "empty token", setup: func(v *env) { v.acct.AccessToken = "" }, status: 409, code: "account.reauth_required"},
		{name: "throttled", setup: func(v *env) { v.emu.FailNext(liemu.StatusError(429)) }, status: 429, code: "platform.linkedin.rate_limit",
			meta: map[string]any{"native_code": 101}},
		{name: "throttled with retry-after", wrap: retryAfter, setup: func(v *env) { v.emu.FailNext(liemu.StatusError(429)) }, status: 429, code: "platform.linkedin.rate_limit",
			meta: map[string]any{"retry_after_seconds": 30}},
		{name: "transient 503", setup: func(v *env) { v.emu.FailNext(liemu.StatusError(503)) }, status: 502, code: "platform.linkedin.unavailable"},
		{name: "failure rate", opts: liemu.Options{FailureRate: 1}, status: 502, code: "platform.linkedin.unavailable"},
		{name: "500", setup: func(v *env) { v.emu.FailNext(liemu.StatusError(500)) }, status: 502, code: "platform.linkedin.unavailable"},
		{name: "other org's thread", call: func(v env) error {
			_, err := v.ad.ListMessages(context.Background(), v.acct, v.globexT, "", 10)
			return err
		}, status: 502, code: "platform.linkedin.permission_denied", meta: map[string]any{"native_code": 100, "native_type": "ACCESS_DENIED"}},
		{name: "sunset version", opts: liemu.Options{ActiveVersions: []string{"202509"}}, setup: func(v *env) { v.ad = v.ad.WithVersion("202401") },
			status: 502, code: "platform.linkedin.version_unsupported", meta: map[string]any{"native_type": "NONEXISTENT_VERSION"}},
		{name: "refused body", call: func(v env) error {
			_, err := v.ad.Send(context.Background(), v.acct, platform.Conversation{ThreadID: v.adaT}, platform.Outbound{Text: "<b>bold</b>"})
			return err
		}, status: 502, code: "platform.linkedin.invalid_request", meta: map[string]any{"native_status": 400}},
		{name: "timeout", opts: liemu.Options{Latency: 5 * time.Second}, call: func(v env) error {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			_, err := v.ad.ListConversations(ctx, v.acct, "", 10)
			return err
		}, status: 504, code: "platform.linkedin.timeout", noTraceI: true},
		{name: "unreachable", setup: func(v *env) { v.srv.Close() }, status: 502, code: "platform.linkedin.unavailable", noTraceI: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newEnv(t, tc.opts, tc.wrap)
			if tc.setup != nil {
				tc.setup(&v)
			}
			call := tc.call
			if call == nil {
				call = func(v env) error { _, err := v.ad.ListConversations(context.Background(), v.acct, "", 10); return err }
			}
			e := wantCode(t, call(v), tc.status, tc.code)
			for k, want := range tc.meta {
				if got := e.Meta[k]; got != want {
					t.Errorf("meta[%s] = %v (%T), want %v", k, got, got, want)
				}
			}
			if !tc.noTraceI {
				if s, _ := e.Meta["trace_id"].(string); s == "" {
					t.Errorf("no trace_id in %v", e.Meta)
				}
			}
		})
	}
}

func TestNextCursor(t *testing.T) {
	t.Parallel()
	total := func(n int) *int { return &n }
	cases := []struct {
		name              string
		p                 paging
		start, count, got int
		want              string
	}{
		{"empty page", paging{}, 0, 10, 0, ""},
		{"next link", paging{Links: []pageLink{{Rel: "next", Href: "/rest/x?start=20&count=10"}}}, 10, 10, 10, "20"},
		{"next link without start", paging{Links: []pageLink{{Rel: "next", Href: "::"}}}, 0, 10, 10, "10"},
		{"prev link only, total says done", paging{Total: total(15), Links: []pageLink{{Rel: "prev", Href: "/x?start=0"}}}, 10, 10, 5, ""},
		{"total says more", paging{Total: total(30)}, 0, 10, 10, "10"},
		{"total says done", paging{Total: total(10)}, 0, 10, 10, ""},
		{"no total full page", paging{}, 0, 10, 10, "10"},
		{"no total short page", paging{}, 0, 10, 3, ""},
	}
	for _, tc := range cases {
		if got := nextCursor(tc.p, tc.start, tc.count, tc.got); got != tc.want {
			t.Errorf("%s: got %q want %q", tc.name, got, tc.want)
		}
	}
}

func TestPageArgs(t *testing.T) {
	t.Parallel()
	cases := []struct {
		cursor       string
		limit        int
		start, count int
		bad          bool
	}{
		{"", 0, 0, 10, false},
		{"", 500, 0, maxCount, false},
		{"40", 20, 40, 20, false},
		{"-1", 20, 0, 0, true},
		{"x", 20, 0, 0, true},
	}
	for _, tc := range cases {
		s, c, err := pageArgs(tc.cursor, tc.limit)
		if (err != nil) != tc.bad || (!tc.bad && (s != tc.start || c != tc.count)) {
			t.Errorf("pageArgs(%q,%d) = %d,%d,%v", tc.cursor, tc.limit, s, c, err)
		}
	}
}

func TestEncodeKey(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"urn:li:messagingThread:2-NjU5==":                     "urn%3Ali%3AmessagingThread%3A2-NjU5%3D%3D",
		"urn:li:endorsement:(urn:li:person:2qXA98-mVk,65761)": "urn%3Ali%3Aendorsement%3A%28urn%3Ali%3Aperson%3A2qXA98-mVk%2C65761%29",
		"a b": "a%20b",
	}
	for in, want := range cases {
		if got := EncodeKey(in); got != want {
			t.Errorf("EncodeKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWithVersionAndDefaults(t *testing.T) {
	t.Parallel()
	a := New("", nil)
	if a.base != DefaultBaseURL || a.hc != http.DefaultClient || a.version != DefaultVersion {
		t.Errorf("defaults: %v", a)
	}
	b := a.WithVersion("202601")
	if b.version != "202601" || a.version != DefaultVersion || a.WithVersion("").version != DefaultVersion {
		t.Error("WithVersion must copy")
	}
	if s := b.String(); s != "linkedin("+DefaultBaseURL+", 202601)" {
		t.Errorf("String() = %s", s)
	}
}
