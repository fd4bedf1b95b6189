package client

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/parleyhq/parley/apitype"
)

// maxResponseBytes bounds what the client reads from one response, so a
// misbehaving server or proxy cannot exhaust memory.
const maxResponseBytes = 16 << 20

// The envelopes the server answers with (see package apitype).
type (
	Single[T any] = apitype.Single[T]
	List[T any]   = apitype.List[T]
	Pagination    = apitype.Pagination
	ListMeta      = apitype.ListMeta
	ErrorBody     = apitype.ErrorBody
	ErrorDetail   = apitype.ErrorDetail
)

// Client calls one Parley server with one API key. It is safe for
// concurrent use.
type Client struct {
	base      string // scheme://host/path, no trailing slash
	host      string // scheme://host, for error messages
	apiKey    string
	http      *http.Client
	userAgent string
	retries   int
	maxWait   time.Duration
	backoff   time.Duration
	now       func() time.Time
	sleep     func(ctx context.Context, d time.Duration) error
}

// Options tunes a Client. The zero value is ready to use.
type Options struct {
	// HTTPClient sends the requests; nil means a client with a 60 s timeout
	// per attempt (platform calls behind Parley can take a while).
	HTTPClient *http.Client
	// UserAgent is sent with every request; empty means "parley-go".
	UserAgent string
	// MaxRetries is how many times a retryable failure is retried: 0 means
	// 3, a negative value turns retries off.
	MaxRetries int
	// MaxRetryWait is the longest the client waits before one retry; a
	// Retry-After asking for longer returns the error instead (its
	// RetryAfter says when to try). 0 means 60 s.
	MaxRetryWait time.Duration
	// RetryBackoff is the first wait after a failure without Retry-After;
	// it doubles on each retry. 0 means 500 ms.
	RetryBackoff time.Duration
}

// New returns a client for the server at baseURL (e.g. https://parley.example.com)
// authenticating with apiKey (sapi_key_…).
func New(baseURL, apiKey string, opts Options) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("parley URL %q must be an absolute http(s) URL", baseURL)
	}
	if strings.TrimSpace(apiKey) == "" {
		return nil, errors.New("an API key (sapi_key_…) is required")
	}
	u.RawQuery, u.Fragment = "", ""
	c := &Client{base: strings.TrimRight(u.String(), "/"), host: u.Scheme + "://" + u.Host, apiKey: strings.TrimSpace(apiKey),
		http: opts.HTTPClient, userAgent: opts.UserAgent, retries: opts.MaxRetries, maxWait: opts.MaxRetryWait, backoff: opts.RetryBackoff,
		now: time.Now, sleep: sleep}
	if c.http == nil {
		c.http = &http.Client{Timeout: 60 * time.Second}
	}
	if c.userAgent == "" {
		c.userAgent = "parley-go"
	}
	switch {
	case c.retries == 0:
		c.retries = 3
	case c.retries < 0:
		c.retries = 0
	}
	if c.maxWait <= 0 {
		c.maxWait = 60 * time.Second
	}
	if c.backoff <= 0 {
		c.backoff = 500 * time.Millisecond
	}
	return c, nil
}

// call is one REST operation to perform.
type call struct {
	method, path string
	query        url.Values
	header       http.Header
	body         any
	// form is a body already encoded as formType (an upload's
	// multipart/form-data) instead of JSON.
	form     []byte
	formType string
	// idempotent requests may be retried after a 5xx or a lost connection:
	// repeating them cannot do twice what was meant once. Any request is
	// retried after a 429, which the server answers before acting.
	idempotent bool
}

func (c *Client) get(ctx context.Context, path string, q url.Values, out any) error {
	_, err := c.do(ctx, call{method: http.MethodGet, path: path, query: q, idempotent: true}, out)
	return err
}

// do performs cl, retrying as the package doc says, and decodes a 2xx JSON
// body into out (when out is non-nil) or the error envelope into an *Error.
func (c *Client) do(ctx context.Context, cl call, out any) (*http.Response, error) {
	// base is already serialised, and callers path-escape ids, so the URL
	// is built as text and an escaped "/" in an id stays escaped.
	target := c.base + cl.path
	if len(cl.query) > 0 {
		target += "?" + cl.query.Encode()
	}
	body := cl.form
	if cl.body != nil {
		var err error
		if body, err = json.Marshal(cl.body); err != nil {
			return nil, err
		}
	}
	for attempt := 0; ; attempt++ {
		res, err := c.once(ctx, cl, target, body, out)
		wait, retry := c.retryable(cl, err, attempt)
		if !retry {
			return res, err
		}
		if serr := c.sleep(ctx, wait); serr != nil {
			return res, err // the caller gave up while we waited: report the failure seen
		}
	}
}

// retryable decides whether the failure of attempt (from 0) is retried,
// and after how long.
func (c *Client) retryable(cl call, err error, attempt int) (time.Duration, bool) {
	e, ok := AsError(err)
	if !ok || attempt >= c.retries {
		return 0, false
	}
	switch {
	case e.Status == http.StatusTooManyRequests:
	case cl.idempotent && (e.Status == 0 || e.Status == http.StatusInternalServerError || e.Status == http.StatusBadGateway ||
		e.Status == http.StatusServiceUnavailable || e.Status == http.StatusGatewayTimeout):
	default:
		return 0, false
	}
	if e.RetryAfter > 0 {
		return e.RetryAfter, e.RetryAfter <= c.maxWait
	}
	// Exponential backoff with jitter, so clients refused together do not
	// come back together.
	d := min(c.backoff<<attempt, c.maxWait)
	return d/2 + mrand.N(d/2+1), true
}

// once sends one attempt.
func (c *Client) once(ctx context.Context, cl call, target string, body []byte, out any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, target, rd)
	if err != nil {
		return nil, err
	}
	for k, vs := range cl.header {
		req.Header[k] = vs
	}
	req.Header.Set("Authorization", "Bearer "+c.apiKey)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if body != nil {
		req.Header.Set("Content-Type", cmp.Or(cl.formType, "application/json"))
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, c.unreachable(ctx, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxResponseBytes+1))
	if err != nil {
		return res, c.unreachable(ctx, err)
	}
	if len(raw) > maxResponseBytes {
		return res, &Error{Status: http.StatusBadGateway, Code: "system.unexpected_response",
			Message: fmt.Sprintf("the Parley server's response is larger than %d bytes", maxResponseBytes), RequestID: res.Header.Get("X-Request-ID")}
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return res, decodeError(res, raw, c.now())
	}
	if out == nil || res.StatusCode == http.StatusNoContent {
		return res, nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return res, &Error{Status: http.StatusBadGateway, Code: "system.unexpected_response",
			Message:   fmt.Sprintf("the Parley server answered %d with a body that is not the expected JSON", res.StatusCode),
			RequestID: res.Header.Get("X-Request-ID")}
	}
	return res, nil
}

// unreachable reports a request that got no answer. A cancelled context is
// returned as is: the caller gave up, there is nobody to tell.
func (c *Client) unreachable(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return ctx.Err()
	}
	if ctx.Err() != nil {
		return &Error{Code: "system.timeout", Message: fmt.Sprintf("the Parley server at %s did not answer in time", c.host),
			Meta: map[string]any{"server": c.host}}
	}
	if isTimeout(err) {
		// Status 0: no answer, so an idempotent request may be retried.
		return &Error{Code: "system.timeout", Message: fmt.Sprintf("the Parley server at %s did not answer in time", c.host),
			Meta: map[string]any{"server": c.host}}
	}
	return &Error{Code: "system.unreachable", Message: fmt.Sprintf("the Parley server at %s could not be reached", c.host),
		Meta: map[string]any{"server": c.host}}
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// NewIdempotencyKey returns a fresh random Idempotency-Key. SendMessage
// makes one when its input has none; make your own to retry a send across
// process restarts (store it with the message you mean to send).
func NewIdempotencyKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return "idem_" + hex.EncodeToString(b[:])
}

// Ptr returns a pointer to v, for the optional fields of queries and
// inputs (Unread: client.Ptr(true)).
func Ptr[T any](v T) *T { return &v }
