package client

import (
	"errors"
	"net/http"
	"testing"
)

// FuzzDecodeError: any error response a server or proxy sends becomes an
// *Error with the response's status and a code, never a panic.
func FuzzDecodeError(f *testing.F) {
	f.Add(422, []byte(`{"error":{"code":"validation.required","message":"text is required","meta":{"field":"text"}},"request_id":"req_1"}`))
	f.Add(502, []byte(`<html>bad gateway</html>`))
	f.Add(401, []byte(`{"error":{"code":""}}`))
	f.Add(500, []byte(`{"error":"string"}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		res := &http.Response{StatusCode: status, Header: http.Header{}}
		err := decodeError(res, body)
		var e *Error
		if !errors.As(err, &e) || e.API.Code == "" || e.API.Status != status {
			t.Fatalf("%d %q -> %#v", status, body, err)
		}
	})
}
