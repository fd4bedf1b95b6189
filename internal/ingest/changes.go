package ingest

import (
	"strconv"
	"time"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/events"
	"github.com/parleyhq/parley/internal/platform"
)

// change maps what a customer did to an existing message — reacted, edited,
// unsent — to the event users receive and its dedupe key (platforms retry
// webhooks; a retry must not reach users twice). ok is false for other
// kinds. data is completed with what the event carries.
func change(ev platform.InboundEvent, accountID string, at time.Time, data *apitype.MessageEvent) (typ, key string, ok bool) {
	base := accountID + ":" + ev.MessageID + ":"
	switch ev.Kind {
	case platform.EventReaction:
		if ev.Reaction == nil {
			return "", "", false
		}
		r := *ev.Reaction
		data.Reaction = &apitype.Reaction{Action: r.Action, Emoji: r.Emoji, Name: r.Name}
		return events.EventMessageReaction, "reaction:" + base + r.Action + ":" + r.Emoji + ":" + at.UTC().Format(time.RFC3339Nano), true
	case platform.EventEdited:
		data.Text, data.EditCount = ev.Message.Text, ev.EditCount
		return events.EventMessageEdited, "edited:" + base + strconv.Itoa(ev.EditCount) + ":" + at.UTC().Format(time.RFC3339Nano), true
	case platform.EventDeleted:
		return events.EventMessageDeleted, "deleted:" + base, true
	}
	return "", "", false
}
