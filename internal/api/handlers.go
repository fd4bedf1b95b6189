package api

import (
	"net/http"
	"strconv"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/service"
)

// Each handler decodes, calls the service once and renders.

func (a *API) listBrands(w http.ResponseWriter, r *http.Request) {
	p, err := pageRequest(r, maxPage)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	l, err := a.svc.ListBrands(r.Context(), caller(r), p)
	renderList(a, w, r, l, err)
}

func (a *API) createBrand(w http.ResponseWriter, r *http.Request) {
	var in service.BrandInput
	if err := decode(r, w, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	b, err := a.svc.CreateBrand(r.Context(), caller(r), in)
	render(a, w, r, http.StatusCreated, b, err)
}

func (a *API) getBrand(w http.ResponseWriter, r *http.Request) {
	b, err := a.svc.GetBrand(r.Context(), caller(r), r.PathValue("id"))
	render(a, w, r, http.StatusOK, b, err)
}

func (a *API) updateBrand(w http.ResponseWriter, r *http.Request) {
	var in service.BrandInput
	if err := decode(r, w, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	b, err := a.svc.UpdateBrand(r.Context(), caller(r), r.PathValue("id"), in)
	render(a, w, r, http.StatusOK, b, err)
}

func (a *API) deleteBrand(w http.ResponseWriter, r *http.Request) {
	a.renderNoContent(w, r, a.svc.DeleteBrand(r.Context(), caller(r), r.PathValue("id")))
}

func (a *API) listAccounts(w http.ResponseWriter, r *http.Request) {
	p, err := pageRequest(r, maxPage)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	l, err := a.svc.ListAccounts(r.Context(), caller(r), service.AccountFilter{PageRequest: p,
		BrandID: q.Get("brand_id"), Platform: q.Get("platform"), Status: q.Get("status")})
	renderList(a, w, r, l, err)
}

func (a *API) createAccount(w http.ResponseWriter, r *http.Request) {
	var in service.AccountInput
	if err := decode(r, w, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	acct, err := a.svc.CreateAccount(r.Context(), caller(r), in)
	render(a, w, r, http.StatusCreated, acct, err)
}

func (a *API) getAccount(w http.ResponseWriter, r *http.Request) {
	acct, err := a.svc.GetAccount(r.Context(), caller(r), r.PathValue("id"))
	render(a, w, r, http.StatusOK, acct, err)
}

func (a *API) updateAccount(w http.ResponseWriter, r *http.Request) {
	var in service.AccountUpdate
	if err := decode(r, w, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	acct, err := a.svc.UpdateAccount(r.Context(), caller(r), r.PathValue("id"), in)
	render(a, w, r, http.StatusOK, acct, err)
}

func (a *API) deleteAccount(w http.ResponseWriter, r *http.Request) {
	a.renderNoContent(w, r, a.svc.DeleteAccount(r.Context(), caller(r), r.PathValue("id")))
}

func (a *API) usage(w http.ResponseWriter, r *http.Request) {
	p, err := pageRequest(r, maxPage)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	l, err := a.svc.WhatsAppUsage(r.Context(), caller(r), r.PathValue("id"), r.URL.Query().Get("month"), p)
	renderList(a, w, r, l, err)
}

func (a *API) templates(w http.ResponseWriter, r *http.Request) {
	p, err := pageRequest(r, maxPage)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	refresh, _ := strconv.ParseBool(r.URL.Query().Get("refresh"))
	l, err := a.svc.TemplatePage(r.Context(), caller(r), r.PathValue("id"), refresh, p)
	renderList(a, w, r, l, err)
}

func (a *API) platforms(w http.ResponseWriter, r *http.Request) {
	p, err := pageRequest(r, maxPage)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	l, err := a.svc.ListPlatforms(p)
	renderList(a, w, r, l, err)
}

func (a *API) listWebhooks(w http.ResponseWriter, r *http.Request) {
	p, err := pageRequest(r, maxPage)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	l, err := a.svc.ListWebhooks(r.Context(), caller(r), p)
	renderList(a, w, r, l, err)
}

func (a *API) createWebhook(w http.ResponseWriter, r *http.Request) {
	var in service.WebhookInput
	if err := decode(r, w, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	ep, err := a.svc.CreateWebhook(r.Context(), caller(r), in)
	render(a, w, r, http.StatusCreated, ep, err)
}

func (a *API) getWebhook(w http.ResponseWriter, r *http.Request) {
	ep, err := a.svc.GetWebhook(r.Context(), caller(r), r.PathValue("id"))
	render(a, w, r, http.StatusOK, ep, err)
}

func (a *API) updateWebhook(w http.ResponseWriter, r *http.Request) {
	var in service.WebhookInput
	if err := decode(r, w, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	ep, err := a.svc.UpdateWebhook(r.Context(), caller(r), r.PathValue("id"), in)
	render(a, w, r, http.StatusOK, ep, err)
}

func (a *API) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	a.renderNoContent(w, r, a.svc.DeleteWebhook(r.Context(), caller(r), r.PathValue("id")))
}

func (a *API) rotateWebhook(w http.ResponseWriter, r *http.Request) {
	ep, err := a.svc.RotateWebhookSecret(r.Context(), caller(r), r.PathValue("id"))
	render(a, w, r, http.StatusOK, ep, err)
}

func (a *API) testWebhook(w http.ResponseWriter, r *http.Request) {
	ev, err := a.svc.TestWebhook(r.Context(), caller(r), r.PathValue("id"))
	render(a, w, r, http.StatusAccepted, ev, err)
}

func (a *API) endpointAttempts(w http.ResponseWriter, r *http.Request) {
	p, err := pageRequest(r, maxPage)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	l, err := a.svc.ListAttempts(r.Context(), caller(r), "", r.PathValue("id"), p)
	renderList(a, w, r, l, err)
}

func (a *API) listEvents(w http.ResponseWriter, r *http.Request) {
	p, err := pageRequest(r, maxPage)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	l, err := a.svc.ListEvents(r.Context(), caller(r), p)
	renderList(a, w, r, l, err)
}

func (a *API) getEvent(w http.ResponseWriter, r *http.Request) {
	ev, err := a.svc.GetEvent(r.Context(), caller(r), r.PathValue("id"))
	render(a, w, r, http.StatusOK, ev, err)
}

func (a *API) eventAttempts(w http.ResponseWriter, r *http.Request) {
	p, err := pageRequest(r, maxPage)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	l, err := a.svc.ListAttempts(r.Context(), caller(r), r.PathValue("id"), "", p)
	renderList(a, w, r, l, err)
}

func (a *API) replayEvent(w http.ResponseWriter, r *http.Request) {
	err := a.svc.ReplayEvent(r.Context(), caller(r), r.PathValue("id"), r.URL.Query().Get("endpoint_id"))
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

func (a *API) listAPIKeys(w http.ResponseWriter, r *http.Request) {
	p, err := pageRequest(r, maxPage)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	l, err := a.svc.ListAPIKeys(r.Context(), caller(r), p)
	renderList(a, w, r, l, err)
}

func (a *API) createAPIKey(w http.ResponseWriter, r *http.Request) {
	var in service.CreateAPIKeyInput
	if err := decode(r, w, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	k, err := a.svc.CreateAPIKey(r.Context(), caller(r), in)
	render(a, w, r, http.StatusCreated, k, err)
}

func (a *API) revokeAPIKey(w http.ResponseWriter, r *http.Request) {
	a.renderNoContent(w, r, a.svc.RevokeAPIKey(r.Context(), caller(r), r.PathValue("id")))
}

func (a *API) listConversations(w http.ResponseWriter, r *http.Request) {
	p, err := pageRequest(r, maxPage)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	f := service.ConversationFilter{PageRequest: p, AccountID: q.Get("account_id"), Platform: q.Get("platform"),
		BrandID: q.Get("brand_id"), Status: q.Get("status")}
	if s := q.Get("unread"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			a.writeError(w, r, apierr.Invalid("unread", "unread must be true or false"))
			return
		}
		f.Unread = &b
	}
	l, err := a.svc.ListConversations(r.Context(), caller(r), f)
	renderList(a, w, r, l, err)
}

func (a *API) getConversation(w http.ResponseWriter, r *http.Request) {
	c, err := a.svc.GetConversation(r.Context(), caller(r), r.PathValue("id"))
	render(a, w, r, http.StatusOK, c, err)
}

func (a *API) listMessages(w http.ResponseWriter, r *http.Request) {
	p, err := pageRequest(r, maxHistoryPage)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	l, err := a.svc.ListMessages(r.Context(), caller(r), r.PathValue("id"), p)
	renderList(a, w, r, l, err)
}

func (a *API) sendMessage(w http.ResponseWriter, r *http.Request) {
	var in service.SendInput
	if err := decode(r, w, &in); err != nil {
		a.writeError(w, r, err)
		return
	}
	in.IdempotencyKey = r.Header.Get("Idempotency-Key")
	m, err := a.svc.SendMessage(r.Context(), caller(r), r.PathValue("id"), in)
	if m.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	render(a, w, r, http.StatusCreated, m, err)
}

func (a *API) markRead(w http.ResponseWriter, r *http.Request) {
	a.renderNoContent(w, r, a.svc.MarkRead(r.Context(), caller(r), r.PathValue("id")))
}

func render[T any](a *API, w http.ResponseWriter, r *http.Request, status int, v T, err error) {
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	writeData(w, status, v)
}

func (a *API) renderNoContent(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func renderList[T any](a *API, w http.ResponseWriter, r *http.Request, l service.List[T], err error) {
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	writeList(w, l)
}
