package rules

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/platform"
)

// t0 is before ServiceChargesFrom, so the historical free service window
// rules apply; tAfter is after it.
var (
	t0 = time.Date(2026, time.September, 1, 12, 0, 0, 0, time.UTC)
	// tPre is before Meta retired the Messenger update tags (retiredTags).
	tPre   = time.Date(2026, time.March, 1, 12, 0, 0, 0, time.UTC)
	tAfter = time.Date(2026, time.November, 2, 12, 0, 0, 0, time.UTC)
)

const (
	day = 24 * time.Hour
	ns  = time.Nanosecond
)

func inbound(at time.Time) Conversation { return Conversation{LastInboundAt: at} }

func text(s string) Request { return Request{Text: s} }

func tagged(tag string, automated bool) Request {
	return Request{Text: "hi", Tag: tag, Automated: automated}
}

func tmpl(category, status string) Request {
	return Request{Template: &TemplateRef{Name: "order_update", Language: "en_US", Category: category, Status: status}}
}

// want is the expected outcome of one Decide call.
type want struct {
	status  int    // 0 when allowed
	code    string // error code when refused
	field   string // meta.field when set
	msgType string
	pricing *Pricing
	opensEP bool
}

func checkDecision(t *testing.T, got Decision, w want) {
	t.Helper()
	if w.status == 0 {
		if !got.Allowed || got.Err != nil {
			t.Fatalf("want allowed, got refused: %v", got.Err)
		}
	} else {
		if got.Allowed || got.Err == nil {
			t.Fatalf("want %d %s, got allowed %+v", w.status, w.code, got)
		}
		if got.Err.Status != w.status || got.Err.Code != w.code {
			t.Fatalf("want %d %s, got %d %s (%s)", w.status, w.code, got.Err.Status, got.Err.Code, got.Err.Message)
		}
		if w.field != "" && got.Err.Meta["field"] != w.field {
			t.Fatalf("want meta.field %q, got %v", w.field, got.Err.Meta["field"])
		}
		if got.Err.Message == "" {
			t.Fatal("refusal without a human message")
		}
	}
	if got.MessagingType != w.msgType {
		t.Fatalf("messaging type: want %q, got %q", w.msgType, got.MessagingType)
	}
	if !reflect.DeepEqual(got.Pricing, w.pricing) {
		t.Fatalf("pricing: want %+v, got %+v", w.pricing, got.Pricing)
	}
	if got.OpensEntryPoint != w.opensEP {
		t.Fatalf("opens entry point: want %v, got %v", w.opensEP, got.OpensEntryPoint)
	}
}

func free(cat, typ string) *Pricing { return &Pricing{Category: cat, Free: true, Type: typ} }
func paid(cat string) *Pricing      { return &Pricing{Category: cat, Free: false, Type: PricingRegular} }

var (
	okResponse = want{msgType: MessagingTypeResponse}
	okTag      = want{msgType: MessagingTypeMessageTag}
	closed     = want{status: http.StatusGone, code: CodeWindowClosed}
	retired    = want{status: http.StatusUnprocessableEntity, code: CodeTagRetired, field: "tag"}
)

func TestDecideMeta(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    platform.Name
		c    Conversation
		r    Request
		now  time.Time
		want want
	}{
		// Standard window, both platforms.
		{"ig fresh inbound", platform.Instagram, inbound(t0), text("hi"), t0.Add(time.Hour), okResponse},
		{"ig 1ns before 24h", platform.Instagram, inbound(t0), text("hi"), t0.Add(day - ns), okResponse},
		{"ig exactly 24h is closed", platform.Instagram, inbound(t0), text("hi"), t0.Add(day), closed},
		{"ig after 24h", platform.Instagram, inbound(t0), text("hi"), t0.Add(2 * day), closed},
		{"ig new inbound resets window", platform.Instagram, inbound(t0.Add(20 * time.Hour)), text("hi"), t0.Add(day + time.Hour), okResponse},
		{"ig never inbound closed", platform.Instagram, Conversation{}, text("hi"), t0, closed},
		{"ig attachment only", platform.Instagram, inbound(t0), Request{HasAttachment: true}, t0, okResponse},
		{"ig inbound in the future (clock skew) open", platform.Instagram, inbound(t0.Add(time.Minute)), text("hi"), t0, okResponse},
		{"ms fresh inbound", platform.Messenger, inbound(t0), text("hi"), t0.Add(time.Hour), okResponse},
		{"ms 1ns before 24h", platform.Messenger, inbound(t0), text("hi"), t0.Add(day - ns), okResponse},
		{"ms exactly 24h is closed", platform.Messenger, inbound(t0), text("hi"), t0.Add(day), closed},
		{"ms never inbound closed", platform.Messenger, Conversation{}, text("hi"), t0, closed},
		{"ms outbound does not reopen", platform.Messenger, Conversation{LastInboundAt: t0, LastOutboundAt: t0.Add(2 * day)}, text("hi"), t0.Add(2 * day), closed},

		// HUMAN_AGENT.
		{"ig human agent inside 24h", platform.Instagram, inbound(t0), tagged(TagHumanAgent, false), t0.Add(time.Hour), okTag},
		{"ig human agent day 3", platform.Instagram, inbound(t0), tagged(TagHumanAgent, false), t0.Add(3 * day), okTag},
		{"ig human agent 1ns before 7d", platform.Instagram, inbound(t0), tagged(TagHumanAgent, false), t0.Add(7*day - ns), okTag},
		{"ig human agent exactly 7d closed", platform.Instagram, inbound(t0), tagged(TagHumanAgent, false), t0.Add(7 * day), closed},
		{"ms human agent 1ns before 7d", platform.Messenger, inbound(t0), tagged(TagHumanAgent, false), t0.Add(7*day - ns), okTag},
		{"ms human agent exactly 7d closed", platform.Messenger, inbound(t0), tagged(TagHumanAgent, false), t0.Add(7 * day), closed},
		{"ig human agent never inbound", platform.Instagram, Conversation{}, tagged(TagHumanAgent, false), t0, closed},
		{"ig human agent automated refused", platform.Instagram, inbound(t0), tagged(TagHumanAgent, true), t0.Add(3 * day),
			want{status: 422, code: CodeTagNotAllowed, field: "tag"}},
		{"ms human agent automated refused even in window", platform.Messenger, inbound(t0), tagged(TagHumanAgent, true), t0.Add(time.Hour),
			want{status: 422, code: CodeTagNotAllowed, field: "tag"}},
		{"automated untagged reply in window ok", platform.Instagram, inbound(t0), Request{Text: "bot", Automated: true}, t0.Add(time.Hour), okResponse},

		// Messenger-only tags, before Meta retired them (2026-04-27).
		{"ms confirmed event outside window", platform.Messenger, inbound(tPre), tagged(TagConfirmedEventUpdate, true), tPre.Add(30 * day), okTag},
		{"ms post purchase outside window", platform.Messenger, inbound(tPre), tagged(TagPostPurchaseUpdate, false), tPre.Add(30 * day), okTag},
		{"ms account update outside window", platform.Messenger, inbound(tPre), tagged(TagAccountUpdate, true), tPre.Add(30 * day), okTag},
		{"ms account update inside window", platform.Messenger, inbound(tPre), tagged(TagAccountUpdate, false), tPre.Add(time.Hour), okTag},
		{"ms account update inbound unknown", platform.Messenger, Conversation{}, tagged(TagAccountUpdate, false), tPre, okTag},
		// ... and after: refused before Meta is called, even inside the window.
		{"ms confirmed event retired", platform.Messenger, inbound(t0), tagged(TagConfirmedEventUpdate, false), t0.Add(2 * day), retired},
		{"ms post purchase retired", platform.Messenger, inbound(t0), tagged(TagPostPurchaseUpdate, false), t0.Add(30 * day), retired},
		{"ms account update retired inside window", platform.Messenger, inbound(t0), tagged(TagAccountUpdate, false), t0.Add(time.Hour), retired},
		{"ms account update retired inbound unknown", platform.Messenger, Conversation{}, tagged(TagAccountUpdate, true), t0, retired},
		{"ig confirmed event refused", platform.Instagram, inbound(t0), tagged(TagConfirmedEventUpdate, false), t0.Add(time.Hour),
			want{status: 422, code: CodeTagNotSupported, field: "tag"}},
		{"ig post purchase refused", platform.Instagram, inbound(t0), tagged(TagPostPurchaseUpdate, false), t0.Add(30 * day),
			want{status: 422, code: CodeTagNotSupported, field: "tag"}},
		{"ig account update refused", platform.Instagram, inbound(t0), tagged(TagAccountUpdate, false), t0,
			want{status: 422, code: CodeTagNotSupported, field: "tag"}},
		{"unknown tag refused", platform.Messenger, inbound(t0), tagged("CUSTOMER_FEEDBACK", false), t0,
			want{status: 422, code: CodeInvalidField, field: "tag"}},
		{"lower-case tag refused", platform.Messenger, inbound(t0), tagged("human_agent", false), t0,
			want{status: 422, code: CodeInvalidField, field: "tag"}},

		// Templates are WhatsApp only.
		{"ig template refused", platform.Instagram, inbound(t0), tmpl(CategoryUtility, TemplateApproved), t0,
			want{status: 422, code: CodeTemplateNotSupported, field: "template"}},
		{"ms template refused", platform.Messenger, inbound(t0), tmpl(CategoryUtility, TemplateApproved), t0,
			want{status: 422, code: CodeTemplateNotSupported, field: "template"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkDecision(t, Decide(tt.p, tt.c, tt.r, tt.now), tt.want)
		})
	}
}

func optionTags(t *testing.T, meta map[string]any) []string {
	t.Helper()
	opts, ok := meta["options"].([]Option)
	if !ok {
		t.Fatalf("meta.options is %T, want []Option", meta["options"])
	}
	var out []string
	for _, o := range opts {
		switch o.Kind {
		case "tag":
			out = append(out, o.Tag)
		default:
			out = append(out, o.Kind)
		}
	}
	return out
}

func TestWindowClosedMeta(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		p        platform.Name
		c        Conversation
		r        Request
		now      time.Time
		closedAt any
		options  []string
	}{
		{"ig day 2: human agent remains", platform.Instagram, inbound(t0), text("hi"), t0.Add(2 * day),
			t0.Add(day), []string{TagHumanAgent, "wait_for_inbound"}},
		{"ms day 2: human agent remains, retired tags not offered", platform.Messenger, inbound(t0), text("hi"), t0.Add(2 * day),
			t0.Add(day), []string{TagHumanAgent, "wait_for_inbound"}},
		{"ms day 2 before retirement: human agent and tags remain", platform.Messenger, inbound(tPre), text("hi"), tPre.Add(2 * day),
			tPre.Add(day), []string{TagHumanAgent, TagConfirmedEventUpdate, TagPostPurchaseUpdate, TagAccountUpdate, "wait_for_inbound"}},
		{"ig day 8: nothing but waiting", platform.Instagram, inbound(t0), text("hi"), t0.Add(8 * day),
			t0.Add(day), []string{"wait_for_inbound"}},
		{"ms day 8: nothing but waiting", platform.Messenger, inbound(t0), text("hi"), t0.Add(8 * day),
			t0.Add(day), []string{"wait_for_inbound"}},
		{"ms day 8 before retirement: tags remain", platform.Messenger, inbound(tPre), text("hi"), tPre.Add(8 * day),
			tPre.Add(day), []string{TagConfirmedEventUpdate, TagPostPurchaseUpdate, TagAccountUpdate, "wait_for_inbound"}},
		{"ms human agent after 7d: closed_at is the 7d mark", platform.Messenger, inbound(t0), tagged(TagHumanAgent, false), t0.Add(8 * day),
			t0.Add(7 * day), []string{"wait_for_inbound"}},
		{"ig never inbound: closed_at null", platform.Instagram, Conversation{}, text("hi"), t0,
			nil, []string{"wait_for_inbound"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Decide(tt.p, tt.c, tt.r, tt.now)
			if d.Err == nil || d.Err.Code != CodeWindowClosed || d.Err.Status != http.StatusGone {
				t.Fatalf("want 410 window_closed, got %+v", d)
			}
			v, ok := d.Err.Meta["closed_at"]
			if !ok {
				t.Fatal("meta.closed_at missing")
			}
			if tt.closedAt == nil {
				if v != nil {
					t.Fatalf("closed_at: want nil, got %v", v)
				}
			} else if got, ok := v.(time.Time); !ok || !got.Equal(tt.closedAt.(time.Time)) {
				t.Fatalf("closed_at: want %v, got %v", tt.closedAt, v)
			}
			if got := optionTags(t, d.Err.Meta); !reflect.DeepEqual(got, tt.options) {
				t.Fatalf("options: want %v, got %v", tt.options, got)
			}
		})
	}
}

func TestWindowClosedHumanAgentOption(t *testing.T) {
	t.Parallel()
	d := Decide(platform.Instagram, inbound(t0), text("hi"), t0.Add(2*day))
	opts := d.Err.Meta["options"].([]Option)
	ha := opts[0]
	if ha.Tag != TagHumanAgent || !ha.HumanOnly || ha.Until == nil || !ha.Until.Equal(t0.Add(7*day)) {
		t.Fatalf("HUMAN_AGENT option: %+v", ha)
	}
	// The error renders as JSON (the REST and MCP transports encode meta).
	b, err := json.Marshal(d.Err.Meta)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`"closed_at":"2026-09-02T12:00:00Z"`, `"until":"2026-09-08T12:00:00Z"`, `"human_only":true`} {
		if !strings.Contains(string(b), s) {
			t.Fatalf("meta JSON %s lacks %s", b, s)
		}
	}
}

// Conversations opened from a Click-to-WhatsApp ad: the referral inbound is at t0.
func ctwa(c Conversation) Conversation {
	c.ReferralAt = t0
	if c.LastInboundAt.IsZero() {
		c.LastInboundAt = t0
	}
	return c
}

func TestDecideWhatsApp(t *testing.T) {
	t.Parallel()
	tplReq := func(cat string) Request { return tmpl(cat, TemplateApproved) }
	required := want{status: http.StatusGone, code: CodeTemplateRequired}
	tests := []struct {
		name string
		c    Conversation
		r    Request
		now  time.Time
		want want
	}{
		// Customer service window and free-form messages.
		{"free-form in window", inbound(t0), text("hi"), t0.Add(time.Hour),
			want{pricing: free(CategoryService, PricingFreeCustomerService)}},
		{"free-form 1ns before 24h", inbound(t0), text("hi"), t0.Add(day - ns),
			want{pricing: free(CategoryService, PricingFreeCustomerService)}},
		{"free-form exactly 24h needs template", inbound(t0), text("hi"), t0.Add(day), required},
		{"free-form never inbound needs template", Conversation{}, text("hi"), t0, required},
		{"attachment outside window needs template", inbound(t0), Request{HasAttachment: true}, t0.Add(2 * day), required},
		{"new inbound resets service window", inbound(t0.Add(day)), text("hi"), t0.Add(day + 23*time.Hour),
			want{pricing: free(CategoryService, PricingFreeCustomerService)}},

		// Templates and pricing.
		{"utility in window is free", inbound(t0), tplReq(CategoryUtility), t0.Add(time.Hour),
			want{pricing: free(CategoryUtility, PricingFreeCustomerService)}},
		{"utility outside window is paid", inbound(t0), tplReq(CategoryUtility), t0.Add(day),
			want{pricing: paid(CategoryUtility)}},
		{"utility never inbound is paid", Conversation{}, tplReq(CategoryUtility), t0,
			want{pricing: paid(CategoryUtility)}},
		{"marketing in window is paid", inbound(t0), tplReq(CategoryMarketing), t0.Add(time.Hour),
			want{pricing: paid(CategoryMarketing)}},
		{"marketing outside window is paid", inbound(t0), tplReq(CategoryMarketing), t0.Add(3 * day),
			want{pricing: paid(CategoryMarketing)}},
		{"authentication in window is paid", inbound(t0), tplReq(CategoryAuthentication), t0.Add(time.Hour),
			want{pricing: paid(CategoryAuthentication)}},
		{"authentication_international outside window is paid", inbound(t0), tplReq(CategoryAuthenticationInternational), t0.Add(3 * day),
			want{pricing: paid(CategoryAuthenticationInternational)}},

		// After Meta started charging service and in-window utility messages.
		{"after change: free-form in window is paid", inbound(tAfter), text("hi"), tAfter.Add(time.Hour),
			want{pricing: paid(CategoryService)}},
		{"after change: utility in window is paid", inbound(tAfter), tplReq(CategoryUtility), tAfter.Add(time.Hour),
			want{pricing: paid(CategoryUtility)}},

		// Free entry point window (Click-to-WhatsApp ad / Page CTA referral at t0).
		{"ctwa first reply opens entry point", ctwa(Conversation{}), text("hi"), t0.Add(time.Hour),
			want{pricing: free(CategoryService, PricingFreeEntryPoint), opensEP: true}},
		{"ctwa first reply as marketing template is free", ctwa(Conversation{}), tplReq(CategoryMarketing), t0.Add(time.Hour),
			want{pricing: free(CategoryMarketing, PricingFreeEntryPoint), opensEP: true}},
		{"ctwa first reply 1ns before 24h still opens", ctwa(Conversation{}), tplReq(CategoryMarketing), t0.Add(day - ns),
			want{pricing: free(CategoryMarketing, PricingFreeEntryPoint), opensEP: true}},
		{"ctwa no reply within 24h: marketing paid", ctwa(Conversation{}), tplReq(CategoryMarketing), t0.Add(day),
			want{pricing: paid(CategoryMarketing)}},
		{"ctwa marketing day 2 inside 72h is free", ctwa(Conversation{EntryPointReplyAt: t0.Add(time.Hour)}), tplReq(CategoryMarketing), t0.Add(2 * day),
			want{pricing: free(CategoryMarketing, PricingFreeEntryPoint)}},
		{"ctwa marketing 1ns before reply+72h is free", ctwa(Conversation{EntryPointReplyAt: t0.Add(time.Hour)}), tplReq(CategoryMarketing), t0.Add(time.Hour + 3*day - ns),
			want{pricing: free(CategoryMarketing, PricingFreeEntryPoint)}},
		{"ctwa marketing exactly reply+72h is paid", ctwa(Conversation{EntryPointReplyAt: t0.Add(time.Hour)}), tplReq(CategoryMarketing), t0.Add(time.Hour + 3*day),
			want{pricing: paid(CategoryMarketing)}},
		{"ctwa free-form day 2 still needs template", ctwa(Conversation{EntryPointReplyAt: t0.Add(time.Hour)}), text("hi"), t0.Add(2 * day), required},
		{"ctwa reply recorded too late: no entry point", ctwa(Conversation{EntryPointReplyAt: t0.Add(day)}), tplReq(CategoryMarketing), t0.Add(2 * day),
			want{pricing: paid(CategoryMarketing)}},
		{"ctwa inferred from last outbound: window from referral", ctwa(Conversation{LastOutboundAt: t0.Add(5 * time.Hour)}), tplReq(CategoryMarketing), t0.Add(3*day - ns),
			want{pricing: free(CategoryMarketing, PricingFreeEntryPoint)}},
		{"ctwa inferred from last outbound: ends at referral+72h", ctwa(Conversation{LastOutboundAt: t0.Add(5 * time.Hour)}), tplReq(CategoryMarketing), t0.Add(3 * day),
			want{pricing: paid(CategoryMarketing)}},
		{"ctwa last outbound too late to infer: paid", ctwa(Conversation{LastOutboundAt: t0.Add(30 * time.Hour)}), tplReq(CategoryMarketing), t0.Add(2 * day),
			want{pricing: paid(CategoryMarketing)}},
		{"ctwa outbound before referral is not a reply", ctwa(Conversation{LastOutboundAt: t0.Add(-time.Hour)}), tplReq(CategoryMarketing), t0.Add(time.Hour),
			want{pricing: free(CategoryMarketing, PricingFreeEntryPoint), opensEP: true}},
		{"ctwa free even after service charges began", Conversation{ReferralAt: tAfter, LastInboundAt: tAfter}, text("hi"), tAfter.Add(time.Hour),
			want{pricing: free(CategoryService, PricingFreeEntryPoint), opensEP: true}},

		// Template validation.
		{"template not approved", inbound(t0), tmpl(CategoryUtility, "PENDING"), t0,
			want{status: 422, code: CodeTemplateNotApproved}},
		{"template rejected", inbound(t0), tmpl(CategoryMarketing, "REJECTED"), t0,
			want{status: 422, code: CodeTemplateNotApproved}},
		{"template status unknown", inbound(t0), tmpl(CategoryMarketing, ""), t0,
			want{status: 422, code: CodeTemplateNotApproved}},
		{"template unknown category", inbound(t0), tmpl("promo", TemplateApproved), t0,
			want{status: 422, code: CodeInvalidField, field: "template.category"}},
		{"template service category refused", inbound(t0), tmpl(CategoryService, TemplateApproved), t0,
			want{status: 422, code: CodeInvalidField, field: "template.category"}},
		{"template without name", inbound(t0), Request{Template: &TemplateRef{Language: "en", Category: CategoryUtility, Status: TemplateApproved}}, t0,
			want{status: 422, code: CodeRequired, field: "template.name"}},
		{"template without language", inbound(t0), Request{Template: &TemplateRef{Name: "x", Category: CategoryUtility, Status: TemplateApproved}}, t0,
			want{status: 422, code: CodeRequired, field: "template.language"}},
		{"template with text refused", inbound(t0), Request{Text: "hi", Template: tplReq(CategoryUtility).Template}, t0,
			want{status: 422, code: CodeInvalidField, field: "text"}},
		{"template with attachment refused", inbound(t0), Request{HasAttachment: true, Template: tplReq(CategoryUtility).Template}, t0,
			want{status: 422, code: CodeInvalidField, field: "attachment"}},

		// Tags are not a WhatsApp thing.
		{"tag refused", inbound(t0), tagged(TagHumanAgent, false), t0,
			want{status: 422, code: CodeTagNotSupported, field: "tag"}},
		{"messenger tag refused", inbound(t0), tagged(TagAccountUpdate, false), t0,
			want{status: 422, code: CodeTagNotSupported, field: "tag"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkDecision(t, Decide(platform.WhatsApp, tt.c, tt.r, tt.now), tt.want)
		})
	}
}

func TestTemplateRequiredMeta(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		c        Conversation
		now      time.Time
		closedAt any
		freeTpl  bool
	}{
		{"after window", inbound(t0), t0.Add(2 * day), t0.Add(day), false},
		{"never inbound", Conversation{}, t0, nil, false},
		{"inside entry point window", ctwa(Conversation{EntryPointReplyAt: t0.Add(time.Hour)}), t0.Add(2 * day), t0.Add(day), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Decide(platform.WhatsApp, tt.c, text("hi"), tt.now)
			if d.Err == nil || d.Err.Code != CodeTemplateRequired {
				t.Fatalf("want template_required, got %+v", d)
			}
			v := d.Err.Meta["closed_at"]
			if tt.closedAt == nil {
				if v != nil {
					t.Fatalf("closed_at: want nil, got %v", v)
				}
			} else if got, ok := v.(time.Time); !ok || !got.Equal(tt.closedAt.(time.Time)) {
				t.Fatalf("closed_at: want %v, got %v", tt.closedAt, v)
			}
			opts := d.Err.Meta["options"].([]Option)
			if len(opts) != 2 || opts[0].Kind != "template" || opts[1].Kind != "wait_for_inbound" {
				t.Fatalf("options: %+v", opts)
			}
			if opts[0].Free != tt.freeTpl {
				t.Fatalf("template option free: want %v, got %+v", tt.freeTpl, opts[0])
			}
			if tt.freeTpl && !opts[0].Until.Equal(t0.Add(time.Hour+3*day)) {
				t.Fatalf("template option until: %v", opts[0].Until)
			}
		})
	}
}

func TestDecideNoWindowPlatforms(t *testing.T) {
	t.Parallel()
	for _, p := range []platform.Name{platform.X, platform.LinkedIn} {
		tests := []struct {
			name string
			c    Conversation
			r    Request
			want want
		}{
			{"never inbound is open", Conversation{}, text("hi"), want{}},
			{"a year after inbound is open", inbound(t0.Add(-365 * day)), text("hi"), want{}},
			{"automated is fine", Conversation{}, Request{Text: "hi", Automated: true}, want{}},
			{"attachment only", Conversation{}, Request{HasAttachment: true}, want{}},
			{"human agent tag refused", Conversation{}, tagged(TagHumanAgent, false), want{status: 422, code: CodeTagNotSupported, field: "tag"}},
			{"messenger tag refused", Conversation{}, tagged(TagAccountUpdate, false), want{status: 422, code: CodeTagNotSupported, field: "tag"}},
			{"template refused", Conversation{}, tmpl(CategoryUtility, TemplateApproved), want{status: 422, code: CodeTemplateNotSupported, field: "template"}},
		}
		for _, tt := range tests {
			t.Run(string(p)+"/"+tt.name, func(t *testing.T) {
				checkDecision(t, Decide(p, tt.c, tt.r, t0), tt.want)
			})
		}
	}
}

func TestDecideNoDMAPI(t *testing.T) {
	t.Parallel()
	for _, p := range []platform.Name{platform.TikTok, platform.Threads, platform.YouTube, "myspace", ""} {
		t.Run(string(p), func(t *testing.T) {
			d := Decide(p, inbound(t0), text("hi"), t0)
			checkDecision(t, d, want{status: http.StatusNotImplemented, code: CodeNotSupported})
			if d.Err.Meta["platform"] != string(p) {
				t.Fatalf("meta.platform: %v", d.Err.Meta["platform"])
			}
		})
	}
}

func TestDecideContent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    platform.Name
		r    Request
		want want
	}{
		{"empty", platform.Messenger, Request{}, want{status: 422, code: CodeRequired, field: "text"}},
		{"whitespace only", platform.X, text(" \n\t "), want{status: 422, code: CodeRequired, field: "text"}},
		{"whitespace with attachment ok", platform.X, Request{Text: " ", HasAttachment: true}, want{}},
		{"invalid utf-8", platform.X, text("a\xffb"), want{status: 422, code: CodeInvalidField, field: "text"}},

		{"messenger 2000 chars ok", platform.Messenger, text(strings.Repeat("é", 2000)), okResponse},
		{"messenger 2001 chars refused", platform.Messenger, text(strings.Repeat("a", 2001)), want{status: 422, code: CodeInvalidField, field: "text"}},
		{"instagram 1000 bytes ok", platform.Instagram, text(strings.Repeat("a", 1000)), okResponse},
		{"instagram 1001 bytes refused", platform.Instagram, text(strings.Repeat("a", 1001)), want{status: 422, code: CodeInvalidField, field: "text"}},
		{"instagram 501 two-byte runes refused", platform.Instagram, text(strings.Repeat("é", 501)), want{status: 422, code: CodeInvalidField, field: "text"}},
		{"instagram 500 two-byte runes ok", platform.Instagram, text(strings.Repeat("é", 500)), okResponse},
		{"whatsapp 4096 chars ok", platform.WhatsApp, text(strings.Repeat("😀", 4096)), want{pricing: free(CategoryService, PricingFreeCustomerService)}},
		{"whatsapp 4097 chars refused", platform.WhatsApp, text(strings.Repeat("a", 4097)), want{status: 422, code: CodeInvalidField, field: "text"}},
		{"x 10000 chars ok", platform.X, text(strings.Repeat("a", 10000)), want{}},
		{"x 10001 chars refused", platform.X, text(strings.Repeat("a", 10001)), want{status: 422, code: CodeInvalidField, field: "text"}},
		{"linkedin long text ok (no documented limit)", platform.LinkedIn, text(strings.Repeat("a", 20000)), want{}},
		// Content errors win over window errors: fix the request first.
		{"too long and window closed: 422", platform.Messenger, text(strings.Repeat("a", 2001)), want{status: 422, code: CodeInvalidField, field: "text"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := t0.Add(time.Hour)
			if strings.Contains(tt.name, "window closed") {
				now = t0.Add(30 * day)
			}
			checkDecision(t, Decide(tt.p, inbound(t0), tt.r, now), tt.want)
		})
	}
}

func TestTextTooLongMeta(t *testing.T) {
	t.Parallel()
	d := Decide(platform.Instagram, inbound(t0), text(strings.Repeat("é", 501)), t0)
	m := d.Err.Meta
	if m["max"] != 1000 || m["unit"] != "bytes" || m["length"] != 1002 {
		t.Fatalf("meta: %v", m)
	}
}

func TestDecidePure(t *testing.T) {
	t.Parallel()
	// Same inputs, same answer; the inputs are not modified.
	c := ctwa(Conversation{LastOutboundAt: t0.Add(time.Hour)})
	r := tmpl(CategoryMarketing, TemplateApproved)
	before := *r.Template
	a := Decide(platform.WhatsApp, c, r, t0.Add(2*day))
	b := Decide(platform.WhatsApp, c, r, t0.Add(2*day))
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("not deterministic: %+v vs %+v", a, b)
	}
	if *r.Template != before {
		t.Fatal("template modified")
	}
}

func TestServiceChargesFrom(t *testing.T) {
	t.Parallel()
	want := time.Date(2026, time.October, 1, 0, 0, 0, 0, time.UTC)
	if !ServiceChargesFrom().Equal(want) {
		t.Fatalf("got %v", ServiceChargesFrom())
	}
	// The boundary itself: 1ns before is free, at it is paid.
	c := inbound(want.Add(-time.Hour))
	checkDecision(t, Decide(platform.WhatsApp, c, text("hi"), want.Add(-ns)), want2(free(CategoryService, PricingFreeCustomerService)))
	checkDecision(t, Decide(platform.WhatsApp, c, text("hi"), want), want2(paid(CategoryService)))
}

func want2(p *Pricing) want { return want{pricing: p} }

// TestRetiredTagBoundary: the retirement applies by the send's date. One
// nanosecond before the table's date the tag still goes through; at the date
// it is refused with the tag, the date, the source and what still works.
func TestRetiredTagBoundary(t *testing.T) {
	t.Parallel()
	for _, rt := range RetiredTags() {
		t.Run(rt.Tag, func(t *testing.T) {
			if !rt.On.Equal(time.Date(2026, time.April, 27, 0, 0, 0, 0, time.UTC)) {
				t.Fatalf("%s retired on %v, want 2026-04-27", rt.Tag, rt.On)
			}
			last := rt.On.Add(-2 * day) // HUMAN_AGENT still open at the boundary
			before := Decide(platform.Messenger, inbound(last), tagged(rt.Tag, false), rt.On.Add(-ns))
			checkDecision(t, before, okTag)
			at := Decide(platform.Messenger, inbound(last), tagged(rt.Tag, false), rt.On)
			checkDecision(t, at, retired)
			m := at.Err.Meta
			if m["tag"] != rt.Tag || m["retired_on"] != "2026-04-27" || m["source"] != rt.Source ||
				!strings.HasPrefix(rt.Source, "https://") {
				t.Fatalf("meta: %+v", m)
			}
			if got := optionTags(t, m); !reflect.DeepEqual(got, []string{TagHumanAgent, "wait_for_inbound"}) {
				t.Fatalf("options: %v", got)
			}
			opts := m["options"].([]Option)
			if !opts[0].HumanOnly || opts[0].Until == nil || !opts[0].Until.Equal(last.Add(7*day)) {
				t.Fatalf("HUMAN_AGENT option: %+v", opts[0])
			}
			// The window report agrees with Decide on both sides of the date.
			if w := Window(platform.Messenger, inbound(last), rt.On.Add(-ns)); !reflect.DeepEqual(w.AllowedTags, allMessengerTags) {
				t.Fatalf("before: allowed_tags %v", w.AllowedTags)
			}
			if w := Window(platform.Messenger, inbound(last), rt.On); !reflect.DeepEqual(w.AllowedTags, []string{TagHumanAgent}) {
				t.Fatalf("at: allowed_tags %v", w.AllowedTags)
			}
			// Instagram never had the tag: still tag_not_supported, not retired.
			ig := Decide(platform.Instagram, inbound(last), tagged(rt.Tag, false), rt.On)
			checkDecision(t, ig, want{status: 422, code: CodeTagNotSupported, field: "tag"})
		})
	}
}
