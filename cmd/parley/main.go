// Command parley runs the Parley server, its sandbox and its operator tools.
// Everything it does lives in internal/; this file only wires flags to it.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/jobs"
	"github.com/parleyhq/parley/internal/mcpserver"
	"github.com/parleyhq/parley/internal/people"
	"github.com/parleyhq/parley/internal/plans"
	"github.com/parleyhq/parley/internal/plantable"
	"github.com/parleyhq/parley/internal/sandbox"
	"github.com/parleyhq/parley/internal/secrets"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/service"
	"github.com/parleyhq/parley/internal/store"
)

func main() {
	if err := root().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "parley:", err)
		os.Exit(1)
	}
}

func root() *cobra.Command {
	cmd := &cobra.Command{Use: "parley", Short: "Unified direct-messaging API", SilenceUsage: true, SilenceErrors: true}
	f := cmd.PersistentFlags()
	// The flags come from config's table, so each names its variable and
	// its default as the README does; Load applies only those the user set.
	for _, v := range config.Variables() {
		if v.Flag != "" {
			f.String(v.Flag, v.Default, v.Usage+" ("+v.Name+")")
		}
	}
	cmd.AddCommand(serveCmd(), sandboxCmd(), migrateCmd(), keysCmd(), orgsCmd(), usersCmd(), secretsCmd(), mcpCmd(), versionCmd(), healthcheckCmd())
	return cmd
}

// loadConfig is the one way a command reads its configuration: defaults,
// environment, the flags set on the command line, validation. Any invalid
// value stops the command before it opens or starts anything, with every
// invalid variable named; unknown PARLEY_* variables are logged.
func loadConfig(cmd *cobra.Command) (config.Config, *slog.Logger, error) {
	flags := map[string]string{}
	for _, v := range config.Variables() {
		if v.Flag == "" {
			continue
		}
		if fl := cmd.Flag(v.Flag); fl != nil && fl.Changed {
			flags[v.Flag] = fl.Value.String()
		}
	}
	cfg, warnings, err := config.Load(os.Environ(), flags)
	if err != nil {
		return cfg, nil, fmt.Errorf("invalid configuration, nothing started:\n%w", err)
	}
	log := server.NewLogger(cfg, os.Stderr)
	for _, w := range warnings {
		log.Warn(w)
	}
	return cfg, log, nil
}

func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func serveCmd() *cobra.Command {
	return &cobra.Command{Use: "serve", Short: "Run the API server", RunE: func(cmd *cobra.Command, _ []string) error {
		cfg, log, err := loadConfig(cmd)
		if err != nil {
			return err
		}
		ctx, cancel := signalContext()
		defer cancel()
		srv, err := server.New(ctx, cfg, server.Options{Logger: log})
		if err != nil {
			return err
		}
		return srv.Run(ctx, nil)
	}}
}

func sandboxCmd() *cobra.Command {
	sb := &cobra.Command{Use: "sandbox", Short: "Run Parley on its embedded defaults with seeded data, for a first try",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, log, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			// One process, no load balancer to drain it from: Ctrl-C stops
			// at once unless a drain is asked for.
			if os.Getenv("PARLEY_SHUTDOWN_DRAIN") == "" {
				cfg.ShutdownDrain = 0
			}
			ctx, cancel := signalContext()
			defer cancel()
			sb, err := sandbox.Prepare(ctx, cfg, server.Options{Logger: log})
			if err != nil {
				return err
			}
			sb.Banner(cmd.OutOrStdout())
			return sb.Run(ctx)
		}}
	var p string
	say := &cobra.Command{Use: "say TEXT", Short: "Simulate a customer's DM to a running sandbox (uses PARLEY_URL and PARLEY_API_KEY)",
		Args: cobra.ExactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
			base, key := strings.TrimRight(os.Getenv("PARLEY_URL"), "/"), os.Getenv("PARLEY_API_KEY")
			if base == "" || key == "" {
				return fmt.Errorf("set PARLEY_URL and PARLEY_API_KEY to the values the sandbox printed")
			}
			body, _ := json.Marshal(map[string]string{"platform": p, "text": args[0]})
			req, err := http.NewRequestWithContext(cmd.Context(), http.MethodPost, base+"/sandbox/inbound", bytes.NewReader(body))
			if err != nil {
				return err
			}
			req.Header.Set("Authorization", "Bearer "+key)
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			defer res.Body.Close()
			out, _ := io.ReadAll(res.Body)
			if res.StatusCode != http.StatusCreated {
				return fmt.Errorf("sandbox answered %d: %s", res.StatusCode, out)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s", out)
			return nil
		}}
	say.Flags().StringVar(&p, "platform", "instagram", "instagram, messenger, whatsapp, x or linkedin")
	emus := &cobra.Command{Use: "emulators", Short: "Run only the five seeded platform emulators (no Parley) and print their URLs and tokens, for your own platform SDKs",
		Args: cobra.NoArgs, RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer cancel()
			emu, seeded, err := sandbox.StartStandalone(time.Now())
			if err != nil {
				return err
			}
			defer emu.Close()
			w := cmd.OutOrStdout()
			fmt.Fprint(w, "\nPlatform emulators running on loopback, seeded with one account per platform\nand conversations in every reply-window state (no Parley server):\n\n")
			emu.Endpoints(w, seeded)
			fmt.Fprintln(w, "Press Ctrl-C to stop.")
			<-ctx.Done()
			return nil
		}}
	sb.AddCommand(say, emus)
	return sb
}

// openService loads the configuration and opens the database for an
// operator command.
func openService(cmd *cobra.Command) (*service.Service, store.Store, error) {
	svc, _, db, err := openOperator(cmd)
	return svc, db, err
}

// openOperator is openService with the plans capability too, for `orgs`.
func openOperator(cmd *cobra.Command) (*service.Service, *plans.Plans, store.Store, error) {
	ctx := cmd.Context()
	cfg, _, err := loadConfig(cmd)
	if err != nil {
		return nil, nil, nil, err
	}
	keys := cfg.SecretKeys
	if keys == "" && cfg.DatabaseURL == "" {
		// The sandbox's own key ring, when operating on its data dir.
		if b, err := os.ReadFile(cfg.DataDir + "/secret-keys"); err == nil {
			keys = string(b)
		}
	}
	if keys == "" {
		return nil, nil, nil, server.ErrNoSecretKeys
	}
	ring, err := secrets.ParseKeyRing(keys)
	if err != nil {
		return nil, nil, nil, err
	}
	table, err := plantable.Load(cfg.PlansFile)
	if err != nil {
		return nil, nil, nil, err
	}
	db, err := server.OpenStore(ctx, cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	pl, err := plans.New(domain.Deps{Store: db, Keys: ring}, plans.Config{Table: table, Default: cfg.DefaultPlan, OrgQuota: cfg.OrgQuota})
	if err != nil {
		db.Close()
		return nil, nil, nil, err
	}
	return service.New(service.Config{Store: db, Keys: ring}), pl, db, nil
}

func migrateCmd() *cobra.Command {
	return &cobra.Command{Use: "migrate", Short: "Apply database migrations (Parley's and River's) and exit", RunE: func(cmd *cobra.Command, _ []string) error {
		cfg, _, err := loadConfig(cmd)
		if err != nil {
			return err
		}
		ctx, cancel := signalContext()
		defer cancel()
		db, err := server.OpenStore(ctx, cfg)
		if err != nil {
			return err
		}
		defer db.Close()
		if err := jobs.Migrate(ctx, jobs.Config{DB: db.SQL(), Dialect: db.Dialect().Name}); err != nil {
			return err
		}
		fmt.Fprintln(cmd.OutOrStdout(), "migrations applied to", db.Dialect().Name)
		return nil
	}}
}

func orgCaller(ctx context.Context, db store.Store, name string) (service.Caller, error) {
	org, err := db.FindOrganizationByName(ctx, name)
	if err != nil {
		return service.Caller{}, fmt.Errorf("organisation %q: %w", name, err)
	}
	return service.Caller{OrgID: org.ID}, nil
}

func keysCmd() *cobra.Command {
	var org, name string
	keys := &cobra.Command{Use: "keys", Short: "Manage API keys"}
	keys.PersistentFlags().StringVar(&org, "org", "Default", "organisation name")
	create := &cobra.Command{Use: "create", Short: "Create an API key (and the organisation if it is new); prints the key once",
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, db, err := openService(cmd)
			if err != nil {
				return err
			}
			defer db.Close()
			o, k, err := svc.Bootstrap(cmd.Context(), org, name)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "organisation %s (%s)\nkey id %s\n%s\n", o.Name, o.ID, k.ID, k.Secret)
			return nil
		}}
	create.Flags().StringVar(&name, "name", "cli", "what the key is for")
	list := &cobra.Command{Use: "list", Short: "List an organisation's API keys", RunE: func(cmd *cobra.Command, _ []string) error {
		svc, db, err := openService(cmd)
		if err != nil {
			return err
		}
		defer db.Close()
		c, err := orgCaller(cmd.Context(), db, org)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tENDS\tCREATED\tLAST USED\tREVOKED")
		for cursor := ""; ; {
			l, err := svc.ListAPIKeys(cmd.Context(), c, service.PageRequest{Cursor: cursor, Limit: 100})
			if err != nil {
				return err
			}
			for _, k := range l.Data {
				fmt.Fprintf(tw, "%s\t%s\t…%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Hint, k.CreatedAt.Format(time.RFC3339), when(k.LastUsedAt), when(k.RevokedAt))
			}
			if !l.HasMore {
				break
			}
			cursor = l.NextCursor
		}
		return tw.Flush()
	}}
	revoke := &cobra.Command{Use: "revoke KEY_ID", Short: "Revoke an API key", Args: cobra.ExactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		svc, db, err := openService(cmd)
		if err != nil {
			return err
		}
		defer db.Close()
		c, err := orgCaller(cmd.Context(), db, org)
		if err != nil {
			return err
		}
		if err := svc.RevokeAPIKey(cmd.Context(), c, args[0]); err != nil {
			return err
		}
		fmt.Fprintln(cmd.OutOrStdout(), "revoked", args[0])
		return nil
	}}
	keys.AddCommand(create, list, revoke)
	return keys
}

func usersCmd() *cobra.Command {
	var org, email, name, role string
	users := &cobra.Command{Use: "users", Short: "Manage the people who sign in to the inbox app"}
	create := &cobra.Command{Use: "create", Short: "Add a person (and the organisation if it is new); prints a one-time sign-in link",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, _, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			db, err := server.OpenStore(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			o, err := db.FindOrganizationByName(cmd.Context(), org)
			if errors.Is(err, store.ErrNotFound) {
				o = store.Organization{ID: store.NewID("org"), Name: org, CreatedAt: time.Now().UTC()}
				err = db.CreateOrganization(cmd.Context(), o)
			}
			if err != nil {
				return fmt.Errorf("organisation %q: %w", org, err)
			}
			ppl := people.New(people.Config{Store: db, PublicURL: server.BrowserURL(cfg)})
			p, err := ppl.Create(cmd.Context(), o.ID, email, name, role)
			if err != nil {
				return err
			}
			link, until, err := ppl.SignInLink(cmd.Context(), o.ID, p.ID)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s (%s) in organisation %s\nsign-in link (works once, until %s):\n%s\n",
				p.Role, p.Email, p.ID, o.Name, until.Format(time.RFC3339), link)
			return nil
		}}
	create.Flags().StringVar(&org, "org", "Default", "organisation name")
	create.Flags().StringVar(&email, "email", "", "the person's email address (required)")
	create.Flags().StringVar(&name, "name", "", "the person's name")
	create.Flags().StringVar(&role, "role", "agent", "admin (also manages people) or agent")
	_ = create.MarkFlagRequired("email")
	users.AddCommand(create)
	return users
}

func when(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.RFC3339)
}

func secretsCmd() *cobra.Command {
	s := &cobra.Command{Use: "secrets", Short: "Manage the key ring that seals stored tokens"}
	s.AddCommand(&cobra.Command{Use: "generate", Short: "Print a new key ring entry (append it to PARLEY_SECRET_KEYS, comma-separated, newest last)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := secrets.GenerateKey(time.Now())
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), e)
			return nil
		}})
	s.AddCommand(&cobra.Command{Use: "rotate", Short: "Re-seal every stored token under the newest key of PARLEY_SECRET_KEYS",
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, db, err := openService(cmd)
			if err != nil {
				return err
			}
			defer db.Close()
			n, err := svc.RotateSecrets(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "re-sealed %d credential(s)\n", n)
			return nil
		}})
	return s
}

func mcpCmd() *cobra.Command {
	return &cobra.Command{Use: "mcp", Short: "Serve MCP over stdio against a Parley server (PARLEY_URL, PARLEY_API_KEY), for desktop agents",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := signalContext()
			defer cancel()
			remote, err := mcpserver.RemoteFromEnv("parley-mcp/" + server.Version)
			if err != nil {
				return err
			}
			// stdout carries JSON-RPC only; logs go to stderr.
			log := slog.New(slog.NewTextHandler(os.Stderr, nil))
			return mcpserver.RunStdio(ctx, remote, os.Stdin, os.Stdout, &mcpserver.Options{Logger: log, Version: server.Version})
		}}
}

func versionCmd() *cobra.Command {
	return &cobra.Command{Use: "version", Short: "Print the version", Run: func(cmd *cobra.Command, _ []string) {
		fmt.Fprintln(cmd.OutOrStdout(), server.Version)
	}}
}

// healthcheckCmd probes the local server's /healthz, for a container's
// HEALTHCHECK: the image has no shell, curl or wget, only this binary.
func healthcheckCmd() *cobra.Command {
	return &cobra.Command{Use: "healthcheck", Short: "Exit 0 when the server at PARLEY_LISTEN answers /healthz (for container health checks)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, _, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			host, port, err := net.SplitHostPort(cfg.Listen)
			if err != nil {
				return fmt.Errorf("PARLEY_LISTEN %q: %w", cfg.Listen, err)
			}
			if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
				host = "127.0.0.1" // listening on every address includes loopback
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 3*time.Second)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/healthz", nil)
			if err != nil {
				return err
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				return fmt.Errorf("/healthz answered %s", res.Status)
			}
			return nil
		}}
}
