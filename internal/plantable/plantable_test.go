package plantable

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestShippedTiers pins the tiers DESIGN §9 sells.
func TestShippedTiers(t *testing.T) {
	tab := Shipped()
	want := []struct {
		name         string
		brands, msgs Limit
	}{
		{"free", Of(2), Of(50)},
		{"starter", Of(10), None()},
		{"pro", Of(50), None()},
		{"business", Of(200), None()},
		{"enterprise", None(), None()},
		{"unlimited", None(), None()},
	}
	if got := tab.Names(); len(got) != len(want) {
		t.Fatalf("shipped plans %v, want %d", got, len(want))
	}
	for _, w := range want {
		p, ok := tab.Lookup(w.name)
		if !ok {
			t.Fatalf("no %s plan", w.name)
		}
		if p.MaxBrands != w.brands || p.MonthlyInteractions != w.msgs || !p.MaxAccountsPerBrand.Unlimited || p.RequestsPerMinute != 0 {
			t.Errorf("%s = %+v, want brands %v, interactions %v, accounts unlimited, server quota", w.name, p, w.brands, w.msgs)
		}
	}
}

func TestLimitAllows(t *testing.T) {
	for _, c := range []struct {
		l    Limit
		used int
		want bool
	}{
		{Of(50), 49, true}, {Of(50), 50, false}, {Of(50), 51, false}, {Of(0), 0, false}, {None(), 1 << 30, true},
	} {
		if got := c.l.Allows(c.used); got != c.want {
			t.Errorf("%v.Allows(%d) = %v", c.l, c.used, got)
		}
	}
}

func TestParse(t *testing.T) {
	good := `{"plans":[{"name":"solo","max_brands":1,"monthly_interactions":100,"max_accounts_per_brand":3,"requests_per_minute":60},
		{"name":"big","max_brands":"unlimited","monthly_interactions":"unlimited"}]}`
	tab, err := Parse([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	solo, _ := tab.Lookup("solo")
	if solo.MaxBrands != Of(1) || solo.MonthlyInteractions != Of(100) || solo.MaxAccountsPerBrand != Of(3) || solo.RequestsPerMinute != 60 {
		t.Errorf("solo = %+v", solo)
	}
	big, _ := tab.Lookup("big")
	if !big.MaxBrands.Unlimited || !big.MonthlyInteractions.Unlimited || !big.MaxAccountsPerBrand.Unlimited || big.RequestsPerMinute != 0 {
		t.Errorf("big = %+v", big)
	}
	if _, ok := tab.Lookup("free"); ok {
		t.Error("a plans file replaces the shipped table, but free is still there")
	}

	for _, c := range []struct{ name, body, want string }{
		{"empty", `{"plans":[]}`, "at least one plan"},
		{"not json", `plans`, "want JSON"},
		{"trailing", `{"plans":[{"name":"a","max_brands":1,"monthly_interactions":1}]} {}`, "more after it"},
		{"unknown field", `{"plans":[{"name":"a","max_brand":1,"max_brands":1,"monthly_interactions":1}]}`, `unknown field "max_brand"`},
		{"missing brands", `{"plans":[{"name":"a","monthly_interactions":1}]}`, "max_brands is required"},
		{"missing interactions", `{"plans":[{"name":"a","max_brands":1}]}`, "monthly_interactions is required"},
		{"null is not unlimited", `{"plans":[{"name":"a","max_brands":null,"monthly_interactions":1}]}`, "max_brands is required"},
		{"negative", `{"plans":[{"name":"a","max_brands":-1,"monthly_interactions":1}]}`, "whole number"},
		{"fraction", `{"plans":[{"name":"a","max_brands":1.5,"monthly_interactions":1}]}`, "whole number"},
		{"word", `{"plans":[{"name":"a","max_brands":"lots","monthly_interactions":1}]}`, "whole number"},
		{"huge", `{"plans":[{"name":"a","max_brands":99999999999,"monthly_interactions":1}]}`, "whole number"},
		{"bad name", `{"plans":[{"name":"Free Plan","max_brands":1,"monthly_interactions":1}]}`, "lowercase"},
		{"duplicate", `{"plans":[{"name":"a","max_brands":1,"monthly_interactions":1},{"name":"a","max_brands":2,"monthly_interactions":1}]}`, "used twice"},
		{"negative rpm", `{"plans":[{"name":"a","max_brands":1,"monthly_interactions":1,"requests_per_minute":-5}]}`, "requests_per_minute"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.body))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Parse(%s) = %v, want an error containing %q", c.body, err, c.want)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	if tab, err := Load(""); err != nil || len(tab.Plans()) != len(Shipped().Plans()) {
		t.Fatalf("Load(\"\") = %v, %v; want the shipped table", tab.Names(), err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "absent.json")); err == nil || !strings.Contains(err.Error(), "cannot read") {
		t.Fatalf("missing file: %v", err)
	}
	path := filepath.Join(t.TempDir(), "plans.json")
	if err := os.WriteFile(path, []byte(`{"plans":[{"name":"x","max_brands":3,"monthly_interactions":"unlimited"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tab, err := Load(path)
	if err != nil || tab.Names()[0] != "x" {
		t.Fatalf("Load(file) = %v, %v", tab.Names(), err)
	}
}

// TestShippedRoundTrips: the shipped table written as a plans file reads
// back the same, so an operator can start from it.
func TestShippedRoundTrips(t *testing.T) {
	b, err := json.Marshal(map[string]any{"plans": Shipped().Plans()})
	if err != nil {
		t.Fatal(err)
	}
	tab, err := Parse(b)
	if err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	for i, p := range tab.Plans() {
		if p != Shipped().Plans()[i] {
			t.Errorf("plan %d: %+v, want %+v", i, p, Shipped().Plans()[i])
		}
	}
}

// FuzzParse: whatever the file holds, Parse does not panic, and a table it
// accepts has distinct valid names and limits within bounds.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"plans":[{"name":"free","max_brands":2,"monthly_interactions":50}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := Parse(data)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, p := range tab.Plans() {
			if !namePattern.MatchString(p.Name) || seen[p.Name] {
				t.Fatalf("accepted name %q", p.Name)
			}
			seen[p.Name] = true
			for _, l := range []Limit{p.MaxBrands, p.MonthlyInteractions, p.MaxAccountsPerBrand} {
				if !l.Unlimited && (l.Max < 0 || l.Max > maxLimit) {
					t.Fatalf("accepted limit %d", l.Max)
				}
			}
		}
	})
}
