package config

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestReferenceComposeFile checks deploy/docker-compose.yml and its
// Caddyfile without a container engine (CI has none), reading them as
// text: the module has no YAML library and one is not worth adding for a
// check this simple. What an operator copying them relies on:
//
//   - every PARLEY_* variable set is one Parley reads, and its value (when
//     not taken from the operator's environment) is one Load accepts;
//   - each replica gets what several replicas need: the shared database
//     and key ring, the public URL, the proxy trusted, the shutdown
//     settings;
//   - the proxy routes to every replica and health-checks /readyz often
//     enough that the drain outlasts two checks, and Docker's grace
//     period outlasts drain and timeout together.
func TestReferenceComposeFile(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../deploy/docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	compose := string(raw)
	raw, err = os.ReadFile("../../deploy/Caddyfile")
	if err != nil {
		t.Fatal(err)
	}
	caddy := string(raw)

	known := map[string]bool{}
	for _, v := range Variables() {
		known[v.Name] = true
	}
	// `  PARLEY_X: value` (a mapping) or `- PARLEY_X=value` (a list).
	set := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^\s+(?:- )?(PARLEY_[A-Z0-9_]+)\s*[:=]\s*(.*)$`).FindAllStringSubmatch(compose, -1) {
		name, value := m[1], strings.Trim(strings.TrimSpace(m[2]), `"'`)
		if !known[name] {
			t.Errorf("compose sets %s, which Parley does not read", name)
			continue
		}
		set[name] = value
		if strings.Contains(value, "${") {
			continue // the operator's own, checked when Parley starts
		}
		if _, _, err := Load([]string{name + "=" + value}, nil); err != nil {
			t.Errorf("compose sets %s=%s: %v", name, value, err)
		}
	}
	for _, name := range []string{"PARLEY_DATABASE_URL", "PARLEY_SECRET_KEYS", "PARLEY_LISTEN", "PARLEY_PUBLIC_URL", "PARLEY_TRUSTED_PROXIES",
		"PARLEY_SHUTDOWN_DRAIN", "PARLEY_SHUTDOWN_TIMEOUT"} {
		if _, ok := set[name]; !ok {
			t.Errorf("the replicas' environment has no %s", name)
		}
	}
	if strings.Count(compose, "x-parley: &parley") != 1 {
		t.Fatal("compose has no x-parley anchor holding the replicas' settings")
	}
	replicas := regexp.MustCompile(`(?m)^  (parley-\d+):\s*(?:\*parley|\n\s+<<: \*parley)`).FindAllStringSubmatch(compose, -1)
	if len(replicas) < 2 {
		t.Fatalf("compose has %d replicas built from the x-parley settings; want several", len(replicas))
	}

	if !regexp.MustCompile(`(?m)^\s*health_uri\s+/readyz\s*$`).MatchString(caddy) {
		t.Error("the proxy does not health-check /readyz, so it would not drain a stopping replica")
	}
	for _, r := range replicas {
		if !strings.Contains(caddy, " "+r[1]+":8080") {
			t.Errorf("the proxy does not route to %s", r[1])
		}
	}
	if !strings.Contains(compose, "./Caddyfile:/etc/caddy/Caddyfile") {
		t.Error("the proxy service does not mount deploy/Caddyfile")
	}
	if ip := set["PARLEY_TRUSTED_PROXIES"]; !strings.Contains(compose, "ipv4_address: "+ip) {
		t.Errorf("PARLEY_TRUSTED_PROXIES=%s is not the proxy's address", ip)
	}

	duration := func(what, pattern, text string) time.Duration {
		t.Helper()
		m := regexp.MustCompile(pattern).FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("no %s", what)
		}
		d, err := time.ParseDuration(m[1])
		if err != nil {
			t.Fatalf("%s %q: %v", what, m[1], err)
		}
		return d
	}
	drain, _ := time.ParseDuration(set["PARLEY_SHUTDOWN_DRAIN"])
	timeout, _ := time.ParseDuration(set["PARLEY_SHUTDOWN_TIMEOUT"])
	if grace := duration("stop_grace_period", `(?m)^\s+stop_grace_period:\s*(\S+)`, compose); grace <= drain+timeout {
		t.Errorf("stop_grace_period %s: Docker kills a draining replica before its drain %s and timeout %s are over", grace, drain, timeout)
	}
	if every := duration("health_interval", `(?m)^\s*health_interval\s+(\S+)`, caddy); drain < 2*every {
		t.Errorf("PARLEY_SHUTDOWN_DRAIN %s is shorter than two health checks (every %s): the proxy may still route to a stopped replica", drain, every)
	}
}
