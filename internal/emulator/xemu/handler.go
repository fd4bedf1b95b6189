package xemu

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/emulator/emukit"
)

// Route limits are keyed by the route's pattern: "Each endpoint has its own
// limit" (https://docs.x.com/fundamentals/rate-limits).
const (
	maxSendBody         = 1 << 20
	defaultMaxResults   = 100
	maxMaxResults       = 100
	maxUsersLookupBatch = 100
)

// Retention is how far back the DM lookup endpoints reach.
const Retention = 30 * 24 * time.Hour

// routes is X's route table: each pattern with its rate limits.
func (e *Emulator) routes() {
	read := []limit{{e.opts.ReadLimit, e.opts.Window}}
	send := []limit{{e.opts.SendLimit, e.opts.Window}, {e.opts.SendDailyLimit, 24 * time.Hour}}
	users := []limit{{e.opts.UsersLimit, e.opts.Window}}
	me := []limit{{e.opts.MeLimit, e.opts.Window}}
	e.limits = map[string][]limit{}
	route := func(pattern string, limits []limit, h emukit.Handler[string]) {
		e.limits[pattern] = limits
		e.kit.Handle(pattern, h)
	}

	// https://docs.x.com/x-api/direct-messages/lookup/introduction lists the
	// three lookup endpoints; https://docs.x.com/x-api/direct-messages/manage/introduction
	// the two send endpoints served here.
	route("GET /2/dm_events", read, e.listAll)
	route("GET /2/dm_conversations/with/{participant_id}/dm_events", read, e.listWith)
	route("GET /2/dm_conversations/{dm_conversation_id}/dm_events", read, e.listConversation)
	route("POST /2/dm_conversations/with/{participant_id}/messages", send, e.sendWith)
	route("POST /2/dm_conversations/{dm_conversation_id}/messages", send, e.sendConversation)
	// One event, its deletion, and group creation (OpenAPI getDmEventsById,
	// deleteDmEvents, dmConversationIdCreate; events.go). Reading one event
	// shares the lookup limits; deleting and creating count as sends.
	route("GET /2/dm_events/{event_id}", read, e.getEvent)
	route("DELETE /2/dm_events/{event_id}", send, e.deleteEvent)
	route("POST /2/dm_conversations", send, e.createGroup)
	// Users lookup, https://docs.x.com/x-api/users/lookup/introduction: lets a
	// client name participants that sent nothing on the page it read.
	route("GET /2/users", users, e.lookupUsers)
	// The authenticated user, https://docs.x.com/x-api/users/lookup/integrate
	// ("Required for the authenticated user endpoint (/2/users/me)"; default
	// response {"data":{"id","name","username"}}): it tells whose token a
	// client holds.
	route("GET /2/users/me", me, e.lookupMe)
}

// notFound is X's answer for a path it does not know, before any auth.
func notFound(w http.ResponseWriter, _ *http.Request, _ string) {
	var body legacyError
	body.Errors = append(body.Errors, struct {
		Message string `json:"message"`
		Code    int    `json:"code"`
	}{"Sorry, that page does not exist", 34})
	writeJSON(w, http.StatusNotFound, body)
}

// ServeHTTP serves the X API v2 paths under /2/.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.kit.ServeHTTP(w, r)
}

// FailNext queues errors: the next len(errs) authenticated requests are
// answered with them, in order, after auth and rate limiting.
func (e *Emulator) FailNext(errs ...Error) { e.kit.FailNext(errs...) }

// gate runs X's checks, in X's order, before a route (and before an
// injected fault): the user-context token, then the user's rate-limit
// window for the route, whose headers every authenticated response carries.
func (e *Emulator) gate(w http.ResponseWriter, r *http.Request) (string, Error, bool) {
	userID, ok := e.authenticate(r)
	if !ok {
		// OAuth 2.0 user-context Bearer tokens only; app-only and
		// missing tokens are refused
		// (https://docs.x.com/x-api/direct-messages/lookup/integrate, "Authentication").
		return "", StatusError(http.StatusUnauthorized), false
	}
	st, ok := e.take(userID, r.Pattern, e.limits[r.Pattern])
	st.set(w.Header())
	if !ok {
		return "", StatusError(http.StatusTooManyRequests), false
	}
	return userID, Error{}, true
}

func (e *Emulator) authenticate(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return "", false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	id, ok := e.tokens[tok]
	if exp, expiring := e.tokenExp[tok]; ok && expiring && !e.kit.Now().Before(exp) {
		return "", false // past its two hours: X answers 401
	}
	return id, ok
}

// lookupQuery is a parsed and validated dm_events query.
type lookupQuery struct {
	fields     map[string]bool
	expansions map[string]bool
	userFields map[string]bool
	mediaField map[string]bool
	types      map[string]bool
	max        int
	token      string
}

func parseLookup(q url.Values) (lookupQuery, *problem) {
	var lq lookupQuery
	pq, p := parseQuery(q, dmLookupQuery)
	if p != nil {
		return lq, p
	}
	lq.fields, lq.expansions, lq.userFields, lq.mediaField, lq.types = pq["dm_event.fields"], pq["expansions"], pq["user.fields"], pq["media.fields"], pq["event_types"]
	// max_results: 1–100, default 100
	// (https://docs.x.com/x-api/direct-messages/lookup/quickstart, "Common parameters").
	lq.max = defaultMaxResults
	if q.Has("max_results") {
		v := q.Get("max_results")
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxMaxResults {
			pr := invalidRequest("max_results", v, fmt.Sprintf("The `max_results` query parameter value [%s] is not between 1 and %d", v, maxMaxResults))
			return lq, &pr
		}
		lq.max = n
	}
	if q.Has("pagination_token") {
		lq.token = q.Get("pagination_token")
		if _, _, ok := decodeToken(lq.token); !ok {
			pr := invalidRequest("pagination_token", lq.token, fmt.Sprintf("The `pagination_token` query parameter value [%s] is not valid", lq.token))
			return lq, &pr
		}
	}
	return lq, nil
}

func (e *Emulator) listAll(w http.ResponseWriter, r *http.Request, userID string) {
	lq, p := parseLookup(r.URL.Query())
	if p != nil {
		writeProblem(w, http.StatusBadRequest, *p)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	writeJSON(w, http.StatusOK, e.renderLocked(e.eventsForLocked(userID), lq))
}

func (e *Emulator) listWith(w http.ResponseWriter, r *http.Request, userID string) {
	pid := r.PathValue("participant_id")
	if !isNumericID(pid) {
		writeProblem(w, http.StatusBadRequest, invalidRequest("participant_id", pid, fmt.Sprintf("The `participant_id` path parameter value [%s] is not valid", pid)))
		return
	}
	e.listByID(w, r, userID, ConversationID(userID, pid))
}

func (e *Emulator) listConversation(w http.ResponseWriter, r *http.Request, userID string) {
	cid := r.PathValue("dm_conversation_id")
	if !validConversationID(cid) {
		writeProblem(w, http.StatusBadRequest, invalidRequest("dm_conversation_id", cid, fmt.Sprintf("The `dm_conversation_id` path parameter value [%s] is not valid", cid)))
		return
	}
	e.listByID(w, r, userID, cid)
}

func (e *Emulator) listByID(w http.ResponseWriter, r *http.Request, userID, cid string) {
	lq, p := parseLookup(r.URL.Query())
	if p != nil {
		writeProblem(w, http.StatusBadRequest, *p)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.convs[cid]
	if c != nil && !c.has(userID) {
		// DMs are private (https://docs.x.com/x-api/direct-messages/lookup/integrate):
		// a conversation the user is not in is forbidden. The detail
		// sentence is the emulator's; X documents only the status.
		pr := genericProblem(http.StatusForbidden)
		pr.Detail = "You are not a participant of this conversation."
		writeProblem(w, http.StatusForbidden, pr)
		return
	}
	var evs []*Event
	if c != nil {
		evs = append(evs, c.events...)
		sortNewestFirst(evs)
	}
	// A conversation that does not exist yet simply has no events.
	writeJSON(w, http.StatusOK, e.renderLocked(evs, lq))
}

// renderLocked filters, pages and renders newest-first events. DM events are
// returned newest first (https://docs.x.com/x-api/direct-messages/lookup/integrate,
// "Pagination").
func (e *Emulator) renderLocked(all []*Event, lq lookupQuery) listResponse {
	// "Events from up to 30 days ago are available"
	// (https://docs.x.com/x-api/direct-messages/lookup/introduction, "Data retention").
	oldest := e.opts.Now().Add(-Retention)
	evs := all[:0:0]
	for _, ev := range all {
		if ev.CreatedAt.Before(oldest) {
			continue
		}
		if len(lq.types) == 0 || lq.types[ev.Type] {
			evs = append(evs, ev)
		}
	}
	start, end := 0, min(lq.max, len(evs))
	if lq.token != "" {
		dir, id, _ := decodeToken(lq.token)
		// k is the first event at or older than the token's event.
		k := sort.Search(len(evs), func(i int) bool { return !lessID(id, evs[i].ID) })
		if dir == 'n' {
			start, end = k, min(k+lq.max, len(evs))
		} else {
			start, end = max(0, k-lq.max), k
		}
	}
	page := evs[start:end]
	resp := listResponse{Meta: wireMeta{ResultCount: len(page)}}
	if end < len(evs) {
		resp.Meta.NextToken = encodeToken('n', evs[end].ID)
	}
	if start > 0 && len(page) > 0 {
		resp.Meta.PreviousToken = encodeToken('p', page[0].ID)
	}
	for _, ev := range page {
		resp.Data = append(resp.Data, e.wireEventLocked(ev, lq.fields))
	}
	resp.Includes = e.includesLocked(page, lq)
	return resp
}

// includesLocked renders the users and media that the requested
// expansions of page name (https://docs.x.com/x-api/direct-messages/lookup/integrate,
// "Fields and expansions"); nil when there are none.
func (e *Emulator) includesLocked(page []*Event, lq lookupQuery) *wireIncludes {
	var userIDs, mediaIDs []string
	addUser := func(id string) {
		if id != "" && !slices.Contains(userIDs, id) {
			userIDs = append(userIDs, id)
		}
	}
	for _, ev := range page {
		if lq.expansions["sender_id"] {
			addUser(ev.SenderID)
		}
		if lq.expansions["participant_ids"] {
			for _, p := range ev.ParticipantIDs {
				addUser(p)
			}
		}
		if lq.expansions["attachments.media_keys"] {
			for _, m := range ev.MediaIDs {
				if !slices.Contains(mediaIDs, m) {
					mediaIDs = append(mediaIDs, m)
				}
			}
		}
	}
	inc := &wireIncludes{}
	for _, id := range userIDs {
		if u := e.users[id]; u != nil {
			inc.Users = append(inc.Users, wireUserOf(u, lq.userFields))
		}
	}
	for _, id := range mediaIDs {
		if m, ok := e.media[id]; ok {
			wm := wireMedia{MediaKey: m.mediaKey(), Type: m.Type}
			if lq.mediaField["url"] {
				wm.URL = m.URL
			}
			inc.Media = append(inc.Media, wm)
		}
	}
	if len(inc.Users) > 0 || len(inc.Media) > 0 {
		return inc
	}
	return nil
}

// wireEventLocked renders an event with X's default fields (id, event_type,
// and text or participant_ids) plus the requested dm_event.fields.
func (e *Emulator) wireEventLocked(ev *Event, fields map[string]bool) wireEvent {
	w := wireEvent{ID: ev.ID, EventType: ev.Type}
	if ev.Type == MessageCreate {
		w.Text = ev.Text
	} else {
		w.ParticipantIDs = ev.ParticipantIDs
	}
	if fields["sender_id"] {
		w.SenderID = ev.SenderID
	}
	if fields["participant_ids"] {
		w.ParticipantIDs = ev.ParticipantIDs
	}
	if fields["dm_conversation_id"] {
		w.DMConversationID = ev.ConversationID
	}
	if fields["created_at"] {
		w.CreatedAt = xTime(ev.CreatedAt)
	}
	if fields["attachments"] && len(ev.MediaIDs) > 0 {
		a := &wireAttachments{}
		for _, id := range ev.MediaIDs {
			m, ok := e.media[id]
			if !ok {
				m = Media{ID: id, Type: "photo"}
			}
			a.MediaKeys = append(a.MediaKeys, m.mediaKey())
		}
		w.Attachments = a
	}
	return w
}

// wireUserOf renders a user with the default fields id, name, username plus
// the requested user.fields that the emulator models.
func wireUserOf(u *User, fields map[string]bool) wireUser {
	w := wireUser{ID: u.ID, Name: u.Name, Username: u.Username}
	if fields["profile_image_url"] {
		w.ProfileImageURL = u.ProfileImageURL
	}
	if fields["created_at"] && !u.CreatedAt.IsZero() {
		w.CreatedAt = xTime(u.CreatedAt)
	}
	if fields["description"] {
		d := u.Description
		w.Description = &d
	}
	if fields["protected"] {
		p := u.Protected
		w.Protected = &p
	}
	if fields["verified"] {
		v := u.Verified
		w.Verified = &v
	}
	return w
}

// parseSend reads a send body: {"text": "...", "attachments": [{"media_id": "..."}]},
// validated as parseMessage does, unknown properties and over-long texts
// included.
func parseSend(body io.Reader) (text string, mediaIDs []string, p *problem) {
	raw, p := readBody(body)
	if p != nil {
		return "", nil, p
	}
	return parseMessage(raw, "$")
}

func (e *Emulator) sendWith(w http.ResponseWriter, r *http.Request, userID string) {
	pid := r.PathValue("participant_id")
	if !isNumericID(pid) {
		writeProblem(w, http.StatusBadRequest, invalidRequest("participant_id", pid, fmt.Sprintf("The `participant_id` path parameter value [%s] is not valid", pid)))
		return
	}
	e.send(w, r, userID, ConversationID(userID, pid), pid)
}

func (e *Emulator) sendConversation(w http.ResponseWriter, r *http.Request, userID string) {
	cid := r.PathValue("dm_conversation_id")
	if !validConversationID(cid) {
		writeProblem(w, http.StatusBadRequest, invalidRequest("dm_conversation_id", cid, fmt.Sprintf("The `dm_conversation_id` path parameter value [%s] is not valid", cid)))
		return
	}
	e.send(w, r, userID, cid, "")
}

// forbidden is the 403 for a recipient or conversation the user may not
// write to (https://docs.x.com/x-api/direct-messages/manage/integrate,
// "Error handling": 403 Forbidden). The detail sentence is the emulator's.
func forbidden(detail string) problem {
	p := genericProblem(http.StatusForbidden)
	p.Detail = detail
	return p
}

// send adds a message. POST .../with/:participant_id/messages "either creates
// a new 1-1 conversation or retrieves the current conversation"; POST
// .../:dm_conversation_id/messages adds to an existing conversation
// (https://developer.x.com/en/docs/x-api/direct-messages/manage). Answers
// 201 with {data:{dm_conversation_id, dm_event_id}}.
func (e *Emulator) send(w http.ResponseWriter, r *http.Request, userID, cid, participantID string) {
	text, mediaIDs, p := parseSend(r.Body)
	if p != nil {
		writeProblem(w, http.StatusBadRequest, *p)
		return
	}
	ev, p, status := e.sendLocked(userID, cid, participantID, text, mediaIDs)
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

// sendLocked checks and records a message; on refusal it returns the
// problem and its status, recording nothing.
func (e *Emulator) sendLocked(userID, cid, participantID, text string, mediaIDs []string) (Event, *problem, int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	refuse := func(status int, p problem) (Event, *problem, int) { return Event{}, &p, status }
	c := e.convs[cid]
	if c == nil {
		// Only a one-to-one conversation that includes the sender can come
		// into being by a send.
		a, b, ok := strings.Cut(cid, "-")
		switch {
		case ok && a == userID:
			participantID = b
		case ok && b == userID:
			participantID = a
		default:
			return refuse(http.StatusForbidden, forbidden("You are not a participant of this conversation."))
		}
	} else if !c.has(userID) {
		return refuse(http.StatusForbidden, forbidden("You are not a participant of this conversation."))
	}
	if participantID != "" {
		u := e.users[participantID]
		if u == nil || participantID == userID {
			return refuse(http.StatusBadRequest, invalidRequest("participant_id", participantID, fmt.Sprintf("The `participant_id` value [%s] does not identify a user you can message", participantID)))
		}
	}
	recipients := []string{participantID}
	if c != nil {
		recipients = c.participants
	}
	for _, id := range recipients {
		if u := e.users[id]; id != userID && u != nil && u.DMsClosed {
			return refuse(http.StatusForbidden, forbidden("You cannot send messages to this user."))
		}
	}
	for _, id := range mediaIDs {
		m, ok := e.media[id]
		if !ok || m.OwnerID != userID {
			return refuse(http.StatusBadRequest, invalidRequest("attachments.media_id", id, fmt.Sprintf("The media [%s] was not uploaded by the authenticated user", id)))
		}
	}
	if c == nil {
		c = e.oneToOneLocked(userID, participantID)
	}
	ev := e.appendLocked(c, &Event{Type: MessageCreate, SenderID: userID, Text: text, MediaIDs: mediaIDs, CreatedAt: e.opts.Now(), ViaAPI: true})
	return cloneEvent(ev), nil, 0
}

// lookupUsers serves GET /2/users?ids=… (1–100 ids): found users in data,
// missing ones as partial errors
// (https://docs.x.com/x-api/fundamentals/response-codes-and-errors, "Partial errors").
func (e *Emulator) lookupUsers(w http.ResponseWriter, r *http.Request, _ string) {
	q := r.URL.Query()
	pq, p := parseQuery(q, usersQuery)
	if p != nil {
		writeProblem(w, http.StatusBadRequest, *p)
		return
	}
	fields := pq["user.fields"]
	raw := q.Get("ids")
	ids := strings.Split(raw, ",")
	if raw == "" || len(ids) > maxUsersLookupBatch {
		writeProblem(w, http.StatusBadRequest, invalidRequest("ids", raw, fmt.Sprintf("The `ids` query parameter value [%s] must name between 1 and %d users", raw, maxUsersLookupBatch)))
		return
	}
	for _, id := range ids {
		if !isNumericID(id) {
			writeProblem(w, http.StatusBadRequest, invalidRequest("ids", id, fmt.Sprintf("The `ids` query parameter value [%s] is not valid", id)))
			return
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var resp usersResponse
	for _, id := range ids {
		if u := e.users[id]; u != nil {
			resp.Data = append(resp.Data, wireUserOf(u, fields))
			continue
		}
		resp.Errors = append(resp.Errors, resourceError{
			Value: id, Detail: fmt.Sprintf("Could not find user with ids: [%s].", id), Title: "Not Found Error",
			ResourceType: "user", Parameter: "ids", ResourceID: id, Type: problemBase + "resource-not-found",
		})
	}
	writeJSON(w, http.StatusOK, resp)
}

// lookupMe serves GET /2/users/me: the user the token acts for.
func (e *Emulator) lookupMe(w http.ResponseWriter, r *http.Request, userID string) {
	q := r.URL.Query()
	pq, p := parseQuery(q, meQuery)
	if p != nil {
		writeProblem(w, http.StatusBadRequest, *p)
		return
	}
	fields := pq["user.fields"]
	e.mu.Lock()
	defer e.mu.Unlock()
	var resp struct {
		Data wireUser `json:"data"`
	}
	resp.Data = wireUserOf(e.users[userID], fields)
	writeJSON(w, http.StatusOK, resp)
}
