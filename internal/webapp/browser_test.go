package webapp_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/service"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/testsupport"
)

// chromium finds Debian's chromium (.ci/run installs it). Without it the
// browser tests skip locally and fail in CI.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("PARLEY_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if testsupport.CI() {
		t.Fatal("chromium is not installed (apt-get install -y chromium); the browser tests must run in CI")
	}
	t.Skip("chromium is not installed; apt-get install -y chromium to run the browser tests")
	return ""
}

// headless starts a fresh headless Chromium (its own profile, so its own
// cookies) and returns a context that drives it.
func headless(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium(t)), chromedp.WindowSize(1024, 800))
	if os.Geteuid() == 0 {
		// Chromium refuses to run as root inside its own sandbox.
		opts = append(opts, chromedp.NoSandbox)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	// The first action starts the browser, with no deadline (a deadline
	// there would end the browser); each step then has its own.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() { cancel(); cancelAlloc() })
	return ctx
}

// stepTimeout bounds one step. Generous: under the whole suite with -race on
// two cores one step (a send, then the next page) once took over 30 s.
const stepTimeout = 90 * time.Second

// do runs steps with a deadline, failing the test with what was tried.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// value runs one step that answers a value.
func value[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// waitText waits until the page's visible text contains s. It asks again
// when a navigation replaced the page under the question (a form post, a
// link), which Poll alone reports as an error.
func waitText(s string) chromedp.Action[chromedp.Void] {
	return waitJS(fmt.Sprintf(`!!(document.body && document.body.innerText.includes(%q))`, s))
}

// waitJS waits until a JavaScript condition holds in the current page,
// whichever page that is by then.
func waitJS(s string) chromedp.Action[chromedp.Void] {
	ask := chromedp.Evaluate[bool](s)
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			ok, err := ask(ctx, t)
			if err == nil && ok {
				return chromedp.Void{}, nil
			}
			select {
			case <-ctx.Done():
				return chromedp.Void{}, fmt.Errorf("waiting for %q: %w (last answer %v, %v)", s, ctx.Err(), ok, err)
			case <-tick.C:
			}
		}
	}
}

// markPage and newPage wait for a form's navigation to finish: the mark
// is gone once the next document has replaced the current one.
var (
	markPage = chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](`window.__old = true`)(ctx, t)
		return err
	})
	newPage = waitJS(`!window.__old && document.readyState === "complete"`)
)

// checkAccessible checks what a screen reader and a phone need of every
// page: each control has a label, focus is visible, nothing overflows a
// 360 px screen.
func checkAccessible(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	unlabelled := value(t, ctx, "find unlabelled controls", chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(
		'input:not([type=hidden]):not([hidden]), select, textarea, button')).filter(function (el) {
		return !(el.labels && el.labels.length) && !el.getAttribute("aria-label") && !(el.tagName === "BUTTON" && el.innerText.trim());
	}).map(function (el) { return el.outerHTML; })`))
	if len(unlabelled) > 0 {
		t.Errorf("%s has controls without a label: %v", page, unlabelled)
	}
	noFocusRing := value(t, ctx, "check focus is visible", chromedp.Evaluate[bool](`(function () {
		var a = document.querySelector("main a, main button"); if (!a) { return false; }
		a.focus(); return getComputedStyle(a).outlineStyle === "none"; })()`))
	if noFocusRing {
		t.Errorf("%s: a focused control shows no outline", page)
	}
	do(t, ctx, "narrow the window", chromedp.EmulateViewport(360, 740))
	overflow := value(t, ctx, "measure at 360 px", chromedp.Evaluate[int](`document.documentElement.scrollWidth - 360`))
	do(t, ctx, "restore the window", chromedp.EmulateViewport(1024, 800))
	if overflow > 0 {
		t.Errorf("%s is %d px wider than a 360 px screen", page, overflow)
	}
}

// A person answers customers from a real browser: sign in with the
// sandbox's link, see every platform, reply, use HUMAN_AGENT and a
// WhatsApp template when the window has closed, watch a customer's
// message arrive live, get refused a cross-site post, sign out.
func TestBrowser(t *testing.T) {
	chromium(t)
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		if b.Name != "sqlite" {
			t.Skip("the browser drives the app; both backends are covered by the handler tests")
		}
		sb, base := startSandbox(t, b)
		ctx := headless(t)
		shots := os.Getenv("PARLEY_SCREENSHOTS")

		do(t, ctx, "sign in with the printed link",
			chromedp.Navigate(sb.SignInURL),
			chromedp.Click(chromedp.CSS(`button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`#conversations li.conv`)))
		inbox := value(t, ctx, "read the inbox", chromedp.Text(chromedp.CSS(`#conversations`)))
		for _, p := range []string{"Instagram", "Messenger", "WhatsApp", "X", "LinkedIn"} {
			if !strings.Contains(inbox, p) {
				t.Errorf("the inbox shows no %s conversation:\n%s", p, inbox)
			}
		}
		checkAccessible(t, ctx, "the inbox")
		if shots != "" {
			png := value(t, ctx, "screenshot the inbox", chromedp.FullScreenshot(100))
			_ = os.WriteFile(filepath.Join(shots, "inbox.png"), png, 0o644)
		}

		// By keyboard: the skip link, then Tab to the newest conversation.
		open := sb.Seeded.Conversations["instagram/open"]
		do(t, ctx, "reach the conversation list by keyboard",
			chromedp.Focus(chromedp.CSS(`a[href="/app/c/`+open+`"]`)),
			chromedp.KeyEvent("\r"),
			waitText("Reply window open: closes in"))
		checkAccessible(t, ctx, "a conversation")
		do(t, ctx, "reply",
			chromedp.SendKeys(chromedp.CSS(`#text`), "Yes, medium is in stock!"),
			chromedp.Submit(chromedp.CSS(`#text`)),
			waitText("Yes, medium is in stock!"))
		if !historyHas(t, sb, open, "Yes, medium is in stock!") {
			t.Fatal("the reply typed in the browser did not reach the platform")
		}

		// A customer writes while the page is open: it appears without reload.
		value(t, ctx, "mark the page", chromedp.Evaluate[string](`window.__noReload = "still here"`))
		start := time.Now()
		if _, err := sb.Say(context.Background(), platform.Instagram, "Great, I'll take it!"); err != nil {
			t.Fatal(err)
		}
		do(t, ctx, "see the customer's message live", waitText("Great, I'll take it!"))
		t.Logf("a customer's message appeared in the open page %v after it was sent", time.Since(start).Round(time.Millisecond))
		if marker := value(t, ctx, "check the page was not reloaded", chromedp.Evaluate[string](`window.__noReload || ""`)); marker != "still here" {
			t.Fatal("the page reloaded to show the message")
		}
		if shots != "" {
			png := value(t, ctx, "screenshot a conversation", chromedp.FullScreenshot(100))
			_ = os.WriteFile(filepath.Join(shots, "conversation.png"), png, 0o644)
		}

		ha := sb.Seeded.Conversations["messenger/human_agent_only"]
		unread := func() int {
			c, err := sb.Server.Service.GetConversation(context.Background(), service.Caller{OrgID: sb.Org.ID}, ha)
			if err != nil {
				t.Fatal(err)
			}
			return c.UnreadCount
		}
		if unread() == 0 {
			t.Fatal("the seeded Messenger conversation has nothing unread to mark")
		}
		do(t, ctx, "reply with HUMAN_AGENT after the window closed",
			chromedp.Navigate(base+"/app/c/"+ha),
			waitText("HUMAN_AGENT tag for"))
		testsupport.Eventually(t, func() bool { return unread() == 0 }, "opening the conversation marks it read")
		do(t, ctx, "reply with HUMAN_AGENT",
			waitText("Send as human agent (HUMAN_AGENT)"),
			chromedp.SendKeys(chromedp.CSS(`#text`), "Sorry for the wait, Jonas!"),
			chromedp.Submit(chromedp.CSS(`#text`)),
			waitText("Sorry for the wait, Jonas!"))
		if !historyHas(t, sb, ha, "Sorry for the wait, Jonas!") {
			t.Fatal("the HUMAN_AGENT reply did not reach Messenger")
		}

		wa := sb.Seeded.Conversations["whatsapp/closed"]
		do(t, ctx, "send a WhatsApp template",
			chromedp.Navigate(base+"/app/c/"+wa),
			waitText("Send template order_update"))
		checkAccessible(t, ctx, "the template picker")
		do(t, ctx, "send a WhatsApp template",
			markPage,
			chromedp.Click(chromedp.Search(`//button[contains(., "Send template order_update")]`)),
			newPage)
		if errs := value(t, ctx, "look for an error", chromedp.Evaluate[int](`document.querySelectorAll("#error").length`)); errs != 0 {
			t.Fatal("the template send showed an error")
		}

		// Another site's form posting into the app is refused, though the
		// browser is signed in.
		// (The victim presses the attacker's button; a script submitting on
		// load would race the page's own navigation.)
		evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `<!doctype html><form method="post" action="%s/app/c/%s/send"><input name="text" value="forged"><input name="mode" value="open">
<button id="win">Claim your prize</button></form>`, base, open)
		}))
		defer evil.Close()
		evilURL := strings.Replace(evil.URL, "127.0.0.1", "localhost", 1)
		do(t, ctx, "a cross-origin form post", chromedp.Navigate(evilURL), chromedp.Click(chromedp.CSS(`#win`)), waitText("came from another site"))
		if historyHas(t, sb, open, "forged") {
			t.Fatal("the cross-origin post sent a message")
		}

		do(t, ctx, "open the settings", chromedp.Navigate(base+"/app/settings"), waitText("Webhook endpoints"))
		checkAccessible(t, ctx, "the settings")

		do(t, ctx, "sign out",
			chromedp.Navigate(base+"/app/"),
			chromedp.Click(chromedp.Search(`//button[normalize-space()="Sign out"]`)),
			waitText("Email"),
			chromedp.Navigate(base+"/app/"),
			chromedp.WaitVisible(chromedp.CSS(`#password`)))
	})
}
