package xapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/emulator/xemu"
	"github.com/parleyhq/parley/internal/platform"
)

// TestPoll: the first poll only sets the starting point; later polls
// return exactly the events after it, oldest first, the business's own
// sends as echoes, across pages; and nothing new returns nothing.
func TestPoll(t *testing.T) {
	t.Parallel()
	v := setup(t, xemu.Options{})
	ctx := context.Background()
	first, err := v.ad.Poll(ctx, v.acct, "", 5)
	if err != nil || len(first.Events) != 0 || first.Newest == "" || first.Requests != 1 {
		t.Fatalf("baseline %+v, %v", first, err)
	}
	again, err := v.ad.Poll(ctx, v.acct, first.Newest, 5)
	if err != nil || len(again.Events) != 0 || again.Newest != first.Newest {
		t.Fatalf("nothing new: %+v, %v", again, err)
	}
	var want []string
	for i := 0; i < 130; i++ { // more than one page of 100
		v.clk.Advance(time.Second)
		ev, err := v.emu.Inbound(bizID, aliceID, "msg")
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, ev.ID)
	}
	v.clk.Advance(time.Second)
	if _, err := v.ad.Send(ctx, v.acct, platform.Conversation{ThreadID: xemu.ConversationID(bizID, bobID), ParticipantID: bobID}, platform.Outbound{Text: "from us"}); err != nil {
		t.Fatal(err)
	}
	got, err := v.ad.Poll(ctx, v.acct, first.Newest, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Events) != 131 || got.Requests != 2 {
		t.Fatalf("%d events in %d requests", len(got.Events), got.Requests)
	}
	for i, id := range want {
		ev := got.Events[i]
		if ev.MessageID != id || ev.Kind != platform.EventMessage || ev.ThreadID != xemu.ConversationID(bizID, aliceID) ||
			ev.ParticipantID != aliceID || ev.Message.SenderName != "Alice Doe" || ev.AccountNativeID != bizID {
			t.Fatalf("event %d: %+v", i, ev)
		}
	}
	echo := got.Events[130]
	if echo.Kind != platform.EventEcho || echo.ParticipantID != bobID || echo.Message.Direction != "outgoing" || got.Newest != echo.MessageID {
		t.Fatalf("echo %+v, newest %s", echo, got.Newest)
	}
	// A page budget too small to reach the last id seen still moves on.
	short, err := v.ad.Poll(ctx, v.acct, first.Newest, 1)
	if err != nil || len(short.Events) != 100 || short.Newest != got.Newest {
		t.Fatalf("short poll: %d events, newest %s, %v", len(short.Events), short.Newest, err)
	}
}

// TestPollRateLimited: X's 429 comes back as platform.x.rate_limit with
// the seconds until the window resets, for the poller to wait.
func TestPollRateLimited(t *testing.T) {
	t.Parallel()
	v := setup(t, xemu.Options{ReadLimit: 1})
	ctx := context.Background()
	if _, err := v.ad.Poll(ctx, v.acct, "", 1); err != nil {
		t.Fatal(err)
	}
	_, err := v.ad.Poll(ctx, v.acct, "1", 1)
	e, ok := apierr.As(err)
	if !ok || e.Code != "platform.x.rate_limit" || e.Meta["retry_after_seconds"] == nil {
		t.Fatalf("%v", err)
	}
}

// FuzzPoll serves any body as X's dm_events page: Poll never panics,
// never moves the starting point back, and every event it returns is
// complete and newer than it.
func FuzzPoll(f *testing.F) {
	f.Add(200, `{"data":[{"id":"1900000000000000002","event_type":"MessageCreate","text":"hi","sender_id":"42","dm_conversation_id":"42-1500000000000000001","created_at":"2026-11-30T08:00:00.000Z"},{"id":"1900000000000000001","event_type":"MessageCreate","sender_id":"1500000000000000001","dm_conversation_id":"42-1500000000000000001"}],"meta":{"result_count":2}}`)
	f.Add(200, `{"data":[{"id":"x","event_type":"MessageCreate"},{"id":"18446744073709551615","event_type":"ParticipantsJoin"}],"meta":{"next_token":"abc"}}`)
	f.Add(200, `{"data":null}`)
	f.Add(429, `{"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429}`)
	f.Fuzz(func(t *testing.T, status int, body string) {
		if status < 200 || status > 599 {
			return
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
		}))
		defer srv.Close()
		ad := New(srv.URL, srv.Client())
		acct := platform.Account{Platform: platform.X, NativeID: "1500000000000000001", AccessToken: "t"}
		const since = "1800000000000000000"
		p, err := ad.Poll(context.Background(), acct, since, 2)
		if err != nil {
			if _, ok := apierr.As(err); !ok {
				t.Fatalf("unstructured error %v", err)
			}
			return
		}
		if idNum(p.Newest) < idNum(since) {
			t.Fatalf("newest %q moved back from %s", p.Newest, since)
		}
		for _, ev := range p.Events {
			if idNum(ev.MessageID) <= idNum(since) || ev.ThreadID == "" || ev.AccountNativeID != acct.NativeID ||
				(ev.Kind != platform.EventMessage && ev.Kind != platform.EventEcho) {
				t.Fatalf("bad event %+v", ev)
			}
		}
	})
}
