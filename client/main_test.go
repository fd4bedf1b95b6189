package client_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"testing"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/sandbox"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestMain runs `parley sandbox` (SQLite, the five emulators, seeded
// conversations) for the examples, which read PARLEY_URL and
// PARLEY_API_KEY from the environment exactly as a user's program would.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "parley-client-example")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sb, stop, err := runSandbox(storetest.Backend{Name: "sqlite", DataDir: dir}, config.Config{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the sandbox:", err)
		os.Exit(1)
	}
	os.Setenv("PARLEY_URL", "http://"+sb.Listener.Addr().String())
	os.Setenv("PARLEY_API_KEY", sb.Key.Secret)
	code := m.Run()
	stop()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runSandbox prepares and runs a sandbox on backend b, as `parley sandbox`
// does, listening on a free loopback port.
func runSandbox(b storetest.Backend, cfg config.Config) (*sandbox.Sandbox, func(), error) {
	ctx, cancel := context.WithCancel(context.Background())
	cfg.Listen, cfg.DataDir, cfg.DatabaseURL = "127.0.0.1:0", b.DataDir, b.URL
	sb, err := sandbox.Prepare(ctx, cfg, server.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		cancel()
		return nil, nil, err
	}
	done := make(chan error, 1)
	go func() { done <- sb.Run(ctx) }()
	return sb, func() { cancel(); <-done }, nil
}

// sandboxFor runs a sandbox of its own for one test.
func sandboxFor(t *testing.T, b storetest.Backend) (*sandbox.Sandbox, string) {
	t.Helper()
	return sandboxWith(t, b, config.Config{})
}

// sandboxWith is sandboxFor with settings of cfg.
func sandboxWith(t *testing.T, b storetest.Backend, cfg config.Config) (*sandbox.Sandbox, string) {
	t.Helper()
	if b.DataDir == "" {
		b.DataDir = t.TempDir()
	}
	sb, stop, err := runSandbox(b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return sb, "http://" + sb.Listener.Addr().String()
}
