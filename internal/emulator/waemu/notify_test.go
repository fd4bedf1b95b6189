package waemu

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
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
		ev.ThreadID != user || ev.ParticipantID != in.UserID || !ev.ParticipantFirst || ev.MessageID != in.ID || !ev.At.Equal(in.Timestamp) ||
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
	if s, _ := do(t, e, "POST", msgsPath(), token, tplMsg(user, "no_such_template")); s == http.StatusOK {
		t.Fatal("send of an unknown template succeeded")
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

// TestAsyncFailures: the sends Meta accepts and fails later are answered
// 200 with a wamid, then reported in one signed failed status webhook with
// Meta's code, title and details, and no pricing; Parley's parser reads
// them back.
func TestAsyncFailures(t *testing.T) {
	t.Parallel()
	spring := tplMsg(user, "spring_sale",
		map[string]any{"type": "header", "parameters": []map[string]any{{"type": "image", "image": map[string]any{"link": "https://example.com/s.jpg"}}}},
		bodyParams("20%"))
	tests := []struct {
		name    string
		setup   func(e *Emulator, c *clock)
		body    map[string]any
		code    int
		title   string
		details string
	}{
		{"131047 free-form outside the window", func(e *Emulator, c *clock) {
			e.Inbound(phoneID, user, "Ana", "hi", At(c.Now().Add(-25*time.Hour)))
		}, textMsg(user, "late"), CodeReengagement, "Re-engagement message", "more than 24 hours have passed"},
		{"131026 undeliverable", func(e *Emulator, _ *clock) { e.MarkUndeliverable(user) },
			tplMsg(user, "order_update", bodyParams("Ana", "#1")), CodeUndeliverable, "Message Undeliverable", "Unable to deliver message"},
		{"131049 marketing limit", func(e *Emulator, _ *clock) { e.MarkMarketingLimited(user) },
			spring, CodeEcosystemLimit, "This message was not delivered to maintain healthy ecosystem engagement.", "healthy ecosystem engagement"},
		{"130472 experiment", func(e *Emulator, _ *clock) { e.MarkInExperiment(user) },
			spring, CodeExperiment, "User's number is part of an experiment", "part of an experiment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, c := newEmu(t, nil)
			tt.setup(e, c)
			rc, srv := newHookReceiver(t, appSecret, http.StatusOK)
			e.Flush()
			rc.Take(t)
			e.SetWebhook(srv.URL, appSecret)
			s, b := do(t, e, "POST", msgsPath(), token, tt.body)
			if s != http.StatusOK {
				t.Fatalf("send answered %d %s; Meta accepts it", s, b)
			}
			if err := e.Flush(); err != nil {
				t.Fatal(err)
			}
			sent := e.Messages(phoneID)
			last := sent[len(sent)-1]
			evs := rc.Take(t)
			if len(evs) != 1 {
				t.Fatalf("events %+v", evs)
			}
			ev := evs[0]
			if ev.Kind != platform.EventFailed || ev.MessageID != last.ID || ev.ThreadID != user || ev.ErrorCode != tt.code ||
				ev.ErrorTitle != tt.title || !strings.Contains(ev.ErrorDetails, tt.details) || ev.PricingCategory != "" || ev.Billable != nil {
				t.Fatalf("event %+v", ev)
			}
			if last.Failure == nil || last.Failure.Code != tt.code {
				t.Fatalf("recorded %+v", last)
			}
		})
	}
	// 130472 spares a user with an open service window.
	e, _ := newEmu(t, nil)
	e.MarkInExperiment(user)
	e.Inbound(phoneID, user, "Ana", "hi")
	if s, b := do(t, e, "POST", msgsPath(), token, spring); s != http.StatusOK || e.Messages(phoneID)[0].Failure != nil {
		t.Fatalf("%d %s %+v", s, b, e.Messages(phoneID))
	}
}

// TestUsernameUser: a user whose phone number is withheld is named by BSUID
// alone in webhooks; a send to that BSUID (`recipient`) is accepted,
// answered with user_id, and its statuses name the BSUID only.
func TestUsernameUser(t *testing.T) {
	t.Parallel()
	e, _ := newEmu(t, nil)
	rc, srv := newHookReceiver(t, appSecret, http.StatusOK)
	e.SetWebhook(srv.URL, appSecret)
	bsuid := e.SetUsername(user, "ana.s", true)
	if !isBSUID(bsuid) || !strings.HasPrefix(bsuid, "US.") || e.UserID(user) != bsuid {
		t.Fatalf("bsuid %q", bsuid)
	}
	in := e.Inbound(phoneID, user, "Ana", "hi from a username")
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	evs := rc.Take(t)
	if len(evs) != 1 || evs[0].ThreadID != "" || evs[0].ParticipantID != bsuid || evs[0].Message.SenderID != bsuid ||
		evs[0].ParticipantUsername != "ana.s" || evs[0].MessageID != in.ID {
		t.Fatalf("events %+v", evs)
	}
	s, b := do(t, e, "POST", msgsPath(), token, map[string]any{"messaging_product": "whatsapp", "recipient": bsuid, "type": "text", "text": map[string]any{"body": "hello"}})
	if s != http.StatusOK || !strings.Contains(string(b), `"user_id":"`+bsuid+`"`) || strings.Contains(string(b), "wa_id") {
		t.Fatalf("send to BSUID: %d %s", s, b)
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	evs = rc.Take(t)
	if len(evs) != 2 || evs[0].ThreadID != "" || evs[0].ParticipantID != bsuid || evs[1].Kind != platform.EventDelivered {
		t.Fatalf("statuses %+v", evs)
	}
	// Refusals: an id the emulator never issued, and an authentication
	// template, which needs a phone number (131062).
	for _, body := range []map[string]any{
		{"messaging_product": "whatsapp", "recipient": "US.999", "type": "text", "text": map[string]any{"body": "x"}},
		{"messaging_product": "whatsapp", "recipient": "not a bsuid", "type": "text", "text": map[string]any{"body": "x"}},
	} {
		if s, b := do(t, e, "POST", msgsPath(), token, body); s != http.StatusBadRequest || errCode(t, b) != CodeParamValue {
			t.Errorf("%v: %d %s", body, s, b)
		}
	}
	auth := tplMsg("", "login_code", bodyParams("123456"))
	delete(auth, "to")
	auth["recipient"] = bsuid
	if s, b := do(t, e, "POST", msgsPath(), token, auth); s != http.StatusBadRequest || errCode(t, b) != CodeBSUIDUnsupported {
		t.Errorf("authentication template to a BSUID: %d %s", s, b)
	}
}
