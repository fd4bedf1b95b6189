package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"slices"
	"strconv"
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

// roundRobin is the load balancer in front of the replicas: each request
// goes to the next replica in turn. A dead replica answers 502 through it,
// and callers retry, as platforms and API clients do.
type roundRobin struct {
	next    atomic.Uint64
	proxies []*httputil.ReverseProxy
	down    sync.Map // index → true once its health check fails
}

func newRoundRobin(t *testing.T, bases ...string) *roundRobin {
	t.Helper()
	rr := &roundRobin{}
	for _, b := range bases {
		u, err := url.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		p := httputil.NewSingleHostReverseProxy(u)
		p.ErrorLog = nil
		p.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, err error) {
			http.Error(w, "upstream: "+err.Error(), http.StatusBadGateway)
		}
		rr.proxies = append(rr.proxies, p)
	}
	return rr
}

func (rr *roundRobin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for {
		i := int((rr.next.Add(1) - 1) % uint64(len(rr.proxies)))
		if _, down := rr.down.Load(i); !down {
			rr.proxies[i].ServeHTTP(w, r)
			return
		}
	}
}

// markDown takes replica i out of the rotation, as a load balancer does
// once its health check fails; until then it answers 502.
func (rr *roundRobin) markDown(i int) { rr.down.Store(i, true) }

// markUp puts replica i back, once its health check passes again.
func (rr *roundRobin) markUp(i int) { rr.down.Delete(i) }

// delivery is one webhook delivery the user's endpoint completed.
type delivery struct {
	webhookID, messageID, conversationID string
}

// heldDelivery is a delivery the endpoint keeps open, with the sender's
// TCP port.
type heldDelivery struct {
	messageID string
	port      int
}

// userEndpoint is the user's webhook endpoint. While holding, it keeps each
// delivery open (body read, no answer) until release; a held delivery whose
// sender dies is not counted as delivered.
type userEndpoint struct {
	mu        sync.Mutex
	delivered []delivery
	held      map[*http.Request]heldDelivery
	holding   atomic.Bool
	release   chan struct{}
}

func (u *userEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var ev struct {
		ID   string `json:"id"`
		Type string `json:"type"`
		Data struct {
			MessageID      string `json:"message_id"`
			ConversationID string `json:"conversation_id"`
		} `json:"data"`
	}
	// Read the body to its end: only then does net/http watch the
	// connection and cancel r.Context() when the sender dies.
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &ev); err != nil || ev.Type != "message.received" {
		return
	}
	id := ev.Data.MessageID
	if u.holding.Load() {
		_, p, _ := net.SplitHostPort(r.RemoteAddr)
		port, _ := strconv.Atoi(p)
		u.mu.Lock()
		u.held[r] = heldDelivery{messageID: id, port: port}
		u.mu.Unlock()
		select {
		case <-u.release:
		case <-r.Context().Done():
		}
		u.mu.Lock()
		delete(u.held, r)
		u.mu.Unlock()
		if r.Context().Err() != nil {
			return
		}
	}
	u.mu.Lock()
	u.delivered = append(u.delivered, delivery{webhookID: r.Header.Get("webhook-id"), messageID: id, conversationID: ev.Data.ConversationID})
	u.mu.Unlock()
}

// heldBy returns the message ids held now, by the sender's TCP port.
func (u *userEndpoint) heldBy() map[int][]string {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := map[int][]string{}
	for _, h := range u.held {
		out[h.port] = append(out[h.port], h.messageID)
	}
	return out
}

// tcpPorts lists the local ports of the TCP sockets process pid holds
// (Linux: its socket inodes in /proc/<pid>/fd, looked up in /proc/net/tcp
// and tcp6), to tell which replica a held delivery came from.
func tcpPorts(pid int) (map[int]bool, error) {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return nil, err
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && strings.HasPrefix(l, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	ports := map[int]bool{}
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(table)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 10 || !inodes[f[9]] {
				continue
			}
			_, hexPort, _ := strings.Cut(f[1], ":")
			if p, err := strconv.ParseUint(hexPort, 16, 16); err == nil {
				ports[int(p)] = true
			}
		}
	}
	return ports, nil
}

// replicaCluster is N `parley serve` processes on one PostgreSQL.
type replicaCluster struct {
	env   []string
	addrs []string
	procs []*proc
}

func (c *replicaCluster) logs() string {
	var b strings.Builder
	for i, p := range c.procs {
		if p != nil {
			fmt.Fprintf(&b, "--- replica %d ---\n%s\n", i, p.log)
		}
	}
	return b.String()
}

// apiCall is one API request with the answer's status and body.
func apiCall(ctx context.Context, method, u, key, idemKey string, body any) (int, []byte, error) {
	j, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(j))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	return res.StatusCode, raw, err
}

func errorCode(raw []byte) string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(raw, &e)
	return e.Error.Code
}

// windows counts the fixed windows of length (aligned on the Unix epoch,
// as Parley's counters are) that [from, to] touches.
func windows(from, to time.Time, length time.Duration) int {
	return int(to.UnixNano()/int64(length)-from.UnixNano()/int64(length)) + 1
}

// TestReplicasShareOnePostgreSQL runs three `parley serve` processes on one
// PostgreSQL behind a round-robin proxy, drives signed inbound WhatsApp
// webhooks and sends through it, SIGKILLs one replica in the middle, and
// checks what a user relies on when running several replicas:
//
//   - every inbound webhook acknowledged with 200 is stored once (one
//     message.received event) and reaches the user's endpoint, at least
//     once, always under the same webhook-id;
//   - deliveries the killed replica held are completed by the others
//     (River rescues its jobs; the killed replica never comes back);
//   - a send retried with one Idempotency-Key, on any replicas and across
//     the kill, reaches the platform at most once, and exactly once when
//     it was answered 201;
//   - WhatsApp's per-recipient pair limit and an API key's quota, counted
//     in the database, hold across the replicas together;
//   - (in the soak only, see there) WhatsApp's 80 messages/s per number
//     holds at the platform in every second under a burst from all
//     replicas;
//   - every PostgreSQL connection of the replicas terminated at once
//     (pg_terminate_backend, as a database failover or restart does) is
//     survived: pools reconnect, LISTEN connections come back, inbound
//     is acknowledged again and nothing acknowledged is lost;
//   - no job is left stuck: every delivery completes, no job stays
//     running past the rescue window, none is discarded but a periodic
//     task (one attempt by design) whose run met a terminated connection.
//
// It runs in well under a minute. PARLEY_SOAK=5m (a Go duration) keeps the
// load on that long, killing and restarting a replica and terminating the
// connections every 15 s in turn; CI does not set it.
func TestReplicasShareOnePostgreSQL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills real servers")
	}
	var soak time.Duration
	if v := os.Getenv("PARLEY_SOAK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("PARLEY_SOAK=%q: want a Go duration such as 5m", v)
		}
		soak = d
	}
	dbURL := storetest.FreshPostgres(t)
	// The replicas' connections carry a name of their own, so the test can
	// terminate them, and only them, in a server other tests share.
	appName := fmt.Sprintf("parley_replicas_%d", time.Now().UnixNano())
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", appName)
	u.RawQuery = q.Encode()
	appURL := u.String()
	bin := buildParley(t)

	const appSecret = "replicas-app-secret"
	const phoneID = "106540352242922"
	const waToken = "EAAGreplicas-system-user-token"
	// Small enough that the test's own traffic stays well below it, on
	// each of the keys it spreads that traffic over.
	const keyQuota = 30
	const rescueAfter = 6 * time.Second
	// WhatsApp Cloud API: 80 messages/s per business phone number by default.
	// https://developers.facebook.com/documentation/business-messaging/whatsapp/throughput (checked 2026-11-30)
	const waThroughput = 80
	ring, _ := secrets.GenerateKey(time.Now())
	emu := waemu.New(waemu.Options{})
	// The emulator itself would refuse past 80 messages in any sliding
	// second (130429); set far above, it records whatever Parley lets
	// through, so the check below is of Parley's own limit.
	emu.AddPhoneNumber(waemu.PhoneNumber{ID: phoneID, WABAID: "1", Token: waToken, Throughput: 100000})
	emuSrv := httptest.NewServer(emu)
	defer emuSrv.Close()

	ep := &userEndpoint{held: map[*http.Request]heldDelivery{}, release: make(chan struct{})}
	var releaseOnce sync.Once
	releaseAll := func() { releaseOnce.Do(func() { ep.holding.Store(false); close(ep.release) }) }
	ep.holding.Store(true)
	epSrv := httptest.NewServer(ep)
	defer epSrv.Close()
	defer releaseAll() // before epSrv.Close, which waits for the handlers

	c := &replicaCluster{procs: make([]*proc, 3),
		addrs: []string{freePort(t), freePort(t), freePort(t)},
		env: append(os.Environ(), "PARLEY_DATABASE_URL="+appURL, "PARLEY_SECRET_KEYS="+ring,
			"PARLEY_META_APP_SECRET="+appSecret, "PARLEY_WHATSAPP_URL="+emuSrv.URL, "PARLEY_WEBHOOK_ALLOW_PRIVATE=true",
			// Jobs left running by the killed replica are retried once this
			// and their worker's timeout (20 s for a delivery) have passed,
			// by Parley's rescue pass every quarter of it. Held deliveries
			// on the survivors may hit that timeout and be retried: still at
			// least once, under one webhook-id.
			"PARLEY_JOB_RESCUE_AFTER="+rescueAfter.String(), "PARLEY_SHUTDOWN_DRAIN=0s",
			fmt.Sprintf("PARLEY_KEY_QUOTA=%d", keyQuota), "PARLEY_ORG_QUOTA=0",
			// Three replicas and the other tests share the server's 100
			// connections.
			"PARLEY_DB_MAX_CONNS=6", "PARLEY_DB_MIN_OPEN_CONNS=1", "PARLEY_LOG_LEVEL=error")}
	defer func() {
		for _, p := range c.procs {
			if p != nil {
				_ = p.cmd.Process.Kill()
				_ = p.cmd.Wait()
			}
		}
	}()
	setupKey := createKey(t, bin, c.env, "Replicas")
	// The replicas start together.
	for i := range c.procs {
		c.procs[i] = start(t, bin, append(c.env, "PARLEY_LISTEN="+c.addrs[i]), "serve")
	}
	for i, p := range c.procs {
		waitReady(t, "http://"+c.addrs[i], p)
	}
	base0 := "http://" + c.addrs[0]
	ctx := context.Background()
	mustOK := func(method, path string, body any) map[string]any {
		t.Helper()
		status, raw, err := apiCall(ctx, method, base0+path, setupKey, "", body)
		if err != nil || status >= 300 {
			t.Fatalf("%s %s: %d %v %s", method, path, status, err, raw)
		}
		var out struct {
			Data map[string]any `json:"data"`
		}
		_ = json.Unmarshal(raw, &out)
		return out.Data
	}
	// The test's own traffic is spread over several keys, each well under
	// the quota; one more key is the one whose quota is tested.
	newKey := func(name string) string {
		status, raw, err := apiCall(ctx, "POST", base0+"/v1/api-keys", setupKey, "", map[string]any{"name": name})
		var k struct {
			Data struct {
				Key string `json:"key"`
			} `json:"data"`
		}
		if err != nil || status != 201 || json.Unmarshal(raw, &k) != nil || k.Data.Key == "" {
			t.Fatalf("create key: %d %v %s", status, err, raw)
		}
		return k.Data.Key
	}
	var keys []string
	for i := range 20 {
		keys = append(keys, newKey(fmt.Sprintf("load-%d", i)))
	}
	quotaKey := newKey("quota")
	var keyTurn atomic.Uint64
	nextKey := func() string { return keys[(keyTurn.Add(1)-1)%uint64(len(keys))] }
	brand := mustOK("POST", "/v1/brands", map[string]any{"name": "b"})
	mustOK("POST", "/v1/accounts", map[string]any{"brand_id": brand["id"], "platform": "whatsapp", "native_id": phoneID, "access_token": waToken})
	mustOK("POST", "/v1/webhooks", map[string]any{"url": epSrv.URL, "events": []string{"message.received"}})

	// postInbound delivers one customer message as Meta would: signed, and
	// retried until answered 200 (Meta retries failed webhooks).
	var acked sync.Map // message id → customer wa_id
	postInbound := func(base, waID string, i int) bool {
		m := emu.Inbound(phoneID, waID, "Customer", fmt.Sprintf("message %d", i))
		body := emu.WebhookPayload(m)
		for range 200 {
			req, _ := http.NewRequest("POST", base+"/webhooks/meta", bytes.NewReader(body))
			req.Header.Set(inbound.HeaderMetaSignature, inbound.SignMeta(appSecret, body))
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				continue
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == 200 {
				acked.Store(m.ID, waID)
				return true
			}
		}
		return false
	}
	customer := func(i int) string { return fmt.Sprintf("1555%07d", i) }
	rr := newRoundRobin(t, base0, "http://"+c.addrs[1], "http://"+c.addrs[2])
	lb := httptest.NewServer(rr)
	defer lb.Close()
	// Twenty customers write first; the endpoint holds their deliveries,
	// whichever replicas' workers took them.
	const first = 20
	for i := range first {
		if !postInbound(lb.URL, customer(i), i) {
			t.Fatalf("inbound %d never acknowledged; log:\n%s", i, c.logs())
		}
	}
	// Inbound load through the proxy, from four senders, until stopped,
	// from enough customers for a throughput burst to distinct recipients.
	const customers = 110
	stop := make(chan struct{})
	var next atomic.Int64
	next.Store(first)
	var inboundWG sync.WaitGroup
	for range 4 {
		inboundWG.Add(1)
		go func() {
			defer inboundWG.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				i := int(next.Add(1) - 1)
				postInbound(lb.URL, customer(first+i%customers), i)
			}
		}()
	}
	countAcked := func() int {
		n := 0
		acked.Range(func(_, _ any) bool { n++; return true })
		return n
	}
	testsupport.Eventually(t, func() bool { return countAcked() >= first+30 }, "inbound acknowledged through the proxy; log:\n%s", c.logs())

	// Conversations of the first customers, as their events name them.
	conv := map[string]string{} // wa_id → conversation id
	testsupport.Eventually(t, func() bool {
		status, raw, err := apiCall(ctx, "GET", lb.URL+"/v1/inbox/conversations?limit=100", nextKey(), "", nil)
		if err != nil || status != 200 {
			return false
		}
		var l struct {
			Data []struct {
				ID            string `json:"id"`
				ParticipantID string `json:"participant_id"`
			} `json:"data"`
		}
		_ = json.Unmarshal(raw, &l)
		for _, cv := range l.Data {
			conv[cv.ParticipantID] = cv.ID
		}
		for i := range first {
			if conv[customer(i)] == "" {
				return false
			}
		}
		return true
	}, "the first customers' conversations listed")

	// Sends, across the kill. Customers 0–9: one message each under one
	// Idempotency-Key, posted twice at once and retried on failure (a 5xx,
	// a dead connection, or the key still in progress), as a client that
	// lost its answer does. Customers 10–19: three different messages at
	// once, two of which the pair limit (one message per 6 s per
	// recipient) must refuse wherever they land.
	type sendResult struct {
		status   int
		code     string
		from, to time.Time
	}
	var sendMu sync.Mutex
	idemResults := map[string][]sendResult{} // key → answers of its final attempts
	pairResults := map[string][]sendResult{} // wa_id → answers
	var sendWG sync.WaitGroup
	sendOnce := func(waID, idemKey, text string) sendResult {
		from := time.Now()
		// A dead replica answers 502 at once: try again. A key the killed
		// replica had claimed stays in progress (then unknown) for minutes:
		// after four slow tries the outcome is unknown (status 0).
		slow := 0
		for range 100 {
			actx, cancel := context.WithTimeout(ctx, 3*time.Second)
			status, raw, err := apiCall(actx, "POST", lb.URL+"/v1/inbox/conversations/"+conv[waID]+"/messages", nextKey(), idemKey,
				map[string]any{"text": text})
			cancel()
			code := errorCode(raw)
			switch {
			case err == nil && status == http.StatusBadGateway:
				continue
			case err == nil && status < 500 && code != "resource.idempotency_in_progress":
				return sendResult{status: status, code: code, from: from, to: time.Now()}
			}
			if slow++; slow == 4 {
				break
			}
		}
		return sendResult{status: 0, from: from, to: time.Now()}
	}
	for i := range 10 {
		for range 2 {
			sendWG.Add(1)
			go func() {
				defer sendWG.Done()
				key := fmt.Sprintf("idem-%d", i)
				r := sendOnce(customer(i), key, "reply "+key)
				sendMu.Lock()
				idemResults[key] = append(idemResults[key], r)
				sendMu.Unlock()
			}()
		}
	}
	for i := 10; i < first; i++ {
		for j := range 3 {
			sendWG.Add(1)
			go func() {
				defer sendWG.Done()
				r := sendOnce(customer(i), fmt.Sprintf("pair-%d-%d", i, j), fmt.Sprintf("pair %d/%d", i, j))
				sendMu.Lock()
				pairResults[customer(i)] = append(pairResults[customer(i)], r)
				sendMu.Unlock()
			}()
		}
	}
	// Kill a replica once some sends have reached the platform, so others
	// are in flight, along with inbound webhooks and held deliveries: the
	// one holding the most deliveries at the endpoint (their senders' ports
	// are its sockets), so some of the jobs it dies with are certain.
	testsupport.Eventually(t, func() bool { return len(emu.Messages(phoneID)) >= 3 }, "sends reaching the platform; log:\n%s", c.logs())
	victim, victimHeld, victimPorts := -1, []string(nil), map[int]bool(nil)
	testsupport.Eventually(t, func() bool {
		held := ep.heldBy()
		for i, p := range c.procs {
			ports, err := tcpPorts(p.cmd.Process.Pid)
			if err != nil {
				t.Skipf("cannot map sockets to processes here: %v", err)
			}
			var ids []string
			for port, ms := range held {
				if ports[port] {
					ids = append(ids, ms...)
				}
			}
			if len(ids) > len(victimHeld) {
				victim, victimHeld, victimPorts = i, ids, ports
			}
		}
		return victim >= 0
	}, "a replica holding deliveries at the endpoint")
	if err := c.procs[victim].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = c.procs[victim].cmd.Wait()
	killedAt := time.Now()
	// Its held deliveries see their connections close (the handlers return
	// without counting them): those jobs stay "running" in the database,
	// for a process that no longer exists.
	testsupport.Eventually(t, func() bool {
		for port := range ep.heldBy() {
			if victimPorts[port] {
				return false
			}
		}
		return true
	}, "the killed replica's held deliveries cut off")
	releaseAll()
	// The balancer's health check notices the dead replica only now, so
	// for a while requests reached it and failed, and callers retried.
	rr.markDown(victim)
	sendWG.Wait()
	// More inbound after the kill, then stop.
	atKill := countAcked()
	testsupport.Eventually(t, func() bool { return countAcked() >= atKill+30 }, "inbound acknowledged after the kill; log:\n%s", c.logs())

	// The killed replica comes back on its port; the balancer puts it back
	// in rotation once /readyz answers.
	restart := func(i int) {
		t.Helper()
		c.procs[i] = start(t, bin, append(c.env, "PARLEY_LISTEN="+c.addrs[i]), "serve")
		waitReady(t, "http://"+c.addrs[i], c.procs[i])
		rr.markUp(i)
	}
	restart(victim)
	// Then PostgreSQL drops every connection of the replicas at once, as a
	// failover or a restart of the server does, under load: pools must
	// reconnect, and so must the LISTEN connections (River's, which wake
	// the workers, and the live hub's).
	db, err := sql.Open("pgx", dbURL) // the test's own, not named appName
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// A LISTEN connection's last statement is its LISTEN, or River's
	// listener's periodic ping.
	listening := func() int {
		var n int
		_ = db.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND (query ILIKE 'listen %' OR query = '-- ping')`,
			appName).Scan(&n)
		return n
	}
	// Each replica listens for River's notifications and the hub's events.
	testsupport.Eventually(t, func() bool { return listening() >= 2*len(c.procs) }, "every replica's LISTEN connections open")
	listeners := listening()
	terminate := func() {
		t.Helper()
		var n int
		if err := db.QueryRow(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`, appName).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n < 2*len(c.procs) {
			t.Fatalf("terminated %d connections; want every replica's, at least its LISTEN ones", n)
		}
		t.Logf("terminated the replicas' %d database connections", n)
		at := countAcked()
		testsupport.Eventually(t, func() bool { return countAcked() >= at+30 }, "inbound acknowledged after %d connections were terminated; log:\n%s", n, c.logs())
		testsupport.Eventually(t, func() bool { return listening() >= listeners }, "the LISTEN connections back after %d connections were terminated", n)
	}
	terminate()
	// The soak goes on, a replica killed and restarted and the connections
	// terminated every 15 s in turn, while the load runs.
	for round, end := 0, time.Now().Add(soak); time.Now().Before(end); round++ {
		select {
		case <-time.After(15 * time.Second):
		case <-time.After(time.Until(end)):
			continue
		}
		if round%2 == 1 {
			terminate()
			continue
		}
		i := round / 2 % len(c.procs)
		rr.markDown(i)
		_ = c.procs[i].cmd.Process.Signal(syscall.SIGKILL)
		_ = c.procs[i].cmd.Wait()
		at := countAcked()
		restart(i)
		testsupport.Eventually(t, func() bool { return countAcked() >= at+30 }, "inbound acknowledged after replica %d restarted", i)
		t.Logf("soak: %s left; replica %d killed and restarted; %d inbound acknowledged", time.Until(end).Round(time.Second), i, countAcked())
	}
	testsupport.Eventually(t, func() bool { return next.Load() >= first+customers+4 }, "every customer has written")
	close(stop)
	inboundWG.Wait()

	// WhatsApp's throughput, 80 messages/s per number, under a burst from
	// all three replicas at once to distinct customers (each recipient's
	// own pair limit is not in play): Parley's shared count must hold it
	// at the platform, whichever replica sends.
	//
	// In the soak only, for its time (it needs more customers than the
	// CI form makes). Parley takes the ceiling next to the platform call and
	// counts a send made in a window's last 100 ms in the next window too
	// (internal/inbox/limits.go); before that, a burst queued on the pools
	// reached the platform bunched: 110 sends all admitted, 109 within one
	// clock second. Measured since (PARLEY_SOAK=15s): 96 accepted, 14
	// refused, at most 60 in one clock second.
	if soak > 0 {
		var recipients []string // conversation ids of customers never replied to
		for cursor := ""; ; {
			status, raw, err := apiCall(ctx, "GET", lb.URL+"/v1/inbox/conversations?limit=100"+cursor, nextKey(), "", nil)
			var l struct {
				Data []struct {
					ID            string `json:"id"`
					ParticipantID string `json:"participant_id"`
				} `json:"data"`
				Pagination struct {
					HasMore    bool   `json:"has_more"`
					NextCursor string `json:"next_cursor"`
				} `json:"pagination"`
			}
			if err != nil || status != 200 || json.Unmarshal(raw, &l) != nil {
				t.Fatalf("list conversations: %d %v %s", status, err, raw)
			}
			for _, cv := range l.Data {
				if n, _ := strconv.Atoi(strings.TrimPrefix(cv.ParticipantID, "1555")); n >= first {
					recipients = append(recipients, cv.ID)
				}
			}
			if !l.Pagination.HasMore {
				break
			}
			cursor = "&cursor=" + url.QueryEscape(l.Pagination.NextCursor)
		}
		if len(recipients) <= waThroughput {
			t.Fatalf("%d customers to burst to; want more than %d", len(recipients), waThroughput)
		}
		beforeBurst := len(emu.Messages(phoneID))
		burstOK, burstLimited := atOnce(t, "burst send", len(recipients), func(i int) (int, []byte, error) {
			return apiCall(ctx, "POST", lb.URL+"/v1/inbox/conversations/"+recipients[i]+"/messages", keys[i%len(keys)], "", map[string]any{"text": "burst"})
		}, 201, "platform.whatsapp.rate_limit")
		perSecond, slidingMax := map[int64]int{}, 0
		all := emu.Messages(phoneID)
		for i, m := range all {
			perSecond[m.SentAt.Unix()]++
			n := 0
			for _, o := range all[i:] {
				if o.SentAt.Sub(m.SentAt) < time.Second {
					n++
				}
			}
			slidingMax = max(slidingMax, n)
		}
		for sec, n := range perSecond {
			if n > waThroughput {
				t.Errorf("%d messages reached WhatsApp in the second %s; the number allows %d/s", n, time.Unix(sec, 0).UTC().Format(time.TimeOnly), waThroughput)
			}
		}
		t.Logf("throughput burst: %d sends, %d accepted, %d refused by Parley; at most %d in one clock second, %d in a sliding second",
			len(recipients), burstOK, burstLimited, slices.Max(slices.Collect(maps.Values(perSecond))), slidingMax)
		if got := len(emu.Messages(phoneID)) - beforeBurst; got != burstOK {
			t.Errorf("%d burst messages at the platform for %d answered 201", got, burstOK)
		}
	}

	// The quota of one API key, hammered through all replicas at once:
	// three times what it allows, so per-replica counting would let it
	// through three times over.
	qFrom := time.Now()
	quotaOK, quota429 := atOnce(t, "quota probe", 3*keyQuota, func(int) (int, []byte, error) {
		return apiCall(ctx, "GET", lb.URL+"/v1/brands", quotaKey, "", nil)
	}, 200, "rate_limit.exceeded")
	if w := windows(qFrom, time.Now(), time.Minute); quotaOK > keyQuota*w || quota429 == 0 {
		t.Errorf("key quota %d/min over %d window(s): %d answered 200, %d refused 429", keyQuota, w, quotaOK, quota429)
	}

	// Every acknowledged inbound message reaches the endpoint, the killed
	// replica's held ones included: only River's rescue on the surviving
	// replicas can deliver those (their first attempt died with it).
	var missing []string
	testsupport.Within(2*time.Minute, func() bool {
		ep.mu.Lock()
		got := map[string]bool{}
		for _, d := range ep.delivered {
			got[d.messageID] = true
		}
		ep.mu.Unlock()
		missing = missing[:0]
		acked.Range(func(k, _ any) bool {
			if !got[k.(string)] {
				missing = append(missing, k.(string))
			}
			return true
		})
		return len(missing) == 0
	})
	if len(missing) > 0 {
		t.Fatalf("%d of %d acknowledged inbound messages never reached the endpoint (e.g. %s); log:\n%s", len(missing), countAcked(), missing[0], c.logs())
	}
	t.Logf("%d inbound acknowledged; %d held by the killed replica %d, delivered by the others %.1fs after the kill",
		countAcked(), len(victimHeld), victim, time.Since(killedAt).Seconds())
	ep.mu.Lock()
	ids := map[string]map[string]bool{} // message id → webhook-ids delivered
	for _, d := range ep.delivered {
		if ids[d.messageID] == nil {
			ids[d.messageID] = map[string]bool{}
		}
		ids[d.messageID][d.webhookID] = true
	}
	deliveries := len(ep.delivered)
	ep.mu.Unlock()
	for m, w := range ids {
		if len(w) != 1 {
			t.Errorf("message %s delivered under %d webhook-ids %v; repeats must carry the same one", m, len(w), w)
		}
	}

	var events int
	if err := db.QueryRow(`SELECT count(*) FROM events WHERE type = 'message.received'`).Scan(&events); err != nil {
		t.Fatal(err)
	}
	if events != countAcked() {
		t.Errorf("%d message.received events stored for %d acknowledged inbound messages; want one each", events, countAcked())
	}
	// Acknowledged webhooks the killed replica had not recorded were
	// recorded by the sweep: none is left queued, none failed.
	var queued int
	if err := db.QueryRow(`SELECT count(*) FROM inbound_queue`).Scan(&queued); err != nil || queued != 0 {
		t.Errorf("%d acknowledged webhooks left unrecorded (%v)", queued, err)
	}
	// No job is stuck: every delivery completed (none left running on a
	// dead replica, queued or waiting for a retry), no job of any kind
	// running past the rescue window (its worker's timeout, 20 s for a
	// delivery, then a rescue pass), and none discarded but periodic tasks,
	// which have one attempt by design and may have met a terminated
	// connection.
	testsupport.Eventually(t, func() bool {
		var open int
		err := db.QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'webhook_delivery' AND state <> 'completed'`).Scan(&open)
		return err == nil && open == 0
	}, "every delivery job completed")
	var deliveryJobs, stuck int
	if err := db.QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'webhook_delivery'`).Scan(&deliveryJobs); err != nil || deliveryJobs < countAcked() {
		t.Errorf("%d delivery jobs for %d acknowledged inbound messages (%v)", deliveryJobs, countAcked(), err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM river_job WHERE state = 'running' AND attempted_at < now() - $1::interval`,
		(20*time.Second + 2*rescueAfter).String()).Scan(&stuck); err != nil || stuck > 0 {
		t.Errorf("%d jobs running past the rescue window (%v)", stuck, err)
	}
	rows, err := db.Query(`SELECT kind, args::text, errors::text FROM river_job WHERE state = 'discarded' AND kind <> 'task'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var kind, args, errs string
		_ = rows.Scan(&kind, &args, &errs)
		t.Errorf("%s job discarded: %s %s", kind, args, errs)
	}
	rows.Close()

	// Sends: at most one platform message per Idempotency-Key, exactly one
	// when the key was answered 201.
	sent := map[string]int{}
	for _, m := range emu.Messages(phoneID) {
		sent[m.Text]++
	}
	for key, rs := range idemResults {
		n := sent["reply "+key]
		created := false
		for _, r := range rs {
			created = created || r.status == 201
		}
		if n > 1 || (created && n != 1) {
			t.Errorf("%s: %d platform messages (answers %+v); want at most one, and one when answered 201", key, n, rs)
		}
	}
	// Pair limit: per recipient, no more sends accepted than 6-second
	// windows the three attempts spanned; the rest refused by Parley
	// itself, before the platform.
	for waID, rs := range pairResults {
		ok, unknown, from, to := 0, 0, rs[0].from, rs[0].to
		for _, r := range rs {
			from, to = minTime(from, r.from), maxTime(to, r.to)
			switch {
			case r.status == 201:
				ok++
			case r.status == 0:
				unknown++ // lost with the killed replica
			case r.status == 429 && r.code == "whatsapp.pair_rate_limit":
			default:
				t.Errorf("pair send to %s: %+v; want 201 or Parley's own 429 whatsapp.pair_rate_limit", waID, r)
			}
		}
		atPlatform := 0
		for _, m := range emu.Messages(phoneID) {
			if m.To == waID {
				atPlatform++
			}
		}
		if w := windows(from, to, 6*time.Second); ok+unknown < 1 || ok > w || atPlatform > w {
			t.Errorf("%s: %d of 3 simultaneous sends accepted (%d unknown), %d at the platform, over %d pair window(s); want 1 to %d",
				waID, ok, unknown, atPlatform, w, w)
		}
	}
	t.Logf("%d deliveries for %d messages; quota key: %d ok, %d refused; %d platform messages",
		deliveries, len(ids), quotaOK, quota429, len(emu.Messages(phoneID)))
}

// atOnce makes n calls at the same time and counts their answers: ok
// answered okStatus, limited refused 429 with limitCode; any other answer
// fails the test.
func atOnce(t *testing.T, what string, n int, call func(i int) (int, []byte, error), okStatus int, limitCode string) (ok, limited int) {
	t.Helper()
	var okN, limitedN atomic.Int64
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, raw, err := call(i)
			switch {
			case err != nil:
				t.Errorf("%s: %v", what, err)
			case status == okStatus:
				okN.Add(1)
			case status == http.StatusTooManyRequests && errorCode(raw) == limitCode:
				limitedN.Add(1)
			default:
				t.Errorf("%s: %d %s; want %d, or 429 %s", what, status, raw, okStatus, limitCode)
			}
		}()
	}
	wg.Wait()
	return int(okN.Load()), int(limitedN.Load())
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
