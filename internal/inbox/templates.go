package inbox

import (
	"context"
	"net/http"
	"time"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/platform"
)

// ListWhatsAppTemplates lists an account's message templates. refresh asks
// the platform again instead of answering from the cache.
func (s *Inbox) ListWhatsAppTemplates(ctx context.Context, c domain.Caller, accountID string, refresh bool) ([]platform.TemplateInfo, error) {
	h, err := s.resolve(ctx, c, accountID)
	if err != nil {
		return nil, err
	}
	return s.templates(ctx, h, refresh)
}

// TemplatePage pages an account's message templates in name, then
// language, order.
func (s *Inbox) TemplatePage(ctx context.Context, c domain.Caller, accountID string, refresh bool, p domain.PageRequest) (domain.List[platform.TemplateInfo], error) {
	scope := "templates\x00" + accountID
	after, err := s.afterKey(scope, p.Cursor)
	if err != nil {
		return domain.List[platform.TemplateInfo]{}, err
	}
	list, err := s.ListWhatsAppTemplates(ctx, c, accountID, refresh)
	if err != nil {
		return domain.List[platform.TemplateInfo]{}, err
	}
	return pageSlice(s, scope, after, list, func(t platform.TemplateInfo) string { return t.Name + "\x00" + t.Language }, p.Limit)
}

// templateTTL bounds how stale a cached template list may be; callers can
// always force a refresh (stale templates are a known pain of other inboxes).
const templateTTL = 5 * time.Minute

type templateEntry struct {
	at   time.Time
	list []platform.TemplateInfo
}

func (s *Inbox) templates(ctx context.Context, h accountHandle, refresh bool) ([]platform.TemplateInfo, error) {
	tl, ok := h.adapter.(platform.TemplateLister)
	if !ok {
		return nil, apierr.New(http.StatusUnprocessableEntity, "validation.templates_not_supported",
			"%s accounts have no message templates", h.row.Platform).With("platform", h.row.Platform)
	}
	now := s.now()
	s.tmplMu.Lock()
	e, hit := s.tmplCache[h.row.ID]
	s.tmplMu.Unlock()
	if hit && !refresh && now.Sub(e.at) < templateTTL {
		return e.list, nil
	}
	out, err := tl.ListTemplates(ctx, h.acct)
	if err != nil {
		return nil, s.platformErr(ctx, h, err)
	}
	if out == nil {
		out = []platform.TemplateInfo{}
	}
	s.tmplMu.Lock()
	s.tmplCache[h.row.ID] = templateEntry{at: now, list: out}
	s.tmplMu.Unlock()
	return out, nil
}
