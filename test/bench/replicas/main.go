// Command replicas measures PostgreSQL ingest through 1, 2, … `parley serve`
// replicas on one database behind a round-robin proxy on this machine.
//
// For each replica count it makes a fresh schema, starts the replicas (their
// delivery workers deliver to a local endpoint meanwhile), connects one
// WhatsApp account and one endpoint, then has 32 senders POST distinct signed
// message webhooks through the proxy for a fixed time, and prints one line:
//
//	replicas=N events/s=… recorded/s=… errors=… load=…
//
// It is a benchmark, not a test: test/bench/run.sh runs it.
//
//	go build -o /tmp/parley ./cmd/parley
//	go run ./test/bench/replicas -parley /tmp/parley -replicas 1,2,3 -seconds 10
package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"github.com/parleyhq/parley/internal/emulator/waemu"
	"github.com/parleyhq/parley/internal/secrets"
	"github.com/parleyhq/parley/internal/webhook/inbound"
)

const (
	appSecret = "bench-app-secret"
	phoneID   = "106540352242922"
	waToken   = "EAAGbench-system-user-token"
)

func main() {
	bin := flag.String("parley", "", "path to a built parley binary (required)")
	counts := flag.String("replicas", "1,2,3", "replica counts to measure, comma-separated")
	seconds := flag.Int("seconds", 10, "load duration per replica count")
	senders := flag.Int("senders", 32, "concurrent webhook senders")
	dbURL := flag.String("db", envOr("PARLEY_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"), "PostgreSQL URL")
	flag.Parse()
	if *bin == "" {
		log.Fatal("-parley is required")
	}
	for _, f := range strings.Split(*counts, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			log.Fatalf("bad replica count %q", f)
		}
		r, err := measure(*bin, *dbURL, n, time.Duration(*seconds)*time.Second, *senders)
		if err != nil {
			log.Fatalf("%d replicas: %v", n, err)
		}
		fmt.Printf("replicas=%d events/s=%.0f recorded/s=%.0f errors=%d load=%s\n", n, r.acked, r.recorded, r.failed, loadavg())
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(b))[:3], "/")
}

// measure runs one replica count.
func measure(bin, dbURL string, n int, d time.Duration, senders int) (result, error) {
	admin, err := sql.Open("pgx", dbURL)
	if err != nil {
		return result{}, err
	}
	defer admin.Close()
	schema := fmt.Sprintf("parley_bench_replicas_%d_%d", os.Getpid(), n)
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		return result{}, err
	}
	defer func() { _, _ = admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`) }()
	u, err := url.Parse(dbURL)
	if err != nil {
		return result{}, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()

	wa := waemu.New(waemu.Options{})
	wa.AddPhoneNumber(waemu.PhoneNumber{ID: phoneID, WABAID: "1", Token: waToken})
	waSrv := httptest.NewServer(wa)
	defer waSrv.Close()
	var delivered atomic.Int64
	sink := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		delivered.Add(1)
	}))
	defer sink.Close()

	ring, err := secrets.GenerateKey(time.Now())
	if err != nil {
		return result{}, err
	}
	env := append(os.Environ(), "PARLEY_DATABASE_URL="+u.String(), "PARLEY_SECRET_KEYS="+ring,
		"PARLEY_META_APP_SECRET="+appSecret, "PARLEY_WHATSAPP_URL="+waSrv.URL, "PARLEY_WEBHOOK_ALLOW_PRIVATE=true",
		"PARLEY_LOG_LEVEL=error", "PARLEY_DB_MAX_CONNS=16", "PARLEY_ORG_QUOTA=0")
	out, err := command(bin, env, "keys", "create", "--org", "Bench", "--name", "bench").CombinedOutput()
	if err != nil {
		return result{}, fmt.Errorf("keys create: %v\n%s", err, out)
	}
	f := strings.Fields(string(out))
	key := f[len(f)-1]

	var backends []*url.URL
	for range n {
		addr, err := freeAddr()
		if err != nil {
			return result{}, err
		}
		cmd := command(bin, append(env, "PARLEY_LISTEN="+addr), "serve")
		var logs bytes.Buffer
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			return result{}, err
		}
		defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
		if err := waitReady("http://" + addr); err != nil {
			return result{}, fmt.Errorf("replica at %s: %v\n%s", addr, err, logs.String())
		}
		backends = append(backends, &url.URL{Scheme: "http", Host: addr})
	}

	base := backends[0].String()
	var brand struct{ ID string }
	if err := call(base, key, "/v1/brands", map[string]any{"name": "b"}, &brand); err != nil {
		return result{}, err
	}
	if err := call(base, key, "/v1/accounts", map[string]any{"brand_id": brand.ID, "platform": "whatsapp", "native_id": phoneID,
		"access_token": waToken}, nil); err != nil {
		return result{}, err
	}
	if err := call(base, key, "/v1/webhooks", map[string]any{"url": sink.URL}, nil); err != nil {
		return result{}, err
	}

	// Round robin, one backend per request, as a load balancer would.
	var turn atomic.Uint64
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(backends[(turn.Add(1)-1)%uint64(len(backends))])
		},
		Transport: &http.Transport{MaxIdleConnsPerHost: 2 * senders},
	}
	lb := httptest.NewServer(proxy)
	defer lb.Close()

	// Distinct messages, signed beforehand so the senders spend no CPU on
	// building them while the clock runs.
	total := int(d.Seconds()) * 4000
	bodies, sigs := make([][]byte, total), make([]string, total)
	for i := range total {
		m := wa.Inbound(phoneID, fmt.Sprintf("1555%07d", i%500), "Bench", fmt.Sprintf("message %d", i))
		bodies[i] = wa.WebhookPayload(m)
		sigs[i] = inbound.SignMeta(appSecret, bodies[i])
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * senders}, Timeout: 30 * time.Second}
	var next, acked, failed atomic.Int64
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for range senders {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				i := next.Add(1) - 1
				if i >= int64(total) {
					return
				}
				req, _ := http.NewRequest("POST", lb.URL+"/webhooks/meta", bytes.NewReader(bodies[i]))
				req.Header.Set(inbound.HeaderMetaSignature, sigs[i])
				req.Header.Set("Content-Type", "application/json")
				res, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode == 200 {
					acked.Add(1)
				} else {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	// Acknowledging stores the body; recording follows. The recorded rate
	// runs from the first post until the queue is empty (a benchmark may
	// poll: it has no other way to watch three processes).
	for end := time.Now().Add(5 * time.Minute); ; time.Sleep(20 * time.Millisecond) {
		var queued int
		if err := admin.QueryRow(`SELECT count(*) FROM ` + schema + `.inbound_queue`).Scan(&queued); err != nil {
			return result{}, err
		}
		if queued == 0 {
			break
		}
		if time.Now().After(end) {
			return result{}, fmt.Errorf("%d acknowledged webhooks still unrecorded after 5 minutes", queued)
		}
	}
	recordedIn := time.Since(start)
	var recorded int
	if err := admin.QueryRow(`SELECT count(*) FROM ` + schema + `.events WHERE type = 'message.received'`).Scan(&recorded); err != nil {
		return result{}, err
	}
	return result{acked: float64(acked.Load()) / elapsed.Seconds(), recorded: float64(recorded) / recordedIn.Seconds(), failed: failed.Load()}, nil
}

// result is one replica count's figures: webhooks acknowledged per second
// while the senders ran, events recorded per second from the first post
// until the last was recorded, and requests not answered 200.
type result struct {
	acked, recorded float64
	failed          int64
}

func command(bin string, env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	return cmd
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func waitReady(base string) error {
	client := &http.Client{Timeout: 2 * time.Second}
	for end := time.Now().Add(60 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		res, err := client.Get(base + "/readyz")
		if err != nil {
			continue
		}
		res.Body.Close()
		if res.StatusCode == 200 {
			return nil
		}
	}
	return fmt.Errorf("not ready after 60 s")
}

// call POSTs body with the API key and decodes the answer's data into out.
func call(base, key, path string, body, out any) error {
	j, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", base+path, bytes.NewReader(j))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		return fmt.Errorf("POST %s: %d %s", path, res.StatusCode, raw)
	}
	if out == nil {
		return nil
	}
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return err
	}
	return json.Unmarshal(env.Data, out)
}
