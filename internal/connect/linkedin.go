package connect

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/parleyhq/parley/internal/platform/linkedin"
	"github.com/parleyhq/parley/internal/store"
)

// linkedinScopes let a Page administrator's token list and act for the
// organisations the member administers (Community Management API,
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-access-control-by-role,
// checked 2026-11-30). "If multiple scopes are requested, the user must
// consent to all of them."
var linkedinScopes = []string{"r_organization_admin", "rw_organization_admin", "r_organization_social", "w_organization_social"}

// LinkedInRefreshLead: access tokens live 60 days; partners' refresh
// tokens (365 days, not extended by use) are used a week before expiry
// (https://learn.microsoft.com/en-us/linkedin/shared/authentication/programmatic-refresh-tokens).
const LinkedInRefreshLead = 7 * 24 * time.Hour

// linkedinProvider connects LinkedIn organisations (Pages) with LinkedIn's
// 3-legged OAuth (https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow).
// A web app is a confidential client sending its credentials in the form;
// PKCE is for native apps only, so none is sent.
type linkedinProvider struct{ c *Connect }

func (p linkedinProvider) configured() bool {
	return p.c.cfg.LinkedIn.ClientID != "" && p.c.cfg.LinkedIn.ClientSecret != ""
}

// oauth: the token endpoint is on the consent page's host
// (www.linkedin.com/oauth/v2/accessToken).
func (p linkedinProvider) oauth() *oauth2.Config {
	li := p.c.cfg.LinkedIn
	tokenURL := li.AuthorizeURL
	if u, err := url.Parse(li.AuthorizeURL); err == nil {
		tokenURL = u.Scheme + "://" + u.Host + "/oauth/v2/accessToken"
	}
	return &oauth2.Config{ClientID: li.ClientID, ClientSecret: li.ClientSecret, RedirectURL: p.c.CallbackURL("linkedin"), Scopes: linkedinScopes,
		Endpoint: oauth2.Endpoint{AuthURL: li.AuthorizeURL, TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInParams}}
}

func (p linkedinProvider) consentURL(_ store.ConnectSession, state, _ string) string {
	return p.oauth().AuthCodeURL(state)
}

func (p linkedinProvider) assets(ctx context.Context, _ store.ConnectSession, q url.Values, _ string) ([]asset, error) {
	tok, err := p.oauth().Exchange(p.c.oauthCtx(ctx), q.Get("code"))
	if err != nil {
		return nil, err
	}
	ts := p.c.fromOAuth2(tok)
	// The organisations the member administers: organizationAcls with the
	// roleAssignee finder, approved ADMINISTRATOR roles only (same page as
	// the scopes).
	var acls struct {
		Elements []struct {
			Organization string `json:"organization"`
		} `json:"elements"`
	}
	if err := p.rest(ctx, tok.AccessToken, "/rest/organizationAcls", url.Values{"q": {"roleAssignee"}, "role": {"ADMINISTRATOR"},
		"state": {"APPROVED"}, "count": {"100"}}, &acls); err != nil {
		return nil, err
	}
	var out []asset
	for _, e := range acls.Elements {
		id, ok := strings.CutPrefix(e.Organization, "urn:li:organization:")
		if !ok {
			continue
		}
		var org struct {
			LocalizedName string `json:"localizedName"`
		}
		if err := p.rest(ctx, tok.AccessToken, "/rest/organizations/"+url.PathEscape(id), nil, &org); err != nil {
			return nil, err
		}
		out = append(out, asset{NativeID: e.Organization, Name: org.LocalizedName, Token: ts})
	}
	return out, nil
}

// rest calls a versioned LinkedIn API with the headers every versioned
// call needs (LinkedIn-Version, X-Restli-Protocol-Version 2.0.0).
func (p linkedinProvider) rest(ctx context.Context, token, path string, q url.Values, out any) error {
	u := strings.TrimRight(p.c.cfg.LinkedIn.APIURL, "/") + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("LinkedIn-Version", linkedin.DefaultVersion)
	req.Header.Set("X-Restli-Protocol-Version", "2.0.0")
	if err := p.c.doJSON(req, out); err != nil {
		return fmt.Errorf("linkedin %s: %w", path, err)
	}
	return nil
}

// subscribe is a no-op: LinkedIn's organisation webhooks are registered per
// app in the developer portal, not per organisation.
func (linkedinProvider) subscribe(context.Context, asset) error { return nil }

func (linkedinProvider) refreshLead() time.Duration { return LinkedInRefreshLead }

// refresh uses a partner's refresh token; LinkedIn keeps it (and its
// original life) across refreshes.
func (p linkedinProvider) refresh(ctx context.Context, _ store.Account, refresh string) (tokenSet, error) {
	tok, err := p.oauth().TokenSource(p.c.oauthCtx(ctx), &oauth2.Token{RefreshToken: refresh, Expiry: time.Unix(1, 0)}).Token()
	if err != nil {
		return tokenSet{}, err
	}
	return p.c.fromOAuth2(tok), nil
}
