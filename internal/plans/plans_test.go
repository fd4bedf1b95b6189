package plans_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/plans"
	"github.com/parleyhq/parley/internal/plantable"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/sqlstore"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// clock is a pinned, movable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// published records billing events.
type published struct {
	mu     sync.Mutex
	events []string // type/metric/used
	keys   map[string]bool
}

func (p *published) publish(_ context.Context, _ string, typ, dedupe string, data any) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.keys == nil {
		p.keys = map[string]bool{}
	}
	if p.keys[dedupe] { // as the events table's dedupe key does
		return nil
	}
	p.keys[dedupe] = true
	ev := data.(apitype.BillingEvent)
	p.events = append(p.events, fmt.Sprintf("%s/%s/%d", typ, ev.Metric, ev.Used))
	return nil
}

func (p *published) list() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.events)
}

type env struct {
	db    *sqlstore.DB
	clock *clock
	pub   *published
	p     *plans.Plans
	org   string
}

var nov = time.Date(2026, 11, 30, 23, 59, 0, 0, time.UTC)

func setup(t *testing.T, db *sqlstore.DB, plan string) env {
	t.Helper()
	e := env{db: db, clock: &clock{t: nov}, pub: &published{}}
	var err error
	e.p, err = plans.New(domain.Deps{Store: db, Now: e.clock.now},
		plans.Config{Table: plantable.Shipped(), Default: plantable.Unlimited, OrgQuota: 3000, OperatorToken: "op-token-0123456789abcdef0123456789", Publish: e.pub.publish})
	if err != nil {
		t.Fatal(err)
	}
	o, err := e.p.CreateOrganization(context.Background(), apitype.OrganizationInput{Name: "Acme", Plan: plan})
	if err != nil {
		t.Fatal(err)
	}
	e.org = o.ID
	return e
}

// wantRefusal checks a 402 with its code and meta.
func wantRefusal(t *testing.T, err error, code, plan string, limit, used int, resets string) {
	t.Helper()
	e, ok := apierr.As(err)
	if !ok || e.Status != http.StatusPaymentRequired || e.Code != code {
		t.Fatalf("err = %v, want 402 %s", err, code)
	}
	if e.Meta["plan"] != plan || e.Meta["limit"] != limit || e.Meta["used"] != used {
		t.Fatalf("meta = %v, want plan %s, limit %d, used %d", e.Meta, plan, limit, used)
	}
	if got, _ := e.Meta["resets_at"].(string); got != resets {
		t.Fatalf("meta.resets_at = %q, want %q", got, resets)
	}
}

func TestInteractionLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		e := setup(t, db, "free")
		for i := 1; i <= 49; i++ {
			if _, err := e.p.Reserve(ctx, e.org); err != nil {
				t.Fatalf("send %d: %v", i, err)
			}
		}
		if got, want := e.pub.list(), []string{"billing.limit_approaching/interactions/40"}; !slices.Equal(got, want) {
			t.Fatalf("events at 49/50: %v, want %v", got, want)
		}
		// 20 concurrent sends at 49/50: exactly one.
		var wg sync.WaitGroup
		var mu sync.Mutex
		var ok, refused int
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := e.p.Reserve(ctx, e.org)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case apierr.HasCode(err, plans.CodeInteractionLimit):
					refused++
				default:
					t.Errorf("unexpected error %v", err)
				}
			}()
		}
		wg.Wait()
		if ok != 1 || refused != 19 {
			t.Fatalf("20 concurrent sends at 49/50: %d sent, %d refused", ok, refused)
		}
		_, err := e.p.Reserve(ctx, e.org)
		wantRefusal(t, err, "billing.interaction_limit", "free", 50, 50, "2026-12-01T00:00:00Z")
		if got, want := e.pub.list(), []string{"billing.limit_approaching/interactions/40", "billing.limit_reached/interactions/50"}; !slices.Equal(got, want) {
			t.Fatalf("events at 50/50: %v, want %v (once each)", got, want)
		}
		u, err := e.p.Usage(ctx, e.org)
		if err != nil || u.Interactions.Used != 50 || *u.Interactions.Limit != 50 || u.Month != "2026-11" {
			t.Fatalf("usage %+v, %v", u, err)
		}

		// Inbound is never refused, and counted apart.
		e.p.CountInbound(ctx, e.org)
		if u, _ := e.p.Usage(ctx, e.org); u.Inbound != 1 || u.Interactions.Used != 50 {
			t.Fatalf("after an inbound message: %+v", u)
		}

		// Month rollover: a minute later it is December and the count is new.
		e.clock.set(nov.Add(time.Minute))
		r, err := e.p.Reserve(ctx, e.org)
		if err != nil {
			t.Fatalf("first send of December: %v", err)
		}
		u, _ = e.p.Usage(ctx, e.org)
		if u.Month != "2026-12" || u.Interactions.Used != 1 || u.Inbound != 0 || !u.ResetsAt.Equal(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("December usage %+v", u)
		}
		// Release goes back to the reservation's month.
		e.p.Release(ctx, r)
		if u, _ := e.p.Usage(ctx, e.org); u.Interactions.Used != 0 {
			t.Fatalf("after release: %+v", u)
		}
	})
}

func TestBrandLimitAndDowngrade(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		e := setup(t, db, "starter")
		brand := func(name string) error {
			now := e.clock.now()
			return e.p.CreateBrand(ctx, store.Brand{ID: store.NewID("brand"), OrgID: e.org, Name: name, CreatedAt: now, UpdatedAt: now})
		}
		for i := range 3 {
			if err := brand(fmt.Sprint("b", i)); err != nil {
				t.Fatal(err)
			}
		}
		// Downgrade to free (2 brands): the three stay, a fourth is refused.
		if _, err := e.p.SetPlan(ctx, e.org, apitype.PlanInput{Plan: "free"}); err != nil {
			t.Fatal(err)
		}
		wantRefusal(t, brand("b3"), "billing.brand_limit", "free", 2, 3, "")
		if n, _ := db.CountBrands(ctx, e.org); n != 3 {
			t.Fatalf("%d brands after a refused one, want 3", n)
		}
		if got := e.pub.list(); !slices.Equal(got, []string{"billing.limit_reached/brands/3"}) {
			t.Fatalf("events %v", got)
		}
		// Back up to pro: new brands again; 80 % of 50 is the 40th.
		if _, err := e.p.SetPlan(ctx, e.org, apitype.PlanInput{Plan: "pro"}); err != nil {
			t.Fatal(err)
		}
		for i := 3; i < 50; i++ {
			if err := brand(fmt.Sprint("b", i)); err != nil {
				t.Fatalf("brand %d: %v", i+1, err)
			}
		}
		wantRefusal(t, brand("b50"), "billing.brand_limit", "pro", 50, 50, "")
		if got, want := e.pub.list(), []string{"billing.limit_reached/brands/3", "billing.limit_approaching/brands/40", "billing.limit_reached/brands/50"}; !slices.Equal(got, want) {
			t.Fatalf("events %v, want %v", got, want)
		}
		u, _ := e.p.Usage(ctx, e.org)
		if u.Plan != "pro" || u.Brands.Used != 50 || *u.Brands.Limit != 50 || u.Interactions.Limit != nil {
			t.Fatalf("usage %+v", u)
		}
	})
}

func TestUnlimitedDefault(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		e := setup(t, db, "")
		for i := range 60 {
			if _, err := e.p.Reserve(ctx, e.org); err != nil {
				t.Fatalf("send %d: %v", i, err)
			}
		}
		u, err := e.p.Usage(ctx, e.org)
		if err != nil || u.Plan != "unlimited" || u.Interactions.Used != 60 || u.Interactions.Limit != nil || u.Brands.Limit != nil || u.RequestsPerMinute != 3000 {
			t.Fatalf("usage %+v, %v", u, err)
		}
		if len(e.pub.list()) != 0 {
			t.Fatalf("events on an unlimited plan: %v", e.pub.list())
		}
		// An organisation with no stored plan follows the default.
		o := store.Organization{ID: store.NewID("org"), Name: "old", CreatedAt: nov}
		if err := db.CreateOrganization(ctx, o); err != nil {
			t.Fatal(err)
		}
		if got, _ := e.p.GetOrganization(ctx, o.ID); got.Plan != "unlimited" {
			t.Fatalf("organisation without a plan shows %q", got.Plan)
		}
	})
}

func TestOperator(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		e := setup(t, db, "pro")
		for _, c := range []struct {
			auth string
			ok   bool
		}{
			{"Bearer op-token-0123456789abcdef0123456789", true},
			{"bearer  op-token-0123456789abcdef0123456789 ", true},
			{"Bearer op-token-0123456789abcdef012345678", false},
			{"Bearer op-token-0123456789abcdef01234567890", false},
			{"Bearer sapi_key_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", false},
			{"Basic op-token-0123456789abcdef0123456789", false},
			{"", false},
		} {
			err := e.p.AuthenticateOperator(c.auth)
			if (err == nil) != c.ok {
				t.Errorf("AuthenticateOperator(%q) = %v", c.auth, err)
			}
			if err != nil && !apierr.HasCode(err, "auth.invalid_operator_token") {
				t.Errorf("AuthenticateOperator(%q) = %v", c.auth, err)
			}
		}
		off, _ := plans.New(domain.Deps{Store: db}, plans.Config{Table: plantable.Shipped(), Default: "free"})
		if err := off.AuthenticateOperator("Bearer "); !apierr.HasCode(err, "auth.operator_disabled") {
			t.Errorf("without a token: %v", err)
		}

		if _, err := e.p.CreateOrganization(ctx, apitype.OrganizationInput{Name: "x", Plan: "gold"}); !apierr.HasCode(err, "validation.invalid_field") {
			t.Errorf("unknown plan: %v", err)
		}
		if _, err := e.p.CreateOrganization(ctx, apitype.OrganizationInput{Name: " "}); !apierr.HasCode(err, "validation.required") {
			t.Errorf("no name: %v", err)
		}
		if _, err := e.p.SetPlan(ctx, "org_0193a0c0d1e2f3a4b5c6d7e8f9a0b1c2", apitype.PlanInput{Plan: "free"}); !apierr.HasCode(err, "resource.not_found") {
			t.Errorf("unknown organisation: %v", err)
		}
		if _, err := e.p.SetPlan(ctx, e.org, apitype.PlanInput{Plan: "Free"}); !apierr.HasCode(err, "validation.invalid_field") {
			t.Errorf("plan names are exact: %v", err)
		}
		l, err := e.p.ListOrganizations(ctx, domain.PageRequest{Limit: 10})
		if err != nil || len(l.Data) != 1 || l.Data[0].Plan != "pro" {
			t.Fatalf("list %+v, %v", l, err)
		}
		if _, err := e.p.ListOrganizations(ctx, domain.PageRequest{Limit: 10, Cursor: "nope"}); !apierr.HasCode(err, "validation.invalid_cursor") {
			t.Errorf("bad cursor: %v", err)
		}
		if _, err := plans.New(domain.Deps{Store: db}, plans.Config{Table: plantable.Shipped(), Default: "gold"}); err == nil {
			t.Error("a default plan outside the table was accepted")
		}
		if ps := e.p.Plans(); len(ps) != 6 || !ps[5].Default || ps[0].Name != "free" || *ps[0].MonthlyInteractions != 50 {
			t.Errorf("plans %+v", ps)
		}
	})
}

// TestRequestQuota: a plan's requests per minute replace the server's.
func TestRequestQuota(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		tab, err := plantable.Parse([]byte(`{"plans":[{"name":"slow","max_brands":1,"monthly_interactions":1,"requests_per_minute":5},
			{"name":"std","max_brands":1,"monthly_interactions":1}]}`))
		if err != nil {
			t.Fatal(err)
		}
		p, err := plans.New(domain.Deps{Store: db}, plans.Config{Table: tab, Default: "std", OrgQuota: 3000})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		for _, c := range []struct {
			plan string
			want int
		}{{"slow", 5}, {"std", 3000}} {
			o, err := p.CreateOrganization(ctx, apitype.OrganizationInput{Name: c.plan, Plan: c.plan})
			if err != nil {
				t.Fatal(err)
			}
			if q, err := p.RequestQuota(ctx, o.ID); err != nil || q != c.want {
				t.Errorf("%s: quota %d, %v; want %d", c.plan, q, err, c.want)
			}
		}
		if _, err := p.RequestQuota(ctx, "org_missing"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown organisation: %v", err)
		}
	})
}

// TestHoldReleasesWhatWasNotSent: a send gives its interaction back only
// when the message certainly did not go out.
func TestHoldReleasesWhatWasNotSent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		e := setup(t, db, "free")
		for _, c := range []struct {
			name    string
			reached bool
			err     error
			counted bool
		}{
			{"sent", true, nil, true},
			{"refused by the rules before the platform", false, apierr.New(http.StatusGone, "conversation.window_closed", "closed"), false},
			{"conversation read failed", false, apierr.New(http.StatusBadGateway, "platform.x.unavailable", "down"), false},
			{"refused by the platform", true, apierr.New(http.StatusBadRequest, "platform.x.invalid_recipient", "no"), false},
			{"platform rate limit", true, apierr.New(http.StatusTooManyRequests, "platform.x.platform_rate_limit", "slow"), false},
			{"platform timed out", true, apierr.New(http.StatusGatewayTimeout, "platform.x.timeout", "late"), true},
			{"platform 5xx", true, apierr.New(http.StatusBadGateway, "platform.x.unavailable", "down"), true},
			{"connection lost", true, errors.New("read: connection reset"), true},
		} {
			t.Run(c.name, func(t *testing.T) {
				before, _ := e.p.Usage(ctx, e.org)
				done, err := e.p.Hold(ctx, e.org)
				if err != nil {
					t.Fatal(err)
				}
				done(c.reached, c.err)
				after, _ := e.p.Usage(ctx, e.org)
				if got := after.Interactions.Used - before.Interactions.Used; got != map[bool]int{true: 1, false: 0}[c.counted] {
					t.Fatalf("counted %d, want counted=%v", got, c.counted)
				}
			})
		}
	})
}
