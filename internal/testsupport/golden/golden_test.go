package golden

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/platform"
)

// recorder is a testing.TB that notes failures instead of failing, so the
// failing paths of Compare can be checked.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.failed = true }

func TestCompare(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "x.golden")
	*Update = true
	CompareJSON(t, path, map[string]int{"a": 1}) // -update creates the directory
	*Update = false
	if b, err := os.ReadFile(path); err != nil || string(b) != "{\n  \"a\": 1\n}\n" {
		t.Fatalf("written %q, %v", b, err)
	}
	tests := []struct {
		name     string
		got      string
		wantFail bool
	}{
		{name: "same", got: "{\n  \"a\": 1\n}\n"},
		{name: "trailing space differs", got: "{\n  \"a\": 1\n}", wantFail: true},
		{name: "content differs", got: "{\n  \"a\": 2\n}\n", wantFail: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{TB: t}
			Compare(r, path, []byte(tt.got))
			if r.failed != tt.wantFail {
				t.Fatalf("failed = %v, want %v", r.failed, tt.wantFail)
			}
		})
	}
}

func TestReceiver(t *testing.T) {
	errBad := errors.New("bad signature")
	verify := func(sig string, body []byte) error {
		if sig != "ok" {
			return errBad
		}
		return nil
	}
	parse := func(body []byte) ([]platform.InboundEvent, error) {
		return []platform.InboundEvent{{Kind: platform.EventMessage, MessageID: string(body)}}, nil
	}
	rc, srv := NewReceiver(t, "X-Sig", verify, parse, http.StatusAccepted)
	tests := []struct {
		sig, body  string
		wantStatus int
	}{
		{sig: "ok", body: "m1", wantStatus: http.StatusAccepted},
		{sig: "no", body: "m2", wantStatus: http.StatusUnauthorized},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(tt.body))
		req.Header.Set("X-Sig", tt.sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != tt.wantStatus {
			t.Errorf("%s: status %d, want %d", tt.body, resp.StatusCode, tt.wantStatus)
		}
	}
	evs, errs := rc.Snapshot()
	if len(evs) != 1 || evs[0].MessageID != "m1" || len(errs) != 1 || !errors.Is(errs[0], errBad) {
		t.Fatalf("events %+v, errors %v", evs, errs)
	}
}
