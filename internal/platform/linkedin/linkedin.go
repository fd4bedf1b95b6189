// Package linkedin is Parley's platform.Adapter for LinkedIn Pages
// (organisation) messaging over LinkedIn's partner-gated Rest.li API.
//
// Every shape the public documentation does not pin down is declared, with a
// comment, in assumptions.go so it can be corrected in one place.
package linkedin

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

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/platform"
)

// maxBody bounds how much of an upstream response we read, so a misbehaving
// upstream cannot exhaust memory.
const maxBody = 4 << 20

// Adapter talks to LinkedIn's REST API for one deployment. It holds no
// per-account state and is safe for concurrent use.
type Adapter struct {
	base    string
	hc      *http.Client
	version string
	now     func() time.Time
}

var _ platform.Adapter = (*Adapter)(nil)

// New returns an adapter calling baseURL (DefaultBaseURL when empty) with hc
// (http.DefaultClient when nil).
func New(baseURL string, hc *http.Client) *Adapter {
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Adapter{base: strings.TrimRight(baseURL, "/"), hc: hc, version: DefaultVersion, now: time.Now}
}

// WithVersion returns a copy of a that sends LinkedIn-Version: v. LinkedIn
// sunsets each monthly version after about a year, so operators must be able
// to move forward without a release.
func (a *Adapter) WithVersion(v string) *Adapter {
	c := *a
	if v != "" {
		c.version = v
	}
	return &c
}

// paging is Rest.li's collection paging block (DOCUMENTED:
// https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/pagination).
type paging struct {
	Start int        `json:"start"`
	Count int        `json:"count"`
	Total *int       `json:"total,omitempty"`
	Links []pageLink `json:"links,omitempty"`
}

type pageLink struct {
	Rel  string `json:"rel"`
	Href string `json:"href"`
	Type string `json:"type,omitempty"`
}

type collection[T any] struct {
	Elements []T    `json:"elements"`
	Paging   paging `json:"paging"`
}

// ListConversations pages through the organisation's threads, newest first.
// The cursor is the Rest.li start index of the next page.
func (a *Adapter) ListConversations(ctx context.Context, acct platform.Account, cursor string, limit int) (platform.Page[platform.Conversation], error) {
	start, count, err := pageArgs(cursor, limit)
	if err != nil {
		return platform.Page[platform.Conversation]{}, err
	}
	q := url.Values{"q": {finderOrg}, finderOrg: {acct.NativeID}, "start": {strconv.Itoa(start)}, "count": {strconv.Itoa(count)}}
	var col collection[wireConversation]
	if _, err := a.do(ctx, acct, http.MethodGet, pathConversations+"?"+q.Encode(), nil, &col); err != nil {
		return platform.Page[platform.Conversation]{}, err
	}
	out := platform.Page[platform.Conversation]{Items: make([]platform.Conversation, 0, len(col.Elements))}
	for _, w := range col.Elements {
		out.Items = append(out.Items, toConversation(acct.NativeID, w))
	}
	out.NextCursor = nextCursor(col.Paging, start, count, len(col.Elements))
	return out, nil
}

// GetConversation reads one thread by its URN.
func (a *Adapter) GetConversation(ctx context.Context, acct platform.Account, threadID string) (platform.Conversation, error) {
	if threadID == "" {
		return platform.Conversation{}, apierr.NotFound("conversation")
	}
	var w wireConversation
	if _, err := a.do(ctx, acct, http.MethodGet, pathConversations+"/"+EncodeKey(threadID), nil, &w); err != nil {
		return platform.Conversation{}, err
	}
	return toConversation(acct.NativeID, w), nil
}

// ListMessages pages through a thread's messages, newest first.
func (a *Adapter) ListMessages(ctx context.Context, acct platform.Account, threadID, cursor string, limit int) (platform.Page[platform.Message], error) {
	if threadID == "" {
		return platform.Page[platform.Message]{}, apierr.NotFound("conversation")
	}
	start, count, err := pageArgs(cursor, limit)
	if err != nil {
		return platform.Page[platform.Message]{}, err
	}
	q := url.Values{"q": {finderThread}, finderThread: {threadID}, "start": {strconv.Itoa(start)}, "count": {strconv.Itoa(count)}}
	var col collection[wireMessage]
	if _, err := a.do(ctx, acct, http.MethodGet, pathMessages+"?"+q.Encode(), nil, &col); err != nil {
		return platform.Page[platform.Message]{}, err
	}
	out := platform.Page[platform.Message]{Items: make([]platform.Message, 0, len(col.Elements))}
	for _, w := range col.Elements {
		out.Items = append(out.Items, toMessage(acct.NativeID, w))
	}
	out.NextCursor = nextCursor(col.Paging, start, count, len(col.Elements))
	return out, nil
}

// Send posts a text reply into the thread as the organisation. LinkedIn has no
// reply window. Attachments by URL are refused (see assumptions.go): LinkedIn
// wants an uploaded digitalMediaAsset URN.
func (a *Adapter) Send(ctx context.Context, acct platform.Account, conv platform.Conversation, msg platform.Outbound) (platform.Sent, error) {
	if f := platform.RichField(msg); f != "" {
		// LinkedIn messages carry a body and uploaded media (rules.RichOf).
		return platform.Sent{}, apierr.Invalid(f, "LinkedIn messages cannot carry %s", f)
	}
	if len(msg.Attachments) > 0 {
		return platform.Sent{}, apierr.New(http.StatusUnprocessableEntity, "validation.attachment_not_supported",
			"LinkedIn messages take uploaded media assets, not attachment URLs; send text only").With("field", "attachment").With("platform", string(platform.LinkedIn))
	}
	if msg.Template != nil {
		return platform.Sent{}, apierr.Invalid("template", "templates are a WhatsApp feature; LinkedIn does not support them")
	}
	if msg.Tag != "" {
		return platform.Sent{}, apierr.Invalid("tag", "message tags are a Meta feature; LinkedIn has no reply window")
	}
	if strings.TrimSpace(msg.Text) == "" {
		return platform.Sent{}, apierr.Required("text")
	}
	if conv.ThreadID == "" {
		return platform.Sent{}, apierr.NotFound("conversation")
	}
	body, err := json.Marshal(wireCreateMessage{Author: acct.NativeID, Thread: conv.ThreadID, Body: msg.Text})
	if err != nil {
		return platform.Sent{}, apierr.Internal()
	}
	var created struct {
		ID string `json:"id"`
	}
	resp, err := a.do(ctx, acct, http.MethodPost, pathMessages, body, &created)
	if err != nil {
		return platform.Sent{}, err
	}
	id := resp.Header.Get(headerRestliID)
	if id == "" {
		id = created.ID
	}
	if id == "" {
		return platform.Sent{}, apierr.New(http.StatusBadGateway, "platform.linkedin.invalid_response", "LinkedIn accepted the message but returned no id")
	}
	at := a.now().UTC()
	if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		at = d.UTC()
	}
	return platform.Sent{PlatformID: id, CreatedAt: at}, nil
}

// MarkRead is a no-op: no public endpoint marks an organisation thread read
// (see assumptions.go). It succeeds so the domain layer can still clear its
// own unread count.
func (a *Adapter) MarkRead(ctx context.Context, acct platform.Account, conv platform.Conversation) error {
	return ctx.Err()
}

// EncodeKey encodes a Rest.li resource key for a URL path as protocol 2.0
// requires: the whole key URL-encoded, including ':' (%3A), '(' and ')' —
// https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/protocol-version
func EncodeKey(key string) string {
	return strings.ReplaceAll(url.QueryEscape(key), "+", "%20")
}

// pageArgs turns our cursor and limit into Rest.li start/count.
func pageArgs(cursor string, limit int) (start, count int, err error) {
	if cursor != "" {
		start, err = strconv.Atoi(cursor)
		if err != nil || start < 0 {
			return 0, 0, apierr.Invalid("cursor", "cursor is not valid")
		}
	}
	count = limit
	if count <= 0 {
		count = 10 // LinkedIn's documented default page size
	}
	if count > maxCount {
		count = maxCount
	}
	return start, count, nil
}

// nextCursor decides whether there is another page. A "next" link wins, then
// the total; otherwise a full page means there may be more (the documented
// end-of-data rule is "fewer elements than count").
func nextCursor(p paging, start, count, got int) string {
	if got == 0 {
		return ""
	}
	next := start + got
	for _, l := range p.Links {
		if l.Rel == "next" {
			if u, err := url.Parse(l.Href); err == nil {
				if s, err := strconv.Atoi(u.Query().Get("start")); err == nil && s > start {
					return strconv.Itoa(s)
				}
			}
			return strconv.Itoa(next)
		}
	}
	if p.Total != nil {
		if next < *p.Total {
			return strconv.Itoa(next)
		}
		return ""
	}
	if got >= count {
		return strconv.Itoa(next)
	}
	return ""
}

func toConversation(orgURN string, w wireConversation) platform.Conversation {
	c := platform.Conversation{ThreadID: w.ID, UnreadCount: w.UnreadCount}
	for _, p := range w.Participants {
		if p.Participant == orgURN {
			continue
		}
		c.ParticipantID = p.Participant
		c.ParticipantName = strings.TrimSpace(p.LocalizedFirstName + " " + p.LocalizedLastName)
		if c.ParticipantName == "" {
			c.ParticipantName = p.LocalizedName
		}
		c.ParticipantPicture = p.ProfilePicture
		break
	}
	if w.LastActivityAt > 0 {
		c.LastMessageAt = fromMillis(w.LastActivityAt)
	}
	if m := w.LastMessage; m != nil {
		c.LastMessage = messageText(m.Content)
		if m.CreatedAt > 0 {
			c.LastMessageAt = fromMillis(m.CreatedAt)
			if m.Author != orgURN {
				c.LastInboundAt = fromMillis(m.CreatedAt)
			}
		}
	}
	return c
}

func toMessage(orgURN string, w wireMessage) platform.Message {
	m := platform.Message{
		PlatformID: w.ID,
		SenderID:   w.Author,
		Text:       messageText(w.Content),
		CreatedAt:  fromMillis(w.CreatedAt),
		Direction:  "incoming",
	}
	if w.Author == orgURN {
		m.Direction = "outgoing"
		switch {
		case w.ReadAt > 0:
			m.Status = "read"
		case w.DeliveredAt > 0:
			m.Status = "delivered"
		default:
			m.Status = "sent"
		}
	}
	for _, a := range w.Attachments {
		m.Attachments = append(m.Attachments, platform.Attachment{Type: attachmentTypeForURN, URL: a})
	}
	return m
}

// messageText prefers the rendered content string and falls back to
// `fallback`, which the docs say always holds the text for TEXT messages.
func messageText(c wireContent) string {
	if c.Content != nil && c.Content.String != "" && (c.Format == "" || c.Format == "TEXT") {
		return c.Content.String
	}
	return c.Fallback
}

func fromMillis(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// do sends one request with LinkedIn's required headers and decodes a 2xx
// JSON body into out (when there is one). Any failure comes back as an
// *apierr.Error.
func (a *Adapter) do(ctx context.Context, acct platform.Account, method, pathAndQuery string, body []byte, out any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+pathAndQuery, rd)
	if err != nil {
		return nil, apierr.Internal()
	}
	req.Header.Set("Authorization", "Bearer "+acct.AccessToken)
	req.Header.Set(headerVersion, a.version)
	req.Header.Set(headerProtocol, protocolVersion)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return nil, transportError(ctx, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, transportError(ctx, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, mapError(resp, raw)
	}
	if out != nil && len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return nil, apierr.New(http.StatusBadGateway, "platform.linkedin.invalid_response", "LinkedIn answered with a body Parley could not read")
		}
	}
	return resp, nil
}

func transportError(ctx context.Context, err error) *apierr.Error {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return apierr.New(http.StatusGatewayTimeout, "platform.linkedin.timeout", "LinkedIn did not answer in time")
	}
	if errors.Is(err, context.Canceled) {
		return apierr.New(http.StatusGatewayTimeout, "platform.linkedin.timeout", "the request was cancelled before LinkedIn answered")
	}
	return apierr.New(http.StatusBadGateway, "platform.linkedin.unavailable", "LinkedIn could not be reached")
}

// ParseError decodes a Rest.li error body; ok is false when raw is not one.
func ParseError(raw []byte) (e wireError, ok bool) {
	if err := json.Unmarshal(raw, &e); err != nil {
		return wireError{}, false
	}
	return e, e.Status != 0 || e.ServiceErrorCode != 0 || e.Code != "" || e.Message != ""
}

// mapError turns LinkedIn's answer into Parley's error contract (COMMON.md /
// DESIGN §1). The raw upstream body never leaks; only its codes go in meta.
func mapError(resp *http.Response, raw []byte) *apierr.Error {
	we, _ := ParseError(raw)
	var e *apierr.Error
	switch s := resp.StatusCode; {
	case s == http.StatusUnauthorized:
		e = apierr.New(http.StatusConflict, "account.reauth_required", "the LinkedIn token is invalid, expired or revoked; reconnect the account")
	case s == http.StatusTooManyRequests:
		e = apierr.New(http.StatusTooManyRequests, "platform.linkedin.rate_limit", "LinkedIn is throttling this application or member")
		if ra := resp.Header.Get(headerRetryAfter); ra != "" {
			if n, err := strconv.Atoi(ra); err == nil && n >= 0 {
				e = e.With("retry_after_seconds", n)
			}
		}
	case s == http.StatusNotFound:
		e = apierr.NotFound("conversation")
	case s == http.StatusForbidden:
		e = apierr.New(http.StatusBadGateway, "platform.linkedin.permission_denied", "LinkedIn refused: the token lacks permission for this organisation's messages")
	case s == http.StatusUpgradeRequired:
		e = apierr.New(http.StatusBadGateway, "platform.linkedin.version_unsupported", "LinkedIn no longer serves the configured LinkedIn-Version")
	case s >= 500:
		e = apierr.New(http.StatusBadGateway, "platform.linkedin.unavailable", "LinkedIn is unavailable")
	default:
		e = apierr.New(http.StatusBadGateway, "platform.linkedin.invalid_request", "LinkedIn refused the request")
	}
	e = e.With("native_status", resp.StatusCode)
	if we.ServiceErrorCode != 0 {
		e = e.With("native_code", we.ServiceErrorCode)
	}
	if we.Code != "" {
		e = e.With("native_type", we.Code)
	}
	if t := resp.Header.Get(headerTraceID); t != "" {
		e = e.With("trace_id", t)
	}
	return e
}

// String makes the adapter print usefully in logs without any secret.
func (a *Adapter) String() string { return fmt.Sprintf("linkedin(%s, %s)", a.base, a.version) }
