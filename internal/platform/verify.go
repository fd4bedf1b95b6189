package platform

import (
	"context"
	"net/http"
	"strings"

	"github.com/parleyhq/parley/internal/apierr"
)

// Identity is the account a token grants, as the platform itself reports
// it when asked with that token.
type Identity struct {
	// NativeID is the platform's id of the account the token grants; a
	// Verifier returns it only when it equals the claimed Account.NativeID.
	NativeID string
	// Name is the account's display name as the platform knows it ("" when
	// it gave none).
	Name string
}

// Verifier is implemented by adapters that can ask their platform whether a
// token grants the account it is claimed for. Parley stores a token only
// after Verify succeeds (DESIGN §7), so that an organisation cannot connect
// — and receive the webhooks of — an account it does not hold.
//
// Verify calls the platform with acct.AccessToken only; it never marks
// anything. Errors are *apierr.Error values: TokenInvalid when the platform
// refuses the token, NotGranted when the token is valid but does not grant
// acct.NativeID, and the adapter's platform.<name>.* errors (unreachable,
// throttled) otherwise.
type Verifier interface {
	Verify(ctx context.Context, acct Account) (Identity, error)
}

// TokenInvalid is the answer when the platform refused the token itself
// (expired, revoked, malformed). cause, when given, contributes the
// platform's native codes to meta.
func TokenInvalid(acct Account, cause error) *apierr.Error {
	e := apierr.New(http.StatusUnprocessableEntity, "account.token_invalid",
		"%s refused the access token; get a new token and try again", acct.Platform)
	return withNative(e, cause).With("field", "access_token").With("platform", string(acct.Platform)).With("native_id", acct.NativeID)
}

// NotGranted is the answer when the token is valid but does not grant the
// claimed account. grantedID, when the platform named the account the token
// does grant, is reported so the caller can see the mismatch.
func NotGranted(acct Account, reason, grantedID string, cause error) *apierr.Error {
	e := apierr.New(http.StatusUnprocessableEntity, "account.not_granted",
		"the access token does not grant the %s account %q: %s", acct.Platform, acct.NativeID, reason)
	e = withNative(e, cause).With("field", "native_id").With("platform", string(acct.Platform)).With("native_id", acct.NativeID)
	if grantedID != "" {
		e = e.With("token_native_id", grantedID)
	}
	return e
}

// withNative copies the platform's own codes (never its message) from an
// adapter error into e's meta.
func withNative(e *apierr.Error, cause error) *apierr.Error {
	c, ok := apierr.As(cause)
	if !ok {
		return e
	}
	for _, k := range []string{"native_code", "native_subcode", "native_type", "native_status", "trace_id", "http_status"} {
		if v, ok := c.Meta[k]; ok {
			e = e.With(k, v)
		}
	}
	return e
}

// VerifyError turns an adapter error met while verifying into the answer
// for the caller: a refused token is TokenInvalid, a permission refusal or
// an object the token cannot see is NotGranted, the platform's own failures
// (unreachable, throttling, an unreadable answer) stay platform.<name>.*
// errors, and anything else the platform answered — codes that mean
// something only for a send — is a plain refusal to confirm the token.
func VerifyError(acct Account, err error) error {
	e, ok := apierr.As(err)
	if !ok {
		return err
	}
	prefix := "platform." + string(acct.Platform) + "."
	switch {
	case e.Code == "account.reauth_required":
		return TokenInvalid(acct, e)
	case e.Code == "account.token_invalid" || e.Code == "account.not_granted":
		return e
	case e.Code == "resource.not_found", e.Code == prefix+"permission_denied":
		return NotGranted(acct, "the platform does not let this token see it", "", e)
	case strings.HasPrefix(e.Code, prefix):
		return e
	}
	return withNative(apierr.New(http.StatusBadGateway, prefix+"request_failed",
		"%s refused to confirm the access token", acct.Platform), e).With("platform", string(acct.Platform))
}
