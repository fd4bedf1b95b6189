package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/plantable"
	"github.com/parleyhq/parley/internal/secrets"
)

// Var describes one configuration variable, for cmd/parley's flags and for
// the README's table (a test keeps the two equal).
type Var struct {
	// Name is the environment variable, PARLEY_….
	Name string
	// Flag is the cmd/parley flag that overrides it, without dashes; empty
	// when there is none.
	Flag string
	// Default is the value used when the variable is unset or empty, as it
	// would be written in the environment; empty when the default is empty.
	Default string
	// Usage is a one-line description, for flag help.
	Usage string
	// Secret values are never echoed in errors.
	Secret bool
}

// Variables lists every variable Load reads, in the README's order.
func Variables() []Var {
	vars := table()
	out := make([]Var, len(vars))
	for i, v := range vars {
		out[i] = Var{Name: v.name, Flag: v.flag, Default: v.def, Usage: v.usage, Secret: v.secret}
	}
	return out
}

// variable is one row of the table every other function of the package
// walks: its name, default, and how to read, check and copy its field.
type variable struct {
	name, flag, def, usage string
	secret                 bool
	// zeroIsUnset: WithDefaults replaces a zero field by the default.
	zeroIsUnset bool
	// parse sets the field from text; its error says what was expected.
	parse func(c *Config, s string) error
	// check reports an out-of-range field (after parsing); nil for any.
	check  func(c *Config) error
	show   func(c *Config) string
	isZero func(c *Config) bool
	copy   func(dst, src *Config)
}

// Bounds that are not mere positivity, with why.
const (
	// minRescue: River times jobs out at half of it, and a zero JobTimeout
	// would mean River's one-minute default, longer than the rescue delay,
	// which River refuses; a second keeps both meaningful.
	minRescue = time.Second
	// maxWindowLead: the shortest reply window is 24 hours (Instagram,
	// Messenger, WhatsApp); a lead that long would announce every window
	// as closing when it opens.
	maxWindowLead = 24 * time.Hour
	// maxDBConns: PostgreSQL's default max_connections is 100, shared by
	// every replica; a pool larger than that is a typo, not a plan.
	maxDBConns = 1000
	// minConnTime: pgxpool checks lifetimes on its health-check tick;
	// below a second a connection would be replaced almost per query.
	minConnTime = time.Second
	// maxShutdown: orchestrators kill a container that has not stopped
	// after their own grace period (Kubernetes 30 s, Docker 10 s by
	// default); a drain or a timeout of an hour is a typo.
	maxShutdown = time.Hour
)

// table is the variables, in the README's order. A function, not a
// package variable, so nothing can change it.
func table() []variable {
	return []variable{
		listenVar(),
		stringVar("PARLEY_DATABASE_URL", "database-url", "", "postgres:// URL; empty for SQLite in the data dir",
			func(c *Config) *string { return &c.DatabaseURL }, false, checkDatabaseURL),
		countVar("PARLEY_DB_MAX_CONNS", "20", "most PostgreSQL connections this process opens", func(c *Config) *int { return &c.DBMaxConns },
			true, fmt.Sprintf("want a whole number from 1 to %d", maxDBConns), func(c *Config) (int, int, string) {
				return 1, maxDBConns, ""
			}),
		countVar("PARLEY_DB_MIN_OPEN_CONNS", "2", "PostgreSQL connections kept open while idle", func(c *Config) *int { return &c.DBMinConns },
			false, "want a whole number from 0 to PARLEY_DB_MAX_CONNS", func(c *Config) (int, int, string) {
				return 0, c.DBMaxConns, fmt.Sprintf(" (%d)", c.DBMaxConns)
			}),
		durationVar("PARLEY_DB_CONN_LIFETIME", "1h", "when a PostgreSQL connection is replaced (jittered)",
			func(c *Config) *time.Duration { return &c.DBConnLifetime }, minConnTime, 0),
		durationVar("PARLEY_DB_CONN_IDLE_TIME", "30m", "when an unused PostgreSQL connection above the minimum is closed",
			func(c *Config) *time.Duration { return &c.DBConnIdleTime }, minConnTime, 0),
		stringVar("PARLEY_DATA_DIR", "data-dir", "parley-data", "directory for the SQLite file and sandbox keys",
			func(c *Config) *string { return &c.DataDir }, true, nonEmpty),
		stringVar("PARLEY_SECRET_KEYS", "", "", "key ring id:base64key,…, newest last",
			func(c *Config) *string { return &c.SecretKeys }, false, checkKeyRing).hidden(),
		intVar("PARLEY_KEY_QUOTA", "600", "requests per minute per API key (0 = off)", func(c *Config) *int { return &c.KeyQuota }),
		intVar("PARLEY_ORG_QUOTA", "3000", "requests per minute per organisation (0 = off)", func(c *Config) *int { return &c.OrgQuota }),
		intVar("PARLEY_AUTH_FAILURE_LIMIT", "20", "invalid-key requests per minute per client address (0 = off)",
			func(c *Config) *int { return &c.AuthFailureLimit }),
		stringVar("PARLEY_PLANS_FILE", "", "", "JSON plan table replacing the shipped tiers",
			func(c *Config) *string { return &c.PlansFile }, false, checkPlansFile),
		{name: "PARLEY_DEFAULT_PLAN", def: plantable.Unlimited, usage: "plan of new organisations", zeroIsUnset: true,
			parse:  func(c *Config, s string) error { c.DefaultPlan = strings.TrimSpace(s); return nil },
			check:  checkDefaultPlan,
			show:   func(c *Config) string { return c.DefaultPlan },
			isZero: func(c *Config) bool { return c.DefaultPlan == "" },
			copy:   func(dst, src *Config) { dst.DefaultPlan = src.DefaultPlan }},
		stringVar("PARLEY_OPERATOR_TOKEN", "", "", "token of the operator API (empty: off)",
			func(c *Config) *string { return &c.OperatorToken }, false, checkOperatorToken).hidden(),
		stringVar("PARLEY_TRUSTED_PROXIES", "", "", "comma-separated CIDRs or addresses of reverse proxies",
			func(c *Config) *string { return &c.TrustedProxies }, false, checkProxies),
		durationVar("PARLEY_ACCOUNT_TIMEOUT", "10s", "deadline of one account's platform call in lists",
			func(c *Config) *time.Duration { return &c.AccountTimeout }, 1, 0),
		durationVar("PARLEY_WHATSAPP_RETENTION", "2160h", "how long journalled WhatsApp messages are kept",
			func(c *Config) *time.Duration { return &c.WhatsAppRetention }, 1, 0),
		countVar("PARLEY_MEDIA_MAX_BYTES", "104857600", "largest file POST /v1/media takes, in bytes (each platform's own limit still applies)",
			func(c *Config) *int { return &c.MediaMaxBytes }, true, "want a number of bytes from 1024 to 1073741824 (1 GiB)",
			func(*Config) (int, int, string) { return 1024, 1 << 30, "" }),
		durationVar("PARLEY_MEDIA_TTL", "24h", "how long an uploaded file waits for the send that uses it",
			func(c *Config) *time.Duration { return &c.MediaTTL }, time.Minute, 0),
		durationVar("PARLEY_WINDOW_CLOSING_LEAD", "2h", "conversation.window_closing lead time",
			func(c *Config) *time.Duration { return &c.WindowLead }, 1, maxWindowLead),
		boolVar("PARLEY_WEBHOOK_ALLOW_PRIVATE", "false", "allow webhook endpoints on loopback and private networks",
			func(c *Config) *bool { return &c.AllowPrivateWebhooks }),
		stringVar("PARLEY_META_APP_SECRET", "", "", "Meta app webhook signature key",
			func(c *Config) *string { return &c.MetaAppSecret }, false, nil).hidden(),
		stringVar("PARLEY_META_VERIFY_TOKEN", "", "", "Meta webhook handshake token",
			func(c *Config) *string { return &c.MetaVerifyToken }, false, nil).hidden(),
		stringVar("PARLEY_X_CONSUMER_SECRET", "", "", "X webhook CRC and signature key",
			func(c *Config) *string { return &c.XConsumerSecret }, false, nil).hidden(),
		stringVar("PARLEY_X_DM_POLL", "", "auto", "poll X DMs with GET /2/dm_events: auto (when PARLEY_X_CONSUMER_SECRET is empty), on or off",
			func(c *Config) *string { return &c.XDMPoll }, true, oneOf("auto", "on", "off")),
		stringVar("PARLEY_LINKEDIN_CLIENT_SECRET", "", "", "LinkedIn webhook signature key",
			func(c *Config) *string { return &c.LinkedInClientSecret }, false, nil).hidden(),
		stringVar("PARLEY_PUBLIC_URL", "", "", "where browsers reach this Parley (connect pages, OAuth callbacks)",
			func(c *Config) *string { return &c.PublicURL }, false, optionalURL),
		pairedVar("PARLEY_X_CLIENT_ID", "X app OAuth 2.0 client id (hosted connect)",
			func(c *Config) *string { return &c.XClientID }, "PARLEY_X_CLIENT_SECRET", func(c *Config) string { return c.XClientSecret }),
		stringVar("PARLEY_X_CLIENT_SECRET", "", "", "X app OAuth 2.0 client secret",
			func(c *Config) *string { return &c.XClientSecret }, false, nil).hidden(),
		urlVar("PARLEY_X_AUTHORIZE_URL", "https://x.com/i/oauth2/authorize", "X OAuth 2.0 consent page", func(c *Config) *string { return &c.XAuthorizeURL }),
		pairedVar("PARLEY_META_APP_ID", "Meta app id (hosted connect: Messenger, Instagram through a Page, WhatsApp)",
			func(c *Config) *string { return &c.MetaAppID }, "PARLEY_META_APP_SECRET", func(c *Config) string { return c.MetaAppSecret }),
		stringVar("PARLEY_META_CONFIG_ID", "", "", "Facebook Login for Business configuration id (replaces scopes)",
			func(c *Config) *string { return &c.MetaConfigID }, false, nil),
		urlVar("PARLEY_META_AUTHORIZE_URL", "https://www.facebook.com/v25.0/dialog/oauth", "Facebook Login dialog",
			func(c *Config) *string { return &c.MetaAuthorizeURL }),
		stringVar("PARLEY_WHATSAPP_CONFIG_ID", "", "", "WhatsApp Embedded Signup configuration id",
			func(c *Config) *string { return &c.WhatsAppConfigID }, false, nil),
		urlVar("PARLEY_WHATSAPP_AUTHORIZE_URL", "https://www.facebook.com/v25.0/dialog/oauth", "Facebook Login dialog for WhatsApp Embedded Signup",
			func(c *Config) *string { return &c.WhatsAppAuthorizeURL }),
		pairedVar("PARLEY_INSTAGRAM_APP_ID", "Instagram app id (Instagram Login)",
			func(c *Config) *string { return &c.InstagramAppID }, "PARLEY_INSTAGRAM_APP_SECRET", func(c *Config) string { return c.InstagramAppSecret }),
		stringVar("PARLEY_INSTAGRAM_APP_SECRET", "", "", "Instagram app secret (Instagram Login)",
			func(c *Config) *string { return &c.InstagramAppSecret }, false, nil).hidden(),
		urlVar("PARLEY_INSTAGRAM_AUTHORIZE_URL", "https://www.instagram.com/oauth/authorize", "Instagram Login authorization window",
			func(c *Config) *string { return &c.InstagramAuthorizeURL }),
		urlVar("PARLEY_INSTAGRAM_TOKEN_URL", "https://api.instagram.com/oauth/access_token", "Instagram Login code exchange",
			func(c *Config) *string { return &c.InstagramTokenURL }),
		pairedVar("PARLEY_LINKEDIN_CLIENT_ID", "LinkedIn app client id (hosted connect)",
			func(c *Config) *string { return &c.LinkedInClientID }, "PARLEY_LINKEDIN_CLIENT_SECRET", func(c *Config) string { return c.LinkedInClientSecret }),
		urlVar("PARLEY_LINKEDIN_AUTHORIZE_URL", "https://www.linkedin.com/oauth/v2/authorization", "LinkedIn OAuth 2.0 consent page (token endpoint on the same host)",
			func(c *Config) *string { return &c.LinkedInAuthorizeURL }),
		urlVar("PARLEY_GRAPH_FACEBOOK_URL", "https://graph.facebook.com", "Facebook Graph API root", func(c *Config) *string { return &c.GraphFacebookURL }),
		urlVar("PARLEY_GRAPH_INSTAGRAM_URL", "https://graph.instagram.com", "Instagram Graph API root", func(c *Config) *string { return &c.GraphInstagramURL }),
		urlVar("PARLEY_WHATSAPP_URL", "https://graph.facebook.com", "WhatsApp Cloud API root", func(c *Config) *string { return &c.WhatsAppURL }),
		urlVar("PARLEY_X_URL", "https://api.x.com", "X API root", func(c *Config) *string { return &c.XURL }),
		urlVar("PARLEY_LINKEDIN_URL", "https://api.linkedin.com", "LinkedIn API root", func(c *Config) *string { return &c.LinkedInURL }),
		durationVar("PARLEY_JOB_RESCUE_AFTER", "2m", "when a job left running by a killed process is retried",
			func(c *Config) *time.Duration { return &c.JobRescueAfter }, minRescue, 0),
		delayVar("PARLEY_SHUTDOWN_DRAIN", "5s", "on SIGTERM, how long /readyz answers 503 before the listener closes (0s: none)",
			func(c *Config) *time.Duration { return &c.ShutdownDrain }, maxShutdown),
		durationVar("PARLEY_SHUTDOWN_TIMEOUT", "30s", "then, how long in-flight requests and running jobs may take before jobs are handed back",
			func(c *Config) *time.Duration { return &c.ShutdownTimeout }, time.Second, maxShutdown),
		stringVar("PARLEY_LOG_LEVEL", "log-level", "info", "debug, info, warn or error",
			func(c *Config) *string { return &c.LogLevel }, true, oneOf("debug", "info", "warn", "error")),
		stringVar("PARLEY_LOG_FORMAT", "log-format", "text", "text or json",
			func(c *Config) *string { return &c.LogFormat }, true, oneOf("text", "json")),
	}
}

// optionalURL accepts empty or an absolute http(s) URL without query or
// fragment (paths are appended to it).
func optionalURL(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return errors.New("want an absolute http:// or https:// URL without query or fragment, such as https://parley.example.com")
	}
	return nil
}

// pairedVar is an app id that is useless without its secret: set alone, it
// is an error naming the missing variable.
func pairedVar(name, usage string, f func(*Config) *string, secretName string, secret func(*Config) string) variable {
	v := stringVar(name, "", "", usage, f, false, nil)
	v.check = func(c *Config) error {
		if *f(c) != "" && secret(c) == "" {
			return errors.New("set " + secretName + " too: the app id alone cannot connect accounts")
		}
		return nil
	}
	return v
}

func (v variable) hidden() variable { v.secret = true; return v }

func stringVar(name, flag, def, usage string, f func(*Config) *string, zeroIsUnset bool, check func(string) error) variable {
	v := variable{name: name, flag: flag, def: def, usage: usage, zeroIsUnset: zeroIsUnset,
		parse:  func(c *Config, s string) error { *f(c) = s; return nil },
		show:   func(c *Config) string { return *f(c) },
		isZero: func(c *Config) bool { return *f(c) == "" },
		copy:   func(dst, src *Config) { *f(dst) = *f(src) },
	}
	if check != nil {
		v.check = func(c *Config) error { return check(*f(c)) }
	}
	return v
}

func listenVar() variable {
	return stringVar("PARLEY_LISTEN", "listen", "127.0.0.1:8080", "HTTP listen address",
		func(c *Config) *string { return &c.Listen }, true, func(s string) error {
			_, port, err := net.SplitHostPort(s)
			if err != nil {
				return errors.New("want host:port, such as 127.0.0.1:8080 or :8080")
			}
			if _, err := strconv.ParseUint(port, 10, 16); err != nil {
				return fmt.Errorf("want host:port with a port from 0 to 65535, not %q", port)
			}
			return nil
		})
}

func urlVar(name, def, usage string, f func(*Config) *string) variable {
	return stringVar(name, "", def, usage, f, true, func(s string) error {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errors.New("want an absolute http:// or https:// URL, such as " + def)
		}
		if u.RawQuery != "" || u.Fragment != "" {
			return errors.New("want an API root without query or fragment, such as " + def)
		}
		return nil
	})
}

// intVar is a count where 0 disables the limit: negative is out of range.
func intVar(name, def, usage string, f func(*Config) *int) variable {
	return variable{name: name, def: def, usage: usage,
		parse: func(c *Config, s string) error {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil {
				return errors.New("want a whole number (0 turns the limit off)")
			}
			*f(c) = n
			return nil
		},
		check: func(c *Config) error {
			if *f(c) < 0 {
				return errors.New("want 0 (off) or more")
			}
			return nil
		},
		show:   func(c *Config) string { return strconv.Itoa(*f(c)) },
		isZero: func(c *Config) bool { return *f(c) == 0 },
		copy:   func(dst, src *Config) { *f(dst) = *f(src) },
	}
}

// countVar is a whole number from lo to hi, bounds that may depend on other
// fields. want says what is expected, for malformed and out-of-range values
// alike; an out-of-range error adds more (the other field's value).
func countVar(name, def, usage string, f func(*Config) *int, zeroIsUnset bool, want string,
	bounds func(*Config) (lo, hi int, more string)) variable {
	return variable{name: name, def: def, usage: usage, zeroIsUnset: zeroIsUnset,
		parse: func(c *Config, s string) error {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil {
				return errors.New(want)
			}
			*f(c) = n
			return nil
		},
		check: func(c *Config) error {
			if lo, hi, more := bounds(c); *f(c) < lo || *f(c) > hi {
				return errors.New(want + more)
			}
			return nil
		},
		show:   func(c *Config) string { return strconv.Itoa(*f(c)) },
		isZero: func(c *Config) bool { return *f(c) == 0 },
		copy:   func(dst, src *Config) { *f(dst) = *f(src) },
	}
}

// durationVar is a Go duration of at least lo and, when hi > 0, below hi.
// Zero is never a setting, so WithDefaults fills it in.
func durationVar(name, def, usage string, f func(*Config) *time.Duration, lo, hi time.Duration) variable {
	// One message for malformed and out-of-range values alike: whoever
	// fixes one should not then trip over the other.
	want := "want a Go duration such as 30s, 10m or 2h"
	switch {
	case lo > 1 && hi > 0:
		want += ", at least " + lo.String() + " and less than " + hi.String()
	case lo > 1:
		want += ", at least " + lo.String()
	case hi > 0:
		want += ", greater than 0 and less than " + hi.String()
	default:
		want += ", greater than 0"
	}
	return variable{name: name, def: def, usage: usage, zeroIsUnset: true,
		parse: func(c *Config, s string) error {
			d, err := time.ParseDuration(strings.TrimSpace(s))
			if err != nil {
				return errors.New(want + " (number and unit)")
			}
			*f(c) = d
			return nil
		},
		check: func(c *Config) error {
			if d := *f(c); d < lo || (hi > 0 && d >= hi) {
				return errors.New(want)
			}
			return nil
		},
		show:   func(c *Config) string { return f(c).String() },
		isZero: func(c *Config) bool { return *f(c) == 0 },
		copy:   func(dst, src *Config) { *f(dst) = *f(src) },
	}
}

// delayVar is a Go duration where 0 is a setting (no delay), below hi.
func delayVar(name, def, usage string, f func(*Config) *time.Duration, hi time.Duration) variable {
	v := durationVar(name, def, usage, f, 0, hi)
	want := "want a Go duration such as 0s, 5s or 1m, less than " + hi.String()
	v.zeroIsUnset = false
	v.parse = func(c *Config, s string) error {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return errors.New(want + " (number and unit)")
		}
		*f(c) = d
		return nil
	}
	v.check = func(c *Config) error {
		if d := *f(c); d < 0 || d >= hi {
			return errors.New(want)
		}
		return nil
	}
	return v
}

func boolVar(name, def, usage string, f func(*Config) *bool) variable {
	return variable{name: name, def: def, usage: usage,
		parse: func(c *Config, s string) error {
			b, err := strconv.ParseBool(strings.TrimSpace(s))
			if err != nil {
				return errors.New("want true or false")
			}
			*f(c) = b
			return nil
		},
		show:   func(c *Config) string { return strconv.FormatBool(*f(c)) },
		isZero: func(c *Config) bool { return !*f(c) },
		copy:   func(dst, src *Config) { *f(dst) = *f(src) },
	}
}

func nonEmpty(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("want a non-empty path")
	}
	return nil
}

func oneOf(allowed ...string) func(string) error {
	return func(s string) error {
		for _, a := range allowed {
			if strings.EqualFold(s, a) {
				return nil
			}
		}
		return fmt.Errorf("want one of %s", strings.Join(allowed, ", "))
	}
}

func checkDatabaseURL(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Opaque != "" {
		return errors.New("want a postgres:// or postgresql:// URL, or empty for SQLite")
	}
	return nil
}

func checkKeyRing(s string) error {
	if strings.TrimSpace(s) == "" {
		return nil // commands that need keys say so, with how to make them
	}
	const want = "want comma-separated id:base64key entries as `parley secrets generate` prints"
	entries := strings.Split(s, ",")
	for i, e := range entries {
		// An entry without an id may be a bare key: secrets.ParseKeyRing
		// would quote it whole, so say which entry instead.
		if !strings.Contains(e, ":") {
			return fmt.Errorf("%s (entry %d of %d has no id: before its key)", want, i+1, len(entries))
		}
	}
	if _, err := secrets.ParseKeyRing(s); err != nil {
		// With a colon in every entry, ParseKeyRing quotes ids only.
		return fmt.Errorf("%s (%s)", want, strings.TrimPrefix(err.Error(), "secrets: "))
	}
	return nil
}

// checkProxies follows api.ParseTrustedProxies: a bad entry is an error,
// since trusting less than meant would put every client behind one proxy
// address for the failed-key limit.
func checkProxies(s string) error {
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if _, err := netip.ParsePrefix(f); err == nil {
			continue
		}
		if _, err := netip.ParseAddr(f); err != nil {
			return fmt.Errorf("want comma-separated CIDRs or IP addresses; %q is neither", f)
		}
	}
	return nil
}

// checkPlansFile reads and checks the plan table, so a broken file stops
// the server at start rather than at the first sign-up.
func checkPlansFile(s string) error {
	if s == "" {
		return nil
	}
	if _, err := plantable.Load(s); err != nil {
		return fmt.Errorf("want a readable JSON plan table (see the README's Plans section): %v", err)
	}
	return nil
}

// checkDefaultPlan wants a plan of the table in force. A plans file that
// does not load is reported on PARLEY_PLANS_FILE alone.
func checkDefaultPlan(c *Config) error {
	t, err := plantable.Load(c.PlansFile)
	if err != nil {
		return nil
	}
	if _, ok := t.Lookup(c.DefaultPlan); !ok {
		where := "the shipped table"
		if c.PlansFile != "" {
			where = "PARLEY_PLANS_FILE"
		}
		return fmt.Errorf("want a plan of %s: %s", where, strings.Join(t.Names(), ", "))
	}
	return nil
}

// minOperatorToken is the shortest operator token accepted: it opens every
// organisation, so it must not be guessable (32 characters of base64 carry
// 192 bits).
const minOperatorToken = 32

// checkOperatorToken wants a long token that cannot be taken for an API
// key: the two are never accepted in each other's place.
func checkOperatorToken(s string) error {
	switch {
	case s == "":
		return nil
	case strings.HasPrefix(s, "sapi_key_"):
		return errors.New("want a token of its own, not an API key (sapi_key_…): the operator token is never an organisation's key")
	case len(s) < minOperatorToken || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r > '~' }):
		return fmt.Errorf("want at least %d printable ASCII characters without spaces, such as the output of `openssl rand -base64 32`", minOperatorToken)
	}
	return nil
}
