package api_test

import (
	"testing"

	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestUnsendableTextIsRefused: text with control characters, invalid UTF-8
// or unpaired surrogates is refused with 422 validation.invalid_text naming
// the field, the position and the character, before the platform is called
// and without using up the Idempotency-Key, wherever it hides in the send.
func TestUnsendableTextIsRefused(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		l := newLiveEnv(t, b)
		wa := "/v1/inbox/conversations/" + l.conv("whatsapp/open") + "/messages"
		ig := "/v1/inbox/conversations/" + l.conv("instagram/open") + "/messages"
		cases := []struct {
			name, path string
			body       any // JSON-encoded by do, or raw bytes
			field      string
			pos        float64
			character  string
			byteHex    string
		}{
			{"NUL", wa, map[string]any{"text": "Your order\x00ships"}, "text", 10, "U+0000", ""},
			{"escape sequence", ig, map[string]any{"text": "\x1b[2J cleared"}, "text", 0, "U+001B", ""},
			{"DEL after multibyte", ig, map[string]any{"text": "Größe\x7f"}, "text", 5, "U+007F", ""},
			{"escaped control", wa, []byte(`{"text":"bell \u0007"}`), "text", 5, "U+0007", ""},
			{"invalid UTF-8", wa, []byte("{\"text\":\"caf\xe9 au lait\"}"), "text", 3, "", "0xE9"},
			{"unpaired surrogate", ig, []byte(`{"text":"smile \ud83d please"}`), "text", 6, "U+D83D", ""},
			{"template parameter", wa, map[string]any{"template": map[string]any{"name": "order_update", "language": "en_US",
				"components": []any{map[string]any{"type": "body", "parameters": []any{
					map[string]any{"type": "text", "text": "Ana"}, map[string]any{"type": "text", "text": "#1042\x00"}}}}}},
				"template.components[0].parameters[1].text", 5, "U+0000", ""},
			{"invalid UTF-8 in a template parameter", wa, []byte("{\"template\":{\"name\":\"order_update\",\"language\":\"en_US\"," +
				"\"components\":[{\"type\":\"body\",\"parameters\":[{\"type\":\"text\",\"text\":\"\xff\"}]}]}}"),
				"template.components[0].parameters[0].text", 0, "", "0xFF"},
			{"attachment url", ig, map[string]any{"attachment": map[string]any{"type": "image", "url": "https://cdn.example.com/a\x07.png"}},
				"attachment.url", 25, "U+0007", ""},
			{"tag", ig, map[string]any{"text": "hi", "tag": "HUMAN_AGENT\x00"}, "tag", 11, "U+0000", ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := l.do("POST", c.path, l.key, c.body, "Idempotency-Key", "text-check")
				expect(t, r, 422, "validation.invalid_text")
				meta := r.body["error"].(map[string]any)["meta"].(map[string]any)
				if meta["field"] != c.field || meta["position"] != c.pos {
					t.Fatalf("meta %v, want field %q at %v", meta, c.field, c.pos)
				}
				if c.character != "" && meta["character"] != c.character {
					t.Fatalf("meta.character = %v, want %s", meta["character"], c.character)
				}
				if c.byteHex != "" && meta["byte"] != c.byteHex {
					t.Fatalf("meta.byte = %v, want %s", meta["byte"], c.byteHex)
				}
			})
		}
		for _, p := range []platform.Name{platform.Instagram, platform.WhatsApp} {
			if n := l.sentCount(p); n != 0 {
				t.Fatalf("%s received %d messages from refused sends", p, n)
			}
		}
		// Tab, line breaks (CR LF too, as HTML forms send them) and a real
		// U+FFFD are text. The key the refusals carried was never claimed,
		// so this different body may use it.
		r := l.do("POST", wa, l.key, map[string]any{"text": "Line one\r\nLine two\n\tindented \uFFFD"}, "Idempotency-Key", "text-check")
		expect(t, r, 201, "")
		if r.header.Get("Idempotent-Replayed") != "" {
			t.Fatal("the first accepted send was answered as a replay")
		}
		if got := r.data(t)["text"]; got != "Line one\r\nLine two\n\tindented \uFFFD" {
			t.Fatalf("text altered on the way: %q", got)
		}
		if n := l.sentCount(platform.WhatsApp); n != 1 {
			t.Fatalf("WhatsApp received %d messages, want 1", n)
		}
	})
}

// TestInvalidUTF8AnywhereInABody: JSON must be UTF-8 (RFC 8259 §8.1), so
// every JSON body is checked, not only sends; nothing is written.
func TestInvalidUTF8AnywhereInABody(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.Backend{Name: "sqlite", DataDir: t.TempDir()})
	key := e.org("A")
	r := e.do("POST", "/v1/brands", key, []byte("{\"name\":\"Caf\xe9\"}"))
	expect(t, r, 422, "validation.invalid_text")
	if n := len(e.do("GET", "/v1/brands", key, nil).body["data"].([]any)); n != 0 {
		t.Fatalf("%d brands after a refused body", n)
	}
}
