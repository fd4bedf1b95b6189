// Package testsupport holds the few helpers every test package shares:
// whether the run is a CI run (which turns skips for missing PostgreSQL or
// Node.js into failures), and Eventually, the one way a test waits for
// asynchronous work.
package testsupport

import (
	"os"
	"strings"
	"testing"
	"time"
)

// CI reports whether the tests run in CI, where a missing dependency
// (PostgreSQL, Node.js) must fail the run instead of skipping tests. CI
// systems set CI to "true", "1", "yes" or their own name; any non-empty
// value counts except "false" and "0" (in any case).
func CI() bool { return ciValue(os.Getenv("CI")) }

func ciValue(v string) bool {
	v = strings.TrimSpace(v)
	return v != "" && !strings.EqualFold(v, "false") && v != "0"
}

// Patience is how long Eventually waits. It is generous on purpose: it only
// costs time when a test is about to fail, and a loaded CI machine running
// the race detector can be tens of times slower than a laptop.
const Patience = 60 * time.Second

// Eventually polls cond until it returns true, and fails the test with the
// message what (formatted with args) if it has not after Patience. Polls
// start at 5 ms and back off to 100 ms.
func Eventually(tb testing.TB, cond func() bool, what string, args ...any) {
	tb.Helper()
	EventuallyWithin(tb, Patience, cond, what, args...)
}

// EventuallyWithin is Eventually with an explicit deadline, for waits that
// are known to take long (a job rescued after a crash).
func EventuallyWithin(tb testing.TB, patience time.Duration, cond func() bool, what string, args ...any) {
	tb.Helper()
	if !Within(patience, cond) {
		tb.Fatalf("still not the case after %s: "+what, append([]any{patience}, args...)...)
	}
}

// Within polls cond until it returns true or patience runs out, and
// reports which: for callers that explain a failure themselves.
func Within(patience time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(patience)
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(wait)
	}
}
