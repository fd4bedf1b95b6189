package api_test

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestMetricsLabelsAreBounded: callers choose methods and paths, and every
// distinct label value would be a series kept for the life of the process.
// Thousands of made-up methods and unknown paths must leave /metrics about
// as it was: methods outside the standard set count as OTHER, paths that
// match no route as "unmatched", and matched paths by their route pattern.
func TestMetricsLabelsAreBounded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.Backend{Name: "sqlite", DataDir: t.TempDir()})
	key := e.org("A")
	client := &http.Client{}
	send := func(method, path string) {
		t.Helper()
		req, err := http.NewRequest(method, e.url+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	// One of each kind first, so the baseline has every series there is.
	send("GET", "/v1/brands")
	send("BREW", "/v1/brands")
	send("BREW", "/mcp") // the one route that takes every method
	send("GET", "/nope")
	send("BREW", "/nope")
	send("GET", "/v1/brands/brand_x")
	series(t, e) // and the /metrics request's own
	before := series(t, e)

	for i := range 1000 {
		send(fmt.Sprintf("M%04d", i), "/v1/brands")
		send(fmt.Sprintf("Q%04d", i), "/mcp")
		send(fmt.Sprintf("X%04d", i), fmt.Sprintf("/made/up/%d", i))
		send("GET", fmt.Sprintf("/unknown-%d", i))
		send("GET", fmt.Sprintf("/v1/brands/brand_%d", i))
	}
	after := series(t, e)
	if len(after) != len(before) {
		var added []string
		for _, s := range after {
			if !slices.Contains(before, s) {
				added = append(added, s)
			}
		}
		t.Fatalf("%d series before, %d after; added %d, e.g. %v", len(before), len(after), len(added), added[:min(5, len(added))])
	}
	body := strings.Join(after, "\n")
	for _, want := range []string{`method="OTHER",route="/mcp"`, `method="OTHER",route="unmatched"`,
		`method="GET",route="unmatched"`, `method="GET",route="/v1/brands/{id}"`} {
		if !strings.Contains(body, want) {
			t.Errorf("no series with %s:\n%s", want, body)
		}
	}
	methods := regexp.MustCompile(`method="([^"]*)"`)
	for _, m := range methods.FindAllStringSubmatch(body, -1) {
		if !slices.Contains([]string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE", "OTHER"}, m[1]) {
			t.Errorf("method label %q", m[1])
		}
	}
	for _, r := range regexp.MustCompile(`route="([^"]*)"`).FindAllStringSubmatch(body, -1) {
		if r[1] != "unmatched" && !strings.HasPrefix(r[1], "/") || strings.Contains(r[1], "made") || strings.Contains(r[1], "unknown") || strings.Contains(r[1], "brand_") {
			t.Errorf("route label %q is not a route pattern", r[1])
		}
	}
}

// series lists the parley_http_* series /metrics shows, by name and labels.
func series(t *testing.T, e *env) []string {
	t.Helper()
	m := e.do("GET", "/metrics", "", nil)
	if m.status != 200 {
		t.Fatalf("/metrics: %d", m.status)
	}
	var out []string
	for _, line := range strings.Split(string(m.raw), "\n") {
		if strings.HasPrefix(line, "parley_http_") {
			// Drop the value; the /metrics request itself moves counters.
			out = append(out, line[:strings.LastIndexByte(line, ' ')])
		}
	}
	return out
}
