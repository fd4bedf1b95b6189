package waemu

import (
	"net/http"

	"github.com/parleyhq/parley/internal/emulator/metaoauth"
)

// Embedded Signup on the Cloud API emulator: Facebook Login for Business
// (package metaoauth) issues a business token whose granular scopes name
// the WABAs shared; the token may then use them and their numbers, and
// POST /{waba-id}/subscribed_apps subscribes the app to a WABA's webhooks
// (https://developers.facebook.com/documentation/business-messaging/whatsapp/solution-providers/manage-webhooks).

// OAuth is the emulator's Meta OAuth server.
func (e *Emulator) OAuth() *metaoauth.Server { return e.oauth }

// onGrant lets a business token use the WABAs it was granted and every
// number they own.
func (e *Emulator) onGrant(t metaoauth.Token) {
	wabas := append(append([]string(nil), t.Granular["whatsapp_business_management"]...), t.Granular["whatsapp_business_messaging"]...)
	if len(wabas) == 0 {
		return
	}
	ids := append([]string(nil), wabas...)
	e.mu.Lock()
	for _, n := range e.numbers {
		for _, w := range wabas {
			if n.WABAID == w {
				ids = append(ids, n.ID)
			}
		}
	}
	e.mu.Unlock()
	e.GrantToken(t.Value, ids...)
}

func (e *Emulator) oauthRoutes() {
	e.oauth.Mount(func(pattern string, h http.HandlerFunc) {
		e.kit.HandlePublic(pattern, func(w http.ResponseWriter, r *http.Request, _ string) { h(w, r) })
	})
	e.kit.Handle("POST /{id}/subscribed_apps", e.onWABA(func(w http.ResponseWriter, _ *http.Request, waba string) {
		e.mu.Lock()
		e.subscribed[waba] = true
		e.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]bool{"success": true})
	}))
}

// Subscribed reports whether the app was subscribed to a WABA's webhooks.
func (e *Emulator) Subscribed(wabaID string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.subscribed[wabaID]
}

// dead answers a token Meta's OAuth issued and since invalidated.
func (e *Emulator) dead(token string) *Error {
	ge, dead := e.oauth.Dead(token)
	if !dead {
		return nil
	}
	return &Error{Status: http.StatusUnauthorized, Body: GraphError{Message: ge.Message, Type: ge.Type, Code: ge.Code, ErrorSubcode: ge.Subcode}}
}
