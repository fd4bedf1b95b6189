package config

import (
	"os"
	"strings"
	"testing"
)

// TestREADMETableMatchesVariables keeps the README's configuration table
// equal to what Load reads: every variable, in order, with its flag and its
// default, and nothing else.
func TestREADMETableMatchesVariables(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const header = "| variable | flag | default | meaning |"
	text := string(b)
	i := strings.Index(text, header)
	if i < 0 || strings.Count(text, header) != 1 {
		t.Fatalf("README has no single table headed %q", header)
	}
	lines := strings.Split(text[i:], "\n")[2:] // past the header and the |---| line
	type row struct{ name, flag, def string }
	var got []row
	for _, l := range lines {
		if !strings.HasPrefix(l, "|") {
			break
		}
		cells := strings.Split(strings.Trim(l, "|"), "|")
		if len(cells) < 4 {
			t.Fatalf("short row %q", l)
		}
		cell := func(i int) string { return strings.TrimSpace(cells[i]) }
		name, ok := code(cell(0))
		if !ok {
			t.Fatalf("row %q: first cell is not one `PARLEY_…` name", l)
		}
		flag := ""
		if f := cell(1); f != "—" {
			c, ok := code(f)
			if !ok || !strings.HasPrefix(c, "--") {
				t.Fatalf("%s: flag cell %q is neither — nor `--flag`", name, f)
			}
			flag = strings.TrimPrefix(c, "--")
		}
		def := ""
		if d := cell(2); d != "empty" {
			c, ok := code(d)
			if !ok {
				t.Fatalf("%s: default cell %q is neither empty nor `value`", name, d)
			}
			def = c
		}
		got = append(got, row{name, flag, def})
	}
	var want []row
	for _, v := range Variables() {
		want = append(want, row{v.Name, v.Flag, v.Default})
	}
	for i := 0; i < max(len(got), len(want)); i++ {
		switch {
		case i >= len(got):
			t.Errorf("README lacks %+v", want[i])
		case i >= len(want):
			t.Errorf("README lists %+v, which config does not read", got[i])
		case got[i] != want[i]:
			t.Errorf("README row %d is %+v, config has %+v", i+1, got[i], want[i])
		}
	}
}

// code returns the text of a cell that is exactly one `code span`.
func code(s string) (string, bool) {
	if len(s) < 2 || s[0] != '`' || s[len(s)-1] != '`' || strings.Count(s, "`") != 2 {
		return "", false
	}
	return s[1 : len(s)-1], true
}
