package liemu

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/testsupport/golden"
)

const (
	acme    = "urn:li:organization:2414183"
	acmeTok = "AQV-acme-token"
	globex  = "urn:li:organization:1035"
	globTok = "AQV-globex-token"
	ada     = "urn:li:person:ada123"
	grace   = "urn:li:person:grace456"
)

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// fixture is an emulator seeded with two conversations for Acme and one for
// Globex, on a fixed clock and random source so output is reproducible.
type fixture struct {
	emu     *Emulator
	adaT    string
	graceT  string
	globexT string
}

func newFixture(t testing.TB, opts Options) fixture {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return t0 }
	}
	if opts.Rand == nil {
		opts.Rand = rand.New(rand.NewPCG(1, 2))
	}
	e := New(opts)
	must(t, e.AddAccount(acme, "Acme Robotics", acmeTok))
	must(t, e.AddAccount(globex, "Globex", globTok))
	adaP := Person{URN: ada, FirstName: "Ada", LastName: "Lovelace", PictureURL: "https://media.licdn.example/ada.jpg"}
	graceP := Person{URN: grace, FirstName: "Grace", LastName: "Hopper"}
	adaT, err := e.AddConversation(acme, []Person{adaP},
		SeedMessage{From: ada, Text: "Hi, do you ship to Lisbon?", At: t0.Add(-2 * time.Hour)},
		SeedMessage{Text: "Yes, within 3 days.", At: t0.Add(-110 * time.Minute)},
		SeedMessage{From: ada, Text: "Great, thanks!", At: t0.Add(-time.Hour)},
	)
	must(t, err)
	graceT, err := e.AddConversation(acme, []Person{graceP},
		SeedMessage{From: grace, Text: "Is the X200 in stock?", At: t0.Add(-30 * time.Minute)})
	must(t, err)
	globexT, err := e.AddConversation(globex, []Person{adaP},
		SeedMessage{From: ada, Text: "Hello Globex", At: t0.Add(-10 * time.Minute)})
	must(t, err)
	return fixture{emu: e, adaT: adaT, graceT: graceT, globexT: globexT}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

type req struct {
	method  string
	target  string
	body    string
	headers map[string]string // overrides; "" value deletes
}

// do serves one request against the handler with LinkedIn's standard headers
// unless overridden.
func do(t *testing.T, h http.Handler, r req) *http.Response {
	t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr := httptest.NewRequest(r.method, r.target, body)
	hr.Header.Set("Authorization", "Bearer "+acmeTok)
	hr.Header.Set("LinkedIn-Version", "202509")
	hr.Header.Set("X-Restli-Protocol-Version", "2.0.0")
	if r.body != "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	for k, v := range r.headers {
		if v == "" {
			hr.Header.Del(k)
		} else {
			hr.Header.Set(k, v)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, hr)
	return rec.Result()
}

func key(k string) string { return strings.ReplaceAll(url.QueryEscape(k), "+", "%20") }

func convList(org string, start, count int) string {
	q := url.Values{"q": {"organization"}, "organization": {org}}
	if start >= 0 {
		q.Set("start", itoa(start))
	}
	if count >= 0 {
		q.Set("count", itoa(count))
	}
	return pathConversations + "?" + q.Encode()
}

func msgList(thread string, start, count int) string {
	q := url.Values{"q": {"thread"}, "thread": {thread}}
	if start >= 0 {
		q.Set("start", itoa(start))
	}
	if count >= 0 {
		q.Set("count", itoa(count))
	}
	return pathMessages + "?" + q.Encode()
}

func itoa(n int) string { return strconv.Itoa(n) }

func sendBody(author, thread, text string) string {
	b, _ := json.Marshal(map[string]any{"author": author, "thread": thread, "body": text})
	return string(b)
}

// snapshot renders a response as the golden form: status, the headers that
// matter to clients, and the indented JSON body.
func snapshot(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	raw, err := io.ReadAll(resp.Body)
	must(t, err)
	hdr := map[string]string{}
	for _, h := range []string{"Content-Type", "X-RestLi-Id", "Location", "X-RestLi-Error-Response", "X-RestLi-Protocol-Version"} {
		if v := resp.Header.Get(h); v != "" {
			hdr[h] = v
		}
	}
	var body any
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Fatalf("body is not JSON: %v: %s", err, raw)
		}
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	must(t, enc.Encode(map[string]any{"status": resp.StatusCode, "headers": hdr, "body": body}))
	return out.Bytes()
}

func TestGolden(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		setup func(f fixture)
		req   func(f fixture) req
	}{
		{name: "list_conversations", req: func(f fixture) req { return req{method: "GET", target: convList(acme, 0, 10)} }},
		{name: "list_conversations_paged", req: func(f fixture) req { return req{method: "GET", target: convList(acme, 1, 1)} }},
		{name: "get_conversation", req: func(f fixture) req {
			return req{method: "GET", target: pathConversations + "/" + key(f.adaT)}
		}},
		{name: "messages", req: func(f fixture) req { return req{method: "GET", target: msgList(f.adaT, 0, 2)} }},
		{name: "send_response", req: func(f fixture) req {
			return req{method: "POST", target: pathMessages, body: sendBody(acme, f.adaT, "You're welcome!")}
		}},
		// The token's organisation roles and the organisation's name, as
		// Parley reads them before it stores a token.
		{name: "organization_acls_admin", req: func(f fixture) req {
			return req{method: "GET", target: pathOrganizationAcls + "?q=roleAssignee&role=ADMINISTRATOR&state=APPROVED&start=0&count=100"}
		}},
		{name: "organization_acls_analyst_filtered", setup: func(f fixture) { _ = f.emu.SetRole(acmeTok, RoleAnalyst) }, req: func(f fixture) req {
			return req{method: "GET", target: pathOrganizationAcls + "?q=roleAssignee&role=ADMINISTRATOR&state=APPROVED"}
		}},
		{name: "organization_lookup", req: func(f fixture) req {
			return req{method: "GET", target: pathOrganizations + "/" + strings.TrimPrefix(acme, "urn:li:organization:")}
		}},
		{name: "error_401_acls_invalid_token", req: func(f fixture) req {
			return req{method: "GET", target: pathOrganizationAcls + "?q=roleAssignee", headers: map[string]string{"Authorization": "Bearer fake"}}
		}},
		{name: "error_401_empty_token", req: func(f fixture) req {
			return req{method: "GET", target: convList(acme, 0, 10), headers: map[string]string{"Authorization": ""}}
		}},
		{name: "error_401_invalid_token", req: func(f fixture) req {
			return req{method: "GET", target: convList(acme, 0, 10), headers: map[string]string{"Authorization": "Bearer nope"}}
		}},
		{name: "error_401_expired_token", setup: func(f fixture) { f.emu.ExpireToken(acmeTok) }, req: func(f fixture) req {
			return req{method: "GET", target: convList(acme, 0, 10)}
		}},
		{name: "error_401_revoked_token", setup: func(f fixture) { f.emu.RevokeToken(acmeTok) }, req: func(f fixture) req {
			return req{method: "GET", target: convList(acme, 0, 10)}
		}},
		{name: "error_400_version_missing", req: func(f fixture) req {
			return req{method: "GET", target: convList(acme, 0, 10), headers: map[string]string{"LinkedIn-Version": ""}}
		}},
		{name: "error_426_nonexistent_version", req: func(f fixture) req {
			return req{method: "GET", target: convList(acme, 0, 10), headers: map[string]string{"LinkedIn-Version": "202413"}}
		}},
		{name: "error_400_protocol_missing", req: func(f fixture) req {
			return req{method: "GET", target: convList(acme, 0, 10), headers: map[string]string{"X-Restli-Protocol-Version": ""}}
		}},
		{name: "error_403_access_denied", req: func(f fixture) req { return req{method: "GET", target: msgList(f.globexT, 0, 10)} }},
		{name: "error_404_not_found", req: func(f fixture) req {
			return req{method: "GET", target: pathConversations + "/" + key("urn:li:messagingThread:2-missing")}
		}},
		{name: "error_429_throttled", setup: func(f fixture) { f.emu.FailNext(StatusError(429)) }, req: func(f fixture) req {
			return req{method: "GET", target: convList(acme, 0, 10)}
		}},
		{name: "error_503_transient", setup: func(f fixture) { f.emu.FailNext(StatusError(503)) }, req: func(f fixture) req {
			return req{method: "GET", target: convList(acme, 0, 10)}
		}},
		{name: "error_400_recipients_and_thread", req: func(f fixture) req {
			return req{method: "POST", target: pathMessages, body: `{"author":"` + acme + `","thread":"` + f.adaT + `","recipients":["` + ada + `"],"body":"hi"}`}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, Options{})
			if tc.setup != nil {
				tc.setup(f)
			}
			got := snapshot(t, do(t, f.emu, tc.req(f)))
			golden.Compare(t, filepath.Join("testdata", "golden", tc.name+".json"), got)
		})
	}
}

func decode[T any](t *testing.T, resp *http.Response) T {
	t.Helper()
	var v T
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestListOrderingAndPaging(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Options{})
	resp := do(t, f.emu, req{method: "GET", target: convList(acme, -1, -1)})
	col := decode[collection[wireConversation]](t, resp)
	if len(col.Elements) != 2 || col.Paging.Count != 10 || col.Paging.Start != 0 || col.Paging.Total != 2 {
		t.Fatalf("defaults: got %d elements, paging %+v", len(col.Elements), col.Paging)
	}
	if col.Elements[0].ID != f.graceT || col.Elements[1].ID != f.adaT {
		t.Errorf("not newest first: %s, %s", col.Elements[0].ID, col.Elements[1].ID)
	}
	if col.Elements[1].UnreadCount != 1 || col.Elements[0].UnreadCount != 1 {
		t.Errorf("unread counts: %d, %d", col.Elements[0].UnreadCount, col.Elements[1].UnreadCount)
	}
	// An inbound reorders the list and counts as unread.
	if _, err := f.emu.Inbound(acme, ada, "One more thing"); err != nil {
		t.Fatal(err)
	}
	col = decode[collection[wireConversation]](t, do(t, f.emu, req{method: "GET", target: convList(acme, 0, 1)}))
	if col.Elements[0].ID != f.adaT || col.Elements[0].UnreadCount != 2 {
		t.Errorf("after inbound: %+v", col.Elements[0])
	}
	if len(col.Paging.Links) != 1 || col.Paging.Links[0].Rel != "next" {
		t.Errorf("want a next link: %+v", col.Paging.Links)
	}
	// count is capped.
	col = decode[collection[wireConversation]](t, do(t, f.emu, req{method: "GET", target: convList(acme, 0, 5000)}))
	if col.Paging.Count != 100 {
		t.Errorf("count cap: %d", col.Paging.Count)
	}
}

func TestSendAppearsAndClearsUnread(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Options{})
	resp := do(t, f.emu, req{method: "POST", target: pathMessages, body: sendBody(acme, f.graceT, "Yes, 12 left.")})
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("X-RestLi-Id") == "" {
		t.Fatalf("send: %d %v", resp.StatusCode, resp.Header)
	}
	sent := f.emu.Messages(acme)
	last := sent[len(sent)-1]
	if last.Text != "Yes, 12 left." || last.ThreadURN != f.graceT || last.ID != resp.Header.Get("X-RestLi-Id") || !last.CreatedAt.Equal(t0) {
		t.Errorf("sent message: %+v", last)
	}
	if n, _ := f.emu.Unread(f.graceT); n != 0 {
		t.Errorf("unread after reply = %d", n)
	}
	msgs := decode[collection[wireMessage]](t, do(t, f.emu, req{method: "GET", target: msgList(f.graceT, 0, 10)}))
	if msgs.Elements[0].Content.Fallback != "Yes, 12 left." || msgs.Elements[0].Author != acme {
		t.Errorf("newest message first: %+v", msgs.Elements[0])
	}
}

func TestRequestChecks(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Options{ActiveVersions: []string{"202508", "202509"}})
	cases := []struct {
		name   string
		r      req
		status int
		code   string
	}{
		{"unknown scheme", req{method: "GET", target: convList(acme, 0, 1), headers: map[string]string{"Authorization": "Basic abc"}}, 401, "UNKNOWN_AUTHENTICATION_SCHEME"},
		{"inactive version", req{method: "GET", target: convList(acme, 0, 1), headers: map[string]string{"LinkedIn-Version": "202401"}}, 426, "NONEXISTENT_VERSION"},
		{"active version with revision", req{method: "GET", target: convList(acme, 0, 1), headers: map[string]string{"LinkedIn-Version": "202508.01"}}, 200, ""},
		{"malformed version", req{method: "GET", target: convList(acme, 0, 1), headers: map[string]string{"LinkedIn-Version": "v2"}}, 400, "ILLEGAL_ARGUMENT"},
		{"protocol 1.0", req{method: "GET", target: convList(acme, 0, 1), headers: map[string]string{"X-Restli-Protocol-Version": "1.0.0"}}, 400, "ILLEGAL_ARGUMENT"},
		{"other org finder", req{method: "GET", target: convList(globex, 0, 1)}, 403, "ACCESS_DENIED"},
		{"bad finder", req{method: "GET", target: pathConversations + "?q=viewer"}, 400, "ILLEGAL_ARGUMENT"},
		{"bad start", req{method: "GET", target: pathConversations + "?q=organization&organization=" + key(acme) + "&start=-1"}, 400, "ILLEGAL_ARGUMENT"},
		{"unencoded key", req{method: "GET", target: pathConversations + "/" + f.adaT}, 400, "ILLEGAL_ARGUMENT"},
		{"other org thread", req{method: "GET", target: pathConversations + "/" + key(f.globexT)}, 403, "ACCESS_DENIED"},
		{"unknown path", req{method: "GET", target: "/rest/nothing"}, 404, "NOT_FOUND"},
		{"wrong method", req{method: "DELETE", target: pathMessages}, 405, ""},
		{"send as other org", req{method: "POST", target: pathMessages, body: sendBody(globex, f.adaT, "hi")}, 403, "ACCESS_DENIED"},
		{"send to other org thread", req{method: "POST", target: pathMessages, body: sendBody(acme, f.globexT, "hi")}, 403, "ACCESS_DENIED"},
		{"send unknown thread", req{method: "POST", target: pathMessages, body: sendBody(acme, "urn:li:messagingThread:2-x", "hi")}, 404, "NOT_FOUND"},
		{"send html", req{method: "POST", target: pathMessages, body: sendBody(acme, f.adaT, "<b>hi</b>")}, 400, "ILLEGAL_ARGUMENT"},
		{"send empty", req{method: "POST", target: pathMessages, body: sendBody(acme, f.adaT, "  ")}, 400, "ILLEGAL_ARGUMENT"},
		{"send unknown field", req{method: "POST", target: pathMessages, body: `{"author":"` + acme + `","thread":"` + f.adaT + `","body":"x","tag":"HUMAN_AGENT"}`}, 400, "ILLEGAL_ARGUMENT"},
		{"send new conversation", req{method: "POST", target: pathMessages, body: `{"author":"` + acme + `","recipients":["` + ada + `"],"body":"x"}`}, 403, "ACCESS_DENIED"},
		{"send attachment url", req{method: "POST", target: pathMessages, body: `{"author":"` + acme + `","thread":"` + f.adaT + `","body":"x","attachments":["https://x/y.png"]}`}, 400, "ILLEGAL_ARGUMENT"},
		{"send attachment asset", req{method: "POST", target: pathMessages, body: `{"author":"` + acme + `","thread":"` + f.adaT + `","body":"x","attachments":["urn:li:digitalmediaAsset:C5622AQ"]}`}, 201, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := do(t, f.emu, tc.r)
			if resp.StatusCode != tc.status {
				b, _ := io.ReadAll(resp.Body)
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, b)
			}
			if tc.status >= 400 {
				re := decode[Error](t, resp)
				if re.Status != tc.status || re.Code != tc.code {
					t.Errorf("body %+v, want status %d code %q", re, tc.status, tc.code)
				}
				if resp.Header.Get("X-RestLi-Error-Response") != "true" {
					t.Error("missing X-RestLi-Error-Response")
				}
			}
		})
	}
}

func TestFailureInjection(t *testing.T) {
	t.Run("FailNext answers after the token and version checks", func(t *testing.T) {
		f := newFixture(t, Options{})
		f.emu.FailNext(StatusError(http.StatusTooManyRequests), errInternal())
		if s := do(t, f.emu, req{method: "GET", target: convList(acme, 0, 1), headers: map[string]string{"Authorization": "Bearer nope"}}).StatusCode; s != 401 {
			t.Fatalf("bad token: %d", s)
		}
		if s := do(t, f.emu, req{method: "GET", target: convList(acme, 0, 1), headers: map[string]string{"LinkedIn-Version": ""}}).StatusCode; s != 400 {
			t.Fatalf("no version: %d", s)
		}
		for _, want := range []int{429, 500, 200} {
			resp := do(t, f.emu, req{method: "GET", target: convList(acme, 0, 1)})
			if resp.StatusCode != want {
				t.Fatalf("got %d, want %d", resp.StatusCode, want)
			}
			if want != 200 && resp.Header.Get("X-RestLi-Error-Response") != "true" {
				t.Errorf("%d is not a Rest.li error answer", want)
			}
		}
	})
	t.Run("rate 1 always fails", func(t *testing.T) {
		f := newFixture(t, Options{FailureRate: 1})
		for range 5 {
			if s := do(t, f.emu, req{method: "GET", target: convList(acme, 0, 1)}).StatusCode; s != 503 {
				t.Fatalf("status %d", s)
			}
		}
	})
	t.Run("seeded rate is reproducible", func(t *testing.T) {
		run := func() []int {
			f := newFixture(t, Options{FailureRate: 0.5, Rand: rand.New(rand.NewPCG(7, 7))})
			var out []int
			for range 20 {
				out = append(out, do(t, f.emu, req{method: "GET", target: convList(acme, 0, 1)}).StatusCode)
			}
			return out
		}
		a, b := run(), run()
		fails := 0
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("not reproducible: %v vs %v", a, b)
			}
			if a[i] == 503 {
				fails++
			}
		}
		if fails == 0 || fails == 20 {
			t.Errorf("rate 0.5 gave %d/20 failures", fails)
		}
	})
	t.Run("latency honours cancellation", func(t *testing.T) {
		f := newFixture(t, Options{Latency: time.Hour})
		srv := httptest.NewServer(f.emu)
		defer srv.Close()
		c := &http.Client{Timeout: 50 * time.Millisecond}
		start := time.Now()
		if _, err := c.Get(srv.URL + convList(acme, 0, 1)); err == nil {
			t.Fatal("want timeout")
		}
		if time.Since(start) > 5*time.Second {
			t.Error("latency did not stop on cancellation")
		}
	})
	t.Run("small latency delays", func(t *testing.T) {
		f := newFixture(t, Options{Latency: 20 * time.Millisecond})
		start := time.Now()
		do(t, f.emu, req{method: "GET", target: convList(acme, 0, 1)})
		if time.Since(start) < 20*time.Millisecond {
			t.Error("no latency")
		}
	})
}

func TestSeedingErrors(t *testing.T) {
	t.Parallel()
	e := New(Options{})
	cases := []struct {
		name string
		err  error
	}{
		{"bad org urn", e.AddAccount("urn:li:company:1", "x", "t")},
		{"bad person", e.AddPerson(Person{URN: "ada"})},
		{"unknown org conv", func() error { _, err := e.AddConversation(acme, []Person{{URN: ada}}); return err }()},
		{"no members", func() error { _, err := e.AddConversation(acme, nil); return err }()},
		{"unknown org inbound", func() error { _, err := e.Inbound(acme, ada, "x"); return err }()},
		{"bad inbound person", func() error { _, err := e.Inbound(acme, "x", "x"); return err }()},
		{"unknown thread", func() error { _, err := e.Thread("urn:li:messagingThread:none"); return err }()},
	}
	for _, tc := range cases {
		if tc.err == nil {
			t.Errorf("%s: want error", tc.name)
		}
	}
	must(t, e.AddAccount(acme, "Acme", acmeTok))
	if _, err := e.AddConversation(acme, []Person{{URN: ada}}, SeedMessage{From: grace, Text: "x"}); err == nil {
		t.Error("non-member author accepted")
	}
}

func TestInboundCreatesThread(t *testing.T) {
	t.Parallel()
	e := New(Options{Now: func() time.Time { return t0 }})
	must(t, e.AddAccount(acme, "Acme", acmeTok))
	m, err := e.Inbound(acme, ada, "first")
	must(t, err)
	m2, err := e.Inbound(acme, ada, "second")
	must(t, err)
	if m.ThreadURN != m2.ThreadURN || m.ID == m2.ID {
		t.Fatalf("inbound threads: %+v %+v", m, m2)
	}
	msgs, err := e.Thread(m.ThreadURN)
	must(t, err)
	if len(msgs) != 2 || msgs[0].Text != "first" {
		t.Errorf("thread: %+v", msgs)
	}
	if n, _ := e.Unread(m.ThreadURN); n != 2 {
		t.Errorf("unread %d", n)
	}
	if len(e.Messages(acme)) != 0 {
		t.Error("inbound counted as sent")
	}
}

// TestConcurrentUse drives the emulator from many goroutines at once. It
// exists for the race detector (go test -race, as CI runs it), and still
// checks the outcome: every request is counted, and exactly the sends that
// were answered 201 are recorded.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Options{FailureRate: 0.1})
	before, reqBefore := len(f.emu.Messages(acme)), f.emu.Requests()
	var wg sync.WaitGroup
	var created, inbound atomic.Int32
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				switch i % 3 {
				case 0:
					do(t, f.emu, req{method: "GET", target: convList(acme, 0, 5)})
				case 1:
					if res := do(t, f.emu, req{method: "POST", target: pathMessages, body: sendBody(acme, f.adaT, "hi")}); res.StatusCode == http.StatusCreated {
						created.Add(1)
					}
				default:
					if _, err := f.emu.Inbound(acme, grace, "ping"); err == nil {
						inbound.Add(1)
					}
					_ = f.emu.Messages(acme)
				}
			}
		}()
	}
	wg.Wait()
	// Goroutines 0, 3, 6 list and 1, 4, 7 send, 20 requests each.
	if got := f.emu.Requests() - reqBefore; got != 120 {
		t.Errorf("%d requests counted, want 120", got)
	}
	if got := len(f.emu.Messages(acme)) - before; got != int(created.Load()) || got == 0 {
		t.Errorf("%d sends recorded, %d answered 201", got, created.Load())
	}
	if inbound.Load() != 40 {
		t.Errorf("%d of 40 inbound messages recorded", inbound.Load())
	}
}
