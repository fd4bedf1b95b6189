package xemu

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Enumerated query values, from X's published OpenAPI document
// (https://api.x.com/2/openapi.json, components.parameters
// DmEventFieldsParameter, DmEventExpansionsParameter, UserFieldsParameter,
// UserExpansionsParameter, TweetFieldsParameter, MediaFieldsParameter; read
// at version 2.159 through github.com/xdevplatform/xdk latest-openapi.json,
// with user.fields' subscribes_to_you from its 2.167 specs/openapi.json).
// A client library generated from that document may send any of them, so
// the emulator accepts every one, rendering those it models and omitting the
// rest as X omits fields a resource does not have.
var (
	dmEventFields  = []string{"attachments", "created_at", "dm_conversation_id", "entities", "event_type", "id", "participant_ids", "referenced_tweets", "sender_id", "text"}
	dmExpansions   = []string{"attachments.media_keys", "participant_ids", "referenced_tweets.id", "sender_id"}
	eventTypes     = []string{MessageCreate, ParticipantsJoin, ParticipantsLeave}
	userFields     = []string{"affiliation", "confirmed_email", "connection_status", "created_at", "description", "entities", "id", "is_identity_verified", "location", "most_recent_tweet_id", "name", "parody", "pinned_tweet_id", "profile_banner_url", "profile_image_url", "protected", "public_metrics", "receives_your_dm", "subscribes_to_you", "subscription", "subscription_type", "url", "username", "verified", "verified_followers_count", "verified_type", "withheld"}
	userExpansions = []string{"affiliation.user_id", "most_recent_tweet_id", "pinned_tweet_id"}
	tweetFields    = []string{"article", "attachments", "author_id", "card_uri", "community_id", "context_annotations", "conversation_id", "created_at", "display_text_range", "edit_controls", "edit_history_tweet_ids", "entities", "geo", "id", "in_reply_to_user_id", "lang", "media_metadata", "non_public_metrics", "note_tweet", "organic_metrics", "possibly_sensitive", "promoted_metrics", "public_metrics", "referenced_tweets", "reply_settings", "scopes", "source", "suggested_source_links", "suggested_source_links_with_counts", "text", "withheld"}
	mediaFields    = []string{"alt_text", "duration_ms", "height", "media_key", "non_public_metrics", "organic_metrics", "preview_image_url", "promoted_metrics", "public_metrics", "type", "url", "variants", "width"}
)

// querySpec is one endpoint's query parameters, in the order X lists them
// in its "is not one of" message: enumerated lists (validated value by
// value) and free ones (validated by the handler).
type querySpec struct {
	params []string
	enums  map[string][]string
}

// The query parameters of each operation in the OpenAPI document.
var (
	dmLookupQuery = querySpec{
		params: []string{"dm_event.fields", "event_types", "expansions", "max_results", "media.fields", "pagination_token", "tweet.fields", "user.fields"},
		enums:  map[string][]string{"dm_event.fields": dmEventFields, "event_types": eventTypes, "expansions": dmExpansions, "media.fields": mediaFields, "tweet.fields": tweetFields, "user.fields": userFields},
	}
	dmEventQuery = querySpec{
		params: []string{"dm_event.fields", "expansions", "media.fields", "tweet.fields", "user.fields"},
		enums:  map[string][]string{"dm_event.fields": dmEventFields, "expansions": dmExpansions, "media.fields": mediaFields, "tweet.fields": tweetFields, "user.fields": userFields},
	}
	usersQuery = querySpec{
		params: []string{"expansions", "ids", "tweet.fields", "user.fields"},
		enums:  map[string][]string{"expansions": userExpansions, "tweet.fields": tweetFields, "user.fields": userFields},
	}
	meQuery = querySpec{
		params: []string{"expansions", "tweet.fields", "user.fields"},
		enums:  map[string][]string{"expansions": userExpansions, "tweet.fields": tweetFields, "user.fields": userFields},
	}
	noQuery = querySpec{}
)

// parsedQuery holds the accepted values of each enumerated parameter.
type parsedQuery map[string]map[string]bool

// parseQuery validates q against spec and reports every failure at once,
// one error object per unknown parameter and per bad value, as X does:
// "The query parameter [tweep.fields] is not one of [id,expansions,…]" and
// "The `expansions` query parameter value [asdf] is not one of […]", each
// with parameters {name: [value]}, under title "Invalid Request" and detail
// "One or more parameters to your request was invalid."
// (https://twittercommunity.com/t/questions-about-error-response-structure/151746/1,
// an X staff answer quoting a real 400 body).
func parseQuery(q map[string][]string, spec querySpec) (parsedQuery, *problem) {
	var errs []paramError
	names := make([]string, 0, len(q))
	for k := range q {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !slices.Contains(spec.params, k) {
			errs = append(errs, paramError{
				Parameters: map[string][]string{k: {first(q[k])}},
				Message:    fmt.Sprintf("The query parameter [%s] is not one of [%s]", k, strings.Join(spec.params, ",")),
			})
		}
	}
	out := parsedQuery{}
	for _, k := range names {
		allowed, ok := spec.enums[k]
		if !ok {
			continue
		}
		set := map[string]bool{}
		for _, v := range strings.Split(first(q[k]), ",") {
			if !slices.Contains(allowed, v) {
				errs = append(errs, paramError{
					Parameters: map[string][]string{k: {v}},
					Message:    fmt.Sprintf("The `%s` query parameter value [%s] is not one of [%s]", k, v, strings.Join(allowed, ",")),
				})
				continue
			}
			set[v] = true
		}
		out[k] = set
	}
	if len(errs) > 0 {
		p := invalidRequest("", "", "")
		p.Errors = errs
		return nil, &p
	}
	return out, nil
}

func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}
