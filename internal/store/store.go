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
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
)

// ErrNotFound is returned when a record does not exist in the caller's
// organisation (whether it exists elsewhere is deliberately not said).
var ErrNotFound = errors.New("store: not found")

// ErrConflict is returned when a unique constraint would be violated.
var ErrConflict = errors.New("store: conflict")

// NewID returns a prefixed, time-ordered id (UUIDv7), so that ordering by id is
// ordering by creation and keyset pagination needs no second column.
func NewID(prefix string) string {
	return prefix + "_" + strings.ReplaceAll(uuid.Must(uuid.NewV7()).String(), "-", "")
}

// Organization is a tenant. Everything else belongs to exactly one.
type Organization struct {
	ID        string
	Name      string
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
	Variant     string
	Credentials []byte
	CreatedAt   time.Time
	UpdatedAt   time.Time
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
	DeleteAccount(ctx context.Context, orgID, id string) error
	// EachAccountCredential visits every account of every organisation, for
	// key rotation; fn returns the new sealed value or nil to leave it.
	RotateAccountCredentials(ctx context.Context, fn func(id string, sealed []byte) ([]byte, error)) (int, error)

	CreateAPIKey(ctx context.Context, k APIKey) error
	ListAPIKeys(ctx context.Context, orgID string, p Page) ([]APIKey, error)
	RevokeAPIKey(ctx context.Context, orgID, id string, at time.Time) error
	// APIKeyByHash finds a key by the hash of its secret, in any
	// organisation: it is how a caller's organisation is learnt.
	APIKeyByHash(ctx context.Context, hash []byte) (APIKey, error)
	TouchAPIKey(ctx context.Context, id string, at time.Time) error
}
