package whatsapp

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/platform"
)

var _ platform.Verifier = (*Adapter)(nil)

// maxNumberPages bounds the WABA's phone_numbers paging (100 per page).
const maxNumberPages = 10

// Verify reads the phone number with the account's token — GET
// /{phone-number-id} answers only for a token of the business the number
// belongs to; any other token gets Graph's 100/33 "does not exist, cannot be
// loaded due to missing permissions" — and, when a WhatsApp Business Account
// id is claimed too, requires the number among that WABA's numbers as the
// same token lists them (GET /{waba-id}/phone_numbers;
// https://developers.facebook.com/docs/whatsapp/business-management-api/manage-phone-numbers).
// The identity's name is the number's verified_name.
func (a *Adapter) Verify(ctx context.Context, acct platform.Account) (platform.Identity, error) {
	acct.Platform = platform.WhatsApp
	if !graphID(acct.NativeID) {
		return platform.Identity{}, platform.NotGranted(acct, "a phone-number id is numeric", "", nil)
	}
	raw, err := a.call(ctx, acct, http.MethodGet, acct.NativeID, url.Values{"fields": {"id,display_phone_number,verified_name"}}, nil, nil)
	if err != nil {
		return platform.Identity{}, platform.VerifyError(acct, err)
	}
	var n struct {
		ID           string `json:"id"`
		Display      string `json:"display_phone_number"`
		VerifiedName string `json:"verified_name"`
	}
	if err := json.Unmarshal(raw, &n); err != nil {
		return platform.Identity{}, errResponse("phone number", err)
	}
	if n.ID != acct.NativeID {
		return platform.Identity{}, platform.NotGranted(acct, "WhatsApp answered for another phone number", n.ID, nil)
	}
	if acct.BusinessAccountID != "" {
		if err := a.numberInWABA(ctx, acct); err != nil {
			return platform.Identity{}, err
		}
	}
	name := n.VerifiedName
	if name == "" {
		name = n.Display
	}
	return platform.Identity{NativeID: n.ID, Name: name}, nil
}

// numberInWABA pages through the WABA's numbers looking for the account's.
func (a *Adapter) numberInWABA(ctx context.Context, acct platform.Account) error {
	notInWABA := func(err error) error {
		return platform.NotGranted(acct, "the number is not one of business account "+acct.BusinessAccountID+"'s numbers", "", err).
			With("field", "business_account_id").With("business_account_id", acct.BusinessAccountID)
	}
	if !graphID(acct.BusinessAccountID) {
		return notInWABA(nil)
	}
	q := url.Values{"fields": {"id"}, "limit": {"100"}}
	for range maxNumberPages {
		raw, err := a.call(ctx, acct, http.MethodGet, acct.BusinessAccountID+"/phone_numbers", q, nil, nil)
		if err != nil {
			e := platform.VerifyError(acct, err)
			if apierr.HasCode(e, "account.not_granted") {
				return notInWABA(err)
			}
			return e
		}
		var page struct {
			Data []struct {
				ID string `json:"id"`
			} `json:"data"`
			Paging *struct {
				Cursors struct {
					After string `json:"after"`
				} `json:"cursors"`
				Next string `json:"next"`
			} `json:"paging"`
		}
		if err := json.Unmarshal(raw, &page); err != nil {
			return errResponse("phone number list", err)
		}
		for _, d := range page.Data {
			if d.ID == acct.NativeID {
				return nil
			}
		}
		if page.Paging == nil || page.Paging.Next == "" || page.Paging.Cursors.After == "" {
			break
		}
		q.Set("after", page.Paging.Cursors.After)
	}
	return notInWABA(nil)
}

// graphID keeps anything but a Graph object id out of the request path.
func graphID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
