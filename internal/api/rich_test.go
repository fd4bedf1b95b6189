package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// Rich messages end to end (issue 18): over real HTTP through Parley to
// the emulators, which accept only what the platforms accept. A send with a
// rich field is delivered in the platform's native form; a field the
// platform cannot carry, or past its limit, is refused before any call.

func quickReplies(n int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = map[string]any{"title": fmt.Sprintf("Option %d", i+1), "payload": fmt.Sprintf("OPT_%d", i+1)}
	}
	return out
}

// errMeta is the error's meta object.
func errMeta(t *testing.T, r response) map[string]any {
	t.Helper()
	m, _ := r.body["error"].(map[string]any)["meta"].(map[string]any)
	return m
}

func TestRichSendsPerPlatform(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		l := newLiveEnv(t, b)
		send := func(scenario string, body map[string]any) response {
			t.Helper()
			if _, ok := body["text"]; !ok {
				body["text"] = "Which one?"
			}
			return l.do("POST", "/v1/inbox/conversations/"+l.conv(scenario)+"/messages", l.key, body)
		}
		graph := func(p platform.Name) []string { // what Graph last recorded, as text
			t.Helper()
			ms := l.emu.Graph.Messages(l.seeded.NativeIDs[p])
			if len(ms) == 0 {
				t.Fatalf("%s recorded no send", p)
			}
			return []string{fmt.Sprint(ms[len(ms)-1].QuickReplies), fmt.Sprint(ms[len(ms)-1].Template), ms[len(ms)-1].ReplyTo}
		}

		// What each platform carries is public, and so is the schema.
		caps := l.do("GET", "/v1/platforms", l.key, nil)
		expect(t, caps, 200, "")
		for _, c := range caps.body["data"].([]any) {
			c := c.(map[string]any)
			rich, _ := c["rich"].(map[string]any)
			switch c["platform"] {
			case "messenger":
				if rich["quick_replies"] != float64(13) || rich["cards"] != float64(10) || rich["reply_to"] != false {
					t.Fatalf("messenger rich capability %v", rich)
				}
			case "x", "linkedin":
				if rich["quick_replies"] != float64(0) || rich["attachments"] != float64(0) {
					t.Fatalf("%s rich capability %v", c["platform"], rich)
				}
			}
		}
		spec := l.do("GET", "/openapi.json", "", nil)
		for _, f := range []string{"quick_replies", "reply_to_message_id", "cards", "choice"} {
			if !strings.Contains(string(spec.raw), `"`+f+`"`) {
				t.Fatalf("openapi.json does not describe %s", f)
			}
		}

		// Refused up front: the platform cannot carry the field, nothing
		// reaches the emulator; dry runs refuse the same.
		for _, tc := range []struct {
			scenario string
			p        platform.Name
			body     map[string]any
			field    string
		}{
			{"x/open", platform.X, map[string]any{"quick_replies": quickReplies(2)}, "quick_replies"},
			{"x/open", platform.X, map[string]any{"attachments": []map[string]any{{"type": "image", "url": "https://cdn.example.com/a.png"}}}, "attachments"},
			{"x/open", platform.X, map[string]any{"reply_to_message_id": "1", "dry_run": true}, "reply_to_message_id"},
			{"linkedin/open", platform.LinkedIn, map[string]any{"buttons": []map[string]any{{"type": "url", "title": "Site", "url": "https://example.com"}}}, "buttons"},
			{"linkedin/open", platform.LinkedIn, map[string]any{"cards": []map[string]any{{"title": "A", "subtitle": "b"}}}, "cards"},
			{"whatsapp/open", platform.WhatsApp, map[string]any{"cards": []map[string]any{{"title": "A", "subtitle": "b"}}}, "cards"},
			{"messenger/open", platform.Messenger, map[string]any{"reply_to_message_id": "m_1"}, "reply_to_message_id"},
		} {
			before := l.sentCount(tc.p)
			r := send(tc.scenario, tc.body)
			expect(t, r, 422, "validation.unsupported_on_platform")
			if m := errMeta(t, r); m["field"] != tc.field || m["platform"] != string(tc.p) {
				t.Fatalf("%s %s: meta %v", tc.scenario, tc.field, m)
			}
			if n := l.sentCount(tc.p); n != before {
				t.Fatalf("%s: the platform was called although the send was refused", tc.scenario)
			}
		}

		// Limits at the boundary: 13 quick replies go, 14 do not; the
		// same check on a dry run.
		mBefore := l.sentCount(platform.Messenger)
		r := send("messenger/open", map[string]any{"quick_replies": quickReplies(14)})
		expect(t, r, 422, "validation.too_many")
		if m := errMeta(t, r); m["field"] != "quick_replies" || m["max"] != float64(13) {
			t.Fatalf("too many quick replies: meta %v", m)
		}
		expect(t, send("messenger/open", map[string]any{"quick_replies": quickReplies(14), "dry_run": true}), 422, "validation.too_many")
		long := map[string]any{"quick_replies": []map[string]any{{"title": strings.Repeat("t", 21), "payload": "P"}}}
		if m := errMeta(t, expectR(t, send("messenger/open", long), 422, "validation.too_long")); m["field"] != "quick_replies[0].title" || m["max"] != float64(20) {
			t.Fatalf("long title: meta %v", m)
		}
		expect(t, send("messenger/open", map[string]any{"quick_replies": quickReplies(1), "buttons": []map[string]any{{"type": "postback", "title": "B", "payload": "B"}}}),
			422, "validation.mutually_exclusive")
		if n := l.sentCount(platform.Messenger); n != mBefore {
			t.Fatal("a refused send reached Messenger")
		}
		r = send("messenger/open", map[string]any{"quick_replies": quickReplies(13)})
		expect(t, r, 201, "")
		if got := r.data(t)["quick_replies"].([]any); len(got) != 13 {
			t.Fatalf("answer offers %d quick replies", len(got))
		}
		if qr := graph(platform.Messenger)[0]; !strings.Contains(qr, "{Option 13 OPT_13}") {
			t.Fatalf("Messenger recorded quick replies %s", qr)
		}

		// A button template (Messenger) and a carousel with a reply (Instagram).
		expect(t, send("messenger/open", map[string]any{"buttons": []map[string]any{
			{"type": "url", "title": "Track", "url": "https://shop.example.com/t/1"},
			{"type": "postback", "title": "Talk to us", "payload": "HUMAN"}}}), 201, "")
		if tpl := graph(platform.Messenger)[1]; !strings.Contains(tpl, "button Which one?") || !strings.Contains(tpl, "{web_url Track https://shop.example.com/t/1 }") ||
			!strings.Contains(tpl, "{postback Talk to us  HUMAN}") {
			t.Fatalf("Messenger recorded template %s", tpl)
		}
		hist := l.do("GET", "/v1/inbox/conversations/"+l.conv("instagram/open")+"/messages", l.key, nil)
		expect(t, hist, 200, "")
		target := hist.body["data"].([]any)[0].(map[string]any)["platform_id"].(string)
		igBefore := l.sentCount(platform.Instagram)
		r = send("instagram/open", map[string]any{"reply_to_message_id": target, "cards": []map[string]any{
			{"title": "Blue jacket", "subtitle": "Medium, in stock", "image_url": "https://cdn.example.com/j.png",
				"buttons": []map[string]any{{"type": "postback", "title": "Buy", "payload": "BUY_J"}}},
			{"title": "Red jacket", "subtitle": "Small"}}})
		expect(t, r, 201, "")
		if d := r.data(t); d["reply_to_message_id"] != target || len(d["cards"].([]any)) != 2 {
			t.Fatalf("answer %v", d)
		}
		igMsgs := l.emu.Graph.Messages(l.seeded.NativeIDs[platform.Instagram])
		if len(igMsgs)-igBefore != 2 || igMsgs[len(igMsgs)-2].Text != "Which one?" || igMsgs[len(igMsgs)-2].ReplyTo != target {
			t.Fatalf("Instagram: want the text (as the reply) then the carousel: %+v", igMsgs[igBefore:])
		}
		if tpl := igMsgs[len(igMsgs)-1].Template; tpl == nil || tpl.Type != "generic" || len(tpl.Elements) != 2 || tpl.Elements[0].Buttons[0].Payload != "BUY_J" {
			t.Fatalf("Instagram recorded %+v", tpl)
		}
		// Two platform messages for one send: message_ids names both, in
		// order, and message_id (data.id) the last.
		if ids, _ := r.body["message_ids"].([]any); len(ids) != 2 || ids[0] != igMsgs[len(igMsgs)-2].ID || ids[1] != igMsgs[len(igMsgs)-1].ID ||
			r.body["message_id"] != igMsgs[len(igMsgs)-1].ID || r.data(t)["id"] != r.body["message_id"] {
			t.Fatalf("message_ids %v, message_id %v for the text %s and the carousel %s", r.body["message_ids"], r.body["message_id"],
				igMsgs[len(igMsgs)-2].ID, igMsgs[len(igMsgs)-1].ID)
		}

		// WhatsApp: 4 quick replies become a list, as a reply; a url
		// button a cta_url message. Ten rows are the most (dry run).
		expect(t, send("whatsapp/open", map[string]any{"quick_replies": quickReplies(10), "dry_run": true}), 201, "")
		expect(t, send("whatsapp/open", map[string]any{"quick_replies": quickReplies(11), "dry_run": true}), 422, "validation.too_many")
		waID := l.seeded.NativeIDs[platform.WhatsApp]
		inbound := l.emu.WhatsApp.InboundMessages(waID)
		var last string
		for _, m := range inbound {
			if m.From == "16505551234" {
				last = m.ID
			}
		}
		expect(t, send("whatsapp/open", map[string]any{"quick_replies": quickReplies(4), "reply_to_message_id": last}), 201, "")
		wa := l.emu.WhatsApp.Messages(waID)
		got := wa[len(wa)-1]
		if got.Type != "interactive" || got.Interactive.Type != "list" || len(got.Interactive.Action.Sections[0].Rows) != 4 || got.ReplyTo != last {
			t.Fatalf("WhatsApp recorded %+v %+v", got, got.Interactive)
		}
		expect(t, send("whatsapp/ad_referral", map[string]any{"buttons": []map[string]any{{"type": "url", "title": "Track", "url": "https://shop.example.com/t/1"}}}), 201, "")
		wa = l.emu.WhatsApp.Messages(waID)
		if in := wa[len(wa)-1].Interactive; in == nil || in.Type != "cta_url" || in.Action.Parameters.URL != "https://shop.example.com/t/1" {
			t.Fatalf("WhatsApp recorded %+v", in)
		}
	})
}

// expectR is expect that returns the response.
func expectR(t *testing.T, r response, status int, code string) response {
	t.Helper()
	expect(t, r, status, code)
	return r
}

// TestTapBecomesMessageReceived: a customer taps a quick reply (Messenger)
// and a list row (WhatsApp), and replies to a message (Instagram); the
// business's endpoint gets message.received with the choice's payload and
// the referenced message id.
func TestTapBecomesMessageReceived(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		l := newVerifyEnv(t, b)
		next := subscribe(t, l, "message.received")
		send := func(scenario string, body map[string]any) map[string]any {
			t.Helper()
			r := l.do("POST", "/v1/inbox/conversations/"+l.conv(scenario)+"/messages", l.key, body)
			expect(t, r, 201, "")
			return r.data(t)
		}

		// Messenger quick reply.
		sent := send("messenger/open", map[string]any{"text": "Which size?", "quick_replies": []map[string]any{
			{"title": "Small", "payload": "SIZE_S"}, {"title": "Medium", "payload": "SIZE_M"}}})
		psid := "6100000000000001"
		page := l.seeded.NativeIDs[platform.Messenger]
		if _, err := l.emu.Graph.TapQuickReply(page, psid, "SIZE_X"); err == nil {
			t.Fatal("tapped a quick reply that was never offered")
		}
		tap, err := l.emu.Graph.TapQuickReply(page, psid, "SIZE_M")
		if err != nil {
			t.Fatal(err)
		}
		ev := next("message.received", about(tap.ID))
		m := ev["message"].(map[string]any)
		if c, _ := m["choice"].(map[string]any); c["payload"] != "SIZE_M" || c["type"] != "quick_reply" || m["text"] != "Medium" {
			t.Fatalf("quick reply tap: %v", m)
		}
		_ = sent

		// Instagram: a reply to one of the business's messages.
		ig := l.seeded.NativeIDs[platform.Instagram]
		out := send("instagram/open", map[string]any{"text": "Here is the tracking link."})
		rep, err := l.emu.Graph.ReplyTo(ig, "6100000000000001", out["platform_id"].(string), "thanks!")
		if err != nil {
			t.Fatal(err)
		}
		if m := next("message.received", about(rep.ID))["message"].(map[string]any); m["reply_to_message_id"] != out["platform_id"] {
			t.Fatalf("reply: %v", m)
		}

		// WhatsApp list row.
		wsent := send("whatsapp/open", map[string]any{"text": "Pick a colour", "quick_replies": quickReplies(5)})
		row, err := l.emu.WhatsApp.Tap(l.seeded.NativeIDs[platform.WhatsApp], "16505551234", "Ana", "OPT_4")
		if err != nil {
			t.Fatal(err)
		}
		m = next("message.received", about(row.ID))["message"].(map[string]any)
		if c, _ := m["choice"].(map[string]any); c["payload"] != "OPT_4" || c["type"] != "list_item" || m["reply_to_message_id"] != wsent["platform_id"] {
			t.Fatalf("list tap: %v", m)
		}
		// The journal keeps the choice too.
		if h := history(t, l, l.conv("whatsapp/open"), row.ID); h["choice"] == nil {
			t.Fatalf("journalled tap without its choice: %v", h)
		}
	})
}
