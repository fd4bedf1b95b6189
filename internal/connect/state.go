package connect

import (
	"encoding/base64"
	"errors"
	"strings"

	"github.com/parleyhq/parley/internal/secrets"
)

// stateAAD binds a sealed state to its purpose, so no other sealed value
// of the key ring can be passed off as one.
var stateAAD = []byte("parley connect state v1")

// maxState bounds what parseState reads of a query parameter.
const maxState = 512

var errState = errors.New("connect: invalid state")

// makeState seals a session id into the OAuth state: authenticated, so it
// cannot be forged or altered, and opaque to the platform. Single use is the
// session's (FinishConnectSession), expiry the session's too.
func makeState(keys *secrets.KeyRing, sessionID string) (string, error) {
	sealed, err := keys.Seal([]byte(sessionID), stateAAD)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(sealed), nil
}

// parseState returns the session id a state was made for, or errState for
// anything this Parley did not seal.
func parseState(keys *secrets.KeyRing, state string) (string, error) {
	if state == "" || len(state) > maxState {
		return "", errState
	}
	// Strict: only the canonical encoding of a sealed value is a state.
	sealed, err := base64.RawURLEncoding.Strict().DecodeString(state)
	if err != nil {
		return "", errState
	}
	id, err := keys.Open(sealed, stateAAD)
	if err != nil || !strings.HasPrefix(string(id), "cs_") || len(id) > 64 {
		return "", errState
	}
	return string(id), nil
}
