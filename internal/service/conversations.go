package service

import (
	"context"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/store"
)

// Conversations, messages, sends (with their idempotency keys and rate
// limits), the platforms' capability matrix, WhatsApp usage and WhatsApp
// templates are the inbox capability (internal/inbox); these names and
// methods are its front for the transports.

// ConversationFilter narrows the inbox list (DESIGN §1).
type ConversationFilter = inbox.ConversationFilter

// IdempotencyTTL is how long a key's first outcome is replayed.
const IdempotencyTTL = inbox.IdempotencyTTL

// ListConversations lists conversations across the caller's accounts,
// newest first; an account that fails is reported in List.Partial.
func (s *Service) ListConversations(ctx context.Context, c Caller, f ConversationFilter) (List[Conversation], error) {
	return s.inbox.ListConversations(ctx, c, f)
}

// GetConversation reads one conversation, with its reply window.
func (s *Service) GetConversation(ctx context.Context, c Caller, id string) (Conversation, error) {
	return s.inbox.GetConversation(ctx, c, id)
}

// ListMessages reads a conversation's history live from the platform, newest first.
func (s *Service) ListMessages(ctx context.Context, c Caller, id string, p PageRequest) (List[Message], error) {
	return s.inbox.ListMessages(ctx, c, id, p)
}

// UpdateConversation archives a conversation or makes it active again.
func (s *Service) UpdateConversation(ctx context.Context, c Caller, id string, in apitype.ConversationUpdate) (Conversation, error) {
	return s.inbox.UpdateConversation(ctx, c, id, in)
}

// MarkRead marks a conversation as read on the platform.
func (s *Service) MarkRead(ctx context.Context, c Caller, id string) error {
	return s.inbox.MarkRead(ctx, c, id)
}

// SendMessage sends a message into a conversation, after the messaging rules
// allow it. With an idempotency key, the first outcome is replayed.
func (s *Service) SendMessage(ctx context.Context, c Caller, id string, in SendInput) (Message, error) {
	return s.inbox.SendMessage(ctx, c, id, in)
}

// Platforms returns the capability matrix of every known platform.
func (s *Service) Platforms() []PlatformInfo { return s.inbox.Platforms() }

// ListPlatforms pages through the capability matrix, in its fixed order.
func (s *Service) ListPlatforms(p PageRequest) (List[PlatformInfo], error) {
	return s.inbox.ListPlatforms(p)
}

// WhatsAppUsage counts an account's WhatsApp messages by month, pricing
// category and whether they were free.
func (s *Service) WhatsAppUsage(ctx context.Context, c Caller, accountID, month string, p PageRequest) (List[store.UsageRow], error) {
	return s.inbox.WhatsAppUsage(ctx, c, accountID, month, p)
}

// ListWhatsAppTemplates lists an account's message templates. refresh asks
// the platform again instead of answering from the cache.
func (s *Service) ListWhatsAppTemplates(ctx context.Context, c Caller, accountID string, refresh bool) ([]platform.TemplateInfo, error) {
	return s.inbox.ListWhatsAppTemplates(ctx, c, accountID, refresh)
}

// TemplatePage pages an account's message templates in name, then
// language, order.
func (s *Service) TemplatePage(ctx context.Context, c Caller, accountID string, refresh bool, p PageRequest) (List[platform.TemplateInfo], error) {
	return s.inbox.TemplatePage(ctx, c, accountID, refresh, p)
}
