package rules

import (
	"github.com/parleyhq/parley/apitype"
	"net/http"
	"time"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/platform"
)

// CodeTagRetired: 422, a Meta message tag Meta has retired. Refused before the
// platform is called, because Meta answers such a send with Graph error 100
// "(#100) Invalid parameter", which says nothing about why; meta carries the
// tag, retired_on, source and the options that still work.
const CodeTagRetired = "conversation.tag_retired"

// RetiredTag is one Meta message tag that Meta stopped accepting; On is the
// first instant Meta refuses it (00:00 UTC of the day the retirement took
// effect). Its public shape lives in apitype.
type RetiredTag = apitype.RetiredTag

// retiredTags is the dated list of retired Meta message tags: the next
// retirement is one more line here. Tags stay in knownTags so that a caller
// using one gets conversation.tag_retired rather than "unknown tag".
//
// Meta retired the three non-HUMAN_AGENT tags in 2026; since then a send with
// one of them fails with Graph error 100 "Invalid parameter", and HUMAN_AGENT
// (a person, within 7 days of the customer's last message) is the only tag
// left for replies outside the standard window:
//   - https://github.com/chatwoot/chatwoot/issues/14674 (2026-06-08): "Meta
//     deprecated ACCOUNT_UPDATE (and related tags) effective April 27, 2026 …
//     API returns error 100", citing
//     https://developers.facebook.com/docs/messenger-platform/send-messages/
//   - https://github.com/emes30/facebook_messenger/issues/9 (2026-02-12):
//     ACCOUNT_UPDATE "was deprecated by Meta on 2/10/2026" (the announcement;
//     the date sends started failing is the April one above).
//   - https://github.com/chatwoot/chatwoot/pull/14329 (2026-04-30): Messenger
//     sends tagged ACCOUNT_UPDATE "rejected by Facebook with 'Invalid parameter'".
//
// Meta's own message-tags page could not be read in full (search excerpts of
// https://developers.facebook.com/docs/messenger-platform/send-messages/message-tags/
// still show the pre-2026 list), so the effective date is the one integrators
// report; see /work/shared/research/meta-platform-notes.md B5.
var retiredTags = [...]RetiredTag{
	{Tag: TagAccountUpdate, On: date(2026, time.April, 27), Source: "https://github.com/chatwoot/chatwoot/issues/14674"},
	{Tag: TagConfirmedEventUpdate, On: date(2026, time.April, 27), Source: "https://github.com/chatwoot/chatwoot/issues/14674"},
	{Tag: TagPostPurchaseUpdate, On: date(2026, time.April, 27), Source: "https://github.com/chatwoot/chatwoot/issues/14674"},
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// RetiredTags returns the dated list of retired Meta message tags (a copy).
func RetiredTags() []RetiredTag { return append([]RetiredTag(nil), retiredTags[:]...) }

// retirement reports whether tag is retired at now.
func retirement(tag string, now time.Time) (RetiredTag, bool) {
	for _, r := range retiredTags {
		if r.Tag == tag && !now.Before(r.On) {
			return r, true
		}
	}
	return RetiredTag{}, false
}

// scheduledForRetirement reports whether tag has a retirement date at all,
// past or future: such a tag is no longer advertised as a capability.
func scheduledForRetirement(tag string) bool {
	for _, r := range retiredTags {
		if r.Tag == tag {
			return true
		}
	}
	return false
}

// messengerTagsAt are the Messenger-only tags still accepted at now.
func messengerTagsAt(now time.Time) []string {
	var out []string
	for _, t := range messengerOnlyTags {
		if _, gone := retirement(t, now); !gone {
			out = append(out, t)
		}
	}
	return out
}

// tagRetired is the refusal of a retired tag; options are what the sender can
// still do now (HUMAN_AGENT for a person inside 7 days, waiting for the
// customer).
func tagRetired(p platform.Name, c Conversation, now time.Time, r RetiredTag) *apierr.Error {
	return apierr.New(http.StatusUnprocessableEntity, CodeTagRetired,
		"Meta retired the %s message tag on %s; %s refuses it (Graph error 100). A person may reply with HUMAN_AGENT within 7 days of the customer's last message",
		r.Tag, r.On.Format(time.DateOnly), p).
		With("field", "tag").With("tag", r.Tag).With("retired_on", r.On.Format(time.DateOnly)).
		With("source", r.Source).With("options", metaOptions(p, c, now))
}
