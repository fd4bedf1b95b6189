package mcpserver

import (
	"context"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/service"
)

// ServiceBackend runs the tools in-process, for one authenticated caller.
// Each backend call counts as one request against the caller's API key
// quota, as the REST request it stands for does (get_conversation makes two:
// the conversation and its recent messages), and is refunded when the
// platform throttled it.
type ServiceBackend struct {
	Svc    *service.Service
	Caller service.Caller
}

var _ Backend = ServiceBackend{}

// charge runs fn after counting it against the key's quota.
func (b ServiceBackend) charge(ctx context.Context, fn func() error) error {
	if _, err := b.Svc.ChargeQuota(ctx, b.Caller); err != nil {
		return err
	}
	err := fn()
	if service.IsPlatformThrottle(err) {
		b.Svc.RefundQuota(context.WithoutCancel(ctx), b.Caller)
	}
	return err
}

// ListConversations implements Backend.
func (b ServiceBackend) ListConversations(ctx context.Context, q client.ConversationQuery) (out client.List[service.Conversation], err error) {
	err = b.charge(ctx, func() error {
		l, err := b.Svc.ListConversations(ctx, b.Caller, service.ConversationFilter{
			PageRequest: service.PageRequest{Cursor: q.Cursor, Limit: q.Limit},
			AccountID:   q.AccountID, Platform: q.Platform, BrandID: q.BrandID, Status: q.Status, Unread: q.Unread})
		out = l.Envelope()
		return err
	})
	return out, err
}

// GetConversation implements Backend.
func (b ServiceBackend) GetConversation(ctx context.Context, id string) (out service.Conversation, err error) {
	err = b.charge(ctx, func() error {
		out, err = b.Svc.GetConversation(ctx, b.Caller, id)
		return err
	})
	return out, err
}

// ListMessages implements Backend.
func (b ServiceBackend) ListMessages(ctx context.Context, id string, limit int, cursor string) (out client.List[service.Message], err error) {
	err = b.charge(ctx, func() error {
		l, err := b.Svc.ListMessages(ctx, b.Caller, id, service.PageRequest{Cursor: cursor, Limit: limit})
		out = l.Envelope()
		return err
	})
	return out, err
}

// SendMessage implements Backend.
func (b ServiceBackend) SendMessage(ctx context.Context, id string, in service.SendInput) (out service.Message, err error) {
	err = b.charge(ctx, func() error {
		out, err = b.Svc.SendMessage(ctx, b.Caller, id, in)
		return err
	})
	return out, err
}

// MarkRead implements Backend.
func (b ServiceBackend) MarkRead(ctx context.Context, id string) error {
	return b.charge(ctx, func() error { return b.Svc.MarkRead(ctx, b.Caller, id) })
}

// ListAccounts implements Backend.
func (b ServiceBackend) ListAccounts(ctx context.Context, q client.AccountQuery) (out client.List[service.Account], err error) {
	err = b.charge(ctx, func() error {
		l, err := b.Svc.ListAccounts(ctx, b.Caller, service.AccountFilter{PageRequest: service.PageRequest{Cursor: q.Cursor, Limit: q.Limit},
			BrandID: q.BrandID, Platform: q.Platform, Status: q.Status})
		out = l.Envelope()
		return err
	})
	return out, err
}

// ListWhatsAppTemplates implements Backend.
func (b ServiceBackend) ListWhatsAppTemplates(ctx context.Context, accountID string, refresh bool) (out []apitype.TemplateInfo, err error) {
	err = b.charge(ctx, func() error {
		out, err = b.Svc.ListWhatsAppTemplates(ctx, b.Caller, accountID, refresh)
		return err
	})
	return out, err
}
