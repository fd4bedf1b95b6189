package api_test

import (
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/secrets"
)

func t0() time.Time { return time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) }

func mustKey(tb testing.TB) string {
	tb.Helper()
	k, err := secrets.GenerateKey(t0())
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// operatorToken is the PARLEY_OPERATOR_TOKEN of newEnv's servers.
const operatorToken = "op_test_0123456789abcdefghijklmnopqrstuvwxyz"
