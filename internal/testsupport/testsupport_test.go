package testsupport

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestCIValue(t *testing.T) {
	for v, want := range map[string]bool{
		"":           false,
		"   ":        false,
		"false":      false,
		"FALSE":      false,
		"False":      false,
		" false ":    false,
		"0":          false,
		"true":       true,
		"TRUE":       true,
		"True":       true,
		"1":          true,
		"yes":        true,
		"woodpecker": true, // some CI systems set their own name
		"00":         true,
	} {
		if got := ciValue(v); got != want {
			t.Errorf("ciValue(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestCIReadsTheEnvironment(t *testing.T) {
	t.Setenv("CI", "1")
	if !CI() {
		t.Fatal("CI=1 is not a CI run")
	}
	t.Setenv("CI", "0")
	if CI() {
		t.Fatal("CI=0 is a CI run")
	}
}

func TestEventually(t *testing.T) {
	var n atomic.Int32
	go func() {
		for range 3 {
			time.Sleep(time.Millisecond)
			n.Add(1)
		}
	}()
	Eventually(t, func() bool { return n.Load() == 3 }, "counter at %d", 3)

	// A condition that never holds fails the test, naming what was awaited.
	ft := &fakeTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() { _ = recover() }()
		EventuallyWithin(ft, 20*time.Millisecond, func() bool { return false }, "never %s", "true")
	}()
	<-done
	if ft.msg == "" || !strings.Contains(ft.msg, "never true") {
		t.Fatalf("failure message = %q", ft.msg)
	}
}

// fakeTB records Fatalf instead of ending the real test.
type fakeTB struct {
	testing.TB
	msg string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic("fatal")
}
