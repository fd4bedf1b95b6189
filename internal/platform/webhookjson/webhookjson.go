// Package webhookjson holds the lenient JSON readers the platform webhook
// parsers share: ids and timestamps that arrive as strings or numbers.
package webhookjson

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// ID accepts an id sent as a JSON string or number. The platforms document
// strings (Meta's ids and phone numbers, X's Account Activity ids); a number
// (X's v1.1 user objects, a hand-written payload) is tolerated rather than
// dropping the item. Anything else fails the value.
type ID string

// UnmarshalJSON implements json.Unmarshaler.
func (f *ID) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = ID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = ID(n.String())
	return nil
}

// Int accepts an integer sent as a numeric string (Meta's WhatsApp
// timestamps, X's created_timestamp) or a number; anything else reads as 0
// rather than failing the item.
type Int int64

// UnmarshalJSON implements json.Unmarshaler.
func (f *Int) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		*f = Int(n)
		return nil
	}
	*f = 0
	return nil
}

// Present reports whether a raw field was sent with a non-null value.
func Present(r json.RawMessage) bool {
	r = bytes.TrimSpace(r)
	return len(r) > 0 && !bytes.Equal(r, []byte("null"))
}

// Millis turns epoch milliseconds into a UTC time; zero, negative and
// implausibly large values (beyond 2^53, past any JSON-safe integer) read
// as the zero time.
func Millis(ms int64) time.Time {
	if ms <= 0 || ms > 1<<53 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
