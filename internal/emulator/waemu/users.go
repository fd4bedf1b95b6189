package waemu

import (
	"crypto/sha256"
	"encoding/binary"
	"strconv"
	"strings"
)

// Business-scoped user ids (BSUIDs) and usernames. Since early April 2026
// webhooks carry, for every user, a BSUID "scoped to an individual business
// portfolio", formatted as "a two-letter ISO country code, a period, and up
// to 128 alphanumeric characters (for example, BR.1502576394655843)"
// (https://docs.360dialog.com/docs/resources/phone-numbers/usernames-and-bsuid,
// checked 2026-11-30; Meta:
// https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids/,
// updated Nov 5 2026). Users may adopt a username; from end of June 2026 the
// phone number of such a user may be withheld from webhooks when there was
// no recent interaction (https://docs.bird.com/api/channels-api/supported-channels/programmable-whatsapp/business-scoped-user-ids).
// The payload fields (https://dualhook.com/docs/contacts-bsuid-webhooks,
// checked 2026-11-30):
//
//   - incoming messages: contacts[].user_id always, contacts[].wa_id and
//     messages[].from only when the phone number is available,
//     messages[].from_user_id, contacts[].profile.username when the user
//     has one;
//   - statuses: recipient_user_id always, except on a failed status of a
//     message sent to a phone number; recipient_id only when the phone
//     number is available;
//   - sends: `recipient` takes a BSUID where `to` takes a phone number, and
//     "If both to and recipient are present, to takes precedence"; the
//     answer's contacts[] then carry user_id instead of wa_id
//     (https://dualhook.com/docs/contacts-bsuid-api-changes). 131062:
//     "Business-scoped User ID recipients are not supported for this
//     message" (authentication templates still need a phone number).
//
// The emulator is one business portfolio: each user has one BSUID.

// CodeBSUIDUnsupported is Meta's refusal of a BSUID recipient for a
// message that needs a phone number (authentication templates).
const CodeBSUIDUnsupported = 131062

// waUser is what the emulator knows of one WhatsApp user.
type waUser struct {
	waID, userID, username string
	// withheld: the phone number is left out of webhooks (a username user
	// outside Meta's contact book).
	withheld         bool
	marketingLimited bool
	inExperiment     bool
}

// callingCodes maps calling codes to the ISO country a generated BSUID
// starts with; a number of another country gets "US" (the emulator only
// needs a well-formed id).
var callingCodes = []struct{ prefix, iso string }{
	{"351", "PT"}, {"353", "IE"}, {"44", "GB"}, {"49", "DE"}, {"33", "FR"}, {"34", "ES"},
	{"39", "IT"}, {"55", "BR"}, {"52", "MX"}, {"91", "IN"}, {"62", "ID"}, {"1", "US"},
}

// user returns the user with phone number waID, creating them with their
// BSUID. Must be called with e.mu held.
func (e *Emulator) user(waID string) *waUser {
	if u := e.users[waID]; u != nil {
		return u
	}
	iso := "US"
	for _, c := range callingCodes {
		if strings.HasPrefix(waID, c.prefix) {
			iso = c.iso
			break
		}
	}
	// Derived from the number rather than drawn from Rand, so seeding a
	// user does not shift the ids of everything after it.
	sum := sha256.Sum256([]byte("bsuid|" + waID))
	n := binary.BigEndian.Uint64(sum[:8])%9_000_000_000_000_000 + 1_000_000_000_000_000
	u := &waUser{waID: waID, userID: iso + "." + strconv.FormatUint(n, 10)}
	e.users[waID] = u
	e.byUserID[u.userID] = u
	return u
}

// UserID returns the business-scoped user id of the user with phone number
// waID (creating it on first use, as Meta assigns one to every user).
func (e *Emulator) UserID(waID string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.user(waID).userID
}

// SetUsername gives the user a username; withhold makes webhooks leave
// their phone number out (wa_id, from, recipient_id), as for a username
// user with no recent interaction. It returns the user's BSUID.
func (e *Emulator) SetUsername(waID, username string, withhold bool) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	u := e.user(waID)
	u.username, u.withheld = username, withhold
	return u.userID
}

// isBSUID reports whether s has the shape of a business-scoped user id:
// two upper-case letters, a period, then alphanumerics (a parent BSUID has
// a second period: US.ENT.118…).
func isBSUID(s string) bool {
	if len(s) < 4 || len(s) > 140 || s[2] != '.' || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z' {
		return false
	}
	for _, c := range s[3:] {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '.') {
			return false
		}
	}
	return true
}
