package connect

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/store"
)

// xScopes are what a DM account needs: dm.read and dm.write, which X grants
// only with tweet.read and users.read, and offline.access for a refresh
// token ("If this scope is not passed, we will not generate a refresh
// token": https://docs.x.com/fundamentals/authentication/oauth-2-0/authorization-code).
var xScopes = []string{"dm.read", "dm.write", "tweet.read", "users.read", "offline.access"}

// xOAuth is the X app as golang.org/x/oauth2 sees it. X's confidential
// clients authenticate to the token endpoint with HTTP Basic.
func (c *Connect) xOAuth() *oauth2.Config {
	return &oauth2.Config{
		ClientID:     c.cfg.X.ClientID,
		ClientSecret: c.cfg.X.ClientSecret,
		Endpoint: oauth2.Endpoint{AuthURL: c.cfg.X.AuthorizeURL, TokenURL: strings.TrimRight(c.cfg.X.APIURL, "/") + "/2/oauth2/token",
			AuthStyle: oauth2.AuthStyleInHeader},
		RedirectURL: c.CallbackURL("x"),
		Scopes:      xScopes,
	}
}

// CallbackURL is the redirect URI to register in a platform's app console.
func (c *Connect) CallbackURL(platform string) string {
	return c.cfg.PublicURL + "/oauth/callback/" + platform
}

func (c *Connect) oauthCtx(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, c.cfg.HTTPClient)
}

// HostedPage serves GET /connect/{session}: it starts the session (once)
// and sends the browser to the platform's consent.
func (c *Connect) HostedPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	secret := r.PathValue("session")
	s, err := c.cfg.Store.ConnectSessionByHash(ctx, hashSecret(secret))
	if errors.Is(err, store.ErrNotFound) {
		c.page(w, http.StatusNotFound, "This connect link is not valid", "connect.session_not_found", "Ask for a new link.")
		return
	} else if err != nil {
		c.internal(w, r, err)
		return
	}
	now := c.cfg.Now()
	if !now.Before(s.ExpiresAt) {
		c.finish(w, r, s, "", ErrExpired, "This connect link has expired.")
		return
	}
	if s.Status != store.ConnectPending {
		c.page(w, http.StatusConflict, "This connect link was already used", ErrUsed, "Ask for a new link.")
		return
	}
	verifier := oauth2.GenerateVerifier()
	sealed, err := c.cfg.Keys.Seal([]byte(verifier), []byte(s.ID))
	if err != nil {
		c.internal(w, r, err)
		return
	}
	if err := c.cfg.Store.StartConnectSession(ctx, s.ID, sealed, now); errors.Is(err, store.ErrNotFound) {
		c.page(w, http.StatusConflict, "This connect link was already used", ErrUsed, "Ask for a new link.")
		return
	} else if err != nil {
		c.internal(w, r, err)
		return
	}
	state, err := makeState(c.cfg.Keys, s.ID)
	if err != nil {
		c.internal(w, r, err)
		return
	}
	http.Redirect(w, r, c.xOAuth().AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)), http.StatusFound)
}

// XCallback serves GET /oauth/callback/x.
func (c *Connect) XCallback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	id, err := parseState(c.cfg.Keys, q.Get("state"))
	if err != nil {
		c.page(w, http.StatusBadRequest, "This sign-in cannot be completed", ErrStateInvalid, "The link was altered or did not come from this service. Start again from the app you came from.")
		return
	}
	s, err := c.cfg.Store.ConnectSessionByID(ctx, id)
	if err != nil || s.Platform != "x" {
		c.page(w, http.StatusBadRequest, "This sign-in cannot be completed", ErrStateInvalid, "Start again from the app you came from.")
		return
	}
	if s.Status != store.ConnectStarted {
		// A replay: the session already ended, and its outcome stands.
		c.page(w, http.StatusConflict, "This sign-in was already completed", ErrStateReplayed, "Start again from the app you came from.")
		return
	}
	if !c.cfg.Now().Before(s.ExpiresAt) {
		c.finish(w, r, s, "", ErrExpired, "This connect link expired before sign-in finished.")
		return
	}
	if e := q.Get("error"); e != "" {
		// RFC 6749 §4.1.2.1: access_denied when the user refuses.
		c.finish(w, r, s, "", ErrDenied, "Access was not granted.")
		return
	}
	verifier, err := c.cfg.Keys.Open(s.Verifier, []byte(s.ID))
	if err != nil {
		c.internal(w, r, err)
		return
	}
	tok, err := c.xOAuth().Exchange(c.oauthCtx(ctx), q.Get("code"), oauth2.VerifierOption(string(verifier)))
	if err != nil {
		c.cfg.Logger.WarnContext(ctx, "connect: X code exchange failed", "session", s.ID, "err", err)
		c.finish(w, r, s, "", ErrExchangeFailed, "X did not accept the sign-in.")
		return
	}
	user, err := c.xMe(ctx, tok.AccessToken)
	if err != nil {
		c.cfg.Logger.WarnContext(ctx, "connect: X users/me failed", "session", s.ID, "err", err)
		c.finish(w, r, s, "", ErrPlatform, "X did not say which account signed in.")
		return
	}
	acct, reconnected, code, err := c.save(ctx, s, user, tok)
	if err != nil {
		c.internal(w, r, err)
		return
	}
	if code != "" {
		c.finish(w, r, s, "", code, "That X account is not the one this link reconnects.")
		return
	}
	if err := c.cfg.Publish(ctx, s.OrgID, EventAccountConnected, "connected:"+s.ID, apitype.AccountConnectedEvent{
		AccountID: acct.ID, Platform: acct.Platform, BrandID: acct.BrandID, NativeID: acct.NativeID,
		SessionID: s.ID, Reconnected: reconnected}); err != nil {
		c.cfg.Logger.ErrorContext(ctx, "connect: publishing account.connected", "account", acct.ID, "err", err)
	}
	c.redirect(w, r, s, url.Values{"session_id": {s.ID}, "status": {"connected"}, "account_id": {acct.ID}},
		"Connected", "@"+user.Username+" is connected. You can close this page.")
}

type xUser struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Username string `json:"username"`
}

// xMe asks X who the token belongs to (GET /2/users/me).
func (c *Connect) xMe(ctx context.Context, token string) (xUser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(c.cfg.X.APIURL, "/")+"/2/users/me", nil)
	if err != nil {
		return xUser{}, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := c.cfg.HTTPClient.Do(req)
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

// save ends the session and creates or reconnects the account in one
// transaction: a replayed state (the CAS fails) or any error leaves neither
// a finished session nor an account behind. code is an end-customer error
// (with no error), for a token of another account than the one to reconnect.
func (c *Connect) save(ctx context.Context, s store.ConnectSession, u xUser, tok *oauth2.Token) (acct store.Account, reconnected bool, code string, err error) {
	now := c.cfg.Now().UTC()
	err = c.cfg.Store.InTx(ctx, func(st store.Store, _ *sql.Tx) error {
		id := s.AccountID
		if id == "" {
			// Connecting an account the organisation already has reconnects
			// it, so its conversation ids stay valid.
			same, err := st.AccountByNative(ctx, s.OrgID, "x", u.ID)
			if err == nil {
				id = same.ID
			} else if !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		if id != "" {
			cur, err := st.GetAccount(ctx, s.OrgID, id)
			if err != nil {
				return err
			}
			if cur.NativeID != u.ID {
				code = ErrWrongAccount
				return st.FinishConnectSession(ctx, s.ID, store.ConnectFailed, "", code, now)
			}
			acct, reconnected = cur, true
		} else {
			acct = store.Account{ID: store.NewID("acct"), OrgID: s.OrgID, BrandID: s.BrandID, Platform: "x", NativeID: u.ID,
				Variant: "", CreatedAt: now}
		}
		acct.DisplayName, acct.Status, acct.VerifiedAt, acct.UpdatedAt = displayName(u), store.AccountActive, &now, now
		if err := c.sealToken(&acct, tok); err != nil {
			return err
		}
		if err := st.FinishConnectSession(ctx, s.ID, store.ConnectConnected, acct.ID, "", now); err != nil {
			return err
		}
		if reconnected {
			return st.UpdateAccount(ctx, acct)
		}
		return st.CreateAccount(ctx, acct)
	})
	return acct, reconnected, code, err
}

// sealToken puts a token pair into an account's credentials. The expiry is
// counted from this Connect's clock (x/oauth2 counts from time.Now).
func (c *Connect) sealToken(a *store.Account, tok *oauth2.Token) error {
	var err error
	if a.Credentials, err = c.cfg.Keys.Seal([]byte(tok.AccessToken), []byte(a.ID)); err != nil {
		return err
	}
	a.RefreshCredentials = nil
	if tok.RefreshToken != "" {
		if a.RefreshCredentials, err = c.cfg.Keys.Seal([]byte(tok.RefreshToken), []byte(a.ID)); err != nil {
			return err
		}
	}
	a.TokenExpiresAt = nil
	if tok.ExpiresIn > 0 {
		e := c.cfg.Now().UTC().Add(time.Duration(tok.ExpiresIn) * time.Second)
		a.TokenExpiresAt = &e
	} else if !tok.Expiry.IsZero() {
		e := tok.Expiry.UTC()
		a.TokenExpiresAt = &e
	}
	if sc, ok := tok.Extra("scope").(string); ok {
		a.Scopes = sc
	}
	return nil
}

func displayName(u xUser) string {
	if u.Name != "" {
		return u.Name
	}
	return "@" + u.Username
}

// finish ends a started session as failed with code (a pending one that
// expired stays as it is) and returns the customer to the caller.
func (c *Connect) finish(w http.ResponseWriter, r *http.Request, s store.ConnectSession, _ string, code, msg string) {
	if s.Status == store.ConnectStarted {
		if err := c.cfg.Store.FinishConnectSession(r.Context(), s.ID, store.ConnectFailed, "", code, c.cfg.Now()); err != nil &&
			!errors.Is(err, store.ErrNotFound) {
			c.internal(w, r, err)
			return
		}
	}
	c.redirect(w, r, s, url.Values{"session_id": {s.ID}, "status": {"error"}, "error": {code}}, "Not connected", msg+" ("+code+")")
}

// redirect sends the browser to the session's redirect_url with the
// outcome, or shows it when the caller gave none.
func (c *Connect) redirect(w http.ResponseWriter, r *http.Request, s store.ConnectSession, v url.Values, title, msg string) {
	if s.RedirectURL == "" {
		status := http.StatusOK
		if v.Get("status") != "connected" {
			status = http.StatusBadRequest
		}
		c.page(w, status, title, v.Get("error"), msg)
		return
	}
	u, _ := url.Parse(s.RedirectURL) // checked when the session was created
	q := u.Query()
	for k, vs := range v {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{{.Title}}</title></head>
<body><main><h1>{{.Title}}</h1><p>{{.Message}}</p>{{if .Code}}<p>Error code: <code id="error-code">{{.Code}}</code></p>{{end}}</main></body></html>
`))

// page shows the end customer a short, clear outcome.
func (c *Connect) page(w http.ResponseWriter, status int, title, code, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'")
	w.WriteHeader(status)
	_ = pageTmpl.Execute(w, struct{ Title, Code, Message string }{title, code, msg})
}

func (c *Connect) internal(w http.ResponseWriter, r *http.Request, err error) {
	c.cfg.Logger.ErrorContext(r.Context(), "connect: internal error", "err", err)
	c.page(w, http.StatusInternalServerError, "Something went wrong", "system.internal", "Please try again later.")
}
