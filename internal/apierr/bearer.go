package apierr

import "net/http"

// bearerRealm names the protection space in every Bearer challenge, so a
// client can tell Parley's keys from any other credentials it holds.
const bearerRealm = "parley"

// BearerChallenge returns the WWW-Authenticate value to send with e, or ""
// when e is not a 401. RFC 7235 §3.1 requires a 401 to carry a challenge;
// RFC 6750 §3 gives its form for Bearer tokens: a request without
// credentials gets only the scheme and realm ("SHOULD NOT include an error
// code", §3.1), a key that is unknown, revoked or malformed gets
// error="invalid_token" with a description (quotes and backslashes, which
// §3 forbids there, are dropped).
func BearerChallenge(e *Error) string {
	if e == nil || e.Status != http.StatusUnauthorized {
		return ""
	}
	v := `Bearer realm="` + bearerRealm + `"`
	if e.Code == "auth.missing_key" {
		return v
	}
	return v + `, error="invalid_token", error_description="` + rfc6750Text(e.Message) + `"`
}

// rfc6750Text keeps the characters RFC 6750 §3 allows in error_description
// (%x20-21 / %x23-5B / %x5D-7E).
func rfc6750Text(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c <= 0x7e && c != '"' && c != '\\' {
			b = append(b, c)
		}
	}
	return string(b)
}
