package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMutationListMatchesCode keeps the list current in the normal suite:
// every snippet still occurs exactly once and every mutant still parses, so
// a change to guarded code that makes an entry stale fails here, naming the
// entry, instead of only in the slower mutation run.
func TestMutationListMatchesCode(t *testing.T) {
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	ms, err := parseList("mutations.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) < 25 {
		t.Fatalf("%d mutations listed; the list guards the security core and should not shrink unnoticed", len(ms))
	}
	for _, m := range ms {
		if _, _, err := m.apply(root); err != nil {
			t.Error(err)
		}
		for _, p := range m.packages() {
			if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(p))); err != nil {
				t.Errorf("%s: test package %s: %v", m.Name, p, err)
			}
		}
	}
}

func TestParseList(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) string {
		p := filepath.Join(dir, "list.txt")
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ms, err := parseList(write("# comment\n\n=== a.one\nfile: x.go\ntest: ./x -run TestX\nwhy: because\n  it matters\npending: later\n--- old\n\tif a {\n\t\treturn\n\t}\n--- new\n\tif false {\n\n=== b.two\nfile: y.go\ntest: ./y\nwhy: w\n--- old\nfoo()\n--- new\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 {
		t.Fatalf("%d mutations", len(ms))
	}
	a, b := ms[0], ms[1]
	if a.Name != "a.one" || a.File != "x.go" || strings.Join(a.Test, "|") != "./x|-run|TestX" || a.Why != "because it matters" ||
		a.Pending != "later" || a.Old != "\tif a {\n\t\treturn\n\t}" || a.New != "\tif false {" || a.Line != 3 {
		t.Fatalf("a = %+v", a)
	}
	if b.New != "" || b.Old != "foo()" || len(b.packages()) != 1 {
		t.Fatalf("b = %+v", b)
	}

	for _, bad := range []string{
		"stray\n=== a\nfile: x\ntest: ./x\nwhy: w\n--- old\nx\n--- new\ny\n",
		"=== a\ntest: ./x\nwhy: w\n--- old\nx\n--- new\ny\n",
		"=== a\nfile: x\nwhy: w\n--- old\nx\n--- new\ny\n",
		"=== a\nfile: x\ntest: ./x\n--- old\nx\n--- new\ny\n",
		"=== a\nfile: x\ntest: ./x\nwhy: w\n--- old\n--- new\ny\n",
		"=== a\nfile: x\ntest: ./x\nwhy: w\n--- old\nx\n--- new\nx\n",
		"=== a\nfile: x\ntest: ./x\nwhy: w\ncolour: red\n--- old\nx\n--- new\ny\n",
		"=== a\nfile: x\ntest: ./x\nwhy: w\n--- new\ny\n",
		"=== a\nfile: x\ntest: ./x\nwhy: w\n--- old\nx || \n--- new\ny\n",
		"=== a\nfile: x\ntest: ./x\nwhy: w\n--- old\nx\n--- new\ny\n=== a\nfile: x\ntest: ./x\nwhy: w\n--- old\nz\n--- new\ny\n",
	} {
		if _, err := parseList(write(bad)); err == nil {
			t.Errorf("accepted:\n%s", bad)
		}
	}
}

func TestApply(t *testing.T) {
	dir := t.TempDir()
	src := "package p\n\nfunc f(a bool) int {\n\tif a {\n\t\treturn 1\n\t}\n\treturn 0\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "p.go"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	m := Mutation{Name: "m", File: "p.go", Old: "if a {", New: "if !a {"}
	orig, mut, err := m.apply(dir)
	if err != nil || string(orig) != src || !strings.Contains(string(mut), "if !a {") {
		t.Fatalf("apply = %q, %v", mut, err)
	}
	for _, bad := range []Mutation{
		{Name: "absent", File: "p.go", Old: "if b {", New: "x"},
		{Name: "twice", File: "p.go", Old: "return", New: "panic(0); return"},
		{Name: "unparsable", File: "p.go", Old: "if a {", New: "if a {{"},
		{Name: "no file", File: "q.go", Old: "x", New: "y"},
	} {
		if _, _, err := bad.apply(dir); err == nil || !strings.Contains(err.Error(), bad.Name) {
			t.Errorf("%s: err = %v", bad.Name, err)
		}
	}
}

func TestFailedTests(t *testing.T) {
	out := "--- FAIL: TestA (0.00s)\n    --- FAIL: TestA/sub (0.00s)\n--- FAIL: TestA (0.00s)\nFAIL\n"
	if got := strings.Join(failedTests(out), ","); got != "TestA,TestA/sub" {
		t.Fatalf("failedTests = %q", got)
	}
	if !buildFailed("FAIL\tgithub.com/x/y [build failed]\n") || buildFailed("--- FAIL: TestA\nFAIL\tgithub.com/x/y\t0.1s\n") {
		t.Fatal("buildFailed")
	}
}
