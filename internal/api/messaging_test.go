package api_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/emulator/liemu"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/sandbox"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/service"
	"github.com/parleyhq/parley/internal/store/storetest"
)

func TestFanOutPagingAndPartialFailure(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		l := newLiveEnv(t, b)
		want := len(l.seeded.Conversations)
		seen := map[string]bool{}
		var last time.Time
		path := "/v1/inbox/conversations?limit=2"
		for pages := 0; pages < 20; pages++ {
			r := l.do("GET", path, l.key, nil)
			expect(t, r, 200, "")
			for _, d := range r.body["data"].([]any) {
				c := d.(map[string]any)
				id := c["id"].(string)
				if seen[id] {
					t.Fatalf("conversation %s listed twice", id)
				}
				seen[id] = true
				at, _ := time.Parse(time.RFC3339Nano, c["last_message_at"].(string))
				if !last.IsZero() && at.After(last) {
					t.Fatalf("page %d breaks newest-first order", pages)
				}
				last = at
			}
			p := r.body["pagination"].(map[string]any)
			if p["has_more"] != true {
				break
			}
			path = "/v1/inbox/conversations?limit=2&cursor=" + p["next_cursor"].(string)
		}
		if len(seen) != want {
			t.Fatalf("paged %d conversations, want %d", len(seen), want)
		}

		// LinkedIn fails: the others still answer and the failure is named.
		l.emu.LinkedIn.FailNext(liemu.StatusError(503))
		r := l.do("GET", "/v1/inbox/conversations?limit=100", l.key, nil)
		expect(t, r, 200, "")
		meta, _ := r.body["meta"].(map[string]any)
		fails, _ := meta["failures"].([]any)
		if meta["partial"] != true || len(fails) != 1 {
			t.Fatalf("no partial report: %s", r.raw)
		}
		f := fails[0].(map[string]any)
		if f["account_id"] != l.seeded.Accounts[platform.LinkedIn] || f["code"] != "platform.linkedin.unavailable" {
			t.Fatalf("failure = %v", f)
		}
		if n := len(r.body["data"].([]any)); n != want-1 {
			t.Fatalf("%d conversations with LinkedIn down, want %d", n, want-1)
		}
	})
}

func TestExpiredTokenMarksAccount(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		l := newLiveEnv(t, b)
		if err := l.emu.Graph.ExpireToken(l.seeded.NativeIDs[platform.Instagram]); err != nil {
			t.Fatal(err)
		}
		r := l.do("GET", "/v1/inbox/conversations/"+l.conv("instagram/open")+"/messages", l.key, nil)
		expect(t, r, 409, "account.reauth_required")
		a := l.do("GET", "/v1/accounts/"+l.seeded.Accounts[platform.Instagram], l.key, nil)
		if a.data(t)["status"] != "reauth_required" {
			t.Fatalf("account not marked: %s", a.raw)
		}
		// From now on Parley answers without calling Instagram.
		r = l.do("GET", "/v1/inbox/conversations/"+l.conv("instagram/open"), l.key, nil)
		expect(t, r, 409, "account.reauth_required")
		// Reconnecting with a fresh token keeps the account id, so the same
		// conversation id works again.
		acct := l.seeded.Accounts[platform.Instagram]
		fresh := "IGQW-reconnected-token"
		if err := l.emu.Graph.IssueToken(l.seeded.NativeIDs[platform.Instagram], fresh); err != nil {
			t.Fatal(err)
		}
		expect(t, l.do("PATCH", "/v1/accounts/"+acct, l.key, map[string]any{"access_token": ""}), 422, "validation.required")
		u := l.do("PATCH", "/v1/accounts/"+acct, l.key, map[string]any{"access_token": fresh})
		expect(t, u, 200, "")
		if u.data(t)["status"] != "active" || strings.Contains(string(u.raw), fresh) {
			t.Fatalf("reconnected account: %s", u.raw)
		}
		expect(t, l.do("GET", "/v1/inbox/conversations/"+l.conv("instagram/open")+"/messages", l.key, nil), 200, "")
	})
}

func TestIdempotentSends(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		l := newLiveEnv(t, b)
		id := l.conv("linkedin/open")
		path := "/v1/inbox/conversations/" + id + "/messages"
		body := map[string]any{"text": "exactly once"}
		const n = 20
		var wg sync.WaitGroup
		results := make([]response, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = l.do("POST", path, l.key, body, "Idempotency-Key", "order-1042-reply")
			}()
		}
		wg.Wait()
		first := ""
		replays := 0
		for _, r := range results {
			expect(t, r, 201, "")
			pid := r.data(t)["platform_id"].(string)
			if first == "" {
				first = pid
			}
			if pid != first {
				t.Fatalf("different messages for one key: %s vs %s", pid, first)
			}
			if r.header.Get("Idempotent-Replayed") == "true" {
				replays++
			}
		}
		if got := l.sentCount(platform.LinkedIn); got != 1 {
			t.Fatalf("LinkedIn received %d messages for one idempotency key, want 1", got)
		}
		if replays != n-1 {
			t.Fatalf("%d replays, want %d", replays, n-1)
		}
		// Same key, other body: refused, nothing sent.
		r := l.do("POST", path, l.key, map[string]any{"text": "something else"}, "Idempotency-Key", "order-1042-reply")
		expect(t, r, 422, "validation.idempotency_key_reused")
		// A refused send does not burn its key: fixed, it goes through.
		closed := "/v1/inbox/conversations/" + l.conv("messenger/human_agent_only") + "/messages"
		expect(t, l.do("POST", closed, l.key, map[string]any{"text": "hi"}, "Idempotency-Key", "k2"), 410, "conversation.window_closed")
		expect(t, l.do("POST", closed, l.key, map[string]any{"text": "hi"}, "Idempotency-Key", "k2"), 410, "conversation.window_closed")
		if got := l.sentCount(platform.LinkedIn); got != 1 {
			t.Fatalf("LinkedIn count changed: %d", got)
		}
	})
}

// TestLimitsHoldAcrossReplicas runs two Parley servers on one database and
// checks the pair rate and the key quota are shared. Both replicas run on
// one pinned clock, halfway through a minute, so every request falls in the
// same windows however long the test takes and the refusals' Retry-After
// is exact.
func TestLimitsHoldAcrossReplicas(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		now := time.Now().UTC().Truncate(time.Minute).Add(30 * time.Second)
		clock := func() time.Time { return now }
		emu, err := sandbox.StartEmulators(sandbox.EmulatorOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(emu.Close)
		cfg := config.Config{KeyQuota: 8}
		emu.Configure(&cfg)
		keyRing := mustKey(t)
		a := newEnvFull(t, b, cfg, keyRing, server.Options{Now: clock})
		// Both replicas share one key ring, to open the same tokens.
		replica := newEnvFull(t, b, cfg, keyRing, server.Options{Now: clock})
		org, key, err := a.srv.Service.Bootstrap(context.Background(), "R", "k")
		if err != nil {
			t.Fatal(err)
		}
		c := service.Caller{OrgID: org.ID}
		brand, _ := a.srv.Service.CreateBrand(context.Background(), c, service.BrandInput{Name: "b"})
		seeded, err := emu.Seed(context.Background(), a.srv.Service, c, brand.ID, now)
		if err != nil {
			t.Fatal(err)
		}
		wa := "/v1/inbox/conversations/" + seeded.Conversations["whatsapp/open"] + "/messages"
		expect(t, a.do("POST", wa, key.Secret, map[string]any{"text": "first"}), 201, "")
		r := replica.do("POST", wa, key.Secret, map[string]any{"text": "second, too soon"})
		expect(t, r, 429, "whatsapp.pair_rate_limit")
		// The pair window is 6 s and the clock stands at :30, a window start.
		if got := r.header.Get("Retry-After"); got != "6" {
			t.Fatalf("Retry-After on the pair rate refusal = %q, want 6", got)
		}
		if n := len(emu.WhatsApp.Messages(seeded.NativeIDs[platform.WhatsApp])); n != 1 {
			t.Fatalf("WhatsApp received %d, want 1", n)
		}

		// The key quota (8/min) counts requests on both replicas; the throttled
		// platform call above did not count: 1 send + 6 lists = 7 of 8.
		for i := 0; i < 6; i++ {
			e := a
			if i%2 == 1 {
				e = replica
			}
			r := e.do("GET", "/v1/brands", key.Secret, nil)
			expect(t, r, 200, "")
			if got, want := r.header.Get("RateLimit-Remaining"), strconv.Itoa(8-2-i); got != want {
				t.Fatalf("request %d: RateLimit-Remaining = %s, want %s", i+2, got, want)
			}
		}
		expect(t, a.do("GET", "/v1/brands", key.Secret, nil), 200, "")
		r = replica.do("GET", "/v1/brands", key.Secret, nil)
		expect(t, r, 429, "rate_limit.exceeded")
		if r.header.Get("Retry-After") != "30" || r.header.Get("RateLimit-Limit") != "8" || r.header.Get("RateLimit-Remaining") != "0" {
			t.Fatalf("quota headers: %v", r.header)
		}
	})
}

func TestPlatformsAndUsage(t *testing.T) {
	t.Parallel()
	l := newLiveEnv(t, storetest.Backend{Name: "sqlite", DataDir: t.TempDir()})
	r := l.do("GET", "/v1/platforms", l.key, nil)
	expect(t, r, 200, "")
	byName := map[string]map[string]any{}
	for _, d := range r.body["data"].([]any) {
		p := d.(map[string]any)
		byName[p["platform"].(string)] = p
	}
	for _, p := range []string{"tiktok", "threads", "youtube"} {
		if byName[p] == nil || byName[p]["dm_api"] != false || byName[p]["send"] != false {
			t.Errorf("%s should be listed without a DM API: %v", p, byName[p])
		}
	}
	if byName["whatsapp"]["templates"] != true || byName["whatsapp"]["history"] != "journal" || byName["instagram"]["window_hours"] != float64(24) {
		t.Errorf("matrix rows wrong: %v %v", byName["whatsapp"], byName["instagram"])
	}

	wa := l.seeded.Accounts[platform.WhatsApp]
	tl := l.do("GET", "/v1/accounts/"+wa+"/templates", l.key, nil)
	expect(t, tl, 200, "")
	if n := len(tl.body["data"].([]any)); n != 2 {
		t.Fatalf("%d approved templates listed, want 2: %s", n, tl.raw)
	}
	expect(t, l.do("GET", "/v1/accounts/"+l.seeded.Accounts[platform.X]+"/templates", l.key, nil), 422, "validation.templates_not_supported")

	expect(t, l.do("POST", "/v1/inbox/conversations/"+l.conv("whatsapp/open")+"/messages", l.key, map[string]any{"text": "Your order ships today"}), 201, "")
	expect(t, l.do("POST", "/v1/inbox/conversations/"+l.conv("whatsapp/closed")+"/messages", l.key,
		map[string]any{"template": map[string]any{"name": "spring_sale", "language": "en_US"}}), 201, "")
	u := l.do("GET", "/v1/accounts/"+wa+"/usage?month="+time.Now().UTC().Format("2006-01"), l.key, nil)
	expect(t, u, 200, "")
	counts := map[string]any{}
	for _, d := range u.body["data"].([]any) {
		row := d.(map[string]any)
		counts[row["category"].(string)+"/"+strconv.FormatBool(row["free"].(bool))] = row["count"]
	}
	if counts["marketing/false"] != float64(1) || len(counts) != 2 {
		t.Fatalf("usage = %v", counts)
	}
	// Parley's accounting agrees with how the platform priced each message.
	for _, m := range l.emu.WhatsApp.Messages(l.seeded.NativeIDs[platform.WhatsApp]) {
		key := m.Pricing.Category + "/" + strconv.FormatBool(!m.Pricing.Billable)
		if counts[key] == nil {
			t.Errorf("the platform priced a message %s; Parley counted %v", key, counts)
		}
	}
	expect(t, l.do("GET", "/v1/accounts/"+wa+"/usage?month=2026-13", l.key, nil), 422, "validation.invalid_field")
}
