package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/emulator/liemu"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// meta is an error answer's meta.
func meta(t testing.TB, r response) map[string]any {
	t.Helper()
	m, _ := r.body["error"].(map[string]any)["meta"].(map[string]any)
	if m == nil {
		t.Fatalf("no meta in %s", r.raw)
	}
	return m
}

// TestOperatorAPIAndBrandLimits: what a SaaS's sign-up and billing code does
// over HTTP — create an organisation on a plan, mint its first key, move it
// between plans — and what its customer then meets: brand limits as 402,
// the same numbers in GET /v1/usage and in the operator's view.
func TestOperatorAPIAndBrandLimits(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		op := operatorToken
		other := e.org("Other")

		// Token separation: each credential is 401 on the other's routes.
		expect(t, e.do("GET", "/v1/operator/organizations", other, nil), 401, "auth.invalid_operator_token")
		expect(t, e.do("POST", "/v1/operator/organizations", other, map[string]any{"name": "Mine"}), 401, "auth.invalid_operator_token")
		expect(t, e.do("GET", "/v1/operator/organizations", "", nil), 401, "auth.invalid_operator_token")
		expect(t, e.do("GET", "/v1/operator/organizations", op+"x", nil), 401, "auth.invalid_operator_token")
		expect(t, e.do("GET", "/v1/brands", op, nil), 401, "auth.invalid_key")
		expect(t, e.do("GET", "/v1/usage", op, nil), 401, "auth.invalid_key")
		expect(t, e.do("POST", "/v1/brands", op, map[string]any{"name": "x"}), 401, "auth.invalid_key")

		r := e.do("POST", "/v1/operator/organizations", op, map[string]any{"name": "Acme", "plan": "free"})
		expect(t, r, 201, "")
		org := r.data(t)
		id := org["id"].(string)
		if org["plan"] != "free" {
			t.Fatalf("created %s", r.raw)
		}
		expect(t, e.do("POST", "/v1/operator/organizations", op, map[string]any{"name": "Acme", "plan": "gold"}), 422, "validation.invalid_field")
		expect(t, e.do("POST", "/v1/operator/organizations/org_0193a0c0d1e2f3a4b5c6d7e8f9a0b1c2/api-keys", op, map[string]any{"name": "x"}), 404, "resource.not_found")
		expect(t, e.do("PATCH", "/v1/operator/organizations/org_0193a0c0d1e2f3a4b5c6d7e8f9a0b1c2", op, map[string]any{"plan": "pro"}), 404, "resource.not_found")

		k := e.do("POST", "/v1/operator/organizations/"+id+"/api-keys", op, map[string]any{"name": "signup"})
		expect(t, k, 201, "")
		key := k.data(t)["key"].(string)

		// free: 2 brands.
		for _, n := range []string{"one", "two"} {
			expect(t, e.do("POST", "/v1/brands", key, map[string]any{"name": n}), 201, "")
		}
		r = e.do("POST", "/v1/brands", key, map[string]any{"name": "three"})
		expect(t, r, 402, "billing.brand_limit")
		if m := meta(t, r); m["plan"] != "free" || m["limit"] != 2.0 || m["used"] != 2.0 {
			t.Fatalf("meta %v", m)
		}
		// The other organisation's brands are its own business.
		expect(t, e.do("POST", "/v1/brands", other, map[string]any{"name": "unlimited"}), 201, "")

		// Upgrade, add a third, downgrade: the three keep working, a fourth is refused.
		expect(t, e.do("PATCH", "/v1/operator/organizations/"+id, op, map[string]any{"plan": "starter"}), 200, "")
		b3 := e.do("POST", "/v1/brands", key, map[string]any{"name": "three"})
		expect(t, b3, 201, "")
		expect(t, e.do("PATCH", "/v1/operator/organizations/"+id, op, map[string]any{"plan": "free"}), 200, "")
		expect(t, e.do("GET", "/v1/brands/"+b3.data(t)["id"].(string), key, nil), 200, "")
		expect(t, e.do("PATCH", "/v1/brands/"+b3.data(t)["id"].(string), key, map[string]any{"name": "renamed"}), 200, "")
		r = e.do("POST", "/v1/brands", key, map[string]any{"name": "four"})
		expect(t, r, 402, "billing.brand_limit")
		if m := meta(t, r); m["used"] != 3.0 || m["limit"] != 2.0 {
			t.Fatalf("meta after downgrade %v", m)
		}

		// GET /v1/usage and the operator's view say the same.
		u := e.do("GET", "/v1/usage", key, nil)
		expect(t, u, 200, "")
		var usage apitype.Usage
		if err := json.Unmarshal(mustJSON(t, u.body["data"]), &usage); err != nil {
			t.Fatal(err)
		}
		if usage.Plan != "free" || usage.Brands.Used != 3 || *usage.Brands.Limit != 2 || usage.Interactions.Used != 0 ||
			*usage.Interactions.Limit != 50 || usage.ResetsAt.Day() != 1 {
			t.Fatalf("usage %s", u.raw)
		}
		ou := e.do("GET", "/v1/operator/organizations/"+id+"/usage", op, nil)
		expect(t, ou, 200, "")
		if string(mustJSON(t, ou.body["data"])) != string(mustJSON(t, u.body["data"])) {
			t.Fatalf("operator usage %s differs from /v1/usage %s", ou.raw, u.raw)
		}
		g := e.do("GET", "/v1/operator/organizations/"+id, op, nil)
		expect(t, g, 200, "")
		if string(mustJSON(t, g.data(t)["usage"])) != string(mustJSON(t, u.body["data"])) {
			t.Fatalf("operator organisation %s", g.raw)
		}
		l := e.do("GET", "/v1/operator/organizations?limit=100", op, nil)
		expect(t, l, 200, "")
		if n := len(l.body["data"].([]any)); n != 2 {
			t.Fatalf("%d organisations listed: %s", n, l.raw)
		}
		// The refusal was announced to the organisation's webhooks.
		ev := e.do("GET", "/v1/events?limit=100", key, nil)
		expect(t, ev, 200, "")
		found := false
		for _, x := range ev.body["data"].([]any) {
			found = found || x.(map[string]any)["type"] == "billing.limit_reached"
		}
		if !found {
			t.Fatalf("no billing.limit_reached in %s", ev.raw)
		}
		expect(t, e.do("GET", "/v1/operator/plans", op, nil), 200, "")
	})
}

// TestOperatorAPIOff: without PARLEY_OPERATOR_TOKEN the operator API
// refuses everything, including an empty bearer.
func TestOperatorAPIOff(t *testing.T) {
	e := newEnvWith(t, storetest.Backend{Name: "sqlite", DataDir: t.TempDir()}, config.Config{}, nil)
	expect(t, e.do("GET", "/v1/operator/organizations", "", nil), 401, "auth.operator_disabled")
	expect(t, e.do("GET", "/v1/operator/organizations", " ", nil), 401, "auth.operator_disabled")
	key := e.org("A")
	expect(t, e.do("GET", "/v1/operator/organizations", key, nil), 401, "auth.operator_disabled")
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestInteractionLimitOverHTTP: a free organisation at 49 of 50 sends 20
// messages at once; exactly one reaches the platform, the others are 402
// billing.interaction_limit with the plan, limit, used and reset time, and
// the platform sees nothing of them.
func TestInteractionLimitOverHTTP(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		l := newLiveEnvCfg(t, b, config.Config{OperatorToken: operatorToken})
		ctx := context.Background()
		c, err := l.srv.Service.Authenticate(ctx, "Bearer "+l.key)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.srv.Plans.SetPlan(ctx, c.OrgID, apitype.PlanInput{Plan: "free"}); err != nil {
			t.Fatal(err)
		}
		for range 49 {
			if _, err := l.srv.Plans.Reserve(ctx, c.OrgID); err != nil {
				t.Fatal(err)
			}
		}
		before := l.sentCount(platform.X)
		conv := l.conv("x/open")
		var wg sync.WaitGroup
		results := make([]response, 20)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = l.do("POST", "/v1/inbox/conversations/"+conv+"/messages", l.key, map[string]any{"text": "hello"})
			}()
		}
		wg.Wait()
		sent := 0
		var refused response
		for _, r := range results {
			switch r.status {
			case 201:
				sent++
			case 402:
				refused = r
			default:
				t.Fatalf("send answered %d: %s", r.status, r.raw)
			}
		}
		if sent != 1 {
			t.Fatalf("%d of 20 concurrent sends at 49/50 went out, want 1", sent)
		}
		expect(t, refused, 402, "billing.interaction_limit")
		if m := meta(t, refused); m["plan"] != "free" || m["limit"] != 50.0 || m["used"] != 50.0 || m["resets_at"] == nil {
			t.Fatalf("meta %v", m)
		}
		if n := l.sentCount(platform.X) - before; n != 1 {
			t.Fatalf("the platform received %d messages, want 1", n)
		}
		u := l.do("GET", "/v1/usage", l.key, nil)
		expect(t, u, 200, "")
		if it := u.data(t)["interactions"].(map[string]any); it["used"] != 50.0 {
			t.Fatalf("usage %s", u.raw)
		}
	})
}

// TestSendsThatDoNotGoOutGiveBack: only a message that went out (or may
// have) stays counted against the plan.
func TestSendsThatDoNotGoOutGiveBack(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		l := newLiveEnv(t, b)
		ctx := context.Background()
		c, err := l.srv.Service.Authenticate(ctx, "Bearer "+l.key)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.srv.Plans.SetPlan(ctx, c.OrgID, apitype.PlanInput{Plan: "free"}); err != nil {
			t.Fatal(err)
		}
		used := func() float64 {
			t.Helper()
			u := l.do("GET", "/v1/usage", l.key, nil)
			expect(t, u, 200, "")
			return u.data(t)["interactions"].(map[string]any)["used"].(float64)
		}
		send := func(scenario string, body map[string]any) response {
			return l.do("POST", "/v1/inbox/conversations/"+l.conv(scenario)+"/messages", l.key, body)
		}
		// Refused by the rules: Messenger's window is closed but for HUMAN_AGENT.
		if r := send("messenger/human_agent_only", map[string]any{"text": "hi"}); r.status < 400 || r.status >= 500 {
			t.Fatalf("send outside the window: %d %s", r.status, r.raw)
		}
		// The platform could not be read before sending.
		l.emu.LinkedIn.FailNext(liemu.StatusError(503))
		if r := send("linkedin/open", map[string]any{"text": "hi"}); r.status != 502 && r.status != 503 {
			t.Fatalf("send with LinkedIn down: %d %s", r.status, r.raw)
		}
		// Refused by the platform's own rule (X: 10,000 characters at most).
		if r := send("x/open", map[string]any{"text": strings.Repeat("a", 10001)}); r.status < 400 || r.status >= 500 {
			t.Fatalf("send of a text X refuses: %d %s", r.status, r.raw)
		}
		if n := used(); n != 0 {
			t.Fatalf("%v interactions counted for messages that did not go out", n)
		}
		expect(t, send("x/open", map[string]any{"text": "hello"}), 201, "")
		if n := used(); n != 1 {
			t.Fatalf("%v interactions counted after one send", n)
		}
		// Idempotent replays are not new interactions.
		for range 2 {
			r := l.do("POST", "/v1/inbox/conversations/"+l.conv("linkedin/open")+"/messages", l.key, map[string]any{"text": "once"}, "Idempotency-Key", "order-1")
			expect(t, r, 201, "")
		}
		if n := used(); n != 2 {
			t.Fatalf("%v interactions after an idempotent send and its replay, want 2", n)
		}
	})
}
