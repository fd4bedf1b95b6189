package webapp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/testsupport"
)

// The settings page shows an admin the numbers GET /v1/usage answers:
// after sends from the app and the API and a message received, on a
// limited plan and on an unlimited one.
func TestUsagePanelMatchesAPI(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		sb, base := startSandbox(t, b)
		ctx := context.Background()
		if _, err := sb.Server.Plans.SetPlan(ctx, sb.Org.ID, apitype.PlanInput{Plan: "free"}); err != nil {
			t.Fatal(err)
		}
		br := newBrowser(t, base)
		br.signIn(sb.SignInURL)
		csrf := br.csrf()
		usage := func() apitype.Usage {
			t.Helper()
			req, _ := http.NewRequest("GET", base+"/v1/usage", nil)
			req.Header.Set("Authorization", "Bearer "+sb.Key.Secret)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var out struct{ Data apitype.Usage }
			if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != 200 {
				t.Fatalf("GET /v1/usage: %d %v", res.StatusCode, err)
			}
			return out.Data
		}
		before := usage()

		open := sb.Seeded.Conversations["instagram/open"]
		for i := range 2 {
			code, _, _ := br.do("POST", "/app/c/"+open+"/send", url.Values{"csrf": {csrf}, "mode": {"open"}, "text": {fmt.Sprint("from the app ", i)},
				"idempotency_key": {fmt.Sprint("usage-", i)}})
			if code != http.StatusSeeOther {
				t.Fatalf("send from the app answered %d", code)
			}
		}
		req, _ := http.NewRequest("POST", base+"/v1/inbox/conversations/"+open+"/messages", strings.NewReader(`{"text":"from the API"}`))
		req.Header.Set("Authorization", "Bearer "+sb.Key.Secret)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusCreated && res.StatusCode != http.StatusOK {
			t.Fatalf("send from the API answered %d", res.StatusCode)
		}
		if _, err := sb.Say(ctx, platform.WhatsApp, "is my order on its way?"); err != nil {
			// The emulator gave up waiting for Parley's 200 (a loaded
			// machine); Parley may still have taken it, so the count
			// below is what decides.
			t.Logf("inbound webhook: %v", err)
		}
		testsupport.Eventually(t, func() bool { return usage().Inbound > before.Inbound }, "the message received is counted")

		u, shown := stableUsage(t, br, usage)
		if u.Interactions.Used != before.Interactions.Used+3 {
			t.Fatalf("interactions %d after 3 sends from %d", u.Interactions.Used, before.Interactions.Used)
		}
		want := map[string]string{
			"plan":         "free",
			"brands":       fmt.Sprintf("%d of 2", u.Brands.Used),
			"interactions": fmt.Sprintf("%d of 50", u.Interactions.Used),
			"inbound":      fmt.Sprintf("%d (never limited)", u.Inbound),
			"accounts":     "unlimited",
			"resets":       u.ResetsAt.UTC().Format(time.RFC3339),
		}
		for k, v := range want {
			if shown[k] != v {
				t.Errorf("the panel shows %s %q; /v1/usage says %q", k, shown[k], v)
			}
		}
		if next := time.Now().UTC().AddDate(0, 1, 0); u.ResetsAt.Year() != next.Year() || u.ResetsAt.Month() != next.Month() || u.ResetsAt.Day() != 1 {
			t.Errorf("resets at %s, not the start of next month", u.ResetsAt)
		}

		if _, err := sb.Server.Plans.SetPlan(ctx, sb.Org.ID, apitype.PlanInput{Plan: "unlimited"}); err != nil {
			t.Fatal(err)
		}
		u, shown = stableUsage(t, br, usage)
		if u.Interactions.Limit != nil || shown["plan"] != "unlimited" || shown["interactions"] != fmt.Sprintf("%d (unlimited)", u.Interactions.Used) ||
			shown["brands"] != fmt.Sprintf("%d (unlimited)", u.Brands.Used) {
			t.Errorf("on the unlimited plan the panel shows %v for %+v", shown, u)
		}
	})
}

// stableUsage reads /v1/usage, the panel, and /v1/usage again until no
// late webhook moved a count in between.
func stableUsage(t *testing.T, br *browser, usage func() apitype.Usage) (apitype.Usage, map[string]string) {
	t.Helper()
	for range 5 {
		u, shown, again := usage(), usagePanel(t, br), usage()
		if u.Inbound == again.Inbound && u.Interactions.Used == again.Interactions.Used && u.Brands.Used == again.Brands.Used {
			return u, shown
		}
	}
	t.Fatal("the usage kept changing while it was read")
	return apitype.Usage{}, nil
}

var (
	usageItem = regexp.MustCompile(`(?s)<dd id="usage-([a-z]+)">(.*?)</dd>`)
	tags      = regexp.MustCompile(`<time datetime="([^"]+)">.*?</time>.*|<[^>]+>`)
)

// usagePanel reads the settings page's usage panel: each value's text,
// the reset as its machine-readable time.
func usagePanel(t *testing.T, br *browser) map[string]string {
	t.Helper()
	code, page, _ := br.do("GET", "/app/settings", nil)
	if code != 200 || !strings.Contains(page, `<h2 id="usage-h">Plan and usage</h2>`) {
		t.Fatalf("settings: %d, no usage panel", code)
	}
	out := map[string]string{}
	for _, m := range usageItem.FindAllStringSubmatch(page, -1) {
		out[m[1]] = strings.TrimSpace(tags.ReplaceAllString(m[2], "$1"))
	}
	return out
}
