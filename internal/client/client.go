// Package client is a small Go client for Parley's own REST API (DESIGN §1).
// `parley mcp` uses it to serve MCP over stdio against a remote deployment.
//
// Every failure is an *Error that wraps the server's *apierr.Error, so code
// written against the domain layer's errors (apierr.As, apierr.HasCode)
// works unchanged against a remote server.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/apierr"
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

// Error is a failed call: the server's structured error and the request id
// it answered with (quote it when reporting a problem).
type Error struct {
	API       *apierr.Error
	RequestID string
}

func (e *Error) Error() string {
	if e.RequestID == "" {
		return e.API.Error()
	}
	return e.API.Error() + " (request " + e.RequestID + ")"
}

// Unwrap exposes the *apierr.Error to errors.As and apierr.As.
func (e *Error) Unwrap() error { return e.API }

// Client calls one Parley server with one API key. It is safe for
// concurrent use.
type Client struct {
	base      string // scheme://host/path, no trailing slash
	host      string // scheme://host, for error messages
	apiKey    string
	http      *http.Client
	userAgent string
}

// Options tunes a Client.
type Options struct {
	// HTTPClient sends the requests; nil means a client with a 60 s timeout
	// (platform calls behind Parley can take a while).
	HTTPClient *http.Client
	// UserAgent is sent with every request; empty means "parley-client".
	UserAgent string
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
	c := &Client{base: strings.TrimRight(u.String(), "/"), host: u.Scheme + "://" + u.Host, apiKey: strings.TrimSpace(apiKey), http: opts.HTTPClient, userAgent: opts.UserAgent}
	if c.http == nil {
		c.http = &http.Client{Timeout: 60 * time.Second}
	}
	if c.userAgent == "" {
		c.userAgent = "parley-client"
	}
	return c, nil
}

// ConversationQuery filters GET /v1/inbox/conversations. Zero values are
// left out, so the server's defaults apply.
type ConversationQuery struct {
	AccountID string
	Platform  string
	BrandID   string
	Status    string
	Unread    *bool
	Limit     int
	Cursor    string
}

func (q ConversationQuery) values() url.Values {
	v := url.Values{}
	set(v, "account_id", q.AccountID)
	set(v, "platform", q.Platform)
	set(v, "brand_id", q.BrandID)
	set(v, "status", q.Status)
	if q.Unread != nil {
		v.Set("unread", strconv.FormatBool(*q.Unread))
	}
	setPage(v, q.Limit, q.Cursor)
	return v
}

// AccountQuery filters GET /v1/accounts.
type AccountQuery struct {
	BrandID  string
	Platform string
	Status   string
	Limit    int
	Cursor   string
}

func (q AccountQuery) values() url.Values {
	v := url.Values{}
	set(v, "brand_id", q.BrandID)
	set(v, "platform", q.Platform)
	set(v, "status", q.Status)
	setPage(v, q.Limit, q.Cursor)
	return v
}

func set(v url.Values, k, s string) {
	if s != "" {
		v.Set(k, s)
	}
}

func setPage(v url.Values, limit int, cursor string) {
	if limit != 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	set(v, "cursor", cursor)
}

// ListConversations lists conversations across the caller's accounts.
func (c *Client) ListConversations(ctx context.Context, q ConversationQuery) (List[apitype.Conversation], error) {
	var out List[apitype.Conversation]
	_, err := c.do(ctx, http.MethodGet, "/v1/inbox/conversations", q.values(), nil, nil, &out)
	return out, err
}

// GetConversation reads one conversation with its reply_window.
func (c *Client) GetConversation(ctx context.Context, id string) (apitype.Conversation, error) {
	var out Single[apitype.Conversation]
	_, err := c.do(ctx, http.MethodGet, "/v1/inbox/conversations/"+url.PathEscape(id), nil, nil, nil, &out)
	return out.Data, err
}

// ListMessages reads a conversation's history, newest first.
func (c *Client) ListMessages(ctx context.Context, id string, limit int, cursor string) (List[apitype.Message], error) {
	v := url.Values{}
	setPage(v, limit, cursor)
	var out List[apitype.Message]
	_, err := c.do(ctx, http.MethodGet, "/v1/inbox/conversations/"+url.PathEscape(id)+"/messages", v, nil, nil, &out)
	return out, err
}

// SendMessage sends a message. in.IdempotencyKey, when set, travels as the
// Idempotency-Key header; Message.Replayed reports a replayed outcome.
func (c *Client) SendMessage(ctx context.Context, id string, in apitype.SendInput) (apitype.Message, error) {
	h := http.Header{}
	if in.IdempotencyKey != "" {
		h.Set("Idempotency-Key", in.IdempotencyKey)
	}
	var out Single[apitype.Message]
	res, err := c.do(ctx, http.MethodPost, "/v1/inbox/conversations/"+url.PathEscape(id)+"/messages", nil, h, in, &out)
	if err != nil {
		return apitype.Message{}, err
	}
	out.Data.Replayed = res.Header.Get("Idempotent-Replayed") == "true"
	return out.Data, nil
}

// MarkRead marks a conversation read.
func (c *Client) MarkRead(ctx context.Context, id string) error {
	_, err := c.do(ctx, http.MethodPost, "/v1/inbox/conversations/"+url.PathEscape(id)+"/read", nil, nil, nil, nil)
	return err
}

// ListAccounts lists the caller's connected accounts.
func (c *Client) ListAccounts(ctx context.Context, q AccountQuery) (List[apitype.Account], error) {
	var out List[apitype.Account]
	_, err := c.do(ctx, http.MethodGet, "/v1/accounts", q.values(), nil, nil, &out)
	return out, err
}

// TemplatesPath is the REST route listing an account's WhatsApp message
// templates (GET, list envelope, `refresh=true` bypasses the cache).
const TemplatesPath = "/v1/accounts/{id}/templates"

// ListWhatsAppTemplates lists all of a WhatsApp account's message
// templates, following the REST list's pages.
func (c *Client) ListWhatsAppTemplates(ctx context.Context, accountID string, refresh bool) ([]apitype.TemplateInfo, error) {
	all := []apitype.TemplateInfo{}
	v := url.Values{"limit": {"100"}}
	if refresh {
		v.Set("refresh", "true")
	}
	// A WhatsApp Business Account holds at most a few hundred templates;
	// the bound only guards against a server that never stops paging.
	for range 100 {
		var out List[apitype.TemplateInfo]
		if _, err := c.do(ctx, http.MethodGet, strings.Replace(TemplatesPath, "{id}", url.PathEscape(accountID), 1), v, nil, nil, &out); err != nil {
			return all, err
		}
		all = append(all, out.Data...)
		if !out.Pagination.HasMore || out.Pagination.NextCursor == nil {
			break
		}
		v.Set("cursor", *out.Pagination.NextCursor)
		v.Del("refresh") // the first page refreshed the cache
	}
	return all, nil
}

// do sends one request and decodes a 2xx JSON body into out (when out is
// non-nil) or the error envelope into an *Error.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, h http.Header, body, out any) (*http.Response, error) {
	// base is already serialised, and callers path-escape ids, so the URL
	// is built as text and an escaped "/" in an id stays escaped.
	target := c.base + path
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return nil, err
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	req.Header.Set("Authorization", "Bearer "+c.apiKey)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, unreachable(ctx, c.host, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxResponseBytes+1))
	if err != nil {
		return res, unreachable(ctx, c.host, err)
	}
	if len(raw) > maxResponseBytes {
		return res, &Error{API: apierr.New(http.StatusBadGateway, "system.unexpected_response",
			"the Parley server's response is larger than %d bytes", maxResponseBytes)}
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return res, decodeError(res, raw)
	}
	if out == nil || res.StatusCode == http.StatusNoContent {
		return res, nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return res, &Error{API: apierr.New(http.StatusBadGateway, "system.unexpected_response",
			"the Parley server answered %d with a body that is not the expected JSON", res.StatusCode),
			RequestID: res.Header.Get("X-Request-ID")}
	}
	return res, nil
}

// decodeError turns an error response into an *Error; a body that is not
// Parley's envelope (a proxy's HTML page, say) keeps its status only.
func decodeError(res *http.Response, raw []byte) error {
	var eb ErrorBody
	if json.Unmarshal(raw, &eb) == nil && eb.Error.Code != "" {
		id := eb.RequestID
		if id == "" {
			id = res.Header.Get("X-Request-ID")
		}
		return &Error{API: &apierr.Error{Status: res.StatusCode, Code: eb.Error.Code, Message: eb.Error.Message, Meta: eb.Error.Meta}, RequestID: id}
	}
	return &Error{API: apierr.New(res.StatusCode, "system.unexpected_response",
		"the Parley server answered HTTP %d without an error body", res.StatusCode).With("http_status", res.StatusCode),
		RequestID: res.Header.Get("X-Request-ID")}
}

func unreachable(ctx context.Context, host string, err error) error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return ctx.Err() // the caller gave up; there is nobody to tell
	}
	if ctx.Err() != nil || isTimeout(err) {
		return &Error{API: apierr.New(http.StatusGatewayTimeout, "system.timeout", "the Parley server at %s did not answer in time", host).With("server", host)}
	}
	return &Error{API: apierr.New(http.StatusBadGateway, "system.unreachable", "the Parley server at %s could not be reached", host).With("server", host)}
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
