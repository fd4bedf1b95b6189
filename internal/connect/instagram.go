package connect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/platform/meta"
	"github.com/parleyhq/parley/internal/store"
)

// Instagram Login's permissions for messages; the old business_* names
// were retired on 27 January 2025
// (https://developers.facebook.com/documentation/instagram-platform/instagram-api-with-instagram-login/business-login,
// checked 2026-11-30).
var igLoginScopes = []string{"instagram_business_basic", "instagram_business_manage_messages"}

// IGRefreshLead is how long before expiry an Instagram Login token is
// refreshed. Its tokens live 60 days and may be refreshed once "at least 24
// hours old but not expired", each refresh giving 60 days again
// (https://developers.facebook.com/documentation/instagram-platform/reference/refresh_access_token):
// refreshing in the last two weeks keeps well clear of both limits.
const IGRefreshLead = 14 * 24 * time.Hour

// instagramProvider connects Instagram professional accounts: by default
// with Instagram Login (no Page needed), or through the linked Page with
// Facebook Login (variant facebook_login).
type instagramProvider struct{ c *Connect }

func (p instagramProvider) page() metaProvider { return metaProvider{c: p.c, platform: "instagram"} }

func (p instagramProvider) configured() bool {
	return p.loginConfigured() || p.page().configured()
}

func (p instagramProvider) loginConfigured() bool {
	return p.c.cfg.Instagram.AppID != "" && p.c.cfg.Instagram.AppSecret != ""
}

// configuredFor is configured for one variant.
func (p instagramProvider) configuredFor(variant string) bool {
	if variant == VariantFacebookLogin {
		return p.page().configured()
	}
	return p.loginConfigured()
}

// consentURL is Instagram's authorization window
// (https://developers.facebook.com/docs/instagram-platform/reference/oauth-authorize).
func (p instagramProvider) consentURL(s store.ConnectSession, state, verifier string) string {
	if s.Variant == VariantFacebookLogin {
		return p.page().consentURL(s, state, verifier)
	}
	ig := p.c.cfg.Instagram
	q := url.Values{"client_id": {ig.AppID}, "redirect_uri": {p.c.CallbackURL("instagram")}, "response_type": {"code"},
		"scope": {strings.Join(igLoginScopes, ",")}, "state": {state}}
	return ig.AuthorizeURL + "?" + q.Encode()
}

func (p instagramProvider) assets(ctx context.Context, s store.ConnectSession, q url.Values, verifier string) ([]asset, error) {
	if s.Variant == VariantFacebookLogin {
		return p.page().assets(ctx, s, q, verifier)
	}
	c, ig := p.c, p.c.cfg.Instagram
	// "Note that we #_ append to the end of the redirect URI" (oauth-authorize
	// reference above): a browser drops the fragment, a pasted URL may not.
	code := strings.TrimSuffix(q.Get("code"), "#_")
	form := url.Values{"client_id": {ig.AppID}, "client_secret": {ig.AppSecret}, "grant_type": {"authorization_code"},
		"redirect_uri": {c.CallbackURL("instagram")}, "code": {code}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ig.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var raw json.RawMessage
	if err := c.doJSON(req, &raw); err != nil {
		return nil, err
	}
	short, err := parseIGCode(raw)
	if err != nil {
		return nil, err
	}
	// Short-lived (one hour) → long-lived (60 days) with ig_exchange_token
	// (https://developers.facebook.com/documentation/instagram-platform/reference/access_token).
	var long igToken
	if err := c.graphVersion(ctx, http.MethodGet, ig.GraphURL, "", "access_token", "", url.Values{"grant_type": {"ig_exchange_token"},
		"client_secret": {ig.AppSecret}, "access_token": {short.AccessToken}}, &long); err != nil {
		return nil, err
	}
	var me struct {
		UserID   json.Number `json:"user_id"`
		Username string      `json:"username"`
		Name     string      `json:"name"`
	}
	if err := c.graphVersion(ctx, http.MethodGet, ig.GraphURL, meta.DefaultVersion, "me", long.AccessToken,
		url.Values{"fields": {"user_id,username,name"}}, &me); err != nil {
		return nil, err
	}
	name := me.Name
	if name == "" {
		name = "@" + me.Username
	}
	// The access token is its own refresh credential.
	tok := c.igTokenSet(long, strings.Join(short.Permissions, " "))
	return []asset{{NativeID: me.UserID.String(), Name: name, Variant: VariantInstagramLogin, Token: tok, Node: "me"}}, nil
}

type igToken struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
}

func (c *Connect) igTokenSet(t igToken, scopes string) tokenSet {
	ts := tokenSet{Access: t.AccessToken, Refresh: t.AccessToken, Scopes: scopes}
	if t.ExpiresIn > 0 {
		ts.Expiry = c.cfg.Now().UTC().Add(time.Duration(t.ExpiresIn) * time.Second)
	}
	return ts
}

// igCode is the code exchange's answer: "a short-lived Instagram User
// access token, an Instagram-scoped user ID … and a list of permissions"
// (business-login page above). The page shows it wrapped in data[]; clients
// in the wild read it flat. Both are accepted.
type igCode struct {
	AccessToken string      `json:"access_token"`
	UserID      json.Number `json:"user_id"`
	Permissions []string    `json:"permissions"`
}

// parseIGCode reads either shape; permissions may be a list or a
// comma-separated string.
func parseIGCode(raw []byte) (igCode, error) {
	var wrapped struct {
		Data []json.RawMessage `json:"data"`
	}
	if json.Unmarshal(raw, &wrapped) == nil && len(wrapped.Data) == 1 {
		raw = wrapped.Data[0]
	}
	var flat struct {
		AccessToken string          `json:"access_token"`
		UserID      json.Number     `json:"user_id"`
		Permissions json.RawMessage `json:"permissions"`
	}
	if err := json.Unmarshal(raw, &flat); err != nil || flat.AccessToken == "" || len(flat.AccessToken) > 4096 {
		return igCode{}, fmt.Errorf("instagram code exchange: unexpected answer %.200s", raw)
	}
	out := igCode{AccessToken: flat.AccessToken, UserID: flat.UserID}
	var list []string
	var joined string
	switch {
	case len(flat.Permissions) == 0:
	case json.Unmarshal(flat.Permissions, &list) == nil:
		out.Permissions = list
	case json.Unmarshal(flat.Permissions, &joined) == nil:
		out.Permissions = strings.Split(joined, ",")
	default:
		return igCode{}, fmt.Errorf("instagram code exchange: unexpected permissions %.100s", flat.Permissions)
	}
	if _, err := strconv.ParseUint(out.UserID.String(), 10, 64); out.UserID != "" && err != nil {
		return igCode{}, fmt.Errorf("instagram code exchange: user_id %q is not an id", out.UserID)
	}
	return out, nil
}

// subscribe enables the account's webhooks: POST /me/subscribed_apps with
// the fields ("You cannot select fields for each app user account",
// https://developers.facebook.com/documentation/instagram-platform/webhooks).
func (p instagramProvider) subscribe(ctx context.Context, a asset) error {
	if a.Variant == VariantFacebookLogin {
		return p.page().subscribe(ctx, a)
	}
	return p.c.subscribeApps(ctx, p.c.cfg.Instagram.GraphURL, "me", a.Token.Access,
		url.Values{"subscribed_fields": {"messages,messaging_postbacks,messaging_seen,message_reactions"}})
}

func (instagramProvider) refreshLead() time.Duration { return IGRefreshLead }

// refresh trades a long-lived token for a new 60-day one
// (grant_type=ig_refresh_token). Graph's 190 means the token is dead.
func (p instagramProvider) refresh(ctx context.Context, a store.Account, refresh string) (tokenSet, error) {
	var t igToken
	err := p.c.graphVersion(ctx, http.MethodGet, p.c.cfg.Instagram.GraphURL, "", "refresh_access_token", "",
		url.Values{"grant_type": {"ig_refresh_token"}, "access_token": {refresh}}, &t)
	if err != nil {
		if reason := authReason(err); reason != "" {
			return tokenSet{}, &deadToken{reason: reason, err: err}
		}
		return tokenSet{}, err
	}
	return p.c.igTokenSet(t, a.Scopes), nil
}

// check asks debug_token for Page tokens; Instagram Login tokens expire
// and are refreshed instead.
func (p instagramProvider) check(ctx context.Context, a store.Account, token string) (string, error) {
	if a.Variant != VariantFacebookLogin {
		return "", nil
	}
	return p.page().check(ctx, a, token)
}

// authReason classifies a Graph error by its body, not its HTTP status
// (Meta sends 190 over 400): 190 and 102 are a dead token (463 expired),
// 10 and 200–299 a permission taken away; everything else is transient or
// a fault of the request (https://developers.facebook.com/docs/graph-api/guides/error-handling).
func authReason(err error) string {
	var ge *graphErr
	if !errors.As(err, &ge) {
		return ""
	}
	switch {
	case ge.Code == 190 && ge.Subcode == 463:
		return ReasonExpired
	case ge.Code == 190 || ge.Code == 102:
		return ReasonRevoked
	case ge.Code == 10 || (ge.Code >= 200 && ge.Code <= 299):
		return ReasonPermissionRemoved
	}
	return ""
}
