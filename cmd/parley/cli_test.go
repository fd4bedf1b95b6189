package main

import (
	"bytes"
	"strings"
	"testing"
)

// run executes the CLI in-process with the given environment.
func run(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	cmd := root()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func TestKeysAndSecretsCommands(t *testing.T) {
	dir := t.TempDir()
	ring, err := run(t, nil, "secrets", "generate")
	if err != nil || !strings.HasPrefix(ring, "k") || !strings.Contains(ring, ":") {
		t.Fatalf("secrets generate: %q %v", ring, err)
	}
	env := map[string]string{"PARLEY_DATA_DIR": dir, "PARLEY_SECRET_KEYS": strings.TrimSpace(ring), "PARLEY_DATABASE_URL": ""}

	out, err := run(t, env, "keys", "create", "--org", "Acme", "--name", "backend")
	if err != nil {
		t.Fatalf("keys create: %v\n%s", err, out)
	}
	lines := strings.Fields(out)
	secret := lines[len(lines)-1]
	if !strings.HasPrefix(secret, "sapi_key_") {
		t.Fatalf("no key printed: %s", out)
	}
	keyID := ""
	for i, f := range lines {
		if f == "id" && i+1 < len(lines) {
			keyID = lines[i+1]
		}
	}
	out, err = run(t, env, "keys", "list", "--org", "Acme")
	if err != nil || !strings.Contains(out, keyID) || !strings.Contains(out, "backend") || strings.Contains(out, secret) {
		t.Fatalf("keys list: %v\n%s", err, out)
	}
	if out, err = run(t, env, "keys", "revoke", "--org", "Acme", keyID); err != nil {
		t.Fatalf("keys revoke: %v\n%s", err, out)
	}
	out, _ = run(t, env, "keys", "list", "--org", "Acme")
	if strings.Count(out, "\n") != 2 || strings.HasSuffix(strings.TrimSpace(out), "-") {
		t.Fatalf("revoked key not shown as revoked:\n%s", out)
	}
	if out, err = run(t, env, "keys", "list", "--org", "Nobody"); err == nil {
		t.Fatalf("unknown organisation accepted:\n%s", out)
	}
	if out, err = run(t, env, "secrets", "rotate"); err != nil || !strings.Contains(out, "re-sealed 0") {
		t.Fatalf("secrets rotate: %v\n%s", err, out)
	}
	if out, err = run(t, env, "migrate"); err != nil || !strings.Contains(out, "sqlite") {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	// serve without keys says how to make one.
	if _, err = run(t, map[string]string{"PARLEY_DATA_DIR": dir, "PARLEY_SECRET_KEYS": ""}, "serve"); err == nil || !strings.Contains(err.Error(), "secrets generate") {
		t.Fatalf("serve without keys: %v", err)
	}
}

// users create prints a one-time sign-in link on the public URL; a second
// person with the same email is refused, and a bad role changes nothing.
func TestUsersCreate(t *testing.T) {
	env := map[string]string{"PARLEY_DATA_DIR": t.TempDir(), "PARLEY_DATABASE_URL": "", "PARLEY_PUBLIC_URL": "https://parley.example"}
	out, err := run(t, env, "users", "create", "--org", "Acme", "--email", "Ana@Acme.example", "--role", "admin")
	if err != nil {
		t.Fatalf("users create: %v\n%s", err, out)
	}
	if !strings.Contains(out, "admin ana@acme.example") || !strings.Contains(out, "https://parley.example/app/signin/link/") {
		t.Fatalf("users create printed:\n%s", out)
	}
	if out, err := run(t, env, "users", "create", "--org", "Acme", "--email", "ana@acme.example"); err == nil {
		t.Fatalf("a second ana was created:\n%s", out)
	}
	if out, err := run(t, env, "users", "create", "--org", "Acme", "--email", "bo@acme.example", "--role", "owner"); err == nil || !strings.Contains(err.Error(), "role") {
		t.Fatalf("role owner: %v\n%s", err, out)
	}
}
