package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/emulator/graphemu"
	"github.com/parleyhq/parley/internal/emulator/waemu"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/testsupport/parleytest"
)

// attempt is one HTTP exchange the client made.
type attempt struct {
	method, path, key string
	status            int
	code              string
	retryAfter        string
	at                time.Time
}

// recorder is the client's transport: it passes requests to the network
// and notes what went and what came back.
type recorder struct {
	mu   sync.Mutex
	seen []attempt
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := http.DefaultTransport.RoundTrip(req)
	a := attempt{method: req.Method, path: req.URL.Path, key: req.Header.Get("Idempotency-Key"), at: time.Now()}
	if err == nil {
		a.status, a.retryAfter = res.StatusCode, res.Header.Get("Retry-After")
		if res.StatusCode >= 400 {
			raw, _ := io.ReadAll(res.Body)
			res.Body = io.NopCloser(bytes.NewReader(raw))
			var eb apitype.ErrorBody
			_ = json.Unmarshal(raw, &eb)
			a.code = eb.Error.Code
		}
	}
	r.mu.Lock()
	r.seen = append(r.seen, a)
	r.mu.Unlock()
	return res, err
}

func (r *recorder) take() []attempt {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.seen
	r.seen = nil
	return out
}

func newRecorded(t *testing.T, base, key string, opts client.Options) (*client.Client, *recorder) {
	t.Helper()
	rec := &recorder{}
	opts.HTTPClient = &http.Client{Transport: rec, Timeout: 30 * time.Second}
	c, err := client.New(base, key, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c, rec
}

func sqlite(t *testing.T) storetest.Backend {
	return storetest.Backend{Name: "sqlite", DataDir: t.TempDir()}
}

// TestRetryAfterQuota: Parley's own 429 (the API key's per-minute quota)
// carries Retry-After; the client waits that long, then sends the same
// message again with the same Idempotency-Key, and the message goes out
// once. A wait longer than MaxRetryWait, or MaxRetries < 0, returns the
// 429 at once with its RetryAfter.
func TestRetryAfterQuota(t *testing.T) {
	var offset atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	l := parleytest.StartLive(t, sqlite(t), config.Config{KeyQuota: 1}, server.Options{Now: clock})
	ctx := context.Background()
	c, rec := newRecorded(t, l.URL, l.Key, client.Options{})
	conv := l.Conv(t, "instagram/open")

	// The server's minute ends 1.5 s from now; the first call spends its
	// one request.
	now := time.Now()
	offset.Store(int64(now.Truncate(time.Minute).Add(time.Minute - 1500*time.Millisecond).Sub(now)))
	if _, err := c.ListBrands(ctx, client.PageQuery{}); err != nil {
		t.Fatal(err)
	}
	rec.take()
	m, err := c.SendMessage(ctx, conv, apitype.SendInput{Text: "Sent once, after the wait"})
	if err != nil || m.Direction != "outgoing" {
		t.Fatalf("send = %+v, %v", m, err)
	}
	seen := rec.take()
	if len(seen) != 2 || seen[0].status != 429 || seen[1].status != 201 {
		t.Fatalf("attempts %+v, want a 429 then a 201", seen)
	}
	wait, err := strconv.Atoi(seen[0].retryAfter)
	if err != nil || wait < 1 || wait > 2 {
		t.Fatalf("Retry-After %q, want 1 or 2 seconds", seen[0].retryAfter)
	}
	if waited := seen[1].at.Sub(seen[0].at); waited < time.Duration(wait)*time.Second {
		t.Errorf("retried after %s, before the %ds Retry-After", waited, wait)
	}
	if seen[0].key == "" || seen[0].key != seen[1].key {
		t.Errorf("Idempotency-Keys %q then %q, want one generated key reused", seen[0].key, seen[1].key)
	}

	// The new minute's one request is spent too: the next 429 asks for
	// nearly a minute.
	for _, opts := range []client.Options{{MaxRetryWait: time.Second}, {MaxRetries: -1}} {
		c, rec := newRecorded(t, l.URL, l.Key, opts)
		start := time.Now()
		_, err := c.GetConversation(ctx, conv)
		e, ok := client.AsError(err)
		if !ok || !client.IsRateLimited(err) || e.RetryAfter < 30*time.Second || e.Meta["scope"] != "api_key" {
			t.Fatalf("%+v: error %#v", opts, err)
		}
		if n := len(rec.take()); n != 1 || time.Since(start) > 5*time.Second {
			t.Errorf("%+v: %d attempts in %s, want one at once", opts, n, time.Since(start))
		}
	}
	offset.Add(int64(time.Minute))
	n := 0
	for msg, err := range c.Messages(ctx, conv, client.PageQuery{}) {
		if err != nil {
			t.Fatal(err)
		}
		if msg.Text == "Sent once, after the wait" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the platform holds the message %d times, want once", n)
	}
}

// TestSendRetriedAfterPlatformThrottle: WhatsApp refuses a send for the
// number's throughput (130429); Parley answers 429 with Retry-After, the
// client sends again with the same key, and the message goes out once.
func TestSendRetriedAfterPlatformThrottle(t *testing.T) {
	l := parleytest.StartLive(t, sqlite(t), config.Config{}, server.Options{})
	ctx := context.Background()
	c, rec := newRecorded(t, l.URL, l.Key, client.Options{})
	conv := l.Conv(t, "whatsapp/open")
	l.Emu.WhatsApp.FailNext(waemu.ThroughputError())
	m, err := c.SendMessage(ctx, conv, apitype.SendInput{Text: "Your order ships today", IdempotencyKey: "order-1042-shipped"})
	if err != nil || m.Replayed {
		t.Fatalf("send = %+v, %v", m, err)
	}
	seen := rec.take()
	// Each refusal is waited out for its Retry-After; the pair rate Parley
	// keeps for WhatsApp may refuse once more right after the throughput
	// error, and is waited out the same way.
	last := len(seen) - 1
	if last < 1 || seen[0].code != "platform.whatsapp.rate_limit" || seen[last].status != 201 {
		t.Fatalf("attempts %+v, want platform.whatsapp.rate_limit, then 201", seen)
	}
	for i, a := range seen {
		if a.key != "order-1042-shipped" {
			t.Errorf("attempt %d carried Idempotency-Key %q, want the caller's", i, a.key)
		}
		if i == last {
			break
		}
		wait, err := strconv.Atoi(a.retryAfter)
		if a.status != 429 || err != nil || wait < 1 {
			t.Fatalf("attempt %d: %+v, want a 429 with Retry-After", i, a)
		}
		if d := seen[i+1].at.Sub(a.at); d < time.Duration(wait)*time.Second {
			t.Errorf("attempt %d retried after %s, before its Retry-After of %ds", i, d, wait)
		}
	}
	n, err := countText(ctx, c, conv, "Your order ships today")
	if err != nil || n != 1 {
		t.Errorf("the conversation holds the message %d times (%v), want once", n, err)
	}
}

// TestServerErrors: a platform outage (Parley's 5xx) is retried for a read,
// after a backoff; a create, which is not idempotent, is not retried.
func TestServerErrors(t *testing.T) {
	l := parleytest.StartLive(t, sqlite(t), config.Config{}, server.Options{})
	ctx := context.Background()
	c, rec := newRecorded(t, l.URL, l.Key, client.Options{RetryBackoff: 50 * time.Millisecond})
	conv := l.Conv(t, "instagram/open")

	l.Emu.Graph.FailNext(graphemu.ErrTransient, graphemu.ErrTransient)
	page, err := c.ListMessages(ctx, conv, 0, "")
	if err != nil || len(page.Data) != 3 {
		t.Fatalf("messages = %+v, %v", page, err)
	}
	seen := rec.take()
	if len(seen) != 3 || seen[0].status < 500 || seen[1].status < 500 || seen[2].status != 200 {
		t.Fatalf("attempts %+v, want two 5xx then 200", seen)
	}

	l.Emu.Graph.FailNext(graphemu.ErrTransient)
	brand := l.Seeded.Accounts["instagram"]
	a, err := c.GetAccount(ctx, brand)
	if err != nil {
		t.Fatal(err)
	}
	rec.take()
	_, err = c.CreateAccount(ctx, apitype.AccountInput{BrandID: a.BrandID, Platform: "instagram",
		NativeID: l.Seeded.NativeIDs["instagram"], AccessToken: l.Seeded.Tokens["instagram"]})
	if e, ok := client.AsError(err); !ok || e.Status < 500 {
		t.Fatalf("create during an outage: %#v", err)
	}
	if seen := rec.take(); len(seen) != 1 {
		t.Errorf("a create was sent %d times, want once: %+v", len(seen), seen)
	}
}

func countText(ctx context.Context, c *client.Client, conv, text string) (int, error) {
	n := 0
	for m, err := range c.Messages(ctx, conv, client.PageQuery{}) {
		if err != nil {
			return n, err
		}
		if m.Text == text {
			n++
		}
	}
	return n, nil
}
