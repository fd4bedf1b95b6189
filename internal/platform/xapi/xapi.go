// Package xapi is Parley's platform.Adapter for X (Twitter) Direct Messages,
// speaking the X API v2 dm_events and dm_conversations endpoints with OAuth 2.0 user tokens.
package xapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/platform"
)

// DefaultBaseURL is X's API host (https://docs.x.com/x-api/direct-messages/manage/introduction).
const DefaultBaseURL = "https://api.x.com"

const (
	// maxBody bounds what we read from X; a DM page of 100 events with
	// includes is far smaller.
	maxBody = 8 << 20
	// maxResults is X's page-size ceiling for DM lookups (1–100,
	// https://docs.x.com/x-api/direct-messages/lookup/quickstart).
	maxResults = 100
	// maxPagesPerList caps the dm_events pages one ListConversations call
	// reads: DM lookups allow only 15 requests per 15 minutes per user
	// (https://docs.x.com/x-api/fundamentals/rate-limits).
	maxPagesPerList = 3
	// twitterEpochMS is the Snowflake epoch; X ids carry their creation time.
	twitterEpochMS = 1288834974657
)

// What we ask X for. Fields and expansions are listed at
// https://docs.x.com/x-api/direct-messages/lookup/integrate ("Fields and expansions").
const (
	eventFields    = "id,text,event_type,dm_conversation_id,created_at,sender_id,attachments,participant_ids"
	userFields     = "name,username,profile_image_url"
	mediaFields    = "url,preview_image_url,type"
	convExpansions = "sender_id,participant_ids"
	msgExpansions  = "sender_id,attachments.media_keys"
)

// Adapter implements platform.Adapter for X.
type Adapter struct {
	base string
	hc   *http.Client
	now  func() time.Time
}

// Option configures an Adapter.
type Option func(*Adapter)

// WithNow sets the clock used to turn x-rate-limit-reset into
// retry_after_seconds (tests point it at the emulator's clock).
func WithNow(now func() time.Time) Option { return func(a *Adapter) { a.now = now } }

// New returns an adapter talking to baseURL ("" for DefaultBaseURL) through hc
// (nil for http.DefaultClient).
func New(baseURL string, hc *http.Client, opts ...Option) *Adapter {
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	a := &Adapter{base: strings.TrimRight(baseURL, "/"), hc: hc, now: time.Now}
	for _, o := range opts {
		o(a)
	}
	return a
}

var _ platform.Adapter = (*Adapter)(nil)

// Wire shapes of the responses we read.

type dmEvent struct {
	ID               string   `json:"id"`
	EventType        string   `json:"event_type"`
	Text             string   `json:"text"`
	SenderID         string   `json:"sender_id"`
	DMConversationID string   `json:"dm_conversation_id"`
	CreatedAt        string   `json:"created_at"`
	ParticipantIDs   []string `json:"participant_ids"`
	Attachments      struct {
		MediaKeys []string `json:"media_keys"`
	} `json:"attachments"`
}

type xUser struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	Username        string `json:"username"`
	ProfileImageURL string `json:"profile_image_url"`
}

type xMedia struct {
	MediaKey        string `json:"media_key"`
	Type            string `json:"type"`
	URL             string `json:"url"`
	PreviewImageURL string `json:"preview_image_url"`
}

type eventsResponse struct {
	Data     []dmEvent `json:"data"`
	Includes struct {
		Users []xUser  `json:"users"`
		Media []xMedia `json:"media"`
	} `json:"includes"`
	Meta struct {
		ResultCount int    `json:"result_count"`
		NextToken   string `json:"next_token"`
	} `json:"meta"`
}

type usersResponse struct {
	Data []xUser `json:"data"`
}

type sendResponse struct {
	Data struct {
		DMConversationID string `json:"dm_conversation_id"`
		DMEventID        string `json:"dm_event_id"`
	} `json:"data"`
}

// xError is any of X's error bodies: problem details (title, detail, type,
// status) with an optional errors array, or the older {"errors":[{code,
// message}]} (https://docs.x.com/x-api/fundamentals/response-codes-and-errors).
type xError struct {
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Type   string `json:"type"`
	Status int    `json:"status"`
	Errors []struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"errors"`
}

// do sends one request and decodes a 2xx JSON body into out, or returns the
// mapped error.
func (a *Adapter) do(ctx context.Context, acct platform.Account, method, path string, q url.Values, body any, out any) error {
	u := a.base + path
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
		return apierr.New(http.StatusBadGateway, "platform.x.unavailable", "could not build the request to X")
	}
	// DM endpoints take OAuth 2.0 user-context Bearer tokens
	// (https://docs.x.com/x-api/direct-messages/lookup/integrate, "Authentication").
	req.Header.Set("Authorization", "Bearer "+acct.AccessToken)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return transportError(ctx, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return transportError(ctx, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return a.mapError(resp.StatusCode, resp.Header, raw)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return apierr.New(http.StatusBadGateway, "platform.x.bad_response", "X answered with a body Parley could not read").
			With("native_status", resp.StatusCode)
	}
	return nil
}

func transportError(ctx context.Context, err error) error {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return apierr.New(http.StatusGatewayTimeout, "platform.x.timeout", "X did not answer in time")
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return apierr.New(http.StatusBadGateway, "platform.x.unavailable", "X could not be reached")
}

// mapError turns an X error response into Parley's error (DESIGN §1). The
// raw body never leaves this function; only its type, title and codes go
// into meta.
func (a *Adapter) mapError(status int, h http.Header, raw []byte) error {
	var xe xError
	_ = json.Unmarshal(raw, &xe)
	meta := map[string]any{"native_status": status}
	if xe.Type != "" {
		meta["native_type"] = xe.Type
	}
	if xe.Title != "" {
		meta["native_title"] = xe.Title
	}
	for _, e := range xe.Errors {
		if e.Code != 0 {
			meta["native_code"] = e.Code
			break
		}
	}
	var e *apierr.Error
	switch {
	case status == http.StatusUnauthorized:
		// An invalid, expired or revoked user token: the account must be
		// connected again.
		e = apierr.New(http.StatusConflict, "account.reauth_required", "the X access token is invalid or expired; reconnect the account")
	case status == http.StatusTooManyRequests:
		e = apierr.New(http.StatusTooManyRequests, "platform.x.rate_limit", "X is rate limiting this account; retry later")
		if s, ok := a.retryAfter(h); ok {
			meta["retry_after_seconds"] = s
		}
		if v, err := strconv.Atoi(h.Get("x-rate-limit-limit")); err == nil {
			meta["rate_limit_limit"] = v
		}
	case status == http.StatusForbidden:
		e = apierr.New(http.StatusBadGateway, "platform.x.permission_denied", "X refused: the account may not read or write this conversation")
	case status == http.StatusNotFound:
		e = apierr.NotFound("conversation")
	case status == http.StatusBadRequest:
		e = apierr.New(http.StatusBadGateway, "platform.x.invalid_request", "X refused the request as invalid")
	case status >= 500:
		e = apierr.New(http.StatusBadGateway, "platform.x.unavailable", "X is unavailable; retry later")
	default:
		e = apierr.New(http.StatusBadGateway, "platform.x.error", "X refused the request")
	}
	for k, v := range meta {
		e = e.With(k, v)
	}
	return e
}

// retryAfter derives whole seconds to wait from x-rate-limit-reset, the Unix
// time the window resets (https://docs.x.com/x-api/fundamentals/rate-limits,
// "Checking your limits").
func (a *Adapter) retryAfter(h http.Header) (int, bool) {
	reset, err := strconv.ParseInt(strings.TrimSpace(h.Get("x-rate-limit-reset")), 10, 64)
	if err != nil || reset <= 0 {
		return 0, false
	}
	d := time.Unix(reset, 0).Sub(a.now()).Seconds()
	return max(0, int(math.Ceil(d))), true
}

// events reads one page of DM events from a lookup endpoint.
func (a *Adapter) events(ctx context.Context, acct platform.Account, path, token string, n int, expansions string) (eventsResponse, error) {
	q := url.Values{
		"dm_event.fields": {eventFields},
		"event_types":     {"MessageCreate"},
		"expansions":      {expansions},
		"user.fields":     {userFields},
		"max_results":     {strconv.Itoa(n)},
	}
	if strings.Contains(expansions, "attachments.media_keys") {
		q.Set("media.fields", mediaFields)
	}
	if token != "" {
		q.Set("pagination_token", token)
	}
	var r eventsResponse
	err := a.do(ctx, acct, http.MethodGet, path, q, nil, &r)
	return r, err
}

func conversationPath(threadID string) string {
	return "/2/dm_conversations/" + url.PathEscape(threadID) + "/dm_events"
}

func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// snowflakeTime recovers the creation time embedded in an X id.
func snowflakeTime(id string) (time.Time, bool) {
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil || n == 0 {
		return time.Time{}, false
	}
	return time.UnixMilli(int64(n>>22) + twitterEpochMS).UTC(), true
}

func clampLimit(limit int) int {
	return min(max(limit, 1), maxResults)
}

// validToken accepts what an X pagination token can look like, so garbage
// from our caller is refused here rather than spent on X's rate limit.
func validToken(s string) bool {
	if len(s) > 256 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func invalidCursor() error {
	return apierr.Invalid("cursor", "cursor is not valid")
}

// otherParticipant returns the other user of a one-to-one conversation id
// "{smaller_user_id}-{larger_user_id}"
// (https://docs.x.com/x-api/direct-messages/lookup/integrate, "Conversation types").
func otherParticipant(convID, me string) (string, bool) {
	a, b, ok := strings.Cut(convID, "-")
	switch {
	case !ok:
		return "", false
	case a == me:
		return b, true
	case b == me:
		return a, true
	}
	return "", false
}
