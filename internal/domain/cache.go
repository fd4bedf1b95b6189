package domain

import (
	"sync"
	"time"
)

// HotCacheTTL is how long a replica reuses an API key lookup or an
// account's prepared handle. Changes made on this replica invalidate at
// once; other replicas see them within this bound — a second is the price
// of not reading two rows on every request.
const HotCacheTTL = time.Second

// hotCacheMax bounds a cache's size; a full cache starts over.
const hotCacheMax = 10_000

// TTLCache is a small map whose entries expire after TTL. The zero value is
// ready to use; it is safe for concurrent use.
type TTLCache[K comparable, V any] struct {
	// TTL is how long an entry answers; 0 means HotCacheTTL.
	TTL time.Duration

	mu sync.Mutex
	m  map[K]ttlEntry[V]
}

type ttlEntry[V any] struct {
	v       V
	expires time.Time
}

// Get returns k's entry unless it is missing or expired at now.
func (c *TTLCache[K, V]) Get(k K, now time.Time) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || !now.Before(e.expires) {
		var zero V
		return zero, false
	}
	return e.v, true
}

// Put stores v under k until now+TTL.
func (c *TTLCache[K, V]) Put(k K, v V, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= hotCacheMax {
		c.m = map[K]ttlEntry[V]{}
	}
	ttl := c.TTL
	if ttl <= 0 {
		ttl = HotCacheTTL
	}
	c.m[k] = ttlEntry[V]{v: v, expires: now.Add(ttl)}
}

// Forget drops the entries match selects.
func (c *TTLCache[K, V]) Forget(match func(K, V) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.m {
		if match(k, e.v) {
			delete(c.m, k)
		}
	}
}
