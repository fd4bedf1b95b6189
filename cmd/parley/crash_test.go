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
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/emulator/waemu"
	"github.com/parleyhq/parley/internal/secrets"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/webhook/inbound"
)

// TestSIGKILLLosesNoAcknowledgedWebhook kills the server with SIGKILL in the
// middle of a burst of inbound WhatsApp webhooks (and the deliveries they
// cause), restarts it on the same database, and checks that every inbound
// webhook acknowledged with 200 reaches the user's endpoint at least once.
func TestSIGKILLLosesNoAcknowledgedWebhook(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a real server")
	}
	bin := filepath.Join(t.TempDir(), "parley")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
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
	log *bytes.Buffer
}

func start(t *testing.T, bin string, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return &proc{cmd: cmd, log: &log}
}

func waitReady(t *testing.T, base string, p *proc) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if res, err := http.Get(base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
	}
	t.Fatalf("server never became ready:\n%s", p.log.String())
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
	kc := exec.Command(bin, "keys", "create", "--org", "Crash")
	kc.Env = env
	out, err := kc.CombinedOutput()
	if err != nil {
		t.Fatalf("keys create: %v\n%s", err, out)
	}
	lines := strings.Fields(string(out))
	key := lines[len(lines)-1]

	// The user's endpoint records which inbound messages reached it. It is
	// slow, so deliveries are still queued and running when the kill lands.
	var mu sync.Mutex
	delivered := map[string]bool{}
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(100 * time.Millisecond)
		var ev struct {
			Type string `json:"type"`
			Data struct {
				MessageID string `json:"message_id"`
			} `json:"data"`
		}
		_ = json.NewDecoder(r.Body).Decode(&ev)
		mu.Lock()
		delivered[ev.Data.MessageID] = true
		mu.Unlock()
	}))
	defer rcv.Close()

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

	var acked sync.Map
	var n atomic.Int64
	var killed atomic.Bool
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < 400; i += 4 {
				if id, ok := send(i); ok {
					acked.Store(id, true)
					if n.Add(1) == 120 && killed.CompareAndSwap(false, true) {
						_ = p.cmd.Process.Signal(syscall.SIGKILL)
					}
				}
			}
		}()
	}
	wg.Wait()
	_ = p.cmd.Wait()
	if !killed.Load() {
		t.Fatal("the burst ended before the kill")
	}
	mu.Lock()
	beforeRestart := len(delivered)
	mu.Unlock()
	ackedAtKill := 0
	acked.Range(func(_, _ any) bool { ackedAtKill++; return true })
	if beforeRestart >= ackedAtKill {
		t.Fatalf("all %d deliveries finished before the kill; the test must kill mid-delivery", beforeRestart)
	}
	t.Logf("killed with %d acknowledged, %d delivered", ackedAtKill, beforeRestart)

	p = start(t, bin, env, "serve")
	waitReady(t, base, p)
	// More traffic after the restart, acknowledged by the new process.
	for i := 400; i < 450; i++ {
		if id, ok := send(i); ok {
			acked.Store(id, true)
		}
	}
	var missing []string
	// Jobs left running by the killed process are rescued by River after
	// PARLEY_JOB_RESCUE_AFTER, on its rescuer's next pass (up to ~30 s).
	for deadline := time.Now().Add(120 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		missing = missing[:0]
		mu.Lock()
		acked.Range(func(k, _ any) bool {
			if !delivered[k.(string)] {
				missing = append(missing, k.(string))
			}
			return true
		})
		mu.Unlock()
		if len(missing) == 0 {
			break
		}
	}
	total := 0
	acked.Range(func(_, _ any) bool { total++; return true })
	if len(missing) > 0 {
		t.Fatalf("%d of %d acknowledged webhooks never delivered after SIGKILL and restart (e.g. %s)\n%s", len(missing), total, missing[0], p.log.String())
	}
	t.Logf("%d acknowledged inbound webhooks, all delivered across a SIGKILL", total)
}
