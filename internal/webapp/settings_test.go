package webapp_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/testsupport"
)

// An admin runs the organisation from the settings page: brands, a key
// shown once that works until revoked, an account token the platform
// refuses, hosted connect, a webhook endpoint with its deliveries, and the
// event log with replay. An agent can do none of it.
func TestAdminSettings(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		sb, base := startSandbox(t, b)
		br := newBrowser(t, base)
		br.signIn(sb.SignInURL)
		csrf := br.csrf()
		post := func(path string, form url.Values) (int, string) {
			t.Helper()
			form.Set("csrf", csrf)
			code, body, _ := br.do("POST", path, form)
			return code, body
		}

		if code, body := post("/app/settings/brands", url.Values{"name": {"Winter line"}}); code != 200 || !strings.Contains(body, "Brand Winter line added.") {
			t.Fatalf("add brand: %d", code)
		}

		code, body := post("/app/settings/keys", url.Values{"name": {"zapier"}})
		key := regexp.MustCompile(`value="(sapi_key_[^"]+)"`).FindStringSubmatch(body)
		if code != 200 || key == nil {
			t.Fatalf("create key: %d, no key shown", code)
		}
		rest := func() int {
			req, _ := http.NewRequest("GET", base+"/v1/brands", nil)
			req.Header.Set("Authorization", "Bearer "+key[1])
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res.StatusCode
		}
		if got := rest(); got != 200 {
			t.Fatalf("the new key answered %d on the API", got)
		}
		if _, again, _ := br.do("GET", "/app/settings", nil); strings.Contains(again, key[1]) {
			t.Fatal("the key is shown a second time")
		}
		var keyID string
		keys, _ := sb.Server.Store.ListAPIKeys(context.Background(), sb.Org.ID, store.Page{Limit: 100})
		for _, k := range keys {
			if k.Name == "zapier" {
				keyID = k.ID
			}
		}
		if keyID == "" || !strings.Contains(body, "/app/settings/keys/"+keyID+"/revoke") {
			t.Fatal("no revoke button for the new key")
		}
		if code, _ := post("/app/settings/keys/"+keyID+"/revoke", url.Values{}); code != 200 {
			t.Fatalf("revoke: %d", code)
		}
		testsupport.Eventually(t, func() bool { return rest() == http.StatusUnauthorized }, "a revoked key is refused by the API")

		// A token the platform does not confirm is refused, with its reason.
		ig := sb.Seeded.Accounts["instagram"]
		code, body = post("/app/settings/accounts/"+ig+"/reconnect", url.Values{"access_token": {"not-a-real-token"}})
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, "account.token_invalid") {
			t.Fatalf("reconnect with a bad token: %d\n%s", code, body)
		}
		if code, _, h := br.do("POST", "/app/settings/connect", url.Values{"csrf": {csrf}, "platform": {"x"}, "brand_id": {sb.Brand.ID}}); code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "/connect/") {
			t.Fatalf("connect X answered %d → %s", code, h.Get("Location"))
		}

		var mu sync.Mutex
		var got []string
		rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			raw, _ := io.ReadAll(r.Body)
			mu.Lock()
			got = append(got, string(raw))
			mu.Unlock()
		}))
		defer rcv.Close()
		code, body = post("/app/settings/webhooks", url.Values{"url": {rcv.URL}, "description": {"ops"}})
		if code != 200 || !strings.Contains(body, `aria-label="Signing secret" readonly value="whsec_`) {
			t.Fatalf("add endpoint: %d", code)
		}
		eps, _ := sb.Server.Store.ListEndpoints(context.Background(), sb.Org.ID, store.Page{Limit: 10})
		if len(eps) != 1 {
			t.Fatalf("%d endpoints", len(eps))
		}
		if code, _ := post("/app/settings/webhooks/"+eps[0].ID+"/test", url.Values{}); code != 200 {
			t.Fatalf("test endpoint: %d", code)
		}
		testsupport.Eventually(t, func() bool {
			_, page, _ := br.do("GET", "/app/settings", nil)
			return strings.Contains(page, "delivered (200)")
		}, "the settings page shows the test delivery")

		_, log, _ := br.do("GET", "/app/settings/events", nil)
		ev := regexp.MustCompile(`/app/settings/events/(evt_[0-9a-f]+)/replay`).FindStringSubmatch(log)
		if ev == nil || !strings.Contains(log, "webhook.test") {
			t.Fatalf("event log:\n%s", log)
		}
		mu.Lock()
		before := len(got)
		mu.Unlock()
		if code, _, h := br.do("POST", "/app/settings/events/"+ev[1]+"/replay", url.Values{"csrf": {csrf}}); code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "replayed=") {
			t.Fatalf("replay: %d", code)
		}
		testsupport.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(got) > before }, "the replayed event is delivered again")

		// An agent sees only their own settings and changes nothing.
		ctx := context.Background()
		agent, err := sb.Server.People.Create(ctx, sb.Org.ID, "agent2@sandbox.example", "", store.RoleAgent)
		if err != nil {
			t.Fatal(err)
		}
		link, _, _ := sb.Server.People.SignInLink(ctx, sb.Org.ID, agent.ID)
		ag := newBrowser(t, base)
		ag.signIn(link)
		_, page, _ := ag.do("GET", "/app/settings", nil)
		if strings.Contains(page, "API keys") || strings.Contains(page, "Webhook endpoints") {
			t.Fatal("an agent sees the organisation's keys and endpoints")
		}
		agentCSRF := ag.csrf()
		for _, path := range []string{"/app/settings/keys", "/app/settings/brands", "/app/settings/webhooks", "/app/settings/events/" + ev[1] + "/replay",
			"/app/settings/keys/" + keyID + "/revoke", "/app/settings/connect", "/app/settings/accounts"} {
			if code, _, _ := ag.do("POST", path, url.Values{"csrf": {agentCSRF}, "name": {"agent's"}, "url": {rcv.URL}}); code != http.StatusForbidden {
				t.Errorf("agent POST %s answered %d, want 403", path, code)
			}
		}
	})
}
