package graphemu

import (
	"net/http"
	"sort"

	"github.com/parleyhq/parley/internal/emulator/metaoauth"
	"github.com/parleyhq/parley/internal/platform"
)

// Facebook Login and Instagram Login on the Graph emulator: the OAuth
// endpoints (package metaoauth), /me/accounts for a user token, and
// POST /{page-id}/subscribed_apps and /me/subscribed_apps.

// OAuth is the emulator's Meta OAuth server: register apps and users on it,
// revoke or expire their tokens.
func (e *Emulator) OAuth() *metaoauth.Server { return e.oauth }

// onGrant lets a new Page token act for its Page (or the Page's linked
// Instagram account), and an Instagram Login token for its account.
func (e *Emulator) onGrant(t metaoauth.Token) {
	var id string
	e.mu.Lock()
	switch {
	case t.Instagram:
		if a := e.accounts[t.UserID]; a != nil && a.Platform == platform.Instagram && a.Variant == VariantInstagramLogin {
			id = a.ID
		}
	case t.Type == metaoauth.TypePage:
		if a := e.byPage[t.PageID]; a != nil {
			id = a.ID
		} else if a := e.accounts[t.PageID]; a != nil && a.Platform == platform.Messenger {
			id = a.ID
		}
	}
	e.mu.Unlock()
	if id != "" {
		_ = e.GrantToken(id, t.Value)
	}
}

func (e *Emulator) oauthRoutes() {
	e.oauth.Mount(func(pattern string, h http.HandlerFunc) {
		e.kit.HandlePublic(pattern, func(w http.ResponseWriter, r *http.Request, _ *request) { h(w, r) })
	})
	e.kit.HandlePublic("GET /me/accounts", e.meAccounts)
	e.kit.Handle("POST /{node}/subscribed_apps", e.locked(func(req *request, node string) answer {
		a := e.resolveAccount(req, node)
		if a == nil {
			return e.fail(req, unsupported("post", node))
		}
		e.subscribed[a.ID] = req.query.Get("subscribed_fields")
		return ok(map[string]bool{"success": true})
	}))
}

// Subscribed returns the fields an account's Page (or Instagram account)
// subscribed the app to, and whether it did.
func (e *Emulator) Subscribed(accountID string) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	f, ok := e.subscribed[accountID]
	return f, ok
}

// meAccounts serves GET /me/accounts with a user token: the Pages the user
// granted, each with its Page token, tasks and linked Instagram account
// (https://developers.facebook.com/docs/pages/access-tokens/,
// "Get a Page access token"; fields as in the Page reference).
func (e *Emulator) meAccounts(w http.ResponseWriter, r *http.Request, _ *request) {
	token := bearer(r.Header.Get("Authorization"))
	if token == "" {
		token = r.URL.Query().Get("access_token")
	}
	req := &request{token: token}
	if ge, dead := e.oauth.Dead(token); dead {
		write(w, e.failLocked(req, Error{Status: ge.Status, Type: ge.Type, Code: ge.Code, Subcode: ge.Subcode, Message: ge.Message}))
		return
	}
	ids, valid := e.oauth.PageIDs(token)
	if !valid {
		write(w, e.failLocked(req, ErrInvalidToken))
		return
	}
	type page struct {
		id, name string
		ig       *account
	}
	var pages []page
	e.mu.Lock()
	for _, id := range ids {
		p := page{id: id}
		if a := e.accounts[id]; a != nil && a.Platform == platform.Messenger {
			p.name = a.Name
		}
		if a := e.byPage[id]; a != nil {
			p.ig = a
			if p.name == "" {
				p.name = a.Name + " (Page)"
			}
		}
		if p.name != "" {
			pages = append(pages, p)
		}
	}
	e.mu.Unlock()
	sort.Slice(pages, func(i, j int) bool { return pages[i].id < pages[j].id })
	data := []map[string]any{}
	for _, p := range pages {
		pt, granted := e.oauth.PageToken(token, p.id)
		if !granted {
			continue
		}
		m := map[string]any{"id": p.id, "name": p.name, "access_token": pt, "category": "Business",
			"tasks": []string{"ADVERTISE", "ANALYZE", "CREATE_CONTENT", "MESSAGING", "MODERATE", "MANAGE"}}
		if p.ig != nil {
			m["instagram_business_account"] = map[string]any{"id": p.ig.ID, "username": p.ig.Username, "name": p.ig.Name}
		}
		data = append(data, m)
	}
	write(w, ok(map[string]any{"data": data}))
}

// failLocked is fail under e.mu.
func (e *Emulator) failLocked(req *request, g Error) answer {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.fail(req, g)
}
