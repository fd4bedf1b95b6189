package api_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/service"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// fakeClock is the domain layer's clock in these tests: fixed-window
// limits are checked at chosen instants, never against the wall clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// replicas runs two Parley servers on one database with one key ring and
// one clock, starting 30 s into a minute.
func replicas(t *testing.T, b storetest.Backend, cfg config.Config) (*fakeClock, *env, *env) {
	t.Helper()
	clk := &fakeClock{t: t0().Add(30 * time.Second)}
	keys := mustKey(t)
	opts := server.Options{Now: clk.Now, Adapters: platform.Registry{}}
	return clk, newEnvFull(t, b, cfg, keys, opts), newEnvFull(t, b, cfg, keys, opts)
}

func scopeOf(r response) any {
	meta, _ := r.body["error"].(map[string]any)["meta"].(map[string]any)
	return meta["scope"]
}

// TestOrgQuotaAcrossKeysAndReplicas: an organisation's keys share one
// quota on every replica, so minting keys does not multiply it; each key
// keeps its own; another organisation is unaffected.
func TestOrgQuotaAcrossKeysAndReplicas(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		clk, a, replica := replicas(t, b, config.Config{KeyQuota: 4, OrgQuota: 6})
		ctx := context.Background()
		org, k1, err := a.srv.Service.Bootstrap(ctx, "Quota", "one")
		if err != nil {
			t.Fatal(err)
		}
		c := service.Caller{OrgID: org.ID}
		k2, _ := a.srv.Service.CreateAPIKey(ctx, c, service.CreateAPIKeyInput{Name: "two"})
		other := a.org("Other")
		on := func(i int) *env {
			if i%2 == 1 {
				return replica
			}
			return a
		}
		for i := range 4 {
			expect(t, on(i).do("GET", "/v1/brands", k1.Secret, nil), 200, "")
		}
		r := a.do("GET", "/v1/brands", k1.Secret, nil)
		expect(t, r, 429, "rate_limit.exceeded")
		if scopeOf(r) != "api_key" {
			t.Fatalf("key over its quota: %s", r.raw)
		}
		// The refused request did not count for the organisation: 4 of 6.
		r = replica.do("GET", "/v1/brands", k2.Secret, nil)
		expect(t, r, 200, "")
		if got := r.header.Get("RateLimit-Remaining"); got != "1" {
			t.Fatalf("RateLimit-Remaining = %s, want 1 (the organisation's 6 less 5)", got)
		}
		expect(t, a.do("GET", "/v1/brands", k2.Secret, nil), 200, "")
		r = replica.do("GET", "/v1/brands", k2.Secret, nil)
		expect(t, r, 429, "rate_limit.exceeded")
		if scopeOf(r) != "organization" || r.header.Get("Retry-After") != "30" || r.header.Get("RateLimit-Limit") != "6" ||
			r.header.Get("RateLimit-Remaining") != "0" || r.header.Get("RateLimit-Reset") != "30" {
			t.Fatalf("organisation over its quota: %v %s", r.header, r.raw)
		}
		// A key minted now shares the spent quota.
		k3, _ := a.srv.Service.CreateAPIKey(ctx, c, service.CreateAPIKeyInput{Name: "three"})
		r = a.do("GET", "/v1/brands", k3.Secret, nil)
		expect(t, r, 429, "rate_limit.exceeded")
		if scopeOf(r) != "organization" {
			t.Fatalf("fresh key: %s", r.raw)
		}
		expect(t, replica.do("GET", "/v1/brands", other, nil), 200, "")

		// The next minute starts afresh.
		clk.Add(30 * time.Second)
		r = replica.do("GET", "/v1/brands", k3.Secret, nil)
		expect(t, r, 200, "")
		if r.header.Get("RateLimit-Remaining") != "3" || r.header.Get("RateLimit-Reset") != "60" {
			t.Fatalf("new minute: %v", r.header)
		}
	})
}

// TestInvalidKeysLimitedPerClientAddress: after too many invalid keys from
// one address, its requests are refused with 429 before any key is looked
// up, valid keys included, on every replica that saw it fail; missing keys
// are not counted, and the next window starts afresh.
func TestInvalidKeysLimitedPerClientAddress(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		clk, a, replica := replicas(t, b, config.Config{AuthFailureLimit: 3})
		key := a.org("A")
		bad := "sapi_key_" + strings.Repeat("A", 43)
		for range 10 {
			expect(t, a.do("GET", "/v1/brands", "", nil), 401, "auth.missing_key")
		}
		expect(t, a.do("GET", "/v1/brands", key, nil), 200, "")
		for i := range 3 {
			expect(t, on2(i, a, replica).do("GET", "/v1/brands", bad, nil), 401, "auth.invalid_key")
		}
		// a saw the third failure: it refuses this address outright.
		r := a.do("GET", "/v1/brands", key, nil)
		expect(t, r, 429, "rate_limit.exceeded")
		if scopeOf(r) != "client_address" || r.header.Get("Retry-After") != "30" {
			t.Fatalf("locked out: %v %s", r.header, r.raw)
		}
		// Without trusted proxies X-Forwarded-For is not believed.
		expect(t, a.do("GET", "/v1/brands", key, nil, "X-Forwarded-For", "198.51.100.23"), 429, "rate_limit.exceeded")
		// MCP authenticates through the same limit.
		r = a.do("POST", "/mcp", key, `{"jsonrpc":"2.0","id":1,"method":"ping"}`, "Accept", "application/json, text/event-stream")
		expect(t, r, 429, "rate_limit.exceeded")
		if r.header.Get("Retry-After") != "30" {
			t.Fatalf("/mcp lock-out without Retry-After: %v", r.header)
		}
		// The replica has not seen this address fail since: it still looks
		// keys up, and the shared count refuses the next invalid one.
		expect(t, replica.do("GET", "/v1/brands", key, nil), 200, "")
		expect(t, replica.do("GET", "/v1/brands", bad, nil), 429, "rate_limit.exceeded")
		expect(t, replica.do("GET", "/v1/brands", key, nil), 429, "rate_limit.exceeded")

		clk.Add(30 * time.Second)
		expect(t, a.do("GET", "/v1/brands", key, nil), 200, "")
		expect(t, replica.do("GET", "/v1/brands", key, nil), 200, "")
		expect(t, a.do("GET", "/v1/brands", bad, nil), 401, "auth.invalid_key")
	})
}

func on2(i int, a, b *env) *env {
	if i%2 == 1 {
		return b
	}
	return a
}

// TestTrustedProxyNamesTheClient: behind a trusted proxy, clients are told
// apart by X-Forwarded-For, read from the right, so one client's failures
// do not lock out the others and a client cannot disown them.
func TestTrustedProxyNamesTheClient(t *testing.T) {
	t.Parallel()
	_, a, _ := replicas(t, storetest.Backend{Name: "sqlite", DataDir: t.TempDir()},
		config.Config{AuthFailureLimit: 2, TrustedProxies: "127.0.0.1/32, ::1"})
	key := a.org("A")
	bad := "sapi_key_" + strings.Repeat("B", 43)
	for range 2 {
		expect(t, a.do("GET", "/v1/brands", bad, nil, "X-Forwarded-For", "203.0.113.9"), 401, "auth.invalid_key")
	}
	expect(t, a.do("GET", "/v1/brands", key, nil, "X-Forwarded-For", "203.0.113.9"), 429, "rate_limit.exceeded")
	// The same client writing its own X-Forwarded-For: the proxy appends
	// the address it saw, which is what counts.
	expect(t, a.do("GET", "/v1/brands", key, nil, "X-Forwarded-For", "198.51.100.4, 203.0.113.9"), 429, "rate_limit.exceeded")
	expect(t, a.do("GET", "/v1/brands", key, nil, "X-Forwarded-For", "198.51.100.4"), 200, "")
	expect(t, a.do("GET", "/v1/brands", key, nil), 200, "") // the proxy itself
}
