package connect

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/store"
)

// metaPlatforms are those connected through the Meta app, whose tokens are
// checked daily and named by its deauthorize callback.
var metaPlatforms = []string{"instagram", "messenger", "whatsapp"}

// CheckEvery is how often a token that does not expire is confirmed.
const CheckEvery = 24 * time.Hour

// CheckTokens asks the platform about every Meta token not confirmed in the
// last CheckEvery (Page and system-user tokens do not expire, but die with a
// password change, a removed role or a removed app) and marks the dead
// ones reauth_required. Transient failures leave the account as it is, to
// be asked again on the next run.
func (c *Connect) CheckTokens(ctx context.Context) error {
	now := c.cfg.Now().UTC()
	var errs []error
	for {
		due, err := c.cfg.Store.TokensToCheck(ctx, metaPlatforms, now.Add(-CheckEvery), 100)
		if err != nil {
			return err
		}
		for _, a := range due {
			if err := c.checkOne(ctx, a, now); err != nil {
				errs = append(errs, fmt.Errorf("account %s: %w", a.ID, err))
			}
		}
		if len(due) < 100 || len(errs) > 0 {
			return errors.Join(errs...)
		}
	}
}

func (c *Connect) checkOne(ctx context.Context, a store.Account, now time.Time) error {
	ck, ok := c.providers[a.Platform].(checker)
	if !ok || !c.providers[a.Platform].configured() {
		return c.cfg.Store.MarkTokenChecked(ctx, a.OrgID, a.ID, now)
	}
	token, err := c.cfg.Keys.Open(a.Credentials, []byte(a.ID))
	if err != nil {
		return err
	}
	reason, err := ck.check(ctx, a, string(token))
	if err != nil {
		return err // transient: asked again next run
	}
	if reason != "" {
		if err := c.reauth(ctx, a, reason, errors.New("debug_token: "+reason)); err != nil {
			return err
		}
	}
	return c.cfg.Store.MarkTokenChecked(ctx, a.OrgID, a.ID, now)
}

// AuthFailed is the one hook the send and inbox paths call when a platform
// call for an account failed: when the platform refused the token itself
// (Meta 190, X and LinkedIn 401, mapped by the adapters to
// account.reauth_required or account.token_invalid) the account is marked
// reauth_required, once, with one event. Any other error is ignored, so
// throttling and outages never ask anyone to reconnect.
func (c *Connect) AuthFailed(ctx context.Context, orgID, accountID string, err error) {
	var ae *apierr.Error
	if !errors.As(err, &ae) || (ae.Code != "account.reauth_required" && ae.Code != "account.token_invalid") {
		return
	}
	a, gerr := c.cfg.Store.GetAccount(ctx, orgID, accountID)
	if gerr != nil {
		return
	}
	reason := ReasonRevoked
	if sub, _ := ae.Meta["native_subcode"].(int); sub == 463 {
		reason = ReasonExpired
	}
	if rerr := c.reauth(ctx, a, reason, err); rerr != nil {
		c.cfg.Logger.ErrorContext(ctx, "connect: marking account reauth_required", "account", accountID, "err", rerr)
	}
}

// signedRequestMaxAge bounds how old a signed_request may be: Meta posts it
// when the user acts, so an old one is a replay.
const signedRequestMaxAge = time.Hour

var errSignedRequest = errors.New("connect: invalid signed_request")

// signedRequest is the payload Meta signs for its deauthorize and data
// deletion callbacks.
type signedRequest struct {
	Algorithm string `json:"algorithm"`
	IssuedAt  int64  `json:"issued_at"`
	UserID    string `json:"user_id"`
}

// parseSignedRequest verifies and decodes a signed_request: two base64url
// parts, "signature.payload", the signature HMAC-SHA256 of the payload's
// encoded form with the app secret, the payload JSON with algorithm
// HMAC-SHA256 (https://developers.facebook.com/docs/games/gamesonfacebook/login#parsingsr;
// the deauthorize callback, https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow/#deauth-callback,
// and the data deletion callback,
// https://developers.facebook.com/docs/development/create-an-app/app-dashboard/data-deletion-callback,
// both send one; checked 2026-11-30). Meta's padding varies, so both padded
// and unpadded base64url are read; the signature is compared in constant
// time before the payload is parsed.
func parseSignedRequest(raw, secret string, now time.Time) (signedRequest, error) {
	if secret == "" || len(raw) > 8<<10 {
		return signedRequest{}, errSignedRequest
	}
	sigPart, payloadPart, ok := strings.Cut(raw, ".")
	if !ok || strings.Contains(payloadPart, ".") {
		return signedRequest{}, errSignedRequest
	}
	sig, err := decodeB64URL(sigPart)
	if err != nil {
		return signedRequest{}, errSignedRequest
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(payloadPart))
	if !hmac.Equal(sig, mac.Sum(nil)) {
		return signedRequest{}, errSignedRequest
	}
	body, err := decodeB64URL(payloadPart)
	if err != nil {
		return signedRequest{}, errSignedRequest
	}
	var sr signedRequest
	if err := json.Unmarshal(body, &sr); err != nil || !strings.EqualFold(sr.Algorithm, "HMAC-SHA256") || sr.UserID == "" || len(sr.UserID) > 64 {
		return signedRequest{}, errSignedRequest
	}
	issued := time.Unix(sr.IssuedAt, 0)
	if sr.IssuedAt <= 0 || now.Sub(issued) > signedRequestMaxAge || issued.Sub(now) > 5*time.Minute {
		return signedRequest{}, errSignedRequest
	}
	return sr, nil
}

func decodeB64URL(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

func (c *Connect) verifySignedRequest(signed string) (signedRequest, error) {
	sr, err := parseSignedRequest(signed, c.cfg.Meta.AppSecret, c.cfg.Now())
	if err != nil {
		return sr, apierr.Invalid("signed_request", "signed_request is missing, not signed with this app's secret, or stale")
	}
	return sr, nil
}

// MetaDeauthorize handles Meta's deauthorize callback: the user removed
// the app, so every account whose token they granted needs reauthorising
// (reason revoked). Replays within the freshness window change nothing:
// the accounts are already marked and the event is deduplicated.
func (c *Connect) MetaDeauthorize(ctx context.Context, signed string) error {
	sr, err := c.verifySignedRequest(signed)
	if err != nil {
		return err
	}
	as, err := c.cfg.Store.AccountsByGrantor(ctx, metaPlatforms, sr.UserID)
	if err != nil {
		return err
	}
	for _, a := range as {
		if err := c.reauth(ctx, a, ReasonRevoked, errors.New("meta deauthorize callback")); err != nil {
			return err
		}
	}
	return nil
}

// DeletionReceipt is what Meta's data deletion callback must answer.
type DeletionReceipt struct {
	URL              string `json:"url"`
	ConfirmationCode string `json:"confirmation_code"`
}

// MetaDataDeletion handles Meta's data deletion callback: the user asked
// Meta to have their data deleted. The accounts they granted are
// disconnected (credentials and all) and Meta gets the JSON it requires,
// {"url","confirmation_code"} (data deletion callback page above). The code
// is derived from the request, so a replay answers the same code.
func (c *Connect) MetaDataDeletion(ctx context.Context, signed string) (DeletionReceipt, error) {
	sr, err := c.verifySignedRequest(signed)
	if err != nil {
		return DeletionReceipt{}, err
	}
	as, err := c.cfg.Store.AccountsByGrantor(ctx, metaPlatforms, sr.UserID)
	if err != nil {
		return DeletionReceipt{}, err
	}
	for _, a := range as {
		if err := c.cfg.Store.DeleteAccount(ctx, a.OrgID, a.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return DeletionReceipt{}, err
		}
		c.changed(a.OrgID, a.ID)
		if err := c.cfg.Publish(ctx, a.OrgID, EventAccountDisconnected, "deleted:"+a.ID, map[string]any{
			"account_id": a.ID, "platform": a.Platform, "reason": "data_deletion_request"}); err != nil {
			c.cfg.Logger.ErrorContext(ctx, "connect: publishing account.disconnected", "account", a.ID, "err", err)
		}
	}
	code := c.deletionCode(sr)
	return DeletionReceipt{URL: c.cfg.PublicURL + "/connect/deletion/" + code, ConfirmationCode: code}, nil
}

// deletionCode names one deletion request without a table: an HMAC of the
// user and the request time under the app secret.
func (c *Connect) deletionCode(sr signedRequest) string {
	mac := hmac.New(sha256.New, []byte("parley data deletion\x00"+c.cfg.Meta.AppSecret))
	fmt.Fprintf(mac, "%s\x00%d", sr.UserID, sr.IssuedAt)
	return hex.EncodeToString(mac.Sum(nil))[:20]
}

// DeletionStatus serves GET /connect/deletion/{code}, the status URL Meta
// shows the user. Deletion is done before the callback answers.
func (c *Connect) DeletionStatus(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	if len(code) != 20 || strings.Trim(code, "0123456789abcdef") != "" {
		c.page(w, http.StatusNotFound, "Unknown deletion request", "connect.deletion_not_found", "Check the confirmation code.")
		return
	}
	c.page(w, http.StatusOK, "Your data was deleted", "", "The accounts you connected were disconnected and their credentials deleted. Confirmation code: "+code+".")
}
