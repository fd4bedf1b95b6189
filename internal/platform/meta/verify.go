package meta

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/parleyhq/parley/internal/apierr"

	"github.com/parleyhq/parley/internal/platform"
)

var _ platform.Verifier = (*Adapter)(nil)

// Verify asks Graph, with the account's own token, which account the token
// acts for, and accepts it only when that is the claimed one:
//
//   - Messenger: the token must be the Page's token. GET /me with it is the
//     Page — "/me … translates to the object ID of the person or Page whose
//     access token is currently being used"
//     (https://developers.facebook.com/docs/graph-api/overview, "/me"). A
//     mere GET /{page-id} would not do: any valid token can read a
//     published Page's public fields.
//   - Instagram with Instagram Login: GET graph.instagram.com/me with
//     fields user_id,username is "your app user's Instagram professional
//     account user ID and username"
//     (https://developers.facebook.com/docs/instagram-platform/instagram-api-with-instagram-login/get-started,
//     "Get the app user ID & username"); user_id is the id webhooks carry.
//   - Instagram through Facebook Login: the Page token's /me is the Page, and
//     its instagram_business_account is the linked professional account
//     (https://developers.facebook.com/docs/graph-api/reference/page/,
//     field instagram_business_account).
//
// Graph's token errors (190, 102, 104) become account.token_invalid; an
// object the token may not see (100/33) or a permission error becomes
// account.not_granted.
func (a *Adapter) Verify(ctx context.Context, acct platform.Account) (platform.Identity, error) {
	acct.Platform = a.name
	if !validID(acct.NativeID) {
		return platform.Identity{}, platform.NotGranted(acct, "it is not a Graph id", "", nil)
	}
	if _, err := a.route(acct); err != nil {
		return platform.Identity{}, err
	}
	switch {
	case a.name == platform.Messenger:
		var page struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		}
		if err := a.fb.Get(ctx, acct.AccessToken, "me", url.Values{"fields": {"id,name"}}, &page); err != nil {
			return platform.Identity{}, platform.VerifyError(acct, err)
		}
		if page.ID != acct.NativeID {
			return platform.Identity{}, platform.NotGranted(acct, "the token is not that Page's access token", page.ID, nil)
		}
		return platform.Identity{NativeID: page.ID, Name: page.Name}, nil

	case acct.Variant == VariantFacebookLogin:
		var page struct {
			ID     string `json:"id"`
			Linked *struct {
				ID       string `json:"id"`
				Username string `json:"username"`
				Name     string `json:"name"`
			} `json:"instagram_business_account"`
		}
		q := url.Values{"fields": {"id,name,instagram_business_account{id,username,name}"}}
		if err := a.fb.Get(ctx, acct.AccessToken, "me", q, &page); err != nil {
			return platform.Identity{}, platform.VerifyError(acct, err)
		}
		if page.Linked == nil {
			return platform.Identity{}, platform.NotGranted(acct, "the token's Page has no linked Instagram professional account", "", nil)
		}
		if page.Linked.ID != acct.NativeID {
			return platform.Identity{}, platform.NotGranted(acct, "the token's Page is linked to another Instagram account", page.Linked.ID, nil)
		}
		return platform.Identity{NativeID: page.Linked.ID, Name: first(page.Linked.Name, page.Linked.Username)}, nil

	default: // Instagram Login
		var raw json.RawMessage
		if err := a.ig.Get(ctx, acct.AccessToken, "me", url.Values{"fields": {"user_id,username,name"}}, &raw); err != nil {
			return platform.Identity{}, platform.VerifyError(acct, err)
		}
		u, err := igMe(raw)
		if err != nil {
			return platform.Identity{}, err
		}
		id := first(u.UserID, u.ID)
		if id != acct.NativeID {
			return platform.Identity{}, platform.NotGranted(acct, "the token belongs to another Instagram account", id, nil)
		}
		return platform.Identity{NativeID: id, Name: first(u.Name, u.Username)}, nil
	}
}

type igUser struct {
	ID       string `json:"id"`
	UserID   string `json:"user_id"`
	Username string `json:"username"`
	Name     string `json:"name"`
}

// igMe reads graph.instagram.com/me. Graph answers the node itself; the
// get-started guide prints it wrapped in {"data":[…]}, so both are read.
func igMe(raw []byte) (igUser, error) {
	var u igUser
	if err := json.Unmarshal(raw, &u); err != nil {
		return u, badResponse(platform.Instagram)
	}
	if u.ID == "" && u.UserID == "" {
		var wrapped struct {
			Data []igUser `json:"data"`
		}
		if json.Unmarshal(raw, &wrapped) == nil && len(wrapped.Data) == 1 {
			u = wrapped.Data[0]
		}
	}
	if u.ID == "" && u.UserID == "" {
		return u, badResponse(platform.Instagram)
	}
	return u, nil
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func badResponse(name platform.Name) *apierr.Error {
	return apierr.New(http.StatusBadGateway, prefix(name)+"bad_response", "%s answered with a response Parley could not read", name)
}
