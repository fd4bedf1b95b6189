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
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/connect"
	"github.com/parleyhq/parley/internal/secrets"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/service"
	"github.com/parleyhq/parley/internal/store"
)

// OrgName is the sandbox organisation.
const OrgName = "Sandbox"

// AdminEmail is the sandbox's inbox app admin.
const AdminEmail = "admin@sandbox.example"

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
	Server    *server.Server
	Listener  net.Listener
	Emulators *Emulators
	Org       store.Organization
	Brand     service.Brand
	Key       service.APIKey
	Seeded    Seeded
	// SignInURL is a one-time link signing the sandbox admin (AdminEmail)
	// in to the inbox app.
	SignInURL string
	// ConnectURL is a hosted connect link for a new X account in Brand
	// (single use, valid for connect.SessionTTL).
	ConnectURL string
	// ConnectURLs are connect links for the other platforms (they
	// reconnect the seeded accounts through each emulator's consent page).
	ConnectURLs map[string]string
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
	// A newcomer's webhook receiver runs on their own machine.
	cfg.AllowPrivateWebhooks = true
	webhookSecrets(&cfg)
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, err
	}
	emu, err := StartEmulators(EmulatorOptions{})
	if err != nil {
		ln.Close()
		return nil, err
	}
	emu.Configure(&cfg)
	// Browsers reach the sandbox where it listens; the X app Parley
	// connects through is one registered in the X emulator, so the printed
	// connect link works offline.
	if cfg.PublicURL == "" {
		cfg.PublicURL = browserBase(ln.Addr())
	}
	if err := emu.ConfigureConnect(&cfg); err != nil {
		emu.Close()
		ln.Close()
		return nil, err
	}
	srv, err := server.New(ctx, cfg, opts)
	if err != nil {
		emu.Close()
		ln.Close()
		return nil, err
	}
	sb := &Sandbox{Server: srv, Emulators: emu, Listener: ln}
	if err := sb.seed(ctx); err != nil {
		srv.Close()
		emu.Close()
		ln.Close()
		return nil, err
	}
	// Only now: seeding must not send webhooks to a server not yet serving.
	sb.connectWebhooks("http://"+ln.Addr().String(), cfg)
	srv.Handler = sb.sayHandler(srv.Handler)
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
	} else if sb.Brand, err = svc.CreateBrand(ctx, caller, service.BrandInput{Name: "Sandbox brand"}); err != nil {
		return err
	}
	// The emulators start empty on every run; the accounts persist in the
	// database and are found again.
	if sb.Seeded, err = sb.Emulators.Seed(ctx, svc, caller, sb.Brand.ID, time.Now()); err != nil {
		return err
	}
	if err := sb.seedAdmin(ctx); err != nil {
		return fmt.Errorf("sandbox admin: %w", err)
	}
	s, err := sb.Server.Connect.CreateSession(ctx, org.ID, connect.SessionInput{Platform: "x", BrandID: sb.Brand.ID})
	if err != nil {
		return fmt.Errorf("sandbox connect link: %w", err)
	}
	sb.ConnectURL = s.URL
	sb.ConnectURLs = map[string]string{}
	for _, p := range []string{"instagram", "messenger", "whatsapp", "linkedin"} {
		s, err := sb.Server.Connect.CreateSession(ctx, org.ID, connect.SessionInput{Platform: p, BrandID: sb.Brand.ID})
		if err != nil {
			return fmt.Errorf("sandbox %s connect link: %w", p, err)
		}
		sb.ConnectURLs[p] = s.URL
	}
	return nil
}

// seedAdmin makes (or, on a later run, finds) the sandbox admin and a
// fresh sign-in link for them.
func (sb *Sandbox) seedAdmin(ctx context.Context) error {
	ppl := sb.Server.People
	p, err := sb.Server.Store.PersonByEmail(ctx, AdminEmail)
	switch {
	case errors.Is(err, store.ErrNotFound):
		made, err := ppl.Create(ctx, sb.Org.ID, AdminEmail, "Sandbox admin", store.RoleAdmin)
		if err != nil {
			return err
		}
		p.ID, p.OrgID = made.ID, made.OrgID
	case err != nil:
		return err
	}
	sb.SignInURL, _, err = ppl.SignInLink(ctx, p.OrgID, p.ID)
	return err
}

// browserBase is the http URL a browser on this machine uses for addr: a
// wildcard listen address is reached through loopback.
func browserBase(addr net.Addr) string {
	if t, ok := addr.(*net.TCPAddr); ok && (t.IP == nil || t.IP.IsUnspecified()) {
		return "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(t.Port))
	}
	return "http://" + addr.String()
}

// Banner writes the key and ready-to-paste commands.
func (sb *Sandbox) Banner(w io.Writer) {
	base := browserBase(sb.Listener.Addr())
	c := sb.Seeded.Conversations
	fmt.Fprintf(w, `
Parley sandbox is running at %[1]s, with emulated Instagram, Messenger,
WhatsApp, X and LinkedIn accounts seeded in brand %[3]q.

  API key (shown once): %[2]s

  Inbox app: open this one-time sign-in link (admin %[14]s):
  %[13]s

Try it:

  export PARLEY_URL=%[1]s PARLEY_API_KEY=%[2]s
  H="Authorization: Bearer $PARLEY_API_KEY"

  # every conversation across the five accounts, newest first
  curl -s "$PARLEY_URL/v1/inbox/conversations" -H "$H"

  # one conversation and its reply window, then its history (read live from the platform)
  curl -s "$PARLEY_URL/v1/inbox/conversations/%[4]s" -H "$H"
  curl -s "$PARLEY_URL/v1/inbox/conversations/%[4]s/messages" -H "$H"

  # reply (the window is open)
  curl -s -X POST "$PARLEY_URL/v1/inbox/conversations/%[4]s/messages" -H "$H"     -H 'Content-Type: application/json' -H "Idempotency-Key: $(date +%%s)" -d '{"text":"Yes, medium is in stock!"}'

  # rich messages: quick replies (a tap comes back as message.received with choice.payload);
  # this Messenger conversation ends with the customer tapping one
  curl -s "$PARLEY_URL/v1/inbox/conversations/%[19]s/messages" -H "$H"
  curl -s -X POST "$PARLEY_URL/v1/inbox/conversations/%[19]s/messages" -H "$H"     -d '{"text":"Pickup or delivery?","quick_replies":[{"title":"Pickup","payload":"PICKUP"},{"title":"Delivery","payload":"DELIVERY"}]}'

  # a closed window answers 410 with the options that remain (HUMAN_AGENT for a person)
  curl -s -X POST "$PARLEY_URL/v1/inbox/conversations/%[5]s/messages" -H "$H" -d '{"text":"Still there?"}'
  curl -s -X POST "$PARLEY_URL/v1/inbox/conversations/%[5]s/messages" -H "$H" -d '{"text":"Sorry for the wait!","tag":"HUMAN_AGENT"}'

  # WhatsApp outside the 24 h window needs an approved template
  curl -s -X POST "$PARLEY_URL/v1/inbox/conversations/%[6]s/messages" -H "$H" -d '{"text":"hello?"}'
  curl -s -X POST "$PARLEY_URL/v1/inbox/conversations/%[6]s/messages" -H "$H"     -d '{"template":{"name":"order_update","language":"en_US"}}'

  # X and LinkedIn have no window
  curl -s -X POST "$PARLEY_URL/v1/inbox/conversations/%[7]s/messages" -H "$H" -d '{"text":"Happy to help!"}'
  curl -s -X POST "$PARLEY_URL/v1/inbox/conversations/%[8]s/messages" -H "$H" -d '{"text":"We are! See our careers page."}'

  # receive events: point a webhook at your own endpoint (loopback is allowed in the sandbox)
  curl -s -X POST "$PARLEY_URL/v1/webhooks" -H "$H" -d '{"url":"http://127.0.0.1:9999/hook"}'
  # a customer writes on Instagram: emulator -> signed webhook -> Parley -> your endpoint
  go run ./cmd/parley sandbox say --platform instagram "Is the jacket back in stock?"
  curl -s "$PARLEY_URL/v1/events" -H "$H"

  # connect a new X account through X's own OAuth (the emulator's consent page):
  # open this link in a browser and sign in as @%[10]s (single use, valid %[11]s)
  %[9]s
  # another link: curl -s -X POST "$PARLEY_URL/v1/connect/sessions" -H "$H" -d '{"platform":"x","brand_id":"%[12]s"}'
  # the other platforms' consent pages (each reconnects the seeded account, keeping its id):
  #   instagram %[15]s
  #   messenger %[16]s
  #   whatsapp  %[17]s
  #   linkedin  %[18]s
  curl -s "$PARLEY_URL/v1/accounts" -H "$H"

  curl -s "$PARLEY_URL/v1/platforms" -H "$H"      # what each platform allows
  curl -s "$PARLEY_URL/openapi.json" | head

The platform emulators Parley talks to (point your own platform SDK at them;
'parley sandbox emulators' runs them without Parley):

`, base, sb.Key.Secret, sb.Brand.Name, c["instagram/open"], c["messenger/human_agent_only"], c["whatsapp/closed"], c["x/open"], c["linkedin/open"],
		sb.ConnectURL, XConnectUsername, connect.SessionTTL, sb.Brand.ID, sb.SignInURL, AdminEmail,
		sb.ConnectURLs["instagram"], sb.ConnectURLs["messenger"], sb.ConnectURLs["whatsapp"], sb.ConnectURLs["linkedin"], c["messenger/quick_reply"])
	sb.Emulators.Endpoints(w, sb.Seeded)
	fmt.Fprintln(w, "Press Ctrl-C to stop.")
}

// Run serves until ctx ends.
func (sb *Sandbox) Run(ctx context.Context) error {
	defer sb.Emulators.Close()
	return sb.Server.Run(ctx, sb.Listener)
}
