package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/store/postgres"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestBurstReusesConnections drives more concurrent queries than the pool
// has connections, in several waves with idle gaps between them, and counts
// the distinct server backends that answered. A pool that keeps fewer idle
// connections than it opens (database/sql's SetMaxIdleConns below
// SetMaxOpenConns, as before) closes the surplus after every wave and opens
// new backends for the next: more distinct backends than MaxConns. A pool
// that keeps its connections serves every wave from the same ones.
func TestBurstReusesConnections(t *testing.T) {
	url := storetest.FreshPostgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const maxConns, clients, waves = 6, 24, 4
	db, err := postgres.Open(ctx, url, postgres.Pool{MaxConns: maxConns, MinConns: 1, MaxConnLifetime: time.Hour, MaxConnIdleTime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mu sync.Mutex
	backends := map[int]bool{}
	for range waves {
		var wg sync.WaitGroup
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var pid int
				// The sleep keeps every connection busy at once, so the pool
				// reaches its maximum in each wave.
				if err := db.SQL().QueryRowContext(ctx, `SELECT pg_backend_pid() FROM pg_sleep(0.02)`).Scan(&pid); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				backends[pid] = true
				mu.Unlock()
			}()
		}
		wg.Wait()
	}
	if len(backends) != maxConns {
		t.Fatalf("%d distinct backends served %d queries in %d waves; want exactly the pool's %d, opened once and kept",
			len(backends), clients*waves, waves, maxConns)
	}
}
