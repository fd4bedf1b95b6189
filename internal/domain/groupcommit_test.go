package domain

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/parleyhq/parley/internal/testsupport"
)

// recorder is a run function that remembers each batch it was given and
// fails any batch holding a "bad" item. Until release is closed, the
// first call blocks, so the test can queue requests behind it.
type recorder struct {
	mu      sync.Mutex
	batches [][]string
	release chan struct{}
	once    sync.Once
}

func (r *recorder) run(items []string) error {
	r.once.Do(func() { <-r.release })
	r.mu.Lock()
	r.batches = append(r.batches, slices.Clone(items))
	r.mu.Unlock()
	if slices.Contains(items, "bad") {
		return errors.New("bad item")
	}
	return nil
}

// queued reports how many requests wait behind the running batch.
func queued(g *GroupCommit[string]) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.pending)
}

// block starts a first request whose batch holds the committer until
// r.release is closed, and waits until it is running.
func block(t *testing.T, g *GroupCommit[string], r *recorder) <-chan error {
	t.Helper()
	first := make(chan error, 1)
	go func() { first <- g.Commit(context.Background(), "first", r.run) }()
	testsupport.Eventually(t, func() bool { return queued(g) == 0 && g.isRunning() }, "the first batch starts")
	return first
}

func (g *GroupCommit[T]) isRunning() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.running > 0
}

// Requests that arrive while a batch commits share the next one: N
// waiting requests cost one more transaction, not N.
func TestGroupCommitSharesOneBatch(t *testing.T) {
	t.Parallel()
	var g GroupCommit[string]
	r := &recorder{release: make(chan struct{})}
	first := block(t, &g, r)
	const n = 20
	errs := make(chan error, n)
	for i := range n {
		go func() { errs <- g.Commit(context.Background(), string(rune('a'+i)), r.run) }()
	}
	testsupport.Eventually(t, func() bool { return queued(&g) == n }, "every request queues behind the first")
	close(r.release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if len(r.batches) != 2 || len(r.batches[1]) != n {
		t.Fatalf("batches %v: want the first alone, then all %d waiting in one", r.batches, n)
	}
}

// One bad request fails only itself: its batch is retried one request
// at a time, and its neighbours commit.
func TestGroupCommitIsolatesAFailingRequest(t *testing.T) {
	t.Parallel()
	var g GroupCommit[string]
	r := &recorder{release: make(chan struct{})}
	first := block(t, &g, r)
	items := []string{"a", "bad", "b"}
	errs := make(map[string]chan error, len(items))
	for _, it := range items {
		ch := make(chan error, 1)
		errs[it] = ch
		go func() { ch <- g.Commit(context.Background(), it, r.run) }()
	}
	testsupport.Eventually(t, func() bool { return queued(&g) == len(items) }, "the requests queue")
	close(r.release)
	<-first
	for _, it := range items {
		err := <-errs[it]
		if (it == "bad") != (err != nil) {
			t.Errorf("request %q: %v", it, err)
		}
	}
	// The shared batch failed, then each request ran alone.
	if len(r.batches) != 5 || len(r.batches[1]) != 3 {
		t.Fatalf("batches %v: want [first] [3 together] then each alone", r.batches)
	}
}

// A batch never exceeds maxBatch requests, however many wait.
func TestGroupCommitBoundsTheBatch(t *testing.T) {
	t.Parallel()
	var g GroupCommit[string]
	r := &recorder{release: make(chan struct{})}
	first := block(t, &g, r)
	n := maxBatch + 10
	errs := make(chan error, n)
	for range n {
		go func() { errs <- g.Commit(context.Background(), "x", r.run) }()
	}
	testsupport.Eventually(t, func() bool { return queued(&g) == n }, "every request queues")
	close(r.release)
	<-first
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	var sizes []int
	for _, b := range r.batches[1:] {
		sizes = append(sizes, len(b))
	}
	if !slices.Equal(sizes, []int{maxBatch, 10}) {
		t.Fatalf("batch sizes %v, want [%d 10]", sizes, maxBatch)
	}
}

// A waiting request whose caller gives up answers at once with the
// context's error (the platform retries; de-duplication absorbs it).
func TestGroupCommitWaiterHonoursItsContext(t *testing.T) {
	t.Parallel()
	var g GroupCommit[string]
	r := &recorder{release: make(chan struct{})}
	first := block(t, &g, r)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Commit(ctx, "late", r.run) }()
	testsupport.Eventually(t, func() bool { return queued(&g) == 1 }, "the request queues")
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("waiter: %v, want context.Canceled", err)
	}
	close(r.release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
}

// A committer's caller returns once its own batch is done, however long
// the requests that queued behind it take: under steady load the
// committer never runs out of batches, and its caller must not wait for
// them (a webhook's sender times out).
func TestGroupCommitCallerDoesNotWaitForLaterBatches(t *testing.T) {
	t.Parallel()
	var g GroupCommit[string]
	started, release, later := make(chan struct{}), make(chan struct{}), make(chan struct{})
	var calls atomic.Int32
	// The committer's run: the first batch waits for release, the next
	// for later.
	run := func([]string) error {
		if calls.Add(1) == 1 {
			close(started)
			<-release
		} else {
			<-later
		}
		return nil
	}
	first := make(chan error, 1)
	go func() { first <- g.Commit(context.Background(), "first", run) }()
	<-started
	second := make(chan error, 1)
	go func() { second <- g.Commit(context.Background(), "second", run) }()
	testsupport.Eventually(t, func() bool { return queued(&g) == 1 }, "the second request queues")
	close(release)
	var firstErr error
	testsupport.Eventually(t, func() bool {
		select {
		case firstErr = <-first:
			return true
		default:
			return false
		}
	}, "the first caller returns while the next batch commits")
	if firstErr != nil {
		t.Fatal(firstErr)
	}
	select {
	case err := <-second:
		t.Fatalf("the second request finished (%v) before its batch could commit", err)
	default:
	}
	close(later)
	if err := <-second; err != nil {
		t.Fatal(err)
	}
	testsupport.Eventually(t, func() bool { return !g.isRunning() }, "the committer stops once nothing is pending")
}
