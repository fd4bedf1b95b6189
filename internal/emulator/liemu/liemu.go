// Package liemu emulates LinkedIn's organisation (Pages) messaging API over
// Rest.li: same paths, headers, paging and error bodies, held in memory.
//
// It is product code: the test suite and `parley sandbox` point the LinkedIn
// adapter at it. Shapes the public docs do not pin down follow the adapter's
// internal/platform/linkedin/assumptions.go, so both change together.
package liemu

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/emulator/emukit"
	"github.com/parleyhq/parley/internal/webhook/inbound"
)

// Options configure an Emulator. The zero value is usable.
type Options struct {
	// Latency delays every response (honouring the request's context).
	Latency time.Duration
	// FailureRate is the fraction of requests answered with LinkedIn's
	// transient 503 body instead of being served.
	FailureRate float64
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Rand drives failure injection and request ids; seed it for
	// reproducible tests (a *rand.Rand is a Source too). A time-seeded
	// source when nil.
	Rand rand.Source
	// ActiveVersions lists the LinkedIn-Version values accepted; any other
	// well-formed version gets 426 NONEXISTENT_VERSION. When empty, every
	// well-formed YYYYMM (or YYYYMM.RR) version is accepted.
	ActiveVersions []string
	// MaxCount caps a page's count (ASSUMED limit; 100 when zero).
	MaxCount int
}

// Person is a LinkedIn member who writes to an organisation.
type Person struct {
	URN        string // urn:li:person:…
	FirstName  string
	LastName   string
	PictureURL string
}

// Message is one message as the emulator stores it.
type Message struct {
	ID          string
	ThreadURN   string
	Author      string // organisation or person URN
	Text        string
	Attachments []string // digitalmediaAsset URNs
	CreatedAt   time.Time
}

// SeedMessage seeds a conversation's history. From is a member's person URN,
// or "" (or the organisation URN) for a message the organisation sent.
type SeedMessage struct {
	From string
	Text string
	At   time.Time
}

// Token states: LinkedIn distinguishes invalid, expired and revoked tokens
// (https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/error-handling).
type tokenState int

const (
	tokenValid tokenState = iota
	tokenExpired
	tokenRevoked
)

// token is one member's access token: the organisation it was issued for,
// the member (roleAssignee) and the member's role there.
type token struct {
	org    string
	member string
	role   string
	state  tokenState
	// Set for tokens issued through OAuth: every organisation the member
	// administers (organizationAcls lists them; org is the first), the app,
	// the scopes and the expiry on the emulator's clock.
	orgs            []string
	client, scope   string
	created, expiry time.Time
}

// Organisation roles and role states, as the Organization Access Control API
// names them
// (https://learn.microsoft.com/en-us/linkedin/compliance/integrations/organizations/organization-access-control,
// "Organization Roles": ADMINISTRATOR, DIRECT_SPONSORED_CONTENT_POSTER,
// RECRUITING_POSTER, LEAD_CAPTURE_ADMINISTRATOR, LEAD_GEN_FORMS_MANAGER,
// ANALYST, CURATOR, CONTENT_ADMINISTRATOR; "Role State": APPROVED, REJECTED,
// REQUESTED, REVOKED).
const (
	RoleAdministrator        = "ADMINISTRATOR"
	RoleAnalyst              = "ANALYST"
	RoleContentAdministrator = "CONTENT_ADMINISTRATOR"
	StateApproved            = "APPROVED"
)

type org struct {
	urn  string
	name string
}

type thread struct {
	urn       string
	org       string
	members   []string // person URNs, in order
	createdAt time.Time
	lastAt    time.Time
	unread    int
	msgs      []*Message // oldest first
}

// Emulator is an in-memory LinkedIn. It is an http.Handler and safe for
// concurrent use.
type Emulator struct {
	opts Options
	kit  *emukit.Kit[Error, token] // routes, auth, latency, faults, clock, webhook

	mu  sync.Mutex
	seq int64

	orgs      map[string]*org
	tokens    map[string]*token
	people    map[string]Person
	threads   map[string]*thread
	requests  int
	noteSeq   int64 // last notificationId handed out
	memberSeq int   // members created for tokens

	clients map[string]OAuthClient
	members map[string]*Member
	codes   map[string]authCode
	refresh map[string]refreshGrant
}

// Errors returned by the seeding methods.
var (
	ErrUnknownOrg    = errors.New("liemu: unknown organization")
	ErrUnknownThread = errors.New("liemu: unknown thread")
	ErrBadURN        = errors.New("liemu: malformed URN")
)

var (
	orgURNRe    = regexp.MustCompile(`^urn:li:organization:[0-9]+$`)
	personURNRe = regexp.MustCompile(`^urn:li:person:[A-Za-z0-9_-]+$`)
)

// New returns an empty emulator.
func New(opts Options) *Emulator {
	if opts.MaxCount <= 0 {
		opts.MaxCount = 100
	}
	e := &Emulator{
		orgs:    map[string]*org{},
		tokens:  map[string]*token{},
		people:  map[string]Person{},
		threads: map[string]*thread{},
		clients: map[string]OAuthClient{},
		members: map[string]*Member{},
		codes:   map[string]authCode{},
		refresh: map[string]refreshGrant{},
	}
	e.kit = emukit.New(emukit.Config[Error, token]{
		Latency:     opts.Latency,
		FailureRate: opts.FailureRate,
		Now:         opts.Now,
		Rand:        opts.Rand,
		MaxBody:     maxBody,
		Begin:       e.begin,
		Auth:        e.gate,
		Transient:   errUnavailable,
		Render:      func(w http.ResponseWriter, _ *http.Request, _ token, f Error) { writeError(w, f) },
		NotFound:    noRoute,
		// X-LI-Signature: hex HMAC-SHA256 over "hmacsha256=" + body
		// (https://learn.microsoft.com/en-us/linkedin/shared/api-guide/webhook-validation).
		Webhook: emukit.Webhook{Header: inbound.HeaderLinkedInSignature, Sign: inbound.SignLinkedIn, Err: ErrWebhook, Timeout: WebhookTimeout},
	})
	opts.Now = e.kit.Now
	e.opts = opts
	e.routes()
	e.oauthRoutes()
	return e
}

// AddAccount registers an organisation (urn:li:organization:N) with its
// display name and an access token that administers it. Calling it again
// adds another token for the same organisation.
func (e *Emulator) AddAccount(orgURN, name, accessToken string) error {
	if !orgURNRe.MatchString(orgURN) {
		return fmt.Errorf("%w: %q", ErrBadURN, orgURN)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if o, ok := e.orgs[orgURN]; !ok || name != "" {
		if !ok {
			o = &org{urn: orgURN}
			e.orgs[orgURN] = o
		}
		o.name = name
	}
	e.memberSeq++
	e.tokens[accessToken] = &token{org: orgURN, role: RoleAdministrator, member: fmt.Sprintf("urn:li:person:member%04d", e.memberSeq)}
	return nil
}

// SetRole changes the role the token's member holds on its organisation
// (ADMINISTRATOR by default), e.g. to ANALYST, which may read analytics but
// does not administer the Page.
func (e *Emulator) SetRole(accessToken, role string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.tokens[accessToken]
	if !ok {
		return ErrUnknownOrg
	}
	t.role = role
	return nil
}

// ExpireToken makes a token answer 401 EXPIRED_ACCESS_TOKEN.
func (e *Emulator) ExpireToken(accessToken string) { e.setTokenState(accessToken, tokenExpired) }

// RevokeToken makes a token answer 401 REVOKED_ACCESS_TOKEN.
func (e *Emulator) RevokeToken(accessToken string) { e.setTokenState(accessToken, tokenRevoked) }

func (e *Emulator) setTokenState(tok string, s tokenState) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if t, ok := e.tokens[tok]; ok {
		t.state = s
	}
}

// AddPerson registers (or updates) a member's display fields.
func (e *Emulator) AddPerson(p Person) error {
	if !personURNRe.MatchString(p.URN) {
		return fmt.Errorf("%w: %q", ErrBadURN, p.URN)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.people[p.URN] = p
	return nil
}

// AddConversation creates a thread between the organisation and members,
// seeded with msgs (any order; each At is kept; a zero At means now). Inbound
// messages after the organisation's last reply count as unread. It returns
// the thread URN.
func (e *Emulator) AddConversation(orgURN string, members []Person, msgs ...SeedMessage) (string, error) {
	for _, p := range members {
		if !personURNRe.MatchString(p.URN) {
			return "", fmt.Errorf("%w: %q", ErrBadURN, p.URN)
		}
	}
	if len(members) == 0 {
		return "", fmt.Errorf("%w: a conversation needs at least one member", ErrBadURN)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.orgs[orgURN]; !ok {
		return "", ErrUnknownOrg
	}
	now := e.opts.Now().UTC()
	t := &thread{urn: e.newThreadURN(), org: orgURN, createdAt: now, lastAt: now}
	for _, p := range members {
		// Keep a registered member's display fields unless new ones are given.
		if _, ok := e.people[p.URN]; !ok || p.FirstName != "" || p.LastName != "" || p.PictureURL != "" {
			e.people[p.URN] = p
		}
		t.members = append(t.members, p.URN)
	}
	sorted := slices.Clone(msgs)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].At.Before(sorted[j].At) })
	for i, sm := range sorted {
		at := sm.At.UTC()
		if sm.At.IsZero() {
			at = now
		}
		author := sm.From
		if author == "" {
			author = orgURN
		}
		if author != orgURN && !slices.Contains(t.members, author) {
			return "", fmt.Errorf("%w: %q is not a member of the conversation", ErrBadURN, author)
		}
		if i == 0 || at.Before(t.createdAt) {
			t.createdAt = at
		}
		e.appendLocked(t, author, sm.Text, nil, at)
	}
	e.threads[t.urn] = t
	return t.urn, nil
}

// Inbound delivers a message from a member to the organisation, in their
// existing one-to-one thread or a new one, and returns it. With a webhook
// set (SetWebhook) it then POSTs the signed notification and returns the
// delivery error, if any, wrapping ErrWebhook; the message is recorded
// either way.
func (e *Emulator) Inbound(orgURN, fromPersonURN, text string) (Message, error) {
	m, err := e.recordInbound(orgURN, fromPersonURN, text)
	if err != nil {
		return m, err
	}
	return m, e.notify(m)
}

func (e *Emulator) recordInbound(orgURN, fromPersonURN, text string) (Message, error) {
	if !personURNRe.MatchString(fromPersonURN) {
		return Message{}, fmt.Errorf("%w: %q", ErrBadURN, fromPersonURN)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.orgs[orgURN]; !ok {
		return Message{}, ErrUnknownOrg
	}
	now := e.opts.Now().UTC()
	var t *thread
	for _, c := range e.threads {
		if c.org == orgURN && len(c.members) == 1 && c.members[0] == fromPersonURN && (t == nil || c.lastAt.After(t.lastAt)) {
			t = c
		}
	}
	if t == nil {
		t = &thread{urn: e.newThreadURN(), org: orgURN, members: []string{fromPersonURN}, createdAt: now, lastAt: now}
		e.threads[t.urn] = t
		if _, ok := e.people[fromPersonURN]; !ok {
			e.people[fromPersonURN] = Person{URN: fromPersonURN}
		}
	}
	return cloneMessage(e.appendLocked(t, fromPersonURN, text, nil, now)), nil
}

// Messages returns what the organisation sent (through the API or seeded),
// oldest first.
func (e *Emulator) Messages(orgURN string) []Message {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Message
	for _, t := range e.threads {
		for _, m := range t.msgs {
			if m.Author == orgURN {
				out = append(out, cloneMessage(m))
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Thread returns every message of a thread, oldest first.
func (e *Emulator) Thread(threadURN string) ([]Message, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.threads[threadURN]
	if !ok {
		return nil, ErrUnknownThread
	}
	out := make([]Message, 0, len(t.msgs))
	for _, m := range t.msgs {
		out = append(out, cloneMessage(m))
	}
	return out, nil
}

// Unread reports a thread's unread count as the organisation sees it.
func (e *Emulator) Unread(threadURN string) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.threads[threadURN]
	if !ok {
		return 0, ErrUnknownThread
	}
	return t.unread, nil
}

// FailNext queues errors (e.g. StatusError(429)): the next len(errs)
// authenticated requests are answered with them, in order.
func (e *Emulator) FailNext(errs ...Error) { e.kit.FailNext(errs...) }

// Requests reports how many requests reached the emulator.
func (e *Emulator) Requests() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.requests
}

// appendLocked adds a message to t. The organisation replying clears the
// unread count (LinkedIn's inbox marks a thread seen when you reply; the
// emulator's rule for want of a documented read endpoint).
func (e *Emulator) appendLocked(t *thread, author, text string, attachments []string, at time.Time) *Message {
	m := &Message{ID: e.newMessageID(), ThreadURN: t.urn, Author: author, Text: text, Attachments: slices.Clone(attachments), CreatedAt: at}
	t.msgs = append(t.msgs, m)
	sort.SliceStable(t.msgs, func(i, j int) bool { return t.msgs[i].CreatedAt.Before(t.msgs[j].CreatedAt) })
	if at.After(t.lastAt) || len(t.msgs) == 1 {
		t.lastAt = at
	}
	if author == t.org {
		t.unread = 0
	} else {
		t.unread++
	}
	return m
}

// Thread and message ids look like the ones in LinkedIn's compliance samples
// ("urn:li:messagingThread:0-NjU5OTcz…==", message "0-UzY2MDM0…"):
// https://learn.microsoft.com/en-gb/linkedin/compliance/integrations/compliance-events/resource-references/sales-nav-messages
// Ours are "2-" + URL-safe base64 so they never contain '/', with '=' padding
// so clients must encode keys as Rest.li 2.0 requires.
func (e *Emulator) newThreadURN() string {
	e.seq++
	return "urn:li:messagingThread:2-" + base64.URLEncoding.EncodeToString(fmt.Appendf(nil, "%019d", 6599730915038027776+e.seq))
}

func (e *Emulator) newMessageID() string {
	e.seq++
	return "2-" + base64.URLEncoding.EncodeToString(fmt.Appendf(nil, "S%019d_500", 6603443035940495361+e.seq))
}

func cloneMessage(m *Message) Message {
	c := *m
	c.Attachments = slices.Clone(m.Attachments)
	return c
}

func (e *Emulator) requestID() string {
	b := make([]byte, 12)
	for i := range b {
		b[i] = byte(e.kit.Rand().UintN(256))
	}
	return base64.StdEncoding.EncodeToString(b)
}

// personLocked returns a member's display fields (just the URN when unknown).
func (e *Emulator) personLocked(urn string) Person {
	if p, ok := e.people[urn]; ok {
		return p
	}
	return Person{URN: urn}
}

// blank reports whether s is empty once spaces are removed.
func blank(s string) bool { return strings.TrimSpace(s) == "" }
