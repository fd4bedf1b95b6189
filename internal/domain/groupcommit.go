package domain

import (
	"context"
	"sync"
)

// maxBatch bounds how many requests share one transaction.
const maxBatch = 256

// GroupCommit makes concurrent requests share transactions: the first
// request to arrive commits its own work; what queues meanwhile is the next
// batch, committed as soon as that one ends (by a goroutine, so the first
// caller returns at once), and so on while more arrives; the others wait for
// their batch. With one
// SQLite writer or a PostgreSQL fsync per commit, this turns N commits into
// a few without delaying anyone by a timer.
//
// Up to Limit batches run at once (one when Limit is 0). SQLite has one
// writer, so one committer is all it can use. PostgreSQL flushes the WAL of
// concurrent commits together and spends most of a batch's time on round
// trips and that flush, not on the CPU: with a single committer a replica
// leaves the database idle between its commits, and its throughput is one
// batch per transaction latency; a few committers overlap them.
//
// The zero value is ready to use.
type GroupCommit[T any] struct {
	Limit   int
	mu      sync.Mutex
	pending []*gcReq[T]
	running int
}

type gcReq[T any] struct {
	item T
	done chan error
}

// Commit runs item in some call of run (one transaction over a batch) and
// returns that transaction's result. If a batch fails, each request of it
// is retried alone, so one bad request cannot fail its neighbours.
func (g *GroupCommit[T]) Commit(ctx context.Context, item T, run func([]T) error) error {
	req := &gcReq[T]{item: item, done: make(chan error, 1)}
	g.mu.Lock()
	g.pending = append(g.pending, req)
	if g.running >= max(g.Limit, 1) {
		g.mu.Unlock()
		select {
		case err := <-req.done:
			return err
		case <-ctx.Done():
			// Our item may still commit; the caller answers an error and the
			// platform retries, which de-duplication absorbs.
			return ctx.Err()
		}
	}
	g.running++
	batch := g.take()
	g.mu.Unlock()
	g.run(batch, run)
	// Our batch is done. What queued meanwhile is committed by a goroutine
	// that takes over this committer: were the caller to keep committing
	// other requests' batches, under steady load it would never return.
	g.mu.Lock()
	if len(g.pending) == 0 {
		g.running--
	} else {
		go g.drain(run)
	}
	g.mu.Unlock()
	return <-req.done
}

// take removes the next batch from pending; g.mu is held.
func (g *GroupCommit[T]) take() []*gcReq[T] {
	batch := g.pending
	if len(batch) > maxBatch {
		batch = batch[:maxBatch]
	}
	g.pending = g.pending[len(batch):]
	return batch
}

// drain commits batches until none is pending, as one committer.
func (g *GroupCommit[T]) drain(run func([]T) error) {
	for {
		g.mu.Lock()
		if len(g.pending) == 0 {
			g.running--
			g.mu.Unlock()
			return
		}
		batch := g.take()
		g.mu.Unlock()
		g.run(batch, run)
	}
}

func (g *GroupCommit[T]) run(batch []*gcReq[T], run func([]T) error) {
	items := make([]T, len(batch))
	for i, r := range batch {
		items[i] = r.item
	}
	err := run(items)
	if err != nil && len(batch) > 1 {
		for _, r := range batch {
			r.done <- run([]T{r.item})
		}
		return
	}
	for _, r := range batch {
		r.done <- err
	}
}
