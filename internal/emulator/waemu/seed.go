package waemu

import (
	"strconv"
	"strings"
	"time"
)

// AddPhoneNumber registers a business number, its WABA and an access token
// allowed to use both. Adding a number again replaces its settings.
func (e *Emulator) AddPhoneNumber(p PhoneNumber) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.numbers[p.ID] = &phoneNumber{PhoneNumber: p}
	if p.Token != "" {
		objs := e.tokens[p.Token]
		if objs == nil {
			objs = map[string]bool{}
			e.tokens[p.Token] = objs
		}
		objs[p.ID] = true
		if p.WABAID != "" {
			objs[p.WABAID] = true
		}
	}
	if p.WABAID != "" {
		if _, ok := e.templates[p.WABAID]; !ok {
			e.templates[p.WABAID] = nil
		}
	}
}

// GrantToken makes token valid for the given phone-number and WABA ids too,
// as when another business or system user is also granted the assets:
// requests with it may use those objects exactly as their own token does.
func (e *Emulator) GrantToken(token string, objectIDs ...string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	objs := e.tokens[token]
	if objs == nil {
		objs = map[string]bool{}
		e.tokens[token] = objs
	}
	for _, id := range objectIDs {
		objs[id] = true
	}
}

// AddAccount is AddPhoneNumber under the name every Parley emulator shares.
func (e *Emulator) AddAccount(p PhoneNumber) { e.AddPhoneNumber(p) }

// ExpireToken makes every later call with token fail with 190 (subcode 463,
// session expired), as when a user's token lapses.
func (e *Emulator) ExpireToken(token string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.expired[token] = true
}

// AddTemplate adds a template to a WABA and returns its id. Empty Status
// means APPROVED, empty Category UTILITY, empty Language en_US.
func (e *Emulator) AddTemplate(wabaID string, t Template) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if t.Status == "" {
		t.Status = "APPROVED"
	}
	if t.Category == "" {
		t.Category = "UTILITY"
	}
	if t.Language == "" {
		t.Language = "en_US"
	}
	if t.ParameterFormat == "" {
		t.ParameterFormat = "POSITIONAL"
	}
	t.Status = strings.ToUpper(t.Status)
	t.Category = strings.ToUpper(t.Category)
	if t.ID == "" {
		e.tplSeq++
		t.ID = strconv.Itoa(1000000000000000 + e.tplSeq)
	}
	tc := t
	e.templates[wabaID] = append(e.templates[wabaID], &tc)
	return t.ID
}

// SetTemplateStatus changes the status of a WABA's template (every
// language when language is ""). It reports whether a template matched.
func (e *Emulator) SetTemplateStatus(wabaID, name, language, status string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	found := false
	for _, t := range e.templates[wabaID] {
		if t.Name == name && (language == "" || t.Language == language) {
			t.Status = strings.ToUpper(status)
			found = true
		}
	}
	return found
}

// MarkUndeliverable makes sends to waID fail with 131026, as for a number that
// is not on WhatsApp.
func (e *Emulator) MarkUndeliverable(waID string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.undeliver[waID] = true
}

// InboundOption adjusts an Inbound message.
type InboundOption func(*InboundMessage)

// At dates the inbound message (default: the emulator's Now).
func At(t time.Time) InboundOption { return func(m *InboundMessage) { m.Timestamp = t } }

// WithID gives the inbound message this wamid instead of a fresh one, to
// replay a message another run of the emulator delivered.
func WithID(wamid string) InboundOption { return func(m *InboundMessage) { m.ID = wamid } }

// WithReferral marks the message as coming from a Click-to-WhatsApp ad or a
// Page CTA, which makes the business's reply open a free entry point window.
func WithReferral(r Referral) InboundOption {
	return func(m *InboundMessage) { m.Referral = &r }
}

// Inbound records that customer fromWaID (profile name) wrote text to the
// business number: it opens or refreshes the 24 h customer service window
// from the message's time. It returns the message, whose ID can be marked
// read and which WebhookPayload turns into the webhook Meta would post.
// With a webhook set (SetWebhook) it POSTs that webhook before returning; a
// delivery error is kept for Flush (InboundAndNotify returns it instead).
func (e *Emulator) Inbound(phoneNumberID, fromWaID, name, text string, opts ...InboundOption) InboundMessage {
	m, err := e.InboundAndNotify(phoneNumberID, fromWaID, name, text, opts...)
	e.pending.fail(err)
	return m
}

// record stores an inbound message and updates the pair's windows.
func (e *Emulator) record(phoneNumberID, fromWaID, name, text string, opts ...InboundOption) InboundMessage {
	e.mu.Lock()
	defer e.mu.Unlock()
	m := &InboundMessage{
		PhoneNumberID: phoneNumberID,
		From:          fromWaID,
		Name:          name,
		Text:          text,
		Timestamp:     e.now(),
	}
	for _, o := range opts {
		o(m)
	}
	m.Timestamp = m.Timestamp.Truncate(time.Second) // webhooks carry unix seconds
	if m.ID == "" {
		m.ID = e.newWamid(fromWaID)
	}
	u := e.user(fromWaID)
	m.UserID, m.Username, m.PhoneWithheld = u.userID, u.username, u.withheld
	e.inbound[phoneNumberID] = append(e.inbound[phoneNumberID], m)
	ps := e.pair(phoneNumberID, fromWaID)
	if m.Timestamp.After(ps.lastInbound) {
		ps.lastInbound = m.Timestamp
	}
	if m.Referral != nil && m.Timestamp.After(ps.referralAt) {
		ps.referralAt = m.Timestamp
	}
	return *m
}

// pair returns the state of (number, user), creating it with a full bucket.
// Must be called with e.mu held.
func (e *Emulator) pair(phoneNumberID, waID string) *pairState {
	k := phoneNumberID + "|" + waID
	ps := e.pairs[k]
	if ps == nil {
		ps = &pairState{tokens: float64(e.opts.PairBurst)}
		e.pairs[k] = ps
	}
	return ps
}

// Messages returns what the business number sent, oldest first, with each
// message's pricing category.
func (e *Emulator) Messages(phoneNumberID string) []SentMessage {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]SentMessage(nil), e.sent[phoneNumberID]...)
}

// InboundMessages returns what customers wrote to the number, oldest first,
// with their read state.
func (e *Emulator) InboundMessages(phoneNumberID string) []InboundMessage {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]InboundMessage, 0, len(e.inbound[phoneNumberID]))
	for _, m := range e.inbound[phoneNumberID] {
		out = append(out, *m)
	}
	return out
}

// WindowClosesAt tells when the customer service window between the number
// and the user closes (zero if the user never wrote).
func (e *Emulator) WindowClosesAt(phoneNumberID, waID string) time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	ps := e.pairs[phoneNumberID+"|"+waID]
	if ps == nil || ps.lastInbound.IsZero() {
		return time.Time{}
	}
	return ps.lastInbound.Add(e.opts.ServiceWindow)
}

// Templates returns a copy of a WABA's templates, in creation order.
func (e *Emulator) Templates(wabaID string) []Template {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Template, 0, len(e.templates[wabaID]))
	for _, t := range e.templates[wabaID] {
		out = append(out, *t)
	}
	return out
}
