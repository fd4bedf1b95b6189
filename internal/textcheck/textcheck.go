// Package textcheck refuses text that a platform would mangle or reject:
// C0 control characters and DEL, invalid UTF-8, and JSON escapes of
// unpaired UTF-16 surrogates. Refusing is the point: a message is never
// silently altered on its way to a customer (encoding/json would turn the
// last two into U+FFFD without a word), so the caller learns which field
// and which character to fix.
package textcheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/apierr"
)

// Code is the error code of every refusal here.
const Code = "validation.invalid_text"

// Allowed reports whether r may appear in text sent to a platform.
//
// Tab and line feed are ordinary text. Carriage return is allowed too: HTML
// form submission turns every line break of a textarea into CR LF
// (https://html.spec.whatwg.org/#converting-an-entry-list-to-a-list-of-name-value-pairs),
// so refusing CR would refuse what browsers send, and stripping it would
// alter the message. Every other C0 control (U+0000–U+001F) and DEL
// (U+007F) has no meaning in a DM, is invisible in every client, and is
// refused by or silently dropped from some platforms.
func Allowed(r rune) bool {
	switch {
	case r == '\t', r == '\n', r == '\r':
		return true
	case r < 0x20, r == 0x7f:
		return false
	}
	return true
}

// Text checks one field's value. It returns nil or a 422 *apierr.Error
// whose meta names the field, the position (in characters, from 0) and
// the character (U+XXXX) or, for invalid UTF-8, the byte.
func Text(field, s string) error {
	pos := 0
	for i := 0; i < len(s); pos++ {
		r, w := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && w == 1 {
			return invalidUTF8(field, pos, s[i])
		}
		if !Allowed(r) {
			return apierr.New(http.StatusUnprocessableEntity, Code,
				"%s contains the control character %s at position %d; remove it (tab, line feed and carriage return are allowed)", field, codePoint(r), pos).
				With("field", field).With("position", pos).With("character", codePoint(r))
		}
		i += w
	}
	return nil
}

func codePoint(r rune) string { return fmt.Sprintf("U+%04X", r) }

func invalidUTF8(field string, pos int, b byte) *apierr.Error {
	bs := fmt.Sprintf("0x%02X", b)
	return apierr.New(http.StatusUnprocessableEntity, Code, "%s is not valid UTF-8 at position %d (byte %s)", field, pos, bs).
		With("field", field).With("position", pos).With("byte", bs)
}

// JSON checks every string (keys included) of a JSON document for what a
// decoder would replace with U+FFFD: invalid UTF-8, and \u escapes of
// unpaired surrogates. It needs the raw bytes, because after decoding the
// damage cannot be told from a real U+FFFD. The error names the field by
// its path (e.g. "template.components[0].parameters[1].text"). A document
// that is not valid JSON passes: reporting syntax is the decoder's job.
func JSON(raw []byte) error {
	if utf8.Valid(raw) && !mayHaveSurrogateEscape(raw) {
		return nil // the common case, in one pass
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	var stack []frame
	next := func() { // a value ended: move its container on
		if n := len(stack); n > 0 {
			if stack[n-1].obj {
				stack[n-1].wantKey = true
			} else {
				stack[n-1].idx++
			}
		}
	}
	for {
		before := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, frame{obj: true, wantKey: true})
			case '[':
				stack = append(stack, frame{})
			default:
				stack = stack[:len(stack)-1]
				next()
			}
		case string:
			after := dec.InputOffset()
			// Only white space, ':' and ',' separate tokens, so the
			// literal starts at the first quote.
			start := before + int64(bytes.IndexByte(raw[before:after], '"'))
			isKey := len(stack) > 0 && stack[len(stack)-1].obj && stack[len(stack)-1].wantKey
			if e := literal(path(stack, isKey, t), raw[start+1:after-1]); e != nil {
				return e
			}
			if isKey {
				stack[len(stack)-1].key, stack[len(stack)-1].wantKey = t, false
			} else {
				next()
			}
		default:
			next()
		}
	}
}

type frame struct {
	obj     bool
	wantKey bool
	key     string
	idx     int
}

// path names the string being read: the value's path, or for a key the
// path the key would have.
func path(stack []frame, isKey bool, key string) string {
	var b strings.Builder
	for i, f := range stack {
		switch {
		case !f.obj:
			b.WriteString("[" + strconv.Itoa(f.idx) + "]")
		case i == len(stack)-1 && isKey:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(key)
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(f.key)
		}
	}
	if b.Len() == 0 {
		return "body"
	}
	return b.String()
}

// literal checks the inside of one JSON string literal (already known to
// be valid JSON syntax apart from its encoding), counting characters as the
// decoded string will have them.
func literal(field string, lit []byte) error {
	pos := 0
	for i := 0; i < len(lit); pos++ {
		if lit[i] != '\\' {
			r, w := utf8.DecodeRune(lit[i:])
			if r == utf8.RuneError && w == 1 {
				return invalidUTF8(field, pos, lit[i])
			}
			i += w
			continue
		}
		if i+1 >= len(lit) || lit[i+1] != 'u' {
			i += 2 // \" \\ \/ \b \f \n \r \t
			continue
		}
		u, ok := hex4(lit, i+2)
		if !ok {
			return nil // not valid JSON after all; the decoder says so
		}
		switch {
		case u >= 0xd800 && u <= 0xdbff:
			if i+12 <= len(lit) && lit[i+6] == '\\' && lit[i+7] == 'u' {
				if lo, ok := hex4(lit, i+8); ok && lo >= 0xdc00 && lo <= 0xdfff {
					i += 12 // a surrogate pair: one character
					continue
				}
			}
			return surrogate(field, pos, u)
		case u >= 0xdc00 && u <= 0xdfff:
			return surrogate(field, pos, u)
		}
		i += 6
	}
	return nil
}

func surrogate(field string, pos int, u rune) error {
	return apierr.New(http.StatusUnprocessableEntity, Code,
		"%s contains an unpaired surrogate %s at position %d, which is not a character", field, codePoint(u), pos).
		With("field", field).With("position", pos).With("character", codePoint(u))
}

func hex4(b []byte, at int) (rune, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[at:at+4]), 16, 16)
	return rune(n), err == nil
}

// mayHaveSurrogateEscape finds \uD800–\uDFFF escapes, or text that looks
// like one (an escaped backslash before "ud8…"): a cheap over-approximation
// that sends the rare suspect to the full walk.
func mayHaveSurrogateEscape(raw []byte) bool {
	for {
		i := bytes.Index(raw, []byte(`\u`))
		if i < 0 || i+4 > len(raw) {
			return false
		}
		if c := raw[i+2] | 0x20; c == 'd' && strings.IndexByte("89abcdefABCDEF", raw[i+3]) >= 0 {
			return true
		}
		raw = raw[i+2:]
	}
}
