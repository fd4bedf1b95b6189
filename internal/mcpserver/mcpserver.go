// Package mcpserver is Parley's MCP server (DESIGN §5): six tools over the
// official Go SDK, served as Streamable HTTP at /mcp and over stdio.
//
// The tools are defined once against Backend, which has two implementations:
// ServiceBackend calls the domain layer in-process for one authenticated
// caller, and *client.Client calls a remote Parley's REST API. Either way a
// tool answers the REST JSON shapes, and a refusal (*apierr.Error) is a tool
// result with IsError whose text is the REST error envelope, so an agent
// reads the same codes and meta (e.g. conversation.window_closed and the
// options that remain) as a REST caller.
package mcpserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/live"
	"github.com/parleyhq/parley/internal/mcpauth"
)

// Backend is what the tools need. *client.Client implements it (remote);
// ServiceBackend implements it in-process.
type Backend interface {
	ListConversations(ctx context.Context, q client.ConversationQuery) (client.List[apitype.Conversation], error)
	GetConversation(ctx context.Context, id string) (apitype.Conversation, error)
	// ListMessages reads a conversation's history, newest first, as
	// GET /v1/inbox/conversations/{id}/messages does.
	ListMessages(ctx context.Context, id string, limit int, cursor string) (client.List[apitype.Message], error)
	// SendMessage sends; in.IdempotencyKey makes it safe to retry, and the
	// returned Message.Replayed reports a replayed first outcome.
	SendMessage(ctx context.Context, id string, in apitype.SendInput) (apitype.Message, error)
	MarkRead(ctx context.Context, id string) error
	ListAccounts(ctx context.Context, q client.AccountQuery) (client.List[apitype.Account], error)
	ListWhatsAppTemplates(ctx context.Context, accountID string, refresh bool) ([]apitype.TemplateInfo, error)
}

var _ Backend = (*client.Client)(nil)

// Options tunes the MCP server.
type Options struct {
	// Logger receives internal errors (never shown to the agent); nil
	// discards them.
	Logger *slog.Logger
	// Version is reported as the server implementation's version.
	Version string
	// Live, on /mcp, lets sessions subscribe to conversations and hear
	// when they change; nil offers no subscriptions (stdio).
	Live *live.Hub
	// OAuth, on /mcp, accepts the access tokens of Parley's MCP
	// authorization server beside API keys, and points 401s at its
	// metadata; nil accepts API keys only.
	OAuth *mcpauth.Server
}

func (o *Options) orDefault() Options {
	var out Options
	if o != nil {
		out = *o
	}
	if out.Logger == nil {
		out.Logger = slog.New(slog.DiscardHandler)
	}
	if out.Version == "" {
		out.Version = "dev"
	}
	return out
}

// Tool names, as agents call them.
const (
	ToolListConversations     = "list_conversations"
	ToolGetConversation       = "get_conversation"
	ToolListMessages          = "list_messages"
	ToolSendDM                = "send_dm"
	ToolMarkConversationRead  = "mark_conversation_read"
	ToolListAccounts          = "list_accounts"
	ToolListWhatsAppTemplates = "list_whatsapp_templates"
)

const instructions = `Parley is a unified direct-message inbox for business accounts on Instagram, Facebook Messenger, WhatsApp, LinkedIn and X.
Start with list_accounts or list_conversations. Conversation ids look like sapi_dm_…; pass them unchanged as conversation_id to get_conversation, list_messages, send_dm and mark_conversation_read.
get_conversation returns the conversation with its most recent messages as a transcript (oldest first); list_messages reads further back.
Before replying, read the conversation's reply_window: if open is false, a plain reply is refused; use one of allowed_tags (a human replying within human_agent_until may use HUMAN_AGENT) or, on WhatsApp when requires_template is true, an APPROVED template from list_whatsapp_templates.
Failed calls return {"error":{"code","message","meta"}} with the same codes as Parley's REST API; meta says what to do next. Give send_dm an idempotency_key so a retry never sends twice, and dry_run true to check a reply without sending it.
Conversations are also resources (parley://conversations/{conversation_id}); subscribe to one to be told when the customer writes instead of polling. The prompt reply_to_customer prepares a reply.`

// NewServer returns an MCP server whose tools, resources and prompt call b.
func NewServer(b Backend, opts *Options) *mcp.Server {
	return newServer(b, opts.orDefault(), "")
}

// newServer builds the server; with o.Live and the caller's orgID, its
// sessions may subscribe to the organisation's conversations.
func newServer(b Backend, o Options, orgID string) *mcp.Server {
	t := tools{b: b, log: o.Logger}
	so := &mcp.ServerOptions{Instructions: instructions, Logger: o.Logger, SchemaCache: schemaCache,
		// No subscriptions, and no list_changed, without a live feed.
		Capabilities: &mcp.ServerCapabilities{Resources: &mcp.ResourceCapabilities{}}}
	live := o.Live != nil && orgID != ""
	if live {
		so.Capabilities.Resources = &mcp.ResourceCapabilities{Subscribe: true, ListChanged: true}
		so.SubscribeHandler = t.subscribe
		so.UnsubscribeHandler = func(context.Context, *mcp.UnsubscribeRequest) error { return nil }
	}
	s := mcp.NewServer(&mcp.Implementation{Name: "parley", Title: "Parley", Version: o.Version}, so)
	t.register(s)
	s.AddResourceTemplate(&mcp.ResourceTemplate{URITemplate: conversationTemplate, Name: "conversation", Title: "A conversation with its transcript",
		Description: "A direct-message conversation as get_conversation returns it: the customer, reply_window and the 20 most recent messages, oldest first. " +
			"Subscribe to hear (notifications/resources/updated) when the customer writes or a message changes status.",
		MIMEType: "application/json"}, t.readConversation)
	s.AddPrompt(&mcp.Prompt{Name: PromptReplyToCustomer, Title: "Reply to a customer",
		Description: "The conversation's transcript, its reply window and the platform's rules, as a ready instruction to draft and send a reply.",
		Arguments: []*mcp.PromptArgument{
			{Name: "conversation_id", Description: "the conversation id (sapi_dm_…)", Required: true},
			{Name: "tone", Description: "how the reply should sound, e.g. warm, formal, brief (default friendly and concise)"},
		}}, t.replyPrompt)
	s.AddReceivingMiddleware(t.renderErrors, func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			if err := allowed(ctx, method, req); err != nil {
				if method == "tools/call" {
					// A tool error, which renderErrors writes as the REST body.
					res := &mcp.CallToolResult{}
					res.SetError(err)
					return res, nil
				}
				return nil, t.resourceError(ctx, err)
			}
			switch method {
			case "resources/list":
				// The conversations are the resources, listed live.
				r, _ := req.(*mcp.ListResourcesRequest)
				if r == nil {
					r = &mcp.ListResourcesRequest{}
				}
				return t.listResources(ctx, r)
			case "subscriptions/listen":
				if live {
					sub := o.Live.Subscribe(orgID)
					defer sub.Close()
					wctx, stop := context.WithCancel(ctx)
					defer stop()
					go watch(wctx, s, sub, t.readConversation)
				}
			}
			return next(ctx, method, req)
		}
	})
	return s
}

// writeTools change something on the platform: an OAuth grant needs
// dm:write for them, and dm:read for everything else.
var writeTools = map[string]bool{ToolSendDM: true, ToolMarkConversationRead: true}

// allowed checks a request signed in with OAuth against its grant's scopes.
func allowed(ctx context.Context, method string, req mcp.Request) error {
	g, ok := ctx.Value(grantKey{}).(mcpauth.Grant)
	if !ok {
		return nil // an API key may do everything its organisation may
	}
	need := mcpauth.ScopeRead
	if p, ok := req.GetParams().(*mcp.CallToolParamsRaw); ok && method == "tools/call" && writeTools[p.Name] {
		need = mcpauth.ScopeWrite
	}
	if g.Has(need) {
		return nil
	}
	return apierr.New(http.StatusForbidden, "auth.insufficient_scope", "this sign-in was not granted %s; sign in again and approve it", need).
		With("required_scope", need)
}

// schemaCache shares the schemas inferred from the argument and result types
// across servers: the HTTP handler builds one server per request.
var schemaCache = mcp.NewSchemaCache()

type tools struct {
	b   Backend
	log *slog.Logger
}

// Pages, as REST: limit 1-100 default 25 for lists across accounts.
const (
	defaultLimit = 25
	maxLimit     = 100
	maxCursor    = 8192
	// defaultTranscript is how many messages get_conversation includes
	// unless message_limit says otherwise: enough for a model to see
	// what the customer asked without flooding its context.
	defaultTranscript = 20
)

// platforms are the platform filter's values; facebook is Messenger, by the
// name hosted DM APIs use.
var platforms = []any{"instagram", "messenger", "facebook", "whatsapp", "linkedin", "x"}

// ListConversationsArgs are list_conversations' arguments.
type ListConversationsArgs struct {
	AccountID string `json:"account_id,omitempty" jsonschema:"only conversations of this connected account (an acct_… id from list_accounts)"`
	Platform  string `json:"platform,omitempty" jsonschema:"only conversations on this platform"`
	BrandID   string `json:"brand_id,omitempty" jsonschema:"only conversations of accounts in this brand (a brand_… id)"`
	Status    string `json:"status,omitempty" jsonschema:"active (the default) or archived: archived conversations are listed only when asked for"`
	Unread    *bool  `json:"unread,omitempty" jsonschema:"true: only conversations with unread messages; false: only fully read ones; omit for both"`
	Limit     int    `json:"limit,omitempty" jsonschema:"page size, 1-100 (default 25)"`
	Cursor    string `json:"cursor,omitempty" jsonschema:"pagination.next_cursor of the previous page, unchanged, to get the next page"`
}

// GetConversationArgs are get_conversation's arguments.
type GetConversationArgs struct {
	ConversationID string `json:"conversation_id,omitempty" jsonschema:"the conversation id (sapi_dm_…) as returned by list_conversations"`
	// ID is the argument's first name, kept for clients written against it.
	ID           string `json:"id,omitempty" jsonschema:"deprecated: the same as conversation_id, accepted for older clients; use conversation_id"`
	MessageLimit int    `json:"message_limit,omitempty" jsonschema:"how many of the most recent messages to include, 1-100 (default 20)"`
}

// ListMessagesArgs are list_messages' arguments.
type ListMessagesArgs struct {
	ConversationID string `json:"conversation_id" jsonschema:"the conversation id (sapi_dm_…)"`
	Limit          int    `json:"limit,omitempty" jsonschema:"how many messages, 1-100 (default 25)"`
	Cursor         string `json:"cursor,omitempty" jsonschema:"older_messages_cursor from get_conversation, or pagination.next_cursor of the previous list_messages page, unchanged; omit to start from the newest message"`
}

// ConversationTranscript is get_conversation's data: the conversation as
// REST returns it, with its most recent messages.
type ConversationTranscript struct {
	apitype.Conversation
	// Messages are the most recent messages, oldest first.
	Messages []apitype.Message `json:"messages" jsonschema:"the most recent messages, oldest first, so the list reads as a transcript; direction incoming is the customer, outgoing is the business"`
	// OlderMessagesCursor reads on with list_messages; absent when the
	// transcript starts at the first message.
	OlderMessagesCursor string `json:"older_messages_cursor,omitempty" jsonschema:"pass as list_messages' cursor to read the messages before the first one here; absent when there are none"`
	// HistoryTruncated says the platform keeps older messages it does not
	// return (Instagram gives only the 20 most recent).
	HistoryTruncated bool `json:"history_truncated,omitempty" jsonschema:"true when the platform holds older messages it does not return, so the transcript cannot go further back"`
}

// AttachmentArg is one attachment by URL.
type AttachmentArg struct {
	Type string `json:"type" jsonschema:"kind of media"`
	URL  string `json:"url" jsonschema:"public absolute http(s) URL the platform downloads the media from"`
}

// TemplateArg is a WhatsApp template to send.
type TemplateArg struct {
	Name       string           `json:"name" jsonschema:"template name, exactly as list_whatsapp_templates shows it"`
	Language   string           `json:"language" jsonschema:"template language code, e.g. en_US, as list_whatsapp_templates shows it"`
	Components []map[string]any `json:"components,omitempty" jsonschema:"WhatsApp Cloud API template components filling the template's variables, e.g. [{\"type\":\"body\",\"parameters\":[{\"type\":\"text\",\"text\":\"Ada\"}]}]"`
}

// SendDMArgs are send_dm's arguments.
type SendDMArgs struct {
	ConversationID string          `json:"conversation_id" jsonschema:"the conversation id (sapi_dm_…) to reply in"`
	Text           string          `json:"text,omitempty" jsonschema:"message text; required unless attachments, cards or a template are given (and with quick replies or buttons)"`
	Attachment     *AttachmentArg  `json:"attachment,omitempty" jsonschema:"one media attachment by URL"`
	Attachments    []AttachmentArg `json:"attachments,omitempty" jsonschema:"several media attachments by URL, sent in order (Instagram, Messenger, WhatsApp)"`
	// The rich fields (issue 18): each is delivered natively or the send is
	// refused with validation.unsupported_on_platform; get_conversation's
	// platform and GET /v1/platforms (rich) say what each platform carries.
	QuickReplies     []apitype.QuickReply `json:"quick_replies,omitempty" jsonschema:"quick replies offered under the text, [{title, payload}]: Instagram/Messenger up to 13 (title 20 characters), WhatsApp up to 10 (3 as buttons, more as a list); a tap arrives as message.received with choice.payload"`
	Buttons          []apitype.Button     `json:"buttons,omitempty" jsonschema:"buttons under the text, [{type: url|postback, title, url|payload}]: Instagram/Messenger up to 3; WhatsApp up to 3 postback buttons or one url button"`
	Cards            []apitype.Card       `json:"cards,omitempty" jsonschema:"a carousel (Instagram/Messenger, up to 10): [{title, subtitle, image_url, buttons}]"`
	ReplyToMessageID string               `json:"reply_to_message_id,omitempty" jsonschema:"platform_id of the message this one answers (Instagram, WhatsApp)"`
	Tag              string               `json:"tag,omitempty" jsonschema:"Meta message tag, only for Instagram/Messenger replies outside the 24 h window: HUMAN_AGENT (a person replies, up to 7 days). Meta retired CONFIRMED_EVENT_UPDATE, POST_PURCHASE_UPDATE and ACCOUNT_UPDATE in 2026. Omit for a normal reply."`
	Template         *TemplateArg         `json:"template,omitempty" jsonschema:"WhatsApp only: an APPROVED message template (required when reply_window.requires_template is true)"`
	Automated        bool                 `json:"automated,omitempty" jsonschema:"true when the message was written by software (you, an AI agent, without a person approving it); HUMAN_AGENT is then refused"`
	IdempotencyKey   string               `json:"idempotency_key,omitempty" jsonschema:"a unique string (max 255 characters) for this message; repeating the call with the same key and arguments returns the first outcome instead of sending again"`
	DryRun           bool                 `json:"dry_run,omitempty" jsonschema:"true: check every rule (reply window, tag, template, rate limits) and return the message that would be sent, with status dry_run, or the refusal; nothing is sent or recorded"`
}

// MarkReadArgs are mark_conversation_read's arguments.
type MarkReadArgs struct {
	ConversationID string `json:"conversation_id" jsonschema:"the conversation id (sapi_dm_…) to mark read"`
}

// ListAccountsArgs are list_accounts' arguments.
type ListAccountsArgs struct {
	BrandID  string `json:"brand_id,omitempty" jsonschema:"only accounts of this brand (a brand_… id)"`
	Platform string `json:"platform,omitempty" jsonschema:"only accounts on this platform"`
	Status   string `json:"status,omitempty" jsonschema:"only accounts in this state; reauth_required accounts must be reconnected before use"`
	Limit    int    `json:"limit,omitempty" jsonschema:"page size, 1-100 (default 25)"`
	Cursor   string `json:"cursor,omitempty" jsonschema:"pagination.next_cursor of the previous page, unchanged, to get the next page"`
}

// ListTemplatesArgs are list_whatsapp_templates' arguments.
type ListTemplatesArgs struct {
	AccountID string `json:"account_id" jsonschema:"the WhatsApp account id (acct_…) from list_accounts"`
	Refresh   bool   `json:"refresh,omitempty" jsonschema:"true to ask WhatsApp again instead of using the list cached for a few minutes (use after a template was just approved)"`
}

// MarkReadResult is mark_conversation_read's data (REST answers 204).
type MarkReadResult struct {
	ConversationID string `json:"conversation_id"`
	Read           bool   `json:"read"`
}

func ptr[T any](v T) *T { return &v }

// inputSchema infers T's schema and lets the caller add what struct tags
// cannot say (enums, bounds), so a model calls the tool right the first time.
func inputSchema[T any](tweak func(props map[string]*jsonschema.Schema)) *jsonschema.Schema {
	s, err := jsonschema.For[T](nil)
	if err != nil {
		panic(err) // the argument types are static; a failure is a programming error
	}
	if tweak != nil {
		tweak(s.Properties)
	}
	return s
}

func pageBounds(p map[string]*jsonschema.Schema) {
	p["limit"].Minimum, p["limit"].Maximum, p["limit"].Default = ptr(1.0), ptr(float64(maxLimit)), json.RawMessage("25")
	p["cursor"].MaxLength = ptr(maxCursor)
}

// schemas are built once: the HTTP handler builds a server per request, and
// the SDK's schema cache recognises a schema by its pointer.
var schemas = struct {
	listConversations, getConversation, listMessages, sendDM, markRead, listAccounts, listTemplates *jsonschema.Schema
}{
	listConversations: inputSchema[ListConversationsArgs](func(p map[string]*jsonschema.Schema) {
		p["platform"].Enum = platforms
		p["status"].Enum = []any{"active", "archived"}
		pageBounds(p)
	}),
	getConversation: inputSchema[GetConversationArgs](func(p map[string]*jsonschema.Schema) {
		p["conversation_id"].MinLength = ptr(1)
		p["id"].MinLength, p["id"].Deprecated = ptr(1), true
		p["message_limit"].Minimum, p["message_limit"].Maximum = ptr(1.0), ptr(float64(maxLimit))
		p["message_limit"].Default = json.RawMessage(fmt.Sprint(defaultTranscript))
	}),
	listMessages: inputSchema[ListMessagesArgs](func(p map[string]*jsonschema.Schema) {
		p["conversation_id"].MinLength = ptr(1)
		pageBounds(p)
	}),
	sendDM: inputSchema[SendDMArgs](func(p map[string]*jsonschema.Schema) {
		p["conversation_id"].MinLength = ptr(1)
		// Only HUMAN_AGENT: Meta retired the other tags in 2026 (rules.RetiredTags).
		p["tag"].Enum = []any{"HUMAN_AGENT"}
		p["attachment"].Properties["type"].Enum = []any{"image", "video", "audio", "file"}
		p["idempotency_key"].MaxLength = ptr(255)
	}),
	markRead: inputSchema[MarkReadArgs](func(p map[string]*jsonschema.Schema) { p["conversation_id"].MinLength = ptr(1) }),
	listAccounts: inputSchema[ListAccountsArgs](func(p map[string]*jsonschema.Schema) {
		p["platform"].Enum = platforms
		p["status"].Enum = []any{"active", "reauth_required", "disabled"}
		pageBounds(p)
	}),
	listTemplates: inputSchema[ListTemplatesArgs](func(p map[string]*jsonschema.Schema) { p["account_id"].MinLength = ptr(1) }),
}

func (t tools) register(s *mcp.Server) {
	readOnly := &mcp.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: ptr(true)}

	mcp.AddTool(s, &mcp.Tool{
		Name:  ToolListConversations,
		Title: "List conversations",
		Description: "List direct-message conversations across every connected account (Instagram, Messenger, WhatsApp, LinkedIn, X), newest first. " +
			"Each has an id (sapi_dm_…) for get_conversation, send_dm and mark_conversation_read, the last message, unread_count and reply_window (can a reply be sent now). " +
			"Page with pagination.next_cursor. When some accounts could not be read, meta.partial is true and meta.failures says which and why; the others are still listed.",
		Annotations: withTitle(readOnly, "List conversations"),
		InputSchema: schemas.listConversations,
	}, t.listConversations)

	mcp.AddTool(s, &mcp.Tool{
		Name:  ToolGetConversation,
		Title: "Read a conversation",
		Description: "Read one conversation before answering it: the customer, its reply_window and its most recent messages (message_limit, default 20) " +
			"oldest first, each with direction (incoming = the customer, outgoing = the business), sender, text, attachments, created_at and status. " +
			"reply_window says what send_dm may do now: open (a plain reply is allowed), closes_at (when that ends), human_agent_until (until when a person may still reply with tag HUMAN_AGENT), " +
			"allowed_tags (tags usable now) and requires_template (WhatsApp: only an approved template may be sent). " +
			"To read further back, pass older_messages_cursor to list_messages. The argument id is a deprecated name for conversation_id.",
		Annotations: withTitle(readOnly, "Read a conversation"),
		InputSchema: schemas.getConversation,
	}, t.getConversation)

	mcp.AddTool(s, &mcp.Tool{
		Name:  ToolListMessages,
		Title: "Read older messages",
		Description: "Page back through a conversation's history when get_conversation's transcript is not enough. " +
			"Each page holds the limit messages before the cursor, oldest first; start with get_conversation's older_messages_cursor, " +
			"then pass pagination.next_cursor to go further back. meta.history_truncated means the platform keeps no older messages for the API.",
		Annotations: withTitle(readOnly, "Read older messages"),
		InputSchema: schemas.listMessages,
	}, t.listMessages)

	mcp.AddTool(s, &mcp.Tool{
		Name:  ToolSendDM,
		Title: "Send a direct message",
		Description: "Send a direct message to the customer of a conversation, on its platform, as the business. This really delivers a message and cannot be undone. " +
			"Send text and/or one attachment, or on WhatsApp outside the 24 h window an approved template. Messaging rules are checked before anything is sent: " +
			"when the reply window is closed the call fails with error.code conversation.window_closed and error.meta lists the options that remain (a tag or a template). " +
			"Pass idempotency_key so a retry returns the first outcome instead of sending twice. " +
			"With dry_run true the same rules run but nothing is sent: use it to learn whether a reply would go through, and what would be sent.",
		Annotations: &mcp.ToolAnnotations{Title: "Send a direct message", DestructiveHint: ptr(true), OpenWorldHint: ptr(true)},
		InputSchema: schemas.sendDM,
	}, t.sendDM)

	mcp.AddTool(s, &mcp.Tool{
		Name:        ToolMarkConversationRead,
		Title:       "Mark a conversation read",
		Description: "Mark a conversation as read on its platform (the customer may see a read receipt) and reset its unread_count.",
		Annotations: &mcp.ToolAnnotations{Title: "Mark a conversation read", IdempotentHint: true, DestructiveHint: ptr(false), OpenWorldHint: ptr(true)},
		InputSchema: schemas.markRead,
	}, t.markRead)

	mcp.AddTool(s, &mcp.Tool{
		Name:  ToolListAccounts,
		Title: "List connected accounts",
		Description: "List the connected business accounts: id (acct_…), brand_id, platform, display_name and status. " +
			"An account with status reauth_required must be reconnected by its owner before it can be read or used to send.",
		Annotations: &mcp.ToolAnnotations{Title: "List connected accounts", ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: ptr(false)},
		InputSchema: schemas.listAccounts,
	}, t.listAccounts)

	mcp.AddTool(s, &mcp.Tool{
		Name:  ToolListWhatsAppTemplates,
		Title: "List WhatsApp templates",
		Description: "List a WhatsApp account's message templates: name, language, status, category and components. " +
			"Only templates with status APPROVED can be sent, through send_dm's template argument; outside the 24 h customer-service window they are the only thing WhatsApp accepts.",
		Annotations: withTitle(readOnly, "List WhatsApp templates"),
		InputSchema: schemas.listTemplates,
	}, t.listTemplates)
}

func withTitle(a *mcp.ToolAnnotations, title string) *mcp.ToolAnnotations {
	c := *a
	c.Title = title
	return &c
}

// page validates limit and cursor exactly as REST does (the schema also
// says so, but a client may skip schema validation).
func page(limit int, cursor string) (int, error) {
	if limit == 0 {
		limit = defaultLimit
	}
	if limit < 1 || limit > maxLimit {
		return 0, apierr.BadLimit(1, maxLimit)
	}
	if len(cursor) > maxCursor {
		return 0, apierr.BadCursor()
	}
	return limit, nil
}

func (t tools) listConversations(ctx context.Context, _ *mcp.CallToolRequest, in ListConversationsArgs) (*mcp.CallToolResult, client.List[apitype.Conversation], error) {
	limit, err := page(in.Limit, in.Cursor)
	if err != nil {
		return nil, client.List[apitype.Conversation]{}, err
	}
	l, err := t.b.ListConversations(ctx, client.ConversationQuery{AccountID: in.AccountID, Platform: in.Platform, BrandID: in.BrandID,
		Status: in.Status, Unread: in.Unread, Limit: limit, Cursor: in.Cursor})
	if l.Data == nil {
		l.Data = []apitype.Conversation{}
	}
	return nil, l, err
}

// conversationID reads get_conversation's id under either name; both
// given must agree, or the call is ambiguous.
func (in GetConversationArgs) conversationID() (string, error) {
	id, old := strings.TrimSpace(in.ConversationID), strings.TrimSpace(in.ID)
	switch {
	case id == "" && old == "":
		return "", apierr.Required("conversation_id")
	case id != "" && old != "" && id != old:
		return "", apierr.Invalid("id", "id is a deprecated name for conversation_id; give only conversation_id")
	case id == "":
		return old, nil
	}
	return id, nil
}

func (t tools) getConversation(ctx context.Context, _ *mcp.CallToolRequest, in GetConversationArgs) (*mcp.CallToolResult, client.Single[ConversationTranscript], error) {
	var out client.Single[ConversationTranscript]
	id, err := in.conversationID()
	if err != nil {
		return nil, out, err
	}
	limit := in.MessageLimit
	if limit == 0 {
		limit = defaultTranscript
	}
	if limit < 1 || limit > maxLimit {
		return nil, out, apierr.BadLimit(1, maxLimit).With("field", "message_limit")
	}
	out.Data, err = t.transcript(ctx, id, limit)
	return nil, out, err
}

// oldestFirst turns a newest-first page into a transcript; it never
// returns nil, so the JSON says [] rather than null.
func oldestFirst(ms []apitype.Message) []apitype.Message {
	out := make([]apitype.Message, len(ms))
	for i, m := range ms {
		out[len(ms)-1-i] = m
	}
	return out
}

func (t tools) listMessages(ctx context.Context, _ *mcp.CallToolRequest, in ListMessagesArgs) (*mcp.CallToolResult, client.List[apitype.Message], error) {
	limit, err := page(in.Limit, in.Cursor)
	if err != nil {
		return nil, client.List[apitype.Message]{}, err
	}
	l, err := t.b.ListMessages(ctx, strings.TrimSpace(in.ConversationID), limit, in.Cursor)
	l.Data = oldestFirst(l.Data)
	return nil, l, err
}

func (t tools) sendDM(ctx context.Context, _ *mcp.CallToolRequest, in SendDMArgs) (*mcp.CallToolResult, client.Single[apitype.Message], error) {
	si := apitype.SendInput{Text: in.Text, Tag: in.Tag, Automated: in.Automated, IdempotencyKey: in.IdempotencyKey, DryRun: in.DryRun}
	if in.Attachment != nil {
		si.Attachment = &apitype.Attachment{Type: in.Attachment.Type, URL: in.Attachment.URL}
	}
	if in.Template != nil {
		si.Template = &apitype.Template{Name: in.Template.Name, Language: in.Template.Language, Components: in.Template.Components}
	}
	for _, a := range in.Attachments {
		si.Attachments = append(si.Attachments, apitype.Attachment{Type: a.Type, URL: a.URL})
	}
	si.QuickReplies, si.Buttons, si.Cards, si.ReplyToMessageID = in.QuickReplies, in.Buttons, in.Cards, in.ReplyToMessageID
	m, err := t.b.SendMessage(ctx, strings.TrimSpace(in.ConversationID), si)
	if err != nil {
		return nil, client.Single[apitype.Message]{}, err
	}
	res := &mcp.CallToolResult{}
	if in.DryRun {
		res.Meta = mcp.Meta{"dry_run": true}
	}
	if m.Replayed {
		// REST says so in the Idempotent-Replayed header; MCP results have
		// _meta for what is not part of the data.
		res.Meta = mcp.Meta{"idempotent_replayed": true}
	}
	return res, client.Single[apitype.Message]{Data: m}, nil
}

func (t tools) markRead(ctx context.Context, _ *mcp.CallToolRequest, in MarkReadArgs) (*mcp.CallToolResult, client.Single[MarkReadResult], error) {
	id := strings.TrimSpace(in.ConversationID)
	if err := t.b.MarkRead(ctx, id); err != nil {
		return nil, client.Single[MarkReadResult]{}, err
	}
	return nil, client.Single[MarkReadResult]{Data: MarkReadResult{ConversationID: id, Read: true}}, nil
}

func (t tools) listAccounts(ctx context.Context, _ *mcp.CallToolRequest, in ListAccountsArgs) (*mcp.CallToolResult, client.List[apitype.Account], error) {
	limit, err := page(in.Limit, in.Cursor)
	if err != nil {
		return nil, client.List[apitype.Account]{}, err
	}
	l, err := t.b.ListAccounts(ctx, client.AccountQuery{BrandID: in.BrandID, Platform: in.Platform, Status: in.Status, Limit: limit, Cursor: in.Cursor})
	if l.Data == nil {
		l.Data = []apitype.Account{}
	}
	return nil, l, err
}

func (t tools) listTemplates(ctx context.Context, _ *mcp.CallToolRequest, in ListTemplatesArgs) (*mcp.CallToolResult, client.List[apitype.TemplateInfo], error) {
	list, err := t.b.ListWhatsAppTemplates(ctx, strings.TrimSpace(in.AccountID), in.Refresh)
	if list == nil {
		list = []apitype.TemplateInfo{}
	}
	return nil, client.List[apitype.TemplateInfo]{Data: list, Pagination: client.Pagination{Limit: len(list)}}, err
}

// renderErrors turns every failed tools/call into the REST error envelope:
// a domain refusal keeps its code and meta, an argument the SDK's schema
// validation rejected becomes a validation.* error naming the field, and
// anything else is system.internal (the cause is logged, never shown).
// Error results carry no structuredContent: it would have to match the
// tool's output schema, which describes success.
func (t tools) renderErrors(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		res, err := next(ctx, method, req)
		r, ok := res.(*mcp.CallToolResult)
		if method != "tools/call" || err != nil || !ok || r == nil || !r.IsError {
			return res, err
		}
		name := ""
		if p, ok := req.GetParams().(*mcp.CallToolParamsRaw); ok {
			name = p.Name
		}
		body := t.errorBody(ctx, name, r.GetError(), textOf(r))
		b, _ := json.Marshal(body)
		out := &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: string(b)}}}
		out.SetError(r.GetError())
		return out, nil
	}
}

func textOf(r *mcp.CallToolResult) string {
	for _, c := range r.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			return tc.Text
		}
	}
	return ""
}

var (
	// jsonschema-go nests one "validating /properties/<path>: " per level,
	// ending with the innermost failure.
	schemaLevel   = regexp.MustCompile(`^validating (/properties/[^:]+): `)
	schemaMissing = regexp.MustCompile(`^required: missing properties: \["([^"]+)"`)
	schemaExtra   = regexp.MustCompile(`unexpected additional properties \["([^"]+)"`)
)

// schemaError maps the SDK's argument validation failure to REST's codes:
// validation.required, validation.unknown_field or validation.invalid_field
// with the dotted field name (attachment.type), as REST names body fields.
func schemaError(tool, text string) client.ErrorDetail {
	rest := strings.TrimPrefix(text, `validating "arguments": `)
	rest = strings.TrimPrefix(rest, "validating root: ")
	var path []string
	for m := schemaLevel.FindStringSubmatch(rest); m != nil; m = schemaLevel.FindStringSubmatch(rest) {
		path = strings.Split(strings.TrimPrefix(m[1], "/properties/"), "/properties/")
		rest = rest[len(m[0]):]
	}
	code := "validation.invalid_field"
	if m := schemaMissing.FindStringSubmatch(rest); m != nil {
		code, path = "validation.required", append(path, m[1])
	} else if m := schemaExtra.FindStringSubmatch(rest); m != nil {
		code, path = "validation.unknown_field", append(path, m[1])
	}
	d := client.ErrorDetail{Code: code, Meta: map[string]any{"tool": tool}}
	if len(path) == 0 {
		d.Code = "validation.invalid_arguments"
		d.Message = "the arguments do not match the tool's input schema: " + rest
		return d
	}
	field := strings.Join(path, ".")
	d.Meta["field"] = field
	d.Message = fmt.Sprintf("argument %s: %s (see the tool's input schema)", field, rest)
	return d
}

func (t tools) errorBody(ctx context.Context, tool string, err error, text string) client.ErrorBody {
	var body client.ErrorBody
	var ce *client.Error
	if errors.As(err, &ce) {
		body.RequestID = ce.RequestID
	}
	if e, ok := apierr.As(err); ok {
		body.Error = client.ErrorDetail{Code: e.Code, Message: e.Message, Meta: e.Meta}
		return body
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		body.Error = client.ErrorDetail{Code: "system.timeout", Message: "the request took too long; try again"}
		return body
	case strings.HasPrefix(text, `validating "arguments"`):
		// The SDK refused the arguments before the tool ran.
		body.Error = schemaError(tool, text)
		return body
	case strings.HasPrefix(text, "unmarshaling") || strings.HasPrefix(text, "json: "):
		body.Error = client.ErrorDetail{Code: "validation.invalid_arguments", Message: "the arguments could not be read: " + text,
			Meta: map[string]any{"tool": tool}}
		return body
	}
	t.log.ErrorContext(ctx, "mcp tool failed", "tool", tool, "err", err)
	e := apierr.Internal()
	body.Error = client.ErrorDetail{Code: e.Code, Message: e.Message}
	return body
}
