package textcheck

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/apierr"
)

func TestText(t *testing.T) {
	cases := []struct {
		in        string
		ok        bool
		pos       int
		character string
		byteHex   string
	}{
		{in: "Hello, Maya! 👋 Größe M?", ok: true},
		{in: "line one\nline two\r\n\tindented", ok: true},
		{in: "a real \uFFFD stays", ok: true},
		{in: "nul\x00here", pos: 3, character: "U+0000"},
		{in: "bell\a", pos: 4, character: "U+0007"},
		{in: "escape \x1b[31m", pos: 7, character: "U+001B"},
		{in: "del\x7f", pos: 3, character: "U+007F"},
		{in: "é\x01", pos: 1, character: "U+0001"}, // positions count characters, not bytes
		{in: "bad \xff utf8", pos: 4, byteHex: "0xFF"},
		{in: "truncated \xe2\x82", pos: 10, byteHex: "0xE2"},
	}
	for _, c := range cases {
		err := Text("text", c.in)
		if c.ok {
			if err != nil {
				t.Errorf("%q refused: %v", c.in, err)
			}
			continue
		}
		e, ok := apierr.As(err)
		if !ok || e.Status != 422 || e.Code != Code || e.Meta["field"] != "text" || e.Meta["position"] != c.pos {
			t.Errorf("%q: got %v %+v, want 422 %s at %d", c.in, err, e, Code, c.pos)
			continue
		}
		if c.character != "" && e.Meta["character"] != c.character {
			t.Errorf("%q: character %v, want %s", c.in, e.Meta["character"], c.character)
		}
		if c.byteHex != "" && e.Meta["byte"] != c.byteHex {
			t.Errorf("%q: byte %v, want %s", c.in, e.Meta["byte"], c.byteHex)
		}
	}
}

func TestJSON(t *testing.T) {
	cases := []struct {
		raw   string
		field string // "" means accepted
		pos   int
	}{
		{raw: `{"text":"plain"}`},
		{raw: `{"text":"emoji \ud83d\ude00 pair and \u00e9"}`},
		{raw: `{"text":"an escaped backslash \\ud800 is text"}`},
		{raw: `{"text":"real \ufffd"}`},
		{raw: "{\"text\":\"ok\",\"x\":\"caf\xc3\xa9\"}"},
		{raw: "{\"text\":\"bad \xff\"}", field: "text", pos: 4},
		{raw: "{\"text\":\"a\\n\xc0\"}", field: "text", pos: 2},
		{raw: `{"text":"lone \ud800 high"}`, field: "text", pos: 5},
		{raw: `{"text":"lone \udc00 low"}`, field: "text", pos: 5},
		{raw: `{"text":"two highs \ud800\ud800"}`, field: "text", pos: 10},
		{raw: `{"template":{"name":"t","components":[{"type":"body","parameters":[{"type":"text","text":"ok"},{"type":"text","text":"\uDBFF!"}]}]}}`,
			field: "template.components[0].parameters[1].text"},
		{raw: "{\"attachment\":{\"type\":\"image\",\"url\":\"https://x/\xfe\"}}", field: "attachment.url", pos: 10},
		{raw: "{\"k\xff\":1}", field: "k\uFFFD", pos: 1},
		{raw: "[\"a\",\"\xff\"]", field: "[1]"},
		{raw: "\"\xff\"", field: "body"},
		{raw: "{\"text\":\"\xff\"", field: "text"}, // truncated: still found first
		{raw: "{\"text\":\xff}"},                   // not JSON: the decoder reports it
	}
	for _, c := range cases {
		err := JSON([]byte(c.raw))
		if c.field == "" {
			if err != nil {
				t.Errorf("%q refused: %v", c.raw, err)
			}
			continue
		}
		e, ok := apierr.As(err)
		if !ok || e.Code != Code || e.Meta["field"] != c.field || e.Meta["position"] != c.pos {
			t.Errorf("%q: got %v %+v, want field %q position %d", c.raw, err, e, c.field, c.pos)
		}
	}
}

// FuzzJSON checks JSON against encoding/json itself: whenever decoding a
// valid document produces more U+FFFD than the document spells out, the
// decoder altered a string, and JSON must have refused it.
func FuzzJSON(f *testing.F) {
	for _, s := range []string{`{"text":"hi"}`, "{\"text\":\"\xff\"}", `{"a":["\ud800","\udc00\ud83d\ude00"]}`,
		`{"t":{"c":[{"p":"\\ud800"}]}}`, `"\ufffd"`, "[\"\xed\xa0\x80\"]"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		err := JSON(raw)
		if err != nil {
			e, ok := apierr.As(err)
			if !ok || e.Code != Code || e.Meta["field"] == "" {
				t.Fatalf("malformed refusal %v", err)
			}
			if utf8.Valid(raw) && !mayHaveSurrogateEscape(raw) {
				t.Fatalf("refused a document with nothing to refuse: %v", err)
			}
		}
		if !json.Valid(raw) {
			return
		}
		var v any
		if json.Unmarshal(raw, &v) != nil {
			return
		}
		spelled := bytes.Count(raw, []byte("\uFFFD")) + strings.Count(strings.ToLower(string(raw)), `\ufffd`)
		if replacements(v) > spelled && err == nil {
			t.Fatalf("decoding altered %q, but it was accepted", raw)
		}
	})
}

func replacements(v any) int {
	n := 0
	switch t := v.(type) {
	case string:
		n += strings.Count(t, "\uFFFD")
	case []any:
		for _, x := range t {
			n += replacements(x)
		}
	case map[string]any:
		for k, x := range t {
			n += strings.Count(k, "\uFFFD") + replacements(x)
		}
	}
	return n
}

// FuzzText checks Text accepts exactly valid UTF-8 without refused controls.
func FuzzText(f *testing.F) {
	for _, s := range []string{"hi", "a\x00", "\r\n\t", "\xff", "\u007f", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return !Allowed(r) }) < 0
		if got := Text("text", s) == nil; got != want {
			t.Fatalf("Text(%q) accepted=%v, want %v", s, got, want)
		}
	})
}
