// Package whatsapp is Parley's adapter for the WhatsApp Business Platform Cloud API:
// sends and read receipts go to Meta, history comes from Parley's webhook journal.
//
// The Cloud API has no endpoint to read conversations or messages back, so
// ListConversations, GetConversation and ListMessages read a Journal the store
// keeps of inbound webhooks, while Send, MarkRead and Templates call
// graph.facebook.com (or the waemu emulator). An Account's NativeID is the
// business phone-number id.
package whatsapp

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/platform"
)

// DefaultBaseURL is the Graph API host the Cloud API lives on.
const DefaultBaseURL = "https://graph.facebook.com"

// DefaultVersion is the Graph API version the adapter calls.
const DefaultVersion = "v23.0"

// Options configures an Adapter.
type Options struct {
	// BaseURL is the Graph API root (default DefaultBaseURL); tests and the
	// sandbox point it at the emulator.
	BaseURL string
	// Version is the Graph API version path segment (default DefaultVersion).
	Version string
	// HTTPClient makes the calls (default: a client with a 30 s timeout).
	HTTPClient *http.Client
	// Journal serves history. Without one the read methods answer 501.
	Journal Journal
	// Now stamps sends (default time.Now).
	Now func() time.Time
	// WABAID resolves the WhatsApp Business Account id of an account (the
	// owner of its templates), which platform.Account does not carry. It is
	// needed by ListTemplates only.
	WABAID func(ctx context.Context, acct platform.Account) (string, error)
}

// Adapter implements platform.Adapter for WhatsApp.
type Adapter struct {
	base    string
	version string
	hc      *http.Client
	journal Journal
	now     func() time.Time
	wabaID  func(ctx context.Context, acct platform.Account) (string, error)
}

var (
	_ platform.Adapter        = (*Adapter)(nil)
	_ platform.TemplateLister = (*Adapter)(nil)
)

// New returns an adapter.
func New(opts Options) *Adapter {
	a := &Adapter{
		base:    strings.TrimRight(opts.BaseURL, "/"),
		version: opts.Version,
		hc:      opts.HTTPClient,
		journal: opts.Journal,
		now:     opts.Now,
		wabaID:  opts.WABAID,
	}
	if a.base == "" {
		a.base = DefaultBaseURL
	}
	if a.version == "" {
		a.version = DefaultVersion
	}
	if a.hc == nil {
		a.hc = &http.Client{Timeout: 30 * time.Second}
	}
	if a.now == nil {
		a.now = time.Now
	}
	return a
}

func (a *Adapter) noJournal() error {
	return apierr.NotSupported("WhatsApp history needs the webhook journal, which is not configured")
}

// journalErr turns ErrNotFound into a 404; structured errors pass through,
// and a store failure stays as is for the transport to report as
// system.internal.
func journalErr(err error) error {
	if errors.Is(err, ErrNotFound) {
		return apierr.NotFound("conversation")
	}
	return err
}

func clamp(limit, def, max int) int {
	if limit <= 0 {
		return def
	}
	return min(limit, max)
}

// ListConversations reads the number's conversations from the journal.
func (a *Adapter) ListConversations(ctx context.Context, acct platform.Account, cursor string, limit int) (platform.Page[platform.Conversation], error) {
	if a.journal == nil {
		return platform.Page[platform.Conversation]{}, a.noJournal()
	}
	p, err := a.journal.ListConversations(ctx, acct.ID, cursor, clamp(limit, 25, 100))
	if err != nil {
		return p, journalErr(err)
	}
	return p, nil
}

// GetConversation reads one conversation (threadID is the customer's wa_id)
// from the journal.
func (a *Adapter) GetConversation(ctx context.Context, acct platform.Account, threadID string) (platform.Conversation, error) {
	if a.journal == nil {
		return platform.Conversation{}, a.noJournal()
	}
	c, err := a.journal.GetConversation(ctx, acct.ID, threadID)
	if err != nil {
		return c, journalErr(err)
	}
	return c, nil
}

// ListMessages reads a conversation's messages from the journal, newest first.
func (a *Adapter) ListMessages(ctx context.Context, acct platform.Account, threadID, cursor string, limit int) (platform.Page[platform.Message], error) {
	if a.journal == nil {
		return platform.Page[platform.Message]{}, a.noJournal()
	}
	p, err := a.journal.ListMessages(ctx, acct.ID, threadID, cursor, clamp(limit, 25, 200))
	if err != nil {
		return p, journalErr(err)
	}
	return p, nil
}

// Wire shapes of POST /{phone-number-id}/messages.
// https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages
type sendBody struct {
	MessagingProduct string        `json:"messaging_product"`
	RecipientType    string        `json:"recipient_type"`
	To               string        `json:"to,omitempty"`
	Recipient        string        `json:"recipient,omitempty"`
	Type             string        `json:"type"`
	Text             *textBody     `json:"text,omitempty"`
	Image            *mediaBody    `json:"image,omitempty"`
	Video            *mediaBody    `json:"video,omitempty"`
	Audio            *mediaBody    `json:"audio,omitempty"`
	Document         *mediaBody    `json:"document,omitempty"`
	Template         *templateBody `json:"template,omitempty"`
	Interactive      *interactive  `json:"interactive,omitempty"`
	Context          *contextBody  `json:"context,omitempty"`
}

type textBody struct {
	Body string `json:"body"`
}

type mediaBody struct {
	// ID is a media id from POST /{phone-number-id}/media; Link a URL.
	ID      string `json:"id,omitempty"`
	Link    string `json:"link,omitempty"`
	Caption string `json:"caption,omitempty"`
	// Filename names a document for the customer.
	Filename string `json:"filename,omitempty"`
}

type templateBody struct {
	Name       string           `json:"name"`
	Language   languageBody     `json:"language"`
	Components []map[string]any `json:"components,omitempty"`
}

type languageBody struct {
	Code string `json:"code"`
}

// sendResponse is {messaging_product, contacts:[{input, wa_id}],
// messages:[{id, message_status?}]}.
type sendResponse struct {
	MessagingProduct string `json:"messaging_product"`
	Contacts         []struct {
		Input string `json:"input"`
		WaID  string `json:"wa_id"`
	} `json:"contacts"`
	Messages []struct {
		ID            string `json:"id"`
		MessageStatus string `json:"message_status"`
	} `json:"messages"`
}

// parseSendResponse decodes a send answer and insists on a message id.
func parseSendResponse(body []byte) (sendResponse, error) {
	var r sendResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return r, err
	}
	if len(r.Messages) == 0 || r.Messages[0].ID == "" {
		return r, errors.New("no message id")
	}
	return r, nil
}

// sendTarget picks how to name the customer: by phone number when the
// conversation knows it, as Meta recommends ("send to phone numbers when
// possible so phone-number fields can continue appearing in webhooks"), else
// by business-scoped user id in `recipient`
// (https://dualhook.com/docs/contacts-bsuid-api-changes, checked
// 2026-11-30; Meta: .../whatsapp/business-scoped-user-ids/, updated Nov 5
// 2026). A thread begun by a username user is keyed on their BSUID.
func sendTarget(conv platform.Conversation) (to, recipient string) {
	for _, id := range []string{conv.ThreadID, conv.ParticipantID} {
		if isPhone(id) {
			return id, ""
		}
	}
	for _, id := range []string{conv.ThreadID, conv.ParticipantID} {
		if IsUserID(id) {
			return "", id
		}
	}
	return cmp.Or(conv.ParticipantID, conv.ThreadID), ""
}

// isPhone reports whether s is a wa_id: 7 to 15 digits.
func isPhone(s string) bool {
	if len(s) < 7 || len(s) > 15 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// IsUserID reports whether s has the shape of a business-scoped user id:
// an ISO country code, a period, then alphanumerics ("US.13491208655302741918";
// a parent BSUID "US.ENT.118…").
func IsUserID(s string) bool {
	if len(s) < 4 || len(s) > maxUserID || s[2] != '.' || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z' {
		return false
	}
	for _, c := range s[3:] {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '.') {
			return false
		}
	}
	return true
}

// Send posts a message to the conversation's customer.
func (a *Adapter) Send(ctx context.Context, acct platform.Account, conv platform.Conversation, msg platform.Outbound) (platform.Sent, error) {
	to, recipient := sendTarget(conv)
	if to == "" && recipient == "" {
		return platform.Sent{}, apierr.Required("conversation participant")
	}
	msg, err := a.uploadFiles(ctx, acct, msg)
	if err != nil {
		return platform.Sent{}, err
	}
	bodies, err := buildSends(to, recipient, msg)
	if err != nil {
		return platform.Sent{}, err
	}
	// One platform message per attachment, in order (rich.go); the send
	// is known by the last. A failure part-way returns the error: the
	// messages before it were delivered.
	var sent platform.Sent
	for _, body := range bodies {
		raw, err := a.call(ctx, acct, http.MethodPost, acct.NativeID+"/messages", nil, body, &conv)
		if err != nil {
			return platform.Sent{}, err
		}
		r, err := parseSendResponse(raw)
		if err != nil {
			return platform.Sent{}, errResponse("send acknowledgement", err)
		}
		sent.PlatformID, sent.CreatedAt = r.Messages[0].ID, a.now()
		sent.PlatformIDs = append(sent.PlatformIDs, r.Messages[0].ID)
	}
	if len(sent.PlatformIDs) == 1 {
		sent.PlatformIDs = nil
	}
	return sent, nil
}

// MarkRead sends a read receipt for the customer's latest message, which
// marks every earlier message read too.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/mark-message-as-read/
func (a *Adapter) MarkRead(ctx context.Context, acct platform.Account, conv platform.Conversation) error {
	if a.journal == nil {
		return a.noJournal()
	}
	waID := conv.ThreadID
	if waID == "" {
		waID = conv.ParticipantID
	}
	id, err := a.latestIncoming(ctx, acct.ID, waID)
	if err != nil || id == "" {
		return err // nothing the customer wrote: nothing to mark
	}
	body := map[string]string{"messaging_product": "whatsapp", "status": "read", "message_id": id}
	raw, err := a.call(ctx, acct, http.MethodPost, acct.NativeID+"/messages", nil, body, &conv)
	if err != nil {
		return err
	}
	var ok struct {
		Success bool `json:"success"`
	}
	if err := json.Unmarshal(raw, &ok); err != nil || !ok.Success {
		return errResponse("read receipt", err)
	}
	return nil
}

// latestIncoming finds the newest incoming message id in the journal,
// looking at a bounded number of pages.
func (a *Adapter) latestIncoming(ctx context.Context, accountID, waID string) (string, error) {
	cursor := ""
	for range 10 {
		p, err := a.journal.ListMessages(ctx, accountID, waID, cursor, 50)
		if err != nil {
			return "", journalErr(err)
		}
		for _, m := range p.Items {
			if m.Direction == "incoming" && m.PlatformID != "" {
				return m.PlatformID, nil
			}
		}
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	return "", nil
}

// Template is a WhatsApp message template as the Business Management API
// lists it.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/template-management/
type Template struct {
	ID         string           `json:"id"`
	Name       string           `json:"name"`
	Language   string           `json:"language"`
	Status     string           `json:"status"`   // APPROVED, PENDING, REJECTED, PAUSED, DISABLED, …
	Category   string           `json:"category"` // MARKETING, UTILITY, AUTHENTICATION
	Components []map[string]any `json:"components,omitempty"`
}

type templatePage struct {
	Data   []Template `json:"data"`
	Paging *struct {
		Cursors struct {
			After string `json:"after"`
		} `json:"cursors"`
		Next string `json:"next"`
	} `json:"paging"`
}

// maxTemplatePages bounds Templates' paging (100 per page).
const maxTemplatePages = 50

// Templates lists a WABA's approved templates, following every page. The
// WABA id is not part of platform.Account, so the caller passes it; caching
// belongs to the caller too.
func (a *Adapter) Templates(ctx context.Context, acct platform.Account, wabaID string) ([]Template, error) {
	if wabaID == "" {
		return nil, apierr.Required("waba_id")
	}
	q := url.Values{
		"status": {"APPROVED"},
		"fields": {"name,language,status,category,components"},
		"limit":  {"100"},
	}
	var out []Template
	for range maxTemplatePages {
		raw, err := a.call(ctx, acct, http.MethodGet, wabaID+"/message_templates", q, nil, nil)
		if err != nil {
			return nil, err
		}
		var p templatePage
		if err := json.Unmarshal(raw, &p); err != nil {
			return nil, errResponse("template list", err)
		}
		for _, t := range p.Data {
			if t.Status == "APPROVED" { // the filter is the server's; be sure
				out = append(out, t)
			}
		}
		if p.Paging == nil || p.Paging.Next == "" || p.Paging.Cursors.After == "" {
			return out, nil
		}
		q.Set("after", p.Paging.Cursors.After)
	}
	return out, nil
}

// ListTemplates implements platform.TemplateLister: the approved templates of
// the account's WABA, resolved through Options.WABAID.
func (a *Adapter) ListTemplates(ctx context.Context, acct platform.Account) ([]platform.TemplateInfo, error) {
	waba := ""
	if a.wabaID != nil {
		var err error
		if waba, err = a.wabaID(ctx, acct); err != nil {
			return nil, err
		}
	}
	if waba == "" {
		return nil, apierr.New(http.StatusUnprocessableEntity, "validation.required",
			"this WhatsApp account has no WhatsApp Business Account id configured").With("field", "waba_id")
	}
	ts, err := a.Templates(ctx, acct, waba)
	if err != nil {
		return nil, err
	}
	out := make([]platform.TemplateInfo, 0, len(ts))
	for _, t := range ts {
		out = append(out, platform.TemplateInfo{Name: t.Name, Language: t.Language, Status: t.Status,
			Category: t.Category, Components: t.Components})
	}
	return out, nil
}

// maxResponse bounds what we read from Meta.
const maxResponse = 1 << 20

// call performs one Graph request and returns the 2xx body, or the mapped
// error.
func (a *Adapter) call(ctx context.Context, acct platform.Account, method, path string, q url.Values, body any, conv *platform.Conversation) ([]byte, error) {
	var rd io.Reader
	ct := ""
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, apierr.Internal()
		}
		rd, ct = bytes.NewReader(b), "application/json"
	}
	return a.do(ctx, acct, method, path, q, ct, rd, conv)
}

// do sends one request with a body already encoded as contentType (a
// JSON call, or a media upload's multipart form).
func (a *Adapter) do(ctx context.Context, acct platform.Account, method, path string, q url.Values, contentType string, rd io.Reader, conv *platform.Conversation) ([]byte, error) {
	u := a.base + "/" + a.version + "/" + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, apierr.Internal()
	}
	req.Header.Set("Authorization", "Bearer "+acct.AccessToken)
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || ctx.Err() == context.DeadlineExceeded {
			return nil, apierr.New(http.StatusGatewayTimeout, "platform.whatsapp.timeout", "WhatsApp did not answer in time")
		}
		var ue *url.Error
		if errors.As(err, &ue) && ue.Timeout() {
			return nil, apierr.New(http.StatusGatewayTimeout, "platform.whatsapp.timeout", "WhatsApp did not answer in time")
		}
		return nil, apierr.New(http.StatusBadGateway, "platform.whatsapp.unavailable", "WhatsApp could not be reached")
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return nil, apierr.New(http.StatusGatewayTimeout, "platform.whatsapp.timeout", "WhatsApp did not answer in time")
		}
		return nil, apierr.New(http.StatusBadGateway, "platform.whatsapp.unavailable", "WhatsApp answer was cut short")
	}
	if resp.StatusCode/100 != 2 {
		e := mapError(resp.StatusCode, raw, conv)
		if ra := resp.Header.Get("Retry-After"); ra != "" && e.Status == http.StatusTooManyRequests {
			if n, err := strconv.Atoi(ra); err == nil {
				e = e.With("retry_after_seconds", n)
			}
		}
		return nil, e
	}
	return raw, nil
}
