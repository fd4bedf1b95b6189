package linkedin

import (
	"encoding/json"
	"net/http"
	"testing"
)

// FuzzParseError feeds arbitrary upstream error bodies through the parser and
// the error mapping: neither may panic, and the mapped error must always be a
// structured platform error that never carries the raw body.
func FuzzParseError(f *testing.F) {
	f.Add([]byte(`{"status":401,"serviceErrorCode":65600,"code":"INVALID_ACCESS_TOKEN","message":"Invalid access token"}`), 401)
	f.Add([]byte(`{"serviceErrorCode":101,"message":"Resource level throttle limit for calls to this resource is reached.","status":429}`), 429)
	f.Add([]byte(`not json`), 500)
	f.Fuzz(func(t *testing.T, raw []byte, status int) {
		_, _ = ParseError(raw)
		if status < 100 || status > 999 {
			status = 500
		}
		e := mapError(&http.Response{StatusCode: status, Header: http.Header{}}, raw)
		if e == nil || e.Code == "" || e.Status < 400 {
			t.Fatalf("mapped to %+v", e)
		}
		for _, v := range e.Meta {
			if s, ok := v.(string); ok && len(raw) > 40 && s == string(raw) {
				t.Fatal("raw body leaked into meta")
			}
		}
	})
}

// FuzzDecodeCollection decodes arbitrary collection bodies and converts every
// element as the adapter does; nothing may panic.
func FuzzDecodeCollection(f *testing.F) {
	f.Add([]byte(`{"elements":[{"id":"urn:li:messagingThread:2-a","participants":[{"participant":"urn:li:organization:1"},{"participant":"urn:li:person:x","localizedFirstName":"X"}],"lastMessage":{"author":"urn:li:person:x","createdAt":1,"content":{"format":"TEXT","fallback":"hi"}}}],"paging":{"start":0,"count":10,"total":1}}`))
	f.Add([]byte(`{"elements":[{"id":"2-b","author":"urn:li:organization:1","createdAt":-5,"content":{"format":"LITTLE","fallback":"x","content":{"string":"<p>x</p>"}},"attachments":["urn:li:digitalmediaAsset:1"]}],"paging":{"links":[{"rel":"next","href":"/x?start=9"}]}}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var convs collection[wireConversation]
		if json.Unmarshal(raw, &convs) == nil {
			for _, w := range convs.Elements {
				_ = toConversation("urn:li:organization:1", w)
			}
			_ = nextCursor(convs.Paging, 0, 10, len(convs.Elements))
		}
		var msgs collection[wireMessage]
		if json.Unmarshal(raw, &msgs) == nil {
			for _, w := range msgs.Elements {
				m := toMessage("urn:li:organization:1", w)
				if m.Direction != "incoming" && m.Direction != "outgoing" {
					t.Fatalf("direction %q", m.Direction)
				}
			}
			_ = nextCursor(msgs.Paging, 5, 10, len(msgs.Elements))
		}
	})
}
