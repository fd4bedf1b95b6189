package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/live"
)

// Conversations as resources (DESIGN §5): parley://conversations/{id},
// whose content is get_conversation's data (the conversation, its window
// and its recent transcript) as JSON.
const (
	conversationScheme   = "parley://conversations/"
	conversationTemplate = conversationScheme + "{conversation_id}"
	// PromptReplyToCustomer bundles a conversation into a reply instruction.
	PromptReplyToCustomer = "reply_to_customer"
)

// ConversationURI is a conversation's resource URI.
func ConversationURI(id string) string { return conversationScheme + id }

func conversationOfURI(uri string) (string, error) {
	id, ok := strings.CutPrefix(uri, conversationScheme)
	if !ok || id == "" || strings.ContainsAny(id, "/?#") {
		return "", apierr.Invalid("uri", "a conversation resource is %s", conversationTemplate)
	}
	return id, nil
}

// transcript is get_conversation's data for id with its limit most recent
// messages.
func (t tools) transcript(ctx context.Context, id string, limit int) (ConversationTranscript, error) {
	c, err := t.b.GetConversation(ctx, id)
	if err != nil {
		return ConversationTranscript{}, err
	}
	page, err := t.b.ListMessages(ctx, id, limit, "")
	if err != nil {
		return ConversationTranscript{}, err
	}
	out := ConversationTranscript{Conversation: c, Messages: oldestFirst(page.Data)}
	if page.Pagination.NextCursor != nil {
		out.OlderMessagesCursor = *page.Pagination.NextCursor
	}
	out.HistoryTruncated = page.Meta != nil && page.Meta.HistoryTruncated
	return out, nil
}

// resourceError carries a refusal to a resource or prompt request as a
// JSON-RPC error whose data is the REST error body.
func (t tools) resourceError(ctx context.Context, err error) error {
	body := t.errorBody(ctx, "", err, "")
	raw, _ := json.Marshal(body)
	code := int64(jsonrpc.CodeInternalError)
	if _, ok := apierr.As(err); ok {
		// The request named something it cannot have (the spec's code for
		// an unknown resource too); data says which, as REST would.
		code = jsonrpc.CodeInvalidParams
	}
	return &jsonrpc.Error{Code: code, Message: body.Error.Code + ": " + body.Error.Message, Data: raw}
}

func (t tools) readConversation(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
	id, err := conversationOfURI(req.Params.URI)
	if err != nil {
		return nil, t.resourceError(ctx, err)
	}
	tr, err := t.transcript(ctx, id, defaultTranscript)
	if err != nil {
		return nil, t.resourceError(ctx, err)
	}
	raw, err := json.Marshal(tr)
	if err != nil {
		return nil, err
	}
	return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: req.Params.URI, MIMEType: "application/json", Text: string(raw)}}}, nil
}

// listResources answers resources/list with the conversations, newest
// first, a page of REST's list per page.
func (t tools) listResources(ctx context.Context, req *mcp.ListResourcesRequest) (*mcp.ListResourcesResult, error) {
	cursor := ""
	if req.Params != nil {
		cursor = req.Params.Cursor
	}
	if _, err := page(0, cursor); err != nil {
		return nil, t.resourceError(ctx, err)
	}
	l, err := t.b.ListConversations(ctx, client.ConversationQuery{Limit: defaultLimit, Cursor: cursor})
	if err != nil {
		return nil, t.resourceError(ctx, err)
	}
	out := &mcp.ListResourcesResult{Resources: make([]*mcp.Resource, 0, len(l.Data))}
	for _, c := range l.Data {
		out.Resources = append(out.Resources, conversationResource(c))
	}
	if l.Pagination.NextCursor != nil {
		out.NextCursor = *l.Pagination.NextCursor
	}
	return out, nil
}

func conversationResource(c apitype.Conversation) *mcp.Resource {
	who := c.ParticipantName
	if who == "" {
		who = c.ParticipantID
	}
	return &mcp.Resource{URI: ConversationURI(c.ID), Name: c.ID, Title: fmt.Sprintf("%s on %s", who, c.Platform), MIMEType: "application/json",
		Description: "Last message: " + c.LastMessage}
}

// subscribe admits a subscription only to a conversation the caller can
// read, so a session learns nothing of another organisation's ids.
func (t tools) subscribe(ctx context.Context, req *mcp.SubscribeRequest) error {
	id, err := conversationOfURI(req.Params.URI)
	if err != nil {
		return t.resourceError(ctx, err)
	}
	if _, err := t.b.GetConversation(ctx, id); err != nil {
		return t.resourceError(ctx, err)
	}
	return nil
}

// watch forwards orgID's committed events to the listen streams of s,
// whose subscriptions the SDK matches by URI, until ctx ends. A message
// also changes the conversation list (the conversation moves to the top,
// or appears), so it is announced as resources/list_changed too.
func watch(ctx context.Context, s *mcp.Server, sub *live.Sub, read mcp.ResourceHandler) {
	for {
		select {
		case <-ctx.Done():
			return
		case c := <-sub.C():
			if c.ConversationID == "" {
				continue
			}
			uri := ConversationURI(c.ConversationID)
			_ = s.ResourceUpdated(ctx, &mcp.ResourceUpdatedNotificationParams{URI: uri})
			if strings.HasPrefix(c.Type, "message.received") || strings.HasPrefix(c.Type, "message.sent") {
				// Adding the resource is how the SDK sends list_changed
				// (debounced); this server lives only as long as the stream.
				s.AddResource(&mcp.Resource{URI: uri, Name: c.ConversationID, MIMEType: "application/json"}, read)
			}
		}
	}
}

// ReplyArgs are reply_to_customer's arguments.
type ReplyArgs struct {
	ConversationID string `json:"conversation_id"`
	Tone           string `json:"tone"`
}

func (t tools) replyPrompt(ctx context.Context, req *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
	id := strings.TrimSpace(req.Params.Arguments["conversation_id"])
	if id == "" {
		return nil, t.resourceError(ctx, apierr.Required("conversation_id"))
	}
	tone := strings.TrimSpace(req.Params.Arguments["tone"])
	if tone == "" {
		tone = "friendly and concise"
	}
	tr, err := t.transcript(ctx, id, defaultTranscript)
	if err != nil {
		return nil, t.resourceError(ctx, err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "You are replying, as the business, to a customer on %s in Parley conversation %s. Tone: %s.\n\n", tr.Platform, tr.ID, tone)
	b.WriteString("Transcript, oldest first (incoming = the customer, outgoing = the business):\n")
	for _, m := range tr.Messages {
		who := "Customer"
		if m.Direction == "outgoing" {
			who = "Business"
		}
		text := m.Text
		if len(m.Attachments) > 0 {
			text += fmt.Sprintf(" [%d attachment(s)]", len(m.Attachments))
		}
		fmt.Fprintf(&b, "- %s %s: %s\n", m.CreatedAt.Format("2006-01-02 15:04 MST"), who, text)
	}
	b.WriteString("\n" + windowRules(tr.Platform, tr.ReplyWindow))
	fmt.Fprintf(&b, "\nDraft the reply, then send it with send_dm (conversation_id %q, automated true unless a person approved the text, "+
		"and an idempotency_key). Use dry_run true first if unsure: it checks every rule without sending.", tr.ID)
	return &mcp.GetPromptResult{
		Description: "Reply to the customer in " + tr.ID,
		Messages:    []*mcp.PromptMessage{{Role: "user", Content: &mcp.TextContent{Text: b.String()}}},
	}, nil
}

// windowRules says in words what the reply window allows now.
func windowRules(platform string, w apitype.ReplyWindow) string {
	var b strings.Builder
	switch {
	case w.Open && w.ClosesAt != nil:
		fmt.Fprintf(&b, "The reply window is open until %s: a plain reply may be sent.", w.ClosesAt.UTC().Format("2006-01-02 15:04 MST"))
	case w.Open:
		b.WriteString("A plain reply may be sent now.")
	case w.RequiresTemplate:
		b.WriteString("The 24-hour window is closed: WhatsApp accepts only an APPROVED template now (find one with list_whatsapp_templates and pass it as send_dm's template).")
	case len(w.AllowedTags) > 0:
		fmt.Fprintf(&b, "The standard window is closed; only a message tagged %s may be sent", strings.Join(w.AllowedTags, " or "))
		if w.HumanAgentUntil != nil {
			fmt.Fprintf(&b, " (HUMAN_AGENT until %s, and only when a person writes it: not with automated true)", w.HumanAgentUntil.UTC().Format("2006-01-02 15:04 MST"))
		}
		b.WriteString(".")
	default:
		b.WriteString("The reply window is closed: no message can be sent now. Tell the person you work for instead of retrying.")
	}
	switch platform {
	case "instagram", "messenger":
		b.WriteString(" Meta allows replies within 24 hours of the customer's last message; HUMAN_AGENT extends that to 7 days for a person.")
	case "whatsapp":
		b.WriteString(" WhatsApp allows free-form replies within 24 hours of the customer's last message; after that only approved templates.")
	case "x":
		b.WriteString(" X limits sends to 15 per 15 minutes per account.")
	}
	return b.String()
}
