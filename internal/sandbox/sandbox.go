// Package sandbox runs Parley on its embedded defaults for a first try: a
// SQLite file and a generated key ring in a data directory, an organisation,
// a brand and a fresh API key, and ready-to-paste commands.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/secrets"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/service"
	"github.com/parleyhq/parley/internal/store"
)

// OrgName is the sandbox organisation.
const OrgName = "Sandbox"

// keyFile holds the sandbox's key ring inside the data directory.
const keyFile = "secret-keys"

// LoadOrCreateKeys returns the data directory's key ring, generating one on
// first run. The file is readable by its owner only.
func LoadOrCreateKeys(dataDir string, now time.Time) (string, error) {
	path := filepath.Join(dataDir, keyFile)
	b, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", err
	}
	entry, err := secrets.GenerateKey(now)
	if err != nil {
		return "", err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	if _, err := f.WriteString(entry + "\n"); err != nil {
		f.Close()
		return "", err
	}
	return entry, f.Close()
}

// Sandbox is a prepared sandbox, ready to Run.
type Sandbox struct {
	Server   *server.Server
	Listener net.Listener
	Org      store.Organization
	Brand    service.Brand
	Key      service.APIKey
}

// Prepare opens the sandbox's server on cfg, seeding what a newcomer needs.
func Prepare(ctx context.Context, cfg config.Config, opts server.Options) (*Sandbox, error) {
	if cfg.SecretKeys == "" {
		keys, err := LoadOrCreateKeys(cfg.DataDir, time.Now())
		if err != nil {
			return nil, err
		}
		cfg.SecretKeys = keys
	}
	srv, err := server.New(ctx, cfg, opts)
	if err != nil {
		return nil, err
	}
	sb := &Sandbox{Server: srv}
	if err := sb.seed(ctx); err != nil {
		srv.Close()
		return nil, err
	}
	if sb.Listener, err = net.Listen("tcp", cfg.Listen); err != nil {
		srv.Close()
		return nil, err
	}
	return sb, nil
}

func (sb *Sandbox) seed(ctx context.Context) error {
	svc := sb.Server.Service
	org, key, err := svc.Bootstrap(ctx, OrgName, "sandbox "+time.Now().UTC().Format(time.RFC3339))
	if err != nil {
		return err
	}
	sb.Org, sb.Key = org, key
	caller := service.Caller{OrgID: org.ID}
	brands, err := svc.ListBrands(ctx, caller, service.PageRequest{Limit: 1})
	if err != nil {
		return err
	}
	if len(brands.Data) > 0 {
		sb.Brand = brands.Data[0]
		return nil
	}
	sb.Brand, err = svc.CreateBrand(ctx, caller, service.BrandInput{Name: "Sandbox brand"})
	return err
}

// Banner writes the key and ready-to-paste commands.
func (sb *Sandbox) Banner(w io.Writer) {
	base := "http://" + sb.Listener.Addr().String()
	fmt.Fprintf(w, `
Parley sandbox is running at %[1]s

  API key (shown once): %[2]s

Try it:

  export PARLEY_URL=%[1]s PARLEY_API_KEY=%[2]s
  curl -s $PARLEY_URL/v1/brands -H "Authorization: Bearer $PARLEY_API_KEY"
  curl -s $PARLEY_URL/v1/accounts -H "Authorization: Bearer $PARLEY_API_KEY"
  curl -s $PARLEY_URL/v1/inbox/conversations -H "Authorization: Bearer $PARLEY_API_KEY"
  curl -s $PARLEY_URL/openapi.json | head

Press Ctrl-C to stop.
`, base, sb.Key.Secret)
}

// Run serves until ctx ends.
func (sb *Sandbox) Run(ctx context.Context) error {
	return sb.Server.Run(ctx, sb.Listener)
}
