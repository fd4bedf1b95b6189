package xemu

import (
	"encoding/json"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/testsupport/golden"
)

// fieldEndpoints are the GET operations and the enumerated parameters each
// takes, as X's OpenAPI document declares them.
func fieldEndpoints(cid string) []struct {
	path string
	spec querySpec
} {
	return []struct {
		path string
		spec querySpec
	}{
		{"/2/dm_events", dmLookupQuery},
		{"/2/dm_conversations/with/" + aliceID + "/dm_events", dmLookupQuery},
		{"/2/dm_conversations/" + cid + "/dm_events", dmLookupQuery},
		{"/2/users?ids=" + aliceID, usersQuery},
		{"/2/users/me", meQuery},
	}
}

// Every value of every enum in X's current OpenAPI document is accepted on
// every operation that declares the parameter, so a client generated from
// that document works unchanged; an unknown value on any of them is refused
// with X's invalid-request body naming the parameter and the value.
func TestEveryFieldsParameterAcceptsXEnumsAndRefusesOthers(t *testing.T) {
	t.Parallel()
	e, _ := fixture(t, Options{ReadLimit: 1000, UsersLimit: 1000, MeLimit: 1000})
	cid := ConversationID(bizID, aliceID)
	for _, ep := range fieldEndpoints(cid) {
		sep := "?"
		if strings.Contains(ep.path, "?") {
			sep = "&"
		}
		for name, values := range ep.spec.enums {
			all := ep.path + sep + url.Values{name: {strings.Join(values, ",")}}.Encode()
			if w := do(t, e, "GET", all, bizTok, ""); w.Code != 200 {
				t.Errorf("GET %s: %d %s", all, w.Code, w.Body)
			}
			bad := ep.path + sep + url.Values{name: {values[0] + ",bogus_field"}}.Encode()
			w := do(t, e, "GET", bad, bizTok, "")
			var body problem
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != 400 {
				t.Fatalf("GET %s: %d %s", bad, w.Code, w.Body)
			}
			if body.Title != "Invalid Request" || body.Type != problemBase+"invalid-request" ||
				len(body.Errors) != 1 || strings.Join(body.Errors[0].Parameters[name], ",") != "bogus_field" ||
				!strings.Contains(body.Errors[0].Message, "The `"+name+"` query parameter value [bogus_field] is not one of [") {
				t.Errorf("GET %s: %s", bad, w.Body)
			}
		}
	}
	// The values the issue names, which the emulator used to refuse.
	for _, target := range []string{
		"/2/dm_events?dm_event.fields=entities",
		"/2/users/me?user.fields=verified_followers_count,is_identity_verified,parody,subscription,confirmed_email",
		"/2/dm_events?tweet.fields=note_tweet&expansions=referenced_tweets.id",
	} {
		if w := do(t, e, "GET", target, bizTok, ""); w.Code != 200 {
			t.Errorf("GET %s: %d %s", target, w.Code, w.Body)
		}
	}
}

func TestFieldErrorGoldens(t *testing.T) {
	t.Parallel()
	e, _ := fixture(t, Options{})
	tests := []struct{ name, target string }{
		// Every failure in one body: an unknown parameter and two bad values.
		{"error_400_fields.golden", "/2/dm_events?dm_event.fields=id,bogus&tweep.fields=asdf&user.fields=nope"},
		{"error_400_users_me_fields.golden", "/2/users/me?user.fields=username,followers"},
		{"users_me_current_fields.golden", "/2/users/me?user.fields=verified_followers_count,created_at,description,protected,verified"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			golden.Compare(t, filepath.Join("testdata", tc.name), wire(do(t, e, "GET", tc.target, bizTok, "")))
		})
	}
}
