package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/testsupport"
	"github.com/parleyhq/parley/internal/testsupport/parleytest"
	"github.com/parleyhq/parley/internal/webhook/stdwebhook"
)

// userEvent is one event as a user's endpoint received it.
type userEvent struct {
	Type string         `json:"type"`
	Data map[string]any `json:"data"`
}

// subscribe registers a loopback endpoint for the given event types and
// returns a function that waits for an event of a type matching a
// predicate, checking its Standard Webhooks signature with the endpoint's
// secret.
func subscribe(t *testing.T, l *liveEnv, types ...string) func(typ string, match func(map[string]any) bool) map[string]any {
	t.Helper()
	rcv := newReceiver(t)
	cr := l.do("POST", "/v1/webhooks", l.key, map[string]any{"url": rcv.srv.URL, "events": types})
	expect(t, cr, 201, "")
	secret := cr.data(t)["secret"].(string)
	return func(typ string, match func(map[string]any) bool) map[string]any {
		t.Helper()
		var found *delivered
		testsupport.Eventually(t, func() bool {
			rcv.mu.Lock()
			defer rcv.mu.Unlock()
			for i := range rcv.deliveries {
				var ev userEvent
				if json.Unmarshal([]byte(rcv.deliveries[i].body), &ev) == nil && ev.Type == typ && match(ev.Data) {
					d := rcv.deliveries[i]
					found = &d
					return true
				}
			}
			return false
		}, "no %s event reached the endpoint", typ)
		key, err := stdwebhook.ParseSecret(secret)
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{}
		for k, v := range found.headers {
			h.Set(k, v)
		}
		if err := stdwebhook.Verify(key, h, []byte(found.body), time.Now(), 5*time.Minute); err != nil {
			t.Fatalf("the %s delivery's signature does not verify: %v", typ, err)
		}
		var ev userEvent
		_ = json.Unmarshal([]byte(found.body), &ev)
		return ev.Data
	}
}

func about(id string) func(map[string]any) bool {
	return func(d map[string]any) bool { return d["message_id"] == id }
}

// history reads a conversation's messages and returns the one with the
// platform id.
func history(t *testing.T, l *liveEnv, conv, id string) map[string]any {
	t.Helper()
	r := l.do("GET", "/v1/inbox/conversations/"+conv+"/messages?limit=50", l.key, nil)
	expect(t, r, 200, "")
	for _, m := range r.body["data"].([]any) {
		if mm := m.(map[string]any); mm["platform_id"] == id {
			return mm
		}
	}
	t.Fatalf("message %s not in the history: %s", id, r.raw)
	return nil
}

// TestMetaEventKindsReachUsers drives every new Meta webhook kind from the
// Graph emulator through a signed webhook into Parley and out to the
// user's signed endpoint, on both databases: reactions, edits, unsends,
// standby messages, and receipts that set the status of the business's
// message in the history.
func TestMetaEventKindsReachUsers(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		l := newVerifyEnv(t, b)
		next := subscribe(t, l, "message.received", "message.delivered", "message.read", "message.reaction", "message.edited", "message.deleted")
		conv, thread := l.conv("messenger/open"), l.seeded.Threads["messenger/open"]
		th, err := l.emu.Graph.Thread(thread)
		if err != nil {
			t.Fatal(err)
		}
		psid := th.Participant.ID

		// The business replies through Parley; Meta reports it delivered, then read.
		sent := l.do("POST", "/v1/inbox/conversations/"+conv+"/messages", l.key, map[string]any{"text": "On its way!"})
		expect(t, sent, 201, "")
		mid := sent.data(t)["platform_id"].(string)
		if err := l.emu.Graph.Deliver(thread); err != nil {
			t.Fatal(err)
		}
		if d := next("message.delivered", about(mid)); d["status"] != "delivered" || d["conversation_id"] != conv {
			t.Fatalf("delivered: %v", d)
		}
		if got := history(t, l, conv, mid)["status"]; got != "delivered" {
			t.Fatalf("status after delivery %v", got)
		}
		if err := l.emu.Graph.Read(thread); err != nil {
			t.Fatal(err)
		}
		read := next("message.read", func(d map[string]any) bool { return d["conversation_id"] == conv })
		// status_updated_at is the read receipt's time, in the history
		// and in the event alike.
		if got := history(t, l, conv, mid); got["status"] != "read" || got["status_updated_at"] == nil || got["status_updated_at"] != read["status_updated_at"] {
			t.Fatalf("after read: status %v at %v; the event says %v", got["status"], got["status_updated_at"], read["status_updated_at"])
		}

		// The customer reacts to the reply, then takes it back.
		if err := l.emu.Graph.React(mid, "❤️", "love"); err != nil {
			t.Fatal(err)
		}
		r := next("message.reaction", about(mid))["reaction"].(map[string]any)
		if r["action"] != "react" || r["emoji"] != "❤️" || r["name"] != "love" {
			t.Fatalf("reaction %v", r)
		}
		if err := l.emu.Graph.React(mid, "", ""); err != nil {
			t.Fatal(err)
		}
		next("message.reaction", func(d map[string]any) bool {
			r, _ := d["reaction"].(map[string]any)
			return d["message_id"] == mid && r["action"] == "unreact"
		})

		// The customer writes, then edits it.
		in, err := l.emu.Graph.Inbound(l.seeded.NativeIDs[platform.Messenger], psid, "See you Monday")
		if err != nil {
			t.Fatal(err)
		}
		next("message.received", about(in.ID))
		if err := l.emu.Graph.Edit(in.ID, "See you Tuesday"); err != nil {
			t.Fatal(err)
		}
		if d := next("message.edited", about(in.ID)); d["text"] != "See you Tuesday" || d["edit_count"] != float64(1) || d["conversation_id"] != conv {
			t.Fatalf("edited: %v", d)
		}

		// On Instagram the customer unsends a message.
		igNative := l.seeded.NativeIDs[platform.Instagram]
		igIn, err := l.emu.Graph.Inbound(igNative, "6100000000000001", "oops, wrong chat")
		if err != nil {
			t.Fatal(err)
		}
		next("message.received", about(igIn.ID))
		if err := l.emu.Graph.Unsend(igIn.ID); err != nil {
			t.Fatal(err)
		}
		if d := next("message.deleted", about(igIn.ID)); d["conversation_id"] != l.conv("instagram/open") || d["platform"] != "instagram" {
			t.Fatalf("deleted: %v", d)
		}

		// Another app takes the thread (handover): its messages come on
		// the standby channel and still reach the user, marked so.
		if err := l.emu.Graph.SetStandby(thread, true); err != nil {
			t.Fatal(err)
		}
		sb, err := l.emu.Graph.Inbound(l.seeded.NativeIDs[platform.Messenger], psid, "hello, anyone?")
		if err != nil {
			t.Fatal(err)
		}
		if d := next("message.received", about(sb.ID)); d["standby"] != true || d["conversation_id"] != conv {
			t.Fatalf("standby: %v", d)
		}
		// A postback is the customer's message too.
		pb, err := l.emu.Graph.Postback(l.seeded.NativeIDs[platform.Messenger], psid, "Talk to a person", "HUMAN")
		if err != nil {
			t.Fatal(err)
		}
		if m := next("message.received", about(pb.ID))["message"].(map[string]any); m["text"] != "Talk to a person" {
			t.Fatalf("postback message %v", m)
		}
	})
}

// TestWhatsAppLateFailureReachesUsers: a send WhatsApp accepts and fails
// later (131026 undeliverable, 131049 marketing limit) becomes
// message.failed with Meta's code, title and details at the user's
// endpoint, and the message reads as failed in the history, on both
// databases.
func TestWhatsAppLateFailureReachesUsers(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		l := newVerifyEnv(t, b)
		next := subscribe(t, l, "message.failed", "message.sent")
		// One conversation each: Parley spaces sends to one user 6 s apart.
		for _, tc := range []struct {
			name     string
			scenario string
			mark     func()
			template string
			code     float64
			title    string
			details  string
		}{
			{"undeliverable", "whatsapp/open", func() { l.emu.WhatsApp.MarkUndeliverable("16505551234") }, "order_update", 131026, "Message Undeliverable", "Unable to deliver message"},
			{"marketing limit", "whatsapp/closed", func() { l.emu.WhatsApp.MarkMarketingLimited("447700900123") }, "spring_sale", 131049,
				"This message was not delivered to maintain healthy ecosystem engagement.", "healthy ecosystem engagement"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				conv := l.conv(tc.scenario)
				tc.mark()
				r := l.do("POST", "/v1/inbox/conversations/"+conv+"/messages", l.key, map[string]any{"template": map[string]any{"name": tc.template, "language": "en_US"}})
				expect(t, r, 201, "")
				id := r.data(t)["platform_id"].(string)
				if err := l.emu.WhatsApp.Flush(); err != nil {
					t.Fatal(err)
				}
				d := next("message.failed", about(id))
				details, _ := d["error_details"].(string)
				if d["status"] != "failed" || d["error_code"] != tc.code || d["error_title"] != tc.title ||
					!strings.Contains(details, tc.details) || d["conversation_id"] != conv {
					t.Fatalf("message.failed %v", d)
				}
				if got := history(t, l, conv, id)["status"]; got != "failed" {
					t.Fatalf("history status %v", got)
				}
			})
		}
	})
}

// TestWhatsAppUsernameCustomer: a customer who adopts a username keeps
// their conversation when WhatsApp stops sending their phone number; a new
// username-only customer gets a conversation keyed on their business-scoped
// id, and Parley's reply reaches them by it. On both databases.
func TestWhatsAppUsernameCustomer(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		l := newVerifyEnv(t, b)
		next := subscribe(t, l, "message.received")
		wa := l.emu.WhatsApp
		native := l.seeded.NativeIDs[platform.WhatsApp]
		conv := l.conv("whatsapp/open")

		// Ana writes with her number (and, as since April 2026, her BSUID)...
		m1, err := wa.InboundAndNotify(native, "16505551234", "Ana", "still waiting")
		if err != nil {
			t.Fatal(err)
		}
		if d := next("message.received", about(m1.ID)); d["conversation_id"] != conv {
			t.Fatalf("first: %v, want %s", d, conv)
		}
		// ...then adopts a username; WhatsApp withholds her number.
		wa.SetUsername("16505551234", "ana.s", true)
		m2, err := wa.InboundAndNotify(native, "16505551234", "Ana", "any news?")
		if err != nil {
			t.Fatal(err)
		}
		d := next("message.received", about(m2.ID))
		if d["conversation_id"] != conv || d["participant_username"] != "ana.s" {
			t.Fatalf("after the username: %v, want conversation %s", d, conv)
		}
		// The reply still goes to her phone number, which Parley knows.
		expect(t, l.do("POST", "/v1/inbox/conversations/"+conv+"/messages", l.key, map[string]any{"text": "Tomorrow!"}), 201, "")
		sent := wa.Messages(native)
		if last := sent[len(sent)-1]; last.To != "16505551234" || last.ToUserID != "" {
			t.Fatalf("reply sent as %+v", last)
		}

		// Dana never showed a number: her conversation is keyed on her BSUID.
		bsuid := wa.SetUsername("5511912345678", "dana", true)
		m3, err := wa.InboundAndNotify(native, "5511912345678", "Dana", "hi from a username")
		if err != nil {
			t.Fatal(err)
		}
		d = next("message.received", about(m3.ID))
		dconv := d["conversation_id"].(string)
		if dconv == conv || d["participant_username"] != "dana" {
			t.Fatalf("new username customer: %v", d)
		}
		g := l.do("GET", "/v1/inbox/conversations/"+dconv, l.key, nil)
		expect(t, g, 200, "")
		if g.data(t)["platform_id"] != bsuid {
			t.Fatalf("conversation %s", g.raw)
		}
		expect(t, l.do("POST", "/v1/inbox/conversations/"+dconv+"/messages", l.key, map[string]any{"text": "Hello Dana"}), 201, "")
		sent = wa.Messages(native)
		if last := sent[len(sent)-1]; last.ToUserID != bsuid || last.Failure != nil {
			t.Fatalf("reply to the BSUID sent as %+v", last)
		}
	})
}

// TestXDMsByPolling: with no Account Activity webhooks, a customer's X DM
// reaches the user's endpoint as message.received through the poll of
// GET /2/dm_events, once, and the poll resumes after it. On both databases.
func TestXDMsByPolling(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		l := fromLive(t, parleytest.StartLive(t, b, config.Config{AllowPrivateWebhooks: true, XDMPoll: "on"},
			server.Options{PollInterval: 20 * time.Millisecond, XPollTick: 50 * time.Millisecond, XPollActive: 100 * time.Millisecond}))
		ctx, cancel := context.WithCancel(context.Background())
		if err := l.srv.Jobs.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			stop, done := context.WithTimeout(context.Background(), 10*time.Second)
			defer done()
			_ = l.srv.Jobs.Stop(stop)
			cancel()
		})
		next := subscribe(t, l, "message.received")
		xAcct := l.seeded.Accounts[platform.X]
		state := func() store.PollState {
			ps, err := l.srv.Store.DuePolls(context.Background(), "x", time.Now().Add(time.Hour), 10)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range ps {
				if p.AccountID == xAcct {
					return p
				}
			}
			return store.PollState{}
		}
		// The first poll marks where to start (seeded history is not news).
		testsupport.Eventually(t, func() bool { return state().NewestID != "" }, "no first poll")
		ev, err := l.emu.X.Inbound(l.seeded.NativeIDs[platform.X], "1500000000000000002", "polled, not pushed")
		if err != nil {
			t.Fatal(err)
		}
		d := next("message.received", about(ev.ID))
		if d["account_id"] != xAcct || d["platform"] != "x" || d["message"].(map[string]any)["text"] != "polled, not pushed" {
			t.Fatalf("message.received %v", d)
		}
		// The poll that found it resumes from it (that later polls return
		// nothing already seen is xpoll's and xapi's unit tests), and the
		// message was recorded once.
		testsupport.Eventually(t, func() bool { return state().NewestID == ev.ID }, "the poll did not move past the message")
		n := 0
		for _, e := range l.do("GET", "/v1/events?limit=100", l.key, nil).body["data"].([]any) {
			if data, _ := e.(map[string]any)["data"].(map[string]any); data["message_id"] == ev.ID {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d events for one polled DM", n)
		}
	})
}
