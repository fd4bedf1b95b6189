// Package plantable is the table of plans organisations can be on (DESIGN
// §9): the shipped tiers, and the operator's own read from a JSON file.
//
// It is pure (standard library only), so configuration can validate a plans
// file before anything starts, and the plans capability enforces what it says.
package plantable

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
)

// Unlimited is the plan with no limit at all: the default for a self-hosted
// team, which should never notice that plans exist.
const Unlimited = "unlimited"

// Limit is a maximum, or no maximum. The zero value is a limit of zero.
type Limit struct {
	// Max is the maximum when Unlimited is false.
	Max int
	// Unlimited means there is no maximum.
	Unlimited bool
}

// Of returns the limit n.
func Of(n int) Limit { return Limit{Max: n} }

// None is no limit.
func None() Limit { return Limit{Unlimited: true} }

// Allows reports whether used+1 stays within the limit.
func (l Limit) Allows(used int) bool { return l.Unlimited || used < l.Max }

// String is the limit as the plans file writes it.
func (l Limit) String() string {
	if l.Unlimited {
		return Unlimited
	}
	return strconv.Itoa(l.Max)
}

// MarshalJSON writes a number, or "unlimited".
func (l Limit) MarshalJSON() ([]byte, error) {
	if l.Unlimited {
		return []byte(`"unlimited"`), nil
	}
	return []byte(strconv.Itoa(l.Max)), nil
}

// maxLimit bounds every limit, so sums and comparisons in SQL stay within
// 32-bit integers on both backends.
const maxLimit = 1_000_000_000

// UnmarshalJSON reads a whole number from 0 to 1e9, or "unlimited". null is
// refused: an operator who means unlimited writes it.
func (l *Limit) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == `"unlimited"` {
		*l = None()
		return nil
	}
	n, err := strconv.Atoi(string(b))
	if err != nil || n < 0 || n > maxLimit {
		return fmt.Errorf("want a whole number from 0 to %d, or \"unlimited\", not %s", maxLimit, truncate(string(b)))
	}
	*l = Of(n)
	return nil
}

// Plan is what an organisation on it may do.
type Plan struct {
	// Name identifies the plan (organisations store it).
	Name string `json:"name"`
	// MaxBrands is how many brands an organisation may have.
	MaxBrands Limit `json:"max_brands"`
	// MaxAccountsPerBrand is how many connected accounts one brand may
	// have; unlimited unless the file sets it.
	MaxAccountsPerBrand Limit `json:"max_accounts_per_brand"`
	// MonthlyInteractions is how many messages the organisation may send
	// per UTC calendar month (inbound messages are never limited).
	MonthlyInteractions Limit `json:"monthly_interactions"`
	// RequestsPerMinute replaces PARLEY_ORG_QUOTA for organisations on the
	// plan when above 0; 0 keeps the server's.
	RequestsPerMinute int `json:"requests_per_minute"`
}

// Table is a set of plans, in the order they were given.
type Table struct {
	plans []Plan
}

// Plans lists the table's plans in order.
func (t Table) Plans() []Plan { return append([]Plan(nil), t.plans...) }

// Lookup finds a plan by name.
func (t Table) Lookup(name string) (Plan, bool) {
	for _, p := range t.plans {
		if p.Name == name {
			return p, true
		}
	}
	return Plan{}, false
}

// Names lists the plans' names in order.
func (t Table) Names() []string {
	out := make([]string, len(t.plans))
	for i, p := range t.plans {
		out[i] = p.Name
	}
	return out
}

// Shipped is the default table: the tiers hosted DM APIs sell (free: 2
// brands and 50 interactions a month; starter 10 brands, pro 50, business
// 200, enterprise unlimited; paid tiers with unlimited interactions), and
// unlimited, the default plan of a self-hosted Parley.
func Shipped() Table {
	tier := func(name string, brands Limit) Plan {
		return Plan{Name: name, MaxBrands: brands, MaxAccountsPerBrand: None(), MonthlyInteractions: None()}
	}
	free := tier("free", Of(2))
	free.MonthlyInteractions = Of(50)
	return Table{plans: []Plan{
		free,
		tier("starter", Of(10)),
		tier("pro", Of(50)),
		tier("business", Of(200)),
		tier("enterprise", None()),
		tier(Unlimited, None()),
	}}
}

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

// maxFile bounds a plans file: a table is a few hundred bytes per plan.
const maxFile = 1 << 20

// file is the JSON shape of a plans file.
type file struct {
	Plans []filePlan `json:"plans"`
}

// filePlan requires max_brands and monthly_interactions to be written out:
// a forgotten field must not silently mean unlimited.
type filePlan struct {
	Name                string `json:"name"`
	MaxBrands           *Limit `json:"max_brands"`
	MaxAccountsPerBrand *Limit `json:"max_accounts_per_brand"`
	MonthlyInteractions *Limit `json:"monthly_interactions"`
	RequestsPerMinute   *int   `json:"requests_per_minute"`
}

// Parse reads a plans file:
//
//	{"plans": [{"name": "free", "max_brands": 2, "monthly_interactions": 50,
//	            "max_accounts_per_brand": 5, "requests_per_minute": 60}, …]}
//
// Limits are whole numbers or "unlimited"; max_brands and
// monthly_interactions are required, max_accounts_per_brand (unlimited) and
// requests_per_minute (0: the server's PARLEY_ORG_QUOTA) are optional.
// Unknown fields, duplicate names and trailing data are errors naming what
// is wrong, so a typo never loosens a limit.
func Parse(data []byte) (Table, error) {
	if len(data) > maxFile {
		return Table{}, fmt.Errorf("the file is larger than %d bytes", maxFile)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f file
	if err := dec.Decode(&f); err != nil {
		return Table{}, fmt.Errorf("want JSON {\"plans\": [{\"name\": …, \"max_brands\": …, \"monthly_interactions\": …}, …]}: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Table{}, errors.New("want one JSON object; there is more after it")
	}
	if len(f.Plans) == 0 {
		return Table{}, errors.New(`want at least one plan in "plans"`)
	}
	t := Table{plans: make([]Plan, 0, len(f.Plans))}
	for i, fp := range f.Plans {
		where := fmt.Sprintf("plans[%d]", i)
		if !namePattern.MatchString(fp.Name) {
			return Table{}, fmt.Errorf("%s: name %s must be 1-40 lowercase letters, digits, - or _, starting with a letter or digit", where, truncate(strconv.Quote(fp.Name)))
		}
		where += " (" + fp.Name + ")"
		if _, dup := t.Lookup(fp.Name); dup {
			return Table{}, fmt.Errorf("%s: the name is used twice", where)
		}
		switch {
		case fp.MaxBrands == nil:
			return Table{}, fmt.Errorf("%s: max_brands is required (a number, or \"unlimited\")", where)
		case fp.MonthlyInteractions == nil:
			return Table{}, fmt.Errorf("%s: monthly_interactions is required (a number, or \"unlimited\")", where)
		case fp.RequestsPerMinute != nil && (*fp.RequestsPerMinute < 0 || *fp.RequestsPerMinute > maxLimit):
			return Table{}, fmt.Errorf("%s: requests_per_minute must be from 0 (the server's PARLEY_ORG_QUOTA) to %d", where, maxLimit)
		}
		p := Plan{Name: fp.Name, MaxBrands: *fp.MaxBrands, MaxAccountsPerBrand: None(), MonthlyInteractions: *fp.MonthlyInteractions}
		if fp.MaxAccountsPerBrand != nil {
			p.MaxAccountsPerBrand = *fp.MaxAccountsPerBrand
		}
		if fp.RequestsPerMinute != nil {
			p.RequestsPerMinute = *fp.RequestsPerMinute
		}
		t.plans = append(t.plans, p)
	}
	return t, nil
}

// Load is the table PARLEY_PLANS_FILE names: the shipped one when path is
// empty, otherwise the file, parsed.
func Load(path string) (Table, error) {
	if path == "" {
		return Shipped(), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return Table{}, fmt.Errorf("cannot read the plans file: %v", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFile+1))
	if err != nil {
		return Table{}, fmt.Errorf("cannot read the plans file: %v", err)
	}
	return Parse(data)
}

// truncate keeps an echoed value short.
func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
