package config

import (
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// Error is one invalid variable: which, the value given and what was
// expected. Load and Validate join one per invalid variable.
type Error struct {
	// Var is the environment variable, PARLEY_….
	Var string
	// Flag is set when the value came from this flag (without dashes).
	Flag string
	// Value is the value as given; secrets are never kept here.
	Value string
	// Hidden: the value is a secret and is not shown.
	Hidden bool
	// Want says what a valid value is.
	Want string
}

func (e *Error) Error() string {
	val := fmt.Sprintf("%q", e.Value)
	if e.Hidden {
		val = "(value hidden)"
	}
	if e.Flag != "" {
		return fmt.Sprintf("--%s=%s (%s): %s", e.Flag, val, e.Var, e.Want)
	}
	return fmt.Sprintf("%s=%s: %s", e.Var, val, e.Want)
}

// shown is a value as an error may print it: secrets not at all, and a
// database URL without its password.
func shown(v variable, s string) (string, bool) {
	if v.secret {
		return "", true
	}
	if v.name == "PARLEY_DATABASE_URL" {
		if u, err := url.Parse(s); err == nil {
			return u.Redacted(), false
		}
		return "", true // unparseable: it may still hold a password
	}
	return s, false
}

// validate checks c; given names the text each variable was read from
// (Load), so an error shows the value as the operator wrote it, and
// fromFlag those read from a flag.
func (c Config) validate(given map[string]string, fromFlag map[string]bool) error {
	var errs []error
	for _, v := range table() {
		if v.check == nil {
			continue
		}
		if err := v.check(&c); err != nil {
			s, ok := given[v.name]
			if !ok {
				s = v.show(&c)
			}
			errs = append(errs, v.error(s, fromFlag[v.name], err))
		}
	}
	return errors.Join(errs...)
}

func (v variable) error(value string, fromFlag bool, why error) *Error {
	val, hidden := shown(v, value)
	e := &Error{Var: v.name, Value: val, Hidden: hidden, Want: why.Error()}
	if fromFlag {
		e.Flag = v.flag
	}
	return e
}

// Load is how every command reads its configuration: the defaults, then
// environ (os.Environ's form) over them, then flags (flag name without
// dashes → value, only those the user set) over that, then Validate. An
// empty variable counts as unset, as shells and compose files write unset
// ones. The error joins one *Error per invalid variable and one
// *UnknownError per PARLEY_* variable that is a likely misspelling of a
// known one; warnings name the other PARLEY_* variables Parley does not
// read.
func Load(environ []string, flags map[string]string) (cfg Config, warnings []string, err error) {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	var errs []error
	unknown, warnings := checkNames(env)
	errs = append(errs, unknown...)

	cfg = Defaults()
	fromFlag, given := map[string]bool{}, map[string]string{}
	for _, v := range table() {
		s, flag := env[v.name], false
		if fv, ok := flags[v.flag]; ok && v.flag != "" {
			s, flag = fv, true
		}
		fromFlag[v.name] = flag
		if s == "" && !flag {
			continue
		}
		given[v.name] = s
		if err := v.parse(&cfg, s); err != nil {
			errs = append(errs, v.error(s, flag, err))
			// Keep the default so Validate does not report it twice.
		}
	}
	for name := range flags {
		if !isFlag(name) {
			errs = append(errs, fmt.Errorf("config: no variable has flag --%s", name))
		}
	}
	if err := cfg.validate(given, fromFlag); err != nil {
		errs = append(errs, err)
	}
	return cfg, warnings, errors.Join(errs...)
}

func isFlag(name string) bool {
	for _, v := range table() {
		if v.flag == name && name != "" {
			return true
		}
	}
	return false
}

// OtherVariables are the PARLEY_* variables read by something other than the server:
// the client commands (`parley mcp`, `parley sandbox say`) and the tests.
// They are known, so setting them draws no warning.
func OtherVariables() []string {
	return []string{"PARLEY_URL", "PARLEY_API_KEY", "PARLEY_TEST_DATABASE_URL"}
}

// UnknownError is a PARLEY_* variable Parley does not read but whose name is
// within typoDistance edits of one it does.
type UnknownError struct {
	Name, Closest string
}

func (e *UnknownError) Error() string {
	return fmt.Sprintf("%s is not a Parley variable; did you mean %s? (unset or rename it: as it is, %s keeps its default)", e.Name, e.Closest, e.Closest)
}

// typoDistance is how many single-character edits separate a misspelling
// from the name meant. Unknown names this close are refused rather than
// warned about: PARLEY_DATABSE_URL would otherwise start a production
// server on an empty SQLite file beside it, and a warning scrolls by while
// the server runs. Names further off are warned about only, so an
// environment shared with other tools, or written for a newer Parley (a
// rollback), still starts. A known name is always accepted as it is;
// TestKnownNamesFarApart keeps new names more than typoDistance from the
// others, so an older Parley warns about, not refuses, a newer one's names.
const typoDistance = 2

func checkNames(env map[string]string) (errs []error, warnings []string) {
	known := make([]string, 0, len(table())+3)
	for _, v := range table() {
		known = append(known, v.name)
	}
	known = append(known, OtherVariables()...)
	var names []string
	for k := range env {
		if strings.HasPrefix(strings.ToUpper(k), "PARLEY_") {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		closest, d := "", -1
		for _, n := range known {
			if n == k {
				d = -2
				break
			}
			// Case matters to the environment but not to the reader of a
			// typo: parley_listen is PARLEY_LISTEN misspelt.
			if dd := distance(strings.ToUpper(k), n); d == -1 || dd < d {
				closest, d = n, dd
			}
		}
		switch {
		case d == -2:
		case d <= typoDistance:
			errs = append(errs, &UnknownError{Name: k, Closest: closest})
		default:
			warnings = append(warnings, fmt.Sprintf("%s is not a variable Parley reads and is ignored (closest: %s)", k, closest))
		}
	}
	return errs, warnings
}

// distance is the Levenshtein distance between a and b (bytes: the names
// are ASCII).
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
