package liemu

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Paths served. POST /rest/messages is the DOCUMENTED Messages API
// (https://learn.microsoft.com/en-us/linkedin/shared/integrations/communications/messages);
// the two finders and the conversation GET are ASSUMED shapes shared with the
// adapter (internal/platform/linkedin/assumptions.go). Finders use the
// documented q={finderName} convention:
// https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/methods
const (
	pathConversations = "/rest/conversations"
	pathMessages      = "/rest/messages"
	maxBody           = 1 << 20
)

// Organisation paths, DOCUMENTED: the access-control finder
// (https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-access-control-by-role,
// "endpoint: /organizationAcls … roleAssignee FINDER") and the organisation
// lookup (https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-lookup-api,
// GET /rest/organizations/{id}).
const (
	pathOrganizationAcls = "/rest/organizationAcls"
	pathOrganizations    = "/rest/organizations"
)

var (
	// LinkedIn-Version is YYYYMM, optionally with a .RR revision; LinkedIn
	// also accepts YYYYMMDD (the form it echoes in NONEXISTENT_VERSION, e.g.
	// "Requested version 20250401 is not active" for 202504 —
	// https://github.com/n8n-io/n8n/issues/28590).
	versionRe = regexp.MustCompile(`^([0-9]{6})(?:([0-9]{2})|\.([0-9]{2}))?$`)
	// "Messages posted on LinkedIn must not contain any HTML." (Messages API
	// requirements, URL above.)
	htmlRe       = regexp.MustCompile(`<\s*/?\s*[A-Za-z][^<>]*>`)
	mediaAssetRe = regexp.MustCompile(`^urn:li:digitalmediaAsset:[A-Za-z0-9_-]+$`)
)

// routes is LinkedIn's route table. Keys and ids are taken from the
// escaped path: Rest.li 2.0 requires them URL-encoded.
func (e *Emulator) routes() {
	e.kit.Handle("GET "+pathOrganizationAcls, e.findAcls)
	e.kit.Handle("GET "+pathOrganizations+"/{id...}", func(w http.ResponseWriter, r *http.Request, _ token) {
		e.getOrganization(w, strings.TrimPrefix(r.URL.EscapedPath(), pathOrganizations+"/"))
	})
	e.kit.Handle("GET "+pathConversations, func(w http.ResponseWriter, r *http.Request, tok token) {
		e.findConversations(w, r, tok.org)
	})
	e.kit.Handle("GET "+pathConversations+"/{key...}", func(w http.ResponseWriter, r *http.Request, tok token) {
		e.getConversation(w, strings.TrimPrefix(r.URL.EscapedPath(), pathConversations+"/"), tok.org)
	})
	e.kit.Handle("GET "+pathMessages, func(w http.ResponseWriter, r *http.Request, tok token) {
		e.findMessages(w, r, tok.org)
	})
	e.kit.Handle("POST "+pathMessages, func(w http.ResponseWriter, r *http.Request, tok token) {
		e.createMessage(w, r, tok.org)
	})
}

// noRoute answers a path the table does not serve: a known resource with
// another method is 405, anything else 404.
func noRoute(w http.ResponseWriter, r *http.Request, _ token) {
	p := r.URL.EscapedPath()
	switch {
	case p == pathOrganizationAcls, p == pathConversations, p == pathMessages,
		strings.HasPrefix(p, pathOrganizations+"/"), strings.HasPrefix(p, pathConversations+"/"):
		writeError(w, methodNotAllowed(r))
	default:
		writeError(w, errNotFound("Resource "+p))
	}
}

// ServeHTTP implements http.Handler.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) { e.kit.ServeHTTP(w, r) }

// begin sets the headers every answer carries and counts the request.
func (e *Emulator) begin(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("X-Li-Uuid", e.requestID()) // ASSUMED request-id header (adapter reads it as trace_id)
	w.Header().Set("X-RestLi-Protocol-Version", "2.0.0")
	e.mu.Lock()
	e.requests++
	e.mu.Unlock()
}

// gate is what LinkedIn checks before a resource: the token, the
// LinkedIn-Version header, the Rest.li protocol version.
func (e *Emulator) gate(_ http.ResponseWriter, r *http.Request) (token, Error, bool) {
	tok, rerr := e.authenticate(r)
	if rerr != nil {
		return token{}, *rerr, false
	}
	if rerr := e.checkVersion(r.Header.Get("LinkedIn-Version")); rerr != nil {
		return token{}, *rerr, false
	}
	// DOCUMENTED header and value:
	// https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/protocol-version
	if r.Header.Get("X-Restli-Protocol-Version") != "2.0.0" {
		return token{}, errProtocol(), false
	}
	return tok, Error{}, true
}

// authenticate checks the Bearer token as LinkedIn does: "Authorization:
// Bearer {token}" only; the failure cases follow the error-handling page
// (https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/error-handling).
func (e *Emulator) authenticate(r *http.Request) (token, *Error) {
	h := r.Header.Get("Authorization")
	if strings.TrimSpace(h) == "" {
		re := errEmptyToken()
		return token{}, &re
	}
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		re := errUnknownScheme()
		return token{}, &re
	}
	tok = strings.TrimSpace(tok)
	if tok == "" {
		re := errEmptyToken()
		return token{}, &re
	}
	e.mu.Lock()
	t, found := e.tokens[tok]
	var c token
	if found {
		c = *t
	}
	e.mu.Unlock()
	var re Error
	switch {
	case !found:
		re = errInvalidToken()
	case c.state == tokenExpired || (!c.expiry.IsZero() && !e.kit.Now().Before(c.expiry)):
		re = errExpiredToken()
	case c.state == tokenRevoked:
		re = errRevokedToken()
	default:
		return c, nil
	}
	return token{}, &re
}

// checkVersion enforces the LinkedIn-Version header. DOCUMENTED: required on
// every versioned call (https://learn.microsoft.com/en-us/linkedin/marketing/versioning);
// an inactive one is 426 NONEXISTENT_VERSION.
func (e *Emulator) checkVersion(v string) *Error {
	if v == "" {
		re := errVersionMissing()
		return &re
	}
	m := versionRe.FindStringSubmatch(v)
	if m == nil {
		re := errBadRequest("Invalid LinkedIn-Version header value " + strconv.Quote(v)) // ASSUMED body
		return &re
	}
	month := m[1]
	if month[4:] < "01" || month[4:] > "12" {
		re := errNonexistentVersion(month + "01")
		return &re
	}
	if len(e.opts.ActiveVersions) == 0 {
		return nil
	}
	for _, a := range e.opts.ActiveVersions {
		if am := versionRe.FindStringSubmatch(a); am != nil && am[1] == month {
			return nil
		}
	}
	re := errNonexistentVersion(month + "01")
	return &re
}

func (e *Emulator) findConversations(w http.ResponseWriter, r *http.Request, orgURN string) {
	q := r.URL.Query()
	if q.Get("q") != "organization" {
		writeError(w, errBadRequest("Unknown finder "+strconv.Quote(q.Get("q"))+"; expected q=organization"))
		return
	}
	want := q.Get("organization")
	if !orgURNRe.MatchString(want) {
		writeError(w, errBadRequest("Parameter 'organization' must be an organization URN"))
		return
	}
	if want != orgURN {
		writeError(w, errAccessDenied("conversations.FINDER-organization "+want))
		return
	}
	start, count, rerr := e.pageParams(q)
	if rerr != nil {
		writeError(w, *rerr)
		return
	}
	e.mu.Lock()
	var ts []*thread
	for _, t := range e.threads {
		if t.org == orgURN {
			ts = append(ts, t)
		}
	}
	// Newest activity first (ASSUMED ordering, shared with the adapter).
	sortThreads(ts)
	total := len(ts)
	els := make([]wireConversation, 0, count)
	for i := start; i < total && i < start+count; i++ {
		els = append(els, e.conversationLocked(ts[i]))
	}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, collection[wireConversation]{Elements: els, Paging: makePaging(r.URL, start, count, total)})
}

func (e *Emulator) getConversation(w http.ResponseWriter, rawKey, orgURN string) {
	// Rest.li 2.0 requires the whole key URL-encoded (':' as %3A).
	if strings.Contains(rawKey, ":") || strings.Contains(rawKey, "/") {
		writeError(w, errBadRequest("Resource key must be URL-encoded (Rest.li protocol 2.0)"))
		return
	}
	key, err := url.PathUnescape(rawKey)
	if err != nil {
		writeError(w, errBadRequest("Malformed resource key"))
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.threads[key]
	if !ok {
		writeError(w, errNotFound("Conversation "+key))
		return
	}
	if t.org != orgURN {
		writeError(w, errAccessDenied("conversations.GET "+key))
		return
	}
	writeJSON(w, http.StatusOK, e.conversationLocked(t))
}

func (e *Emulator) findMessages(w http.ResponseWriter, r *http.Request, orgURN string) {
	q := r.URL.Query()
	if q.Get("q") != "thread" {
		writeError(w, errBadRequest("Unknown finder "+strconv.Quote(q.Get("q"))+"; expected q=thread"))
		return
	}
	start, count, rerr := e.pageParams(q)
	if rerr != nil {
		writeError(w, *rerr)
		return
	}
	key := q.Get("thread")
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.threads[key]
	if !ok {
		writeError(w, errNotFound("Conversation "+key))
		return
	}
	if t.org != orgURN {
		writeError(w, errAccessDenied("messages.FINDER-thread "+key))
		return
	}
	total := len(t.msgs)
	els := make([]wireMessage, 0, count)
	// Newest first (ASSUMED ordering, shared with the adapter).
	for i := start; i < total && i < start+count; i++ {
		els = append(els, toWireMessage(t, t.msgs[total-1-i]))
	}
	writeJSON(w, http.StatusOK, collection[wireMessage]{Elements: els, Paging: makePaging(r.URL, start, count, total)})
}

// parseCreate decodes and validates a POST /rest/messages body against the
// documented Messages API rules. It is fuzzed by FuzzParseCreate.
func parseCreate(body []byte) (createMessage, *Error) {
	var cm createMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cm); err != nil {
		re := errBadRequest("Malformed request body: " + jsonProblem(err))
		return cm, &re
	}
	if dec.More() {
		re := errBadRequest("Malformed request body: trailing data")
		return cm, &re
	}
	var re Error
	switch {
	case cm.Author == "":
		re = errBadRequest("Field 'author' is required")
	case cm.Thread != "" && len(cm.Recipients) > 0:
		// "Required if thread is missing and must be omitted if thread is present."
		re = errBadRequest("Field 'recipients' must be omitted when 'thread' is present")
	case cm.Thread == "" && len(cm.Recipients) == 0:
		re = errBadRequest("Field 'recipients' is required when 'thread' is missing")
	case blank(cm.Body) && len(cm.Attachments) == 0:
		re = errBadRequest("Field 'body' is required")
	case htmlRe.MatchString(cm.Body) || htmlRe.MatchString(cm.Subject):
		re = errBadRequest("Messages must not contain HTML")
	default:
		for _, a := range cm.Attachments {
			if !mediaAssetRe.MatchString(a) {
				re = errBadRequest("Attachment " + strconv.Quote(a) + " is not a digitalmediaAsset URN")
				return cm, &re
			}
		}
		return cm, nil
	}
	return cm, &re
}

func (e *Emulator) createMessage(w http.ResponseWriter, r *http.Request, orgURN string) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		writeError(w, errBadRequest("Could not read request body"))
		return
	}
	if len(body) > maxBody {
		writeError(w, Error{Status: http.StatusRequestEntityTooLarge, Message: "Request body too large"})
		return
	}
	cm, rerr := parseCreate(body)
	if rerr != nil {
		writeError(w, *rerr)
		return
	}
	if cm.Author != orgURN {
		writeError(w, errAccessDenied("messages.CREATE as "+cm.Author))
		return
	}
	if cm.Thread == "" {
		// ASSUMED: organisation pages may only reply; they cannot open a
		// conversation ("Company pages are not permitted to start
		// conversations with users." —
		// https://developer.unipile.com/v2.0/docs/linkedin-send-messages).
		writeError(w, errAccessDenied("messages.CREATE with recipients: organizations cannot start conversations"))
		return
	}
	e.mu.Lock()
	t, ok := e.threads[cm.Thread]
	if !ok {
		e.mu.Unlock()
		writeError(w, errNotFound("Conversation "+cm.Thread))
		return
	}
	if t.org != orgURN {
		e.mu.Unlock()
		writeError(w, errAccessDenied("messages.CREATE in "+cm.Thread))
		return
	}
	m := e.appendLocked(t, orgURN, cm.Body, cm.Attachments, e.opts.Now().UTC())
	id := m.ID
	e.mu.Unlock()
	// Rest.li CREATE: 201 with the new key in X-RestLi-Id and a Location
	// (the Rest.li convention; ASSUMED for this endpoint).
	w.Header().Set("X-RestLi-Id", id)
	w.Header().Set("Location", pathMessages+"/"+escapeKey(id))
	w.WriteHeader(http.StatusCreated)
}

// pageParams reads Rest.li start/count (DOCUMENTED defaults 0 and 10:
// https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/pagination).
func (e *Emulator) pageParams(q url.Values) (start, count int, rerr *Error) {
	start, count, err := parsePaging(q.Get("start"), q.Get("count"), e.opts.MaxCount)
	if err != "" {
		re := errBadRequest(err)
		return 0, 0, &re
	}
	return start, count, nil
}

// parsePaging parses start and count query values; it returns a problem
// description instead of an error so the caller answers LinkedIn's body.
// count is capped at maxCount.
func parsePaging(startS, countS string, maxCount int) (start, count int, problem string) {
	start, count = 0, 10
	if startS != "" {
		n, err := strconv.Atoi(startS)
		if err != nil || n < 0 {
			return 0, 0, "Parameter 'start' must be a non-negative integer"
		}
		start = n
	}
	if countS != "" {
		n, err := strconv.Atoi(countS)
		if err != nil || n < 0 {
			return 0, 0, "Parameter 'count' must be a non-negative integer"
		}
		count = n
	}
	if maxCount > 0 && count > maxCount {
		count = maxCount
	}
	return start, count, ""
}

// makePaging builds the paging block with rel=prev/next links carrying the
// request's own query (DOCUMENTED fields start, count, total, links).
func makePaging(u *url.URL, start, count, total int) paging {
	p := paging{Start: start, Count: count, Total: total, Links: []pageLink{}}
	link := func(rel string, s int) {
		q := u.Query()
		q.Set("start", strconv.Itoa(s))
		q.Set("count", strconv.Itoa(count))
		p.Links = append(p.Links, pageLink{Rel: rel, Href: u.Path + "?" + q.Encode(), Type: "application/json"})
	}
	if start > 0 && count > 0 {
		link("prev", max(0, start-count))
	}
	if count > 0 && start+count < total {
		link("next", start+count)
	}
	return p
}

func (e *Emulator) conversationLocked(t *thread) wireConversation {
	c := wireConversation{
		ID:             t.urn,
		CreatedAt:      t.createdAt.UnixMilli(),
		LastActivityAt: t.lastAt.UnixMilli(),
		UnreadCount:    t.unread,
	}
	name := ""
	if o, ok := e.orgs[t.org]; ok {
		name = o.name
	}
	c.Participants = append(c.Participants, wireParticipant{Participant: t.org, LocalizedName: name})
	for _, urn := range t.members {
		p := e.personLocked(urn)
		c.Participants = append(c.Participants, wireParticipant{
			Participant:        urn,
			LocalizedFirstName: p.FirstName,
			LocalizedLastName:  p.LastName,
			ProfilePicture:     p.PictureURL,
		})
	}
	if n := len(t.msgs); n > 0 {
		m := toWireMessage(t, t.msgs[n-1])
		c.LastMessage = &m
	}
	return c
}

func toWireMessage(t *thread, m *Message) wireMessage {
	atts := m.Attachments
	if atts == nil {
		atts = []string{}
	}
	return wireMessage{
		ID:          m.ID,
		Thread:      t.urn,
		Author:      m.Author,
		Owner:       t.org,
		CreatedAt:   m.CreatedAt.UnixMilli(),
		DeliveredAt: m.CreatedAt.UnixMilli(),
		Content:     wireContent{Format: "TEXT", Fallback: m.Text, FormatVersion: 1},
		Attachments: atts,
	}
}

func sortThreads(ts []*thread) {
	for i := 1; i < len(ts); i++ { // insertion sort: tiny slices, stable, no closure allocs
		for j := i; j > 0 && newer(ts[j], ts[j-1]); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}

func newer(a, b *thread) bool {
	if !a.lastAt.Equal(b.lastAt) {
		return a.lastAt.After(b.lastAt)
	}
	return a.urn > b.urn
}

func methodNotAllowed(r *http.Request) Error {
	return Error{Status: http.StatusMethodNotAllowed, Message: "Method " + r.Method + " is not supported on this resource"} // ASSUMED body
}

func escapeKey(k string) string { return strings.ReplaceAll(url.QueryEscape(k), "+", "%20") }

func jsonProblem(err error) string {
	s := err.Error()
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// marshal encodes compactly without HTML escaping, so paging hrefs keep
// their literal '&' as LinkedIn's do.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := marshal(v)
	if err != nil {
		writeError(w, errInternal())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeError answers a Rest.li error: the status, the JSON body and the
// Rest.li X-RestLi-Error-Response marker header.
func writeError(w http.ResponseWriter, re Error) {
	b, _ := marshal(re)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-RestLi-Error-Response", "true")
	w.WriteHeader(re.Status)
	_, _ = w.Write(b)
}
