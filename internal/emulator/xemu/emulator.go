// Package xemu is a faithful in-memory emulator of the X API v2 Direct Message
// endpoints (dm_events lookup, sending, users lookup), used by tests and `parley sandbox`.
package xemu

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/emulator/emukit"
	"github.com/parleyhq/parley/internal/webhook/inbound"
)

// Documented defaults, from the per-endpoint table at
// https://docs.x.com/x-api/fundamentals/rate-limits ("Direct Messages" and
// "Users lookup" sections; every limit there is per 15 minutes unless noted).
const (
	// DefaultWindow is the usual rate-limit window: "Most limits reset every
	// 15 minutes" (https://docs.x.com/fundamentals/rate-limits).
	DefaultWindow = 15 * time.Minute
	// DefaultReadLimit is the per-user limit of each DM lookup GET endpoint
	// (15/15min per user).
	DefaultReadLimit = 15
	// DefaultSendLimit is the per-user 15-minute limit of each DM send
	// endpoint (15/15min per user).
	DefaultSendLimit = 15
	// DefaultSendDailyLimit is the per-user 24-hour limit of each DM send
	// endpoint (1,440/24hrs per user).
	DefaultSendDailyLimit = 1440
	// DefaultUsersLimit is the per-user limit of GET /2/users (900/15min).
	DefaultUsersLimit = 900
	// DefaultMeLimit is the per-user limit of GET /2/users/me (75/15min).
	DefaultMeLimit = 75
)

// Options configure an Emulator. Zero values select the documented defaults.
type Options struct {
	// Latency delays every response (honouring the request's context).
	Latency time.Duration
	// FailureRate is the fraction of authenticated requests answered with
	// X's transient 503 problem body instead of being served.
	FailureRate float64
	// Now is the emulator's clock (event times, rate-limit windows).
	Now func() time.Time
	// Rand drives FailureRate; seed it for reproducible tests (a
	// *rand.Rand is a Source too).
	Rand rand.Source

	// Window is the length of the short rate-limit window (default 15 min).
	Window time.Duration
	// ReadLimit is requests per Window per user per DM lookup endpoint.
	ReadLimit int
	// SendLimit is requests per Window per user per DM send endpoint.
	SendLimit int
	// SendDailyLimit is requests per 24 h per user per DM send endpoint.
	SendDailyLimit int
	// UsersLimit is requests per Window per user on GET /2/users.
	UsersLimit int
	// MeLimit is requests per Window per user on GET /2/users/me.
	MeLimit int

	// AppID, AppName and AppURL describe the app the tokens belong to: X
	// names it as source_app_id (and hydrates it in `apps`) on webhook
	// events of messages sent through the API. AppID defaults to
	// DefaultAppID, AppName to "Emulated App".
	AppID, AppName, AppURL string
}

// DefaultAppID is the app id of messages sent through the emulator's API
// when Options.AppID is empty.
const DefaultAppID = "1000000001"

// User is an X account known to the emulator.
type User struct {
	ID              string
	Username        string
	Name            string
	ProfileImageURL string
	Description     string
	Location        string
	URL             string
	// CreatedAt is when the account was made; zero means the time in its
	// Snowflake id (or the emulator's now for ids too small to carry one),
	// so webhook users always carry created_timestamp as X's do.
	CreatedAt      time.Time
	Protected      bool
	Verified       bool
	FollowersCount int
	FriendsCount   int
	StatusesCount  int
	// DMsClosed makes sends to this user fail with 403, as when the
	// recipient does not accept Direct Messages from the sender
	// (https://docs.x.com/x-api/direct-messages/manage/integrate, "Cannot
	// send to user").
	DMsClosed bool
}

// Media is an uploaded media item that a DM may attach.
type Media struct {
	// ID is the numeric media id a send's attachments[].media_id names.
	ID string
	// OwnerID is the uploading user: "The authenticated user must have
	// uploaded the media" (https://docs.x.com/x-api/direct-messages/manage/integrate).
	OwnerID string
	// Type is photo, video or animated_gif.
	Type string
	// URL is the media URL reported in includes.media.
	URL string
}

// mediaKey is X's media_key: a type prefix, an underscore and the media id
// (e.g. "3_1455952740635586573"; 3 = photo, 7 = video, 16 = animated GIF).
func (m Media) mediaKey() string {
	switch m.Type {
	case "video":
		return "7_" + m.ID
	case "animated_gif":
		return "16_" + m.ID
	}
	return "3_" + m.ID
}

// Event types, https://docs.x.com/x-api/direct-messages/lookup/integrate ("Event types").
const (
	MessageCreate     = "MessageCreate"
	ParticipantsJoin  = "ParticipantsJoin"
	ParticipantsLeave = "ParticipantsLeave"
)

// Event is one DM event as stored by the emulator.
type Event struct {
	ID             string
	Type           string
	ConversationID string
	SenderID       string
	Text           string
	ParticipantIDs []string
	MediaIDs       []string
	CreatedAt      time.Time
	// ViaAPI is true for events created through the HTTP send endpoints
	// (what the business sent through Parley).
	ViaAPI bool
}

// SeedMessage is a message to place in a seeded conversation.
type SeedMessage struct {
	SenderID string
	Text     string
	At       time.Time
	MediaIDs []string
}

type conversation struct {
	id           string
	participants []string
	events       []*Event
}

func (c *conversation) has(userID string) bool {
	for _, p := range c.participants {
		if p == userID {
			return true
		}
	}
	return false
}

// Emulator is an X API v2 DM emulator. It is an http.Handler and safe for
// concurrent use.
type Emulator struct {
	opts   Options
	kit    *emukit.Kit[Error, string] // routes, auth, latency, faults, clock, webhook
	limits map[string][]limit         // by route pattern

	mu     sync.Mutex
	users  map[string]*User
	tokens map[string]string // access token -> user id
	// OAuth: access tokens issued by /2/oauth2/token expire (seeded ones
	// do not); refresh tokens and codes are single use.
	tokenExp    map[string]time.Time
	refresh     map[string]refreshGrant
	codes       map[string]authCode
	clients     map[string]OAuthClient
	tokenCalls  int
	tokenFaults []int
	convs       map[string]*conversation
	media       map[string]Media
	ids         map[uint64]bool // every id handed out
	buckets     map[bucketKey]*bucket
	// The webhook as registered, for the periodic CRC; hookValid is false
	// after a failed check, while deliveries are stopped.
	hookURL, hookSecret string
	hookValid           bool
	crcClient           *http.Client
}

// New returns an emulator with no accounts.
func New(opts Options) *Emulator {
	if opts.Window <= 0 {
		opts.Window = DefaultWindow
	}
	if opts.ReadLimit <= 0 {
		opts.ReadLimit = DefaultReadLimit
	}
	if opts.SendLimit <= 0 {
		opts.SendLimit = DefaultSendLimit
	}
	if opts.SendDailyLimit <= 0 {
		opts.SendDailyLimit = DefaultSendDailyLimit
	}
	if opts.UsersLimit <= 0 {
		opts.UsersLimit = DefaultUsersLimit
	}
	if opts.MeLimit <= 0 {
		opts.MeLimit = DefaultMeLimit
	}
	if opts.AppID == "" {
		opts.AppID = DefaultAppID
	}
	if opts.AppName == "" {
		opts.AppName = "Emulated App"
	}
	e := &Emulator{
		users:    map[string]*User{},
		tokens:   map[string]string{},
		tokenExp: map[string]time.Time{}, refresh: map[string]refreshGrant{}, codes: map[string]authCode{}, clients: map[string]OAuthClient{},
		convs:   map[string]*conversation{},
		media:   map[string]Media{},
		buckets: map[bucketKey]*bucket{},
		ids:     map[uint64]bool{},
		// X does not follow redirects on a CRC (nor on deliveries,
		// webhookpost).
		crcClient: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}
	e.kit = emukit.New(emukit.Config[Error, string]{
		Latency:     opts.Latency,
		FailureRate: opts.FailureRate,
		Now:         opts.Now,
		Rand:        opts.Rand,
		Auth:        e.gate,
		Transient:   func() Error { return StatusError(http.StatusServiceUnavailable) },
		Render: func(w http.ResponseWriter, _ *http.Request, _ string, f Error) {
			writeProblem(w, f.Status, f.problem())
		},
		NotFound:       notFound,
		PublicNotFound: true,
		// Account Activity API signature: x-twitter-webhooks-signature,
		// "sha256=" + base64 HMAC-SHA256 of the body
		// (https://developer.x.com/en/docs/x-api/enterprise/account-activity-api/guides/securing-webhooks).
		Webhook: emukit.Webhook{Header: inbound.HeaderXSignature, Sign: inbound.SignX, Err: ErrWebhook, Timeout: WebhookTimeout},
	})
	opts.Now = e.kit.Now
	e.opts = opts
	e.routes()
	e.oauthRoutes()
	return e
}

// ErrUnknownUser is returned by seeding methods naming a user never added.
var ErrUnknownUser = errors.New("xemu: unknown user")

// AddUser registers (or replaces) a user that may appear in conversations.
func (e *Emulator) AddUser(u User) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := u
	if c.CreatedAt.IsZero() {
		c.CreatedAt = e.idTimeLocked(u.ID)
	}
	e.users[u.ID] = &c
}

// idTimeLocked is the creation time a Snowflake id carries
// (https://docs.x.com/fundamentals/x-ids), or now for an id that predates
// Snowflakes.
func (e *Emulator) idTimeLocked(id string) time.Time {
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil || n>>22 == 0 {
		return e.opts.Now().UTC()
	}
	return time.UnixMilli(int64(n>>22) + twitterEpochMS).UTC()
}

// AddAccount registers a user that authenticates with the given OAuth 2.0
// user-context access token (several tokens per user are allowed).
func (e *Emulator) AddAccount(userID, username, name, token string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if u, ok := e.users[userID]; ok {
		u.Username, u.Name = username, name
	} else {
		e.users[userID] = &User{ID: userID, Username: username, Name: name, CreatedAt: e.idTimeLocked(userID)}
	}
	e.tokens[token] = userID
}

// RevokeToken makes a token invalid, as when the user disconnects the app
// or the token expires; requests with it then get X's 401.
func (e *Emulator) RevokeToken(token string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.tokens, token)
}

// AddMedia registers an uploaded media item that sends may attach.
func (e *Emulator) AddMedia(m Media) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.media[m.ID] = m
}

// ConversationID returns the one-to-one conversation id of two users:
// "{smaller_user_id}-{larger_user_id}"
// (https://docs.x.com/x-api/direct-messages/lookup/integrate, "Conversation types").
func ConversationID(a, b string) string {
	if lessID(b, a) {
		a, b = b, a
	}
	return a + "-" + b
}

// lessID compares numeric id strings by value (shorter is smaller).
func lessID(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// AddConversation seeds a one-to-one conversation between accountUserID and
// participantID with the given messages (their SenderID must be one of the
// two; a zero At means now). It returns the conversation id.
func (e *Emulator) AddConversation(accountUserID, participantID string, msgs ...SeedMessage) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.users[accountUserID] == nil || e.users[participantID] == nil {
		return "", ErrUnknownUser
	}
	c := e.oneToOneLocked(accountUserID, participantID)
	for _, m := range msgs {
		if m.SenderID != accountUserID && m.SenderID != participantID {
			return "", fmt.Errorf("xemu: sender %q is not in conversation %s", m.SenderID, c.id)
		}
		at := m.At
		if at.IsZero() {
			at = e.opts.Now()
		}
		e.appendLocked(c, &Event{Type: MessageCreate, SenderID: m.SenderID, Text: m.Text, MediaIDs: m.MediaIDs, CreatedAt: at})
	}
	return c.id, nil
}

// AddGroupConversation seeds a group conversation with a 19-digit id, a
// ParticipantsJoin event for every member, and returns its id.
func (e *Emulator) AddGroupConversation(creatorID string, memberIDs []string, at time.Time) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	all := append([]string{creatorID}, memberIDs...)
	for _, id := range all {
		if e.users[id] == nil {
			return "", ErrUnknownUser
		}
	}
	if at.IsZero() {
		at = e.opts.Now()
	}
	id := strconv.FormatUint(e.nextIDLocked(at), 10)
	c := &conversation{id: id, participants: all}
	e.convs[id] = c
	e.appendLocked(c, &Event{Type: ParticipantsJoin, SenderID: creatorID, ParticipantIDs: append([]string(nil), memberIDs...), CreatedAt: at})
	return id, nil
}

// Inbound records a message from fromUserID to accountUserID now (a customer
// writing to the business). An unknown sender is created on the fly so the
// sandbox can simulate new customers. With a webhook set (SetWebhook) it
// then POSTs the signed Account Activity event and returns the delivery
// error, if any, wrapping ErrWebhook; the message is recorded either way.
func (e *Emulator) Inbound(accountUserID, fromUserID, text string) (Event, error) {
	ev, err := e.recordInbound(accountUserID, fromUserID, text)
	if err != nil {
		return ev, err
	}
	return ev, e.notify(accountUserID, ev)
}

func (e *Emulator) recordInbound(accountUserID, fromUserID, text string) (Event, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.users[accountUserID] == nil {
		return Event{}, ErrUnknownUser
	}
	if e.users[fromUserID] == nil {
		e.users[fromUserID] = &User{ID: fromUserID, Username: "user" + fromUserID, Name: "User " + fromUserID, CreatedAt: e.idTimeLocked(fromUserID)}
	}
	c := e.oneToOneLocked(accountUserID, fromUserID)
	ev := e.appendLocked(c, &Event{Type: MessageCreate, SenderID: fromUserID, Text: text, CreatedAt: e.opts.Now()})
	return cloneEvent(ev), nil
}

// Messages returns, oldest first, the messages accountUserID sent through the
// API (what the business sent), so a test or the sandbox can see a send arrive.
func (e *Emulator) Messages(accountUserID string) []Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Event
	for _, ev := range e.eventsForLocked(accountUserID) {
		if ev.ViaAPI && ev.SenderID == accountUserID {
			out = append(out, cloneEvent(ev))
		}
	}
	sort.Slice(out, func(i, j int) bool { return lessID(out[i].ID, out[j].ID) })
	return out
}

// ConversationEvents returns every event of a conversation, oldest first.
func (e *Emulator) ConversationEvents(conversationID string) []Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.convs[conversationID]
	if c == nil {
		return nil
	}
	out := make([]Event, 0, len(c.events))
	for _, ev := range c.events {
		out = append(out, cloneEvent(ev))
	}
	return out
}

func cloneEvent(ev *Event) Event {
	c := *ev
	c.ParticipantIDs = append([]string(nil), ev.ParticipantIDs...)
	c.MediaIDs = append([]string(nil), ev.MediaIDs...)
	return c
}

func (e *Emulator) oneToOneLocked(a, b string) *conversation {
	id := ConversationID(a, b)
	c := e.convs[id]
	if c == nil {
		c = &conversation{id: id, participants: []string{a, b}}
		e.convs[id] = c
	}
	return c
}

func (e *Emulator) appendLocked(c *conversation, ev *Event) *Event {
	ev.ID = strconv.FormatUint(e.nextIDLocked(ev.CreatedAt), 10)
	ev.ConversationID = c.id
	c.events = append(c.events, ev)
	// Keep each conversation ordered by id (and so by time) even when seeds
	// arrive out of order.
	sort.Slice(c.events, func(i, j int) bool { return lessID(c.events[i].ID, c.events[j].ID) })
	return ev
}

// twitterEpochMS is the Snowflake epoch (2010-11-04T01:42:54.657Z); X ids
// are (ms since it) << 22 | worker/sequence bits, so ids sort by time.
const twitterEpochMS = 1288834974657

// nextIDLocked returns a unique Snowflake-shaped id for time t, so ids keep
// time order even for seeds in the past; a collision takes the next sequence
// number.
func (e *Emulator) nextIDLocked(t time.Time) uint64 {
	ms := t.UnixMilli() - twitterEpochMS
	if ms < 0 {
		ms = 0
	}
	id := uint64(ms) << 22
	for e.ids[id] {
		id++
	}
	e.ids[id] = true
	return id
}

// eventsForLocked returns every event of every conversation userID belongs
// to, newest first, as GET /2/dm_events orders them.
func (e *Emulator) eventsForLocked(userID string) []*Event {
	var out []*Event
	for _, c := range e.convs {
		if c.has(userID) {
			out = append(out, c.events...)
		}
	}
	sortNewestFirst(out)
	return out
}

func sortNewestFirst(evs []*Event) {
	sort.Slice(evs, func(i, j int) bool { return lessID(evs[j].ID, evs[i].ID) })
}

// isNumericID reports whether s is 1–19 decimal digits (X's user-id pattern).
func isNumericID(s string) bool {
	if len(s) == 0 || len(s) > 19 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// validConversationID matches X's dm_conversation_id shape: a one-to-one
// "{id}-{id}" or a 15–19 digit group id.
func validConversationID(s string) bool {
	if a, b, ok := strings.Cut(s, "-"); ok {
		return isNumericID(a) && isNumericID(b)
	}
	return isNumericID(s) && len(s) >= 15
}
