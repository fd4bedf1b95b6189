package connect

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/store"
)

// CallbackURL is the redirect URI to register in a platform's app console.
func (c *Connect) CallbackURL(platform string) string {
	return c.cfg.PublicURL + "/oauth/callback/" + platform
}

func (c *Connect) oauthCtx(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, c.cfg.HTTPClient)
}

// cookieName is the browser binding of one session: one cookie per session,
// so two connects in two tabs do not overwrite each other.
func cookieName(sessionID string) string { return "parley_connect_" + sessionID }

// HostedPage serves GET /connect/{session}: it starts the session (once),
// binds it to this browser with a cookie, and sends the browser to the
// platform's consent.
func (c *Connect) HostedPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	s, err := c.cfg.Store.ConnectSessionByHash(ctx, hashSecret(r.PathValue("session")))
	if errors.Is(err, store.ErrNotFound) {
		c.page(w, http.StatusNotFound, "This connect link is not valid", "connect.session_not_found", "Ask for a new link.")
		return
	} else if err != nil {
		c.internal(w, r, err)
		return
	}
	now := c.cfg.Now()
	if !now.Before(s.ExpiresAt) {
		c.finish(w, r, s, ErrExpired, "This connect link has expired.")
		return
	}
	if s.Status != store.ConnectPending {
		c.page(w, http.StatusConflict, "This connect link was already used", ErrUsed, "Ask for a new link.")
		return
	}
	p := c.providers[s.Platform]
	if p == nil || !c.ready(s.Platform, s.Variant) {
		c.page(w, http.StatusServiceUnavailable, "This platform cannot be connected here yet", ErrNotConfigured, "The service has not set up its app for this platform.")
		return
	}
	verifier := oauth2.GenerateVerifier()
	sealed, err := c.cfg.Keys.Seal([]byte(verifier), []byte(s.ID))
	if err != nil {
		c.internal(w, r, err)
		return
	}
	nonce, err := newSecret()
	if err != nil {
		c.internal(w, r, err)
		return
	}
	if err := c.cfg.Store.StartConnectSession(ctx, s.ID, sealed, hashSecret(nonce), now); errors.Is(err, store.ErrNotFound) {
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
	// SameSite=Lax: the platform sends the browser back with a top-level
	// GET, which carries Lax cookies; a cross-site POST or subrequest does not.
	http.SetCookie(w, &http.Cookie{Name: cookieName(s.ID), Value: nonce, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: strings.HasPrefix(c.cfg.PublicURL, "https://"), MaxAge: int(SessionTTL.Seconds())})
	http.Redirect(w, r, p.consentURL(s, state, verifier), http.StatusFound)
}

// Callback serves GET /oauth/callback/{platform}: the platform's redirect
// after consent.
func (c *Connect) Callback(platform string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		q := r.URL.Query()
		s, ok := c.resume(w, r, platform, q.Get("state"))
		if !ok {
			return
		}
		if q.Get("error") != "" {
			// RFC 6749 §4.1.2.1: access_denied when the user refuses;
			// LinkedIn says user_cancelled_authorize.
			c.finish(w, r, s, ErrDenied, "Access was not granted.")
			return
		}
		verifier, err := c.cfg.Keys.Open(s.Verifier, []byte(s.ID))
		if err != nil {
			c.internal(w, r, err)
			return
		}
		as, err := c.providers[platform].assets(ctx, s, q, string(verifier))
		if err != nil {
			var fe *flowError
			if errors.As(err, &fe) {
				c.finish(w, r, s, fe.code, fe.msg)
				return
			}
			c.cfg.Logger.WarnContext(ctx, "connect: code exchange failed", "platform", platform, "session", s.ID, "err", err)
			c.finish(w, r, s, ErrExchangeFailed, "The platform did not accept the sign-in.")
			return
		}
		c.choose(w, r, s, as)
	}
}

// resume finds the started session a state names, refusing a forged or
// replayed state, another browser, or an expired session (each answered).
func (c *Connect) resume(w http.ResponseWriter, r *http.Request, platform, state string) (store.ConnectSession, bool) {
	id, err := parseState(c.cfg.Keys, state)
	if err != nil {
		c.page(w, http.StatusBadRequest, "This sign-in cannot be completed", ErrStateInvalid, "The link was altered or did not come from this service. Start again from the app you came from.")
		return store.ConnectSession{}, false
	}
	s, err := c.cfg.Store.ConnectSessionByID(r.Context(), id)
	if err != nil || (platform != "" && s.Platform != platform) {
		c.page(w, http.StatusBadRequest, "This sign-in cannot be completed", ErrStateInvalid, "Start again from the app you came from.")
		return store.ConnectSession{}, false
	}
	if s.Status != store.ConnectStarted {
		// A replay: the session already ended, and its outcome stands.
		c.page(w, http.StatusConflict, "This sign-in was already completed", ErrStateReplayed, "Start again from the app you came from.")
		return store.ConnectSession{}, false
	}
	// Checked before anything can end the session: a stolen callback URL
	// opened elsewhere neither completes nor spoils the customer's sign-in.
	ck, err := r.Cookie(cookieName(s.ID))
	if err != nil || subtle.ConstantTimeCompare(hashSecret(ck.Value), s.BrowserHash) != 1 {
		c.page(w, http.StatusForbidden, "Finish in the browser you started in", ErrBrowserMismatch, "This sign-in was started in another browser. Open the connect link again there.")
		return store.ConnectSession{}, false
	}
	if !c.cfg.Now().Before(s.ExpiresAt) {
		c.finish(w, r, s, ErrExpired, "This connect link expired before sign-in finished.")
		return store.ConnectSession{}, false
	}
	return s, true
}

// choose connects the one asset there is, the one the session reconnects,
// or asks the end customer to pick.
func (c *Connect) choose(w http.ResponseWriter, r *http.Request, s store.ConnectSession, as []asset) {
	ctx := r.Context()
	if s.AccountID != "" {
		cur, err := c.cfg.Store.GetAccount(ctx, s.OrgID, s.AccountID)
		if err != nil {
			c.internal(w, r, err)
			return
		}
		var keep []asset
		for _, a := range as {
			if a.NativeID == cur.NativeID {
				keep = append(keep, a)
			}
		}
		if len(keep) == 0 && len(as) > 0 {
			c.finish(w, r, s, ErrWrongAccount, "The account you signed in with does not reach the account this link reconnects.")
			return
		}
		as = keep
	}
	switch len(as) {
	case 0:
		c.finish(w, r, s, ErrNothingGranted, "The sign-in did not share any account that can receive messages.")
	case 1:
		c.complete(w, r, s, as[0])
	default:
		raw, _ := json.Marshal(as)
		sealed, err := c.cfg.Keys.Seal(raw, assetsAAD(s.ID))
		if err == nil {
			err = c.cfg.Store.SaveConnectAssets(ctx, s.ID, sealed, c.cfg.Now())
		}
		if err != nil {
			c.internal(w, r, err)
			return
		}
		state, err := makeState(c.cfg.Keys, s.ID)
		if err != nil {
			c.internal(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; form-action 'self'")
		_ = pickTmpl.Execute(w, map[string]any{"State": state, "Assets": as})
	}
}

// assetsAAD: like the verifier, the candidates are sealed with the row id,
// so key rotation re-seals them (sqlstore's sealedColumns).
func assetsAAD(sessionID string) []byte { return []byte(sessionID) }

var pickTmpl = template.Must(template.New("pick").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Choose an account</title></head>
<body><main><h1>Choose the account to connect</h1>
<form method="post" action="/connect/pick">
<input type="hidden" name="state" value="{{.State}}">
{{range $i, $a := .Assets}}<p><label><input type="radio" name="asset" value="{{$a.NativeID}}"{{if eq $i 0}} checked{{end}}> {{$a.Name}}</label></p>
{{end}}<button type="submit">Connect</button>
</form></main></body></html>
`))

// Pick serves POST /connect/pick: the end customer's choice among the
// assets a token reaches. The same state, browser and expiry checks as the
// callback hold.
func (c *Connect) Pick(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		c.page(w, http.StatusBadRequest, "This sign-in cannot be completed", ErrStateInvalid, "Start again from the app you came from.")
		return
	}
	s, ok := c.resume(w, r, "", r.PostForm.Get("state"))
	if !ok {
		return
	}
	var as []asset
	raw, err := c.cfg.Keys.Open(s.Assets, assetsAAD(s.ID))
	if err == nil {
		err = json.Unmarshal(raw, &as)
	}
	if err != nil {
		c.page(w, http.StatusBadRequest, "There is nothing to choose", ErrStateInvalid, "Start again from the app you came from.")
		return
	}
	for _, a := range as {
		if a.NativeID == r.PostForm.Get("asset") {
			c.complete(w, r, s, a)
			return
		}
	}
	c.page(w, http.StatusBadRequest, "Choose one of the accounts listed", ErrNothingGranted, "Go back and choose an account.")
}

// A new account's slot is held (hold) for holdFor: long enough to outlast
// the platform call, bounded by subscribeTimeout, and the save after it by
// minutes; short enough that a replica dying in between gives the brand
// its slot back soon.
const (
	holdFor          = 5 * time.Minute
	subscribeTimeout = time.Minute
)

// complete lets the plan decide, then subscribes the asset's webhooks, then
// creates or reconnects the account and ends the session in one
// transaction. The plan comes first so that a connect it refuses never
// asks the platform for webhooks that ingest would only drop: Parley
// unsubscribes nothing, since another organisation may have connected the
// same Page or WABA.
func (c *Connect) complete(w http.ResponseWriter, r *http.Request, s store.ConnectSession, a asset) {
	ctx := r.Context()
	held, refused, err := c.hold(ctx, s, a)
	if err != nil {
		c.internal(w, r, err)
		return
	}
	if refused != nil {
		c.redirect(w, r, s, refused.query(s.ID), "Not connected", refused.msg+" ("+refused.code+")")
		return
	}
	// A browser that goes away now must not leave a subscription made and
	// its outcome unrecorded (or a slot held until the hold ends).
	ctx = context.WithoutCancel(ctx)
	sctx, cancel := context.WithTimeout(ctx, subscribeTimeout)
	err = c.providers[s.Platform].subscribe(sctx, a)
	cancel()
	if err != nil {
		c.cfg.Logger.WarnContext(ctx, "connect: subscribing webhooks failed", "platform", s.Platform, "session", s.ID, "err", err)
		const msg = "The platform refused to send this account's messages."
		if !held {
			c.finish(w, r, s, ErrPlatform, msg)
			return
		}
		if err := c.release(ctx, s, ErrPlatform); err != nil {
			c.internal(w, r, err)
			return
		}
		c.redirect(w, r, s, url.Values{"session_id": {s.ID}, "status": {"error"}, "error": {ErrPlatform}}, "Not connected", msg+" ("+ErrPlatform+")")
		return
	}
	acct, reconnected, refused, err := c.save(ctx, s, a, held)
	if err != nil {
		if held {
			if rerr := c.release(ctx, s, "system.internal"); rerr != nil {
				c.cfg.Logger.ErrorContext(ctx, "connect: giving back a held account slot", "session", s.ID, "err", rerr)
			}
		}
		c.internal(w, r, err)
		return
	}
	if refused == nil {
		c.changed(s.OrgID, acct.ID)
	}
	if refused != nil {
		c.redirect(w, r, s, refused.query(s.ID), "Not connected", refused.msg+" ("+refused.code+")")
		return
	}
	if err := c.cfg.Publish(ctx, s.OrgID, EventAccountConnected, "connected:"+s.ID, apitype.AccountConnectedEvent{
		AccountID: acct.ID, Platform: acct.Platform, BrandID: acct.BrandID, NativeID: acct.NativeID,
		SessionID: s.ID, Reconnected: reconnected}); err != nil {
		c.cfg.Logger.ErrorContext(ctx, "connect: publishing account.connected", "account", acct.ID, "err", err)
	}
	label := a.Name
	if a.Handle != "" {
		label = a.Handle
	}
	c.redirect(w, r, s, url.Values{"session_id": {s.ID}, "status": {"connected"}, "account_id": {acct.ID}},
		"Connected", label+" is connected. You can close this page.")
}

// hold decides, before any platform call, whether the asset reconnects an
// account of the organisation's or becomes a new one, and for a new one
// takes a slot of the brand under the plan (held: the session is now
// holding). A reconnect holds nothing. refused is an end-customer outcome
// (with no error), the session ended failed in the same transaction.
func (c *Connect) hold(ctx context.Context, s store.ConnectSession, a asset) (held bool, refused *refusal, err error) {
	now := c.cfg.Now().UTC()
	err = c.cfg.Store.InTx(ctx, func(st store.Store, _ *sql.Tx) error {
		cur, found, err := existing(ctx, st, s, a)
		if err != nil {
			return err
		}
		if found {
			if cur.NativeID != a.NativeID {
				refused = wrongAccount()
				return st.FinishConnectSession(ctx, s.ID, store.ConnectFailed, "", refused.code, now)
			}
			return nil
		}
		if err := c.cfg.HoldAccount(ctx, st, s, now, now.Add(holdFor)); err != nil {
			// Counted under the brand's lock with the accounts and the
			// other holds: of concurrent connects at the boundary exactly
			// the allowed number get past here.
			if f, ok := planRefusal(err); ok {
				refused = f
				return st.FinishConnectSession(ctx, s.ID, store.ConnectFailed, "", f.code, now)
			}
			return err
		}
		held = true
		return nil
	})
	if err != nil {
		held, refused = false, nil
	}
	return held, refused, err
}

// release ends a holding session failed with code, giving its slot back.
func (c *Connect) release(ctx context.Context, s store.ConnectSession, code string) error {
	return c.cfg.Store.FinishHeldConnectSession(ctx, s.ID, store.ConnectFailed, "", code, c.cfg.Now())
}

// existing finds the account a session reconnects: the one it names, or
// the organisation's account for the same platform account (connecting it
// again reconnects it, so its conversation ids stay valid).
func existing(ctx context.Context, st store.Store, s store.ConnectSession, a asset) (store.Account, bool, error) {
	if s.AccountID == "" {
		same, err := st.AccountByNative(ctx, s.OrgID, s.Platform, a.NativeID)
		if errors.Is(err, store.ErrNotFound) {
			return store.Account{}, false, nil
		}
		return same, err == nil, err
	}
	cur, err := st.GetAccount(ctx, s.OrgID, s.AccountID)
	return cur, err == nil, err
}

// errReconnectGone: the account hold found to reconnect was deleted before
// save; a new account would need the plan's slot, which the session does
// not hold. The Page stays subscribed as the deleted account left it.
var errReconnectGone = errors.New("connect: the account to reconnect was deleted while connecting")

func wrongAccount() *refusal {
	return &refusal{code: ErrWrongAccount, msg: "That account is not the one this link reconnects."}
}

// refusal is why hold or save did not connect the account, for the end
// customer and the caller's redirect_url: a token of another account than the one
// to reconnect, or the plan's limit on accounts per brand.
type refusal struct {
	code, msg string
	// meta is the plan refusal's plan, limit and used, added to the
	// redirect so the caller's page can say what to upgrade.
	meta url.Values
}

func (f *refusal) query(sessionID string) url.Values {
	v := url.Values{"session_id": {sessionID}, "status": {"error"}, "error": {f.code}}
	for k, vs := range f.meta {
		v[k] = vs
	}
	return v
}

// planRefusal reads a refusal of the plan's (a 402 billing.* from
// Config.HoldAccount); any other error is not one.
func planRefusal(err error) (*refusal, bool) {
	e, ok := apierr.As(err)
	if !ok || e.Status != http.StatusPaymentRequired {
		return nil, false
	}
	f := &refusal{code: e.Code, meta: url.Values{},
		msg: "This brand already has as many connected accounts as its plan allows. Disconnect one, or ask the service you came from to upgrade the plan."}
	for _, k := range []string{"plan", "limit", "used"} {
		if v, ok := e.Meta[k]; ok {
			f.meta.Set(k, fmt.Sprint(v))
		}
	}
	return f, true
}

// save ends the session and creates or reconnects the account in one
// transaction: a replayed state (the CAS fails) or any error leaves neither
// a finished session nor an account behind. held says hold took a slot
// for a new account: the account created is the slot's, counted then, and
// the session is finished from holding. refused is an end-customer error
// (with no error): the session ends failed and no account is made.
func (c *Connect) save(ctx context.Context, s store.ConnectSession, a asset, held bool) (acct store.Account, reconnected bool, refused *refusal, err error) {
	now := c.cfg.Now().UTC()
	err = c.cfg.Store.InTx(ctx, func(st store.Store, _ *sql.Tx) error {
		finish := st.FinishConnectSession
		if held {
			finish = st.FinishHeldConnectSession
		}
		cur, found, err := existing(ctx, st, s, a)
		switch {
		case err != nil:
			return err
		case found && cur.NativeID != a.NativeID:
			refused = wrongAccount()
			return finish(ctx, s.ID, store.ConnectFailed, "", refused.code, now)
		case found:
			// Held too when another session of the organisation created
			// the account meanwhile: the slot goes back unused.
			acct, reconnected = cur, true
		case !held:
			return errReconnectGone
		default:
			acct = store.Account{ID: store.NewID("acct"), OrgID: s.OrgID, BrandID: s.BrandID, Platform: s.Platform, NativeID: a.NativeID,
				CreatedAt: now}
		}
		acct.DisplayName, acct.Variant, acct.BusinessAccountID = a.Name, a.Variant, a.BusinessID
		acct.Status, acct.VerifiedAt, acct.UpdatedAt = store.AccountActive, &now, now
		if err := c.sealToken(&acct, a.Token); err != nil {
			return err
		}
		if reconnected {
			err = st.UpdateAccount(ctx, acct)
		} else {
			// Not counted again: the plan admitted it when the slot was
			// held, and refusing it now would leave the subscription
			// made for it behind.
			err = st.CreateAccount(ctx, acct)
		}
		if err != nil {
			return err
		}
		if err := finish(ctx, s.ID, store.ConnectConnected, acct.ID, "", now); err != nil {
			return err
		}
		return st.SetAccountGrantor(ctx, s.OrgID, acct.ID, a.Grantor, now)
	})
	if err != nil {
		refused = nil
	}
	return acct, reconnected, refused, err
}

// sealToken puts a token set into an account's credentials.
func (c *Connect) sealToken(a *store.Account, tok tokenSet) error {
	var err error
	if a.Credentials, err = c.cfg.Keys.Seal([]byte(tok.Access), []byte(a.ID)); err != nil {
		return err
	}
	a.RefreshCredentials = nil
	if tok.Refresh != "" {
		if a.RefreshCredentials, err = c.cfg.Keys.Seal([]byte(tok.Refresh), []byte(a.ID)); err != nil {
			return err
		}
	}
	a.TokenExpiresAt = nil
	if !tok.Expiry.IsZero() {
		e := tok.Expiry.UTC()
		a.TokenExpiresAt = &e
	}
	a.Scopes = tok.Scopes
	return nil
}

// finish ends a started session as failed with code (a pending one that
// expired stays as it is) and returns the customer to the caller.
func (c *Connect) finish(w http.ResponseWriter, r *http.Request, s store.ConnectSession, code, msg string) {
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
	// The binding has served; the browser may forget it.
	http.SetCookie(w, &http.Cookie{Name: cookieName(s.ID), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
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
