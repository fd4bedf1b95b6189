package emukit

import (
	"fmt"
	"time"

	"github.com/parleyhq/parley/internal/emulator/webhookpost"
)

// Target is a registered webhook (see webhookpost).
type Target = webhookpost.Target

// Webhook is how a platform signs and posts its webhooks.
type Webhook struct {
	// Header carries the signature, Sign(secret, body) computes it over the
	// body exactly as sent.
	Header string
	Sign   func(secret string, body []byte) string
	// UserAgent, when set, is sent as User-Agent.
	UserAgent string
	// Err is wrapped by every delivery failure (the emulator's ErrWebhook).
	Err error
	// Timeout bounds one POST (webhookpost.DefaultTimeout when zero).
	Timeout time.Duration
}

// SetWebhook makes Notify POST to url, signed with secret. An empty url
// turns delivery off.
func (k *Kit[F, P]) SetWebhook(url, secret string) {
	var t *Target
	if url != "" {
		wh := k.cfg.Webhook
		t = webhookpost.New(url, wh.Header,
			func(body []byte) string { return wh.Sign(secret, body) },
			webhookpost.Options{UserAgent: wh.UserAgent, Err: wh.Err, Timeout: wh.Timeout})
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.hook = t
}

// Webhook returns the current target, nil when none is set.
func (k *Kit[F, P]) Webhook() *Target {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.hook
}

// Notify posts the body build returns when a target is set, and returns
// the delivery error (wrapping Webhook.Err). It must be called without the
// emulator's own lock held: the receiver may call back into the emulator
// before it answers.
func (k *Kit[F, P]) Notify(build func() ([]byte, error)) error {
	h := k.Webhook()
	if h == nil {
		return nil
	}
	body, err := build()
	if err != nil {
		return fmt.Errorf("%w: %w", k.webhookErr(), err)
	}
	return h.Post(body)
}

func (k *Kit[F, P]) webhookErr() error {
	if k.cfg.Webhook.Err != nil {
		return k.cfg.Webhook.Err
	}
	return webhookpost.ErrDelivery
}
