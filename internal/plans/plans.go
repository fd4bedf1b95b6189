// Package plans is the plans capability (DESIGN §9): which plan each
// organisation is on, the limits it sets enforced before any platform call,
// usage, billing events, and the operator's management of organisations.
package plans

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/events"
	"github.com/parleyhq/parley/internal/plantable"
	"github.com/parleyhq/parley/internal/store"
)

// Events published to the organisation's webhooks (DESIGN §4).
const (
	EventLimitApproaching = events.EventBillingLimitApproaching
	EventLimitReached     = events.EventBillingLimitReached
)

// Error codes of refusals (402).
const (
	CodeBrandLimit       = "billing.brand_limit"
	CodeAccountLimit     = "billing.account_limit"
	CodeInteractionLimit = "billing.interaction_limit"
)

// approachingShare is the share of a limit at which
// billing.limit_approaching is sent.
const approachingShare = 0.8

// Publisher records an event and queues its deliveries (events.Publish).
type Publisher func(ctx context.Context, orgID, typ, dedupeKey string, data any) error

// Config builds Plans.
type Config struct {
	// Table is the server's plans (plantable.Load).
	Table plantable.Table
	// Default names the plan of new organisations and of those whose
	// stored plan is empty; it must be in Table.
	Default string
	// OrgQuota is PARLEY_ORG_QUOTA, the request quota of organisations on
	// a plan that sets none; 0 disables it.
	OrgQuota int
	// OperatorToken guards the operator API; empty turns it off.
	OperatorToken string
	// Publish sends billing events; nil sends none.
	Publish Publisher
}

// Plans is the capability. It is safe for concurrent use.
type Plans struct {
	store    store.Store
	now      func() time.Time
	log      *slog.Logger
	table    plantable.Table
	def      plantable.Plan
	orgQuota int
	operator [32]byte // SHA-256 of the operator token; zero when off
	publish  Publisher

	orgCache domain.TTLCache[string, store.Organization]
}

// New returns Plans over the shared dependencies.
func New(d domain.Deps, cfg Config) (*Plans, error) {
	def, ok := cfg.Table.Lookup(cfg.Default)
	if !ok {
		return nil, fmt.Errorf("plans: the default plan %q is not in the plan table (%s)", cfg.Default, strings.Join(cfg.Table.Names(), ", "))
	}
	p := &Plans{store: d.Store, now: d.Now, log: d.Log, table: cfg.Table, def: def, orgQuota: cfg.OrgQuota, publish: cfg.Publish}
	if cfg.OperatorToken != "" {
		p.operator = sha256.Sum256([]byte(cfg.OperatorToken))
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.log == nil {
		p.log = slog.Default()
	}
	return p, nil
}

// Month is the UTC calendar month holding t, as usage counts it (YYYY-MM).
func Month(t time.Time) string {
	m, _ := month(t)
	return m
}

// month is the UTC calendar month holding t, and when the next one starts.
func month(t time.Time) (string, time.Time) {
	t = t.UTC()
	return t.Format("2006-01"), time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, time.UTC)
}

// org reads an organisation through st, reusing a read for
// domain.HotCacheTTL: a plan change applies at once on the replica that
// made it, within a second on the others. st is the transaction a caller
// has open (SQLite has one connection: a read beside it would wait for it
// forever), or p.store.
func (p *Plans) org(ctx context.Context, st store.Store, orgID string) (store.Organization, error) {
	now := p.now()
	if o, ok := p.orgCache.Get(orgID, now); ok {
		return o, nil
	}
	o, err := st.GetOrganization(ctx, orgID)
	if err != nil {
		return store.Organization{}, err
	}
	p.orgCache.Put(orgID, o, now)
	return o, nil
}

// planOf is the plan an organisation is on. A stored name the table no
// longer has (an operator removed it from PARLEY_PLANS_FILE) falls back to
// the default plan, logged: the organisation keeps working.
func (p *Plans) planOf(ctx context.Context, orgID string) (plantable.Plan, error) {
	return p.planIn(ctx, p.store, orgID)
}

// planIn is planOf read through st.
func (p *Plans) planIn(ctx context.Context, st store.Store, orgID string) (plantable.Plan, error) {
	o, err := p.org(ctx, st, orgID)
	if err != nil {
		return plantable.Plan{}, err
	}
	return p.resolve(ctx, o), nil
}

func (p *Plans) resolve(ctx context.Context, o store.Organization) plantable.Plan {
	if o.Plan == "" {
		return p.def
	}
	pl, ok := p.table.Lookup(o.Plan)
	if !ok {
		p.log.WarnContext(ctx, "organisation's plan is not in the plan table; the default plan applies",
			"org_id", o.ID, "plan", o.Plan, "default", p.def.Name)
		return p.def
	}
	return pl
}

// storeMax is a limit as the store takes it: -1 for none.
func storeMax(l plantable.Limit) int {
	if l.Unlimited {
		return -1
	}
	return l.Max
}

// refusal is the 402 answered when a plan limit is reached.
func refusal(code, what string, pl plantable.Plan, l plantable.Limit, used int, resets *time.Time) *apierr.Error {
	e := apierr.New(http.StatusPaymentRequired, code, "the %s plan allows %d %s; %d used", pl.Name, l.Max, what, used).
		With("plan", pl.Name).With("limit", l.Max).With("max", l.Max).With("used", used)
	if resets != nil {
		e = e.With("resets_at", resets.Format(time.RFC3339))
		e.Message += "; the count starts again at " + resets.Format(time.RFC3339)
	}
	return e
}

// Reservation is one interaction counted before the platform is called.
type Reservation struct {
	orgID, month string
}

// Reserve counts one interaction (a message sent) against the caller's
// plan before any platform call. Over the plan's monthly maximum it answers
// 402 billing.interaction_limit and counts nothing. The count is one
// conditional statement in the database, so the limit holds under
// concurrency and across replicas.
func (p *Plans) Reserve(ctx context.Context, orgID string) (Reservation, error) {
	pl, err := p.planOf(ctx, orgID)
	if err != nil {
		return Reservation{}, err
	}
	m, resets := month(p.now())
	l := pl.MonthlyInteractions
	used, err := p.store.ReserveInteraction(ctx, orgID, m, storeMax(l))
	if errors.Is(err, store.ErrLimit) {
		p.notify(ctx, orgID, EventLimitReached, "interactions:"+m, pl, l, used, &resets)
		return Reservation{}, refusal(CodeInteractionLimit, "interactions a month", pl, l, used, &resets)
	}
	if err != nil {
		return Reservation{}, err
	}
	p.crossed(ctx, orgID, "interactions:"+m, pl, l, used, &resets)
	return Reservation{orgID: orgID, month: m}, nil
}

// Hold reserves an interaction for a send (Reserve) and returns the
// function the send calls with its outcome: reached says whether the
// platform's send endpoint was called, err is what the send answers. The
// interaction is given back when the message certainly did not go out:
// the platform was never asked to send it (Parley's rules, a closed window,
// a failed conversation read), or the platform refused it with a definite
// 4xx answer (invalid recipient, revoked token, its own rate limit). It
// stays counted when the outcome is unknown (a timeout, a 5xx, a lost
// connection: the platform may have delivered it), and when the platform
// accepted the message and reports a failure later (WhatsApp's statuses
// webhook): the message reached the platform.
func (p *Plans) Hold(ctx context.Context, orgID string) (done func(reached bool, err error), err error) {
	r, err := p.Reserve(ctx, orgID)
	if err != nil {
		return nil, err
	}
	return func(reached bool, sendErr error) {
		if sendErr == nil {
			return
		}
		e, structured := apierr.As(sendErr)
		if !reached || (structured && e.Status >= 400 && e.Status < 500) {
			p.Release(context.WithoutCancel(ctx), r)
		}
	}, nil
}

// Release gives back a reservation whose message was not sent: refused by
// Parley's own rules before the platform call, or refused by the platform
// (see the package's send hook for which refusals count as not sent). It
// is given back to the month it was taken from.
func (p *Plans) Release(ctx context.Context, r Reservation) {
	if r.orgID == "" {
		return
	}
	if err := p.store.ReleaseInteraction(ctx, r.orgID, r.month); err != nil {
		p.log.ErrorContext(ctx, "release interaction", "org_id", r.orgID, "err", err)
	}
}

// CountInbound counts a message received, for information: inbound
// messages are never refused or dropped because of a plan, so a failure
// to count is logged, never returned.
func (p *Plans) CountInbound(ctx context.Context, orgID string) {
	m, _ := month(p.now())
	if err := p.store.CountInbound(ctx, orgID, m); err != nil {
		p.log.ErrorContext(ctx, "count inbound", "org_id", orgID, "err", err)
	}
}

// CreateBrand stores a new brand if the organisation's plan allows one
// more; otherwise 402 billing.brand_limit. An organisation over its limit
// after a downgrade keeps its brands and gets no new one.
func (p *Plans) CreateBrand(ctx context.Context, b store.Brand) error {
	pl, err := p.planOf(ctx, b.OrgID)
	if err != nil {
		return err
	}
	l := pl.MaxBrands
	n, err := p.store.CreateBrandWithin(ctx, b, storeMax(l))
	if errors.Is(err, store.ErrLimit) {
		p.notify(ctx, b.OrgID, EventLimitReached, fmt.Sprintf("brands:%d", n), pl, l, n, nil)
		return refusal(CodeBrandLimit, "brands", pl, l, n, nil)
	}
	if err != nil {
		return err
	}
	p.crossed(ctx, b.OrgID, fmt.Sprintf("brands:%d", n), pl, l, n, nil)
	return nil
}

// CreateAccount stores a new account if its brand may have one more under
// the organisation's plan; otherwise 402 billing.account_limit. The brand
// must be the organisation's (store.ErrNotFound otherwise).
func (p *Plans) CreateAccount(ctx context.Context, a store.Account) error {
	return p.CreateAccountIn(ctx, p.store, a)
}

// CreateAccountIn is CreateAccount through st, a transaction the caller
// may have open: the count (connect sessions' holds included) and the
// insert are under the brand's lock in that transaction, so the limit
// holds under concurrency and the refusal leaves the transaction usable.
func (p *Plans) CreateAccountIn(ctx context.Context, st store.Store, a store.Account) error {
	pl, err := p.planIn(ctx, st, a.OrgID)
	if err != nil {
		return err
	}
	l := pl.MaxAccountsPerBrand
	n, err := st.CreateAccountWithin(ctx, a, storeMax(l))
	if errors.Is(err, store.ErrLimit) {
		return refusal(CodeAccountLimit, "connected accounts per brand", pl, l, n, nil).With("brand_id", a.BrandID)
	}
	return err
}

// HoldAccountIn takes one of a brand's account slots for the hosted
// connect session s through st, until until, if the organisation's plan
// allows the brand one more account (store.Store.HoldConnectSlot);
// otherwise 402 billing.account_limit, as CreateAccount answers. The
// connect flow holds the slot before it asks the platform to send the
// account's webhooks, so a connect the plan refuses subscribes nothing,
// and the account it then creates is the slot's.
func (p *Plans) HoldAccountIn(ctx context.Context, st store.Store, s store.ConnectSession, now, until time.Time) error {
	pl, err := p.planIn(ctx, st, s.OrgID)
	if err != nil {
		return err
	}
	l := pl.MaxAccountsPerBrand
	n, err := st.HoldConnectSlot(ctx, s.ID, storeMax(l), now, until)
	if errors.Is(err, store.ErrLimit) {
		return refusal(CodeAccountLimit, "connected accounts per brand", pl, l, n, nil).With("brand_id", s.BrandID)
	}
	return err
}

// RequestQuota is the organisation's request quota per minute: its plan's,
// or PARLEY_ORG_QUOTA when the plan sets none (0: no quota).
func (p *Plans) RequestQuota(ctx context.Context, orgID string) (int, error) {
	pl, err := p.planOf(ctx, orgID)
	if err != nil {
		return 0, err
	}
	if pl.RequestsPerMinute > 0 {
		return pl.RequestsPerMinute, nil
	}
	return p.orgQuota, nil
}

// crossed sends billing.limit_approaching when used has just reached 80 %
// of a limit and billing.limit_reached when it has just reached all of it.
// Counts move by one, so exactly one write sees each threshold; key makes
// the event's dedupe key.
func (p *Plans) crossed(ctx context.Context, orgID, key string, pl plantable.Plan, l plantable.Limit, used int, resets *time.Time) {
	if l.Unlimited || l.Max == 0 {
		return
	}
	switch approaching := int(math.Ceil(approachingShare * float64(l.Max))); {
	case used == l.Max:
		p.notify(ctx, orgID, EventLimitReached, key, pl, l, used, resets)
	case used == approaching:
		p.notify(ctx, orgID, EventLimitApproaching, key, pl, l, used, resets)
	}
}

// notify publishes a billing event once per key and limit (interactions:
// once a month; brands: once per count, so reaching the limit and then
// being refused at it is one event). The refusal or
// the write it reports stands whatever happens to the event, so a failure
// is logged.
func (p *Plans) notify(ctx context.Context, orgID, typ, key string, pl plantable.Plan, l plantable.Limit, used int, resets *time.Time) {
	if p.publish == nil {
		return
	}
	metric, _, _ := strings.Cut(key, ":")
	dedupe := fmt.Sprintf("%s:%s:%d", typ, key, l.Max)
	ev := apitype.BillingEvent{Metric: metric, Plan: pl.Name, Limit: l.Max, Used: used, ResetsAt: resets}
	if err := p.publish(context.WithoutCancel(ctx), orgID, typ, dedupe, ev); err != nil {
		p.log.ErrorContext(ctx, "publish billing event", "org_id", orgID, "type", typ, "err", err)
	}
}

// limitPtr is a limit as the API shows it: null for none.
func limitPtr(l plantable.Limit) *int {
	if l.Unlimited {
		return nil
	}
	n := l.Max
	return &n
}

// Usage is the organisation's plan and what it used this month.
func (p *Plans) Usage(ctx context.Context, orgID string) (apitype.Usage, error) {
	o, err := p.store.GetOrganization(ctx, orgID)
	if err != nil {
		return apitype.Usage{}, domain.StoreErr(err, "organization")
	}
	return p.usage(ctx, o)
}

func (p *Plans) usage(ctx context.Context, o store.Organization) (apitype.Usage, error) {
	pl := p.resolve(ctx, o)
	m, resets := month(p.now())
	brands, err := p.store.CountBrands(ctx, o.ID)
	if err != nil {
		return apitype.Usage{}, err
	}
	u, err := p.store.PlanUsage(ctx, o.ID, m)
	if err != nil {
		return apitype.Usage{}, err
	}
	rpm := pl.RequestsPerMinute
	if rpm == 0 {
		rpm = p.orgQuota
	}
	return apitype.Usage{Plan: pl.Name, Brands: apitype.Meter{Used: brands, Limit: limitPtr(pl.MaxBrands)},
		Interactions: apitype.Meter{Used: u.Interactions, Limit: limitPtr(pl.MonthlyInteractions)}, Inbound: u.Inbound,
		AccountsPerBrand: limitPtr(pl.MaxAccountsPerBrand), RequestsPerMinute: rpm, Month: m, ResetsAt: resets}, nil
}

var (
	errOperatorOff = apierr.New(http.StatusUnauthorized, "auth.operator_disabled",
		"the operator API is off on this server; set PARLEY_OPERATOR_TOKEN to turn it on")
	errOperatorToken = apierr.New(http.StatusUnauthorized, "auth.invalid_operator_token",
		"send the operator token (PARLEY_OPERATOR_TOKEN) as Authorization: Bearer …; API keys are not accepted here")
)

// AuthenticateOperator checks an Authorization header against the operator
// token. The comparison is of SHA-256 digests in constant time, so neither
// the token's content nor its length leaks through timing. An API key is
// refused like any other wrong token.
func (p *Plans) AuthenticateOperator(authorization string) error {
	if p.operator == ([32]byte{}) {
		return errOperatorOff
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(authorization), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return errOperatorToken
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(token)))
	if subtle.ConstantTimeCompare(got[:], p.operator[:]) != 1 {
		return errOperatorToken
	}
	return nil
}
