package liemu

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/platform/linkedin"
	"github.com/parleyhq/parley/internal/testsupport/golden"
	"github.com/parleyhq/parley/internal/webhook/inbound"
)

const clientSecret = "li_client_secret"

// newHookReceiver verifies each push with package inbound and parses it
// with linkedin.ParseWebhook, as Parley's endpoint does.
func newHookReceiver(t *testing.T, secret string, status int) (*golden.Receiver, *httptest.Server) {
	t.Helper()
	verify := func(sig string, body []byte) error { return inbound.VerifyLinkedIn(secret, sig, body) }
	return golden.NewReceiver(t, inbound.HeaderLinkedInSignature, verify, linkedin.ParseWebhook, status)
}

func TestWebhookRoundTrip(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, Options{})
	rc, srv := newHookReceiver(t, clientSecret, http.StatusOK)
	fx.emu.SetWebhook(srv.URL, clientSecret)
	tests := []struct {
		from, name, thread string
	}{
		{ada, "Ada Lovelace", fx.adaT}, // her existing thread
		{"urn:li:person:newbie789", "", ""},
	}
	for i, tt := range tests {
		m, err := fx.emu.Inbound(acme, tt.from, "Olá ✓ <b> & 👋")
		if err != nil {
			t.Fatal(err)
		}
		events, errs := rc.Snapshot()
		if len(errs) > 0 || len(events) != i+1 {
			t.Fatalf("receiver: %v, %d events", errs, len(events))
		}
		got := events[i]
		if tt.thread != "" && m.ThreadURN != tt.thread {
			t.Fatalf("thread %s, want %s", m.ThreadURN, tt.thread)
		}
		if got.Kind != platform.EventMessage || got.Platform != platform.LinkedIn || got.AccountNativeID != acme ||
			got.ThreadID != m.ThreadURN || got.ParticipantID != tt.from || got.MessageID != m.ID ||
			!got.At.Equal(m.CreatedAt) || got.Message.Text != m.Text || got.Message.SenderName != tt.name ||
			got.Message.Direction != "incoming" {
			t.Errorf("event %+v, sent %+v", got, m)
		}
	}
}

func TestWebhookBodyEcho(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, Options{})
	msgs, err := fx.emu.Thread(fx.adaT)
	must(t, err)
	var reply Message
	for _, m := range msgs {
		if m.Author == acme {
			reply = m
		}
	}
	body, err := fx.emu.WebhookBody(reply)
	must(t, err)
	evs, err := linkedin.ParseWebhook(body)
	if err != nil || len(evs) != 1 || evs[0].Kind != platform.EventEcho || evs[0].MessageID != reply.ID || evs[0].ThreadID != fx.adaT {
		t.Fatalf("%v %+v", err, evs)
	}
	if _, err := fx.emu.WebhookBody(Message{ThreadURN: fx.adaT, ID: "nope"}); !errors.Is(err, ErrUnknownThread) {
		t.Fatalf("unknown message: %v", err)
	}
}

func TestWebhookFailures(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, Options{})
	if _, err := fx.emu.Inbound(acme, ada, "no webhook"); err != nil {
		t.Fatal(err)
	}
	_, wrongSecret := newHookReceiver(t, "other", http.StatusOK)
	_, refusing := newHookReceiver(t, clientSecret, http.StatusServiceUnavailable)
	for name, url := range map[string]string{"bad signature": wrongSecret.URL, "5xx": refusing.URL} {
		t.Run(name, func(t *testing.T) {
			fx.emu.SetWebhook(url, clientSecret)
			m, err := fx.emu.Inbound(acme, ada, name)
			if !errors.Is(err, ErrWebhook) {
				t.Fatalf("err = %v", err)
			}
			msgs, terr := fx.emu.Thread(m.ThreadURN)
			if terr != nil || msgs[len(msgs)-1].ID != m.ID {
				t.Fatal("message not recorded")
			}
		})
	}
	fx.emu.SetWebhook("", "")
	if _, err := fx.emu.Inbound(acme, ada, "off"); err != nil {
		t.Fatal(err)
	}
}
