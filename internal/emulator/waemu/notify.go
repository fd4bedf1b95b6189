package waemu

import (
	"errors"
	"sync"
	"time"
)

// WebhookTimeout bounds one webhook POST.
const WebhookTimeout = 5 * time.Second

// ErrWebhook wraps every failure to deliver a webhook: the target was
// unreachable, timed out or answered other than 2xx. What triggered the
// webhook (an inbound message, a send) is recorded regardless.
var ErrWebhook = errors.New("waemu: webhook delivery failed")

// hooks tracks asynchronous deliveries so Flush can wait for them.
type hooks struct {
	wg   sync.WaitGroup
	mu   sync.Mutex
	errs []error
}

func (h *hooks) fail(err error) {
	if err == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.errs = append(h.errs, err)
}

// SetWebhook makes the emulator POST Meta's webhooks to url, signed with
// appSecret in X-Hub-Signature-256
// (https://developers.facebook.com/docs/graph-api/webhooks/getting-started,
// "Validating Payloads"): the messages webhook each time a customer writes
// (Inbound, InboundAndNotify), and the sent then delivered status webhooks,
// with their pricing object, for every message the business sends through
// the API. Status webhooks go out asynchronously, after the send's answer,
// as on the Cloud API; Flush waits for them. An empty url turns delivery off.
func (e *Emulator) SetWebhook(url, appSecret string) { e.kit.SetWebhook(url, appSecret) }

// Flush waits until every pending status webhook has been delivered (or
// has failed) and returns the delivery errors collected since the last
// Flush, including those Inbound could not return, joined.
func (e *Emulator) Flush() error {
	e.pending.wg.Wait()
	e.pending.mu.Lock()
	defer e.pending.mu.Unlock()
	err := errors.Join(e.pending.errs...)
	e.pending.errs = nil
	return err
}

// InboundAndNotify is Inbound that also returns the webhook delivery error
// (wrapping ErrWebhook) when a webhook is set. The message is recorded
// either way.
func (e *Emulator) InboundAndNotify(phoneNumberID, fromWaID, name, text string, opts ...InboundOption) (InboundMessage, error) {
	m := e.record(phoneNumberID, fromWaID, name, text, opts...)
	return m, e.kit.Notify(func() ([]byte, error) { return e.WebhookPayload(m), nil })
}

// notifySent posts the sent and delivered status webhooks of the message
// with id msgID in the background, or its failed status when it fails at
// delivery (failures.go).
func (e *Emulator) notifySent(phoneID, msgID string) {
	h := e.kit.Webhook()
	if h == nil {
		return
	}
	var msg *SentMessage
	e.mu.Lock()
	for i := range e.sent[phoneID] {
		if e.sent[phoneID][i].ID == msgID {
			m := e.sent[phoneID][i]
			msg = &m
			break
		}
	}
	e.mu.Unlock()
	if msg == nil {
		return
	}
	e.pending.wg.Add(1)
	go func() {
		defer e.pending.wg.Done()
		statuses := []string{"sent", "delivered"}
		if msg.Failure != nil {
			statuses = []string{"failed"}
		}
		for _, status := range statuses {
			if err := h.Post(e.StatusWebhookPayload(*msg, status)); err != nil {
				e.pending.fail(err)
				return
			}
		}
	}()
}
