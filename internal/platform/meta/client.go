// Package meta is Parley's Graph API client for Instagram and Messenger DMs:
// a versioned Graph client, Meta's error mapping, and the two adapters.
package meta

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/platform"
)

// DefaultVersion is the Graph API version requests use unless configured;
// the current Send API and Conversation references show v25.0
// (https://developers.facebook.com/docs/messenger-platform/reference/send-api).
const DefaultVersion = "v25.0"

// Hosts. Messenger and Instagram-through-Facebook-Login use graph.facebook.com
// (https://developers.facebook.com/docs/messenger-platform/conversations);
// the Instagram API with Instagram Login uses graph.instagram.com ("All
// endpoints can be accessed via the graph.instagram.com host",
// https://developers.facebook.com/docs/instagram-platform/instagram-api-with-instagram-login/conversations-api).
const (
	FacebookGraphURL  = "https://graph.facebook.com"
	InstagramGraphURL = "https://graph.instagram.com"
)

// maxResponse bounds what we read from Graph; DM pages are far smaller.
const maxResponse = 8 << 20

// Client is a Graph API client for one host and version. It authenticates
// with the Bearer header, so tokens never appear in URLs or logs.
type Client struct {
	name    platform.Name
	base    string
	version string
	hc      *http.Client
}

// NewClient returns a client for baseURL (scheme://host, no version) that
// reports errors under platform name. version "" means DefaultVersion; a
// nil hc means http.DefaultClient.
func NewClient(name platform.Name, baseURL, version string, hc *http.Client) *Client {
	if version == "" {
		version = DefaultVersion
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{name: name, base: strings.TrimRight(baseURL, "/"), version: version, hc: hc}
}

// Get calls GET /{version}/{path}?q and decodes the JSON answer into out.
func (c *Client) Get(ctx context.Context, token, path string, q url.Values, out any) error {
	return c.do(ctx, http.MethodGet, token, path, q, nil, out)
}

// Post calls POST /{version}/{path} with a JSON body.
func (c *Client) Post(ctx context.Context, token, path string, body, out any) error {
	return c.do(ctx, http.MethodPost, token, path, nil, body, out)
}

func (c *Client) do(ctx context.Context, method, token, path string, q url.Values, body, out any) error {
	u := c.base + "/" + c.version + "/" + strings.TrimLeft(path, "/")
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return apierr.Internal()
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return apierr.Internal()
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return transportError(ctx, c.name, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return transportError(ctx, c.name, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return MapError(c.name, resp.StatusCode, resp.Header, raw)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return apierr.New(http.StatusBadGateway, prefix(c.name)+"bad_response",
			"%s answered with a response Parley could not read", c.name)
	}
	return nil
}

func prefix(name platform.Name) string { return "platform." + string(name) + "." }

// transportError maps a failure to reach Graph: our deadline → 504
// timeout, anything else → 502 unavailable.
func transportError(ctx context.Context, name platform.Name, err error) error {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil:
		return apierr.New(http.StatusGatewayTimeout, prefix(name)+"timeout", "%s did not answer in time", name)
	case errors.As(err, &ne) && ne.Timeout():
		return apierr.New(http.StatusGatewayTimeout, prefix(name)+"timeout", "%s did not answer in time", name)
	}
	return apierr.New(http.StatusBadGateway, prefix(name)+"unavailable", "%s is unreachable", name)
}

// GraphError is the body Graph sends on failure:
// {"error":{"message","type","code","error_subcode","fbtrace_id"}}
// (https://developers.facebook.com/docs/graph-api/guides/error-handling).
type GraphError struct {
	Message     string `json:"message"`
	Type        string `json:"type"`
	Code        int    `json:"code"`
	Subcode     int    `json:"error_subcode"`
	TraceID     string `json:"fbtrace_id"`
	IsTransient bool   `json:"is_transient"`
}

// ParseErrorBody extracts Graph's error object; ok is false when body is
// not one.
func ParseErrorBody(body []byte) (GraphError, bool) {
	var env struct {
		Error *GraphError `json:"error"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Error == nil {
		return GraphError{}, false
	}
	return *env.Error, true
}

// Throttling codes (https://developers.facebook.com/docs/graph-api/overview/rate-limiting,
// "Error Codes"): 4 app, 17 user, 32 Page, 613 custom/send, 341 app limit
// (Graph error handling table), and the Business Use Case range 80000–80014
// (80002 Instagram, 80006 Messenger, …).
func isThrottle(code int) bool {
	switch code {
	case 4, 17, 32, 341, 613:
		return true
	}
	return code >= 80000 && code <= 80014
}

// isWindowClosed recognises the send-window refusals: Messenger 10/2018278
// and 10/2018065 ("This message is sent outside of allowed window",
// https://developers.facebook.com/docs/messenger-platform/reference/send-api/error-codes,
// permission errors) and Instagram 10/2534022 (same sentence, as
// graph.instagram.com sends it; reported in
// https://github.com/ComposioHQ/composio/issues/3604).
func isWindowClosed(code, subcode int) bool {
	if code != 10 {
		return false
	}
	switch subcode {
	case 2018278, 2018065, 2534022:
		return true
	}
	return false
}

// MapError turns a non-2xx Graph answer into Parley's error (DESIGN §1):
// code 190 → 409 account.reauth_required, throttling → 429
// platform.<name>.rate_limit, the send-window refusal → 410
// conversation.window_closed, unknown objects → 404 resource.not_found, the
// rest → 502 platform.<name>.<reason>. It never copies the upstream message
// into ours; Meta's code, subcode, type and fbtrace_id go in Meta.
func MapError(name platform.Name, status int, h http.Header, body []byte) *apierr.Error {
	ge, ok := ParseErrorBody(body)
	if !ok {
		switch {
		case status >= 500:
			return apierr.New(http.StatusBadGateway, prefix(name)+"unavailable", "%s is unavailable (HTTP %d)", name, status).
				With("http_status", status)
		case status == http.StatusTooManyRequests:
			return withRetry(apierr.New(http.StatusTooManyRequests, prefix(name)+"rate_limit", "%s is throttling requests for this account", name), h).
				With("http_status", status)
		}
		return apierr.New(http.StatusBadGateway, prefix(name)+"request_failed", "%s refused the request (HTTP %d)", name, status).
			With("http_status", status)
	}
	e := mapGraphError(name, status, h, ge)
	e = e.With("native_code", ge.Code)
	if ge.Subcode != 0 {
		e = e.With("native_subcode", ge.Subcode)
	}
	if ge.Type != "" {
		e = e.With("native_type", ge.Type)
	}
	if ge.TraceID != "" {
		e = e.With("trace_id", ge.TraceID)
	}
	return e.With("http_status", status)
}

func mapGraphError(name platform.Name, status int, h http.Header, ge GraphError) *apierr.Error {
	p := prefix(name)
	switch {
	case ge.Code == 190 || ge.Code == 102 || ge.Code == 104:
		// 190 "Access token has expired"/invalid, 102 "API Session": get
		// a new token (Graph error handling, "Error Codes").
		return apierr.New(http.StatusConflict, "account.reauth_required",
			"%s rejected the account's access token; reconnect the account", name).With("platform", string(name))
	case isThrottle(ge.Code):
		return withRetry(apierr.New(http.StatusTooManyRequests, p+"rate_limit",
			"%s is throttling requests for this account", name), h)
	case isWindowClosed(ge.Code, ge.Subcode):
		return apierr.New(http.StatusGone, "conversation.window_closed",
			"%s refused the message: the reply window for this conversation is closed", name).With("platform", string(name))
	case ge.Code == 100 && ge.Subcode == 33, ge.Code == 803:
		// "Unsupported get request. Object with ID … does not exist".
		return apierr.NotFound("conversation")
	case ge.Code == 100 && ge.Subcode == 2018001:
		// "No matching user found" (send-api error codes).
		return apierr.NotFound("recipient")
	case ge.Code == 551 || ge.Subcode == 1545041:
		// "This person isn't available right now." (Messenger error codes).
		return apierr.New(http.StatusBadGateway, p+"recipient_unavailable",
			"%s says the recipient cannot receive messages right now", name)
	case ge.Code == 1 || ge.Code == 2 || ge.Code == -1 || ge.Code == -2 || ge.Code == 1200 || status >= 500:
		// 1 API Unknown, 2 API Service, 1200 "Temporary send message
		// failure": transient on Meta's side.
		return apierr.New(http.StatusBadGateway, p+"unavailable", "%s is temporarily unavailable", name)
	case ge.Code == 368:
		return apierr.New(http.StatusBadGateway, p+"policy_blocked",
			"%s temporarily blocked this account for a policy violation", name)
	case ge.Code == 3 || ge.Code == 10 || ge.Code == 230 || (ge.Code >= 200 && ge.Code <= 299):
		return apierr.New(http.StatusBadGateway, p+"permission_denied",
			"%s denied the permission this action needs", name)
	case ge.Code == 100 || ge.Code == 2500:
		return apierr.New(http.StatusBadGateway, p+"invalid_request", "%s rejected the request as invalid", name)
	}
	return apierr.New(http.StatusBadGateway, p+"request_failed", "%s refused the request", name)
}

// withRetry adds retry_after_seconds from Retry-After or, as Meta sends it,
// the largest estimated_time_to_regain_access (minutes) of
// X-Business-Use-Case-Usage
// (https://developers.facebook.com/docs/graph-api/overview/rate-limiting,
// "Business Use Case Rate Limits").
func withRetry(e *apierr.Error, h http.Header) *apierr.Error {
	if s := RetryAfterSeconds(h); s > 0 {
		return e.With("retry_after_seconds", s)
	}
	return e
}

// RetryAfterSeconds reads how long Meta asks us to wait, 0 if unknown.
func RetryAfterSeconds(h http.Header) int {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 && n < 7*24*3600 {
			return n
		}
	}
	v := h.Get("X-Business-Use-Case-Usage")
	if v == "" || len(v) > 64<<10 {
		return 0
	}
	var usage map[string][]struct {
		Minutes json.Number `json:"estimated_time_to_regain_access"`
	}
	if err := json.Unmarshal([]byte(v), &usage); err != nil {
		return 0
	}
	best := 0
	for _, entries := range usage {
		for _, u := range entries {
			n, err := strconv.Atoi(u.Minutes.String())
			if err == nil && n > best && n < 7*24*60 {
				best = n
			}
		}
	}
	return best * 60
}

// String helps logging without exposing tokens.
func (c *Client) String() string { return fmt.Sprintf("graph(%s %s)", c.base, c.version) }
