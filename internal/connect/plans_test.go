package connect_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/emulator/graphemu"
	"github.com/parleyhq/parley/internal/emulator/waemu"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// returnOf is where the end customer of session id came back to.
func (r *rig) returnOf(t *testing.T, id string) url.Values {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range r.returns {
		if v.Get("session_id") == id {
			return v
		}
	}
	t.Fatalf("the customer of session %s never came back to the app", id)
	return nil
}

func (r *rig) brandAccounts(t *testing.T, brand string) []store.Account {
	t.Helper()
	as, err := r.srv.Store.ListAccounts(context.Background(), orgOf(t, r), store.AccountFilter{BrandID: brand, Page: store.Page{Limit: 100}})
	if err != nil {
		t.Fatal(err)
	}
	return as
}

// plan is a configuration whose one plan, the default, allows accounts
// connected accounts per brand.
func plan(t *testing.T, name string, accounts int) config.Config {
	t.Helper()
	file := filepath.Join(t.TempDir(), "plans.json")
	if err := os.WriteFile(file, fmt.Appendf(nil, `{"plans": [{"name": %q, "max_brands": "unlimited",
		"max_accounts_per_brand": %d, "monthly_interactions": "unlimited"}]}`, name, accounts), 0o600); err != nil {
		t.Fatal(err)
	}
	return config.Config{PlansFile: file, DefaultPlan: name}
}

// TestConnectPlanAccountLimit: connecting through the hosted page honours
// the plan's connected accounts per brand as POST /v1/accounts does (402
// billing.account_limit there, the same code on the caller's redirect_url
// here), a reconnect is not a new account, and concurrent connects at the
// boundary connect exactly the allowed number.
func TestConnectPlanAccountLimit(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		r := newRigWith(t, b, plan(t, "duo", 2))
		for i := 1; i <= 8; i++ {
			id := fmt.Sprint(1000 + i)
			r.emu.AddAccount(id, "shop"+id, "Shop "+id, "token-"+id)
		}
		connectAs := func(t *testing.T, brand, accountID, user string) url.Values {
			t.Helper()
			id, link := r.xSession(t, brand, accountID)
			res, _ := consentAs(t, browser(t), link, "allow", user)
			res.Body.Close()
			return r.returnOf(t, id)
		}
		ctx := context.Background()

		first := connectAs(t, r.brand, "", "1001")
		second := connectAs(t, r.brand, "", "1002")
		if first.Get("status") != "connected" || second.Get("status") != "connected" {
			t.Fatalf("within the limit: %v, %v", first, second)
		}
		// Reconnecting, with or without naming the account, is not a new one.
		for _, named := range []string{"", first.Get("account_id")} {
			if back := connectAs(t, r.brand, named, "1001"); back.Get("status") != "connected" || back.Get("account_id") != first.Get("account_id") {
				t.Fatalf("reconnect (account_id %q) at the limit: %v", named, back)
			}
		}

		// A third account: refused, nothing stored, the session failed.
		third := connectAs(t, r.brand, "", "1003")
		if third.Get("status") != "error" || third.Get("error") != "billing.account_limit" ||
			third.Get("plan") != "duo" || third.Get("limit") != "2" || third.Get("used") != "2" || third.Get("account_id") != "" {
			t.Fatalf("beyond the limit returned with %v", third)
		}
		if n := len(r.brandAccounts(t, r.brand)); n != 2 {
			t.Fatalf("%d accounts on the brand, want 2", n)
		}
		if s, err := r.srv.Store.ConnectSessionByID(ctx, third.Get("session_id")); err != nil ||
			s.Status != store.ConnectFailed || s.ErrorCode != "billing.account_limit" || s.ResultAccountID != "" {
			t.Fatalf("refused session: %+v %v", s, err)
		}
		for _, ev := range r.events(t, "account.connected") {
			if ev["native_id"] == "1003" {
				t.Fatalf("account.connected for a refused account: %v", ev)
			}
		}
		// The same account through the API: the same refusal, as a 402.
		st, body := call(t, r.srv.URL, r.key, "POST", "/v1/accounts", map[string]any{"brand_id": r.brand, "platform": "x",
			"native_id": "1003", "access_token": "token-1003"})
		e, _ := body["error"].(map[string]any)
		meta, _ := e["meta"].(map[string]any)
		if st != http.StatusPaymentRequired || errCode(body) != third.Get("error") || meta["plan"] != "duo" ||
			fmt.Sprint(meta["limit"]) != third.Get("limit") || fmt.Sprint(meta["used"]) != third.Get("used") {
			t.Fatalf("POST /v1/accounts beyond the limit: %d %v", st, body)
		}

		// With no redirect_url, the hosted page itself says why.
		_, s := call(t, r.srv.URL, r.key, "POST", "/v1/connect/sessions", map[string]any{"platform": "x", "brand_id": r.brand})
		res, _ := consentAs(t, browser(t), s["url"].(string), "allow", "1004")
		page, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(page), `<code id="error-code">billing.account_limit</code>`) ||
			!strings.Contains(string(page), "as many connected accounts as its plan allows") {
			t.Fatalf("hosted page beyond the limit: %d %s", res.StatusCode, page)
		}

		// Four customers connect to a new brand at once: two get in. Each
		// signs in first; the callbacks, where the account is saved, then
		// arrive together.
		_, rush := call(t, r.srv.URL, r.key, "POST", "/v1/brands", map[string]any{"name": "Rush"})
		brand := rush["id"].(string)
		type pending struct {
			id, callback string
			c            *http.Client
		}
		var ps []pending
		for _, u := range []string{"1005", "1006", "1007", "1008"} {
			id, link := r.xSession(t, brand, "")
			c := browser(t)
			c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
				if strings.Contains(req.URL.Path, "/oauth/callback/") {
					return http.ErrUseLastResponse
				}
				return nil
			}
			res, _ := consentAs(t, c, link, "allow", u)
			res.Body.Close()
			if res.StatusCode != http.StatusFound {
				t.Fatalf("consent of %s: %d", u, res.StatusCode)
			}
			c.CheckRedirect = nil
			ps = append(ps, pending{id, res.Header.Get("Location"), c})
		}
		var wg sync.WaitGroup
		for _, p := range ps {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := p.c.Get(p.callback)
				if err != nil {
					t.Error(err)
					return
				}
				res.Body.Close()
			}()
		}
		wg.Wait()
		outcomes := map[string]int{}
		for _, p := range ps {
			back := r.returnOf(t, p.id)
			outcomes[back.Get("status")+" "+back.Get("error")]++
		}
		if outcomes["connected "] != 2 || outcomes["error billing.account_limit"] != 2 {
			t.Fatalf("concurrent connects at the limit: %v", outcomes)
		}
		if n := len(r.brandAccounts(t, brand)); n != 2 {
			t.Fatalf("%d accounts on the brand after concurrent connects, want 2", n)
		}
	})
}

// TestConnectRefusedSubscribesNothing: the plan decides before the platform
// is asked for webhooks, so a Page or WABA the plan refuses is not left
// subscribed to the app (whose events ingest would drop), and a
// subscription the platform refuses gives the held slot back.
func TestConnectRefusedSubscribesNothing(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		t.Run("messenger", func(t *testing.T) {
			r, emu := newMetaRigWith(t, b, plan(t, "solo", 1))
			subscribed := func(page string) bool { _, ok := emu.Subscribed(page); return ok }
			pick := func(t *testing.T, brand, page string) url.Values {
				t.Helper()
				c := browser(t)
				res := submit(t, c, open(t, c, r.sessionIn(t, brand, "messenger", "")), url.Values{"user_id": {fbUser}, "decision": {"allow"}})
				submit(t, c, res, url.Values{"asset": {page}}).Body.Close()
				return r.lastReturn(t)
			}
			if back := pick(t, r.brand, pageA); back.Get("status") != "connected" || !subscribed(pageA) {
				t.Fatalf("within the limit: %v, subscribed %v", back, subscribed(pageA))
			}
			back := pick(t, r.brand, pageB)
			if back.Get("error") != "billing.account_limit" || back.Get("used") != "1" {
				t.Fatalf("beyond the limit returned with %v", back)
			}
			if subscribed(pageB) {
				t.Fatal("a Page the plan refused was subscribed to the app's webhooks")
			}
			if s, err := r.srv.Store.ConnectSessionByID(context.Background(), back.Get("session_id")); err != nil ||
				s.Status != store.ConnectFailed || s.ErrorCode != "billing.account_limit" {
				t.Fatalf("refused session: %+v %v", s, err)
			}

			// Another brand has a free slot: Meta fails the subscription
			// (the next authenticated call), the slot is given back, and
			// the next try takes it.
			_, other := call(t, r.srv.URL, r.key, "POST", "/v1/brands", map[string]any{"name": "Other"})
			brand := other["id"].(string)
			emu.FailNext(graphemu.ErrTransient)
			if back := pick(t, brand, pageB); back.Get("error") != "connect.platform_error" || subscribed(pageB) {
				t.Fatalf("subscription refused by Meta: %v, subscribed %v", back, subscribed(pageB))
			}
			if back := pick(t, brand, pageB); back.Get("status") != "connected" || !subscribed(pageB) {
				t.Fatalf("after a failed subscription: %v, subscribed %v", back, subscribed(pageB))
			}
			if n := len(r.brandAccounts(t, brand)); n != 1 {
				t.Fatalf("%d accounts on the other brand, want 1", n)
			}
		})

		t.Run("whatsapp", func(t *testing.T) {
			const wabaA, wabaB = "102290129340398", "102290129340399"
			r, emu := newWhatsAppRig(t, b, plan(t, "solo", 1),
				waemu.PhoneNumber{ID: "106540352242922", DisplayPhoneNumber: "+1 555-0100", VerifiedName: "Acme", WABAID: wabaA, Token: "seed-a"},
				waemu.PhoneNumber{ID: "106540352242923", DisplayPhoneNumber: "+1 555-0101", VerifiedName: "Acme Two", WABAID: wabaB, Token: "seed-b"})
			pick := func(t *testing.T, number string) url.Values {
				t.Helper()
				c := browser(t)
				res := submit(t, c, open(t, c, r.sessionFor(t, "whatsapp", "")), url.Values{"user_id": {fbUser}, "decision": {"allow"}})
				submit(t, c, res, url.Values{"asset": {number}}).Body.Close()
				return r.lastReturn(t)
			}
			if back := pick(t, "106540352242922"); back.Get("status") != "connected" || !emu.Subscribed(wabaA) {
				t.Fatalf("within the limit: %v, subscribed %v", back, emu.Subscribed(wabaA))
			}
			if back := pick(t, "106540352242923"); back.Get("error") != "billing.account_limit" || emu.Subscribed(wabaB) {
				t.Fatalf("beyond the limit: %v, WABA subscribed %v", back, emu.Subscribed(wabaB))
			}
		})
	})
}
