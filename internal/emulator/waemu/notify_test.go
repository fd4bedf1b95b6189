package waemu

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/platform/whatsapp"
	"github.com/parleyhq/parley/internal/testsupport/golden"
	hooksig "github.com/parleyhq/parley/internal/webhook/inbound"
)

const appSecret = "wa_app_secret"

// newHookReceiver verifies each webhook with package inbound and parses it
// with whatsapp.ParseWebhook, as Parley's endpoint does.
func newHookReceiver(t *testing.T, secret string, status int) (*golden.Receiver, *httptest.Server) {
	t.Helper()
	verify := func(sig string, body []byte) error { return hooksig.VerifyMeta(secret, sig, body) }
	return golden.NewReceiver(t, hooksig.HeaderMetaSignature, verify, whatsapp.ParseWebhook, status)
}

func TestWebhookRoundTrip(t *testing.T) {
	t.Parallel()
	e, _ := newEmu(t, nil)
	rc, srv := newHookReceiver(t, appSecret, http.StatusOK)
	e.SetWebhook(srv.URL, appSecret)

	// A customer writes (from an ad): one signed messages webhook, parsed
	// back into what was sent.
	in := e.Inbound(phoneID, user, "Zoë", "Olá ✓ <tag> & 👋", WithReferral(Referral{SourceType: "ad", SourceID: "1", SourceURL: "https://fb.me/a"}))
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	evs := rc.Take(t)
	if len(evs) != 1 {
		t.Fatalf("events %+v", evs)
	}
	ev := evs[0]
	if ev.Kind != platform.EventMessage || ev.Platform != platform.WhatsApp || ev.AccountNativeID != phoneID ||
		ev.ThreadID != user || ev.ParticipantID != user || ev.MessageID != in.ID || !ev.At.Equal(in.Timestamp) ||
		ev.Message.Text != in.Text || ev.Message.SenderName != "Zoë" || ev.Message.PlatformID != in.ID || !ev.Referral {
		t.Fatalf("event %+v, sent %+v", ev, in)
	}

	// InboundAndNotify reports delivery directly.
	in2, err := e.InboundAndNotify(phoneID, "447700900123", "Bo", "second")
	if err != nil {
		t.Fatal(err)
	}
	if evs := rc.Take(t); len(evs) != 1 || evs[0].MessageID != in2.ID || evs[0].Referral || evs[0].ThreadID != "447700900123" {
		t.Fatalf("events %+v", evs)
	}

	// The business replies: sent then delivered, with the pricing object.
	if s, b := do(t, e, "POST", msgsPath(), token, textMsg(user, "Obrigado!")); s != http.StatusOK {
		t.Fatalf("send: %d %s", s, b)
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	sent := e.Messages(phoneID)[0]
	evs = rc.Take(t)
	if len(evs) != 2 {
		t.Fatalf("status events %+v", evs)
	}
	for i, kind := range []string{platform.EventSent, platform.EventDelivered} {
		ev := evs[i]
		if ev.Kind != kind || ev.MessageID != sent.ID || ev.ThreadID != user || ev.AccountNativeID != phoneID ||
			ev.PricingCategory != sent.Pricing.Category || ev.Billable == nil || *ev.Billable != sent.Pricing.Billable || ev.At.IsZero() {
			t.Errorf("status %d: %+v (sent %+v)", i, ev, sent)
		}
	}
	// A refused send posts nothing.
	if s, _ := do(t, e, "POST", msgsPath(), token, textMsg("19995550000", "outside the window")); s == http.StatusOK {
		t.Fatal("send outside the window succeeded")
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	if evs := rc.Take(t); len(evs) != 0 {
		t.Fatalf("refused send notified: %+v", evs)
	}
}

func TestWebhookFailures(t *testing.T) {
	t.Parallel()
	e, clk := newEmu(t, nil)
	_, wrongSecret := newHookReceiver(t, "other secret", http.StatusOK)
	_, refusing := newHookReceiver(t, appSecret, http.StatusServiceUnavailable)
	for name, url := range map[string]string{"bad signature": wrongSecret.URL, "5xx": refusing.URL} {
		t.Run(name, func(t *testing.T) {
			clk.Advance(time.Minute) // past the pair rate limit of the previous send
			e.SetWebhook(url, appSecret)
			m, err := e.InboundAndNotify(phoneID, user, "Ana", "hi")
			if !errors.Is(err, ErrWebhook) {
				t.Fatalf("InboundAndNotify err = %v", err)
			}
			if got := e.InboundMessages(phoneID); got[len(got)-1].ID != m.ID {
				t.Fatal("message not recorded")
			}
			e.Inbound(phoneID, user, "Ana", "again")
			if err := e.Flush(); !errors.Is(err, ErrWebhook) {
				t.Fatalf("Flush after Inbound = %v", err)
			}
			if s, b := do(t, e, "POST", msgsPath(), token, textMsg(user, "reply")); s != http.StatusOK {
				t.Fatalf("send: %d %s", s, b)
			}
			if err := e.Flush(); !errors.Is(err, ErrWebhook) {
				t.Fatalf("Flush after send = %v", err)
			}
			if err := e.Flush(); err != nil {
				t.Fatalf("second Flush = %v", err)
			}
		})
	}
	e.SetWebhook("", "")
	if _, err := e.InboundAndNotify(phoneID, user, "Ana", "off"); err != nil {
		t.Fatal(err)
	}
}
