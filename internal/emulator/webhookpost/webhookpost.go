// Package webhookpost posts a platform's signed webhook the way the platforms do:
// one JSON POST to the URL as registered, signed in a header, bounded by a timeout.
package webhookpost

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// DefaultTimeout bounds one POST when Options.Timeout is zero, as a
// platform gives up on a slow endpoint.
const DefaultTimeout = 5 * time.Second

// ErrDelivery is what failures wrap when Options.Err is nil.
var ErrDelivery = errors.New("webhookpost: delivery failed")

// maxDrain bounds how much of the receiver's answer is read (and dropped)
// so the connection can be reused; the platforms ignore the body.
const maxDrain = 64 << 10

// Options tunes a Target. The zero value is usable.
type Options struct {
	// UserAgent, when set, is sent as User-Agent (Meta sends
	// "facebookexternalua"; the others send Go's default).
	UserAgent string
	// Err is wrapped by every error Post returns, so an emulator's callers
	// can match its own sentinel with errors.Is. Nil means ErrDelivery.
	Err error
	// Timeout bounds one POST; zero means DefaultTimeout.
	Timeout time.Duration
}

// Target is one registered webhook: where to post, which header carries
// the signature and how to compute it. Safe for concurrent use.
type Target struct {
	url, header string
	sign        func(body []byte) string
	opts        Options
	client      *http.Client
}

// New returns a Target posting to url with sign(body) in header. The
// client does not follow redirects: the platforms post to the URL as
// registered.
func New(url, header string, sign func(body []byte) string, opts Options) *Target {
	if opts.Err == nil {
		opts.Err = ErrDelivery
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	return &Target{url: url, header: header, sign: sign, opts: opts, client: &http.Client{
		Timeout:       opts.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Post sends body as application/json, signed. It fails, wrapping
// Options.Err, when the request cannot be built, the target is unreachable
// or too slow, or it answers other than 2xx.
func (t *Target) Post(body []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), t.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: %w", t.opts.Err, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if t.opts.UserAgent != "" {
		req.Header.Set("User-Agent", t.opts.UserAgent)
	}
	req.Header.Set(t.header, t.sign(body))
	resp, err := t.client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %w", t.opts.Err, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%w: %s answered %d", t.opts.Err, t.url, resp.StatusCode)
	}
	return nil
}
