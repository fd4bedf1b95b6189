package webapp_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/people"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/sandbox"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/service"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// startSandbox runs `parley sandbox` in-process: Parley over real
// loopback HTTP in front of the five emulators, seeded, with an admin.
func startSandbox(t *testing.T, b storetest.Backend) (*sandbox.Sandbox, string) {
	t.Helper()
	dir := b.DataDir
	if dir == "" {
		dir = t.TempDir()
	}
	return startSandboxIn(t, b, dir)
}

// startSandboxIn runs the sandbox with its data directory (key ring) in dir.
func startSandboxIn(t *testing.T, b storetest.Backend, dir string) (*sandbox.Sandbox, string) {
	t.Helper()
	cfg := config.Config{Listen: "127.0.0.1:0", DataDir: dir, DatabaseURL: b.URL}
	ctx, cancel := context.WithCancel(context.Background())
	sb, err := sandbox.Prepare(ctx, cfg, server.Options{Logger: slog.New(slog.DiscardHandler), PollInterval: 20 * time.Millisecond})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- sb.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return sb, "http://" + sb.Listener.Addr().String()
}

// browser is a cookie-keeping HTTP client that sends what a same-origin
// browser form sends and does not follow redirects.
type browser struct {
	t    *testing.T
	c    *http.Client
	base string
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(method, path string, form url.Values, hdr ...string) (int, string, http.Header) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(raw), res.Header
}

// signIn follows a one-time link: open it, press Sign in.
func (b *browser) signIn(link string) {
	b.t.Helper()
	u, _ := url.Parse(link)
	token := u.Path[strings.LastIndex(u.Path, "/")+1:]
	if code, _, _ := b.do("GET", u.Path, nil); code != 200 {
		b.t.Fatalf("link page answered %d", code)
	}
	if code, _, h := b.do("POST", "/app/signin/link", url.Values{"token": {token}}); code != http.StatusSeeOther || h.Get("Location") != "/app/" {
		b.t.Fatalf("sign-in answered %d → %s", code, h.Get("Location"))
	}
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf" content="([^"]+)">`)

func (b *browser) csrf() string {
	b.t.Helper()
	_, body, _ := b.do("GET", "/app/settings", nil)
	m := csrfMeta.FindStringSubmatch(body)
	if m == nil {
		b.t.Fatalf("no CSRF token on the settings page:\n%s", body)
	}
	return m[1]
}

// historyHas reads a conversation's history from the platform (the
// emulator) through the domain layer.
func historyHas(t *testing.T, sb *sandbox.Sandbox, conv, text string) bool {
	t.Helper()
	l, err := sb.Server.Service.ListMessages(context.Background(), service.Caller{OrgID: sb.Org.ID}, conv, service.PageRequest{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range l.Data {
		if m.Text == text {
			return true
		}
	}
	return false
}

// What an agent does all day, over HTTP on both backends: the inbox shows
// all five platforms, a reply reaches the platform, a closed window
// offers exactly what the rules allow, and refusals show their message.
func TestAgentAnswersFromTheApp(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		sb, base := startSandbox(t, b)
		br := newBrowser(t, base)
		br.signIn(sb.SignInURL)
		code, inbox, _ := br.do("GET", "/app/", nil)
		if code != 200 {
			t.Fatalf("inbox answered %d", code)
		}
		for _, p := range []string{"Instagram", "Messenger", "WhatsApp", "X", "LinkedIn"} {
			if !strings.Contains(inbox, `<span class="platform">`+p+`</span>`) {
				t.Errorf("inbox shows no %s conversation", p)
			}
		}
		if !strings.Contains(inbox, "Maya Lopez") {
			t.Error("inbox does not name the participants")
		}
		// Filters narrow the list.
		_, only, _ := br.do("GET", "/app/?platform=whatsapp", nil)
		if strings.Contains(only, `<span class="platform">Instagram</span>`) || !strings.Contains(only, `<span class="platform">WhatsApp</span>`) {
			t.Error("the platform filter did not narrow the list to WhatsApp")
		}
		// An archived conversation leaves the inbox for its Archived filter.
		closed := sb.Seeded.Conversations["messenger/closed"]
		req, _ := http.NewRequest("PATCH", base+"/v1/inbox/conversations/"+closed, strings.NewReader(`{"status":"archived"}`))
		req.Header.Set("Authorization", "Bearer "+sb.Key.Secret)
		if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 {
			t.Fatalf("archive: %v %v", res, err)
		} else {
			res.Body.Close()
		}
		_, active, _ := br.do("GET", "/app/?platform=messenger", nil)
		_, archived, _ := br.do("GET", "/app/?platform=messenger&archived=1", nil)
		if link := "/app/c/" + closed; strings.Contains(active, link) || !strings.Contains(archived, link) || strings.Contains(archived, "/app/c/"+sb.Seeded.Conversations["messenger/open"]) {
			t.Error("the archived conversation is not listed under the Archived filter only")
		}
		csrf := br.csrf()
		open := sb.Seeded.Conversations["instagram/open"]
		_, page, _ := br.do("GET", "/app/c/"+open, nil)
		if !strings.Contains(page, "Reply window open") || !strings.Contains(page, "data-countdown=") {
			t.Fatalf("open conversation shows no countdown:\n%s", page)
		}
		code, _, h := br.do("POST", "/app/c/"+open+"/send", url.Values{"csrf": {csrf}, "mode": {"open"}, "text": {"Yes, medium is in stock!"},
			"idempotency_key": {"k1"}})
		if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/app/c/"+open) {
			t.Fatalf("send answered %d", code)
		}
		if !historyHas(t, sb, open, "Yes, medium is in stock!") {
			t.Fatal("the reply did not reach the platform")
		}

		// Quick replies from the composer reach Messenger natively; the
		// seeded conversation shows the customer's tap.
		qr := sb.Seeded.Conversations["messenger/quick_reply"]
		_, page, _ = br.do("GET", "/app/c/"+qr, nil)
		if !strings.Contains(page, `name="quick_replies"`) {
			t.Fatal("the composer offers no quick replies")
		}
		code, _, _ = br.do("POST", "/app/c/"+qr+"/send", url.Values{"csrf": {csrf}, "mode": {"open"}, "text": {"Pickup or delivery?"},
			"quick_replies": {"Pickup | PICKUP\nDelivery"}})
		sent := sb.Emulators.Graph.Messages(sb.Seeded.NativeIDs[platform.Messenger])
		if code != http.StatusSeeOther || len(sent) == 0 || fmt.Sprint(sent[len(sent)-1].QuickReplies) != "[{Pickup PICKUP} {Delivery Delivery}]" {
			t.Fatalf("quick replies from the app: %d %+v", code, sent)
		}
		code, page, _ = br.do("POST", "/app/c/"+sb.Seeded.Conversations["x/open"]+"/send", url.Values{"csrf": {csrf}, "mode": {"open"}, "text": {"hi"},
			"quick_replies": {"Yes"}})
		if code != http.StatusUnprocessableEntity || !strings.Contains(page, "validation.unsupported_on_platform") || !strings.Contains(page, ">Yes</textarea>") {
			t.Fatalf("quick replies on X answered %d:\n%s", code, page)
		}

		// Messenger after 24 h: HUMAN_AGENT, and only that.
		ha := sb.Seeded.Conversations["messenger/human_agent_only"]
		_, page, _ = br.do("GET", "/app/c/"+ha, nil)
		if !strings.Contains(page, "Send as human agent (HUMAN_AGENT)") || !strings.Contains(page, `name="mode" value="human_agent"`) {
			t.Fatalf("closed Messenger window does not offer HUMAN_AGENT:\n%s", page)
		}
		code, _, _ = br.do("POST", "/app/c/"+ha+"/send", url.Values{"csrf": {csrf}, "mode": {"human_agent"}, "text": {"Sorry for the wait!"}})
		if code != http.StatusSeeOther || !historyHas(t, sb, ha, "Sorry for the wait!") {
			t.Fatalf("HUMAN_AGENT reply answered %d or did not arrive", code)
		}
		// A plain reply there is refused, with the rules' message shown.
		code, page, _ = br.do("POST", "/app/c/"+ha+"/send", url.Values{"csrf": {csrf}, "mode": {"open"}, "text": {"plain"}})
		if code != http.StatusGone || !strings.Contains(page, "conversation.window_closed") || !strings.Contains(page, `role="alert"`) {
			t.Fatalf("plain reply after 24 h answered %d:\n%s", code, page)
		}

		// Past 7 days: nothing, and why.
		_, page, _ = br.do("GET", "/app/c/"+sb.Seeded.Conversations["instagram/closed"], nil)
		if !strings.Contains(page, "You cannot reply.") || strings.Contains(page, "/send") {
			t.Fatalf("dead conversation offers a composer:\n%s", page)
		}

		// WhatsApp after 24 h: the approved templates, not the pending one.
		wa := sb.Seeded.Conversations["whatsapp/closed"]
		_, page, _ = br.do("GET", "/app/c/"+wa, nil)
		if !strings.Contains(page, "Send template order_update") || strings.Contains(page, "new_terms") || strings.Contains(page, `id="text"`) {
			t.Fatalf("closed WhatsApp window does not offer exactly the approved templates:\n%s", page)
		}
		code, _, _ = br.do("POST", "/app/c/"+wa+"/send", url.Values{"csrf": {csrf}, "template": {"order_update"}, "language": {"en_US"}})
		if code != http.StatusSeeOther {
			t.Fatalf("template send answered %d", code)
		}

		// Mark read clears the unread count.
		code, _, _ = br.do("POST", "/app/c/"+open+"/read", nil, people.CSRFHeader, csrf)
		if code != http.StatusNoContent {
			t.Fatalf("mark read answered %d", code)
		}
		conv, _ := sb.Server.Service.GetConversation(context.Background(), service.Caller{OrgID: sb.Org.ID}, open)
		if conv.UnreadCount != 0 {
			t.Fatalf("unread count %d after mark read", conv.UnreadCount)
		}
	})
}

// Tenancy and forgery, as an attacker would try them.
func TestAppAttacks(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		sb, base := startSandbox(t, b)
		ctx := context.Background()
		other := store.Organization{ID: store.NewID("org"), Name: "Other", CreatedAt: time.Now()}
		if err := sb.Server.Store.CreateOrganization(ctx, other); err != nil {
			t.Fatal(err)
		}
		mallory, err := sb.Server.People.Create(ctx, other.ID, "mallory@other.example", "", store.RoleAdmin)
		if err != nil {
			t.Fatal(err)
		}
		link, _, err := sb.Server.People.SignInLink(ctx, other.ID, mallory.ID)
		if err != nil {
			t.Fatal(err)
		}
		m := newBrowser(t, base)
		m.signIn(link)
		victim := sb.Seeded.Conversations["instagram/open"]
		csrf := m.csrf()
		for _, tc := range []struct{ method, path string }{
			{"GET", "/app/c/" + victim},
			{"POST", "/app/c/" + victim + "/send"},
			{"POST", "/app/c/" + victim + "/read"},
		} {
			code, body, _ := m.do(tc.method, tc.path, url.Values{"csrf": {csrf}, "text": {"mallory was here"}, "mode": {"open"}})
			if code != http.StatusNotFound || strings.Contains(body, "Maya") {
				t.Errorf("%s %s by another org answered %d", tc.method, tc.path, code)
			}
		}
		if _, inbox, _ := m.do("GET", "/app/", nil); strings.Contains(inbox, victim) {
			t.Error("another org's inbox lists the sandbox's conversation")
		}
		if historyHas(t, sb, victim, "mallory was here") {
			t.Fatal("another org's person sent into the sandbox's conversation")
		}

		// An agent does not invite people; an admin of one org cannot reach
		// another's pages by guessing paths.
		agent, err := sb.Server.People.Create(ctx, sb.Org.ID, "agent@sandbox.example", "", store.RoleAgent)
		if err != nil {
			t.Fatal(err)
		}
		agentLink, _, _ := sb.Server.People.SignInLink(ctx, sb.Org.ID, agent.ID)
		ag := newBrowser(t, base)
		ag.signIn(agentLink)
		if code, _, _ := ag.do("POST", "/app/settings/people", url.Values{"csrf": {ag.csrf()}, "email": {"friend@evil.example"}, "role": {"admin"}}); code != http.StatusForbidden {
			t.Fatalf("an agent's invitation answered %d, want 403", code)
		}
		if _, err := sb.Server.Store.PersonByEmail(ctx, "friend@evil.example"); err == nil {
			t.Fatal("an agent invited an admin")
		}

		// Forged and missing tokens, and cross-site posts, change nothing.
		a := newBrowser(t, base)
		a.signIn(sb.SignInURL)
		good := a.csrf()
		for _, tc := range []struct {
			name string
			form url.Values
			hdr  []string
		}{
			{"missing token", url.Values{"text": {"forged 1"}, "mode": {"open"}}, nil},
			{"forged token", url.Values{"csrf": {forge(good)}, "text": {"forged 2"}, "mode": {"open"}}, nil},
			{"cross-site form", url.Values{"csrf": {good}, "text": {"forged 3"}, "mode": {"open"}}, []string{"Sec-Fetch-Site", "cross-site"}},
			{"foreign origin", url.Values{"csrf": {good}, "text": {"forged 4"}, "mode": {"open"}}, []string{"Origin", "https://evil.example"}},
		} {
			if code, _, _ := a.do("POST", "/app/c/"+victim+"/send", tc.form, tc.hdr...); code != http.StatusForbidden {
				t.Errorf("%s answered %d, want 403", tc.name, code)
			}
		}
		for _, text := range []string{"forged 1", "forged 2", "forged 3", "forged 4"} {
			if historyHas(t, sb, victim, text) {
				t.Fatalf("%q reached the platform", text)
			}
		}

		// Signed out, the session's cookie is refused everywhere.
		u, _ := url.Parse(base)
		saved := a.c.Jar.Cookies(u)
		a.do("POST", "/app/signout", url.Values{"csrf": {good}})
		replay := newBrowser(t, base)
		replay.c.Jar.SetCookies(u, saved)
		if code, _, h := replay.do("GET", "/app/", nil); code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/app/signin") {
			t.Fatalf("signed-out session answered %d → %s", code, h.Get("Location"))
		}
		if code, _, _ := replay.do("POST", "/app/c/"+victim+"/send", url.Values{"csrf": {good}, "text": {"after sign-out"}}); code != http.StatusUnauthorized {
			t.Fatalf("signed-out send answered %d", code)
		}
	})
}

// stream opens a page's event stream and returns its lines.
func (b *browser) stream(ctx context.Context, query string) <-chan string {
	b.t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", b.base+"/app/events"+query, nil)
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	if ct := res.Header.Get("Content-Type"); res.StatusCode != 200 || ct != "text/event-stream" {
		b.t.Fatalf("events answered %d, %q", res.StatusCode, ct)
	}
	lines := make(chan string, 64)
	go func() {
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	return lines
}

// await reads lines until want, failing on the stream's end or after ten
// seconds.
func await(t *testing.T, lines <-chan string, want string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("event stream ended before %s", want)
			}
			if l == want {
				return
			}
		case <-deadline:
			t.Fatalf("no %s on the event stream", want)
		}
	}
}

// A customer's message reaches an open page's event stream as soon as it
// is recorded, only in the customer's organisation; a page that connects
// late still hears of what happened since it was drawn; signing out ends
// the stream.
func TestLiveEvents(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		sb, base := startSandbox(t, b)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		br := newBrowser(t, base)
		br.signIn(sb.SignInURL)
		drawn := store.NewID("evt") // a page drawn now …
		lines := br.stream(ctx, "")

		other := store.Organization{ID: store.NewID("org"), Name: "Other", CreatedAt: time.Now()}
		if err := sb.Server.Store.CreateOrganization(ctx, other); err != nil {
			t.Fatal(err)
		}
		p, err := sb.Server.People.Create(ctx, other.ID, "eve@other.example", "", store.RoleAgent)
		if err != nil {
			t.Fatal(err)
		}
		link, _, _ := sb.Server.People.SignInLink(ctx, other.ID, p.ID)
		eve := newBrowser(t, base)
		eve.signIn(link)
		eveLines := eve.stream(ctx, "")

		said, err := sb.Say(ctx, platform.Instagram, "Is it back in stock?")
		if err != nil {
			t.Fatal(err)
		}
		want := `data: {"type":"message.received","conversation_id":"` + said.ConversationID + `"}`
		await(t, lines, want)

		// … whose stream connects only now still hears of it.
		late := br.stream(ctx, "?after="+drawn)
		await(t, late, want)
		if code, _, _ := br.do("GET", "/app/events?after=not-an-event", nil); code != http.StatusUnprocessableEntity {
			t.Fatalf("a malformed after answered %d", code)
		}

		// Signing out everywhere ends the open stream before the next event.
		br.do("POST", "/app/signout/everywhere", url.Values{"csrf": {br.csrf()}})
		if _, err := sb.Say(ctx, platform.Messenger, "Hello?"); err != nil {
			t.Fatal(err)
		}
		for l := range lines {
			if strings.Contains(l, "message.received") && !strings.Contains(l, said.ConversationID) {
				t.Fatalf("a signed-out stream heard %s", l)
			}
		}

		// The other organisation heard nothing of the sandbox's customers.
		cancel()
		for l := range eveLines {
			if strings.HasPrefix(l, "data:") {
				t.Fatalf("another organisation's stream heard %s", l)
			}
		}
	})
}

// Replicas sharing one PostgreSQL: a customer's message recorded by one
// reaches a page whose stream is served by the other, and a session
// started on one is good on the other.
func TestLiveAcrossReplicas(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		if b.URL == "" {
			t.Skip("one process owns a SQLite file: there are no other replicas")
		}
		dir := t.TempDir()
		sb, _ := startSandboxIn(t, b, dir)
		keys, err := os.ReadFile(filepath.Join(dir, "secret-keys"))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		other, err := server.New(ctx, config.Config{Listen: "127.0.0.1:0", DatabaseURL: b.URL, SecretKeys: string(keys)},
			server.Options{Logger: slog.New(slog.DiscardHandler), PollInterval: 20 * time.Millisecond})
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- other.Run(ctx, ln) }()
		t.Cleanup(func() { cancel(); <-done })

		br := newBrowser(t, "http://"+ln.Addr().String())
		br.signIn(sb.SignInURL) // the link was made by the sandbox's replica
		// The stream has its own context: the browser keeps it open while
		// the replica shuts down.
		streamCtx, endStream := context.WithCancel(context.Background())
		defer endStream()
		lines := br.stream(streamCtx, "?after="+store.NewID("evt"))
		said, err := sb.Say(ctx, platform.WhatsApp, "Any news on my order?")
		if err != nil {
			t.Fatal(err)
		}
		await(t, lines, `data: {"type":"message.received","conversation_id":"`+said.ConversationID+`"}`)

		// An open stream does not hold the replica's shutdown.
		cancel()
		select {
		case <-done:
			done <- nil // for the cleanup
		case <-time.After(5 * time.Second):
			t.Fatal("an open event stream held the shutdown for 5 s")
		}
	})
}

// forge returns a token that differs from good in its first character.
func forge(good string) string {
	if good[0] == 'A' {
		return "B" + good[1:]
	}
	return "A" + good[1:]
}
