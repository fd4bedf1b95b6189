package xemu

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/webhook/inbound"
)

// crcEndpoint answers CRCs as Parley's /webhooks/x does (inbound.XCRC) with
// a secret the test can change, and counts CRCs and deliveries.
type crcEndpoint struct {
	mu           sync.Mutex
	secret       string
	status       int // non-zero: answer CRCs with this status instead
	crcs, events int
	srv          *httptest.Server
}

func newCRCEndpoint(t *testing.T, secret string) *crcEndpoint {
	c := &crcEndpoint{secret: secret}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		defer c.mu.Unlock()
		if r.Method == http.MethodPost {
			c.events++
			return
		}
		c.crcs++
		if c.status != 0 {
			w.WriteHeader(c.status)
			return
		}
		body, err := inbound.XCRC(r.URL.Query(), c.secret)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *crcEndpoint) set(secret string, status int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.secret, c.status = secret, status
}

func (c *crcEndpoint) counts() (crcs, events int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.crcs, c.events
}

// Registration sends a CRC and succeeds only on a verified answer; a
// failed periodic check stops deliveries until one passes again.
func TestWebhookCRC(t *testing.T) {
	t.Parallel()
	e, _ := fixture(t, Options{})
	ep := newCRCEndpoint(t, "wrong-secret")
	if err := e.RegisterWebhook(ep.srv.URL, consumerSecret); !errors.Is(err, ErrCRC) {
		t.Fatalf("register with a wrong answer: %v", err)
	}
	if e.WebhookValid() {
		t.Fatal("a webhook that failed its CRC is set")
	}
	if _, err := e.Inbound(bizID, aliceID, "not delivered"); err != nil {
		t.Fatal(err)
	}
	for _, status := range []int{http.StatusInternalServerError, http.StatusFound} {
		ep.set(consumerSecret, status)
		if err := e.RegisterWebhook(ep.srv.URL, consumerSecret); !errors.Is(err, ErrCRC) {
			t.Fatalf("register answered %d: %v", status, err)
		}
	}
	ep.set(consumerSecret, 0)
	if err := e.RegisterWebhook(ep.srv.URL+"/path?x=1", consumerSecret); err != nil {
		t.Fatalf("register: %v", err)
	}
	if !e.WebhookValid() {
		t.Fatal("registered webhook not valid")
	}
	if _, err := e.Inbound(bizID, aliceID, "delivered"); err != nil {
		t.Fatal(err)
	}
	if crcs, events := ep.counts(); crcs != 4 || events != 1 {
		t.Fatalf("crcs %d events %d, want 4 and 1", crcs, events)
	}

	ep.set("rotated-elsewhere", 0)
	if err := e.CheckCRC(); !errors.Is(err, ErrCRC) || e.WebhookValid() {
		t.Fatalf("failing check: %v valid=%v", err, e.WebhookValid())
	}
	if _, err := e.Inbound(bizID, aliceID, "dropped while invalid"); err != nil {
		t.Fatal(err)
	}
	ep.set(consumerSecret, 0)
	if err := e.CheckCRC(); err != nil || !e.WebhookValid() {
		t.Fatalf("passing check: %v valid=%v", err, e.WebhookValid())
	}
	if _, err := e.Inbound(bizID, aliceID, "delivered again"); err != nil {
		t.Fatal(err)
	}
	if _, events := ep.counts(); events != 2 {
		t.Fatalf("events %d, want 2 (none while invalid)", events)
	}
}

func TestRunCRCChecksPeriodically(t *testing.T) {
	t.Parallel()
	e, _ := fixture(t, Options{})
	ep := newCRCEndpoint(t, consumerSecret)
	if err := e.RegisterWebhook(ep.srv.URL, consumerSecret); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.RunCRC(ctx, 10*time.Millisecond) }()
	deadline := time.Now().Add(10 * time.Second)
	for crcs, _ := ep.counts(); crcs < 3; crcs, _ = ep.counts() {
		if time.Now().After(deadline) {
			t.Fatalf("only %d CRCs", crcs)
		}
		time.Sleep(5 * time.Millisecond)
	}
	ep.set("changed", 0)
	for e.WebhookValid() {
		if time.Now().After(deadline) {
			t.Fatal("a failing periodic CRC left the webhook valid")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
}
