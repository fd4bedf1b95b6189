// Package store is Parley's persistence contract: the Store interface and the
// records it keeps. Implementations live in store/sqlite and store/postgres and
// share their SQL through store/sqlstore.
//
// Every method that reads or writes tenant data takes the caller's
// organisation id and never crosses it: tenancy is enforced here, not by callers
// remembering a WHERE clause.
package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/parleyhq/parley/apitype"
)

// ErrNotFound is returned when a record does not exist in the caller's
// organisation (whether it exists elsewhere is deliberately not said).
var ErrNotFound = errors.New("store: not found")

// ErrConflict is returned when a unique constraint would be violated.
var ErrConflict = errors.New("store: conflict")

// ErrLimit is returned when a write would take an organisation past a
// limit of its plan; nothing was written.
var ErrLimit = errors.New("store: limit reached")

// NewID returns a prefixed, time-ordered id (UUIDv7), so that ordering by id is
// ordering by creation and keyset pagination needs no second column.
func NewID(prefix string) string {
	return prefix + "_" + strings.ReplaceAll(uuid.Must(uuid.NewV7()).String(), "-", "")
}

// Organization is a tenant. Everything else belongs to exactly one.
type Organization struct {
	ID   string
	Name string
	// Plan names the organisation's plan in the server's plan table; ""
	// follows the server's default plan.
	Plan      string
	CreatedAt time.Time
}

// Brand groups the connected accounts of one customer of the tenant (an
// agency's client, a product line).
type Brand struct {
	ID        string
	OrgID     string
	Name      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Account statuses.
const (
	AccountActive         = "active"
	AccountReauthRequired = "reauth_required"
	AccountDisabled       = "disabled"
)

// Account is a connected platform account. Credentials are sealed by package
// secrets with the account id as associated data; the store never sees them
// in clear.
type Account struct {
	ID          string
	OrgID       string
	BrandID     string
	Platform    string
	NativeID    string
	DisplayName string
	Status      string
	// Variant selects a platform API flavour (see platform.Account.Variant).
	Variant string
	// BusinessAccountID is the WhatsApp Business Account id that owns the
	// number's templates; empty elsewhere.
	BusinessAccountID string
	Credentials       []byte
	// VerifiedAt is when the platform last confirmed that Credentials grant
	// this account; nil for accounts connected before tokens were verified.
	// Only verified, active accounts receive inbound events.
	VerifiedAt *time.Time
	// TokenExpiresAt is when the access token in Credentials expires; nil
	// for tokens that do not (or whose expiry is unknown).
	TokenExpiresAt *time.Time
	// RefreshCredentials is the sealed refresh token (account id as
	// associated data), nil when the platform granted none.
	RefreshCredentials []byte
	// Scopes are the granted scopes, space-separated as OAuth returns them.
	Scopes string
	// CredentialsVersion grows with every change of the credentials;
	// refreshes compare-and-swap on it (ReplaceRefreshedCredentials).
	CredentialsVersion int
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// Connect session statuses: pending until the hosted page is opened,
// started while the end customer is at the platform, holding while a new
// account's webhooks are subscribed at the platform, then connected or
// failed. Every step is a compare-and-swap, so each works once.
const (
	ConnectPending = "pending"
	ConnectStarted = "started"
	// ConnectHolding: the session holds one of its brand's account slots
	// (HoldConnectSlot) until it ends or its expires_at passes, so the
	// plan's limit is decided before the platform is asked to send the
	// account's webhooks, and a refused connect subscribes nothing.
	ConnectHolding   = "holding"
	ConnectConnected = "connected"
	ConnectFailed    = "failed"
)

// ConnectSession is one hosted connect flow (DESIGN §7). Only the SHA-256 of
// the secret in its URL is kept; Verifier is the PKCE verifier, sealed with
// the session id as associated data.
type ConnectSession struct {
	ID          string
	OrgID       string
	BrandID     string
	Platform    string
	AccountID   string // the account to reconnect; "" for a new one
	RedirectURL string
	// Variant is the API flavour to connect (Instagram: instagram_login or
	// facebook_login); "" for the platform's only one.
	Variant    string
	SecretHash []byte
	Verifier   []byte
	// BrowserHash is the SHA-256 of the nonce in the cookie of the browser
	// that opened the hosted page; the callback must present it.
	BrowserHash []byte
	// Assets are the sealed candidates the end customer picks from when
	// the token reaches more than one (Pages, numbers, organisations).
	Assets []byte
	Status string
	// ResultAccountID and ErrorCode say how a finished session ended.
	ResultAccountID string
	ErrorCode       string
	ExpiresAt       time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// APIKey is a caller credential. Only the SHA-256 of the secret is kept.
type APIKey struct {
	ID    string
	OrgID string
	Name  string
	Hash  []byte
	// Hint is the last four characters of the key, to tell keys apart.
	Hint       string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// Page asks for up to Limit records after the record with id After (empty
// for the first page), in id order.
type Page struct {
	After string
	Limit int
}

// AccountFilter narrows ListAccounts.
type AccountFilter struct {
	Page
	BrandID  string
	Platform string
	Status   string
}

// Store is implemented by the SQLite and PostgreSQL backends. List methods
// return up to Limit+1 records so callers can tell whether there is more.
type Store interface {
	MessagingStore
	JournalStore
	WebhookStore
	ConnectStore
	PeopleStore
	PollStore
	PlanStore
	OAuthStore
	MediaStore
	InboundQueueStore

	// InTx runs fn in one transaction. Store calls through st, and writes
	// through tx (River job inserts), commit or roll back together.
	InTx(ctx context.Context, fn func(st Store, tx *sql.Tx) error) error

	// Ping checks the database answers.
	Ping(ctx context.Context) error
	// Close releases the database.
	Close() error

	CreateOrganization(ctx context.Context, o Organization) error
	GetOrganization(ctx context.Context, id string) (Organization, error)
	FindOrganizationByName(ctx context.Context, name string) (Organization, error)

	CreateBrand(ctx context.Context, b Brand) error
	GetBrand(ctx context.Context, orgID, id string) (Brand, error)
	ListBrands(ctx context.Context, orgID string, p Page) ([]Brand, error)
	UpdateBrand(ctx context.Context, b Brand) error
	DeleteBrand(ctx context.Context, orgID, id string) error

	CreateAccount(ctx context.Context, a Account) error
	GetAccount(ctx context.Context, orgID, id string) (Account, error)
	ListAccounts(ctx context.Context, orgID string, f AccountFilter) ([]Account, error)
	SetAccountStatus(ctx context.Context, orgID, id, status string) error
	// UpdateAccount replaces an account's display name, credentials,
	// status and verification time (reconnecting it).
	UpdateAccount(ctx context.Context, a Account) error
	DeleteAccount(ctx context.Context, orgID, id string) error
	// RotateSealed visits every sealed value of every organisation (account
	// tokens, webhook secrets, the WhatsApp journal), for key rotation; fn
	// gets the row id (the associated data) and returns the new sealed value,
	// or nil to leave it.
	RotateSealed(ctx context.Context, fn func(id string, sealed []byte) ([]byte, error)) (int, error)

	CreateAPIKey(ctx context.Context, k APIKey) error
	ListAPIKeys(ctx context.Context, orgID string, p Page) ([]APIKey, error)
	RevokeAPIKey(ctx context.Context, orgID, id string, at time.Time) error
	// APIKeyByHash finds a key by the hash of its secret, in any
	// organisation: it is how a caller's organisation is learnt.
	APIKeyByHash(ctx context.Context, hash []byte) (APIKey, error)
	TouchAPIKey(ctx context.Context, id string, at time.Time) error
}

// PlanUsage is what an organisation used in one month.
type PlanUsage struct {
	// Interactions are messages sent (reserved before the platform call).
	Interactions int
	// Inbound are messages received, counted for information only.
	Inbound int
}

// InboundCount is a number of messages an organisation received in a
// month (store.CountInbounds).
type InboundCount struct {
	OrgID string
	Month string
	N     int
}

// PlanStore keeps organisations' plans and what they use. It is part of
// Store. Limits are checked in the same statement (or under the same row
// lock) as the write they guard, so they hold under concurrency and across
// replicas sharing the database.
type PlanStore interface {
	// ListOrganizations pages through every organisation (operators only).
	ListOrganizations(ctx context.Context, p Page) ([]Organization, error)
	// SetOrganizationPlan changes an organisation's plan.
	SetOrganizationPlan(ctx context.Context, id, plan string) error
	// CountBrands counts an organisation's brands.
	CountBrands(ctx context.Context, orgID string) (int, error)
	// CreateBrandWithin creates b if its organisation has fewer than max
	// brands (max < 0: no limit), and returns how many it has after.
	// ErrLimit (with the current count) when it has max or more.
	CreateBrandWithin(ctx context.Context, b Brand, max int) (int, error)
	// CreateAccountWithin is CreateAccount when the account's brand has
	// fewer than max accounts (max < 0: no limit); ErrLimit, with the
	// brand's count, otherwise. The count includes the connect sessions
	// holding a slot of the brand at a.CreatedAt (HoldConnectSlot).
	CreateAccountWithin(ctx context.Context, a Account, max int) (int, error)
	// HoldConnectSlot moves a started connect session to holding, until
	// until, if its brand has fewer than max accounts and live holds
	// (max < 0: no limit), counted under the brand's lock as
	// CreateAccountWithin counts, and returns the count after. ErrLimit,
	// with the count, when the brand has max or more; ErrNotFound when the
	// session is not started. The slot is given back when the session ends
	// (FinishHeldConnectSession) or until passes.
	HoldConnectSlot(ctx context.Context, id string, max int, now, until time.Time) (int, error)
	// ReserveInteraction counts one interaction in an organisation's month
	// if it has used fewer than max (max < 0: no limit), and returns the
	// count after; ErrLimit, with the count, when it has not.
	ReserveInteraction(ctx context.Context, orgID, month string, max int) (int, error)
	// ReleaseInteraction gives back one reserved interaction of a month.
	ReleaseInteraction(ctx context.Context, orgID, month string) error
	// CountInbound counts one inbound message in an organisation's month.
	CountInbound(ctx context.Context, orgID, month string) error
	// CountInbounds adds each count to its organisation's month, taking
	// the rows in (organisation, month) order; counts for one row add up.
	CountInbounds(ctx context.Context, cs []InboundCount) error
	// PlanUsage reads an organisation's counts for a month (zero when none).
	PlanUsage(ctx context.Context, orgID, month string) (PlanUsage, error)
}

// ConversationMeta is what Parley keeps about a thread (DESIGN §3): times and
// counts that drive reply windows, never message bodies. Zero times are
// unknown.
type ConversationMeta struct {
	OrgID             string
	AccountID         string
	ThreadID          string
	ParticipantID     string
	LastInboundAt     time.Time
	LastOutboundAt    time.Time
	ReferralAt        time.Time
	EntryPointReplyAt time.Time
	// DeliveredAt and ReadAt are the customer's receipt watermarks: every
	// business message sent at or before them is delivered (read).
	DeliveredAt time.Time
	ReadAt      time.Time
	// ArchivedAt is when the conversation was archived in Parley; zero
	// when it is active. The next customer message unarchives it.
	ArchivedAt  time.Time
	UnreadCount int
	UpdatedAt   time.Time
}

// Idempotency key states.
const (
	IdempotencyPending  = "pending"
	IdempotencyComplete = "complete"
)

// IdempotencyRecord is a stored Idempotency-Key and, once complete, the
// response it produced.
type IdempotencyRecord struct {
	OrgID        string
	Key          string
	RequestHash  []byte
	State        string
	ResponseCode int
	ResponseBody []byte
	CreatedAt    time.Time
}

// UsageRow counts WhatsApp messages of one pricing category in one month.
type UsageRow = apitype.UsageRow

// MessagingStore keeps conversation metadata, idempotency keys, rate
// counters and WhatsApp usage. It is part of Store.
type MessagingStore interface {
	// ConversationMeta reads a thread's metadata; unknown threads return a
	// zero record (with ids filled) and no error.
	ConversationMeta(ctx context.Context, orgID, accountID, threadID string) (ConversationMeta, error)
	// NoteInbound records an inbound message time (never moving it back),
	// and adds unreadDelta to the unread count.
	NoteInbound(ctx context.Context, m ConversationMeta, unreadDelta int) error
	// NoteInbounds is NoteInbound for many conversations at once, each
	// m.UnreadCount being its delta; entries for one conversation merge.
	NoteInbounds(ctx context.Context, ms []ConversationMeta) error
	// NoteOutbound records a send; entryPoint marks the reply that opened a
	// WhatsApp free entry point window.
	NoteOutbound(ctx context.Context, orgID, accountID, threadID string, at time.Time, entryPoint bool) error
	// ThreadByParticipant finds the thread of an account with a participant
	// (Meta webhooks name the participant, not the thread); "" if unknown.
	ThreadByParticipant(ctx context.Context, accountID, participantID string) (string, error)
	// AwaitingReply lists conversations whose last inbound message is in
	// [from, to) and has had no reply since, across organisations (for
	// conversation.window_closing).
	AwaitingReply(ctx context.Context, from, to time.Time) ([]ConversationMeta, error)
	// ClearUnread sets the unread count to zero.
	ClearUnread(ctx context.Context, orgID, accountID, threadID string) error
	// NoteReceipt moves a thread's delivered watermark (and, when read, its
	// read watermark) forward to at, never back. Unknown threads are
	// created, as NoteInbound does, only for an account of the organisation.
	NoteReceipt(ctx context.Context, orgID, accountID, threadID string, read bool, at time.Time) error
	// SetArchived archives a thread as of at, or unarchives it when at is
	// zero. Unknown threads are created only for an account of the
	// organisation. NoteInbound(s) unarchive a thread: they note a
	// customer message Parley did not know of.
	SetArchived(ctx context.Context, orgID, accountID, threadID string, at time.Time) error
	// ArchivedThreads reports, among an organisation's threads with these
	// native ids, those archived, keyed by {account id, thread id}, with
	// when they were archived.
	ArchivedThreads(ctx context.Context, orgID string, threadIDs []string) (map[[2]string]time.Time, error)

	// ClaimIdempotencyKey inserts a pending record. It returns (rec, true) when
	// this call claimed the key, or the existing record and false. A record
	// older than ttl is replaced.
	ClaimIdempotencyKey(ctx context.Context, rec IdempotencyRecord, ttl time.Duration) (IdempotencyRecord, bool, error)
	// CompleteIdempotencyKey stores the response of a claimed key.
	CompleteIdempotencyKey(ctx context.Context, orgID, key string, code int, body []byte) error
	// ReleaseIdempotencyKey forgets a claimed key whose request never reached
	// the platform, so the caller may retry it.
	ReleaseIdempotencyKey(ctx context.Context, orgID, key string) error
	// GetIdempotencyKey reads a key's record.
	GetIdempotencyKey(ctx context.Context, orgID, key string) (IdempotencyRecord, error)

	// Hit adds n to a fixed-window counter and returns its new value.
	// window identifies the window (e.g. unix seconds / window length).
	Hit(ctx context.Context, bucket string, window int64, n int, expires time.Time) (int, error)

	// PruneCounters deletes expired rate counters.
	PruneCounters(ctx context.Context, now time.Time) (int64, error)
	// PruneIdempotencyKeys deletes keys created before a time.
	PruneIdempotencyKeys(ctx context.Context, before time.Time) (int64, error)

	// CountUsage adds one message to a WhatsApp usage counter.
	CountUsage(ctx context.Context, orgID, accountID string, month, category string, free bool) error
	// Usage lists an account's counters for a month ("" for all months).
	Usage(ctx context.Context, orgID, accountID, month string) ([]UsageRow, error)
}

// JournalEntry is one journalled WhatsApp message. Sealed holds the message
// body and sender name, sealed with the entry's id as associated data.
type JournalEntry struct {
	ID        string
	AccountID string
	WaID      string
	WamID     string
	Direction string
	Sealed    []byte
	Status    string
	CreatedAt time.Time
	ExpiresAt time.Time
	// StatusAt is when Status last moved (SetJournalStatus); zero when
	// unknown.
	StatusAt time.Time
}

// JournalThread is one customer's thread in the journal.
type JournalThread struct {
	WaID   string
	LastAt time.Time
}

// JournalStore keeps the WhatsApp journal. It is part of Store; callers have
// already checked the account belongs to the caller's organisation.
type JournalStore interface {
	// AppendJournal adds an entry; a repeated wamid is ignored (false),
	// except that it fills in a placeholder a status webhook left first.
	AppendJournal(ctx context.Context, e JournalEntry) (bool, error)
	// AppendJournals is AppendJournal for many entries at once.
	AppendJournals(ctx context.Context, es []JournalEntry) error
	// JournalThreads pages through an account's threads, newest first.
	JournalThreads(ctx context.Context, accountID string, offset, limit int) ([]JournalThread, error)
	// JournalMessages pages through a thread, newest first.
	JournalMessages(ctx context.Context, accountID, waID string, offset, limit int) ([]JournalEntry, error)
	// SetJournalStatus records a delivery status (sent, delivered, read,
	// failed), never moving it backwards. A status that arrives before its
	// message is journalled leaves placeholder p (empty Sealed), which
	// AppendJournal later fills.
	SetJournalStatus(ctx context.Context, p JournalEntry) error
	// PruneJournal deletes entries past their retention.
	PruneJournal(ctx context.Context, now time.Time) (int64, error)
}

// EventNotice announces a committed event to live listeners (MCP
// subscriptions); they read the event itself when they need it.
type EventNotice struct {
	OrgID string
	ID    string
	Type  string
}

// Event is something that happened in an organisation, recorded once and
// delivered to its webhook endpoints. Payload is the JSON body delivered.
type Event struct {
	ID        string
	OrgID     string
	Type      string
	DedupeKey string
	Payload   []byte
	CreatedAt time.Time
}

// Endpoint is a user's webhook endpoint. Secrets are sealed with the
// endpoint id as associated data.
type Endpoint struct {
	ID             string
	OrgID          string
	URL            string
	Description    string
	EventTypes     []string // empty: every event
	Secret         []byte
	PreviousSecret []byte
	PreviousUntil  *time.Time
	Enabled        bool
	DisabledReason string
	FailingSince   *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Attempt is one delivery try of an event to an endpoint.
type Attempt struct {
	ID         string    `json:"id"`
	OrgID      string    `json:"-"`
	EventID    string    `json:"event_id"`
	EndpointID string    `json:"endpoint_id"`
	Attempt    int       `json:"attempt"`
	StatusCode int       `json:"status_code"`
	Error      string    `json:"error,omitempty"`
	DurationMS int       `json:"duration_ms"`
	Success    bool      `json:"success"`
	CreatedAt  time.Time `json:"created_at"`
}

// WebhookStore keeps events, endpoints and attempts. It is part of Store.
type WebhookStore interface {
	// InsertEvent records an event; false when its dedupe key was seen.
	// A recorded event is announced once its transaction commits (see
	// EventNotice).
	InsertEvent(ctx context.Context, e Event) (bool, error)
	// InsertEvents records many events at once and reports, by event id,
	// which were new; of several with one dedupe key, one at most is.
	InsertEvents(ctx context.Context, es []Event) (map[string]bool, error)
	// PruneEvents deletes events (and their attempts) created before a time.
	PruneEvents(ctx context.Context, before time.Time) (int64, error)
	GetEvent(ctx context.Context, orgID, id string) (Event, error)
	ListEvents(ctx context.Context, orgID string, p Page) ([]Event, error)

	CreateEndpoint(ctx context.Context, e Endpoint) error
	GetEndpoint(ctx context.Context, orgID, id string) (Endpoint, error)
	ListEndpoints(ctx context.Context, orgID string, p Page) ([]Endpoint, error)
	// EnabledEndpoints lists an organisation's enabled endpoints.
	EnabledEndpoints(ctx context.Context, orgID string) ([]Endpoint, error)
	UpdateEndpoint(ctx context.Context, e Endpoint) error
	DeleteEndpoint(ctx context.Context, orgID, id string) error
	// SetEndpointHealth records a delivery outcome: failing since a time (nil
	// on success), and disabled with a reason when reason is not empty.
	SetEndpointHealth(ctx context.Context, orgID, id string, failingSince *time.Time, disableReason string) error

	InsertAttempt(ctx context.Context, a Attempt) error
	// InsertAttempts records several attempts in one commit.
	InsertAttempts(ctx context.Context, as []Attempt) error
	ListAttempts(ctx context.Context, orgID, eventID, endpointID string, p Page) ([]Attempt, error)

	// AccountsByNative finds the accounts of every organisation connected to
	// one platform account (inbound webhooks name only the native id) whose
	// token was verified and whose status is active: only they may receive
	// its inbound events.
	AccountsByNative(ctx context.Context, platform, nativeID string) ([]Account, error)
}

// ConnectStore keeps connect sessions and the refresh state of credentials.
// It is part of Store.
type ConnectStore interface {
	// CreateConnectSession records a pending session. Its brand, and the
	// account it reconnects when it names one, must belong to its
	// organisation (checked in the statement): ErrNotFound otherwise.
	CreateConnectSession(ctx context.Context, s ConnectSession) error
	// ConnectSessionByHash finds a session by the hash of its secret, in
	// any organisation: the hosted page knows only the secret.
	ConnectSessionByHash(ctx context.Context, hash []byte) (ConnectSession, error)
	// ConnectSessionByID finds a session in any organisation; the OAuth
	// callback learns the id from a state whose signature it checked.
	ConnectSessionByID(ctx context.Context, id string) (ConnectSession, error)
	// StartConnectSession moves a pending session that has not expired at
	// now to started and keeps its sealed PKCE verifier. ErrNotFound when it
	// is not pending or has expired: the hosted URL works once.
	// browserHash binds the session to the browser that opened it.
	StartConnectSession(ctx context.Context, id string, verifier, browserHash []byte, now time.Time) error
	// SaveConnectAssets keeps the sealed candidates of a started session
	// while the end customer picks. ErrNotFound when it is not started.
	SaveConnectAssets(ctx context.Context, id string, assets []byte, now time.Time) error
	// FinishConnectSession moves a started session to status (connected or
	// failed). ErrNotFound when it is not started: a state works once.
	FinishConnectSession(ctx context.Context, id, status, accountID, errorCode string, now time.Time) error
	// FinishHeldConnectSession is FinishConnectSession for a holding
	// session: its slot goes to the account it connected, or back to the
	// brand. ErrNotFound when it is not holding, so nothing that finishes
	// a started session (a replayed callback) can end a hold under way.
	FinishHeldConnectSession(ctx context.Context, id, status, accountID, errorCode string, now time.Time) error

	// ExpiringAccounts lists active accounts of a platform, in every
	// organisation, whose token expires before a time and that hold a
	// refresh token (for the refresh job).
	// AccountByNative finds the organisation's account for a platform
	// account, whatever its status (connecting it again reconnects it).
	AccountByNative(ctx context.Context, orgID, platform, nativeID string) (Account, error)
	ExpiringAccounts(ctx context.Context, platform string, before time.Time, limit int) ([]Account, error)
	// LeaseRefresh claims the right to refresh an account's credentials
	// of a version until a time, if no other lease is live at now: one
	// replica calls the platform. ErrNotFound when the version moved on or
	// another replica holds the lease.
	LeaseRefresh(ctx context.Context, orgID, id string, version int, now, until time.Time) error
	// ReplaceRefreshedCredentials stores a refreshed token pair (a's
	// Credentials, RefreshCredentials, TokenExpiresAt, Scopes) if the
	// credentials are still at a.CredentialsVersion, bumps the version and
	// drops the lease. ErrNotFound when they changed meanwhile.
	ReplaceRefreshedCredentials(ctx context.Context, a Account) error

	// SetAccountGrantor records who at the platform granted the account's
	// token (a Facebook user id), and marks the token checked at a time.
	SetAccountGrantor(ctx context.Context, orgID, id, grantorID string, checkedAt time.Time) error
	// AccountsByGrantor lists the active accounts of the platforms, in
	// every organisation, whose token a platform user granted.
	AccountsByGrantor(ctx context.Context, platforms []string, grantorID string) ([]Account, error)
	// TokensToCheck lists active accounts of the platforms, in every
	// organisation, connected through Parley's own app (with a grantor),
	// whose token was last checked before a time (or never).
	TokensToCheck(ctx context.Context, platforms []string, checkedBefore time.Time, limit int) ([]Account, error)
	// MarkTokenChecked records that the platform confirmed an account's
	// token at a time.
	MarkTokenChecked(ctx context.Context, orgID, id string, at time.Time) error
}

// Roles of people in the inbox app: admins also manage the organisation's
// people; agents answer conversations.
const (
	RoleAdmin = "admin"
	RoleAgent = "agent"
)

// Person is someone who signs in to the inbox app (DESIGN §8), distinct
// from API keys. Email is lower-cased and unique across organisations;
// PasswordHash is an argon2id PHC string, "" until a password is set.
type Person struct {
	ID           string
	OrgID        string
	Email        string
	Name         string
	Role         string
	PasswordHash string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// SignInLink is a one-time sign-in link. Only the SHA-256 of its secret is
// kept.
type SignInLink struct {
	ID        string
	OrgID     string
	PersonID  string
	TokenHash []byte
	ExpiresAt time.Time
	CreatedAt time.Time
	UsedAt    *time.Time
}

// WebSession is a signed-in browser. IDHash is the SHA-256 of the secret in
// its cookie.
type WebSession struct {
	IDHash    []byte
	OrgID     string
	PersonID  string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// PeopleStore keeps people, their sign-in links and their sessions. It is
// part of Store.
type PeopleStore interface {
	// CreatePerson adds a person; ErrConflict when the email is taken.
	CreatePerson(ctx context.Context, p Person) error
	GetPerson(ctx context.Context, orgID, id string) (Person, error)
	// PersonByEmail finds a person in any organisation: signing in with a
	// password is how the organisation is learnt.
	PersonByEmail(ctx context.Context, email string) (Person, error)
	ListPeople(ctx context.Context, orgID string, p Page) ([]Person, error)
	// SetPassword replaces a person's password hash.
	SetPassword(ctx context.Context, orgID, id, hash string, at time.Time) error

	// CreateSignInLink records a link; its person must belong to its
	// organisation (checked in the statement), ErrNotFound otherwise.
	CreateSignInLink(ctx context.Context, l SignInLink) error
	// UseSignInLink marks the link with this hash used at now and returns
	// it, if it was unused and unexpired: ErrNotFound otherwise, so a link
	// works once even when two requests race.
	UseSignInLink(ctx context.Context, hash []byte, now time.Time) (SignInLink, error)

	CreateWebSession(ctx context.Context, s WebSession) error
	// WebSessionByHash finds a session unexpired at now, in any
	// organisation: the cookie is how the organisation is learnt.
	WebSessionByHash(ctx context.Context, hash []byte, now time.Time) (WebSession, error)
	// DeleteWebSession signs one browser out.
	DeleteWebSession(ctx context.Context, hash []byte) error
	// DeleteWebSessions signs a person out everywhere and reports how many
	// sessions ended.
	DeleteWebSessions(ctx context.Context, orgID, personID string) (int64, error)
	// PruneSignIns deletes expired sessions and links.
	PruneSignIns(ctx context.Context, now time.Time) (int64, error)
}

// PollState is where the polling of one account's DMs stands (X accounts
// without Account Activity webhooks).
type PollState struct {
	AccountID string
	// NewestID is the newest event id seen; "" before the first poll.
	NewestID string
	// IdlePolls counts polls in a row that found nothing new.
	IdlePolls  int
	NextPollAt time.Time
	// Account is the account itself, filled by DuePolls.
	Account Account
}

// PollStore keeps poll state. Polling is a system job across
// organisations, like AccountsByNative: it names accounts by id.
type PollStore interface {
	// DuePolls lists the active, verified accounts of a platform whose
	// poll is due at now (never polled, or NextPollAt not after now),
	// longest due first, at most limit.
	DuePolls(ctx context.Context, platform string, now time.Time, limit int) ([]PollState, error)
	// SavePoll stores an account's poll state (Account is ignored).
	SavePoll(ctx context.Context, p PollState) error
}

// InboundRaw is a verified platform webhook waiting to be recorded
// (ingest.Accept): the body as the platform signed it, sealed.
type InboundRaw struct {
	ID string
	// Source names the receiver, which knows how to parse the body
	// ("meta", "x", "linkedin").
	Source     string
	Sealed     []byte
	ReceivedAt time.Time
	// NextAt is when a sweep may take it; Attempts counts failed tries.
	NextAt    time.Time
	Attempts  int
	LastError string
}

// InboundBacklog is the state of the inbound queue.
type InboundBacklog struct {
	// Pending are waiting to be recorded; Failed of them failed at least
	// once.
	Pending, Failed int64
	// Oldest is when the oldest pending one was received (zero if none).
	Oldest time.Time
}

// InboundQueueStore keeps verified webhooks between their acknowledgement
// and their recording. Rows belong to no organisation yet: one webhook may
// concern accounts several organisations connected; only ingest reads them.
// It is part of Store.
type InboundQueueStore interface {
	// AppendInbound stores webhooks, in one statement, durably once it
	// returns outside a transaction.
	AppendInbound(ctx context.Context, rs []InboundRaw) error
	// ClaimInbound deletes the named rows and reports which it deleted. In
	// the transaction that records them it is the claim: a concurrent
	// claimer waits for that transaction and then finds them gone, so what
	// a webhook says is recorded once.
	ClaimInbound(ctx context.Context, ids []string) (map[string]bool, error)
	// InboundDue lists up to limit rows whose NextAt has come and that
	// failed fewer than maxAttempts times, oldest first.
	InboundDue(ctx context.Context, now time.Time, maxAttempts, limit int) ([]InboundRaw, error)
	// FailInbound counts a failed attempt and sets when the next may be.
	FailInbound(ctx context.Context, id, reason string, next time.Time) error
	// InboundBacklogStats reads the queue's size, for /metrics.
	InboundBacklogStats(ctx context.Context) (InboundBacklog, error)
}
