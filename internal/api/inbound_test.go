package api_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/emulator/waemu"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/sandbox"
	"github.com/parleyhq/parley/internal/service"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/webhook/inbound"
)

func rawPost(t *testing.T, url string, body []byte, headers ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestInboundWebhooks(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		emu, err := sandbox.StartEmulators(sandbox.EmulatorOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(emu.Close)
		cfg := config.Config{MetaAppSecret: "app-secret", MetaVerifyToken: "verify-me", XConsumerSecret: "x-secret"}
		emu.Configure(&cfg)
		e := newEnvWith(t, b, cfg, nil)
		org, key, _ := e.srv.Service.Bootstrap(context.Background(), "In", "k")
		c := service.Caller{OrgID: org.ID}
		brand, _ := e.srv.Service.CreateBrand(context.Background(), c, service.BrandInput{Name: "b"})
		seeded, err := emu.Seed(context.Background(), e.srv.Service, c, brand.ID, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		hook := e.url + "/webhooks/meta"

		// Meta's handshake.
		res, _ := http.Get(hook + "?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444")
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || string(body) != "1158201444" {
			t.Fatalf("handshake: %d %q", res.StatusCode, body)
		}
		res, _ = http.Get(hook + "?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1")
		res.Body.Close()
		if res.StatusCode != 403 {
			t.Fatalf("handshake with a wrong token: %d", res.StatusCode)
		}
		// X's CRC.
		res, _ = http.Get(e.url + "/webhooks/x?crc_token=abc")
		body, _ = io.ReadAll(res.Body)
		res.Body.Close()
		if err := inbound.VerifyXCRCResponse("x-secret", "abc", body); err != nil || res.StatusCode != 200 {
			t.Fatalf("crc: %d %s %v", res.StatusCode, body, err)
		}
		// LinkedIn is not configured: nothing is accepted.
		if st, _ := rawPost(t, e.url+"/webhooks/linkedin", []byte(`{}`)); st != 404 {
			t.Fatalf("unconfigured linkedin: %d", st)
		}

		// A WhatsApp message, as the Cloud API would post it.
		wa := waemu.New(waemu.Options{})
		wa.AddPhoneNumber(waemu.PhoneNumber{ID: seeded.NativeIDs[platform.WhatsApp], WABAID: "1", Token: "t"})
		m := wa.Inbound(seeded.NativeIDs[platform.WhatsApp], "16505551234", "Ana", "Where is my order?")
		payload := wa.WebhookPayload(m)
		sig := inbound.SignMeta("app-secret", payload)

		for _, bad := range []struct {
			name    string
			headers []string
		}{
			{"unsigned", nil},
			{"wrong secret", []string{inbound.HeaderMetaSignature, inbound.SignMeta("other", payload)}},
			{"malformed", []string{inbound.HeaderMetaSignature, "sha1=abc"}},
		} {
			if st, _ := rawPost(t, hook, payload, bad.headers...); st != 401 {
				t.Errorf("%s: %d, want 401", bad.name, st)
			}
		}
		big := bytes.Repeat([]byte("x"), int(inbound.MaxBody)+10)
		if st, _ := rawPost(t, hook, big, inbound.HeaderMetaSignature, inbound.SignMeta("app-secret", big)); st != 413 {
			t.Errorf("oversized body: %d, want 413", st)
		}
		if got := e.do("GET", "/v1/events", key.Secret, nil); strings.Contains(string(got.raw), "Where is my order") {
			t.Fatal("a rejected webhook was recorded")
		}

		// Accepted twice (Meta retries): recorded once.
		for i := 0; i < 2; i++ {
			if st, body := rawPost(t, hook, payload, inbound.HeaderMetaSignature, sig); st != 200 {
				t.Fatalf("signed webhook: %d %s", st, body)
			}
		}
		evs := e.do("GET", "/v1/events?limit=100", key.Secret, nil)
		if n := strings.Count(string(evs.raw), "Where is my order?"); n != 1 {
			t.Fatalf("message recorded %d times, want once: %s", n, evs.raw)
		}
		// It is in the WhatsApp history, and the window is open again.
		conv := seeded.Conversations["whatsapp/open"]
		msgs := e.do("GET", "/v1/inbox/conversations/"+conv+"/messages", key.Secret, nil)
		if !strings.Contains(string(msgs.raw), "Where is my order?") {
			t.Fatalf("not in the journal: %s", msgs.raw)
		}
		// Bodies are sealed at rest.
		var n int
		q := e.srv.Store.Rebind(`SELECT COUNT(*) FROM whatsapp_messages WHERE sealed LIKE ?`)
		if err := e.srv.Store.SQL().QueryRow(q, "%Where is my order%").Scan(&n); err != nil || n != 0 {
			t.Fatalf("plaintext in the journal: %d %v", n, err)
		}
	})
}
