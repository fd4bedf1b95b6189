package graphemu

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/platform/meta"
	"github.com/parleyhq/parley/internal/webhook/inbound"
)

const appSecret = "graph_app_secret"

// receiver is Parley's side of the webhook as the sandbox relies on it: it
// verifies the signature with package inbound, parses with
// meta.ParseWebhook and, as the ingestion pipeline does, resolves each
// message's thread through the Graph API while the POST is still open
// (which would deadlock if the emulator held its lock while posting).
type receiver struct {
	mu      sync.Mutex
	events  []platform.InboundEvent
	threads []string
	errs    []error
}

func newReceiver(t *testing.T, emu *Emulator, secret string, status int) (*receiver, *httptest.Server) {
	t.Helper()
	api := httptest.NewServer(emu)
	t.Cleanup(api.Close)
	adapters := map[platform.Name]*meta.Adapter{
		platform.Messenger: meta.NewMessenger(meta.Options{FacebookBaseURL: api.URL}),
		platform.Instagram: meta.NewInstagram(meta.Options{InstagramBaseURL: api.URL}),
	}
	tokens := map[string]string{pageID: pageToken, igID: igToken}
	rc := &receiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := inbound.ReadBody(r, 0)
		if err == nil {
			err = inbound.VerifyMeta(secret, r.Header.Get(inbound.HeaderMetaSignature), body)
		}
		if err != nil {
			rc.fail(err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		evs, err := meta.ParseWebhook(body)
		if err != nil {
			rc.fail(err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		for _, ev := range evs {
			acct := platform.Account{Platform: ev.Platform, NativeID: ev.AccountNativeID, AccessToken: tokens[ev.AccountNativeID]}
			tid, err := adapters[ev.Platform].ResolveThread(r.Context(), acct, ev.ParticipantID)
			rc.mu.Lock()
			rc.events = append(rc.events, ev)
			rc.threads = append(rc.threads, tid)
			if err != nil {
				rc.errs = append(rc.errs, err)
			}
			rc.mu.Unlock()
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return rc, srv
}

func (rc *receiver) fail(err error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.errs = append(rc.errs, err)
}

func TestInboundWebhookRoundTrip(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	rc, srv := newReceiver(t, fx.emu, appSecret, http.StatusOK)
	fx.emu.SetWebhook(srv.URL, appSecret)
	tests := []struct {
		acct string
		plat platform.Name
		p    Participant
		text string
		atts []Attachment
	}{
		{pageID, platform.Messenger, Participant{ID: "7000000000000042", Name: "Zoë"}, "Olá! Café ☕ 👋 <b>&", []Attachment{{Type: "image", URL: "https://x.y/z.jpg?a=1&b=2"}}},
		{igID, platform.Instagram, Participant{ID: "6100000000000042"}, "plain", nil},
		// An existing thread (seeded by the fixture) is found, not opened.
		{pageID, platform.Messenger, Participant{ID: fx.emu.mustParticipant(t, fx.threads[pageID]["jane"])}, "again", nil},
	}
	for i, tt := range tests {
		m, err := fx.emu.InboundFrom(tt.acct, tt.p, tt.text, tt.atts)
		if err != nil {
			t.Fatalf("%d: InboundFrom: %v", i, err)
		}
		rc.mu.Lock()
		if len(rc.errs) > 0 || len(rc.events) != i+1 {
			t.Fatalf("%d: receiver errors %v, %d events", i, rc.errs, len(rc.events))
		}
		ev, tid := rc.events[i], rc.threads[i]
		rc.mu.Unlock()
		var wantAtts []platform.Attachment
		for _, a := range tt.atts {
			wantAtts = append(wantAtts, platform.Attachment{Type: a.Type, URL: a.URL})
		}
		if ev.Kind != platform.EventMessage || ev.Platform != tt.plat || ev.AccountNativeID != tt.acct ||
			ev.ParticipantID != tt.p.ID || ev.MessageID != m.ID || !ev.At.Equal(m.At) ||
			ev.Message.Text != tt.text || ev.Message.PlatformID != m.ID || ev.Message.Direction != "incoming" ||
			len(ev.Message.Attachments) != len(wantAtts) || (len(wantAtts) > 0 && ev.Message.Attachments[0] != wantAtts[0]) {
			t.Errorf("%d: event %+v, sent %+v", i, ev, m)
		}
		if tid != m.ThreadID {
			t.Errorf("%d: resolved thread %q, want %q", i, tid, m.ThreadID)
		}
	}
}

// mustParticipant returns a thread's participant id.
func (e *Emulator) mustParticipant(t *testing.T, threadID string) string {
	t.Helper()
	th, err := e.Thread(threadID)
	if err != nil {
		t.Fatal(err)
	}
	return th.Participant.ID
}

func TestInboundWebhookFailures(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	if _, err := fx.emu.Inbound(pageID, "7000000000000050", "no webhook set"); err != nil {
		t.Fatalf("without a webhook: %v", err)
	}
	_, wrongSecret := newReceiver(t, fx.emu, "another secret", http.StatusOK)
	_, refusing := newReceiver(t, fx.emu, appSecret, http.StatusInternalServerError)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	for name, url := range map[string]string{"bad signature": wrongSecret.URL, "5xx": refusing.URL, "unreachable": closed.URL} {
		t.Run(name, func(t *testing.T) {
			fx.emu.SetWebhook(url, appSecret)
			m, err := fx.emu.Inbound(pageID, "7000000000000051", name)
			if !errors.Is(err, ErrWebhook) {
				t.Fatalf("err = %v, want ErrWebhook", err)
			}
			// The message is recorded even though delivery failed.
			th, terr := fx.emu.Thread(m.ThreadID)
			if terr != nil || th.Messages[len(th.Messages)-1].ID != m.ID {
				t.Fatalf("message not recorded: %v", terr)
			}
		})
	}
	fx.emu.SetWebhook("", "")
	if _, err := fx.emu.Inbound(pageID, "7000000000000051", "off again"); err != nil {
		t.Fatalf("after SetWebhook(\"\"): %v", err)
	}
	if _, err := fx.emu.Inbound("nope", "1", "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown account: %v", err)
	}
}
