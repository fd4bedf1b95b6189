package xemu

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
)

// The operations below are described in X's OpenAPI document
// (https://api.x.com/2/openapi.json): getDmEventsById and deleteDmEvents on
// /2/dm_events/{event_id} (event_id ^[0-9]{1,19}$, delete answering
// {"data":{"deleted":bool}}), and dmConversationIdCreate on
// /2/dm_conversations (201 {"data":{dm_conversation_id, dm_event_id}}); see
// also https://docs.x.com/x-api/direct-messages/manage/introduction.

// eventIDParam validates the event_id path parameter. X words path
// parameter failures like query ones, naming the schema pattern.
func eventIDParam(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := r.PathValue("event_id")
	if !isNumericID(id) {
		writeProblem(w, http.StatusBadRequest, invalidRequest("event_id", id, fmt.Sprintf("The `event_id` query parameter value [%s] does not match ^[0-9]{1,19}$", id)))
		return "", false
	}
	return id, true
}

// eventNotFound is the 200 partial-error body of a single-resource lookup
// that found nothing, as GET /2/users answers for a missing id
// (https://docs.x.com/x-api/fundamentals/response-codes-and-errors,
// "Partial errors"; "Not Found Error", resource-not-found).
func eventNotFound(id string) usersResponse {
	return usersResponse{Errors: []resourceError{{
		Value: id, Detail: fmt.Sprintf("Could not find dm_event with event_id: [%s].", id), Title: "Not Found Error",
		ResourceType: "dm_event", Parameter: "event_id", ResourceID: id, Type: problemBase + "resource-not-found",
	}}}
}

// findEventLocked returns the event with id in a conversation userID belongs
// to, still within retention; DMs of others are as absent as missing ones.
func (e *Emulator) findEventLocked(userID, id string) (*conversation, int) {
	oldest := e.opts.Now().Add(-Retention)
	for _, c := range e.convs {
		if !c.has(userID) {
			continue
		}
		for i, ev := range c.events {
			if ev.ID == id && !ev.CreatedAt.Before(oldest) {
				return c, i
			}
		}
	}
	return nil, -1
}

// getEvent serves GET /2/dm_events/{event_id}: one event, with the same
// fields and expansions as the lists.
func (e *Emulator) getEvent(w http.ResponseWriter, r *http.Request, userID string) {
	id, ok := eventIDParam(w, r)
	if !ok {
		return
	}
	pq, p := parseQuery(r.URL.Query(), dmEventQuery)
	if p != nil {
		writeProblem(w, http.StatusBadRequest, *p)
		return
	}
	lq := lookupQuery{fields: pq["dm_event.fields"], expansions: pq["expansions"], userFields: pq["user.fields"], mediaField: pq["media.fields"]}
	e.mu.Lock()
	defer e.mu.Unlock()
	c, i := e.findEventLocked(userID, id)
	if c == nil {
		writeJSON(w, http.StatusOK, eventNotFound(id))
		return
	}
	ev := c.events[i]
	var resp struct {
		Data     wireEvent     `json:"data"`
		Includes *wireIncludes `json:"includes,omitempty"`
	}
	resp.Data = e.wireEventLocked(ev, lq.fields)
	resp.Includes = e.includesLocked([]*Event{ev}, lq)
	writeJSON(w, http.StatusOK, resp)
}

// deleteEvent serves DELETE /2/dm_events/{event_id}: "Deletes a specific
// direct message event by its ID, if owned by the authenticated user"
// (OpenAPI deleteDmEvents). Another participant's message is refused with
// 403; the detail sentence is the emulator's.
func (e *Emulator) deleteEvent(w http.ResponseWriter, r *http.Request, userID string) {
	id, ok := eventIDParam(w, r)
	if !ok {
		return
	}
	if _, p := parseQuery(r.URL.Query(), noQuery); p != nil {
		writeProblem(w, http.StatusBadRequest, *p)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c, i := e.findEventLocked(userID, id)
	if c == nil {
		writeJSON(w, http.StatusOK, eventNotFound(id))
		return
	}
	if ev := c.events[i]; ev.Type != MessageCreate || ev.SenderID != userID {
		writeProblem(w, http.StatusForbidden, forbidden("You may only delete Direct Messages you sent."))
		return
	}
	c.events = slices.Delete(c.events, i, i+1)
	var resp struct {
		Data struct {
			Deleted bool `json:"deleted"`
		} `json:"data"`
	}
	resp.Data.Deleted = true
	writeJSON(w, http.StatusOK, resp)
}

// createGroup serves POST /2/dm_conversations: "Creates a new group
// conversation and adds a Direct Message to it … These requests will always
// return a new conversation ID"
// (https://docs.x.com/x-api/direct-messages/manage/integrate). The new
// conversation opens with a ParticipantsJoin event naming the invited
// members, then the message.
func (e *Emulator) createGroup(w http.ResponseWriter, r *http.Request, userID string) {
	if _, p := parseQuery(r.URL.Query(), noQuery); p != nil {
		writeProblem(w, http.StatusBadRequest, *p)
		return
	}
	g, p := parseGroup(r.Body)
	if p != nil {
		writeProblem(w, http.StatusBadRequest, *p)
		return
	}
	ev, p, status := e.createGroupLocked(userID, g)
	if p != nil {
		writeProblem(w, status, *p)
		return
	}
	var resp sendResponse
	resp.Data.DMConversationID = ev.ConversationID
	resp.Data.DMEventID = ev.ID
	writeJSONFlushed(w, http.StatusCreated, resp)
	e.echo(ev)
}

func (e *Emulator) createGroupLocked(userID string, g groupRequest) (Event, *problem, int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, id := range g.participants {
		u := e.users[id]
		if u == nil || id == userID {
			p := invalidRequest("participant_ids", id, fmt.Sprintf("The `participant_ids` value [%s] does not identify a user you can message", id))
			return Event{}, &p, http.StatusBadRequest
		}
		if u.DMsClosed {
			p := forbidden("You cannot send messages to this user.")
			return Event{}, &p, http.StatusForbidden
		}
	}
	for _, id := range g.mediaIDs {
		if m, ok := e.media[id]; !ok || m.OwnerID != userID {
			p := invalidRequest("attachments.media_id", id, fmt.Sprintf("The media [%s] was not uploaded by the authenticated user", id))
			return Event{}, &p, http.StatusBadRequest
		}
	}
	now := e.opts.Now()
	cid := strconv.FormatUint(e.nextIDLocked(now), 10)
	c := &conversation{id: cid, participants: append([]string{userID}, g.participants...)}
	e.convs[cid] = c
	e.appendLocked(c, &Event{Type: ParticipantsJoin, SenderID: userID, ParticipantIDs: slices.Clone(g.participants), CreatedAt: now})
	ev := e.appendLocked(c, &Event{Type: MessageCreate, SenderID: userID, Text: g.text, MediaIDs: g.mediaIDs, CreatedAt: now, ViaAPI: true})
	return cloneEvent(ev), nil, 0
}
