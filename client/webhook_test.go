package client_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/testsupport"
)

// delivery is one POST as Parley sent it.
type delivery struct {
	header http.Header
	body   []byte
}

// TestWebhookReceiver receives real deliveries from a sandbox: a test
// event and a customer's WhatsApp message travel emulator → Parley →
// the receiver, which verifies and decodes them; altered, stale or
// foreign deliveries are refused with 401 and never reach the handler.
func TestWebhookReceiver(t *testing.T) {
	sb, base := sandboxFor(t, sqlite(t))
	ctx := context.Background()
	c, err := client.New(base, sb.Key.Secret, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu     sync.Mutex
		raw    []delivery
		events []client.Event
		rcv    *client.WebhookReceiver
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		raw = append(raw, delivery{r.Header.Clone(), body})
		h := rcv.Handler(func(_ context.Context, ev client.Event) error {
			mu.Lock()
			events = append(events, ev)
			mu.Unlock()
			return nil
		})
		mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	ep, err := c.CreateWebhook(ctx, apitype.WebhookInput{URL: &srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	rcv, err = client.NewWebhookReceiver(client.WebhookOptions{Secrets: []string{ep.Secret}})
	mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	received := func(typ string) client.Event {
		t.Helper()
		var ev client.Event
		testsupport.Eventually(t, func() bool {
			mu.Lock()
			defer mu.Unlock()
			for _, e := range events {
				if e.Type == typ {
					ev = e
					return true
				}
			}
			return false
		}, "a verified %s delivery", typ)
		return ev
	}

	test, err := c.TestWebhook(ctx, ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	ev := received(apitype.EventWebhookTest)
	if d, ok := ev.Data.(apitype.WebhookTestEvent); !ok || ev.ID != test.ID || d.EndpointID != ep.ID {
		t.Fatalf("webhook.test decoded as %+v", ev)
	}

	res, err := http.Post(base+"/sandbox/inbound", "application/json", strings.NewReader(`{"platform":"whatsapp","text":"Where is my order?"}`))
	if err == nil {
		res.Body.Close()
	}
	if err != nil || res.StatusCode != http.StatusUnauthorized {
		// The sandbox's inbound route needs the key like the API.
		t.Fatalf("unauthenticated say: %v %v", res, err)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/sandbox/inbound", strings.NewReader(`{"platform":"whatsapp","text":"Where is my order?"}`))
	req.Header.Set("Authorization", "Bearer "+sb.Key.Secret)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("say: %v %v", res, err)
	}
	ev = received(apitype.EventMessageReceived)
	m, ok := ev.Data.(apitype.MessageEvent)
	if !ok || m.Platform != "whatsapp" || m.ConversationID != sb.Seeded.Conversations["whatsapp/open"] || m.Message == nil ||
		m.Message.Text != "Where is my order?" || m.Message.Direction != "incoming" {
		t.Fatalf("message.received decoded as %+v", ev)
	}

	// Replays of a captured delivery, altered or not, against the handler.
	mu.Lock()
	good := raw[0]
	mu.Unlock()
	now := time.Now()
	tampered := bytes.Replace(good.body, []byte("Parley test event"), []byte("Parley Test event"), 1)
	other, _ := client.NewWebhookReceiver(client.WebhookOptions{Secrets: []string{"whsec_" + strings.Repeat("A", 43) + "="}})
	late, _ := client.NewWebhookReceiver(client.WebhookOptions{Secrets: []string{ep.Secret}, Now: func() time.Time { return now.Add(10 * time.Minute) }})
	for _, tc := range []struct {
		name   string
		rcv    *client.WebhookReceiver
		method string
		header http.Header
		body   []byte
		want   int
	}{
		{"as delivered", rcv, http.MethodPost, good.header, good.body, http.StatusNoContent},
		{"altered body", rcv, http.MethodPost, good.header, tampered, http.StatusUnauthorized},
		{"another endpoint's secret", other, http.MethodPost, good.header, good.body, http.StatusUnauthorized},
		{"replayed ten minutes later", late, http.MethodPost, good.header, good.body, http.StatusUnauthorized},
		{"no signature", rcv, http.MethodPost, http.Header{"Webhook-Id": good.header["Webhook-Id"]}, good.body, http.StatusUnauthorized},
		{"GET", rcv, http.MethodGet, good.header, nil, http.StatusMethodNotAllowed},
	} {
		called := false
		h := tc.rcv.Handler(func(context.Context, client.Event) error { called = true; return nil })
		r := httptest.NewRequest(tc.method, "/hook", bytes.NewReader(tc.body))
		r.Header = tc.header.Clone()
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.want || called != (tc.want == http.StatusNoContent) {
			t.Errorf("%s: %d (handler called: %v), want %d", tc.name, w.Code, called, tc.want)
		}
	}
	if _, err := rcv.Verify(good.header, tampered); !errors.Is(err, client.ErrInvalidWebhook) {
		t.Errorf("Verify(altered) = %v", err)
	}
	// A handler that fails answers 500, so Parley delivers again later.
	fail := rcv.Handler(func(context.Context, client.Event) error { return errors.New("database down") })
	r := httptest.NewRequest(http.MethodPost, "/hook", bytes.NewReader(good.body))
	r.Header = good.header.Clone()
	w := httptest.NewRecorder()
	fail.ServeHTTP(w, r)
	if w.Code != http.StatusInternalServerError {
		t.Errorf("failing handler answered %d", w.Code)
	}

	// After a rotation, a receiver that knows only the new secret, or only
	// the old one (for the 24 h overlap), verifies the next delivery.
	rotated, err := c.RotateWebhookSecret(ctx, ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	rcv, _ = client.NewWebhookReceiver(client.WebhookOptions{Secrets: []string{rotated.Secret}})
	events, raw = nil, nil
	mu.Unlock()
	if _, err := c.TestWebhook(ctx, ep.ID); err != nil {
		t.Fatal(err)
	}
	received(apitype.EventWebhookTest)
	mu.Lock()
	next := raw[0]
	mu.Unlock()
	old, _ := client.NewWebhookReceiver(client.WebhookOptions{Secrets: []string{ep.Secret}})
	if _, err := old.Verify(next.header, next.body); err != nil {
		t.Errorf("the old secret during the overlap: %v", err)
	}
}

func TestNewWebhookReceiver(t *testing.T) {
	for _, secrets := range [][]string{nil, {""}, {"whsec_short"}, {"not-a-secret"}} {
		if _, err := client.NewWebhookReceiver(client.WebhookOptions{Secrets: secrets}); err == nil {
			t.Errorf("secrets %q accepted", secrets)
		}
	}
}
