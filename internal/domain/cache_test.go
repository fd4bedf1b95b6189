package domain

import (
	"testing"
	"time"
)

// TestTTLCache: an entry answers until HotCacheTTL has passed and not
// after; Forget drops exactly what it selects.
func TestTTLCache(t *testing.T) {
	t.Parallel()
	var c TTLCache[string, int]
	now := time.Unix(100, 0)
	if _, ok := c.Get("a", now); ok {
		t.Fatal("empty cache answers")
	}
	c.Put("a", 1, now)
	c.Put("b", 2, now)
	if v, ok := c.Get("a", now.Add(HotCacheTTL-time.Nanosecond)); !ok || v != 1 {
		t.Fatalf("fresh entry = %v, %v", v, ok)
	}
	if _, ok := c.Get("a", now.Add(HotCacheTTL)); ok {
		t.Fatal("expired entry answers")
	}
	c.Forget(func(k string, _ int) bool { return k == "b" })
	if _, ok := c.Get("b", now); ok {
		t.Fatal("forgotten entry answers")
	}
	if _, ok := c.Get("a", now); !ok {
		t.Fatal("Forget dropped an entry it did not select")
	}
}
