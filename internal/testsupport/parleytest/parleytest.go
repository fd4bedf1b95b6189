// Package parleytest runs a whole Parley over real loopback HTTP for tests:
// a server on a fresh database of one backend, and optionally the five
// platform emulators in front of it, seeded as the sandbox seeds them.
package parleytest

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/sandbox"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/service"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// Server is a running Parley.
type Server struct {
	*server.Server
	// URL is the base URL (REST, /mcp, /webhooks/…).
	URL string
	// KeyRing is the PARLEY_SECRET_KEYS it runs with.
	KeyRing string
}

// Start runs Parley with cfg over the backend's database and key ring (a
// new one when empty). Nil opts.Adapters means those built from cfg; pass an
// empty registry to keep a test away from every platform.
func Start(t testing.TB, b storetest.Backend, cfg config.Config, keyRing string, opts server.Options) *Server {
	t.Helper()
	if keyRing == "" {
		var err error
		if keyRing, err = newKeyRing(); err != nil {
			t.Fatal(err)
		}
	}
	cfg.DatabaseURL, cfg.DataDir, cfg.SecretKeys = b.URL, b.DataDir, keyRing
	if cfg.AccountTimeout == 0 {
		cfg.AccountTimeout = 5 * time.Second
	}
	opts.Logger = slog.New(slog.DiscardHandler)
	// Listening first gives the server its own public URL (connect pages
	// and OAuth callbacks name it).
	hs := httptest.NewUnstartedServer(nil)
	t.Cleanup(hs.Close)
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://" + hs.Listener.Addr().String()
	}
	srv, err := server.New(context.Background(), cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	hs.Config.Handler = srv.Handler
	hs.Start()
	return &Server{Server: srv, URL: hs.URL, KeyRing: keyRing}
}

// Settle waits until the webhooks srv acknowledged are recorded: on
// PostgreSQL a 200 to a platform means the body is durable, and its events,
// metadata and deliveries follow within milliseconds (ingest.Ingest.Accept).
// A test reading what a webhook recorded settles first.
func Settle(t testing.TB, srv *server.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Service.WaitInbound(ctx); err != nil {
		t.Fatalf("accepted webhooks not recorded: %v", err)
	}
}

// Org creates an organisation and returns an API key of it.
func (s *Server) Org(t testing.TB, name string) string {
	t.Helper()
	_, k, err := s.Service.Bootstrap(context.Background(), name, "test")
	if err != nil {
		t.Fatal(err)
	}
	return k.Secret
}

// Live is a Parley in front of the five emulators, with one organisation
// seeded as the sandbox seeds it.
type Live struct {
	*Server
	Emu    *sandbox.Emulators
	Key    string
	Seeded sandbox.Seeded
}

// StartLive starts the emulators, points cfg at them, starts Parley and seeds
// an organisation "Live" with brand "Acme" and one account per platform.
func StartLive(t testing.TB, b storetest.Backend, cfg config.Config, opts server.Options) *Live {
	t.Helper()
	emu, err := sandbox.StartEmulators(sandbox.EmulatorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emu.Close)
	emu.Configure(&cfg)
	s := Start(t, b, cfg, "", opts)
	ctx := context.Background()
	org, key, err := s.Service.Bootstrap(ctx, "Live", "test")
	if err != nil {
		t.Fatal(err)
	}
	c := service.Caller{OrgID: org.ID}
	brand, err := s.Service.CreateBrand(ctx, c, service.BrandInput{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	seeded, err := emu.Seed(ctx, s.Service, c, brand.ID, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return &Live{Server: s, Emu: emu, Key: key.Secret, Seeded: seeded}
}

// Conv returns a seeded conversation id by scenario ("instagram/open", …).
func (l *Live) Conv(t testing.TB, scenario string) string {
	t.Helper()
	id, ok := l.Seeded.Conversations[scenario]
	if !ok {
		t.Fatalf("no seeded conversation %q", scenario)
	}
	return id
}
