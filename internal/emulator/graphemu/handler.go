package graphemu

import (
	"context"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/emulator/emukit"
	"github.com/parleyhq/parley/internal/platform"
)

// maxBody bounds request bodies; Graph refuses far smaller sends anyway.
const maxBody = 1 << 20

var versionRE = regexp.MustCompile(`^v[0-9]+\.[0-9]+$`)

// answer is one HTTP reply before it is written.
type answer struct {
	status int
	body   any
	header http.Header
}

func ok(body any) answer { return answer{status: http.StatusOK, body: body} }

// request is what the handlers need from an HTTP request.
type request struct {
	method  string
	version string // "v25.0" or "" when the path carried none
	parts   []string
	query   url.Values
	body    []byte
	ctype   string
	scheme  string
	host    string
	token   string
	hostAs  host
	acct    *account // the token's account, once authenticated
}

// host is which Meta host a request is answered as.
type host int

const (
	anyHost       host = iota // one listener for both (tests, simple sandbox)
	facebookHost              // graph.facebook.com
	instagramHost             // graph.instagram.com
)

// hostKey carries which host a request is answered as.
type hostKey struct{}

// FacebookHost returns a handler that answers as graph.facebook.com only:
// an Instagram-Login token is refused there with code 190, as on Meta.
func (e *Emulator) FacebookHost() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { e.serve(w, r, facebookHost) })
}

// InstagramHost returns a handler that answers as graph.instagram.com only:
// Page tokens are refused there with code 190.
func (e *Emulator) InstagramHost() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { e.serve(w, r, instagramHost) })
}

// ServeHTTP answers one Graph API request as either host; a request whose
// Host header names graph.facebook.com or graph.instagram.com is held to
// that host's tokens.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := anyHost
	switch strings.ToLower(r.Host) {
	case "graph.facebook.com":
		h = facebookHost
	case "graph.instagram.com":
		h = instagramHost
	}
	e.serve(w, r, h)
}

func (e *Emulator) serve(w http.ResponseWriter, r *http.Request, h host) {
	e.kit.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), hostKey{}, h)))
}

// routes is the Graph API's route table, on the path without its optional
// version (routePath). Graph authenticates before it looks at the path, so
// unknown paths (noRoute) are answered after the token check too.
func (e *Emulator) routes() {
	e.kit.Handle("GET /{node}", e.locked(func(req *request, node string) answer { return e.getNode(req, node) }))
	e.kit.Handle("GET /{node}/conversations", e.locked(func(req *request, node string) answer {
		owner := e.resolveAccount(req, node)
		if owner == nil {
			return e.fail(req, unsupported("get", node))
		}
		return e.listConversations(req, owner)
	}))
	e.kit.Handle("GET /{node}/messages", e.locked(e.threadMessages))
	e.kit.Handle("POST /{node}/messages", e.locked(func(req *request, node string) answer {
		owner := e.resolveAccount(req, node)
		if owner == nil {
			return e.fail(req, unsupported("post", node))
		}
		return e.send(req, owner)
	}))
}

// FailNext queues errors: the next len(errs) authenticated requests are
// answered with them, in order.
func (e *Emulator) FailNext(errs ...Error) { e.kit.FailNext(errs...) }

// locked serves a route under e.mu, for the path's node.
func (e *Emulator) locked(fn func(req *request, node string) answer) emukit.Handler[*request] {
	return func(w http.ResponseWriter, r *http.Request, req *request) {
		req.parts = segments(r.URL.Path)
		e.mu.Lock()
		a := fn(req, r.PathValue("node"))
		e.mu.Unlock()
		write(w, a)
	}
}

// noRoute answers what the table does not serve, as Graph does: an unknown
// edge or a path of another shape is code 2500, another method on a node
// "Unsupported … request".
func (e *Emulator) noRoute(w http.ResponseWriter, r *http.Request, req *request) {
	parts := segments(r.URL.Path)
	e.mu.Lock()
	var a answer
	switch {
	case len(parts) == 0 || parts[0] == "" || len(parts) > 2:
		a = e.fail(req, unknownPath("/"+strings.Join(parts, "/")))
	case len(parts) == 2 && parts[1] != "conversations" && parts[1] != "messages":
		a = e.fail(req, unknownPath(parts[1]))
	default:
		a = e.fail(req, unsupported(strings.ToLower(r.Method), parts[0]))
	}
	e.mu.Unlock()
	write(w, a)
}

// segments splits a path as Graph reads it: decoded, outer slashes
// dropped, without the optional version segment.
func segments(path string) []string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) > 0 && versionRE.MatchString(parts[0]) {
		parts = parts[1:]
	}
	return parts
}

// routePath routes /v25.0/{id}/… as /{id}/….
func routePath(r *http.Request) string { return "/" + strings.Join(segments(r.URL.Path), "/") }

// gate reads the request and checks its access token, as Graph does before
// it looks at the path: missing (104), unknown or for the other host (190),
// expired (190/463). The request it returns carries the token's account.
func (e *Emulator) gate(_ http.ResponseWriter, r *http.Request) (*request, Error, bool) {
	h, _ := r.Context().Value(hostKey{}).(host)
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	req := &request{method: r.Method, query: r.URL.Query(), body: body, ctype: r.Header.Get("Content-Type"), host: r.Host, scheme: "http", hostAs: h}
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		req.scheme = "https"
	}
	if parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/"); versionRE.MatchString(parts[0]) {
		req.version = parts[0]
	}
	req.token = bearer(r.Header.Get("Authorization"))
	if req.token == "" {
		req.token = req.query.Get("access_token")
	}
	switch {
	case err != nil:
		return req, invalidParam("Could not read the request body"), false
	case len(body) > maxBody:
		return req, invalidParam("Request body too large"), false
	}
	if req.token == "" && strings.HasPrefix(req.ctype, "application/x-www-form-urlencoded") {
		if form, err := url.ParseQuery(string(req.body)); err == nil {
			req.token = form.Get("access_token")
		}
	}
	if req.token == "" {
		return req, ErrTokenRequired, false
	}
	// A token Meta's OAuth issued and since invalidated (expired, app
	// removed, password changed) answers its own 190 subcode.
	if ge, dead := e.oauth.Dead(req.token); dead {
		return req, Error{Status: ge.Status, Type: ge.Type, Code: ge.Code, Subcode: ge.Subcode, Message: ge.Message}, false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.byToken[req.token]
	if acc == nil {
		return req, ErrInvalidToken, false
	}
	// Instagram-Login tokens only work on graph.instagram.com, Page tokens
	// only on graph.facebook.com.
	igLogin := acc.Platform == platform.Instagram && acc.Variant == VariantInstagramLogin
	if (req.hostAs == facebookHost && igLogin) || (req.hostAs == instagramHost && !igLogin) {
		return req, ErrInvalidToken, false
	}
	if e.expired[req.token] {
		return req, ErrTokenExpired, false
	}
	req.acct = acc
	return req, Error{}, true
}

// render writes a Graph error answer (Render of the kit).
func (e *Emulator) render(w http.ResponseWriter, _ *http.Request, req *request, g Error) {
	e.mu.Lock()
	a := e.fail(req, g)
	e.mu.Unlock()
	write(w, a)
}

func write(w http.ResponseWriter, a answer) {
	for k, vs := range a.header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(a.status)
	_ = json.NewEncoder(w).Encode(a.body)
}

// bearer extracts the token of "Bearer x" or "OAuth x"; Graph accepts both.
func bearer(h string) string {
	for _, p := range []string{"Bearer ", "OAuth "} {
		if len(h) > len(p) && strings.EqualFold(h[:len(p)], p) {
			return strings.TrimSpace(h[len(p):])
		}
	}
	return ""
}

// fail renders an error with a fresh trace id and, for throttling, the
// business-use-case usage header.
func (e *Emulator) fail(req *request, g Error) answer {
	trace := e.traceID()
	h := http.Header{}
	h.Set("X-Fb-Trace-Id", trace)
	if g.RegainAccessMinutes > 0 {
		id, typ := "0", "messenger"
		if acc := e.byToken[req.token]; acc != nil {
			id = acc.ID
			if acc.Platform == platform.Instagram {
				typ = "instagram"
			}
		}
		usage := map[string]any{id: []map[string]any{{
			"type": typ, "call_count": 100, "total_cputime": 25, "total_time": 25,
			"estimated_time_to_regain_access": g.RegainAccessMinutes,
		}}}
		b, _ := json.Marshal(usage)
		h.Set("X-Business-Use-Case-Usage", string(b))
	}
	if g.Code == 190 || g.Code == 104 {
		// Graph names the OAuth failure in WWW-Authenticate as well.
		h.Set("WWW-Authenticate", `OAuth "Facebook Platform" "invalid_token" "`+g.Message+`"`)
	}
	return answer{status: g.Status, body: g.body(trace), header: h}
}

// threadMessages answers GET /{conversation-id}/messages.
func (e *Emulator) threadMessages(req *request, node string) answer {
	t := e.threads[node]
	if t == nil || t.acct != req.acct {
		return e.fail(req, unsupported("get", node))
	}
	fields, err := ParseFields(req.query.Get("fields"))
	if err != nil {
		return e.fail(req, syntaxError(err.Error()))
	}
	if fields == nil {
		fields = defaultMessageFields
	}
	body, g := e.messagesEdge(req, t, fields, req.query, 0)
	if g != nil {
		return e.fail(req, *g)
	}
	return ok(body)
}

// resolveAccount maps a path node to the token's account: "me", the
// account's own id or, for Instagram through Facebook Login, the linked
// Page's id. Another account's id is not visible to this token.
func (e *Emulator) resolveAccount(req *request, node string) *account {
	a := req.acct
	if node == "me" || node == a.ID || (a.PageID != "" && node == a.PageID) {
		return a
	}
	return nil
}

// getNode answers GET /{id}: an account, a conversation or a message.
func (e *Emulator) getNode(req *request, node string) answer {
	fields, err := ParseFields(req.query.Get("fields"))
	if err != nil {
		return e.fail(req, syntaxError(err.Error()))
	}
	if a := e.resolveAccount(req, node); a != nil {
		return e.accountNode(req, a, node, fields)
	}
	if t := e.threads[node]; t != nil && t.acct == req.acct {
		if fields == nil {
			fields = defaultConversationFields
		}
		body, g := e.renderConversation(req, t, fields)
		if g != nil {
			return e.fail(req, *g)
		}
		return ok(body)
	}
	if m := e.messages[node]; m != nil && e.threads[m.ThreadID].acct == req.acct {
		if t := e.threads[m.ThreadID]; t.acct.Platform == platform.Instagram && !t.amongRecent(m, InstagramDetailedMessages) {
			return e.fail(req, ErrInstagramMessageTooOld)
		}
		if fields == nil {
			fields = defaultMessageFields
		}
		body, g := e.renderMessage(e.threads[m.ThreadID], m, fields)
		if g != nil {
			return e.fail(req, *g)
		}
		return ok(body)
	}
	return e.fail(req, unsupported("get", node))
}

// accountNode answers GET /me or /{id} for the token's own account. "/me"
// is "the object ID of the person or Page whose access token is currently
// being used" (https://developers.facebook.com/docs/graph-api/overview,
// "/me"), so with a Page token — Messenger, and Instagram through Facebook
// Login — /me is the Page; the Instagram account's own id is the IG User.
func (e *Emulator) accountNode(req *request, a *account, node string, fields []Field) answer {
	asPage := a.Platform == platform.Messenger ||
		(a.Platform == platform.Instagram && a.Variant == VariantFacebookLogin && node != a.ID)
	if fields == nil {
		fields = []Field{{Name: "id"}, {Name: "name"}}
	}
	if asPage {
		return e.pageNode(req, a, fields)
	}
	out, g := igUserFields(a, fields, a.Variant == VariantInstagramLogin)
	if g != nil {
		return e.fail(req, *g)
	}
	return ok(out)
}

// pageNode renders the Page: id, name and, when an Instagram professional
// account is linked, instagram_business_account — "Instagram account linked
// to page during Instagram business conversion flow"
// (https://developers.facebook.com/docs/graph-api/reference/page/), which
// Graph leaves out when there is none.
func (e *Emulator) pageNode(req *request, a *account, fields []Field) answer {
	out := map[string]any{}
	for _, f := range fields {
		switch f.Name {
		case "id":
			if a.Platform == platform.Instagram {
				out["id"] = a.PageID
			} else {
				out["id"] = a.ID
			}
		case "name":
			out["name"] = a.Name
		case "instagram_business_account":
			if a.Platform != platform.Instagram {
				continue // no linked Instagram account: the field is absent
			}
			sub := f.Sub
			if sub == nil {
				sub = []Field{{Name: "id"}}
			}
			ig, g := igUserFields(a, sub, false)
			if g != nil {
				return e.fail(req, *g)
			}
			out["instagram_business_account"] = ig
		default:
			return e.fail(req, nonexistingField(f.Name, "Page"))
		}
	}
	return ok(out)
}

// igUserFields renders an Instagram professional account (IG User). On
// graph.instagram.com (Instagram Login) it also has user_id, "your app
// user's Instagram professional account user ID"
// (https://developers.facebook.com/docs/instagram-platform/instagram-api-with-instagram-login/get-started,
// "Get the app user ID & username"), the id webhooks carry as entry.id; the
// emulator uses one id for both id and user_id.
func igUserFields(a *account, fields []Field, instagramLogin bool) (map[string]any, *Error) {
	out := map[string]any{}
	typ := "IGUser"
	if instagramLogin {
		typ = "User"
	}
	for _, f := range fields {
		switch {
		case f.Name == "id":
			out["id"] = a.ID
		case f.Name == "user_id" && instagramLogin:
			out["user_id"] = a.ID
		case f.Name == "name":
			out["name"] = a.Name
		case f.Name == "username":
			out["username"] = a.Username
		default:
			g := nonexistingField(f.Name, typ)
			return nil, &g
		}
	}
	return out, nil
}

// listConversations answers GET /{id}/conversations.
//
// Messenger and Instagram via Facebook Login:
// https://developers.facebook.com/docs/messenger-platform/conversations
// ("send a GET request to the /PAGE-ID/conversations endpoint and include
// the platform parameter set to instagram or messenger"); Instagram Login:
// https://developers.facebook.com/docs/instagram-platform/instagram-api-with-instagram-login/conversations-api
// ("/<IG_ID>/conversations or /me/conversations", "?platform=instagram").
// `user_id` finds the thread with one person (same pages).
func (e *Emulator) listConversations(req *request, a *account) answer {
	plat := strings.ToLower(req.query.Get("platform"))
	if plat != "" && plat != "messenger" && plat != "instagram" {
		return e.fail(req, invalidParam("Param platform must be one of {MESSENGER, INSTAGRAM}"))
	}
	fields, err := ParseFields(req.query.Get("fields"))
	if err != nil {
		return e.fail(req, syntaxError(err.Error()))
	}
	if fields == nil {
		fields = defaultConversationFields
	}
	if g := checkFields(fields, conversationFieldsFor(a), "Conversation"); g != nil {
		return e.fail(req, *g)
	}

	// Which inbox the platform parameter selects for this token.
	var threads []*thread
	switch {
	case a.Platform == platform.Messenger && plat != "instagram":
		threads = a.sorted()
	case a.Platform == platform.Instagram && a.Variant == VariantInstagramLogin && plat != "messenger":
		threads = a.sorted()
	case a.Platform == platform.Instagram && a.Variant == VariantFacebookLogin && plat == "instagram":
		threads = a.sorted()
	}
	if uid := req.query.Get("user_id"); uid != "" {
		var only []*thread
		for _, t := range threads {
			if t.who.ID == uid {
				only = append(only, t)
			}
		}
		threads = only
	}

	ids := make([]string, len(threads))
	for i, t := range threads {
		ids[i] = t.id
	}
	start, end, g := pageWindow(ids, req.query, 0)
	if g != nil {
		return e.fail(req, *g)
	}
	data := make([]any, 0, end-start)
	for _, t := range threads[start:end] {
		c, g := e.renderConversation(req, t, fields)
		if g != nil {
			return e.fail(req, *g)
		}
		data = append(data, c)
	}
	out := map[string]any{"data": data}
	if p := pagingObject(ids, start, end, req, req.URL(), req.query); p != nil {
		out["paging"] = p
	}
	return ok(out)
}

// URL rebuilds the absolute URL of the request's path, for paging links.
func (req *request) URL() string {
	p := "/" + strings.Join(req.parts, "/")
	if req.version != "" {
		p = "/" + req.version + p
	}
	return req.scheme + "://" + req.host + p
}

// pageWindow applies limit/after/before to an ordered id list. limit is
// the nested `.limit()` when non-zero, else the query's `limit`.
func pageWindow(ids []string, q url.Values, limit int) (int, int, *Error) {
	if limit == 0 {
		limit = DefaultPageSize
		if s := q.Get("limit"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				g := invalidParam("Param limit must be a non-negative integer")
				return 0, 0, &g
			}
			limit = n
		}
	}
	if limit > maxPageSize {
		limit = maxPageSize
	}
	start, end := 0, 0
	switch {
	case q.Get("after") != "":
		id, okc := decodeCursor(q.Get("after"))
		idx := indexOf(ids, id)
		if !okc || idx < 0 {
			g := invalidParam("The after parameter is not a valid cursor")
			return 0, 0, &g
		}
		start = idx + 1
		end = min(len(ids), start+limit)
	case q.Get("before") != "":
		id, okc := decodeCursor(q.Get("before"))
		idx := indexOf(ids, id)
		if !okc || idx < 0 {
			g := invalidParam("The before parameter is not a valid cursor")
			return 0, 0, &g
		}
		end = idx
		start = max(0, end-limit)
	default:
		end = min(len(ids), limit)
	}
	return start, end, nil
}

func indexOf(ids []string, id string) int {
	for i, v := range ids {
		if v == id {
			return i
		}
	}
	return -1
}

// pagingObject is Graph's cursor paging block: cursors of the first and
// last item, and absolute `next` / `previous` links when there is more
// (https://developers.facebook.com/docs/graph-api/results, "Cursor-based
// Pagination"). Nothing when the page is empty.
func pagingObject(ids []string, start, end int, req *request, base string, q url.Values) map[string]any {
	if start >= end {
		return nil
	}
	p := map[string]any{"cursors": map[string]any{
		"before": encodeCursor(ids[start]),
		"after":  encodeCursor(ids[end-1]),
	}}
	link := func(key, cursor string) string {
		v := url.Values{}
		for k, vs := range q {
			if k == "after" || k == "before" {
				continue
			}
			v[k] = vs
		}
		if v.Get("access_token") == "" && req.token != "" {
			// Graph puts the token into paging links so they can be
			// followed as they are.
			v.Set("access_token", req.token)
		}
		if v.Get("limit") == "" {
			v.Set("limit", strconv.Itoa(end-start))
		}
		v.Set(key, cursor)
		return base + "?" + v.Encode()
	}
	if end < len(ids) {
		p["next"] = link("after", encodeCursor(ids[end-1]))
	}
	if start > 0 {
		p["previous"] = link("before", encodeCursor(ids[start]))
	}
	return p
}

// parseParams merges the query, a form body and a JSON body into one map
// of raw JSON values, because Graph accepts send parameters in any of them
// (the Send API examples use form fields holding JSON,
// https://developers.facebook.com/docs/messenger-platform/reference/send-api;
// the Instagram ones a JSON body).
func parseParams(req *request) (map[string]json.RawMessage, *Error) {
	out := map[string]json.RawMessage{}
	addForm := func(v url.Values) {
		for k, vs := range v {
			if k == "access_token" || len(vs) == 0 {
				continue
			}
			out[k] = formValue(vs[0])
		}
	}
	addForm(req.query)
	mt, _, _ := mime.ParseMediaType(req.ctype)
	switch {
	case len(req.body) == 0:
	case mt == "application/json":
		var m map[string]json.RawMessage
		if err := json.Unmarshal(req.body, &m); err != nil {
			g := invalidParam("Invalid JSON in request body")
			return nil, &g
		}
		for k, v := range m {
			if k != "access_token" {
				out[k] = v
			}
		}
	default:
		form, err := url.ParseQuery(string(req.body))
		if err != nil {
			g := invalidParam("Could not parse the form body")
			return nil, &g
		}
		addForm(form)
	}
	return out, nil
}

// formValue turns a form string into JSON: objects stay objects (also the
// single-quoted form the curl examples use), anything else becomes a JSON
// string.
func formValue(s string) json.RawMessage {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "{") {
		if json.Valid([]byte(t)) {
			return json.RawMessage(t)
		}
		if alt := strings.ReplaceAll(t, "'", `"`); json.Valid([]byte(alt)) {
			return json.RawMessage(alt)
		}
	}
	b, _ := json.Marshal(s)
	return b
}

// sendParams is the Send API request
// (https://developers.facebook.com/docs/messenger-platform/reference/send-api;
// Instagram: https://developers.facebook.com/docs/instagram-platform/instagram-api-with-instagram-login/messaging-api).
type sendParams struct {
	Recipient struct {
		ID string `json:"id"`
	}
	Message *struct {
		Text       string `json:"text"`
		Attachment *struct {
			Type string `json:"type"`
			// Payload is {url} for media, a template payload (rich.go)
			// for type template.
			Payload json.RawMessage `json:"payload"`
		} `json:"attachment"`
		QuickReplies []wireQuickReply `json:"quick_replies"`
	}
	MessagingType string
	Tag           string
	SenderAction  string
	// ReplyTo is the top-level reply_to {mid} (Instagram).
	ReplyTo *struct {
		Mid string `json:"mid"`
	}
}

func decodeSend(raw map[string]json.RawMessage) (sendParams, *Error) {
	var p sendParams
	str := func(k string) (string, *Error) {
		v, has := raw[k]
		if !has {
			return "", nil
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			g := invalidParam("Param %s must be a string", k)
			return "", &g
		}
		return s, nil
	}
	var g *Error
	if p.MessagingType, g = str("messaging_type"); g != nil {
		return p, g
	}
	if p.Tag, g = str("tag"); g != nil {
		return p, g
	}
	if p.SenderAction, g = str("sender_action"); g != nil {
		return p, g
	}
	if v, has := raw["recipient"]; has {
		if err := json.Unmarshal(v, &p.Recipient); err != nil {
			e := invalidParam("param recipient must be a JSON object")
			return p, &e
		}
	}
	if v, has := raw["reply_to"]; has {
		if err := json.Unmarshal(v, &p.ReplyTo); err != nil {
			e := invalidParam("param reply_to must be a JSON object")
			return p, &e
		}
	}
	if v, has := raw["message"]; has {
		if err := json.Unmarshal(v, &p.Message); err != nil {
			e := invalidParam("param message must be a JSON object")
			return p, &e
		}
	}
	return p, nil
}

// Tags. Messenger: https://developers.facebook.com/docs/messenger-platform/send-messages/message-tags
// (ACCOUNT_UPDATE, CONFIRMED_EVENT_UPDATE, CUSTOMER_FEEDBACK, HUMAN_AGENT,
// POST_PURCHASE_UPDATE). Instagram supports only HUMAN_AGENT
// (https://developers.facebook.com/docs/messenger-platform/instagram/features/send-message,
// "Human Agent").
var (
	messengerTags = []string{"ACCOUNT_UPDATE", "CONFIRMED_EVENT_UPDATE", "CUSTOMER_FEEDBACK", "HUMAN_AGENT", "POST_PURCHASE_UPDATE"}
	instagramTags = []string{"HUMAN_AGENT"}
)

// retiredTags are the Messenger tags Meta retired, with the first day (UTC)
// sends using them fail with Graph error 100 "(#100) Invalid parameter"
// (ErrTagRetired); before that day they behave as they used to. Sources:
// https://github.com/chatwoot/chatwoot/issues/14674 ("Meta deprecated
// ACCOUNT_UPDATE (and related tags) effective April 27, 2026 … API returns
// error 100 'Invalid parameter'"), https://github.com/emes30/facebook_messenger/issues/9
// (announced 2026-02-10), https://github.com/chatwoot/chatwoot/pull/14329.
// CUSTOMER_FEEDBACK is not in those reports and is left as it was.
var retiredTags = map[string]time.Time{
	"ACCOUNT_UPDATE":         time.Date(2026, time.April, 27, 0, 0, 0, 0, time.UTC),
	"CONFIRMED_EVENT_UPDATE": time.Date(2026, time.April, 27, 0, 0, 0, 0, time.UTC),
	"POST_PURCHASE_UPDATE":   time.Date(2026, time.April, 27, 0, 0, 0, 0, time.UTC),
}

func retiredTag(tag string, now time.Time) bool {
	on, ok := retiredTags[tag]
	return ok && !now.Before(on)
}

// Text limits: Messenger "UTF-8, 2000 character limit" (Send API
// reference, message.text); Instagram "must be UTF-8 and less than 1000
// bytes" (Instagram Messaging API, send a text message).
const (
	messengerTextMax      = 2000
	instagramTextMaxBytes = 1000
)

// send answers POST /{id}/messages: a message or a sender action.
func (e *Emulator) send(req *request, a *account) answer {
	raw, g := parseParams(req)
	if g != nil {
		return e.fail(req, *g)
	}
	p, g := decodeSend(raw)
	if g != nil {
		return e.fail(req, *g)
	}
	if p.Recipient.ID == "" {
		return e.fail(req, invalidParam("The parameter recipient is required"))
	}

	if p.SenderAction != "" {
		// Sender actions: https://developers.facebook.com/docs/messenger-platform/send-messages/sender-actions
		// (Instagram: .../instagram-api-with-instagram-login/messaging-api/sender-actions).
		if p.Message != nil {
			return e.fail(req, invalidParam("Cannot send both message and sender_action at the same time."))
		}
		switch p.SenderAction {
		case "mark_seen", "typing_on", "typing_off":
		default:
			return e.fail(req, invalidParam("Param sender_action must be one of {mark_seen, typing_on, typing_off}"))
		}
		t := a.threadWith(p.Recipient.ID)
		if t == nil {
			return e.fail(req, ErrNoMatchingUser)
		}
		if p.SenderAction == "mark_seen" {
			t.unread = 0
			t.seenAt = e.opts.Now()
		}
		return ok(map[string]any{"recipient_id": p.Recipient.ID})
	}

	if p.Message == nil {
		return e.fail(req, invalidParam("The parameter message is required"))
	}
	text := p.Message.Text
	att := p.Message.Attachment
	switch {
	case text == "" && att == nil:
		return e.fail(req, ErrEmptyMessage)
	case text != "" && att != nil:
		return e.fail(req, invalidParam("Only one of message[text] or message[attachment] may be set"))
	}
	if a.Platform == platform.Instagram && len(text) > instagramTextMaxBytes {
		return e.fail(req, invalidParam("Length of param message[text] must be less than or equal to %d bytes", instagramTextMaxBytes))
	}
	if a.Platform == platform.Messenger && len([]rune(text)) > messengerTextMax {
		return e.fail(req, invalidParam("Length of param message[text] must be less than or equal to %d", messengerTextMax))
	}
	var atts []Attachment
	var tpl *Template
	if att != nil {
		switch att.Type {
		case "image", "video", "audio", "file":
		case "template":
			if tpl, g = template(att.Payload); g != nil {
				return e.fail(req, *g)
			}
		default:
			return e.fail(req, invalidParam("Param message[attachment][type] must be one of {image, video, audio, file, template}"))
		}
		if tpl == nil {
			var media struct {
				URL string `json:"url"`
			}
			_ = json.Unmarshal(att.Payload, &media)
			u, err := url.Parse(media.URL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return e.fail(req, invalidParam("Param message[attachment][payload][url] must be a valid URL"))
			}
			atts = []Attachment{{Type: att.Type, URL: media.URL}}
		}
	}
	qrs, g := quickReplies(a.Platform, p.Message.QuickReplies)
	if g != nil {
		return e.fail(req, *g)
	}

	// messaging_type: https://developers.facebook.com/docs/messenger-platform/send-messages#messaging_types
	mtype := p.MessagingType
	if mtype == "" {
		mtype = "RESPONSE"
	}
	switch mtype {
	case "RESPONSE", "UPDATE", "MESSAGE_TAG":
	default:
		return e.fail(req, invalidParam("Param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG}"))
	}
	tags := messengerTags
	if a.Platform == platform.Instagram {
		tags = instagramTags
	}
	if mtype == "MESSAGE_TAG" {
		if p.Tag == "" {
			return e.fail(req, invalidParam("Param tag is required when messaging_type is MESSAGE_TAG"))
		}
		if !contains(tags, p.Tag) {
			// Messenger-only tags on Instagram land here too.
			return e.fail(req, invalidParam("Param tag must be one of {%s}", strings.Join(tags, ", ")))
		}
		if retiredTag(p.Tag, e.opts.Now()) {
			return e.fail(req, ErrTagRetired)
		}
	}

	t := a.threadWith(p.Recipient.ID)
	if t == nil {
		return e.fail(req, ErrNoMatchingUser)
	}
	if g := e.windowRefusal(a, t, mtype, p.Tag); g != nil {
		return e.fail(req, *g)
	}
	var replyTo string
	if p.ReplyTo != nil {
		if g := e.replyTarget(a, t, p.ReplyTo.Mid); g != nil {
			return e.fail(req, *g)
		}
		replyTo = p.ReplyTo.Mid
	}
	m := &Message{Text: text, Attachments: atts, At: e.opts.Now(), MessagingType: mtype,
		QuickReplies: qrs, Template: tpl, ReplyTo: replyTo}
	if tpl != nil && tpl.Type == "button" {
		m.Text = tpl.Text // what the person reads above the buttons
	}
	if mtype == "MESSAGE_TAG" {
		m.Tag = p.Tag
	}
	e.appendMessage(t, m)
	t.unread = 0
	e.sent = append(e.sent, *m)
	return ok(map[string]any{"recipient_id": p.Recipient.ID, "message_id": m.ID})
}

// windowRefusal applies Meta's windows, measured from the participant's
// last message: 24 h standard; HUMAN_AGENT 7 days; Messenger's other tags
// any time after the person has written once
// (https://developers.facebook.com/docs/messenger-platform/send-messages/message-tags).
func (e *Emulator) windowRefusal(a *account, t *thread, mtype, tag string) *Error {
	last := t.lastInbound()
	var allowed time.Duration
	switch {
	case mtype == "MESSAGE_TAG" && tag == "HUMAN_AGENT":
		allowed = HumanAgentWindow
	case mtype == "MESSAGE_TAG":
		allowed = -1 // no time limit
	default:
		allowed = StandardWindow
	}
	open := !last.IsZero() && (allowed < 0 || e.opts.Now().Sub(last) <= allowed)
	if open {
		return nil
	}
	g := ErrMessengerWindow
	if a.Platform == platform.Instagram {
		g = ErrInstagramWindow
		if a.Variant == VariantFacebookLogin {
			// graph.facebook.com types its errors OAuthException.
			g.Type = "OAuthException"
		}
	}
	return &g
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
