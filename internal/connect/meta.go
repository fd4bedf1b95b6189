package connect

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/parleyhq/parley/internal/platform/meta"
	"github.com/parleyhq/parley/internal/platform/whatsapp"
	"github.com/parleyhq/parley/internal/store"
)

// Facebook Login's permissions for a Page's messages: pages_messaging to
// send and receive, pages_manage_metadata to subscribe the Page's webhooks,
// pages_show_list to list the Pages, pages_read_engagement to read
// conversations (https://developers.facebook.com/docs/messenger-platform/webhooks,
// "Permissions"; checked 2026-11-30). Instagram through a Page adds
// instagram_basic and instagram_manage_messages
// (https://developers.facebook.com/docs/instagram-messaging/webhooks).
var (
	messengerScopes = []string{"pages_show_list", "pages_messaging", "pages_manage_metadata", "pages_read_engagement"}
	igPageScopes    = []string{"pages_show_list", "pages_manage_metadata", "instagram_basic", "instagram_manage_messages"}
	// WhatsApp Embedded Signup's permissions
	// (https://developers.facebook.com/documentation/business-messaging/whatsapp/embedded-signup/implementation/).
	whatsappScopes = []string{"whatsapp_business_management", "whatsapp_business_messaging"}
)

// The Page fields Parley's webhooks need ("Only fields with subscriptions at
// both the page and app levels will get Webhooks",
// https://developers.facebook.com/docs/graph-api/reference/page/subscribed_apps;
// field list https://developers.facebook.com/docs/messenger-platform/reference/webhook-events).
const pageFields = "messages,messaging_postbacks,message_deliveries,message_reads,message_echoes"

// metaProvider connects Messenger Pages, and Instagram accounts through
// their linked Page (Facebook Login), with Facebook Login's manual flow:
// https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow.
type metaProvider struct {
	c        *Connect
	platform string // messenger or instagram (variant facebook_login)
}

func (p metaProvider) configured() bool {
	return p.c.cfg.Meta.AppID != "" && p.c.cfg.Meta.AppSecret != ""
}

func (p metaProvider) scopes() []string {
	if p.platform == "instagram" {
		return igPageScopes
	}
	return messengerScopes
}

// dialogURL is Facebook Login's dialog; a Login for Business configuration
// replaces the scopes when set ("config_id … instead of scope",
// https://developers.facebook.com/documentation/facebook-login/facebook-login-for-business).
func dialogURL(base, appID, redirect, state, configID string, scopes []string) string {
	q := url.Values{"client_id": {appID}, "redirect_uri": {redirect}, "state": {state}, "response_type": {"code"}}
	if configID != "" {
		q.Set("config_id", configID)
	} else {
		q.Set("scope", strings.Join(scopes, ","))
	}
	return base + "?" + q.Encode()
}

func (p metaProvider) consentURL(_ store.ConnectSession, state, _ string) string {
	m := p.c.cfg.Meta
	return dialogURL(m.AuthorizeURL, m.AppID, p.c.CallbackURL(p.platform), state, m.ConfigID, p.scopes())
}

// exchangeMetaCode trades a Facebook Login code for a user token at
// /oauth/access_token, the endpoint x/oauth2's facebook package names.
func (c *Connect) exchangeMetaCode(ctx context.Context, graphURL, platform, code string) (*oauth2.Token, error) {
	cfg := &oauth2.Config{ClientID: c.cfg.Meta.AppID, ClientSecret: c.cfg.Meta.AppSecret, RedirectURL: c.CallbackURL(platform),
		Endpoint: oauth2.Endpoint{TokenURL: graphURL + "/" + meta.DefaultVersion + "/oauth/access_token", AuthStyle: oauth2.AuthStyleInParams}}
	return cfg.Exchange(c.oauthCtx(ctx), code)
}

func (p metaProvider) assets(ctx context.Context, _ store.ConnectSession, q url.Values, _ string) ([]asset, error) {
	c, m := p.c, p.c.cfg.Meta
	short, err := c.exchangeMetaCode(ctx, m.GraphURL, p.platform, q.Get("code"))
	if err != nil {
		return nil, err
	}
	// A Page token taken with a long-lived user token does not expire
	// ("If you used a long-lived User access token, the Page access token
	// has no expiration date", https://developers.facebook.com/docs/pages/access-tokens/);
	// the long-lived one comes from fb_exchange_token
	// (https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived).
	var long struct {
		AccessToken string `json:"access_token"`
	}
	if err := c.graph(ctx, http.MethodGet, m.GraphURL, "oauth/access_token", url.Values{"grant_type": {"fb_exchange_token"},
		"client_id": {m.AppID}, "client_secret": {m.AppSecret}, "fb_exchange_token": {short.AccessToken}}, &long); err != nil {
		return nil, err
	}
	info, err := c.debugToken(ctx, m.GraphURL, long.AccessToken)
	if err != nil {
		return nil, err
	}
	if !info.IsValid || info.AppID != m.AppID {
		return nil, fmt.Errorf("debug_token: the token is not valid for this app (%s)", info.AppID)
	}
	var pages struct {
		Data []struct {
			ID          string `json:"id"`
			Name        string `json:"name"`
			AccessToken string `json:"access_token"`
			IG          *struct {
				ID       string `json:"id"`
				Username string `json:"username"`
				Name     string `json:"name"`
			} `json:"instagram_business_account"`
		} `json:"data"`
	}
	if err := c.graph(ctx, http.MethodGet, m.GraphURL, "me/accounts", url.Values{"access_token": {long.AccessToken}, "limit": {"100"},
		"fields": {"id,name,access_token,tasks,instagram_business_account{id,username,name}"}}, &pages); err != nil {
		return nil, err
	}
	var out []asset
	for _, pg := range pages.Data {
		if pg.AccessToken == "" {
			continue // no task on the Page that yields a token
		}
		tok := tokenSet{Access: pg.AccessToken, Scopes: strings.Join(info.Scopes, " ")}
		switch {
		case p.platform == "messenger":
			out = append(out, asset{NativeID: pg.ID, Name: pg.Name, Grantor: info.UserID, Token: tok, Node: pg.ID})
		case pg.IG != nil:
			name := pg.IG.Name
			if name == "" {
				name = "@" + pg.IG.Username
			}
			out = append(out, asset{NativeID: pg.IG.ID, Name: name, Variant: VariantFacebookLogin, Grantor: info.UserID, Token: tok, Node: pg.ID})
		}
	}
	return out, nil
}

// subscribe installs the app on the Page: "Webhooks are delivered only if
// the Page has installed the app"
// (https://developers.facebook.com/docs/graph-api/reference/page/subscribed_apps).
func (p metaProvider) subscribe(ctx context.Context, a asset) error {
	return p.c.subscribeApps(ctx, p.c.cfg.Meta.GraphURL, a.Node, a.Token.Access, url.Values{"subscribed_fields": {pageFields}})
}

func (p metaProvider) check(ctx context.Context, a store.Account, token string) (string, error) {
	need := "pages_messaging"
	if p.platform == "instagram" {
		need = "instagram_manage_messages"
	}
	return p.c.checkMeta(ctx, p.c.cfg.Meta.GraphURL, token, need, "")
}

// whatsappProvider connects WhatsApp numbers through Embedded Signup's
// Facebook Login for Business configuration. The business token's WABAs
// come from debug_token's granular_scopes ("get shared WABA ID with access
// token"), their numbers from /{waba-id}/phone_numbers, and the app is
// subscribed to the WABA's webhooks
// (https://developers.facebook.com/documentation/business-messaging/whatsapp/embedded-signup/onboarding-customers-as-a-tech-provider).
type whatsappProvider struct{ c *Connect }

func (p whatsappProvider) configured() bool { return metaProvider{c: p.c}.configured() }

func (p whatsappProvider) consentURL(_ store.ConnectSession, state, _ string) string {
	m := p.c.cfg.Meta
	return dialogURL(m.WhatsAppAuthorizeURL, m.AppID, p.c.CallbackURL("whatsapp"), state, m.WhatsAppConfigID, whatsappScopes)
}

func (p whatsappProvider) assets(ctx context.Context, _ store.ConnectSession, q url.Values, _ string) ([]asset, error) {
	c, base := p.c, p.c.cfg.Meta.WhatsAppURL
	tok, err := c.exchangeMetaCode(ctx, base, "whatsapp", q.Get("code"))
	if err != nil {
		return nil, err
	}
	info, err := c.debugToken(ctx, base, tok.AccessToken)
	if err != nil {
		return nil, err
	}
	if !info.IsValid || info.AppID != c.cfg.Meta.AppID {
		return nil, fmt.Errorf("debug_token: the token is not valid for this app (%s)", info.AppID)
	}
	ts := tokenSet{Access: tok.AccessToken, Scopes: strings.Join(info.Scopes, " ")}
	if info.ExpiresAt > 0 {
		ts.Expiry = time.Unix(info.ExpiresAt, 0).UTC()
	}
	var out []asset
	for _, waba := range info.targets("whatsapp_business_management") {
		var nums struct {
			Data []struct {
				ID                 string `json:"id"`
				DisplayPhoneNumber string `json:"display_phone_number"`
				VerifiedName       string `json:"verified_name"`
			} `json:"data"`
		}
		if err := c.graphVersion(ctx, http.MethodGet, base, whatsapp.DefaultVersion, waba+"/phone_numbers", tok.AccessToken,
			url.Values{"fields": {"id,display_phone_number,verified_name"}}, &nums); err != nil {
			return nil, err
		}
		for _, n := range nums.Data {
			out = append(out, asset{NativeID: n.ID, Name: strings.TrimSpace(n.VerifiedName + " " + n.DisplayPhoneNumber), BusinessID: waba,
				Grantor: info.UserID, Token: ts, Node: waba})
		}
	}
	return out, nil
}

// subscribe subscribes the app to the WABA's webhooks: POST
// /{waba-id}/subscribed_apps
// (https://developers.facebook.com/documentation/business-messaging/whatsapp/solution-providers/manage-webhooks).
func (p whatsappProvider) subscribe(ctx context.Context, a asset) error {
	return p.c.subscribeApps(ctx, p.c.cfg.Meta.WhatsAppURL, a.Node, a.Token.Access, nil)
}

func (p whatsappProvider) check(ctx context.Context, a store.Account, token string) (string, error) {
	return p.c.checkMeta(ctx, p.c.cfg.Meta.WhatsAppURL, token, "whatsapp_business_messaging", a.BusinessAccountID)
}

func (c *Connect) subscribeApps(ctx context.Context, base, node, token string, q url.Values) error {
	var ok struct {
		Success bool `json:"success"`
	}
	if err := c.graphVersion(ctx, http.MethodPost, base, meta.DefaultVersion, node+"/subscribed_apps", token, q, &ok); err != nil {
		return err
	}
	if !ok.Success {
		return fmt.Errorf("subscribed_apps on %s did not answer success", node)
	}
	return nil
}

// tokenInfo is debug_token's data
// (https://developers.facebook.com/docs/graph-api/reference/debug_token;
// https://developers.facebook.com/docs/facebook-login/guides/access-tokens/debugging).
type tokenInfo struct {
	AppID          string   `json:"app_id"`
	Type           string   `json:"type"`
	IsValid        bool     `json:"is_valid"`
	ExpiresAt      int64    `json:"expires_at"`
	UserID         string   `json:"user_id"`
	Scopes         []string `json:"scopes"`
	GranularScopes []struct {
		Scope     string   `json:"scope"`
		TargetIDs []string `json:"target_ids"`
	} `json:"granular_scopes"`
	Error *struct {
		Code    int    `json:"code"`
		Subcode int    `json:"subcode"`
		Message string `json:"message"`
	} `json:"error"`
}

// targets are the ids a scope was granted for.
func (t tokenInfo) targets(scope string) []string {
	for _, g := range t.GranularScopes {
		if g.Scope == scope {
			return g.TargetIDs
		}
	}
	return nil
}

// debugToken inspects a token with the app token ({app-id}|{app-secret}).
func (c *Connect) debugToken(ctx context.Context, base, token string) (tokenInfo, error) {
	var out struct {
		Data tokenInfo `json:"data"`
	}
	err := c.graph(ctx, http.MethodGet, base, "debug_token", url.Values{"input_token": {token},
		"access_token": {c.cfg.Meta.AppID + "|" + c.cfg.Meta.AppSecret}}, &out)
	return out.Data, err
}

// checkMeta says why a Meta token no longer grants its account: "" while it
// does. Meta "will not notify you that an access token has become invalid"
// (debugging guide above), so tokens that never expire are asked about.
// Subcodes (https://developers.facebook.com/docs/graph-api/guides/error-handling,
// "Authentication Error Subcodes"): 463 expired; 458 app removed, 460
// password changed, 467 logged out and the rest are a revocation.
func (c *Connect) checkMeta(ctx context.Context, base, token, scope, target string) (string, error) {
	info, err := c.debugToken(ctx, base, token)
	if err != nil {
		return "", err
	}
	switch {
	case !info.IsValid && info.Error != nil && info.Error.Subcode == 463:
		return ReasonExpired, nil
	case !info.IsValid:
		return ReasonRevoked, nil
	case !slices.Contains(info.Scopes, scope):
		return ReasonPermissionRemoved, nil
	case target != "" && info.targets(scope) != nil && !slices.Contains(info.targets(scope), target):
		return ReasonPermissionRemoved, nil
	}
	return "", nil
}

// graphErr is a Graph error answer.
type graphErr struct {
	status int
	meta.GraphError
}

func (e *graphErr) Error() string {
	return fmt.Sprintf("graph %d: (#%d/%d) %s", e.status, e.Code, e.Subcode, e.Message)
}

// graph calls an unversioned-or-versioned Graph path with the parameters in
// the query (the access token among them) as Meta documents these calls.
func (c *Connect) graph(ctx context.Context, method, base, path string, q url.Values, out any) error {
	return c.graphVersion(ctx, method, base, meta.DefaultVersion, path, "", q, out)
}

func (c *Connect) graphVersion(ctx context.Context, method, base, version, path, token string, q url.Values, out any) error {
	u := strings.TrimRight(base, "/") + "/"
	if version != "" {
		u += version + "/"
	}
	u += path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return c.doJSON(req, out)
}

// doJSON runs a request and decodes a 2xx answer; a Graph error body
// becomes a *graphErr.
func (c *Connect) doJSON(req *http.Request, out any) error {
	res, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode/100 != 2 {
		if ge, ok := meta.ParseErrorBody(body); ok {
			return &graphErr{status: res.StatusCode, GraphError: ge}
		}
		return fmt.Errorf("%s %s answered %d: %.200s", req.Method, req.URL.Path, res.StatusCode, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%s %s: unexpected body %.200s", req.Method, req.URL.Path, body)
	}
	return nil
}
