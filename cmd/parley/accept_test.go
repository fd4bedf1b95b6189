package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/parleyhq/parley/internal/emulator/graphemu"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/secrets"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/testsupport"
)

// TestSIGKILLBetweenAckAndRecording proves that a webhook answered 200 is
// durable before anything it says is recorded, and is recorded after its
// replica dies: the Graph API stops answering, so recording Messenger
// messages (whose webhooks name no thread: Parley asks the Graph API)
// hangs; the server still answers the webhooks 200 and its inbound queue
// holds them; it is SIGKILLed there; a new process, with the Graph API
// back, records every one of them once — one message.received each,
// delivered to the endpoint — and the queue is empty.
func TestSIGKILLBetweenAckAndRecording(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a real server")
	}
	bin := buildParley(t)
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		if b.URL == "" {
			t.Skip("SQLite records a webhook before answering it (ingest.QueueConfig.Direct); TestSIGKILLLosesNoAcknowledgedWebhook covers it")
		}
		ackThenKill(t, bin, b)
	})
}

func ackThenKill(t *testing.T, bin string, b storetest.Backend) {
	const appSecret = "accept-test-app-secret"
	const pageID, pageToken = "100000000000777", "EAAG-accept-test-page"
	ring, _ := secrets.GenerateKey(time.Now())
	addr := freePort(t)
	base := "http://" + addr

	graph := graphemu.New(graphemu.Options{})
	if _, err := graph.AddAccount(graphemu.Account{Platform: platform.Messenger, ID: pageID, Token: pageToken, Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	graph.SetWebhook(base+"/webhooks/meta", appSecret)
	// The Graph API as Parley reaches it: answering, or (hang) holding
	// every request until the caller gives up.
	var hang atomic.Bool
	var hung atomic.Int64
	target := httptest.NewServer(graph)
	defer target.Close()
	u, _ := url.Parse(target.URL)
	proxy := httputil.NewSingleHostReverseProxy(u)
	graphSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hang.Load() {
			hung.Add(1)
			<-r.Context().Done()
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer graphSrv.Close()

	env := append(os.Environ(), "PARLEY_LISTEN="+addr, "PARLEY_SECRET_KEYS="+ring, "PARLEY_META_APP_SECRET="+appSecret,
		"PARLEY_GRAPH_FACEBOOK_URL="+graphSrv.URL, "PARLEY_WEBHOOK_ALLOW_PRIVATE=true",
		// The grace after which another process records what a dead one
		// accepted: short, so the test need not wait two minutes.
		"PARLEY_JOB_RESCUE_AFTER=3s", "PARLEY_LOG_LEVEL=error", "PARLEY_KEY_QUOTA=0")
	var db *sql.DB
	var err error
	if b.URL != "" {
		env = append(env, "PARLEY_DATABASE_URL="+b.URL)
		db, err = sql.Open("pgx", b.URL)
	} else {
		env = append(env, "PARLEY_DATA_DIR="+b.DataDir)
		db, err = sql.Open("sqlite", "file:"+filepath.Join(b.DataDir, "parley.db")+"?_pragma=busy_timeout(5000)")
	}
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	key := createKey(t, bin, env, "Accept")

	var mu sync.Mutex
	received := map[string]int{} // message id → deliveries of message.received
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			Data struct {
				MessageID string `json:"message_id"`
			} `json:"data"`
		}
		body, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(body, &ev)
		mu.Lock()
		received[ev.Data.MessageID]++
		mu.Unlock()
	}))
	defer rcv.Close()

	p := start(t, bin, env, "serve")
	defer func() { _ = p.cmd.Process.Kill(); _ = p.cmd.Wait() }()
	waitReady(t, base, p)
	brand := call(t, "POST", base+"/v1/brands", key, map[string]any{"name": "b"})
	call(t, "POST", base+"/v1/accounts", key, map[string]any{"brand_id": brand["id"], "platform": "messenger", "native_id": pageID, "access_token": pageToken})
	call(t, "POST", base+"/v1/webhooks", key, map[string]any{"url": rcv.URL, "events": []string{"message.received"}})

	hang.Store(true)
	const n = 5
	var ids []string
	for i := range n {
		// graphemu posts the signed webhook and fails unless Parley
		// answers 200.
		m, err := graph.Inbound(pageID, fmt.Sprintf("2460000000000%02d", i), fmt.Sprintf("are you open today? %d", i))
		if err != nil {
			t.Fatalf("webhook %d not acknowledged while the Graph API hangs: %v\n%s", i, err, p.log)
		}
		ids = append(ids, m.ID)
	}
	testsupport.Eventually(t, func() bool { return hung.Load() > 0 }, "recording asking the hung Graph API")
	var queued, recorded int
	if err := db.QueryRow(`SELECT count(*) FROM inbound_queue`).Scan(&queued); err != nil || queued != n {
		t.Fatalf("%d webhooks queued (%v), want all %d acknowledged", queued, err, n)
	}
	if err := db.QueryRow(`SELECT count(*) FROM events WHERE type = 'message.received'`).Scan(&recorded); err != nil || recorded != 0 {
		t.Fatalf("%d message.received recorded (%v) while recording hangs", recorded, err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()

	hang.Store(false)
	p = start(t, bin, env, "serve")
	waitReady(t, base, p)
	testsupport.Within(time.Minute, func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, id := range ids {
			if received[id] == 0 {
				return false
			}
		}
		return true
	})
	mu.Lock()
	for _, id := range ids {
		if received[id] == 0 {
			t.Errorf("acknowledged message %s never reached the endpoint after the kill\n%s", id, p.log)
		}
	}
	mu.Unlock()
	if err := db.QueryRow(`SELECT count(*) FROM events WHERE type = 'message.received'`).Scan(&recorded); err != nil || recorded != n {
		t.Errorf("%d message.received recorded (%v), want one for each of the %d", recorded, err, n)
	}
	if err := db.QueryRow(`SELECT count(*) FROM inbound_queue`).Scan(&queued); err != nil || queued != 0 {
		t.Errorf("%d webhooks still queued (%v)", queued, err)
	}
}
