package client

import (
	"net/http"
	"testing"
	"time"
)

// Seeds live in testdata/fuzz/FuzzXxx/; `go test` replays them, and
// `go test -fuzz FuzzXxx` explores from them.

// FuzzDecodeError: any error response a server or proxy sends becomes an
// *Error with the response's status and a code, never a panic.
func FuzzDecodeError(f *testing.F) {
	f.Fuzz(func(t *testing.T, status int, retryAfterHeader string, body []byte) {
		res := &http.Response{StatusCode: status, Header: http.Header{"Retry-After": {retryAfterHeader}}}
		e := decodeError(res, body, time.Unix(1_800_000_000, 0))
		if e.Code == "" || e.Status != status || e.RetryAfter < 0 || e.RetryAfter > maxRetryAfter {
			t.Fatalf("%d %q %q -> %#v", status, retryAfterHeader, body, e)
		}
	})
}
