package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/emulator/waemu"
	"github.com/parleyhq/parley/internal/secrets"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/testsupport"
	"github.com/parleyhq/parley/internal/webhook/inbound"
)

// slowSends delays the platform's answer to message sends while on, as a
// slow Graph API does, so a send request is in flight when it is wanted.
type slowSends struct {
	next     http.Handler
	on       atomic.Bool
	delay    time.Duration
	inFlight atomic.Int32
}

func (s *slowSends) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.on.Load() && r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/messages") {
		s.inFlight.Add(1)
		select {
		case <-time.After(s.delay):
		case <-r.Context().Done():
		}
	}
	s.next.ServeHTTP(w, r)
}

// TestSIGTERMDrainsThenStops sends SIGTERM to a `parley serve` that is
// answering a slow send and holding a webhook delivery its endpoint does
// not answer, and checks what an operator draining a replica relies on:
//
//   - /readyz answers 503 (system.not_ready, "shutting down") at once,
//     while the replica still serves other requests, for the drain delay,
//     before its listener closes;
//   - the in-flight send completes with 201;
//   - the process exits 0 within drain + timeout;
//   - the delivery it could not finish is handed back (available again,
//     its attempt not counted, nothing recorded against the endpoint) and
//     another replica delivers it under the same webhook-id;
//   - /metrics of that replica shows the job queue.
func TestSIGTERMDrainsThenStops(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and stops real servers")
	}
	dbURL := storetest.FreshPostgres(t)
	bin := buildParley(t)
	const appSecret = "shutdown-app-secret"
	const phoneID = "106540352242923"
	const waToken = "EAAGshutdown-system-user-token"
	const drain, timeout = 2 * time.Second, 3 * time.Second
	ring, _ := secrets.GenerateKey(time.Now())
	emu := waemu.New(waemu.Options{})
	emu.AddPhoneNumber(waemu.PhoneNumber{ID: phoneID, WABAID: "1", Token: waToken})
	slow := &slowSends{next: emu, delay: 2 * time.Second}
	emuSrv := httptest.NewServer(slow)
	defer emuSrv.Close()
	ep := &userEndpoint{held: map[*http.Request]heldDelivery{}, release: make(chan struct{})}
	ep.holding.Store(true)
	var releaseOnce sync.Once
	releaseAll := func() { releaseOnce.Do(func() { ep.holding.Store(false); close(ep.release) }) }
	epSrv := httptest.NewServer(ep)
	defer epSrv.Close()
	defer releaseAll()

	env := append(os.Environ(), "PARLEY_DATABASE_URL="+dbURL, "PARLEY_SECRET_KEYS="+ring,
		"PARLEY_META_APP_SECRET="+appSecret, "PARLEY_WHATSAPP_URL="+emuSrv.URL, "PARLEY_WEBHOOK_ALLOW_PRIVATE=true",
		"PARLEY_SHUTDOWN_DRAIN="+drain.String(), "PARLEY_SHUTDOWN_TIMEOUT="+timeout.String(),
		"PARLEY_DB_MAX_CONNS=4", "PARLEY_DB_MIN_OPEN_CONNS=1")
	key := createKey(t, bin, env, "Drain")

	addrA, addrB := freePort(t), freePort(t)
	a := start(t, bin, append(env, "PARLEY_LISTEN="+addrA), "serve")
	var b *proc
	defer func() {
		for _, p := range []*proc{a, b} {
			if p != nil && p.cmd.ProcessState == nil {
				_ = p.cmd.Process.Kill()
				_ = p.cmd.Wait()
			}
		}
	}()
	baseA := "http://" + addrA
	waitReady(t, baseA, a)
	ctx := context.Background()
	mustOK := func(method, path string, body any) map[string]any {
		t.Helper()
		status, raw, err := apiCall(ctx, method, baseA+path, key, "", body)
		if err != nil || status >= 300 {
			t.Fatalf("%s %s: %d %v %s", method, path, status, err, raw)
		}
		var out struct {
			Data map[string]any `json:"data"`
		}
		_ = json.Unmarshal(raw, &out)
		return out.Data
	}
	brand := mustOK("POST", "/v1/brands", map[string]any{"name": "b"})
	mustOK("POST", "/v1/accounts", map[string]any{"brand_id": brand["id"], "platform": "whatsapp", "native_id": phoneID, "access_token": waToken})
	mustOK("POST", "/v1/webhooks", map[string]any{"url": epSrv.URL, "events": []string{"message.received"}})

	// A customer writes; the delivery of that message is held open by the
	// endpoint, so replica A has a job running.
	m := emu.Inbound(phoneID, "15550000001", "Customer", "hello")
	body := emu.WebhookPayload(m)
	req, _ := http.NewRequest("POST", baseA+"/webhooks/meta", bytes.NewReader(body))
	req.Header.Set(inbound.HeaderMetaSignature, inbound.SignMeta(appSecret, body))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("inbound: %v %v", res, err)
	}
	res.Body.Close()
	testsupport.Eventually(t, func() bool { return len(ep.heldBy()) == 1 }, "the delivery held at the endpoint; log:\n%s", a.log)
	var convID string
	testsupport.Eventually(t, func() bool {
		status, raw, err := apiCall(ctx, "GET", baseA+"/v1/inbox/conversations", key, "", nil)
		var l struct {
			Data []struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		if err != nil || status != 200 || json.Unmarshal(raw, &l) != nil || len(l.Data) == 0 {
			return false
		}
		convID = l.Data[0].ID
		return true
	}, "the conversation listed")

	// A reply whose platform call takes two seconds is in flight.
	slow.on.Store(true)
	type answer struct {
		status int
		raw    []byte
		err    error
	}
	sent := make(chan answer, 1)
	go func() {
		status, raw, err := apiCall(ctx, "POST", baseA+"/v1/inbox/conversations/"+convID+"/messages", key, "", map[string]any{"text": "on my way"})
		sent <- answer{status, raw, err}
	}()
	testsupport.Eventually(t, func() bool { return slow.inFlight.Load() == 1 }, "the send reaching the platform")

	signalled := time.Now()
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- a.cmd.Wait() }()

	// Fresh connections each time: the balancer's health check.
	probe := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	var unready, refused time.Time
	var unreadyBody string
	servedWhileUnready := false
	for refused.IsZero() && time.Since(signalled) < drain+timeout+5*time.Second {
		res, err := probe.Get(baseA + "/readyz")
		if err != nil {
			refused = time.Now()
			break
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode == http.StatusServiceUnavailable && unready.IsZero() {
			unready, unreadyBody = time.Now(), string(raw)
		}
		if !unready.IsZero() && !servedWhileUnready {
			// Anything but the health check is still answered.
			status, _, err := apiCall(ctx, "GET", baseA+"/v1/brands", key, "", nil)
			servedWhileUnready = err == nil && status == 200
		}
		time.Sleep(50 * time.Millisecond)
	}
	switch {
	case unready.IsZero():
		t.Fatalf("/readyz never answered 503 after SIGTERM; log:\n%s", a.log)
	case unready.Sub(signalled) > time.Second:
		t.Errorf("/readyz answered 503 only %s after SIGTERM; want at once", unready.Sub(signalled))
	case !refused.IsZero() && refused.Sub(unready) < drain-200*time.Millisecond:
		t.Errorf("listener closed %s after /readyz turned 503; want the %s drain first", refused.Sub(unready), drain)
	}
	if !strings.Contains(unreadyBody, `"system.not_ready"`) || !strings.Contains(unreadyBody, "shutting down") {
		t.Errorf("/readyz while draining: %s; want system.not_ready saying it is shutting down", unreadyBody)
	}
	if !servedWhileUnready {
		t.Error("API requests were refused during the drain; only /readyz should change")
	}
	select {
	case r := <-sent:
		if r.err != nil || r.status != 201 {
			t.Errorf("the in-flight send: %d %v %s; want 201", r.status, r.err, r.raw)
		}
	case <-time.After(drain + timeout + 5*time.Second):
		t.Fatal("the in-flight send never answered")
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v; want 0. Log:\n%s", err, a.log)
		}
		if took := time.Since(signalled); took > drain+timeout+3*time.Second {
			t.Errorf("stopped %s after SIGTERM; want within drain %s + timeout %s", took, drain, timeout)
		}
	case <-time.After(drain + timeout + 10*time.Second):
		t.Fatalf("still running %s after SIGTERM; log:\n%s", time.Since(signalled), a.log)
	}
	if n := len(emu.Messages(phoneID)); n != 1 {
		t.Errorf("%d messages at the platform, want the one sent", n)
	}

	// The held delivery was handed back: available again, its attempt
	// not counted, no failure recorded against the endpoint.
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var state string
	var attempt, attempts int
	if err := db.QueryRow(`SELECT state::text, attempt FROM river_job WHERE kind = 'webhook_delivery'`).Scan(&state, &attempt); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM webhook_attempts`).Scan(&attempts); err != nil {
		t.Fatal(err)
	}
	if state != "available" || attempt != 0 || attempts != 0 {
		t.Errorf("after the stop the held delivery is %s, attempt %d, %d attempts recorded; want available, 0, 0", state, attempt, attempts)
	}

	// Another replica delivers it, under the webhook-id of the first try.
	releaseAll()
	b = start(t, bin, append(env, "PARLEY_LISTEN="+addrB, "PARLEY_SHUTDOWN_DRAIN=0s"), "serve")
	waitReady(t, "http://"+addrB, b)
	var got []delivery
	testsupport.Eventually(t, func() bool {
		ep.mu.Lock()
		defer ep.mu.Unlock()
		got = append(got[:0], ep.delivered...)
		return len(got) > 0
	}, "the handed-back delivery made by replica B; its log:\n%s", b.log)
	var eventID string
	if err := db.QueryRow(`SELECT id FROM events WHERE type = 'message.received'`).Scan(&eventID); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].messageID != m.ID || got[0].webhookID != eventID {
		t.Errorf("delivered %+v; want message %s once under webhook-id %s", got, m.ID, eventID)
	}

	// Replica B's /metrics shows the queue, the delivery done.
	testsupport.Eventually(t, func() bool {
		res, err := http.Get("http://" + addrB + "/metrics")
		if err != nil {
			return false
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		text := string(raw)
		return strings.Contains(text, `parley_jobs{kind="webhook_delivery",state="available"} 0`) &&
			strings.Contains(text, `parley_jobs{kind="webhook_delivery",state="running"} 0`) &&
			strings.Contains(text, "parley_jobs_stats_up 1")
	}, "replica B's /metrics reporting the job queue")

	// B stops at once with no drain asked and nothing running.
	if err := b.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	if err := b.cmd.Wait(); err != nil || time.Since(stopped) > 3*time.Second {
		t.Errorf("replica B: %v after %s; want exit 0 at once. Log:\n%s", err, time.Since(stopped), b.log)
	}
}
