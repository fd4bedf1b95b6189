package connect

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/parleyhq/parley/internal/store"
)

// xScopes are what a DM account needs: dm.read and dm.write, which X grants
// only with tweet.read and users.read, and offline.access for a refresh
// token ("If this scope is not passed, we will not generate a refresh
// token": https://docs.x.com/fundamentals/authentication/oauth-2-0/authorization-code).
var xScopes = []string{"dm.read", "dm.write", "tweet.read", "users.read", "offline.access"}

// RefreshLead is how long before expiry an X token is refreshed: X access
// tokens live two hours, and the job runs every minute, so five minutes
// leaves several tries before a token lapses.
const RefreshLead = 5 * time.Minute

type xProvider struct{ c *Connect }

func (p xProvider) configured() bool { return p.c.cfg.X.ClientID != "" }

// oauth is the X app as golang.org/x/oauth2 sees it. X's confidential
// clients authenticate to the token endpoint with HTTP Basic.
func (p xProvider) oauth() *oauth2.Config {
	x := p.c.cfg.X
	return &oauth2.Config{
		ClientID:     x.ClientID,
		ClientSecret: x.ClientSecret,
		Endpoint: oauth2.Endpoint{AuthURL: x.AuthorizeURL, TokenURL: strings.TrimRight(x.APIURL, "/") + "/2/oauth2/token",
			AuthStyle: oauth2.AuthStyleInHeader},
		RedirectURL: p.c.CallbackURL("x"),
		Scopes:      xScopes,
	}
}

func (p xProvider) consentURL(_ store.ConnectSession, state, verifier string) string {
	return p.oauth().AuthCodeURL(state, oauth2.S256ChallengeOption(verifier))
}

func (p xProvider) assets(ctx context.Context, _ store.ConnectSession, q url.Values, verifier string) ([]asset, error) {
	tok, err := p.oauth().Exchange(p.c.oauthCtx(ctx), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, fmt.Errorf("code exchange at X: %w", err)
	}
	u, err := p.me(ctx, tok.AccessToken)
	if err != nil {
		return nil, &flowError{code: ErrPlatform, msg: "X did not say which account signed in."}
	}
	name := u.Name
	if name == "" {
		name = "@" + u.Username
	}
	return []asset{{NativeID: u.ID, Name: name, Handle: "@" + u.Username, Token: p.c.fromOAuth2(tok)}}, nil
}

// subscribe is a no-op: X's Account Activity subscription needs an
// Enterprise or Pay Per Use tier (https://docs.x.com/x-api/account-activity/quickstart);
// Parley reads X DMs through /2/dm_events meanwhile.
func (xProvider) subscribe(context.Context, asset) error { return nil }

func (xProvider) refreshLead() time.Duration { return RefreshLead }

// refresh uses the single-use refresh token exactly once (under the
// caller's lease); an expired token makes the source refresh at once.
func (p xProvider) refresh(ctx context.Context, _ store.Account, refresh string) (tokenSet, error) {
	tok, err := p.oauth().TokenSource(p.c.oauthCtx(ctx), &oauth2.Token{RefreshToken: refresh, Expiry: time.Unix(1, 0)}).Token()
	if err != nil {
		return tokenSet{}, err
	}
	return p.c.fromOAuth2(tok), nil
}

type xUser struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Username string `json:"username"`
}

// me asks X who the token belongs to (GET /2/users/me).
func (p xProvider) me(ctx context.Context, token string) (xUser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(p.c.cfg.X.APIURL, "/")+"/2/users/me", nil)
	if err != nil {
		return xUser{}, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := p.c.cfg.HTTPClient.Do(req)
	if err != nil {
		return xUser{}, err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode != http.StatusOK {
		return xUser{}, fmt.Errorf("users/me answered %d: %.200s", res.StatusCode, body)
	}
	var out struct {
		Data xUser `json:"data"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.Data.ID == "" {
		return xUser{}, fmt.Errorf("users/me: unexpected body %.200s", body)
	}
	return out.Data, nil
}
