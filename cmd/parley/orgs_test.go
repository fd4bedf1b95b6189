package main

import (
	"strings"
	"testing"
)

func TestOrgsCommands(t *testing.T) {
	ring, err := run(t, nil, "secrets", "generate")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"PARLEY_DATA_DIR": t.TempDir(), "PARLEY_SECRET_KEYS": strings.TrimSpace(ring), "PARLEY_DATABASE_URL": ""}

	out, err := run(t, env, "orgs", "create", "Acme", "--plan", "free", "--key", "signup")
	if err != nil || !strings.Contains(out, "on plan free") || !strings.Contains(out, "sapi_key_") {
		t.Fatalf("orgs create: %v\n%s", err, out)
	}
	id := strings.TrimSuffix(strings.Fields(out)[2], ")")
	id = strings.TrimPrefix(id, "(")
	if !strings.HasPrefix(id, "org_") {
		t.Fatalf("no id in %q", out)
	}
	// Without --plan: PARLEY_DEFAULT_PLAN, unlimited unless set.
	if out, err = run(t, env, "orgs", "create", "Self"); err != nil || !strings.Contains(out, "on plan unlimited") || strings.Contains(out, "sapi_key_") {
		t.Fatalf("orgs create without plan: %v\n%s", err, out)
	}
	out, err = run(t, env, "orgs", "list")
	if err != nil || !strings.Contains(out, id) || !strings.Contains(out, "free") || !strings.Contains(out, "unlimited") {
		t.Fatalf("orgs list: %v\n%s", err, out)
	}
	out, err = run(t, env, "orgs", "show", "Acme")
	if err != nil || !strings.Contains(out, "brands        0 of 2") || !strings.Contains(out, "interactions  0 of 50") {
		t.Fatalf("orgs show: %v\n%s", err, out)
	}
	out, err = run(t, env, "orgs", "set-plan", id, "pro")
	if err != nil || !strings.Contains(out, "plan          pro") || !strings.Contains(out, "0 of 50") || !strings.Contains(out, "interactions  0 of unlimited") {
		t.Fatalf("orgs set-plan: %v\n%s", err, out)
	}
	if out, err = run(t, env, "orgs", "set-plan", id, "gold"); err == nil || !strings.Contains(err.Error(), "unknown plan") {
		t.Fatalf("unknown plan accepted: %v\n%s", err, out)
	}
	if out, err = run(t, env, "orgs", "show", "Nobody"); err == nil || !strings.Contains(err.Error(), "no organisation") {
		t.Fatalf("unknown organisation: %v\n%s", err, out)
	}
	// A plans file replaces the tiers; the default must be one of its plans.
	bad := map[string]string{"PARLEY_DEFAULT_PLAN": "gold"}
	for k, v := range env {
		bad[k] = v
	}
	if _, err = run(t, bad, "orgs", "list"); err == nil || !strings.Contains(err.Error(), "PARLEY_DEFAULT_PLAN") {
		t.Fatalf("default plan outside the table: %v", err)
	}
}
