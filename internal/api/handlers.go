package api

import (
	"context"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/service"
	"github.com/parleyhq/parley/internal/store"
)

// Each handler calls the service once with what its route declares; the
// wrapper (serve) decoded the request and renders the answer.

func (a *API) listBrands(ctx context.Context, c service.Caller, p *params, _ none) (service.List[service.Brand], error) {
	return a.svc.ListBrands(ctx, c, p.pageRequest())
}

func (a *API) createBrand(ctx context.Context, c service.Caller, _ *params, in service.BrandInput) (service.Brand, error) {
	return a.svc.CreateBrand(ctx, c, in)
}

func (a *API) getBrand(ctx context.Context, c service.Caller, p *params, _ none) (service.Brand, error) {
	return a.svc.GetBrand(ctx, c, p.id())
}

func (a *API) updateBrand(ctx context.Context, c service.Caller, p *params, in service.BrandInput) (service.Brand, error) {
	return a.svc.UpdateBrand(ctx, c, p.id(), in)
}

func (a *API) deleteBrand(ctx context.Context, c service.Caller, p *params, _ none) (none, error) {
	return none{}, a.svc.DeleteBrand(ctx, c, p.id())
}

func (a *API) listAccounts(ctx context.Context, c service.Caller, p *params, _ none) (service.List[service.Account], error) {
	return a.svc.ListAccounts(ctx, c, service.AccountFilter{PageRequest: p.pageRequest(),
		BrandID: p.str("brand_id"), Platform: p.str("platform"), Status: p.str("status")})
}

func (a *API) createAccount(ctx context.Context, c service.Caller, _ *params, in service.AccountInput) (service.Account, error) {
	return a.svc.CreateAccount(ctx, c, in)
}

func (a *API) getAccount(ctx context.Context, c service.Caller, p *params, _ none) (service.Account, error) {
	return a.svc.GetAccount(ctx, c, p.id())
}

func (a *API) updateAccount(ctx context.Context, c service.Caller, p *params, in service.AccountUpdate) (service.Account, error) {
	return a.svc.UpdateAccount(ctx, c, p.id(), in)
}

func (a *API) deleteAccount(ctx context.Context, c service.Caller, p *params, _ none) (none, error) {
	return none{}, a.svc.DeleteAccount(ctx, c, p.id())
}

func (a *API) usage(ctx context.Context, c service.Caller, p *params, _ none) (service.List[store.UsageRow], error) {
	return a.svc.WhatsAppUsage(ctx, c, p.id(), p.str("month"), p.pageRequest())
}

func (a *API) templates(ctx context.Context, c service.Caller, p *params, _ none) (service.List[platform.TemplateInfo], error) {
	refresh := p.flag("refresh")
	return a.svc.TemplatePage(ctx, c, p.id(), refresh != nil && *refresh, p.pageRequest())
}

func (a *API) platforms(_ context.Context, _ service.Caller, p *params, _ none) (service.List[service.PlatformInfo], error) {
	return a.svc.ListPlatforms(p.pageRequest())
}

func (a *API) listWebhooks(ctx context.Context, c service.Caller, p *params, _ none) (service.List[service.WebhookEndpoint], error) {
	return a.svc.ListWebhooks(ctx, c, p.pageRequest())
}

func (a *API) createWebhook(ctx context.Context, c service.Caller, _ *params, in service.WebhookInput) (service.WebhookEndpoint, error) {
	return a.svc.CreateWebhook(ctx, c, in)
}

func (a *API) getWebhook(ctx context.Context, c service.Caller, p *params, _ none) (service.WebhookEndpoint, error) {
	return a.svc.GetWebhook(ctx, c, p.id())
}

func (a *API) updateWebhook(ctx context.Context, c service.Caller, p *params, in service.WebhookInput) (service.WebhookEndpoint, error) {
	return a.svc.UpdateWebhook(ctx, c, p.id(), in)
}

func (a *API) deleteWebhook(ctx context.Context, c service.Caller, p *params, _ none) (none, error) {
	return none{}, a.svc.DeleteWebhook(ctx, c, p.id())
}

func (a *API) rotateWebhook(ctx context.Context, c service.Caller, p *params, _ none) (service.WebhookEndpoint, error) {
	return a.svc.RotateWebhookSecret(ctx, c, p.id())
}

func (a *API) testWebhook(ctx context.Context, c service.Caller, p *params, _ none) (service.EventView, error) {
	return a.svc.TestWebhook(ctx, c, p.id())
}

func (a *API) endpointAttempts(ctx context.Context, c service.Caller, p *params, _ none) (service.List[service.DeliveryAttempt], error) {
	return a.svc.ListAttempts(ctx, c, "", p.id(), p.pageRequest())
}

func (a *API) listEvents(ctx context.Context, c service.Caller, p *params, _ none) (service.List[service.EventView], error) {
	return a.svc.ListEvents(ctx, c, p.pageRequest())
}

func (a *API) getEvent(ctx context.Context, c service.Caller, p *params, _ none) (service.EventView, error) {
	return a.svc.GetEvent(ctx, c, p.id())
}

func (a *API) eventAttempts(ctx context.Context, c service.Caller, p *params, _ none) (service.List[service.DeliveryAttempt], error) {
	return a.svc.ListAttempts(ctx, c, p.id(), "", p.pageRequest())
}

func (a *API) replayEvent(ctx context.Context, c service.Caller, p *params, _ none) (none, error) {
	return none{}, a.svc.ReplayEvent(ctx, c, p.id(), p.str("endpoint_id"))
}

func (a *API) listAPIKeys(ctx context.Context, c service.Caller, p *params, _ none) (service.List[service.APIKey], error) {
	return a.svc.ListAPIKeys(ctx, c, p.pageRequest())
}

func (a *API) createAPIKey(ctx context.Context, c service.Caller, _ *params, in service.CreateAPIKeyInput) (service.APIKey, error) {
	return a.svc.CreateAPIKey(ctx, c, in)
}

func (a *API) revokeAPIKey(ctx context.Context, c service.Caller, p *params, _ none) (none, error) {
	return none{}, a.svc.RevokeAPIKey(ctx, c, p.id())
}

func (a *API) listConversations(ctx context.Context, c service.Caller, p *params, _ none) (service.List[service.Conversation], error) {
	return a.svc.ListConversations(ctx, c, service.ConversationFilter{PageRequest: p.pageRequest(), AccountID: p.str("account_id"),
		Platform: p.str("platform"), BrandID: p.str("brand_id"), Status: p.str("status"), Unread: p.flag("unread")})
}

func (a *API) getConversation(ctx context.Context, c service.Caller, p *params, _ none) (service.Conversation, error) {
	return a.svc.GetConversation(ctx, c, p.id())
}

func (a *API) listMessages(ctx context.Context, c service.Caller, p *params, _ none) (service.List[service.Message], error) {
	return a.svc.ListMessages(ctx, c, p.id(), p.pageRequest())
}

// sendMessage answers the message in data and, beside it, success,
// message_id and message_ids, the hosted DM API's documented answer. They
// are derived from the message, so a replayed key answers the same body.
func (a *API) sendMessage(ctx context.Context, c service.Caller, p *params, in service.SendInput) (apitype.Sent, error) {
	in.IdempotencyKey = p.header("Idempotency-Key")
	m, err := a.svc.SendMessage(ctx, c, p.id(), in)
	if m.Replayed {
		p.out.Set("Idempotent-Replayed", "true")
	}
	return apitype.NewSent(m), err
}

// updateConversation answers the conversation in data and the hosted DM
// API's {"ok": true} beside it.
func (a *API) updateConversation(ctx context.Context, c service.Caller, p *params, in apitype.ConversationUpdate) (apitype.ConversationUpdated, error) {
	conv, err := a.svc.UpdateConversation(ctx, c, p.id(), in)
	return apitype.ConversationUpdated{Data: conv, OK: err == nil}, err
}

func (a *API) markRead(ctx context.Context, c service.Caller, p *params, _ none) (none, error) {
	return none{}, a.svc.MarkRead(ctx, c, p.id())
}
