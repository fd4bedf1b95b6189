package api_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/testsupport"
	"github.com/parleyhq/parley/internal/testsupport/jsverify"
	"github.com/parleyhq/parley/internal/testsupport/parleytest"
)

// receiver is a user's webhook endpoint: it records every delivery and
// answers with the next scripted status (200 once the script runs out).
type receiver struct {
	mu         sync.Mutex
	script     []int
	deliveries []delivered
	srv        *httptest.Server
}

type delivered struct {
	headers map[string]string
	body    string
	status  int
}

func newReceiver(t *testing.T, script ...int) *receiver {
	t.Helper()
	r := &receiver{script: script}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		status := http.StatusOK
		if len(r.script) > 0 {
			status, r.script = r.script[0], r.script[1:]
		}
		h := map[string]string{}
		for _, k := range []string{"webhook-id", "webhook-timestamp", "webhook-signature"} {
			h[k] = req.Header.Get(k)
		}
		r.deliveries = append(r.deliveries, delivered{headers: h, body: string(b), status: status})
		r.mu.Unlock()
		if status == http.StatusFound {
			http.Redirect(w, req, "/elsewhere", status)
			return
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) wait(t *testing.T, n int) []delivered {
	t.Helper()
	var got []delivered
	testsupport.Eventually(t, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		got = append([]delivered(nil), r.deliveries...)
		return len(got) >= n
	}, "receiver got fewer than %d deliveries", n)
	return got
}

// newDeliveringEnv runs Parley with its job workers started, loopback
// endpoints allowed and the day-long retry schedule compressed.
func newDeliveringEnv(t *testing.T, b storetest.Backend) *liveEnv {
	t.Helper()
	l := fromLive(t, parleytest.StartLive(t, b, config.Config{AllowPrivateWebhooks: true}, server.Options{PollInterval: 20 * time.Millisecond,
		RetrySchedule: []time.Duration{0, 30 * time.Millisecond, 30 * time.Millisecond, 30 * time.Millisecond, 30 * time.Millisecond,
			30 * time.Millisecond, 30 * time.Millisecond, 30 * time.Millisecond}}))
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
	return l
}

func TestWebhookDeliveryStandardWebhooks(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		l := newDeliveringEnv(t, b)
		rcv := newReceiver(t, 500, 503) // two failures, then success
		cr := l.do("POST", "/v1/webhooks", l.key, map[string]any{"url": rcv.srv.URL + "/hook", "events": []string{"message.sent"}})
		expect(t, cr, 201, "")
		ep := cr.data(t)
		secret := ep["secret"].(string)
		if !strings.HasPrefix(secret, "whsec_") {
			t.Fatalf("secret %q", secret)
		}
		if g := l.do("GET", "/v1/webhooks/"+ep["id"].(string), l.key, nil); strings.Contains(string(g.raw), secret) {
			t.Fatal("secret shown again after creation")
		}

		expect(t, l.do("POST", "/v1/inbox/conversations/"+l.conv("x/open")+"/messages", l.key, map[string]any{"text": "hello"}), 201, "")
		got := rcv.wait(t, 3)
		id := got[0].headers["webhook-id"]
		for i, d := range got {
			if d.headers["webhook-id"] != id {
				t.Fatalf("attempt %d has webhook-id %q, want %q", i, d.headers["webhook-id"], id)
			}
			if !strings.Contains(d.body, `"type":"message.sent"`) || !strings.Contains(d.body, `"id":"`+id+`"`) {
				t.Fatalf("body: %s", d.body)
			}
		}
		// The official Standard Webhooks library accepts every delivery.
		var cases []jsverify.Case
		for _, d := range got {
			cases = append(cases, jsverify.Case{Secret: secret, Headers: d.headers, Body: d.body})
		}
		for i, ans := range jsverify.Verify(t, cases) {
			if ans != "ok" {
				t.Fatalf("official library rejected delivery %d: %s", i, ans)
			}
		}
		// Attempts are listed per endpoint and per event.
		var atts []any
		testsupport.Eventually(t, func() bool {
			atts = l.do("GET", "/v1/webhooks/"+ep["id"].(string)+"/attempts", l.key, nil).body["data"].([]any)
			return len(atts) == 3
		}, "three attempts recorded")
		if len(atts) != 3 || atts[2].(map[string]any)["success"] != true || atts[0].(map[string]any)["status_code"] != float64(500) {
			t.Fatalf("attempts: %v", atts)
		}
		ea := l.do("GET", "/v1/events/"+id+"/attempts", l.key, nil)
		expect(t, ea, 200, "")
		if len(ea.body["data"].([]any)) != 3 {
			t.Fatalf("event attempts: %s", ea.raw)
		}
		// Replay: delivered again with the same webhook-id.
		expect(t, l.do("POST", "/v1/events/"+id+"/replay", l.key, nil), 202, "")
		if d := rcv.wait(t, 4)[3]; d.headers["webhook-id"] != id {
			t.Fatalf("replay webhook-id %q, want %q", d.headers["webhook-id"], id)
		}
		// Rotation: during the overlap both secrets verify.
		rot := l.do("POST", "/v1/webhooks/"+ep["id"].(string)+"/rotate-secret", l.key, nil)
		expect(t, rot, 200, "")
		newSecret := rot.data(t)["secret"].(string)
		expect(t, l.do("POST", "/v1/events/"+id+"/replay", l.key, nil), 202, "")
		d := rcv.wait(t, 5)[4]
		if n := len(strings.Fields(d.headers["webhook-signature"])); n != 2 {
			t.Fatalf("%d signatures during rotation, want 2", n)
		}
		for i, ans := range jsverify.Verify(t, []jsverify.Case{{Secret: secret, Headers: d.headers, Body: d.body}, {Secret: newSecret, Headers: d.headers, Body: d.body}}) {
			if ans != "ok" {
				t.Fatalf("secret %d does not verify during rotation: %s", i, ans)
			}
		}
	})
}

func TestWebhookEndpointLifecycle(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		l := newDeliveringEnv(t, b)
		// 410 disables the endpoint and records endpoint.disabled.
		gone := newReceiver(t, 410)
		ep := l.do("POST", "/v1/webhooks", l.key, map[string]any{"url": gone.srv.URL, "events": []string{"message.sent"}}).data(t)
		expect(t, l.do("POST", "/v1/webhooks/"+ep["id"].(string)+"/test", l.key, nil), 202, "")
		gone.wait(t, 1)
		var state map[string]any
		testsupport.Eventually(t, func() bool {
			state = l.do("GET", "/v1/webhooks/"+ep["id"].(string), l.key, nil).data(t)
			return state["enabled"] == false
		}, "endpoint disabled after a 410")
		if state["enabled"] != false || !strings.Contains(state["disabled_reason"].(string), "410") {
			t.Fatalf("endpoint after 410: %v", state)
		}
		// The notice is recorded just after the endpoint is disabled: poll.
		var evs response
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if evs = l.do("GET", "/v1/events?limit=100", l.key, nil); strings.Contains(string(evs.raw), `"type":"endpoint.disabled"`) {
				break
			}
		}
		if !strings.Contains(string(evs.raw), `"type":"endpoint.disabled"`) {
			t.Fatalf("no endpoint.disabled event: %s", evs.raw)
		}
		// A disabled endpoint gets nothing more; re-enabling clears the state.
		expect(t, l.do("POST", "/v1/inbox/conversations/"+l.conv("x/open")+"/messages", l.key, map[string]any{"text": "x"}), 201, "")
		en := l.do("PATCH", "/v1/webhooks/"+ep["id"].(string), l.key, map[string]any{"enabled": true})
		expect(t, en, 200, "")
		if en.data(t)["enabled"] != true || en.data(t)["disabled_reason"] != nil {
			t.Fatalf("re-enabled: %s", en.raw)
		}

		// A redirect is a failed attempt, never followed.
		redir := newReceiver(t, 302, 302, 302, 302, 302, 302, 302, 302)
		rep := l.do("POST", "/v1/webhooks", l.key, map[string]any{"url": redir.srv.URL + "/start"}).data(t)
		expect(t, l.do("POST", "/v1/webhooks/"+rep["id"].(string)+"/test", l.key, nil), 202, "")
		for _, d := range redir.wait(t, 2) {
			if d.status != 302 {
				t.Fatalf("unexpected delivery: %+v", d)
			}
		}
		redir.mu.Lock()
		for _, d := range redir.deliveries {
			if d.headers["webhook-id"] == "" {
				t.Fatal("the redirect target was requested")
			}
		}
		redir.mu.Unlock()

		// Validation.
		expect(t, l.do("POST", "/v1/webhooks", l.key, map[string]any{"url": "ftp://x"}), 422, "validation.invalid_field")
		expect(t, l.do("POST", "/v1/webhooks", l.key, map[string]any{"url": "https://x.example", "events": []string{"message.nope"}}), 422, "validation.invalid_field")
		// The connect capability's events can be subscribed to like any other.
		expect(t, l.do("POST", "/v1/webhooks", l.key, map[string]any{"url": "https://x.example", "events": []string{"account.connected", "account.reauth_required"}}), 201, "")
		expect(t, l.do("DELETE", "/v1/webhooks/"+rep["id"].(string), l.key, nil), 204, "")
		expect(t, l.do("GET", "/v1/webhooks/"+rep["id"].(string), l.key, nil), 404, "resource.not_found")
	})
}
