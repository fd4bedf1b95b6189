package webapp

import (
	"encoding/json"
	"sync"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/store"
)

// change is what the app's pages hear about an event: enough to know what
// to redraw, nothing more (the page fetches the rest, scoped as always).
type change struct {
	ID             string `json:"-"`
	Type           string `json:"type"`
	ConversationID string `json:"conversation_id,omitempty"`
}

// hub fans the events the domain records out to the open pages of their
// organisation. It holds no history: a page that connects later draws the
// current state anyway.
type hub struct {
	mu   sync.Mutex
	subs map[string]map[chan change]struct{} // by org id
	// done closes when the server shuts down, ending every stream (an
	// open stream would otherwise hold a graceful shutdown to its timeout).
	done      chan struct{}
	closeOnce sync.Once
}

func newHub() *hub { return &hub{subs: map[string]map[chan change]struct{}{}, done: make(chan struct{})} }

func (h *hub) close() { h.closeOnce.Do(func() { close(h.done) }) }

// publish is the store's event hook: it must not block, so a page too slow
// to take an event misses it (its next redraw catches up).
func (h *hub) publish(e store.Event) {
	c := changeOf(e)
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs[e.OrgID] {
		select {
		case ch <- c:
		default:
		}
	}
}

func (h *hub) subscribe(orgID string) (<-chan change, func()) {
	ch := make(chan change, 32)
	h.mu.Lock()
	if h.subs[orgID] == nil {
		h.subs[orgID] = map[chan change]struct{}{}
	}
	h.subs[orgID][ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.subs[orgID], ch)
		if len(h.subs[orgID]) == 0 {
			delete(h.subs, orgID)
		}
		h.mu.Unlock()
	}
}

// changeOf reads a stored event: its payload is the event as delivered.
func changeOf(e store.Event) change {
	var view apitype.EventView
	_ = json.Unmarshal(e.Payload, &view)
	view.ID, view.Type = e.ID, e.Type
	return changeOfView(view)
}

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
