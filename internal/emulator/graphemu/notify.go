package graphemu

import (
	"errors"
	"time"
)

// WebhookTimeout bounds one webhook POST, as a platform gives up on a slow
// endpoint.
const WebhookTimeout = 5 * time.Second

// ErrWebhook wraps every failure to deliver a webhook: the target was
// unreachable, timed out or answered other than 2xx. The message itself is
// recorded regardless, as on Meta, where delivery is separate from receipt.
var ErrWebhook = errors.New("graphemu: webhook delivery failed")

// SetWebhook makes the emulator POST Meta's webhook notification to url,
// signed with appSecret in X-Hub-Signature-256 over the body as sent
// (non-ASCII escaped, as Meta serialises it:
// https://developers.facebook.com/docs/graph-api/webhooks/getting-started,
// "Validating Payloads"), each time a participant writes (Inbound,
// InboundFrom). An empty url turns delivery off.
func (e *Emulator) SetWebhook(url, appSecret string) { e.kit.SetWebhook(url, appSecret) }

// notify posts m's webhook when a target is set. Must be called without
// e.mu held: the receiver may call back into the emulator (e.g. to resolve
// the thread) before it answers.
func (e *Emulator) notify(m Message) error {
	return e.kit.Notify(func() ([]byte, error) { return e.WebhookBody(m) })
}
