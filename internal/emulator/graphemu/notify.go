package graphemu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/parleyhq/parley/internal/webhook/inbound"
)

// WebhookTimeout bounds one webhook POST, as a platform gives up on a slow
// endpoint.
const WebhookTimeout = 5 * time.Second

// ErrWebhook wraps every failure to deliver a webhook: the target was
// unreachable, timed out or answered other than 2xx. The message itself is
// recorded regardless, as on Meta, where delivery is separate from receipt.
var ErrWebhook = errors.New("graphemu: webhook delivery failed")

// hookTarget is where webhooks go and the App Secret that signs them.
type hookTarget struct {
	url, secret string
	client      *http.Client
}

// SetWebhook makes the emulator POST Meta's webhook notification to url,
// signed with appSecret in X-Hub-Signature-256 over the body as sent
// (non-ASCII escaped, as Meta serialises it:
// https://developers.facebook.com/docs/graph-api/webhooks/getting-started,
// "Validating Payloads"), each time a participant writes (Inbound,
// InboundFrom). An empty url turns delivery off.
func (e *Emulator) SetWebhook(url, appSecret string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if url == "" {
		e.hook = nil
		return
	}
	e.hook = &hookTarget{url: url, secret: appSecret, client: webhookClient()}
}

// webhookClient does not follow redirects: Meta posts to the URL as
// registered.
func webhookClient() *http.Client {
	return &http.Client{
		Timeout:       WebhookTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// notify posts m's webhook when a target is set. Must be called without
// e.mu held: the receiver may call back into the emulator (e.g. to resolve
// the thread) before it answers.
func (e *Emulator) notify(m Message) error {
	e.mu.Lock()
	h := e.hook
	e.mu.Unlock()
	if h == nil {
		return nil
	}
	body, err := e.WebhookBody(m)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrWebhook, err)
	}
	return h.post(body)
}

func (h *hookTarget) post(body []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), WebhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrWebhook, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "facebookexternalua")
	req.Header.Set(inbound.HeaderMetaSignature, inbound.SignMeta(h.secret, body))
	resp, err := h.client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrWebhook, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%w: %s answered %d", ErrWebhook, h.url, resp.StatusCode)
	}
	return nil
}
