package domain

import (
	"context"
	"time"

	"github.com/parleyhq/parley/internal/store"
)

// Count adds n to bucket's counter for the fixed window of the given length
// that holds now, and returns the window's count and the time until it
// ends. Every limit — the platforms' ceilings, the callers' quotas, failed
// authentications — uses it; the counters live in the database, so a limit
// holds across every replica sharing it.
func Count(ctx context.Context, st store.Store, now time.Time, bucket string, length time.Duration, n int) (int, time.Duration, error) {
	w := now.UnixNano() / int64(length)
	end := time.Unix(0, (w+1)*int64(length))
	total, err := st.Hit(ctx, bucket, w, n, end.Add(length))
	return total, end.Sub(now), err
}
