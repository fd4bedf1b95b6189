package webapp

import (
	"encoding/json"

	"github.com/parleyhq/parley/apitype"
)

// change is what the app's pages hear about an event: enough to know what
// to redraw, nothing more (the page fetches the rest, scoped as always).
type change struct {
	ID             string `json:"-"`
	Type           string `json:"type"`
	ConversationID string `json:"conversation_id,omitempty"`
}

// changeOfView reads an event from the event list (the catch-up).
func changeOfView(v apitype.EventView) change {
	c := change{ID: v.ID, Type: v.Type}
	var data struct {
		ConversationID string `json:"conversation_id"`
	}
	if json.Unmarshal(v.Data, &data) == nil {
		c.ConversationID = data.ConversationID
	}
	return c
}
