package main

import (
	"bufio"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
)

// Mutation is one reviewed change to the code that a test must notice.
type Mutation struct {
	Name string
	// File is the Go file to change, relative to the module root.
	File string
	// Test is the `go test` arguments that must fail on the mutant:
	// packages, then optionally -run and its pattern.
	Test []string
	// Why says what a user would lose if the line went missing.
	Why string
	// Pending, when set, says why the mutant may survive on this branch
	// (its test lands with another change); a surviving pending mutant is
	// reported but does not fail the run.
	Pending string
	// Old must occur exactly once in File; New replaces it.
	Old, New string
	// Line is where the mutation starts in the list, for messages.
	Line int
}

// parseList reads the mutation list format documented at the top of
// mutations.txt.
func parseList(path string) ([]Mutation, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var (
		out   []Mutation
		cur   *Mutation
		block *[]string // the snippet being read, nil in the header
		old   []string
		repl  []string
		errs  []error
	)
	flush := func() {
		if cur == nil {
			return
		}
		cur.Old = strings.TrimRight(strings.Join(old, "\n"), "\n")
		cur.New = strings.TrimRight(strings.Join(repl, "\n"), "\n")
		switch {
		case cur.File == "":
			errs = append(errs, fmt.Errorf("%s:%d: %s: no file: line", path, cur.Line, cur.Name))
		case len(cur.Test) == 0:
			errs = append(errs, fmt.Errorf("%s:%d: %s: no test: line", path, cur.Line, cur.Name))
		case cur.Why == "":
			errs = append(errs, fmt.Errorf("%s:%d: %s: no why: line", path, cur.Line, cur.Name))
		case cur.Old == "":
			errs = append(errs, fmt.Errorf("%s:%d: %s: empty --- old snippet", path, cur.Line, cur.Name))
		case cur.Old == cur.New:
			errs = append(errs, fmt.Errorf("%s:%d: %s: --- new is the same as --- old", path, cur.Line, cur.Name))
		case trailingBlank(cur.Old) || trailingBlank(cur.New):
			// Editors strip trailing blanks, which would silently change
			// the snippet: end it at a visible character instead.
			errs = append(errs, fmt.Errorf("%s:%d: %s: a snippet line ends in a space or tab", path, cur.Line, cur.Name))
		}
		out = append(out, *cur)
		cur, block, old, repl = nil, nil, nil, nil
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	names := map[string]bool{}
	lastKey := ""
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if name, ok := strings.CutPrefix(line, "=== "); ok {
			flush()
			name = strings.TrimSpace(name)
			if names[name] {
				errs = append(errs, fmt.Errorf("%s:%d: mutation %q listed twice", path, n, name))
			}
			names[name] = true
			cur = &Mutation{Name: name, Line: n}
			lastKey = ""
			continue
		}
		if cur == nil {
			if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "#") {
				errs = append(errs, fmt.Errorf("%s:%d: text before the first === mutation", path, n))
			}
			continue
		}
		switch line {
		case "--- old":
			block = &old
			continue
		case "--- new":
			if block != &old {
				errs = append(errs, fmt.Errorf("%s:%d: --- new before --- old", path, n))
			}
			block = &repl
			continue
		}
		if block != nil {
			*block = append(*block, line)
			continue
		}
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			// An indented line continues why: or pending:.
			switch lastKey {
			case "why":
				cur.Why = joinText(cur.Why, t)
				continue
			case "pending":
				cur.Pending = joinText(cur.Pending, t)
				continue
			}
		}
		key, val, ok := strings.Cut(t, ":")
		val = strings.TrimSpace(val)
		lastKey = key
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("%s:%d: want key: value, --- old or --- new", path, n))
		case key == "file":
			cur.File = val
		case key == "test":
			cur.Test = strings.Fields(val)
		case key == "why":
			cur.Why = joinText(cur.Why, val)
		case key == "pending":
			cur.Pending = joinText(cur.Pending, val)
		default:
			errs = append(errs, fmt.Errorf("%s:%d: unknown key %q", path, n, key))
		}
	}
	flush()
	if err := sc.Err(); err != nil {
		errs = append(errs, err)
	}
	return out, errors.Join(errs...)
}

func trailingBlank(s string) bool {
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimRight(l, " \t") != l {
			return true
		}
	}
	return false
}

// joinText lets why: and pending: span several lines.
func joinText(a, b string) string {
	if a == "" {
		return b
	}
	return a + " " + b
}

// apply returns the mutated source of m.File under root, or why the list
// no longer matches the code.
func (m Mutation) apply(root string) (original, mutated []byte, err error) {
	original, err = os.ReadFile(filepath.Join(root, filepath.FromSlash(m.File)))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", m.Name, err)
	}
	src := string(original)
	switch n := strings.Count(src, m.Old); n {
	case 1:
	case 0:
		return nil, nil, fmt.Errorf("%s: the --- old snippet no longer occurs in %s (list line %d): update the list to the code", m.Name, m.File, m.Line)
	default:
		return nil, nil, fmt.Errorf("%s: the --- old snippet occurs %d times in %s (list line %d): widen it so it names one place", m.Name, n, m.File, m.Line)
	}
	mutated = []byte(strings.Replace(src, m.Old, m.New, 1))
	// A mutant must still be Go; whether it type-checks is up to go test
	// (a build failure is reported as a broken mutation, never as killed).
	if _, err := parser.ParseFile(token.NewFileSet(), m.File, mutated, parser.SkipObjectResolution); err != nil {
		return nil, nil, fmt.Errorf("%s: the mutant of %s does not parse: %v", m.Name, m.File, err)
	}
	return original, mutated, nil
}

// packages returns the package patterns of m.Test (everything before the
// first flag).
func (m Mutation) packages() []string {
	var pkgs []string
	for _, a := range m.Test {
		if strings.HasPrefix(a, "-") {
			break
		}
		pkgs = append(pkgs, a)
	}
	return pkgs
}
