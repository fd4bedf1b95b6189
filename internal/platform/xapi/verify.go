package xapi

import (
	"context"
	"net/http"
	"net/url"

	"github.com/parleyhq/parley/internal/platform"
)

var _ platform.Verifier = (*Adapter)(nil)

// Verify asks X whose token this is: GET /2/users/me "only works with User
// Context authentication" and answers {"data":{"id","name","username"}}
// (https://docs.x.com/x-api/users/lookup/integrate). The id must be the
// claimed user id. X's 401 (an invalid, expired or revoked token) is
// account.token_invalid; a 403 (e.g. an app-only token, which acts for no
// user) is account.not_granted.
func (a *Adapter) Verify(ctx context.Context, acct platform.Account) (platform.Identity, error) {
	acct.Platform = platform.X
	if !numericID(acct.NativeID) {
		return platform.Identity{}, platform.NotGranted(acct, "an X user id is numeric", "", nil)
	}
	var me struct {
		Data xUser `json:"data"`
	}
	if err := a.do(ctx, acct, http.MethodGet, "/2/users/me", url.Values{"user.fields": {"name,username"}}, nil, &me); err != nil {
		return platform.Identity{}, platform.VerifyError(acct, err)
	}
	if me.Data.ID == "" {
		return platform.Identity{}, platform.NotGranted(acct, "X named no user for the token", "", nil)
	}
	if me.Data.ID != acct.NativeID {
		return platform.Identity{}, platform.NotGranted(acct, "the token is another X user's", me.Data.ID, nil)
	}
	return platform.Identity{NativeID: me.Data.ID, Name: displayName(me.Data)}, nil
}

// numericID matches X's user ids: 1–19 decimal digits.
func numericID(s string) bool {
	if s == "" || len(s) > 19 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
