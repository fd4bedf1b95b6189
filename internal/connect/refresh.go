package connect

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/oauth2"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/store"
)

// refreshLease bounds how long one replica may hold an account's refresh;
// a replica that dies mid-refresh releases it by expiry.
const refreshLease = time.Minute

// RefreshDue refreshes the tokens that expire within their platform's lead
// (or already have). Safe to run on every replica at once: per account, one
// replica wins the lease and calls the platform; the others skip it.
func (c *Connect) RefreshDue(ctx context.Context) error {
	now := c.cfg.Now().UTC()
	var errs []error
	for _, name := range hosted {
		rf, ok := c.providers[name].(refresher)
		if !ok || !c.providers[name].configured() {
			continue
		}
		due, err := c.cfg.Store.ExpiringAccounts(ctx, name, now.Add(rf.refreshLead()), 100)
		if err != nil {
			return err
		}
		for _, a := range due {
			if err := c.refreshOne(ctx, rf, a); err != nil {
				errs = append(errs, fmt.Errorf("account %s: %w", a.ID, err))
			}
		}
	}
	return errors.Join(errs...)
}

func (c *Connect) refreshOne(ctx context.Context, rf refresher, a store.Account) error {
	now := c.cfg.Now().UTC()
	if err := c.cfg.Store.LeaseRefresh(ctx, a.OrgID, a.ID, a.CredentialsVersion, now, now.Add(refreshLease)); errors.Is(err, store.ErrNotFound) {
		return nil // another replica is refreshing it, or just did
	} else if err != nil {
		return err
	}
	refresh, err := c.cfg.Keys.Open(a.RefreshCredentials, []byte(a.ID))
	if err != nil {
		return err
	}
	tok, err := rf.refresh(ctx, a, string(refresh))
	if err != nil {
		if tokenDead(err) {
			return c.reauth(ctx, a, "refresh_failed", err)
		}
		// Transient (5xx, 429, timeouts): the lease lapses and the next
		// run tries again; the account stays active.
		return err
	}
	if tok.Refresh == "" {
		tok.Refresh = string(refresh) // a platform that does not rotate
	}
	next := a
	if err := c.sealToken(&next, tok); err != nil {
		return err
	}
	next.UpdatedAt = now
	// Stored before anyone uses it: the old refresh token is already dead
	// at X. A lost compare-and-swap means the account was reconnected
	// meanwhile; its new credentials win.
	if err := c.cfg.Store.ReplaceRefreshedCredentials(ctx, next); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	c.changed(next.OrgID, next.ID)
	return nil
}

// deadToken is a platform's documented answer for a credential it will
// never accept again (as opposed to a transient failure).
type deadToken struct {
	reason string // expired, revoked, permission_removed, refresh_failed
	err    error
}

func (d *deadToken) Error() string { return d.reason + ": " + d.err.Error() }
func (d *deadToken) Unwrap() error { return d.err }

// tokenDead tells a refresh token the platform will never accept again from
// a transient failure: a deadToken, or an OAuth token endpoint's answer. X answers a used, revoked or expired refresh token
// with 400 invalid_request ("Value passed for the token was invalid",
// https://github.com/trypostit/trypost/issues/126) where RFC 6749 §5.2 says
// invalid_grant; both, and a 401 for the client, are final.
func tokenDead(err error) bool {
	var dt *deadToken
	if errors.As(err, &dt) {
		return true
	}
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response == nil {
		return false
	}
	switch {
	case re.Response.StatusCode == http.StatusUnauthorized:
		return true
	case re.Response.StatusCode == http.StatusBadRequest:
		return re.ErrorCode == "invalid_grant" || re.ErrorCode == "invalid_request"
	}
	return false
}

// reauth marks an account reauth_required once per credentials version and
// emits one account.reauth_required (the dedupe key holds across replicas).
func (c *Connect) reauth(ctx context.Context, a store.Account, reason string, cause error) error {
	cur, err := c.cfg.Store.GetAccount(ctx, a.OrgID, a.ID)
	if err != nil {
		return err
	}
	if cur.CredentialsVersion != a.CredentialsVersion || cur.Status != store.AccountActive {
		return nil // reconnected or already marked meanwhile
	}
	c.cfg.Logger.WarnContext(ctx, "connect: token refresh refused; account needs reauthorisation", "account", a.ID, "err", cause)
	if err := c.cfg.Store.SetAccountStatus(ctx, a.OrgID, a.ID, store.AccountReauthRequired); err != nil {
		return err
	}
	c.changed(a.OrgID, a.ID)
	return c.cfg.Publish(ctx, a.OrgID, EventAccountReauthRequired, fmt.Sprintf("reauth:%s:%d", a.ID, a.CredentialsVersion),
		apitype.AccountStatusEvent{AccountID: a.ID, Platform: a.Platform, Reason: reason})
}
