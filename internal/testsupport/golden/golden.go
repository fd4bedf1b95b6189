// Package golden is the test harness the webhook parsers and the emulators
// share: golden files, the parsers' table and fuzz loops, and a receiver
// that verifies and parses what an emulator posts. Imported by tests only.
package golden

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/webhook/inbound"
)

// Update is the -update flag of every test binary that imports this
// package: golden files are rewritten instead of compared. (A test package
// importing golden must not define its own -update.)
var Update = flag.Bool("update", false, "rewrite the golden files instead of comparing with them")

// Compare checks got against the file at path byte for byte or, under
// -update, rewrites the file instead, creating its directory.
func Compare(t testing.TB, path string, got []byte) {
	t.Helper()
	if *Update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// CompareJSON is Compare of v as indented JSON with a final newline.
func CompareJSON(t testing.TB, path string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	Compare(t, path, append(got, '\n'))
}

// ParseFunc is a platform's ParseWebhook.
type ParseFunc func(body []byte) ([]platform.InboundEvent, error)

// ParseFiles parses each dir/*.json sample payload with parse, which must
// accept it, and compares the events with the .golden file beside it.
func ParseFiles(t *testing.T, dir string, parse ParseFunc) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no payloads: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			body, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			evs, err := parse(body)
			if err != nil {
				t.Fatal(err)
			}
			CompareJSON(t, strings.TrimSuffix(f, ".json")+".golden", evs)
		})
	}
}

// Case is one body for ParseCases: whether parsing fails (with the
// package's sentinel) and, if not, how many events it yields.
type Case struct {
	Name    string
	Body    string
	WantErr bool
	Want    int
}

// ParseCases runs each case through parse as a subtest. A failure must
// wrap notWebhook.
func ParseCases(t *testing.T, parse ParseFunc, notWebhook error, cases []Case) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			evs, err := parse([]byte(tc.Body))
			if (err != nil) != tc.WantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.WantErr)
			}
			if err != nil && !errors.Is(err, notWebhook) {
				t.Fatalf("err = %v, want %v", err, notWebhook)
			}
			if len(evs) != tc.Want {
				t.Fatalf("got %d events, want %d: %+v", len(evs), tc.Want, evs)
			}
		})
	}
}

// FuzzParse fuzzes parse, seeded with the named files of dir (a missing
// one is skipped): it must not panic, must not return events with an
// error, and check must accept every event it returns.
func FuzzParse(f *testing.F, parse ParseFunc, check func(platform.InboundEvent) error, dir string, seeds ...string) {
	f.Helper()
	for _, name := range seeds {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := parse(body)
		if err != nil && evs != nil {
			t.Fatal("events with an error")
		}
		for _, ev := range evs {
			if err := check(ev); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// Receiver is Parley's webhook endpoint as a round-trip test needs it: it
// verifies each POST's signature, parses the body and records the events,
// or the error (answering 401).
type Receiver struct {
	mu     sync.Mutex
	events []platform.InboundEvent
	errs   []error
}

// NewReceiver serves a Receiver until the test ends. verify checks the
// value of the signature header against the body; accepted posts are
// answered status.
func NewReceiver(t testing.TB, header string, verify func(signature string, body []byte) error, parse ParseFunc, status int) (*Receiver, *httptest.Server) {
	t.Helper()
	rc := &Receiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		body, err := inbound.ReadBody(r, 0)
		if err == nil {
			err = verify(r.Header.Get(header), body)
		}
		var evs []platform.InboundEvent
		if err == nil {
			evs, err = parse(body)
		}
		if err != nil {
			rc.errs = append(rc.errs, err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		rc.events = append(rc.events, evs...)
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return rc, srv
}

// Snapshot returns copies of the events and errors received so far.
func (rc *Receiver) Snapshot() ([]platform.InboundEvent, []error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]platform.InboundEvent(nil), rc.events...), append([]error(nil), rc.errs...)
}

// Take returns the events received since the last Take and forgets them;
// any receive error fails the test.
func (rc *Receiver) Take(t testing.TB) []platform.InboundEvent {
	t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.errs) > 0 {
		t.Fatalf("receiver errors: %v", rc.errs)
	}
	evs := rc.events
	rc.events = nil
	return evs
}
