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

// RefreshLead is how long before expiry a token is refreshed: X access
// tokens live two hours, and the job runs every minute, so five minutes
// leaves several tries before a token lapses.
const RefreshLead = 5 * time.Minute

// refreshLease bounds how long one replica may hold an account's refresh;
// a replica that dies mid-refresh releases it by expiry.
const refreshLease = time.Minute

// RefreshDue refreshes the X tokens that expire within RefreshLead (or
// already have). Safe to run on every replica at once: per account, one
// replica wins the lease and calls X; the others skip it.
func (c *Connect) RefreshDue(ctx context.Context) error {
	now := c.cfg.Now().UTC()
	due, err := c.cfg.Store.ExpiringAccounts(ctx, "x", now.Add(RefreshLead), 100)
	if err != nil {
		return err
	}
	var errs []error
	for _, a := range due {
		if err := c.refreshOne(ctx, a); err != nil {
			errs = append(errs, fmt.Errorf("account %s: %w", a.ID, err))
		}
	}
	return errors.Join(errs...)
}

func (c *Connect) refreshOne(ctx context.Context, a store.Account) error {
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
	// An expired token makes the source refresh at once; the refresh token
	// is used exactly once, here, under the lease.
	tok, err := c.xOAuth().TokenSource(c.oauthCtx(ctx), &oauth2.Token{RefreshToken: string(refresh), Expiry: time.Unix(1, 0)}).Token()
	if err != nil {
		if tokenDead(err) {
			return c.reauth(ctx, a, "refresh_failed", err)
		}
		// Transient (5xx, 429, timeouts): the lease lapses and the next
		// run tries again; the account stays active.
		return err
	}
	if tok.RefreshToken == "" {
		tok.RefreshToken = string(refresh) // a platform that does not rotate
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
	return nil
}

// tokenDead tells a refresh token X will never accept again from a
// transient failure. X answers a used, revoked or expired refresh token
// with 400 invalid_request ("Value passed for the token was invalid",
// https://github.com/trypostit/trypost/issues/126) where RFC 6749 §5.2 says
// invalid_grant; both, and a 401 for the client, are final.
func tokenDead(err error) bool {
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
	return c.cfg.Publish(ctx, a.OrgID, EventAccountReauthRequired, fmt.Sprintf("reauth:%s:%d", a.ID, a.CredentialsVersion),
		apitype.AccountStatusEvent{AccountID: a.ID, Platform: a.Platform, Reason: reason})
}
