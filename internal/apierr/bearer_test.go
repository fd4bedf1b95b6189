package apierr

import (
	"net/http"
	"testing"
)

func TestBearerChallenge(t *testing.T) {
	for _, tt := range []struct {
		name string
		e    *Error
		want string
	}{
		{"nil", nil, ""},
		{"not a 401", New(http.StatusForbidden, "auth.forbidden", "no"), ""},
		{"no credentials: no error code (RFC 6750 §3.1)", New(http.StatusUnauthorized, "auth.missing_key", "send your API key as Authorization: Bearer sapi_key_…"), `Bearer realm="parley"`},
		{"refused key", New(http.StatusUnauthorized, "auth.invalid_key", "the API key is not valid or has been revoked"),
			`Bearer realm="parley", error="invalid_token", error_description="the API key is not valid or has been revoked"`},
		{"description keeps only RFC 6750 characters", New(http.StatusUnauthorized, "auth.invalid_key", "say \"hi\" \\ to é\n"),
			`Bearer realm="parley", error="invalid_token", error_description="say hi  to "`},
	} {
		if got := BearerChallenge(tt.e); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
