package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
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

// TestSIGKILLLosesNoAcknowledgedWebhook kills the server with SIGKILL in the
// middle of a burst of inbound WhatsApp webhooks (and the deliveries they
// cause), restarts it on the same database, and checks that every inbound
// webhook acknowledged with 200 reaches the user's endpoint at least once.
// The endpoint holds the deliveries it receives until the kill, so some are
// certainly in flight when it lands and only River's rescue of the killed
// process's jobs can complete them.
func TestSIGKILLLosesNoAcknowledgedWebhook(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a real server")
	}
	bin := buildParley(t)
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		crashRun(t, bin, b)
	})
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type proc struct {
	cmd *exec.Cmd
	log *syncBuffer
}

// syncBuffer is the server's output, written by exec's copying goroutine
// and read by the test when it fails.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func start(t *testing.T, bin string, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	log := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return &proc{cmd: cmd, log: log}
}

// createKey runs `parley keys create` for a new organisation and returns
// the key it prints last.
func createKey(t *testing.T, bin string, env []string, org string) string {
	t.Helper()
	cli := exec.Command(bin, "keys", "create", "--org", org, "--name", "setup")
	cli.Env = env
	out, err := cli.CombinedOutput()
	if err != nil {
		t.Fatalf("keys create: %v\n%s", err, out)
	}
	f := strings.Fields(string(out))
	return f[len(f)-1]
}

func waitReady(t *testing.T, base string, p *proc) {
	t.Helper()
	// Bounded: a request that hangs (say, a stray server took the port
	// between freePort and the bind) must not stall the test past its
	// deadline; the log then shows why the server is not ready.
	client := &http.Client{Timeout: 2 * time.Second}
	testsupport.Eventually(t, func() bool {
		res, err := client.Get(base + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == 200
	}, "server ready at %s; its log:\n%s", base, p.log)
}

func call(t *testing.T, method, url, key string, body any) map[string]any {
	t.Helper()
	j, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, url, bytes.NewReader(j))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	if res.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, url, res.StatusCode, raw)
	}
	return out["data"].(map[string]any)
}

func crashRun(t *testing.T, bin string, b storetest.Backend) {
	// Most of the run waits for River's rescuer; the backends wait together.
	t.Parallel()
	const appSecret = "crash-test-app-secret"
	const phoneID = "106540352242922"
	const waToken = "EAAGcrash-test-system-user-token"
	ring, _ := secrets.GenerateKey(time.Now())
	addr := freePort(t)
	base := "http://" + addr
	// The WhatsApp emulator both verifies the account's token (Parley asks
	// it before storing the token) and writes the signed webhooks.
	emu := waemu.New(waemu.Options{})
	emu.AddPhoneNumber(waemu.PhoneNumber{ID: phoneID, WABAID: "1", Token: waToken})
	emuSrv := httptest.NewServer(emu)
	defer emuSrv.Close()
	env := append(os.Environ(), "PARLEY_LISTEN="+addr, "PARLEY_SECRET_KEYS="+ring, "PARLEY_META_APP_SECRET="+appSecret,
		"PARLEY_WHATSAPP_URL="+emuSrv.URL,
		"PARLEY_WEBHOOK_ALLOW_PRIVATE=true", "PARLEY_JOB_RESCUE_AFTER=3s", "PARLEY_LOG_LEVEL=error", "PARLEY_KEY_QUOTA=0")
	if b.URL != "" {
		env = append(env, "PARLEY_DATABASE_URL="+b.URL)
	} else {
		env = append(env, "PARLEY_DATA_DIR="+b.DataDir)
	}
	key := createKey(t, bin, env, "Crash")

	// The user's endpoint records which inbound messages reached it. Until
	// the kill it holds every delivery it receives (body read, answer not
	// yet given), so deliveries are certainly in flight when the server
	// dies. A held delivery whose sender died is not counted: River must
	// deliver it again after the restart.
	var mu sync.Mutex
	delivered := map[string]bool{}
	release := make(chan struct{})
	var releaseOnce sync.Once
	releaseAll := func() { releaseOnce.Do(func() { close(release) }) }
	var held atomic.Int64
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			Type string `json:"type"`
			Data struct {
				MessageID string `json:"message_id"`
			} `json:"data"`
		}
		// Read the body to its end: only then does net/http watch the
		// connection and cancel r.Context() when the sender dies.
		body, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(body, &ev)
		held.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
		held.Add(-1)
		if r.Context().Err() != nil {
			return // the sender is gone: this attempt did not complete
		}
		mu.Lock()
		delivered[ev.Data.MessageID] = true
		mu.Unlock()
	}))
	defer rcv.Close()
	defer releaseAll() // before rcv.Close, which waits for the handlers

	p := start(t, bin, env, "serve")
	defer func() { _ = p.cmd.Process.Kill(); _ = p.cmd.Wait() }()
	waitReady(t, base, p)
	brand := call(t, "POST", base+"/v1/brands", key, map[string]any{"name": "b"})
	call(t, "POST", base+"/v1/accounts", key, map[string]any{"brand_id": brand["id"], "platform": "whatsapp", "native_id": phoneID, "access_token": waToken})
	call(t, "POST", base+"/v1/webhooks", key, map[string]any{"url": rcv.URL, "events": []string{"message.received"}})

	send := func(i int) (string, bool) {
		m := emu.Inbound(phoneID, fmt.Sprintf("1555%07d", i%50), "Crash", fmt.Sprintf("message %d", i))
		body := emu.WebhookPayload(m)
		req, _ := http.NewRequest("POST", base+"/webhooks/meta", bytes.NewReader(body))
		req.Header.Set(inbound.HeaderMetaSignature, inbound.SignMeta(appSecret, body))
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return m.ID, false
		}
		res.Body.Close()
		return m.ID, res.StatusCode == 200
	}

	// Four clients post webhooks until the server dies under them.
	var acked sync.Map
	var n, next atomic.Int64
	var killed atomic.Bool
	stop := make(chan struct{})
	defer close(stop)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				id, ok := send(int(next.Add(1)))
				if ok {
					acked.Store(id, true)
					n.Add(1)
				} else if killed.Load() {
					return
				}
			}
		}()
	}
	testsupport.Eventually(t, func() bool { return n.Load() >= 120 }, "120 inbound webhooks acknowledged; server log:\n%s", p.log)
	testsupport.Eventually(t, func() bool { return held.Load() > 0 }, "a delivery in flight at the endpoint; server log:\n%s", p.log)
	inFlight := held.Load()
	killed.Store(true)
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	_ = p.cmd.Wait()
	// Every held handler sees its connection close; none may complete.
	testsupport.Eventually(t, func() bool { return held.Load() == 0 }, "held deliveries noticing the kill")
	releaseAll()
	mu.Lock()
	beforeRestart := len(delivered)
	mu.Unlock()
	if beforeRestart != 0 {
		t.Fatalf("%d deliveries completed although the endpoint held them all until the kill", beforeRestart)
	}
	ackedAtKill := 0
	acked.Range(func(_, _ any) bool { ackedAtKill++; return true })
	t.Logf("killed with %d acknowledged and at least %d deliveries in flight", ackedAtKill, inFlight)

	p = start(t, bin, env, "serve")
	waitReady(t, base, p)
	// More traffic after the restart, acknowledged by the new process.
	for range 50 {
		if id, ok := send(int(next.Add(1))); ok {
			acked.Store(id, true)
		}
	}
	var missing []string
	// Jobs left running by the killed process are rescued by River after
	// PARLEY_JOB_RESCUE_AFTER, on its rescuer's next pass (up to ~30 s),
	// and retried on the delivery schedule (5 s): most of a minute.
	testsupport.Within(3*time.Minute, func() bool {
		missing = missing[:0]
		mu.Lock()
		defer mu.Unlock()
		acked.Range(func(k, _ any) bool {
			if !delivered[k.(string)] {
				missing = append(missing, k.(string))
			}
			return true
		})
		return len(missing) == 0
	})
	total := 0
	acked.Range(func(_, _ any) bool { total++; return true })
	if len(missing) > 0 {
		t.Fatalf("%d of %d acknowledged webhooks never delivered after SIGKILL and restart (e.g. %s)\n%s", len(missing), total, missing[0], p.log.String())
	}
	t.Logf("%d acknowledged inbound webhooks, all delivered across a SIGKILL", total)
}
