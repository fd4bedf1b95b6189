package xemu

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/parleyhq/parley/internal/webhook/inbound"
)

// X's challenge-response check: "a GET request to your webhook URL with a
// crc_token parameter", answered 200 with {"response_token": "sha256=" +
// base64(HMAC-SHA256(consumer secret, crc_token))}, sent when the webhook
// is registered and "approximately hourly to validate your webhook URL";
// a webhook that fails it is marked invalid and gets no events until it
// passes again
// (https://developer.x.com/en/docs/x-api/enterprise/account-activity-api/guides/securing-webhooks,
// "Challenge-Response Checks"; https://docs.x.com/x-api/webhooks/quickstart,
// "The CRC check").

// CRCInterval is how often X re-checks a registered webhook.
const CRCInterval = time.Hour

// ErrCRC wraps every failed challenge-response check.
var ErrCRC = errors.New("xemu: webhook CRC failed")

// maxCRCBody bounds the CRC answer read back.
const maxCRCBody = 4096

// RegisterWebhook registers url as X does: it sends a CRC first and, only
// when the answer verifies with consumerSecret, makes the webhook current
// (as SetWebhook). A failed check returns an error wrapping ErrCRC and
// leaves the previous webhook in place.
func (e *Emulator) RegisterWebhook(url, consumerSecret string) error {
	if err := e.crc(url, consumerSecret); err != nil {
		return err
	}
	e.SetWebhook(url, consumerSecret)
	return nil
}

// CheckCRC re-runs the CRC against the current webhook, as X does hourly
// (RunCRC) or on a manual re-validation. A failure marks the webhook
// invalid: deliveries stop until a later check passes. No webhook, no
// check.
func (e *Emulator) CheckCRC() error {
	e.mu.Lock()
	u, secret := e.hookURL, e.hookSecret
	e.mu.Unlock()
	if u == "" {
		return nil
	}
	err := e.crc(u, secret)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.hookURL != u || e.hookSecret != secret {
		return err // re-registered meanwhile; that registration decides
	}
	valid := err == nil
	if valid != e.hookValid {
		e.hookValid = valid
		if valid {
			e.kit.SetWebhook(u, secret)
		} else {
			e.kit.SetWebhook("", "")
		}
	}
	return err
}

// WebhookValid reports whether a webhook is set and passed its last CRC.
func (e *Emulator) WebhookValid() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.hookURL != "" && e.hookValid
}

// RunCRC checks the webhook every interval (CRCInterval when zero or
// less) until ctx ends. Failures are reflected in WebhookValid, as X shows
// them on the webhook's status.
func (e *Emulator) RunCRC(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = CRCInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = e.CheckCRC()
		}
	}
}

// crc sends one challenge to target and verifies the answer.
func (e *Emulator) crc(target, consumerSecret string) error {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: %q is not an http(s) URL", ErrCRC, target)
	}
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	token := base64.RawURLEncoding.EncodeToString(raw)
	q := u.Query()
	q.Set("crc_token", token)
	u.RawQuery = q.Encode()
	ctx, cancel := context.WithTimeout(context.Background(), WebhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCRC, err)
	}
	resp, err := e.crcClient.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCRC, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxCRCBody))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: %s answered %d", ErrCRC, target, resp.StatusCode)
	}
	if err := inbound.VerifyXCRCResponse(consumerSecret, token, body); err != nil {
		return fmt.Errorf("%w: %w", ErrCRC, err)
	}
	return nil
}
