package webapp

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/live"
	"github.com/parleyhq/parley/internal/people"
	"github.com/parleyhq/parley/internal/service"
)

// inboxPage is the inbox with its filters.
type inboxPage struct {
	base
	Brands      []service.Brand
	Platforms   []string
	Brand       string
	Platform    string
	Unread      bool
	Archived    bool // list the archived conversations instead of the active ones
	Rows        []service.Conversation
	Failures    []apitype.AccountFailure
	More        string // the next page's URL; "" on the last
	ListURL     string // this list's first page, for live redraws
	BrandByID   map[string]string
	FragmentFor string
}

func (a *App) inbox(w http.ResponseWriter, r *http.Request) {
	c, _ := caller(r.Context())
	q := r.URL.Query()
	d := inboxPage{base: a.base(r, "Inbox", "inbox"), Platforms: platforms, Brand: q.Get("brand"), Platform: q.Get("platform"),
		Unread: q.Get("unread") == "1", Archived: q.Get("archived") == "1", BrandByID: map[string]string{}}
	f := service.ConversationFilter{PageRequest: service.PageRequest{Cursor: q.Get("cursor"), Limit: 25}, BrandID: d.Brand, Platform: d.Platform}
	if d.Unread {
		t := true
		f.Unread = &t
	}
	if d.Archived {
		f.Status = apitype.ConversationArchived
	}
	list, err := a.svc.ListConversations(r.Context(), c, f)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	d.Rows, d.Failures = list.Data, list.Partial
	keep := url.Values{}
	for k, v := range map[string]string{"brand": d.Brand, "platform": d.Platform} {
		if v != "" {
			keep.Set(k, v)
		}
	}
	if d.Unread {
		keep.Set("unread", "1")
	}
	if d.Archived {
		keep.Set("archived", "1")
	}
	d.ListURL = Base + "/?" + keep.Encode()
	if list.HasMore {
		more := url.Values{}
		for k, v := range keep {
			more[k] = v
		}
		more.Set("cursor", list.NextCursor)
		d.More = Base + "/?" + more.Encode()
	}
	brands, err := a.svc.ListBrands(r.Context(), c, service.PageRequest{Limit: 100})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	d.Brands = brands.Data
	for _, b := range brands.Data {
		d.BrandByID[b.ID] = b.Name
	}
	// Scripts ask for the rows alone (infinite scroll, live redraws).
	if r.Header.Get("X-Fragment") == "rows" {
		a.render(w, http.StatusOK, "rows", d)
		return
	}
	a.render(w, http.StatusOK, "inbox", d)
}

// The composer offers exactly what the reply window allows.
const (
	composeOpen       = "open"        // a standard reply
	composeHumanAgent = "human_agent" // Messenger/Instagram after 24 h: HUMAN_AGENT, by a person
	composeTemplate   = "template"    // WhatsApp after 24 h: an approved template
	composeNone       = "none"        // nothing may be sent; Reason says why
)

// templateChoice is an approved WhatsApp template with the variables of
// its body, to fill in.
type templateChoice struct {
	Name, Language, Category, Body string
	Vars                           []int
}

type conversationPage struct {
	base
	Conv      service.Conversation
	Messages  []service.Message
	Truncated string
	Compose   string
	Reason    string
	Templates []templateChoice
	Idem      string
	// What the person typed, kept when a send was refused.
	Text, AttachmentURL, AttachmentType string
	// QuickReplies is the composer's quick-replies field, kept on a refusal.
	QuickReplies string
}

func (a *App) loadConversation(r *http.Request, id string) (conversationPage, error) {
	c, _ := caller(r.Context())
	d := conversationPage{base: a.base(r, "Conversation", "inbox"), Idem: newIdempotencyKey()}
	conv, err := a.svc.GetConversation(r.Context(), c, id)
	if err != nil {
		return d, err
	}
	d.Conv = conv
	d.Title = nameOf(conv) + " · " + platformNames[conv.Platform]
	msgs, err := a.svc.ListMessages(r.Context(), c, id, service.PageRequest{Limit: 50})
	if err != nil {
		return d, err
	}
	// Histories come newest first; a conversation reads oldest first.
	d.Messages, d.Truncated = msgs.Data, msgs.HistoryTruncated
	sort.SliceStable(d.Messages, func(i, j int) bool { return d.Messages[i].CreatedAt.Before(d.Messages[j].CreatedAt) })
	rw := conv.ReplyWindow
	switch {
	case rw.Open:
		d.Compose = composeOpen
	case rw.HumanAgentUntil != nil:
		d.Compose = composeHumanAgent
	case rw.RequiresTemplate:
		d.Compose = composeTemplate
		ts, err := a.svc.ListWhatsAppTemplates(r.Context(), c, conv.AccountID, false)
		if err != nil {
			return d, err
		}
		for _, t := range ts {
			if t.Status == "APPROVED" {
				d.Templates = append(d.Templates, choiceOf(t))
			}
		}
	default:
		d.Compose, d.Reason = composeNone, deadReason(conv, a.now())
	}
	return d, nil
}

func nameOf(c service.Conversation) string {
	if c.ParticipantName != "" {
		return c.ParticipantName
	}
	return c.ParticipantID
}

// deadReason says why nothing may be sent, in the reply window's terms.
func deadReason(c service.Conversation, now time.Time) string {
	name := platformNames[c.Platform]
	if c.ReplyWindow.ClosesAt == nil {
		return fmt.Sprintf("The customer has not written to this account, and %s only allows replies to people who wrote first.", name)
	}
	return fmt.Sprintf("The 24-hour window closed at %s and the 7 days in which a person may still reply have passed. "+
		"%s allows no reply until the customer writes again.", c.ReplyWindow.ClosesAt.UTC().Format("2 Jan 15:04 UTC"), name)
}

var placeholder = regexp.MustCompile(`\{\{(\d+)\}\}`)

func choiceOf(t apitype.TemplateInfo) templateChoice {
	ch := templateChoice{Name: t.Name, Language: t.Language, Category: t.Category}
	for _, comp := range t.Components {
		if typ, _ := comp["type"].(string); strings.EqualFold(typ, "BODY") {
			ch.Body, _ = comp["text"].(string)
		}
	}
	seen := map[int]bool{}
	for _, m := range placeholder.FindAllStringSubmatch(ch.Body, -1) {
		var n int
		fmt.Sscan(m[1], &n)
		if n > 0 && n <= 20 && !seen[n] {
			seen[n] = true
			ch.Vars = append(ch.Vars, n)
		}
	}
	sort.Ints(ch.Vars)
	return ch
}

func (a *App) conversation(w http.ResponseWriter, r *http.Request) {
	d, err := a.loadConversation(r, r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if r.Header.Get("X-Fragment") == "live" {
		a.render(w, http.StatusOK, "live", d)
		return
	}
	a.render(w, http.StatusOK, "conversation", d)
}

// sendInput reads the composer's form into the domain's send input; the
// domain checks it (the app adds no rule of its own).
func sendInput(r *http.Request) service.SendInput {
	in := service.SendInput{Text: strings.TrimSpace(r.PostFormValue("text")), IdempotencyKey: r.PostFormValue("idempotency_key")}
	if u := strings.TrimSpace(r.PostFormValue("attachment_url")); u != "" {
		in.Attachment = &apitype.Attachment{Type: r.PostFormValue("attachment_type"), URL: u}
	}
	if r.PostFormValue("mode") == composeHumanAgent {
		in.Tag = "HUMAN_AGENT"
	}
	in.QuickReplies = quickRepliesOf(r.PostFormValue("quick_replies"))
	if name := r.PostFormValue("template"); name != "" {
		t := &apitype.Template{Name: name, Language: r.PostFormValue("language")}
		var params []map[string]any
		for i := 1; i <= 20; i++ {
			v, ok := r.PostForm[fmt.Sprintf("var%d", i)]
			if !ok {
				break
			}
			params = append(params, map[string]any{"type": "text", "text": strings.TrimSpace(v[0])})
		}
		if len(params) > 0 {
			t.Components = []map[string]any{{"type": "body", "parameters": params}}
		}
		in.Template = t
	}
	return in
}

// quickRepliesOf reads the composer's quick replies, one a line: "Title"
// (its payload is the title) or "Title | PAYLOAD". The domain checks them
// against the platform's limits.
func quickRepliesOf(s string) []apitype.QuickReply {
	var out []apitype.QuickReply
	for _, line := range strings.Split(s, "\n") {
		title, payload, found := strings.Cut(line, "|")
		title = strings.TrimSpace(title)
		if title == "" {
			continue
		}
		payload = strings.TrimSpace(payload)
		if !found || payload == "" {
			payload = title
		}
		out = append(out, apitype.QuickReply{Title: title, Payload: payload})
	}
	return out
}

func (a *App) send(w http.ResponseWriter, r *http.Request) {
	c, _ := caller(r.Context())
	id := r.PathValue("id")
	in := sendInput(r)
	_, sendErr := a.svc.SendMessage(r.Context(), c, id, in)
	if sendErr == nil {
		http.Redirect(w, r, Base+"/c/"+url.PathEscape(id)+"#composer", http.StatusSeeOther)
		return
	}
	d, err := a.loadConversation(r, id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	e := a.errorOf(sendErr)
	d.Error, d.Text, d.AttachmentURL, d.AttachmentType = e, in.Text, r.PostFormValue("attachment_url"), r.PostFormValue("attachment_type")
	d.QuickReplies = r.PostFormValue("quick_replies")
	a.render(w, e.Status, "conversation", d)
}

func (a *App) markRead(w http.ResponseWriter, r *http.Request) {
	c, _ := caller(r.Context())
	if err := a.svc.MarkRead(r.Context(), c, r.PathValue("id")); err != nil {
		a.fail(w, r, err)
		return
	}
	if r.Header.Get(people.CSRFHeader) != "" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, Base+"/c/"+url.PathEscape(r.PathValue("id")), http.StatusSeeOther)
}

// events streams what changes in the person's organisation as server-sent
// events: idle when nothing happens, bar a comment now and then. A page
// names the moment it was drawn (?after=, an event id) and a reconnecting
// browser its last event (Last-Event-ID); what was recorded since is sent
// first, so nothing between drawing and listening is missed.
func (a *App) events(w http.ResponseWriter, r *http.Request) {
	c, _ := caller(r.Context())
	after := r.Header.Get("Last-Event-ID")
	if after == "" {
		after = r.URL.Query().Get("after")
	}
	if err := domain.IDCursor("evt", after); err != nil {
		a.fail(w, r, apierr.Invalid("after", "after must be an event id"))
		return
	}
	// Listen first, then catch up: an event recorded in between is in
	// both, and sent once.
	var changes <-chan live.Change
	if a.live != nil {
		sub := a.live.Subscribe(c.OrgID)
		defer sub.Close()
		changes = sub.C()
	}
	var missed []service.EventView
	if after != "" {
		l, err := a.svc.ListEvents(r.Context(), c, service.PageRequest{Cursor: after, Limit: maxCatchUp})
		if err != nil {
			a.fail(w, r, err)
			return
		}
		missed = l.Data
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	fmt.Fprint(w, "retry: 2000\n: connected\n\n")
	sent := map[string]bool{}
	for _, e := range missed {
		ch := live.ChangeOf(e)
		sent[ch.ID] = true
		writeChange(w, ch)
	}
	if err := rc.Flush(); err != nil {
		return
	}
	beat := time.NewTicker(a.heartbeat)
	defer beat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-a.done:
			return
		case <-beat.C:
			fmt.Fprint(w, ": keep-alive\n\n")
		case lc := <-changes:
			// A session that ended (signed out elsewhere) hears no more.
			if !a.ppl.SignedIn(r) {
				return
			}
			if sent[lc.ID] {
				continue
			}
			writeChange(w, lc)
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

// maxCatchUp bounds the events sent on connecting; a page that missed more
// redraws anyway on the first.
const maxCatchUp = 100

func writeChange(w http.ResponseWriter, c live.Change) {
	fmt.Fprintf(w, "id: %s\nevent: change\ndata: {\"type\":%q,\"conversation_id\":%q}\n\n", c.ID, c.Type, c.ConversationID)
}
