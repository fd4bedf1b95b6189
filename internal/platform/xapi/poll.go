package xapi

import (
	"context"
	"slices"
	"strconv"

	"github.com/parleyhq/parley/internal/platform"
)

// Receiving DMs without webhooks. X's DM webhooks come from the Account
// Activity API, which needs a tier many customers do not have and "is being
// deprecated" in favour of the X Activity API
// (https://docs.x.com/x-api/account-activity/introduction, checked
// 2026-11-30), whose documented event types are posts, follows, likes and
// profile changes — no Direct Messages
// (https://docs.x.com/x-api/activity/introduction, checked 2026-11-30). What
// every tier offers is GET /2/dm_events: the user's DM events of the last 30
// days, newest first, paged by pagination_token, with no since_id
// (https://docs.x.com/x-api/direct-messages/lookup/integrate). Poll reads
// its pages from the newest until it reaches an event already seen.

// Polled is what one poll found.
type Polled struct {
	// Events are the new MessageCreate events, oldest first, as
	// EventMessage (from others) or EventEcho (the account's own sends
	// elsewhere).
	Events []platform.InboundEvent
	// Newest is the newest event id seen, to resume from ("" when the
	// account has no events).
	Newest string
	// Requests is how many requests the poll spent.
	Requests int
}

// Poll reads the account's DM events newer than sinceID, at most maxPages
// pages (each one request of the DM lookup rate limit). With sinceID ""
// it reads one page and only reports the newest id: the first poll sets
// the starting point instead of replaying 30 days of history. When
// maxPages run out before sinceID is reached, the older events are not
// read; the poll resumes from the newest anyway (a gap the caller sizes
// maxPages against).
func (a *Adapter) Poll(ctx context.Context, acct platform.Account, sinceID string, maxPages int) (Polled, error) {
	var out Polled
	since, baseline := idNum(sinceID), sinceID == ""
	if baseline {
		maxPages = 1
	}
	token := ""
	var fresh []dmEvent
	users := map[string]xUser{}
	media := map[string]xMedia{}
	for page := 0; page < max(maxPages, 1); page++ {
		resp, err := a.events(ctx, acct, "/2/dm_events", token, maxResults, pollExpansions)
		out.Requests++
		if err != nil {
			return out, err
		}
		for _, u := range resp.Includes.Users {
			users[u.ID] = u
		}
		for _, m := range resp.Includes.Media {
			media[m.MediaKey] = m
		}
		reached := false
		for _, ev := range resp.Data {
			n := idNum(ev.ID)
			if n == 0 {
				continue
			}
			if n > idNum(out.Newest) {
				out.Newest = ev.ID
			}
			if !baseline && n <= since {
				reached = true
				continue
			}
			fresh = append(fresh, ev)
		}
		if baseline || reached || resp.Meta.NextToken == "" {
			break
		}
		token = resp.Meta.NextToken
	}
	if idNum(out.Newest) < since {
		out.Newest = sinceID // never move back
	}
	if baseline {
		return out, nil
	}
	slices.SortFunc(fresh, func(x, y dmEvent) int { return cmpID(x.ID, y.ID) })
	for _, ev := range slices.CompactFunc(fresh, func(x, y dmEvent) bool { return x.ID == y.ID }) {
		if ev.EventType != "MessageCreate" || ev.DMConversationID == "" || ev.SenderID == "" {
			continue
		}
		at := parseTime(ev.CreatedAt)
		m := platform.Message{PlatformID: ev.ID, Direction: "incoming", SenderID: ev.SenderID,
			SenderName: displayName(users[ev.SenderID]), Text: ev.Text, CreatedAt: at}
		for _, k := range ev.Attachments.MediaKeys {
			if att, ok := attachment(media[k]); ok {
				m.Attachments = append(m.Attachments, att)
			}
		}
		e := platform.InboundEvent{Kind: platform.EventMessage, Platform: platform.X, AccountNativeID: acct.NativeID,
			ThreadID: ev.DMConversationID, ParticipantID: ev.SenderID, MessageID: ev.ID, At: at}
		if ev.SenderID == acct.NativeID {
			e.Kind, m.Direction, m.Status = platform.EventEcho, "outgoing", "sent"
			e.ParticipantID, _ = otherParticipant(ev.DMConversationID, acct.NativeID)
		}
		e.Message = m
		out.Events = append(out.Events, e)
	}
	return out, nil
}

// pollExpansions names senders and attachments of polled events.
const pollExpansions = "sender_id,attachments.media_keys"

// idNum reads an X id (a Snowflake) as a number; 0 when it is not one.
func idNum(id string) uint64 {
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		return 0
	}
	return n
}

func cmpID(x, y string) int {
	a, b := idNum(x), idNum(y)
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
