package graphemu

import (
	"fmt"
	"strconv"
	"strings"
)

// Field is one entry of a Graph `fields` expression, e.g.
// `messages.limit(5){id,message,from}`: a name, an optional edge limit and
// nested fields.
//
// Field expansion syntax:
// https://developers.facebook.com/docs/graph-api/guides/field-expansion
type Field struct {
	Name  string
	Limit int // 0: not set
	Sub   []Field
}

// maxFieldsLen and maxFieldsDepth bound the work a hostile expression can
// cause; Graph answers long or deep expressions with an error too.
const (
	maxFieldsLen   = 4096
	maxFieldsDepth = 8
)

// ParseFields parses a `fields` query value. An empty string yields no
// fields (the caller applies the node's defaults).
func ParseFields(s string) ([]Field, error) {
	if len(s) > maxFieldsLen {
		return nil, synErr("fields expression longer than %d characters", maxFieldsLen)
	}
	p := &fieldParser{s: s}
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	fs, err := p.list(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i != len(p.s) {
		return nil, synErr("Expected end of string instead of \"%c\".\" at character %d: %s", p.s[p.i], p.i, p.s)
	}
	return fs, nil
}

type fieldParser struct {
	s string
	i int
}

func (p *fieldParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n') {
		p.i++
	}
}

func (p *fieldParser) list(depth int) ([]Field, error) {
	if depth > maxFieldsDepth {
		return nil, synErr("fields nested deeper than %d levels", maxFieldsDepth)
	}
	var out []Field
	for {
		f, err := p.field(depth)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
		p.space()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		return out, nil
	}
}

func isNameByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func (p *fieldParser) name() (string, error) {
	p.space()
	start := p.i
	for p.i < len(p.s) && isNameByte(p.s[p.i]) {
		p.i++
	}
	if start == p.i {
		if p.i < len(p.s) {
			return "", synErr("Expected field name instead of \"%c\".\" at character %d: %s", p.s[p.i], p.i, p.s)
		}
		return "", synErr("Expected field name at end of string: %s", p.s)
	}
	return p.s[start:p.i], nil
}

func (p *fieldParser) field(depth int) (Field, error) {
	n, err := p.name()
	if err != nil {
		return Field{}, err
	}
	f := Field{Name: n}
	for p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		mod, err := p.name()
		if err != nil {
			return Field{}, err
		}
		if p.i >= len(p.s) || p.s[p.i] != '(' {
			return Field{}, synErr("Expected \"(\" after modifier %s at character %d: %s", mod, p.i, p.s)
		}
		end := strings.IndexByte(p.s[p.i:], ')')
		if end < 0 {
			return Field{}, synErr("Expected \")\" at character %d: %s", len(p.s), p.s)
		}
		arg := strings.TrimSpace(p.s[p.i+1 : p.i+end])
		p.i += end + 1
		switch mod {
		case "limit":
			n, err := strconv.Atoi(arg)
			if err != nil || n < 0 {
				return Field{}, synErr("Invalid limit %q for field %s", arg, f.Name)
			}
			f.Limit = n
		default:
			return Field{}, synErr("Unknown modifier %s on field %s", mod, f.Name)
		}
	}
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '{' {
		p.i++
		sub, err := p.list(depth + 1)
		if err != nil {
			return Field{}, err
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != '}' {
			return Field{}, synErr("Expected \"}\" at character %d: %s", p.i, p.s)
		}
		p.i++
		f.Sub = sub
	}
	return f, nil
}

// FieldsSyntaxError is a malformed `fields` expression, worded the way
// Graph words it (capitalised, hence not built with fmt.Errorf).
type FieldsSyntaxError string

func (e FieldsSyntaxError) Error() string { return string(e) }

func synErr(format string, args ...any) error {
	return FieldsSyntaxError(fmt.Sprintf(format, args...))
}
