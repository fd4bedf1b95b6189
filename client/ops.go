package client

import (
	"bytes"
	"context"
	"iter"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"

	"github.com/parleyhq/parley/apitype"
)

// One method per REST operation of the served OpenAPI document (a test
// compares the two), grouped as the document tags them. ListXxx reads one
// page; the plural method iterates over every page.

// path joins fixed segments and path-escaped ids: path("/v1/brands/", id).
func path(parts ...string) string {
	var s string
	for i, p := range parts {
		if i%2 == 1 {
			p = url.PathEscape(p)
		}
		s += p
	}
	return s
}

// Brands.

// ListBrands lists one page of brands.
func (c *Client) ListBrands(ctx context.Context, q PageQuery) (List[apitype.Brand], error) {
	return page[apitype.Brand](ctx, c, "/v1/brands", q.values())
}

// Brands iterates over every brand.
func (c *Client) Brands(ctx context.Context) iter.Seq2[apitype.Brand, error] {
	return all[apitype.Brand](ctx, c, "/v1/brands", url.Values{"limit": {"100"}})
}

// CreateBrand creates a brand.
func (c *Client) CreateBrand(ctx context.Context, in apitype.BrandInput) (apitype.Brand, error) {
	var out Single[apitype.Brand]
	_, err := c.do(ctx, call{method: http.MethodPost, path: "/v1/brands", body: in}, &out)
	return out.Data, err
}

// GetBrand reads a brand.
func (c *Client) GetBrand(ctx context.Context, id string) (apitype.Brand, error) {
	var out Single[apitype.Brand]
	err := c.get(ctx, path("/v1/brands/", id), nil, &out)
	return out.Data, err
}

// UpdateBrand renames a brand.
func (c *Client) UpdateBrand(ctx context.Context, id string, in apitype.BrandInput) (apitype.Brand, error) {
	var out Single[apitype.Brand]
	_, err := c.do(ctx, call{method: http.MethodPatch, path: path("/v1/brands/", id), body: in, idempotent: true}, &out)
	return out.Data, err
}

// DeleteBrand deletes a brand that has no accounts left.
func (c *Client) DeleteBrand(ctx context.Context, id string) error {
	_, err := c.do(ctx, call{method: http.MethodDelete, path: path("/v1/brands/", id), idempotent: true}, nil)
	return err
}

// Accounts.

// AccountQuery filters GET /v1/accounts. Zero values are left out.
type AccountQuery struct {
	BrandID  string
	Platform string
	Status   string
	Limit    int
	Cursor   string
}

func (q AccountQuery) values() url.Values {
	v := PageQuery{Limit: q.Limit, Cursor: q.Cursor}.values()
	set(v, "brand_id", q.BrandID)
	set(v, "platform", q.Platform)
	set(v, "status", q.Status)
	return v
}

// ListAccounts lists one page of the caller's connected accounts.
func (c *Client) ListAccounts(ctx context.Context, q AccountQuery) (List[apitype.Account], error) {
	return page[apitype.Account](ctx, c, "/v1/accounts", q.values())
}

// Accounts iterates over every connected account matching q (from
// q.Cursor, q.Limit per page).
func (c *Client) Accounts(ctx context.Context, q AccountQuery) iter.Seq2[apitype.Account, error] {
	return all[apitype.Account](ctx, c, "/v1/accounts", q.values())
}

// CreateAccount connects an account with a platform token; the platform
// must confirm that the token grants the account (422
// account.token_invalid or account.not_granted otherwise).
func (c *Client) CreateAccount(ctx context.Context, in apitype.AccountInput) (apitype.Account, error) {
	var out Single[apitype.Account]
	_, err := c.do(ctx, call{method: http.MethodPost, path: "/v1/accounts", body: in}, &out)
	return out.Data, err
}

// GetAccount reads an account.
func (c *Client) GetAccount(ctx context.Context, id string) (apitype.Account, error) {
	var out Single[apitype.Account]
	err := c.get(ctx, path("/v1/accounts/", id), nil, &out)
	return out.Data, err
}

// UpdateAccount changes an account; a new AccessToken reconnects it under
// the same id.
func (c *Client) UpdateAccount(ctx context.Context, id string, in apitype.AccountUpdate) (apitype.Account, error) {
	var out Single[apitype.Account]
	_, err := c.do(ctx, call{method: http.MethodPatch, path: path("/v1/accounts/", id), body: in, idempotent: true}, &out)
	return out.Data, err
}

// DeleteAccount disconnects an account and destroys its token.
func (c *Client) DeleteAccount(ctx context.Context, id string) error {
	_, err := c.do(ctx, call{method: http.MethodDelete, path: path("/v1/accounts/", id), idempotent: true}, nil)
	return err
}

// UsageQuery filters a WhatsApp account's usage: Month is YYYY-MM (all
// months when empty).
type UsageQuery struct {
	Month  string
	Limit  int
	Cursor string
}

// ListWhatsAppUsage lists one page of a WhatsApp account's message counts
// by month, pricing category and free/paid.
func (c *Client) ListWhatsAppUsage(ctx context.Context, accountID string, q UsageQuery) (List[apitype.UsageRow], error) {
	v := PageQuery{Limit: q.Limit, Cursor: q.Cursor}.values()
	set(v, "month", q.Month)
	return page[apitype.UsageRow](ctx, c, path("/v1/accounts/", accountID, "/usage"), v)
}

// TemplatesPath is the REST route listing an account's WhatsApp message
// templates (GET, list envelope, `refresh=true` bypasses the cache).
const TemplatesPath = "/v1/accounts/{id}/templates"

// WhatsAppTemplates iterates over a WhatsApp account's message templates;
// refresh asks Meta again instead of Parley's cache.
func (c *Client) WhatsAppTemplates(ctx context.Context, accountID string, refresh bool) iter.Seq2[apitype.TemplateInfo, error] {
	v := url.Values{"limit": {"100"}}
	if refresh {
		v.Set("refresh", "true")
	}
	return all[apitype.TemplateInfo](ctx, c, path("/v1/accounts/", accountID, "/templates"), v, "refresh")
}

// ListWhatsAppTemplates returns all of a WhatsApp account's message
// templates (every page; an account holds at most a few hundred).
func (c *Client) ListWhatsAppTemplates(ctx context.Context, accountID string, refresh bool) ([]apitype.TemplateInfo, error) {
	out := []apitype.TemplateInfo{}
	for t, err := range c.WhatsAppTemplates(ctx, accountID, refresh) {
		if err != nil {
			return out, err
		}
		out = append(out, t)
	}
	return out, nil
}

// CreateConnectSession starts connecting an account through OAuth: send
// the end customer to the returned URL (single use, 15 minutes).
func (c *Client) CreateConnectSession(ctx context.Context, in apitype.ConnectSessionInput) (apitype.ConnectSession, error) {
	var out Single[apitype.ConnectSession]
	_, err := c.do(ctx, call{method: http.MethodPost, path: "/v1/connect/sessions", body: in}, &out)
	return out.Data, err
}

// ConnectAccount is CreateConnectSession in the auth_url shape other DM
// APIs use.
func (c *Client) ConnectAccount(ctx context.Context, in apitype.ConnectAccountInput) (apitype.ConnectAccountOutput, error) {
	var out Single[apitype.ConnectAccountOutput]
	_, err := c.do(ctx, call{method: http.MethodPost, path: "/v1/accounts/connect", body: in}, &out)
	return out.Data, err
}

// Platforms.

// ListPlatforms lists one page of the capability matrix.
func (c *Client) ListPlatforms(ctx context.Context, q PageQuery) (List[apitype.PlatformInfo], error) {
	return page[apitype.PlatformInfo](ctx, c, "/v1/platforms", q.values())
}

// Platforms iterates over the capability matrix: what each platform allows.
func (c *Client) Platforms(ctx context.Context) iter.Seq2[apitype.PlatformInfo, error] {
	return all[apitype.PlatformInfo](ctx, c, "/v1/platforms", url.Values{"limit": {"100"}})
}

// Webhooks and events.

// ListWebhooks lists one page of webhook endpoints.
func (c *Client) ListWebhooks(ctx context.Context, q PageQuery) (List[apitype.WebhookEndpoint], error) {
	return page[apitype.WebhookEndpoint](ctx, c, "/v1/webhooks", q.values())
}

// Webhooks iterates over every webhook endpoint.
func (c *Client) Webhooks(ctx context.Context) iter.Seq2[apitype.WebhookEndpoint, error] {
	return all[apitype.WebhookEndpoint](ctx, c, "/v1/webhooks", url.Values{"limit": {"100"}})
}

// CreateWebhook adds an endpoint; its Secret (whsec_…) is in this answer
// only: give it to NewWebhookReceiver.
func (c *Client) CreateWebhook(ctx context.Context, in apitype.WebhookInput) (apitype.WebhookEndpoint, error) {
	var out Single[apitype.WebhookEndpoint]
	_, err := c.do(ctx, call{method: http.MethodPost, path: "/v1/webhooks", body: in}, &out)
	return out.Data, err
}

// GetWebhook reads an endpoint.
func (c *Client) GetWebhook(ctx context.Context, id string) (apitype.WebhookEndpoint, error) {
	var out Single[apitype.WebhookEndpoint]
	err := c.get(ctx, path("/v1/webhooks/", id), nil, &out)
	return out.Data, err
}

// UpdateWebhook changes an endpoint's url, events, description or enabled
// state.
func (c *Client) UpdateWebhook(ctx context.Context, id string, in apitype.WebhookInput) (apitype.WebhookEndpoint, error) {
	var out Single[apitype.WebhookEndpoint]
	_, err := c.do(ctx, call{method: http.MethodPatch, path: path("/v1/webhooks/", id), body: in, idempotent: true}, &out)
	return out.Data, err
}

// DeleteWebhook deletes an endpoint.
func (c *Client) DeleteWebhook(ctx context.Context, id string) error {
	_, err := c.do(ctx, call{method: http.MethodDelete, path: path("/v1/webhooks/", id), idempotent: true}, nil)
	return err
}

// RotateWebhookSecret gives an endpoint a new secret (in the answer's
// Secret); the old one keeps signing alongside for 24 h.
func (c *Client) RotateWebhookSecret(ctx context.Context, id string) (apitype.WebhookEndpoint, error) {
	var out Single[apitype.WebhookEndpoint]
	_, err := c.do(ctx, call{method: http.MethodPost, path: path("/v1/webhooks/", id, "/rotate-secret")}, &out)
	return out.Data, err
}

// TestWebhook sends a webhook.test event to an endpoint.
func (c *Client) TestWebhook(ctx context.Context, id string) (apitype.EventView, error) {
	var out Single[apitype.EventView]
	_, err := c.do(ctx, call{method: http.MethodPost, path: path("/v1/webhooks/", id, "/test")}, &out)
	return out.Data, err
}

// ListWebhookAttempts lists one page of delivery attempts to an endpoint.
func (c *Client) ListWebhookAttempts(ctx context.Context, id string, q PageQuery) (List[apitype.DeliveryAttempt], error) {
	return page[apitype.DeliveryAttempt](ctx, c, path("/v1/webhooks/", id, "/attempts"), q.values())
}

// ListEvents lists one page of events, oldest first (kept 30 days).
func (c *Client) ListEvents(ctx context.Context, q PageQuery) (List[apitype.EventView], error) {
	return page[apitype.EventView](ctx, c, "/v1/events", q.values())
}

// Events iterates over every event from q.Cursor, oldest first. Decode one
// with DecodeEvent.
func (c *Client) Events(ctx context.Context, q PageQuery) iter.Seq2[apitype.EventView, error] {
	return all[apitype.EventView](ctx, c, "/v1/events", q.values())
}

// GetEvent reads one event as delivered.
func (c *Client) GetEvent(ctx context.Context, id string) (apitype.EventView, error) {
	var out Single[apitype.EventView]
	err := c.get(ctx, path("/v1/events/", id), nil, &out)
	return out.Data, err
}

// ListEventAttempts lists one page of an event's delivery attempts.
func (c *Client) ListEventAttempts(ctx context.Context, id string, q PageQuery) (List[apitype.DeliveryAttempt], error) {
	return page[apitype.DeliveryAttempt](ctx, c, path("/v1/events/", id, "/attempts"), q.values())
}

// ReplayEvent delivers an event again with its original webhook-id, to
// every subscribed endpoint or, when endpointID is set, to that one.
func (c *Client) ReplayEvent(ctx context.Context, id, endpointID string) error {
	v := url.Values{}
	set(v, "endpoint_id", endpointID)
	_, err := c.do(ctx, call{method: http.MethodPost, path: path("/v1/events/", id, "/replay"), query: v}, nil)
	return err
}

// API keys.

// ListAPIKeys lists one page of API keys (never their secrets).
func (c *Client) ListAPIKeys(ctx context.Context, q PageQuery) (List[apitype.APIKey], error) {
	return page[apitype.APIKey](ctx, c, "/v1/api-keys", q.values())
}

// CreateAPIKey mints a key; its Secret is in this answer only.
func (c *Client) CreateAPIKey(ctx context.Context, in apitype.CreateAPIKeyInput) (apitype.APIKey, error) {
	var out Single[apitype.APIKey]
	_, err := c.do(ctx, call{method: http.MethodPost, path: "/v1/api-keys", body: in}, &out)
	return out.Data, err
}

// RevokeAPIKey revokes a key at once.
func (c *Client) RevokeAPIKey(ctx context.Context, id string) error {
	_, err := c.do(ctx, call{method: http.MethodDelete, path: path("/v1/api-keys/", id), idempotent: true}, nil)
	return err
}

// Inbox.

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
	v := PageQuery{Limit: q.Limit, Cursor: q.Cursor}.values()
	set(v, "account_id", q.AccountID)
	set(v, "platform", q.Platform)
	set(v, "brand_id", q.BrandID)
	set(v, "status", q.Status)
	if q.Unread != nil {
		v.Set("unread", strconv.FormatBool(*q.Unread))
	}
	return v
}

// ListConversations lists one page of conversations across the caller's
// accounts, newest first. Meta.Partial reports accounts that could not be
// read.
func (c *Client) ListConversations(ctx context.Context, q ConversationQuery) (List[apitype.Conversation], error) {
	return page[apitype.Conversation](ctx, c, "/v1/inbox/conversations", q.values())
}

// Conversations iterates over every conversation matching q, newest first.
// After a page that lacks some accounts it yields a *PartialError.
func (c *Client) Conversations(ctx context.Context, q ConversationQuery) iter.Seq2[apitype.Conversation, error] {
	return all[apitype.Conversation](ctx, c, "/v1/inbox/conversations", q.values())
}

// GetConversation reads one conversation with its reply_window.
func (c *Client) GetConversation(ctx context.Context, id string) (apitype.Conversation, error) {
	var out Single[apitype.Conversation]
	err := c.get(ctx, path("/v1/inbox/conversations/", id), nil, &out)
	return out.Data, err
}

// UpdateConversation archives a conversation (in.Status "archived") or
// makes it active again ("active"), and answers it as it is now. Archiving
// is Parley's own: a new message from the customer makes the conversation
// active again.
func (c *Client) UpdateConversation(ctx context.Context, id string, in apitype.ConversationUpdate) (apitype.Conversation, error) {
	var out apitype.ConversationUpdated
	_, err := c.do(ctx, call{method: http.MethodPatch, path: path("/v1/inbox/conversations/", id), body: in, idempotent: true}, &out)
	return out.Data, err
}

// ListMessages reads one page of a conversation's history, newest first,
// live from the platform: limit messages (0: the server's default) from
// cursor ("" for the newest).
func (c *Client) ListMessages(ctx context.Context, conversationID string, limit int, cursor string) (List[apitype.Message], error) {
	return page[apitype.Message](ctx, c, path("/v1/inbox/conversations/", conversationID, "/messages"), PageQuery{Limit: limit, Cursor: cursor}.values())
}

// Messages iterates over a conversation's history, newest first.
func (c *Client) Messages(ctx context.Context, conversationID string, q PageQuery) iter.Seq2[apitype.Message, error] {
	return all[apitype.Message](ctx, c, path("/v1/inbox/conversations/", conversationID, "/messages"), q.values())
}

// SendMessage sends a message. It travels with in.IdempotencyKey, or a
// fresh key when that is empty, which every retry reuses: however often it
// is retried, the message goes out at most once. Message.Replayed reports
// an answer replayed from an earlier request with the same key.
//
// A send the platform would refuse is refused first: IsWindowClosed,
// conversation.tag_retired, whatsapp.template_required, …
func (c *Client) SendMessage(ctx context.Context, conversationID string, in apitype.SendInput) (apitype.Message, error) {
	key := in.IdempotencyKey
	if key == "" {
		key = NewIdempotencyKey()
	}
	// The answer is apitype.Sent: the message in data, and success,
	// message_id and message_ids beside it for clients of the hosted DM API.
	var out apitype.Sent
	res, err := c.do(ctx, call{method: http.MethodPost, path: path("/v1/inbox/conversations/", conversationID, "/messages"),
		header: http.Header{"Idempotency-Key": {key}}, body: in, idempotent: true}, &out)
	if err != nil {
		return apitype.Message{}, err
	}
	out.Data.Replayed = res.Header.Get("Idempotent-Replayed") == "true"
	return out.Data, nil
}

// MarkRead marks a conversation read.
func (c *Client) MarkRead(ctx context.Context, conversationID string) error {
	_, err := c.do(ctx, call{method: http.MethodPost, path: path("/v1/inbox/conversations/", conversationID, "/read"), idempotent: true}, nil)
	return err
}

// Media.

// MediaUpload is a file for UploadMedia.
type MediaUpload struct {
	// Filename names the file for the customer (documents show it).
	Filename string
	// ContentType is the file's media type; "" lets the server tell it
	// from the bytes. The server refuses a type the bytes contradict.
	ContentType string
	Data        []byte
	// Type is image, video, audio or file; "" derives it from the type.
	Type string
	// Platform, when set, checks that platform's limits at upload.
	Platform string
}

// UploadMedia uploads a file for a later send: name the answer's ID in
// SendInput.Attachments[].MediaID. It is kept until ExpiresAt, or briefly
// after the send that uses it.
func (c *Client) UploadMedia(ctx context.Context, in MediaUpload) (apitype.Media, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range [][2]string{{"type", in.Type}, {"platform", in.Platform}} {
		if f[1] != "" {
			_ = mw.WriteField(f[0], f[1])
		}
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", mime.FormatMediaType("form-data", map[string]string{"name": "file", "filename": in.Filename}))
	if in.ContentType != "" {
		h.Set("Content-Type", in.ContentType)
	}
	pw, err := mw.CreatePart(h)
	if err != nil {
		return apitype.Media{}, err
	}
	if _, err := pw.Write(in.Data); err != nil {
		return apitype.Media{}, err
	}
	if err := mw.Close(); err != nil {
		return apitype.Media{}, err
	}
	var out Single[apitype.Media]
	_, err = c.do(ctx, call{method: http.MethodPost, path: "/v1/media", form: buf.Bytes(), formType: mw.FormDataContentType()}, &out)
	return out.Data, err
}

// GetMedia describes an upload (never its bytes).
func (c *Client) GetMedia(ctx context.Context, id string) (apitype.Media, error) {
	var out Single[apitype.Media]
	err := c.get(ctx, path("/v1/media/", id), nil, &out)
	return out.Data, err
}

// DeleteMedia deletes an upload now.
func (c *Client) DeleteMedia(ctx context.Context, id string) error {
	_, err := c.do(ctx, call{method: http.MethodDelete, path: path("/v1/media/", id), idempotent: true}, nil)
	return err
}
