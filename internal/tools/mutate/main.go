// Command mutate checks that the tests guard the security-critical code: it
// applies each mutation of a fixed, reviewed list (mutations.txt: delete
// this check, drop that org_id filter, seal with a constant nonce, …) and
// runs the tests named for it, which must fail. A mutant the tests do not
// notice is a hole in the suite; a snippet that no longer occurs means the
// list is out of date. Either fails the run.
//
//	go run ./internal/tools/mutate            # every mutation
//	go run ./internal/tools/mutate -only convid -v
//	go run ./internal/tools/mutate -check     # the list still matches the code
//
// Mutants are never written into the work tree: each one is a single file
// in a temporary directory handed to `go test -overlay`, so runs are
// independent and go in parallel. Tests run with CI=true, so a missing
// PostgreSQL fails the baseline instead of killing every mutant.
//
// General-purpose Go mutation tools (gremlins, go-mutesting) flip
// operators at random; they cannot say "drop the org_id filter from this
// query" or "seal with a constant nonce", and their survivors are noise to
// review. A short list, written and reviewed like a test, is the point.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
)

func main() {
	code, err := run(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "mutate:", err)
	}
	os.Exit(code)
}

type options struct {
	list     string
	only     *regexp.Regexp
	jobs     int
	timeout  time.Duration
	check    bool
	verbose  bool
	baseline bool
}

func run(args []string) (int, error) {
	fs := flag.NewFlagSet("mutate", flag.ContinueOnError)
	var o options
	var only string
	fs.StringVar(&o.list, "list", "internal/tools/mutate/mutations.txt", "the mutation list, relative to the module root")
	fs.StringVar(&only, "only", "", "run only the mutations whose name matches this regular expression")
	fs.IntVar(&o.jobs, "j", 2, "mutants tested at once")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Minute, "limit for one mutant's tests")
	fs.BoolVar(&o.check, "check", false, "only check that every snippet still occurs exactly once")
	fs.BoolVar(&o.verbose, "v", false, "name the failing tests that killed each mutant")
	fs.BoolVar(&o.baseline, "baseline", true, "first run every test set on the unmutated code (it must pass)")
	if err := fs.Parse(args); err != nil {
		return 2, nil
	}
	if only != "" {
		re, err := regexp.Compile(only)
		if err != nil {
			return 2, err
		}
		o.only = re
	}
	root, err := moduleRoot()
	if err != nil {
		return 2, err
	}
	all, err := parseList(filepath.Join(root, o.list))
	if err != nil {
		return 2, err
	}
	var ms []Mutation
	for _, m := range all {
		if o.only == nil || o.only.MatchString(m.Name) {
			ms = append(ms, m)
		}
	}
	var stale []error
	for _, m := range ms {
		if _, _, err := m.apply(root); err != nil {
			stale = append(stale, err)
		}
	}
	if len(stale) > 0 {
		return 1, errors.Join(stale...)
	}
	if o.check {
		fmt.Printf("%d mutations, every snippet occurs exactly once\n", len(ms))
		return 0, nil
	}
	if len(ms) == 0 {
		return 2, errors.New("no mutation matches -only")
	}
	return runAll(root, ms, o)
}

// moduleRoot finds go.mod above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside a Go module")
		}
		dir = parent
	}
}

type outcome int

const (
	killed outcome = iota
	survived
	broken // the mutant does not build: the list entry is wrong
)

type result struct {
	m       Mutation
	outcome outcome
	took    time.Duration
	failing []string // names of failed tests
	output  string
}

func runAll(root string, ms []Mutation, o options) (int, error) {
	tmp, err := os.MkdirTemp("", "parley-mutate-")
	if err != nil {
		return 2, err
	}
	defer os.RemoveAll(tmp)
	start := time.Now()
	sem := make(chan struct{}, max(1, o.jobs))

	if o.baseline {
		sets := map[string][]string{}
		for _, m := range ms {
			sets[strings.Join(m.Test, " ")] = m.Test
		}
		fmt.Printf("baseline: %d test sets on the unmutated code\n", len(sets))
		var wg sync.WaitGroup
		var mu sync.Mutex
		var failed []string
		for key, test := range sets {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				if out, err := goTest(root, "", test, o.timeout); err != nil {
					mu.Lock()
					failed = append(failed, fmt.Sprintf("go test %s: %v\n%s", key, err, out))
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(failed) > 0 {
			return 2, fmt.Errorf("the tests fail without any mutation; fix them first:\n%s", strings.Join(failed, "\n"))
		}
		fmt.Printf("baseline passed in %s\n", time.Since(start).Round(time.Second))
	}

	results := make([]result, len(ms))
	var wg sync.WaitGroup
	var printMu sync.Mutex
	for i, m := range ms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			r := testMutant(root, tmp, i, m, o.timeout)
			results[i] = r
			printMu.Lock()
			defer printMu.Unlock()
			fmt.Printf("%-9s %-44s %6s", label(r), m.Name, r.took.Round(100*time.Millisecond))
			if o.verbose && r.outcome == killed && len(r.failing) > 0 {
				fmt.Printf("  by %s", strings.Join(first(r.failing, 3), ", "))
			}
			fmt.Println()
		}()
	}
	wg.Wait()

	var bad, pending int
	fmt.Println()
	for _, r := range results {
		switch {
		case r.outcome == broken:
			bad++
			fmt.Printf("BROKEN %s (%s, list line %d): the mutant does not build, so it proves nothing; fix the list entry.\n%s\n",
				r.m.Name, r.m.File, r.m.Line, tail(r.output, 30))
		case r.outcome == survived && r.m.Pending != "":
			pending++
			fmt.Printf("survived, pending: %s — %s\n", r.m.Name, r.m.Pending)
		case r.outcome == survived:
			bad++
			fmt.Printf("SURVIVED %s (%s, list line %d)\n  why it matters: %s\n  no test in `go test %s` fails when\n%s\n  becomes\n%s\n  Add the test that notices.\n\n",
				r.m.Name, r.m.File, r.m.Line, r.m.Why, strings.Join(r.m.Test, " "), indent(r.m.Old), indent(r.m.New))
		case r.outcome == killed && r.m.Pending != "":
			fmt.Printf("note: %s is killed now; remove its pending: mark.\n", r.m.Name)
		}
	}
	n := 0
	for _, r := range results {
		if r.outcome == killed {
			n++
		}
	}
	fmt.Printf("%d of %d mutants killed (%d pending survived, %d failing) in %s with -j %d\n",
		n, len(results), pending, bad, time.Since(start).Round(time.Second), o.jobs)
	if bad > 0 {
		return 1, nil
	}
	return 0, nil
}

func label(r result) string {
	switch {
	case r.outcome == killed:
		return "killed"
	case r.outcome == broken:
		return "BROKEN"
	case r.m.Pending != "":
		return "pending"
	}
	return "SURVIVED"
}

// testMutant writes the mutant beside an overlay file and runs its tests.
func testMutant(root, tmp string, i int, m Mutation, timeout time.Duration) result {
	r := result{m: m}
	started := time.Now()
	defer func() { r.took = time.Since(started) }()
	_, mutated, err := m.apply(root)
	if err != nil {
		return result{m: m, outcome: broken, output: err.Error()}
	}
	dir := filepath.Join(tmp, fmt.Sprintf("%03d", i))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return result{m: m, outcome: broken, output: err.Error()}
	}
	src := filepath.Join(dir, filepath.Base(m.File))
	overlay := filepath.Join(dir, "overlay.json")
	ov, _ := json.Marshal(map[string]map[string]string{"Replace": {filepath.Join(root, filepath.FromSlash(m.File)): src}})
	if err := errors.Join(os.WriteFile(src, mutated, 0o600), os.WriteFile(overlay, ov, 0o600)); err != nil {
		return result{m: m, outcome: broken, output: err.Error()}
	}
	out, err := goTest(root, overlay, m.Test, timeout)
	r.output = out
	switch {
	case err == nil:
		r.outcome = survived
	case buildFailed(out):
		r.outcome = broken
	default:
		r.outcome = killed
		r.failing = failedTests(out)
	}
	r.took = time.Since(started)
	return r
}

// goTest runs go test with the overlay (none when empty). Vet is off: a
// mutant vet dislikes must still be caught by a test, not by vet.
func goTest(root, overlay string, test []string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout+30*time.Second)
	defer cancel()
	args := []string{"test", "-count=1", "-vet=off", "-failfast", "-timeout=" + timeout.String()}
	if overlay != "" {
		args = append(args, "-overlay="+overlay)
	}
	cmd := exec.CommandContext(ctx, "go", append(args, test...)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CI=true")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func buildFailed(out string) bool {
	return strings.Contains(out, "[build failed]") || strings.Contains(out, "[setup failed]")
}

var failLine = regexp.MustCompile(`(?m)^\s*--- FAIL: (\S+)`)

func failedTests(out string) []string {
	var names []string
	seen := map[string]bool{}
	for _, m := range failLine.FindAllStringSubmatch(out, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			names = append(names, m[1])
		}
	}
	if len(names) == 0 && strings.Contains(out, "panic:") {
		names = append(names, "(panic)")
	}
	return names
}

func first(s []string, n int) []string { return s[:min(n, len(s))] }

func indent(s string) string { return "    | " + strings.ReplaceAll(s, "\n", "\n    | ") }

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
