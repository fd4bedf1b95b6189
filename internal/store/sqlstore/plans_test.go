package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/sqlstore"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// race runs n calls of fn at once, alternating between two handles on the
// same database (two replicas), and counts the calls that succeeded and
// those refused with store.ErrLimit; any other error fails the test.
func race(t *testing.T, dbs [2]*sqlstore.DB, n int, fn func(db *sqlstore.DB, i int) error) (ok, limited int) {
	t.Helper()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			err := fn(dbs[i%2], i)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, store.ErrLimit):
				limited++
			default:
				errs = append(errs, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d unexpected errors, first: %v", len(errs), errs[0])
	}
	return ok, limited
}

// TestPlanLimitsStore: every limit holds at its boundary, and under 20
// concurrent writers on two replicas exactly the writes that fit succeed.
func TestPlanLimitsStore(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		dbs := [2]*sqlstore.DB{b.Open(t), b.Open(t)}
		db := dbs[0]
		a, other := seed(t, db, "A"), seed(t, db, "B")
		const month = "2026-11"

		t.Run("interactions at 49 of 50", func(t *testing.T) {
			for i := 1; i <= 49; i++ {
				if n, err := db.ReserveInteraction(ctx, a.org.ID, month, 50); err != nil || n != i {
					t.Fatalf("reservation %d = %d, %v", i, n, err)
				}
			}
			ok, limited := race(t, dbs, 20, func(db *sqlstore.DB, _ int) error {
				_, err := db.ReserveInteraction(ctx, a.org.ID, month, 50)
				return err
			})
			if ok != 1 || limited != 19 {
				t.Fatalf("20 concurrent sends at 49/50: %d reserved, %d refused; want 1 and 19", ok, limited)
			}
			n, err := db.ReserveInteraction(ctx, a.org.ID, month, 50)
			if !errors.Is(err, store.ErrLimit) || n != 50 {
				t.Fatalf("at 50/50: %d, %v; want ErrLimit with 50", n, err)
			}
			if err := db.ReleaseInteraction(ctx, a.org.ID, month); err != nil {
				t.Fatal(err)
			}
			if n, err := db.ReserveInteraction(ctx, a.org.ID, month, 50); err != nil || n != 50 {
				t.Fatalf("after a release: %d, %v; want the 50th again", n, err)
			}
			if n, err := db.ReserveInteraction(ctx, a.org.ID, "2026-12", 50); err != nil || n != 1 {
				t.Fatalf("next month: %d, %v; want 1", n, err)
			}
			if n, err := db.ReserveInteraction(ctx, other.org.ID, month, 50); err != nil || n != 1 {
				t.Fatalf("another organisation: %d, %v; want its own first", n, err)
			}
			if n, err := db.ReserveInteraction(ctx, other.org.ID, month, 0); !errors.Is(err, store.ErrLimit) || n != 1 {
				t.Fatalf("limit 0: %d, %v; want ErrLimit with 1", n, err)
			}
			if n, err := db.ReserveInteraction(ctx, other.org.ID, month, -1); err != nil || n != 2 {
				t.Fatalf("unlimited: %d, %v; want 2", n, err)
			}
		})

		t.Run("inbound is counted apart and never limited", func(t *testing.T) {
			for range 3 {
				if err := db.CountInbound(ctx, a.org.ID, month); err != nil {
					t.Fatal(err)
				}
			}
			if err := db.CountInbound(ctx, a.org.ID, "2027-01"); err != nil {
				t.Fatal(err)
			}
			if u, err := db.PlanUsage(ctx, a.org.ID, month); err != nil || u != (store.PlanUsage{Interactions: 50, Inbound: 3}) {
				t.Fatalf("usage %+v, %v", u, err)
			}
			if u, err := db.PlanUsage(ctx, a.org.ID, "2027-01"); err != nil || u != (store.PlanUsage{Inbound: 1}) {
				t.Fatalf("usage of 2027-01 %+v, %v", u, err)
			}
		})

		t.Run("release never goes below zero", func(t *testing.T) {
			if err := db.ReleaseInteraction(ctx, a.org.ID, "2030-01"); err != nil {
				t.Fatal(err)
			}
			if u, _ := db.PlanUsage(ctx, a.org.ID, "2030-01"); u.Interactions != 0 {
				t.Fatalf("usage %+v", u)
			}
		})

		t.Run("brands", func(t *testing.T) {
			// A has 1 brand; a limit of 5 leaves 4 places for 20 writers.
			ok, limited := race(t, dbs, 20, func(db *sqlstore.DB, i int) error {
				_, err := db.CreateBrandWithin(ctx, store.Brand{ID: store.NewID("brand"), OrgID: a.org.ID, Name: fmt.Sprint("b", i), CreatedAt: t0, UpdatedAt: t0}, 5)
				return err
			})
			if ok != 4 || limited != 16 {
				t.Fatalf("20 concurrent brands at 1/5: %d created, %d refused; want 4 and 16", ok, limited)
			}
			if n, err := db.CountBrands(ctx, a.org.ID); err != nil || n != 5 {
				t.Fatalf("A has %d brands (%v), want 5", n, err)
			}
			n, err := db.CreateBrandWithin(ctx, store.Brand{ID: store.NewID("brand"), OrgID: a.org.ID, Name: "late", CreatedAt: t0, UpdatedAt: t0}, 5)
			if !errors.Is(err, store.ErrLimit) || n != 5 {
				t.Fatalf("at 5/5: %d, %v", n, err)
			}
			// A lower limit (a downgrade) refuses new brands and keeps the old.
			if n, err := db.CreateBrandWithin(ctx, store.Brand{ID: store.NewID("brand"), OrgID: a.org.ID, Name: "down", CreatedAt: t0, UpdatedAt: t0}, 2); !errors.Is(err, store.ErrLimit) || n != 5 {
				t.Fatalf("at 5 with a limit of 2: %d, %v", n, err)
			}
			// B's count is its own.
			if n, err := db.CreateBrandWithin(ctx, store.Brand{ID: store.NewID("brand"), OrgID: other.org.ID, Name: "b2", CreatedAt: t0, UpdatedAt: t0}, 2); err != nil || n != 2 {
				t.Fatalf("B's second brand: %d, %v", n, err)
			}
			if n, err := db.CreateBrandWithin(ctx, store.Brand{ID: store.NewID("brand"), OrgID: other.org.ID, Name: "b3", CreatedAt: t0, UpdatedAt: t0}, -1); err != nil || n != 3 {
				t.Fatalf("unlimited: %d, %v", n, err)
			}
			_, err = db.CreateBrandWithin(ctx, store.Brand{ID: store.NewID("brand"), OrgID: "org_missing", Name: "x", CreatedAt: t0, UpdatedAt: t0}, 5)
			if !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("unknown organisation: %v", err)
			}
		})

		t.Run("accounts per brand", func(t *testing.T) {
			// A's brand has 1 account; a limit of 3 leaves 2 places.
			ok, limited := race(t, dbs, 20, func(db *sqlstore.DB, i int) error {
				acct := a.acct
				acct.ID, acct.NativeID = store.NewID("acct"), fmt.Sprint("native-", i)
				_, err := db.CreateAccountWithin(ctx, acct, 3)
				return err
			})
			if ok != 2 || limited != 18 {
				t.Fatalf("20 concurrent accounts at 1/3: %d created, %d refused; want 2 and 18", ok, limited)
			}
		})

		t.Run("connect holds and accounts share the count", func(t *testing.T) {
			brand := store.Brand{ID: store.NewID("brand"), OrgID: a.org.ID, Name: "holds", CreatedAt: t0, UpdatedAt: t0}
			if err := db.CreateBrand(ctx, brand); err != nil {
				t.Fatal(err)
			}
			sessions := make([]string, 20)
			for i := range sessions {
				s := store.ConnectSession{ID: store.NewID("cs"), OrgID: a.org.ID, BrandID: brand.ID, Platform: "x",
					SecretHash: fmt.Appendf(nil, "race-%d", i), Status: store.ConnectPending, ExpiresAt: t0.Add(15 * time.Minute), CreatedAt: t0, UpdatedAt: t0}
				if err := db.CreateConnectSession(ctx, s); err != nil {
					t.Fatal(err)
				}
				if err := db.StartConnectSession(ctx, s.ID, nil, nil, t0); err != nil {
					t.Fatal(err)
				}
				sessions[i] = s.ID
			}
			ok, limited := race(t, dbs, 20, func(db *sqlstore.DB, i int) error {
				if i%2 == 0 {
					_, err := db.HoldConnectSlot(ctx, sessions[i], 3, t0, t0.Add(5*time.Minute))
					return err
				}
				acct := a.acct
				acct.ID, acct.BrandID, acct.NativeID = store.NewID("acct"), brand.ID, fmt.Sprint("held-", i)
				_, err := db.CreateAccountWithin(ctx, acct, 3)
				return err
			})
			if ok != 3 || limited != 17 {
				t.Fatalf("10 holds and 10 accounts at 0/3: %d taken, %d refused; want 3 and 17", ok, limited)
			}
		})

		t.Run("organisations and plans", func(t *testing.T) {
			if err := db.SetOrganizationPlan(ctx, a.org.ID, "pro"); err != nil {
				t.Fatal(err)
			}
			if err := db.SetOrganizationPlan(ctx, "org_missing", "pro"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("unknown organisation: %v", err)
			}
			orgs, err := db.ListOrganizations(ctx, store.Page{Limit: 1})
			if err != nil || len(orgs) != 2 || orgs[0].ID != a.org.ID || orgs[0].Plan != "pro" {
				t.Fatalf("first page %+v, %v", orgs, err)
			}
			orgs, err = db.ListOrganizations(ctx, store.Page{After: a.org.ID, Limit: 10})
			if err != nil || len(orgs) != 1 || orgs[0].ID != other.org.ID || orgs[0].Plan != "" {
				t.Fatalf("second page %+v, %v", orgs, err)
			}
		})
	})
}
