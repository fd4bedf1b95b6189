package api_test

import "time"

func t0() time.Time { return time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) }
