// Package graphemu emulates the Meta Graph API that Parley uses for Instagram
// and Messenger DMs: real paths, shapes, cursor paging, error bodies and windows.
package graphemu

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/emulator/emukit"
	"github.com/parleyhq/parley/internal/emulator/metaoauth"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/webhook/inbound"
)

// Variants of the Instagram API. Messenger accounts ignore the variant.
const (
	// VariantInstagramLogin is the Instagram API with Instagram Login, served
	// from graph.instagram.com with an Instagram user token
	// (https://developers.facebook.com/docs/instagram-platform/instagram-api-with-instagram-login/conversations-api).
	VariantInstagramLogin = "instagram_login"
	// VariantFacebookLogin is Instagram messaging through the linked
	// Facebook Page on graph.facebook.com with a Page token
	// (https://developers.facebook.com/docs/messenger-platform/conversations).
	VariantFacebookLogin = "facebook_login"
)

// Windows Meta enforces on sends, counted from the user's last message.
// https://developers.facebook.com/docs/messenger-platform/send-messages
// ("24-hour standard messaging window"; HUMAN_AGENT "within 7 days"), and
// https://developers.facebook.com/docs/messenger-platform/send-messages/message-tags.
const (
	StandardWindow   = 24 * time.Hour
	HumanAgentWindow = 7 * 24 * time.Hour
)

// DefaultPageSize is Graph's default `limit` for edges.
const DefaultPageSize = 25

// maxPageSize caps `limit` the way Graph caps it for these edges.
const maxPageSize = 100

// Options configures an Emulator.
type Options struct {
	// Latency delays every answer (honouring the request's context).
	Latency time.Duration
	// FailureRate is the fraction [0,1] of authenticated requests answered with Graph's
	// transient error (code 2, HTTP 500).
	FailureRate float64
	// Now is the clock for windows and new messages; time.Now if nil.
	Now func() time.Time
	// Rand drives ids, trace ids and failure injection; a fixed seed makes
	// answers reproducible. A time-seeded PCG if nil.
	Rand rand.Source
}

// Account is a Page (Messenger) or an Instagram professional account held
// by the emulator.
type Account struct {
	// Platform is platform.Messenger or platform.Instagram.
	Platform platform.Name
	// ID is the native id: the Page id or the Instagram account id.
	ID string
	// Token is the access token requests must carry.
	Token string
	// Name is the display name (Page name; Instagram name).
	Name string
	// Username is the Instagram handle (defaults to Name).
	Username string
	// Variant is, for Instagram, VariantInstagramLogin (default) or
	// VariantFacebookLogin.
	Variant string
	// PageID is, for Instagram through Facebook Login, the linked Page's id
	// (generated when empty); /{page-id}/conversations?platform=instagram
	// and /{page-id}/messages then reach this account.
	PageID string
}

// Participant is the person on the other side of a thread.
type Participant struct {
	// ID is the Page-scoped (PSID) or Instagram-scoped (IGSID) user id.
	ID string
	// Name is the person's name (Messenger) or username (Instagram).
	Name string
}

// Attachment is a media item of a message.
type Attachment struct {
	Type string // image, video, audio, file
	URL  string
}

// SeedMessage is one message of a seeded history.
type SeedMessage struct {
	// Inbound is true when the participant wrote it, false for the business.
	Inbound     bool
	Text        string
	Attachments []Attachment
	At          time.Time
	// QuickReplies are the chips a business message offered; on the
	// person's message, QuickReplyPayload is the one they tapped (Text is
	// then its title).
	QuickReplies      []QuickReply
	QuickReplyPayload string
}

// Conversation seeds one thread with its history.
type Conversation struct {
	Participant Participant
	Messages    []SeedMessage
	// Unread overrides the unread count; by default the inbound messages
	// after the last outbound one.
	Unread *int
}

// Message is a message as the emulator stores it.
type Message struct {
	ID          string
	ThreadID    string
	Inbound     bool
	Text        string
	Attachments []Attachment
	At          time.Time
	// Set for messages the business sent through the API.
	MessagingType string
	Tag           string
	// What the person did to it since (events.go): for the business's
	// messages, delivered and read; for the person's, their reaction and
	// how often they edited it.
	Delivered, Read bool
	Reaction        string
	Edits           int
	// Rich parts (rich.go): what a business message offered (quick
	// replies, a button or generic template) and the message it answers;
	// for the person's message, the quick reply they tapped and the
	// message they replied to.
	QuickReplies      []QuickReply
	Template          *Template
	ReplyTo           string
	QuickReplyPayload string
}

// Thread is a snapshot of one conversation.
type Thread struct {
	ID          string
	AccountID   string
	Participant Participant
	Messages    []Message // oldest first
	Unread      int
	SeenAt      time.Time // last mark_seen by the business
}

// Emulator is the Graph API emulator; it is an http.Handler. Safe for
// concurrent use.
//
// It serves /{version}/{id}/conversations, /{conversation-id},
// /{conversation-id}/messages, /{message-id}, /me and POST /{id}/messages
// (sends and sender actions), and enforces Meta's messaging windows (24 h
// standard, 7 days with HUMAN_AGENT, Messenger-only tags) on its side. One
// Emulator can answer for both graph.facebook.com and graph.instagram.com
// (ServeHTTP), or as each host alone (FacebookHost, InstagramHost); the
// access token tells which account, and so which API flavour, a request is
// for. Tests and `parley sandbox` seed it with Go methods and read back
// what was sent.
type Emulator struct {
	opts Options
	kit  *emukit.Kit[Error, *request] // routes, auth, latency, faults, clock, webhook

	mu       sync.Mutex
	accounts map[string]*account // by native id
	byToken  map[string]*account // every valid token: each account's own and those granted with GrantToken
	expired  map[string]bool     // tokens answered with 190/463
	byPage   map[string]*account // IG accounts by linked Page id
	threads  map[string]*thread
	messages map[string]*Message // by message id
	sent     []Message           // sends through the API, in order

	oauth      *metaoauth.Server
	subscribed map[string]string // account id → subscribed_fields of subscribed_apps
}

type account struct {
	Account
	threads []*thread
}

// InstagramDetailedMessages is how many of an Instagram conversation's most
// recent messages Graph details: "When querying this endpoint for Instagram
// Messaging, all messages for the conversation will be returned. However, you
// will only be able to query data for the 20 most recent messages in the
// conversation. If a message is not within the 20 most recent, an error will
// be returned stating that the message has been deleted."
// (https://developers.facebook.com/docs/graph-api/reference/conversation).
// The messages edge therefore lists older messages with id and created_time
// only, and GET /{message-id} answers ErrInstagramMessageTooOld for them.
const InstagramDetailedMessages = 20

// amongRecent reports whether m is one of the thread's n newest messages.
func (t *thread) amongRecent(m *Message, n int) bool {
	for i := len(t.msgs) - 1; i >= 0 && i >= len(t.msgs)-n; i-- {
		if t.msgs[i] == m {
			return true
		}
	}
	return false
}

type thread struct {
	id      string
	acct    *account
	who     Participant
	msgs    []*Message // oldest first
	unread  int
	seenAt  time.Time
	updated time.Time
	standby bool // another app owns the thread: webhooks go to entry[].standby[]
}

// New returns an empty emulator.
func New(opts Options) *Emulator {
	e := &Emulator{
		accounts: map[string]*account{},
		byToken:  map[string]*account{},
		expired:  map[string]bool{},
		byPage:   map[string]*account{},
		threads:  map[string]*thread{},
		messages: map[string]*Message{},

		subscribed: map[string]string{},
	}
	e.kit = emukit.New(emukit.Config[Error, *request]{
		Latency:     opts.Latency,
		FailureRate: opts.FailureRate,
		Now:         opts.Now,
		Rand:        opts.Rand,
		MaxBody:     maxBody,
		RoutePath:   routePath,
		Auth:        e.gate,
		Transient:   func() Error { return ErrTransient },
		Render:      e.render,
		NotFound:    e.noRoute,
		// Meta signs X-Hub-Signature-256 over the body as sent (non-ASCII
		// escaped) and posts as "facebookexternalua"
		// (https://developers.facebook.com/docs/graph-api/webhooks/getting-started,
		// "Validating Payloads").
		Webhook: emukit.Webhook{Header: inbound.HeaderMetaSignature, Sign: inbound.SignMeta, UserAgent: "facebookexternalua", Err: ErrWebhook, Timeout: WebhookTimeout},
	})
	opts.Now = e.kit.Now
	e.opts = opts
	e.oauth = metaoauth.New(metaoauth.Config{Now: e.kit.Now, OnGrant: e.onGrant})
	e.routes()
	e.oauthRoutes()
	return e
}

// ErrNotFound is returned by seeding and inspection methods for an unknown
// account or thread.
var ErrNotFound = errors.New("graphemu: not found")

// AddAccount seeds a Page or Instagram account. It returns the account as
// stored (with defaults filled in, e.g. a generated PageID).
func (e *Emulator) AddAccount(a Account) (Account, error) {
	if a.Platform != platform.Messenger && a.Platform != platform.Instagram {
		return Account{}, fmt.Errorf("graphemu: platform %q is not served by the Graph API emulator", a.Platform)
	}
	if a.ID == "" || a.Token == "" {
		return Account{}, errors.New("graphemu: account needs an ID and a Token")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, dup := e.accounts[a.ID]; dup {
		return Account{}, fmt.Errorf("graphemu: account %s already exists", a.ID)
	}
	if _, dup := e.byToken[a.Token]; dup {
		return Account{}, errors.New("graphemu: token already used by another account")
	}
	if a.Platform == platform.Instagram {
		if a.Variant == "" {
			a.Variant = VariantInstagramLogin
		}
		if a.Variant != VariantInstagramLogin && a.Variant != VariantFacebookLogin {
			return Account{}, fmt.Errorf("graphemu: unknown Instagram variant %q", a.Variant)
		}
		if a.Username == "" {
			a.Username = a.Name
		}
		if a.Variant == VariantFacebookLogin && a.PageID == "" {
			a.PageID = e.numericID(15)
		}
	} else {
		a.Variant = ""
		a.PageID = ""
	}
	acc := &account{Account: a}
	e.accounts[a.ID] = acc
	e.byToken[a.Token] = acc
	if a.PageID != "" {
		e.byPage[a.PageID] = acc
	}
	return a, nil
}

// ExpireToken makes the account's token answer code 190 subcode 463
// (session expired) from now on, as Graph does for an expired token. Tokens
// granted with GrantToken keep working (use ExpireGrantedToken).
func (e *Emulator) ExpireToken(accountID string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	acc, ok := e.accounts[accountID]
	if !ok {
		return ErrNotFound
	}
	e.expired[acc.Token] = true
	return nil
}

// GrantToken gives the account one more valid access token, as when another
// person or app is also granted the Page or Instagram account: requests with
// it act for the account exactly as its own token does.
func (e *Emulator) GrantToken(accountID, token string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	acc, ok := e.accounts[accountID]
	if !ok {
		return ErrNotFound
	}
	if err := e.checkNewToken(token); err != nil {
		return err
	}
	e.byToken[token] = acc
	return nil
}

// ExpireGrantedToken makes one token (an account's own or a granted one)
// answer code 190 subcode 463 from now on.
func (e *Emulator) ExpireGrantedToken(token string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.byToken[token]; !ok {
		return ErrNotFound
	}
	e.expired[token] = true
	return nil
}

// IssueToken gives an account a new access token, as when its owner logs in
// again: the old token stops working and the new one is not expired.
func (e *Emulator) IssueToken(accountID, token string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	acc, ok := e.accounts[accountID]
	if !ok {
		return ErrNotFound
	}
	if err := e.checkNewToken(token); err != nil {
		return err
	}
	delete(e.byToken, acc.Token)
	delete(e.expired, acc.Token)
	acc.Token = token
	e.byToken[token] = acc
	return nil
}

// AddConversation seeds a thread between the account and a participant and
// returns its id. Messages may be given in any order; they are stored by
// time.
func (e *Emulator) AddConversation(accountID string, c Conversation) (string, error) {
	if c.Participant.ID == "" {
		return "", errors.New("graphemu: participant needs an ID")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	acc, ok := e.accounts[accountID]
	if !ok {
		return "", ErrNotFound
	}
	if t := acc.threadWith(c.Participant.ID); t != nil {
		return "", fmt.Errorf("graphemu: a thread with %s already exists (%s)", c.Participant.ID, t.id)
	}
	t := e.newThread(acc, c.Participant)
	msgs := slices.Clone(c.Messages)
	sort.SliceStable(msgs, func(i, j int) bool { return msgs[i].At.Before(msgs[j].At) })
	unread := 0
	for _, m := range msgs {
		at := m.At
		if at.IsZero() {
			at = e.opts.Now()
		}
		e.appendMessage(t, &Message{Inbound: m.Inbound, Text: m.Text, Attachments: slices.Clone(m.Attachments), At: at,
			QuickReplies: slices.Clone(m.QuickReplies), QuickReplyPayload: m.QuickReplyPayload})
		if m.Inbound {
			unread++
		} else {
			unread = 0
		}
	}
	if c.Unread != nil {
		unread = *c.Unread
	}
	t.unread = unread
	return t.id, nil
}

// Inbound records a message the participant writes to the business now,
// opening a thread if there is none (the participant's name is then their
// id). It reopens the standard window, as a real inbound message does.
// With a webhook set (SetWebhook) it then POSTs the signed notification and
// returns the delivery error, if any, wrapping ErrWebhook; the message is
// recorded either way.
func (e *Emulator) Inbound(accountID, participantID, text string) (Message, error) {
	return e.InboundFrom(accountID, Participant{ID: participantID}, text, nil)
}

// InboundFrom is Inbound with a participant name and attachments.
func (e *Emulator) InboundFrom(accountID string, p Participant, text string, atts []Attachment) (Message, error) {
	m, err := e.recordInbound(accountID, p, text, atts)
	if err != nil {
		return m, err
	}
	return m, e.notify(m)
}

func (e *Emulator) recordInbound(accountID string, p Participant, text string, atts []Attachment, opts ...func(*Message)) (Message, error) {
	if p.ID == "" {
		return Message{}, errors.New("graphemu: participant needs an ID")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	acc, ok := e.accounts[accountID]
	if !ok {
		return Message{}, ErrNotFound
	}
	t := acc.threadWith(p.ID)
	if t == nil {
		if p.Name == "" {
			p.Name = p.ID
		}
		t = e.newThread(acc, p)
	}
	m := &Message{Inbound: true, Text: text, Attachments: slices.Clone(atts), At: e.opts.Now()}
	for _, o := range opts {
		o(m)
	}
	e.appendMessage(t, m)
	t.unread++
	c := *m
	c.Attachments = slices.Clone(m.Attachments)
	return c, nil
}

// Messages returns what the business sent through the API for the account,
// oldest first (a test or the sandbox checks that a send arrived).
func (e *Emulator) Messages(accountID string) []Message {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Message
	for _, m := range e.sent {
		if t := e.threads[m.ThreadID]; t != nil && t.acct.ID == accountID {
			out = append(out, m)
		}
	}
	return out
}

// Thread returns a snapshot of one thread.
func (e *Emulator) Thread(threadID string) (Thread, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.threads[threadID]
	if !ok {
		return Thread{}, ErrNotFound
	}
	return t.snapshot(), nil
}

// Threads returns snapshots of the account's threads, most recently
// updated first.
func (e *Emulator) Threads(accountID string) ([]Thread, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	acc, ok := e.accounts[accountID]
	if !ok {
		return nil, ErrNotFound
	}
	ts := acc.sorted()
	out := make([]Thread, len(ts))
	for i, t := range ts {
		out[i] = t.snapshot()
	}
	return out, nil
}

func (t *thread) snapshot() Thread {
	s := Thread{ID: t.id, AccountID: t.acct.ID, Participant: t.who, Unread: t.unread, SeenAt: t.seenAt}
	for _, m := range t.msgs {
		c := *m
		c.Attachments = slices.Clone(m.Attachments)
		s.Messages = append(s.Messages, c)
	}
	return s
}

// --- internals; callers hold e.mu ---

func (a *account) threadWith(participantID string) *thread {
	for _, t := range a.threads {
		if t.who.ID == participantID {
			return t
		}
	}
	return nil
}

// sorted orders threads the way the conversations edge lists them: most
// recently updated first (ties by id, for stable paging).
func (a *account) sorted() []*thread {
	ts := slices.Clone(a.threads)
	sort.SliceStable(ts, func(i, j int) bool {
		if !ts[i].updated.Equal(ts[j].updated) {
			return ts[i].updated.After(ts[j].updated)
		}
		return ts[i].id < ts[j].id
	})
	return ts
}

func (e *Emulator) newThread(acc *account, p Participant) *thread {
	t := &thread{id: e.threadID(acc), acct: acc, who: p, updated: e.opts.Now()}
	acc.threads = append(acc.threads, t)
	e.threads[t.id] = t
	return t
}

func (e *Emulator) appendMessage(t *thread, m *Message) {
	m.ID = e.messageID(t.acct)
	m.ThreadID = t.id
	t.msgs = append(t.msgs, m)
	sort.SliceStable(t.msgs, func(i, j int) bool { return t.msgs[i].At.Before(t.msgs[j].At) })
	if len(t.msgs) == 1 || m.At.After(t.updated) {
		t.updated = m.At
	}
	e.messages[m.ID] = m
}

// lastInbound is the time of the participant's newest message (zero if
// they never wrote), the anchor of every messaging window.
func (t *thread) lastInbound() time.Time {
	for i := len(t.msgs) - 1; i >= 0; i-- {
		if t.msgs[i].Inbound {
			return t.msgs[i].At
		}
	}
	return time.Time{}
}

// checkNewToken refuses a token that cannot be handed out: empty, or already
// some account's (Graph tokens name one account each). The caller holds e.mu.
func (e *Emulator) checkNewToken(token string) error {
	if token == "" {
		return errors.New("graphemu: empty token")
	}
	if _, dup := e.byToken[token]; dup {
		return errors.New("graphemu: token already used by another account")
	}
	return nil
}
