package webapp

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/connect"
	"github.com/parleyhq/parley/internal/people"
	"github.com/parleyhq/parley/internal/service"
)

// settingsPage is the organisation's settings. Everyone sees their own
// part; admins also manage people, brands, accounts, API keys and webhooks
// (an API key or an endpoint is as powerful as the organisation).
type settingsPage struct {
	base
	Platforms []string
	People    []people.Person
	Brands    []service.Brand
	BrandByID map[string]string
	Accounts  []service.Account
	Keys      []service.APIKey
	Webhooks  []webhookRow
	// Usage is the plan and this month's use, as GET /v1/usage shows it;
	// nil when the server runs without plans.
	Usage *apitype.Usage
	// Shown once, right after they are made.
	Invited   *people.Person
	Link      string
	Until     time.Time
	NewKey    *service.APIKey
	NewSecret string
	// Done says what the last action changed.
	Done string
}

// webhookRow is an endpoint with its latest delivery attempts.
type webhookRow struct {
	service.WebhookEndpoint
	Attempts []service.DeliveryAttempt
}

func (a *App) settingsData(r *http.Request) (settingsPage, error) {
	ctx := r.Context()
	c, who := caller(ctx)
	d := settingsPage{base: a.base(r, "Settings", "settings"), Platforms: platforms, BrandByID: map[string]string{}}
	if !who.Admin() {
		return d, nil
	}
	if a.plans != nil {
		u, err := a.plans.Usage(ctx, who.OrgID)
		if err != nil {
			return d, err
		}
		d.Usage = &u
	}
	all := service.PageRequest{Limit: 100}
	pl, err := a.ppl.List(ctx, who.OrgID, all)
	if err != nil {
		return d, err
	}
	d.People = pl.Data
	bl, err := a.svc.ListBrands(ctx, c, all)
	if err != nil {
		return d, err
	}
	d.Brands = bl.Data
	for _, b := range bl.Data {
		d.BrandByID[b.ID] = b.Name
	}
	al, err := a.svc.ListAccounts(ctx, c, service.AccountFilter{PageRequest: all})
	if err != nil {
		return d, err
	}
	d.Accounts = al.Data
	kl, err := a.svc.ListAPIKeys(ctx, c, all)
	if err != nil {
		return d, err
	}
	d.Keys = kl.Data
	wl, err := a.svc.ListWebhooks(ctx, c, all)
	if err != nil {
		return d, err
	}
	for _, ep := range wl.Data {
		at, err := a.svc.ListAttempts(ctx, c, "", ep.ID, service.PageRequest{Limit: 100})
		if err != nil {
			return d, err
		}
		// Attempts list oldest first; the latest five say how it is going.
		d.Webhooks = append(d.Webhooks, webhookRow{WebhookEndpoint: ep, Attempts: at.Data[max(0, len(at.Data)-5):]})
	}
	return d, nil
}

func (a *App) settings(w http.ResponseWriter, r *http.Request) {
	d, err := a.settingsData(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.render(w, http.StatusOK, "settings", d)
}

// act runs an admin's change, then shows the settings page with what
// changed (show fills what is shown once) or the structured error.
func (a *App) act(do func(ctx context.Context, c service.Caller, r *http.Request) (show func(*settingsPage), err error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, who := caller(r.Context())
		if !who.Admin() {
			a.fail(w, r, apierr.New(http.StatusForbidden, "auth.forbidden", "Only admins change the organisation's settings."))
			return
		}
		show, err := do(r.Context(), c, r)
		d, derr := a.settingsData(r)
		if derr != nil {
			a.fail(w, r, derr)
			return
		}
		if err != nil {
			e := a.errorOf(err)
			d.Error = e
			a.render(w, e.Status, "settings", d)
			return
		}
		if show != nil {
			show(&d)
		}
		a.render(w, http.StatusOK, "settings", d)
	}
}

func done(msg string) func(*settingsPage) { return func(d *settingsPage) { d.Done = msg } }

func field(r *http.Request, name string) string { return strings.TrimSpace(r.PostFormValue(name)) }

// optional is a form field that may be left empty.
func optional(r *http.Request, name string) *string {
	if v := field(r, name); v != "" {
		return &v
	}
	return nil
}

func (a *App) registerSettings(page func(string, http.HandlerFunc)) {
	page("GET "+Base+"/settings", a.settings)
	page("POST "+Base+"/settings/people", a.act(func(ctx context.Context, c service.Caller, r *http.Request) (func(*settingsPage), error) {
		p, err := a.ppl.Create(ctx, c.OrgID, r.PostFormValue("email"), r.PostFormValue("name"), r.PostFormValue("role"))
		if err != nil {
			return nil, err
		}
		link, until, err := a.ppl.SignInLink(ctx, c.OrgID, p.ID)
		return func(d *settingsPage) { d.Invited, d.Link, d.Until = &p, link, until }, err
	}))
	page("POST "+Base+"/settings/brands", a.act(func(ctx context.Context, c service.Caller, r *http.Request) (func(*settingsPage), error) {
		b, err := a.svc.CreateBrand(ctx, c, service.BrandInput{Name: field(r, "name")})
		return done("Brand " + b.Name + " added."), err
	}))
	page("POST "+Base+"/settings/accounts", a.act(func(ctx context.Context, c service.Caller, r *http.Request) (func(*settingsPage), error) {
		acct, err := a.svc.CreateAccount(ctx, c, service.AccountInput{BrandID: field(r, "brand_id"), Platform: field(r, "platform"),
			NativeID: field(r, "native_id"), AccessToken: field(r, "access_token"), DisplayName: field(r, "display_name"),
			BusinessAccountID: field(r, "business_account_id")})
		return done("Account " + acct.DisplayName + " connected."), err
	}))
	page("POST "+Base+"/settings/accounts/{id}/reconnect", a.act(func(ctx context.Context, c service.Caller, r *http.Request) (func(*settingsPage), error) {
		tok := field(r, "access_token")
		acct, err := a.svc.UpdateAccount(ctx, c, r.PathValue("id"), service.AccountUpdate{AccessToken: &tok})
		return done("Account " + acct.DisplayName + " reconnected."), err
	}))
	page("POST "+Base+"/settings/connect", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Hosted connect (OAuth at the platform) for the platforms that
		// have it; the person comes back here.
		c, who := caller(r.Context())
		if !who.Admin() || a.connect == nil {
			a.fail(w, r, apierr.New(http.StatusForbidden, "auth.forbidden", "Only admins connect accounts."))
			return
		}
		s, err := a.connect.CreateSession(r.Context(), c.OrgID, connect.SessionInput{Platform: field(r, "platform"), BrandID: field(r, "brand_id"),
			AccountID: field(r, "account_id"), RedirectURL: a.publicURL + Base + "/settings"})
		if err != nil {
			a.act(func(context.Context, service.Caller, *http.Request) (func(*settingsPage), error) { return nil, err })(w, r)
			return
		}
		http.Redirect(w, r, s.URL, http.StatusSeeOther)
	}))
	page("POST "+Base+"/settings/keys", a.act(func(ctx context.Context, c service.Caller, r *http.Request) (func(*settingsPage), error) {
		k, err := a.svc.CreateAPIKey(ctx, c, service.CreateAPIKeyInput{Name: field(r, "name")})
		return func(d *settingsPage) { d.NewKey = &k }, err
	}))
	page("POST "+Base+"/settings/keys/{id}/revoke", a.act(func(ctx context.Context, c service.Caller, r *http.Request) (func(*settingsPage), error) {
		return done("API key revoked."), a.svc.RevokeAPIKey(ctx, c, r.PathValue("id"))
	}))
	page("POST "+Base+"/settings/webhooks", a.act(func(ctx context.Context, c service.Caller, r *http.Request) (func(*settingsPage), error) {
		ep, err := a.svc.CreateWebhook(ctx, c, service.WebhookInput{URL: optional(r, "url"), Description: optional(r, "description")})
		return func(d *settingsPage) { d.NewSecret, d.Done = ep.Secret, "Endpoint "+ep.URL+" added." }, err
	}))
	page("POST "+Base+"/settings/webhooks/{id}/test", a.act(func(ctx context.Context, c service.Caller, r *http.Request) (func(*settingsPage), error) {
		_, err := a.svc.TestWebhook(ctx, c, r.PathValue("id"))
		return done("A webhook.test event is on its way."), err
	}))
	page("GET "+Base+"/settings/events", a.eventLog)
	page("POST "+Base+"/settings/events/{id}/replay", func(w http.ResponseWriter, r *http.Request) {
		c, who := caller(r.Context())
		if !who.Admin() {
			a.fail(w, r, apierr.New(http.StatusForbidden, "auth.forbidden", "Only admins replay events."))
			return
		}
		if err := a.svc.ReplayEvent(r.Context(), c, r.PathValue("id"), ""); err != nil {
			a.fail(w, r, err)
			return
		}
		http.Redirect(w, r, Base+"/settings/events?replayed="+r.PathValue("id"), http.StatusSeeOther)
	})
}

type eventsPage struct {
	base
	Events   []service.EventView
	More     string
	Replayed string
}

// eventLog pages through the organisation's events (oldest first, as the
// API lists them), each with a replay button for admins.
func (a *App) eventLog(w http.ResponseWriter, r *http.Request) {
	c, _ := caller(r.Context())
	l, err := a.svc.ListEvents(r.Context(), c, service.PageRequest{Cursor: r.URL.Query().Get("cursor"), Limit: 50})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	d := eventsPage{base: a.base(r, "Events", "settings"), Events: l.Data, Replayed: r.URL.Query().Get("replayed")}
	if l.HasMore {
		d.More = Base + "/settings/events?cursor=" + l.NextCursor
	}
	a.render(w, http.StatusOK, "events", d)
}
