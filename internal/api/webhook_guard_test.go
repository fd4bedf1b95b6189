package api_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/secrets"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/testsupport/fakedns"
)

// newGuardEnv runs Parley with its delivery workers, endpoint hosts
// resolved by dns, one-attempt timeouts of 300 ms and the day-long retry
// schedule compressed.
func newGuardEnv(t *testing.T, b storetest.Backend, allowPrivate bool, dns *fakedns.Server) *env {
	t.Helper()
	key, err := secrets.GenerateKey(t0())
	if err != nil {
		t.Fatal(err)
	}
	sched := []time.Duration{0, 30 * time.Millisecond, 30 * time.Millisecond, 30 * time.Millisecond, 30 * time.Millisecond,
		30 * time.Millisecond, 30 * time.Millisecond, 30 * time.Millisecond}
	e := newEnvFull(t, b, config.Config{AllowPrivateWebhooks: allowPrivate}, key, server.Options{Adapters: platform.Registry{},
		Resolver: dns.Resolver(), DeliveryTimeout: 300 * time.Millisecond, PollInterval: 20 * time.Millisecond, RetrySchedule: sched})
	ctx, cancel := context.WithCancel(context.Background())
	if err := e.srv.Jobs.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop, done := context.WithTimeout(context.Background(), 10*time.Second)
		defer done()
		_ = e.srv.Jobs.Stop(stop)
		cancel()
	})
	return e
}

func guardDNS() *fakedns.Server {
	dns := fakedns.New()
	dns.Set("public.guard.test", "93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946")
	dns.Set("meta.guard.test", "169.254.169.254")
	dns.Set("nat64.guard.test", "64:ff9b::a9fe:a9fe")
	dns.Set("sixtofour.guard.test", "2002:a9fe:a9fe::1")
	dns.Set("private.guard.test", "10.0.0.5")
	dns.Set("ula.guard.test", "fd00::5")
	dns.Set("loop.guard.test", "127.0.0.1")
	dns.Set("mixed.guard.test", "93.184.216.34", "127.0.0.1")
	dns.Set("bench.guard.test", "198.18.0.1")
	return dns
}

// TestWebhookRegistrationRefusesNonPublicAddresses: POST and PATCH
// /v1/webhooks refuse a URL whose literal address, or any address its host
// resolves to, deliveries may not go to — with a 422 that says why — and
// change nothing.
func TestWebhookRegistrationRefusesNonPublicAddresses(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		e := newGuardEnv(t, b, false, guardDNS())
		key := e.org("A")
		refuse := func(u, reason, says string) {
			t.Helper()
			r := e.do("POST", "/v1/webhooks", key, map[string]any{"url": u})
			expect(t, r, 422, "validation.invalid_field")
			meta, _ := r.body["error"].(map[string]any)["meta"].(map[string]any)
			msg, _ := r.body["error"].(map[string]any)["message"].(string)
			if meta["field"] != "url" || meta["reason"] != reason || !strings.Contains(msg, says) {
				t.Fatalf("%s: %s", u, r.raw)
			}
		}
		for _, u := range []string{
			"https://169.254.169.254/latest/meta-data/", "https://[64:ff9b::a9fe:a9fe]/", "https://[64:ff9b:1::808:808]/",
			"https://[2002:a9fe:a9fe::1]/", "https://[::169.254.169.254]/", "https://[::ffff:169.254.169.254]/",
			"https://[2001:0:4136:e378:8000:63bf:5601:5656]/", "https://198.18.0.1/", "https://240.0.0.1/",
			"https://192.0.0.9/", "https://192.0.2.1/", "https://198.51.100.1/", "https://203.0.113.1/", "https://224.0.0.1/",
			"https://0.0.0.0/", "https://[fe80::1]/", "https://[2001:db8::1]/", "https://255.255.255.255/", "https://[ff02::1]/",
		} {
			refuse(u, "address_not_allowed", "never delivered")
		}
		for _, u := range []string{"https://127.0.0.1/x", "https://10.0.0.5/x", "https://100.64.0.1/", "https://[fc00::1]/",
			"https://[::1]/x", "https://[::ffff:10.0.0.5]/", "https://localhost/x", "https://localhost./x", "https://hooks.localhost/"} {
			refuse(u, "address_not_allowed", "PARLEY_WEBHOOK_ALLOW_PRIVATE")
		}
		// Names are judged by every address they resolve to.
		for _, h := range []string{"meta", "nat64", "sixtofour", "bench"} {
			refuse("https://"+h+".guard.test/hook", "address_not_allowed", "never delivered")
		}
		for _, h := range []string{"private", "ula", "loop", "mixed"} {
			refuse("https://"+h+".guard.test/hook", "address_not_allowed", "PARLEY_WEBHOOK_ALLOW_PRIVATE")
		}
		// Numbers a resolver would read as an IPv4 address.
		for _, u := range []string{"https://2130706433/", "https://127.1/", "https://0x7f.0.0.1/", "https://017700000001/",
			"https://0251.0376.0251.0376/", "https://127.0.0.1./"} {
			refuse(u, "ambiguous_address", "non-standard form")
		}
		// A zone only scopes link-local addresses.
		expect(t, e.do("POST", "/v1/webhooks", key, map[string]any{"url": "https://[fe80::1%25eth0]/"}), 422, "validation.invalid_field")
		if l := e.do("GET", "/v1/webhooks", key, nil); len(l.body["data"].([]any)) != 0 {
			t.Fatalf("refused URLs left endpoints: %s", l.raw)
		}

		// Public names and names that do not resolve (yet) are accepted;
		// delivery checks again when it connects.
		ok := e.do("POST", "/v1/webhooks", key, map[string]any{"url": "https://public.guard.test/hook"})
		expect(t, ok, 201, "")
		expect(t, e.do("POST", "/v1/webhooks", key, map[string]any{"url": "https://not-yet.guard.test/hook"}), 201, "")
		expect(t, e.do("POST", "/v1/webhooks", key, map[string]any{"url": "https://[2606:2800:220:1:248:1893:25c8:1946]/"}), 201, "")
		expect(t, e.do("POST", "/v1/webhooks", key, map[string]any{"url": "https://[64:ff9b::5db8:d822]/"}), 201, "") // NAT64 of 93.184.216.34
		expect(t, e.do("POST", "/v1/webhooks", key, map[string]any{"url": "http://public.guard.test/"}), 422, "validation.invalid_field")

		// PATCH is held to the same rule and changes nothing when refused.
		id := ok.data(t)["id"].(string)
		expect(t, e.do("PATCH", "/v1/webhooks/"+id, key, map[string]any{"url": "https://[64:ff9b::a9fe:a9fe]/", "description": "x"}), 422, "validation.invalid_field")
		expect(t, e.do("PATCH", "/v1/webhooks/"+id, key, map[string]any{"url": "https://meta.guard.test/"}), 422, "validation.invalid_field")
		if got := e.do("GET", "/v1/webhooks/"+id, key, nil).data(t); got["url"] != "https://public.guard.test/hook" || got["description"] != "" {
			t.Fatalf("refused PATCH changed the endpoint: %v", got)
		}
	})
}

// TestWebhookRegistrationWithOperatorFlag: PARLEY_WEBHOOK_ALLOW_PRIVATE opens
// loopback and private networks (plain http too) and nothing else: the
// metadata address and translations of private addresses stay refused.
func TestWebhookRegistrationWithOperatorFlag(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		e := newGuardEnv(t, b, true, guardDNS())
		key := e.org("A")
		for _, u := range []string{"http://127.0.0.1:9/x", "http://[::1]:9/", "http://10.0.0.5/", "http://192.168.1.2:8080/",
			"http://100.64.0.1/", "http://[fd00::5]/", "http://[::ffff:127.0.0.1]:9/", "http://localhost:9/",
			"http://loop.guard.test:9/", "http://private.guard.test/", "https://public.guard.test/"} {
			expect(t, e.do("POST", "/v1/webhooks", key, map[string]any{"url": u}), 201, "")
		}
		for _, u := range []string{"http://169.254.169.254/latest/meta-data/", "http://[fe80::a9fe:a9fe]/",
			"http://[64:ff9b::7f00:1]/", "http://[64:ff9b::a9fe:a9fe]/", "http://[2002:7f00:1::]/", "http://[::127.0.0.1]/",
			"http://[::ffff:169.254.169.254]/", "http://0.0.0.0:9/", "http://meta.guard.test/", "http://nat64.guard.test/",
			"http://224.0.0.1/"} {
			r := e.do("POST", "/v1/webhooks", key, map[string]any{"url": u})
			expect(t, r, 422, "validation.invalid_field")
			if !strings.Contains(string(r.raw), "never delivered") {
				t.Fatalf("%s: %s", u, r.raw)
			}
		}
	})
}

// leak matches what attempt records must never show: an IPv4 address, an
// IPv6 address, a port, or dial internals.
var leak = regexp.MustCompile(`\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b|\[[0-9a-f:]+\]|[0-9a-f]*::[0-9a-f]*|[a-z0-9\]]:\d{2,5}\b|dial|tcp|lookup|connect:`)

// attempts polls an endpoint's attempts until at least n are listed.
func attempts(t *testing.T, e *env, key, id string, n int) ([]map[string]any, string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := e.do("GET", "/v1/webhooks/"+id+"/attempts", key, nil)
		expect(t, r, 200, "")
		var out []map[string]any
		for _, a := range r.body["data"].([]any) {
			out = append(out, a.(map[string]any))
		}
		if len(out) >= n {
			// Everything but the timestamps, which have colons of their own.
			body := regexp.MustCompile(`"created_at":"[^"]*"`).ReplaceAllString(string(r.raw), "")
			return out, body
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d attempts, want %d: %s", len(out), n, r.raw)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestWebhookAttemptReasons: the attempt records say why a delivery failed
// in stable terms — a 500, a timeout, an address refused at connect time
// after the name rebound to the metadata service — and never show the
// address, the port or the dialler's error text.
func TestWebhookAttemptReasons(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		dns := guardDNS()
		e := newGuardEnv(t, b, true, dns)
		key := e.org("A")
		create := func(u string) string {
			t.Helper()
			r := e.do("POST", "/v1/webhooks", key, map[string]any{"url": u})
			expect(t, r, 201, "")
			id := r.data(t)["id"].(string)
			expect(t, e.do("POST", "/v1/webhooks/"+id+"/test", key, nil), 202, "")
			return id
		}
		check := func(id, reason string, status float64, says string) {
			t.Helper()
			atts, body := attempts(t, e, key, id, 1)
			a := atts[0]
			if a["success"] != false || a["reason"] != reason || a["status_code"] != status || !strings.Contains(a["error"].(string), says) {
				t.Fatalf("attempt %v, want reason %s, status %v, error saying %q", a, reason, status, says)
			}
			if m := leak.FindString(body); m != "" {
				t.Fatalf("attempts show %q: %s", m, body)
			}
		}

		failing := newReceiver(t, 500, 500, 500, 500, 500, 500, 500, 500)
		check(create(failing.srv.URL+"/hook"), "http_status", 500, "HTTP 500")

		block := make(chan struct{})
		slow := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			select {
			case <-block:
			case <-r.Context().Done():
			}
		}))
		t.Cleanup(slow.Close)
		t.Cleanup(func() { close(block) }) // runs first: cleanups are last in, first out
		check(create(slow.URL+"/hook"), "timeout", 0, "in time")

		// Registered while the name pointed at a receiver on loopback (the
		// operator allows it); it then rebinds to the metadata address.
		var hits atomic.Int32
		rcv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
		t.Cleanup(rcv.Close)
		port := rcv.Listener.Addr().(*net.TCPAddr).Port
		dns.Set("rebind.guard.test", "127.0.0.1")
		r := e.do("POST", "/v1/webhooks", key, map[string]any{"url": fmt.Sprintf("http://rebind.guard.test:%d/hook", port)})
		expect(t, r, 201, "")
		id := r.data(t)["id"].(string)
		dns.Set("rebind.guard.test", "169.254.169.254")
		expect(t, e.do("POST", "/v1/webhooks/"+id+"/test", key, nil), 202, "")
		check(id, "address_not_allowed", 0, "may not go to")
		if hits.Load() != 0 {
			t.Fatal("the receiver was contacted")
		}

		// The event's attempts read the same.
		atts, _ := attempts(t, e, key, id, 1)
		ev := e.do("GET", "/v1/events/"+atts[0]["event_id"].(string)+"/attempts", key, nil)
		expect(t, ev, 200, "")
		if !strings.Contains(string(ev.raw), `"reason":"address_not_allowed"`) {
			t.Fatalf("event attempts: %s", ev.raw)
		}
	})
}

// TestWebhookRebindingToLoopbackRefused: without the operator's flag, a name
// accepted at registration (it resolved to a public address) that rebinds to
// loopback is refused at connect time, and the receiver listening there is
// never contacted.
func TestWebhookRebindingToLoopbackRefused(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		dns := guardDNS()
		e := newGuardEnv(t, b, false, dns)
		key := e.org("A")
		var hits atomic.Int32
		rcv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
		t.Cleanup(rcv.Close)
		port := rcv.Listener.Addr().(*net.TCPAddr).Port
		dns.Set("flip.guard.test", "93.184.216.34")
		r := e.do("POST", "/v1/webhooks", key, map[string]any{"url": fmt.Sprintf("https://flip.guard.test:%d/hook", port)})
		expect(t, r, 201, "")
		id := r.data(t)["id"].(string)
		dns.Set("flip.guard.test", "127.0.0.1")
		expect(t, e.do("POST", "/v1/webhooks/"+id+"/test", key, nil), 202, "")
		atts, body := attempts(t, e, key, id, 2)
		for _, a := range atts {
			if a["reason"] != "address_not_allowed" || a["status_code"] != float64(0) {
				t.Fatalf("attempt %v", a)
			}
		}
		if m := leak.FindString(body); m != "" {
			t.Fatalf("attempts show %q: %s", m, body)
		}
		if n := hits.Load(); n != 0 {
			t.Fatalf("the loopback receiver got %d requests", n)
		}
	})
}
