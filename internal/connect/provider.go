package connect

import (
	"context"
	"net/url"
	"time"

	"golang.org/x/oauth2"

	"github.com/parleyhq/parley/internal/store"
)

// provider is one platform's part of the flow; everything else (sessions,
// state, the browser binding, the picker, saving, events) is shared.
type provider interface {
	// configured reports whether the platform's app is set up.
	configured() bool
	// consentURL is where the hosted page sends the browser.
	consentURL(s store.ConnectSession, state, verifier string) string
	// assets exchanges the callback's code and lists what the token
	// reaches, each with the token that acts for it. A *flowError is an
	// outcome for the end customer; any other error is a failed exchange.
	assets(ctx context.Context, s store.ConnectSession, q url.Values, verifier string) ([]asset, error)
	// subscribe turns on the chosen asset's webhooks.
	subscribe(ctx context.Context, a asset) error
}

// refresher is a provider whose tokens are refreshed before they expire.
type refresher interface {
	// refreshLead is how long before expiry a token is refreshed.
	refreshLead() time.Duration
	// refresh trades the stored refresh credential for a new token set.
	refresh(ctx context.Context, a store.Account, refresh string) (tokenSet, error)
}

// checker is a provider whose long-lived tokens are checked with the
// platform (Meta's debug_token).
type checker interface {
	// check returns "" when the token still grants the account, else the
	// reauth reason (revoked, permission_removed, expired).
	check(ctx context.Context, a store.Account, token string) (reason string, err error)
}

// asset is one thing a token reaches that can become an account: a Page,
// an Instagram professional account, a WhatsApp number, a LinkedIn
// organisation, an X user. It is sealed into the session while the end
// customer picks.
type asset struct {
	NativeID string `json:"native_id"`
	Name     string `json:"name"`
	// Handle, when the platform has one (@user), is how the outcome page
	// names the account.
	Handle     string   `json:"handle,omitempty"`
	Variant    string   `json:"variant,omitempty"`
	BusinessID string   `json:"business_id,omitempty"`
	Grantor    string   `json:"grantor,omitempty"`
	Token      tokenSet `json:"token"`
	// Node is what subscribe turns webhooks on for (a Page, a WABA).
	Node string `json:"node,omitempty"`
}

// tokenSet is a credential as Parley keeps it.
type tokenSet struct {
	Access  string    `json:"access"`
	Refresh string    `json:"refresh,omitempty"`
	Expiry  time.Time `json:"expiry,omitzero"` // zero: does not expire
	Scopes  string    `json:"scopes,omitempty"`
}

// fromOAuth2 reads a token endpoint's answer, counting expires_in on this
// Connect's clock (x/oauth2 counts from time.Now).
func (c *Connect) fromOAuth2(tok *oauth2.Token) tokenSet {
	t := tokenSet{Access: tok.AccessToken, Refresh: tok.RefreshToken}
	if tok.ExpiresIn > 0 {
		t.Expiry = c.cfg.Now().UTC().Add(time.Duration(tok.ExpiresIn) * time.Second)
	} else if !tok.Expiry.IsZero() {
		t.Expiry = tok.Expiry.UTC()
	}
	if sc, ok := tok.Extra("scope").(string); ok {
		t.Scopes = sc
	}
	return t
}

// flowError is an outcome the end customer is shown, with its code.
type flowError struct {
	code, msg string
}

func (e *flowError) Error() string { return e.code + ": " + e.msg }
