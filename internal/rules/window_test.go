package rules

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/platform"
)

func at(t time.Time) *time.Time { return &t }

// allMessengerTags is what Messenger offered before the 2026 retirements
// (tPre); from then on only HUMAN_AGENT is offered.
var allMessengerTags = []string{TagHumanAgent, TagConfirmedEventUpdate, TagPostPurchaseUpdate, TagAccountUpdate}

func TestWindow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    platform.Name
		c    Conversation
		now  time.Time
		want ReplyWindow
	}{
		{"ig open", platform.Instagram, inbound(t0), t0.Add(time.Hour),
			ReplyWindow{Open: true, ClosesAt: at(t0.Add(day)), HumanAgentUntil: at(t0.Add(7 * day)), AllowedTags: []string{TagHumanAgent}}},
		{"ig 1ns before close", platform.Instagram, inbound(t0), t0.Add(day - ns),
			ReplyWindow{Open: true, ClosesAt: at(t0.Add(day)), HumanAgentUntil: at(t0.Add(7 * day)), AllowedTags: []string{TagHumanAgent}}},
		{"ig exactly 24h: human agent only", platform.Instagram, inbound(t0), t0.Add(day),
			ReplyWindow{Open: false, ClosesAt: at(t0.Add(day)), HumanAgentUntil: at(t0.Add(7 * day)), AllowedTags: []string{TagHumanAgent}}},
		{"ig exactly 7d: nothing", platform.Instagram, inbound(t0), t0.Add(7 * day),
			ReplyWindow{Open: false, ClosesAt: at(t0.Add(day)), AllowedTags: []string{}}},
		{"ig never inbound", platform.Instagram, Conversation{}, t0,
			ReplyWindow{AllowedTags: []string{}}},
		{"ms open", platform.Messenger, inbound(t0), t0.Add(time.Hour),
			ReplyWindow{Open: true, ClosesAt: at(t0.Add(day)), HumanAgentUntil: at(t0.Add(7 * day)), AllowedTags: []string{TagHumanAgent}}},
		{"ms day 3", platform.Messenger, inbound(t0), t0.Add(3 * day),
			ReplyWindow{Open: false, ClosesAt: at(t0.Add(day)), HumanAgentUntil: at(t0.Add(7 * day)), AllowedTags: []string{TagHumanAgent}}},
		{"ms day 8: retired tags not offered", platform.Messenger, inbound(t0), t0.Add(8 * day),
			ReplyWindow{Open: false, ClosesAt: at(t0.Add(day)), AllowedTags: []string{}}},
		{"ms never inbound: nothing", platform.Messenger, Conversation{}, t0,
			ReplyWindow{AllowedTags: []string{}}},
		// Before the 2026 retirements the update tags were offered.
		{"ms open before retirement", platform.Messenger, inbound(tPre), tPre.Add(time.Hour),
			ReplyWindow{Open: true, ClosesAt: at(tPre.Add(day)), HumanAgentUntil: at(tPre.Add(7 * day)), AllowedTags: allMessengerTags}},
		{"ms day 8 before retirement: update tags only", platform.Messenger, inbound(tPre), tPre.Add(8 * day),
			ReplyWindow{Open: false, ClosesAt: at(tPre.Add(day)), AllowedTags: []string{TagConfirmedEventUpdate, TagPostPurchaseUpdate, TagAccountUpdate}}},
		{"wa open", platform.WhatsApp, inbound(t0), t0.Add(time.Hour),
			ReplyWindow{Open: true, ClosesAt: at(t0.Add(day)), AllowedTags: []string{}}},
		{"wa exactly 24h: template", platform.WhatsApp, inbound(t0), t0.Add(day),
			ReplyWindow{Open: false, ClosesAt: at(t0.Add(day)), AllowedTags: []string{}, RequiresTemplate: true}},
		{"wa never inbound: template", platform.WhatsApp, Conversation{}, t0,
			ReplyWindow{AllowedTags: []string{}, RequiresTemplate: true}},
		{"wa ctwa before first reply: no entry point yet", platform.WhatsApp, ctwa(Conversation{}), t0.Add(time.Hour),
			ReplyWindow{Open: true, ClosesAt: at(t0.Add(day)), AllowedTags: []string{}}},
		{"wa ctwa after reply: entry point shown", platform.WhatsApp, ctwa(Conversation{EntryPointReplyAt: t0.Add(time.Hour)}), t0.Add(2 * day),
			ReplyWindow{Open: false, ClosesAt: at(t0.Add(day)), AllowedTags: []string{}, RequiresTemplate: true, EntryPointUntil: at(t0.Add(time.Hour + 3*day))}},
		{"wa ctwa entry point over", platform.WhatsApp, ctwa(Conversation{EntryPointReplyAt: t0.Add(time.Hour)}), t0.Add(time.Hour + 3*day),
			ReplyWindow{Open: false, ClosesAt: at(t0.Add(day)), AllowedTags: []string{}, RequiresTemplate: true}},
		{"x always open", platform.X, Conversation{}, t0, ReplyWindow{Open: true, AllowedTags: []string{}}},
		{"linkedin always open", platform.LinkedIn, inbound(t0.Add(-400 * day)), t0, ReplyWindow{Open: true, AllowedTags: []string{}}},
		{"tiktok closed", platform.TikTok, inbound(t0), t0, ReplyWindow{AllowedTags: []string{}}},
		{"unknown closed", "myspace", inbound(t0), t0, ReplyWindow{AllowedTags: []string{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Window(tt.p, tt.c, tt.now)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("\nwant %s\ngot  %s", mustJSON(t, tt.want), mustJSON(t, got))
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestWindowJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		w    ReplyWindow
		want string
	}{
		{"meta", Window(platform.Instagram, inbound(t0), t0),
			`{"open":true,"closes_at":"2026-09-02T12:00:00Z","human_agent_until":"2026-09-08T12:00:00Z","allowed_tags":["HUMAN_AGENT"],"requires_template":false}`},
		{"no window", Window(platform.X, Conversation{}, t0),
			`{"open":true,"closes_at":null,"human_agent_until":null,"allowed_tags":[],"requires_template":false}`},
		{"whatsapp entry point", Window(platform.WhatsApp, ctwa(Conversation{EntryPointReplyAt: t0}), t0.Add(2*day)),
			`{"open":false,"closes_at":"2026-09-02T12:00:00Z","human_agent_until":null,"allowed_tags":[],"requires_template":true,"entry_point_until":"2026-09-04T12:00:00Z"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustJSON(t, tt.w); got != tt.want {
				t.Fatalf("\nwant %s\ngot  %s", tt.want, got)
			}
		})
	}
}

func TestWindowUTC(t *testing.T) {
	t.Parallel()
	// Times come back in UTC whatever zone the stored time carried.
	paris := time.FixedZone("CET", 3600)
	w := Window(platform.Messenger, inbound(t0.In(paris)), t0)
	if w.ClosesAt.Location() != time.UTC || w.HumanAgentUntil.Location() != time.UTC {
		t.Fatalf("not UTC: %v %v", w.ClosesAt, w.HumanAgentUntil)
	}
}

// TestWindowAgreesWithDecide checks that Open, RequiresTemplate and
// AllowedTags predict Decide across the boundaries.
func TestWindowAgreesWithDecide(t *testing.T) {
	t.Parallel()
	convs := []Conversation{{}, inbound(t0), ctwa(Conversation{}), ctwa(Conversation{EntryPointReplyAt: t0.Add(time.Hour)})}
	offsets := []time.Duration{0, time.Hour, day - ns, day, 3 * day, 7*day - ns, 7 * day, 30 * day}
	for _, p := range []platform.Name{platform.Instagram, platform.Messenger, platform.WhatsApp, platform.X, platform.LinkedIn, platform.Threads} {
		for _, c := range convs {
			for _, off := range offsets {
				now := t0.Add(off)
				w := Window(p, c, now)
				if got := Decide(p, c, text("hi"), now).Allowed; got != w.Open {
					t.Errorf("%s %+v +%v: untagged allowed=%v, window open=%v", p, c, off, got, w.Open)
				}
				for _, tag := range Tags(p) {
					allowedByWindow := false
					for _, a := range w.AllowedTags {
						allowedByWindow = allowedByWindow || a == tag
					}
					if got := Decide(p, c, tagged(tag, false), now).Allowed; got != allowedByWindow {
						t.Errorf("%s %+v +%v tag %s: allowed=%v, window lists it=%v", p, c, off, tag, got, allowedByWindow)
					}
				}
				if p == platform.WhatsApp {
					tplOK := Decide(p, c, tmpl(CategoryUtility, TemplateApproved), now).Allowed
					if !tplOK {
						t.Errorf("whatsapp +%v: approved template refused", off)
					}
					if w.RequiresTemplate == w.Open {
						t.Errorf("whatsapp +%v: requires_template=%v with open=%v", off, w.RequiresTemplate, w.Open)
					}
				}
			}
		}
	}
}
