package ingest

import (
	"context"
	"sync"
)

// maxBatch bounds how many requests share one transaction.
const maxBatch = 256

// groupCommit makes concurrent requests share transactions: the first
// request to arrive commits its own work and whatever queued meanwhile, and
// keeps going while more arrives; the others wait for their batch. With one
// SQLite writer or a PostgreSQL fsync per commit, this turns N commits into
// a few without delaying anyone by a timer.
type groupCommit[T any] struct {
	mu      sync.Mutex
	pending []*gcReq[T]
	running bool
}

type gcReq[T any] struct {
	item T
	done chan error
}

// commit runs item in some call of run (one transaction over a batch) and
// returns that transaction's result. If a batch fails, each request of it
// is retried alone, so one bad request cannot fail its neighbours.
func (g *groupCommit[T]) commit(ctx context.Context, item T, run func([]T) error) error {
	req := &gcReq[T]{item: item, done: make(chan error, 1)}
	g.mu.Lock()
	g.pending = append(g.pending, req)
	if g.running {
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
	g.running = true
	for {
		batch := g.pending
		if len(batch) > maxBatch {
			batch = batch[:maxBatch]
		}
		g.pending = g.pending[len(batch):]
		g.mu.Unlock()
		g.run(batch, run)
		g.mu.Lock()
		if len(g.pending) == 0 {
			g.running = false
			g.mu.Unlock()
			break
		}
	}
	return <-req.done
}

func (g *groupCommit[T]) run(batch []*gcReq[T], run func([]T) error) {
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
