package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/secrets"
)

func TestDefaultsParse(t *testing.T) {
	t.Parallel()
	// Defaults panics on a default its own parser refuses; and the defaults
	// must pass Validate, or a process given no variables could not start.
	c := Defaults()
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	want := Config{Listen: "127.0.0.1:8080", DataDir: "parley-data", LogLevel: "info", LogFormat: "text",
		DBMaxConns: 20, DBMinConns: 2, DBConnLifetime: time.Hour, DBConnIdleTime: 30 * time.Minute,
		AccountTimeout: 10 * time.Second, KeyQuota: 600, OrgQuota: 3000, AuthFailureLimit: 20, DefaultPlan: "unlimited",
		WhatsAppRetention: 90 * 24 * time.Hour, MediaMaxBytes: 100 << 20, MediaTTL: 24 * time.Hour, WindowLead: 2 * time.Hour, JobRescueAfter: 2 * time.Minute, XDMPoll: "auto",
		ShutdownDrain: 5 * time.Second, ShutdownTimeout: 30 * time.Second,
		XAuthorizeURL:    "https://x.com/i/oauth2/authorize",
		MetaAuthorizeURL: "https://www.facebook.com/v25.0/dialog/oauth", WhatsAppAuthorizeURL: "https://www.facebook.com/v25.0/dialog/oauth",
		InstagramAuthorizeURL: "https://www.instagram.com/oauth/authorize", InstagramTokenURL: "https://api.instagram.com/oauth/access_token",
		LinkedInAuthorizeURL: "https://www.linkedin.com/oauth/v2/authorization",
		GraphFacebookURL:     "https://graph.facebook.com", GraphInstagramURL: "https://graph.instagram.com",
		WhatsAppURL: "https://graph.facebook.com", XURL: "https://api.x.com", LinkedInURL: "https://api.linkedin.com"}
	if c != want {
		t.Fatalf("defaults\n got %+v\nwant %+v", c, want)
	}
}

// TestDefaultPlanFollowsPlansFile: the default plan must be in the table in
// force, so an operator's file without "unlimited" needs a default of its own.
func TestDefaultPlanFollowsPlansFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plans.json")
	if err := os.WriteFile(path, []byte(`{"plans":[{"name":"solo","max_brands":1,"monthly_interactions":9},{"name":"team","max_brands":9,"monthly_interactions":99}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := Load([]string{"PARLEY_PLANS_FILE=" + path}, nil)
	var ce *Error
	if !errors.As(err, &ce) || ce.Var != "PARLEY_DEFAULT_PLAN" || !strings.Contains(err.Error(), "solo, team") {
		t.Fatalf("file without the default plan: %v", err)
	}
	c, _, err := Load([]string{"PARLEY_PLANS_FILE=" + path, "PARLEY_DEFAULT_PLAN=team"}, nil)
	if err != nil || c.DefaultPlan != "team" {
		t.Fatalf("file with its default: %v, %+v", err, c)
	}
	// A broken file is reported once, on its own variable.
	_, _, err = Load([]string{"PARLEY_PLANS_FILE=config.go"}, nil)
	if err == nil || strings.Contains(err.Error(), "PARLEY_DEFAULT_PLAN") || !strings.Contains(err.Error(), "PARLEY_PLANS_FILE") {
		t.Fatalf("broken file: %v", err)
	}
}

func TestWithDefaultsKeepsSettings(t *testing.T) {
	t.Parallel()
	c := Config{KeyQuota: 0, AccountTimeout: time.Second, Listen: "127.0.0.1:0"}.WithDefaults()
	if c.KeyQuota != 0 || c.OrgQuota != 0 || c.AuthFailureLimit != 0 {
		t.Fatalf("zero quota is a setting (off), WithDefaults changed it: %+v", c)
	}
	if c.AccountTimeout != time.Second || c.Listen != "127.0.0.1:0" {
		t.Fatalf("set fields overwritten: %+v", c)
	}
	if c.ShutdownDrain != 0 {
		t.Fatalf("zero drain is a setting (none), WithDefaults changed it: %+v", c)
	}
	if c.WindowLead != 2*time.Hour || c.LogLevel != "info" || c.XURL != "https://api.x.com" || c.DataDir != "parley-data" {
		t.Fatalf("unset fields not defaulted: %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestEveryVariable sets each variable to a valid, a malformed and an
// out-of-range value and checks what Load makes of it. Every variable of
// the table must appear here.
func TestEveryVariable(t *testing.T) {
	t.Parallel()
	ring, err := secrets.GenerateKey(time.Unix(1700000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		valid string
		// with are variables the valid value needs beside it (an app id's secret).
		with         []string
		check        func(Config) bool
		malformed    string // "" when any text parses
		outOfRange   string // "" when none is
		wantInErrors string // in the malformed or out-of-range error
	}
	rows := map[string]row{
		"PARLEY_LISTEN": {valid: ":9090", check: func(c Config) bool { return c.Listen == ":9090" },
			malformed: "localhost", outOfRange: "127.0.0.1:70000", wantInErrors: "host:port"},
		"PARLEY_DATABASE_URL": {valid: "postgres://u:pw@db:5432/parley", check: func(c Config) bool { return c.DatabaseURL == "postgres://u:pw@db:5432/parley" },
			outOfRange: "mysql://db/parley", wantInErrors: "postgres://"},
		"PARLEY_DB_MAX_CONNS": {valid: "32", check: func(c Config) bool { return c.DBMaxConns == 32 },
			malformed: "many", outOfRange: "1001", wantInErrors: "from 1 to 1000"},
		// 21 is above the default maximum (20): the minimum cannot exceed it.
		"PARLEY_DB_MIN_OPEN_CONNS": {valid: "0", check: func(c Config) bool { return c.DBMinConns == 0 },
			malformed: "2.5", outOfRange: "21", wantInErrors: "from 0 to PARLEY_DB_MAX_CONNS"},
		"PARLEY_DB_CONN_LIFETIME": {valid: "15m", check: func(c Config) bool { return c.DBConnLifetime == 15*time.Minute },
			malformed: "1 hour", outOfRange: "100ms", wantInErrors: "at least 1s"},
		"PARLEY_DB_CONN_IDLE_TIME": {valid: "5m", check: func(c Config) bool { return c.DBConnIdleTime == 5*time.Minute },
			malformed: "5", outOfRange: "0s", wantInErrors: "at least 1s"},
		"PARLEY_DATA_DIR": {valid: "/var/lib/parley", check: func(c Config) bool { return c.DataDir == "/var/lib/parley" },
			outOfRange: "   ", wantInErrors: "non-empty"},
		"PARLEY_SECRET_KEYS": {valid: ring, check: func(c Config) bool { return c.SecretKeys == ring },
			malformed: "k1:not-base64!", wantInErrors: "secrets generate"},
		"PARLEY_KEY_QUOTA": {valid: "5", check: func(c Config) bool { return c.KeyQuota == 5 },
			malformed: "ten", outOfRange: "-1", wantInErrors: "0"},
		"PARLEY_ORG_QUOTA": {valid: "0", check: func(c Config) bool { return c.OrgQuota == 0 },
			malformed: "1e3", outOfRange: "-5", wantInErrors: "0"},
		"PARLEY_AUTH_FAILURE_LIMIT": {valid: "3", check: func(c Config) bool { return c.AuthFailureLimit == 3 },
			malformed: "3.5", outOfRange: "-3", wantInErrors: "0"},
		"PARLEY_PLANS_FILE": {valid: "testdata/plans.json", check: func(c Config) bool { return c.PlansFile == "testdata/plans.json" },
			malformed: "testdata/absent.json", outOfRange: "config_test.go", wantInErrors: "plan table"},
		"PARLEY_DEFAULT_PLAN": {valid: "free", check: func(c Config) bool { return c.DefaultPlan == "free" },
			outOfRange: "gold", wantInErrors: "free, starter, pro, business, enterprise, unlimited"},
		"PARLEY_OPERATOR_TOKEN": {valid: "op_0123456789abcdefghijklmnopqrstuv", check: func(c Config) bool { return c.OperatorToken == "op_0123456789abcdefghijklmnopqrstuv" },
			malformed: "short", outOfRange: "sapi_key_0123456789abcdefghijklmnopqrstuv", wantInErrors: "PARLEY_OPERATOR_TOKEN"},
		"PARLEY_TRUSTED_PROXIES": {valid: "10.0.0.0/8, ::1", check: func(c Config) bool { return c.TrustedProxies == "10.0.0.0/8, ::1" },
			malformed: "10.0.0.0/8, proxy.internal", wantInErrors: "proxy.internal"},
		"PARLEY_ACCOUNT_TIMEOUT": {valid: "3s", check: func(c Config) bool { return c.AccountTimeout == 3*time.Second },
			malformed: "10", outOfRange: "-1s", wantInErrors: "duration"},
		"PARLEY_WHATSAPP_RETENTION": {valid: "720h", check: func(c Config) bool { return c.WhatsAppRetention == 720*time.Hour },
			malformed: "30d", outOfRange: "0s", wantInErrors: "duration"},
		"PARLEY_MEDIA_MAX_BYTES": {valid: "5242880", check: func(c Config) bool { return c.MediaMaxBytes == 5<<20 },
			malformed: "5MB", outOfRange: "2147483648", wantInErrors: "1 GiB"},
		"PARLEY_MEDIA_TTL": {valid: "2h", check: func(c Config) bool { return c.MediaTTL == 2*time.Hour },
			malformed: "1d", outOfRange: "30s", wantInErrors: "at least 1m0s"},
		"PARLEY_WINDOW_CLOSING_LEAD": {valid: "90m", check: func(c Config) bool { return c.WindowLead == 90*time.Minute },
			malformed: "abc", outOfRange: "24h", wantInErrors: "less than 24h"},
		"PARLEY_WEBHOOK_ALLOW_PRIVATE": {valid: "true", check: func(c Config) bool { return c.AllowPrivateWebhooks },
			malformed: "yes", wantInErrors: "true or false"},
		"PARLEY_META_APP_SECRET":   {valid: "s3", check: func(c Config) bool { return c.MetaAppSecret == "s3" }},
		"PARLEY_META_VERIFY_TOKEN": {valid: "tok", check: func(c Config) bool { return c.MetaVerifyToken == "tok" }},
		"PARLEY_X_CONSUMER_SECRET": {valid: "xs", check: func(c Config) bool { return c.XConsumerSecret == "xs" }},
		"PARLEY_X_DM_POLL": {valid: "off", check: func(c Config) bool { return c.XDMPoll == "off" && !c.PollXDMs() },
			outOfRange: "sometimes", wantInErrors: "auto, on, off"},
		"PARLEY_LINKEDIN_CLIENT_SECRET": {valid: "ls", check: func(c Config) bool { return c.LinkedInClientSecret == "ls" }},
		"PARLEY_PUBLIC_URL": {valid: "https://parley.example.com", check: func(c Config) bool { return c.PublicURL == "https://parley.example.com" },
			malformed: "parley.example.com", outOfRange: "https://parley.example.com/?a=1", wantInErrors: "URL"},
		"PARLEY_X_CLIENT_ID": {valid: "cid", with: []string{"PARLEY_X_CLIENT_SECRET=s"}, check: func(c Config) bool { return c.XClientID == "cid" },
			outOfRange: "cid", wantInErrors: "PARLEY_X_CLIENT_SECRET"},
		"PARLEY_META_APP_ID": {valid: "123", with: []string{"PARLEY_META_APP_SECRET=s"}, check: func(c Config) bool { return c.MetaAppID == "123" },
			outOfRange: "123", wantInErrors: "PARLEY_META_APP_SECRET"},
		"PARLEY_META_CONFIG_ID":     {valid: "77", check: func(c Config) bool { return c.MetaConfigID == "77" }},
		"PARLEY_WHATSAPP_CONFIG_ID": {valid: "78", check: func(c Config) bool { return c.WhatsAppConfigID == "78" }},
		"PARLEY_META_AUTHORIZE_URL": {valid: "http://fb.test/dialog/oauth", check: func(c Config) bool { return c.MetaAuthorizeURL == "http://fb.test/dialog/oauth" },
			malformed: "www.facebook.com/dialog/oauth", wantInErrors: "URL"},
		"PARLEY_WHATSAPP_AUTHORIZE_URL": {valid: "http://fb.test/dialog/oauth", check: func(c Config) bool { return c.WhatsAppAuthorizeURL == "http://fb.test/dialog/oauth" },
			malformed: "dialog", wantInErrors: "URL"},
		"PARLEY_INSTAGRAM_APP_ID": {valid: "9", with: []string{"PARLEY_INSTAGRAM_APP_SECRET=s"}, check: func(c Config) bool { return c.InstagramAppID == "9" },
			outOfRange: "9", wantInErrors: "PARLEY_INSTAGRAM_APP_SECRET"},
		"PARLEY_INSTAGRAM_APP_SECRET": {valid: "is", check: func(c Config) bool { return c.InstagramAppSecret == "is" }},
		"PARLEY_INSTAGRAM_AUTHORIZE_URL": {valid: "http://ig.test/oauth/authorize", check: func(c Config) bool { return c.InstagramAuthorizeURL == "http://ig.test/oauth/authorize" },
			malformed: "ig.test", wantInErrors: "URL"},
		"PARLEY_INSTAGRAM_TOKEN_URL": {valid: "http://ig.test/oauth/access_token", check: func(c Config) bool { return c.InstagramTokenURL == "http://ig.test/oauth/access_token" },
			malformed: "ig.test", wantInErrors: "URL"},
		"PARLEY_LINKEDIN_CLIENT_ID": {valid: "li", with: []string{"PARLEY_LINKEDIN_CLIENT_SECRET=s"}, check: func(c Config) bool { return c.LinkedInClientID == "li" },
			outOfRange: "li", wantInErrors: "PARLEY_LINKEDIN_CLIENT_SECRET"},
		"PARLEY_LINKEDIN_AUTHORIZE_URL": {valid: "http://li.test/oauth/v2/authorization", check: func(c Config) bool { return c.LinkedInAuthorizeURL == "http://li.test/oauth/v2/authorization" },
			malformed: "li.test", wantInErrors: "URL"},
		"PARLEY_X_CLIENT_SECRET": {valid: "csec", check: func(c Config) bool { return c.XClientSecret == "csec" }},
		"PARLEY_X_AUTHORIZE_URL": {valid: "http://x.test/i/oauth2/authorize", check: func(c Config) bool { return c.XAuthorizeURL == "http://x.test/i/oauth2/authorize" },
			malformed: "x.com/i/oauth2/authorize", wantInErrors: "URL"},
		"PARLEY_GRAPH_FACEBOOK_URL": {valid: "http://127.0.0.1:1234", check: func(c Config) bool { return c.GraphFacebookURL == "http://127.0.0.1:1234" },
			malformed: "graph.facebook.com", outOfRange: "https://graph.facebook.com?x=1", wantInErrors: "URL"},
		"PARLEY_GRAPH_INSTAGRAM_URL": {valid: "https://ig.example", check: func(c Config) bool { return c.GraphInstagramURL == "https://ig.example" },
			malformed: "://", outOfRange: "ftp://ig.example", wantInErrors: "URL"},
		"PARLEY_WHATSAPP_URL": {valid: "https://wa.example/v1", check: func(c Config) bool { return c.WhatsAppURL == "https://wa.example/v1" },
			malformed: "https://", wantInErrors: "URL"},
		"PARLEY_X_URL": {valid: "http://x.test", check: func(c Config) bool { return c.XURL == "http://x.test" },
			malformed: "api.x.com/2", wantInErrors: "URL"},
		"PARLEY_LINKEDIN_URL": {valid: "http://li.test", check: func(c Config) bool { return c.LinkedInURL == "http://li.test" },
			malformed: "http//li.test", wantInErrors: "URL"},
		"PARLEY_JOB_RESCUE_AFTER": {valid: "3s", check: func(c Config) bool { return c.JobRescueAfter == 3*time.Second },
			malformed: "3 s", outOfRange: "500ms", wantInErrors: "at least 1s"},
		"PARLEY_SHUTDOWN_DRAIN": {valid: "0s", check: func(c Config) bool { return c.ShutdownDrain == 0 },
			malformed: "5", outOfRange: "-1s", wantInErrors: "less than 1h0m0s"},
		"PARLEY_SHUTDOWN_TIMEOUT": {valid: "45s", check: func(c Config) bool { return c.ShutdownTimeout == 45*time.Second },
			malformed: "forever", outOfRange: "2h", wantInErrors: "at least 1s and less than 1h0m0s"},
		"PARLEY_LOG_LEVEL": {valid: "DEBUG", check: func(c Config) bool { return c.LogLevel == "DEBUG" },
			outOfRange: "verbose", wantInErrors: "debug, info, warn, error"},
		"PARLEY_LOG_FORMAT": {valid: "json", check: func(c Config) bool { return c.LogFormat == "json" },
			outOfRange: "yaml", wantInErrors: "text, json"},
	}
	for _, v := range Variables() {
		r, ok := rows[v.Name]
		if !ok {
			t.Errorf("%s has no row in this test", v.Name)
			continue
		}
		delete(rows, v.Name)
		t.Run(v.Name, func(t *testing.T) {
			c, _, err := Load(append([]string{v.Name + "=" + r.valid}, r.with...), nil)
			if err != nil || !r.check(c) {
				t.Fatalf("valid %q: %v, %+v", r.valid, err, c)
			}
			// Empty counts as unset: the default.
			if c, _, err := Load([]string{v.Name + "="}, nil); err != nil || c != Defaults() {
				t.Fatalf("empty: %v, %+v", err, c)
			}
			for kind, bad := range map[string]string{"malformed": r.malformed, "out of range": r.outOfRange} {
				if bad == "" {
					continue
				}
				_, _, err := Load([]string{v.Name + "=" + bad}, nil)
				var ce *Error
				if !errors.As(err, &ce) || ce.Var != v.Name {
					t.Fatalf("%s %q: got %v, want an error naming %s", kind, bad, err, v.Name)
				}
				msg := err.Error()
				if !strings.Contains(msg, v.Name) || !strings.Contains(msg, r.wantInErrors) {
					t.Fatalf("%s %q: %q does not name %s and say %q", kind, bad, msg, v.Name, r.wantInErrors)
				}
				if v.Secret {
					if strings.Contains(msg, bad) {
						t.Fatalf("%s: secret value echoed: %q", kind, msg)
					}
				} else if !strings.Contains(msg, bad) && strings.TrimSpace(bad) != "" {
					t.Fatalf("%s %q: value not shown: %q", kind, bad, msg)
				}
				if strings.Count(msg, v.Name) != 1 {
					t.Fatalf("%s %q: reported more than once: %q", kind, bad, msg)
				}
			}
		})
	}
	for name := range rows {
		t.Errorf("row %s names no variable", name)
	}
}

// TestPoolBounds checks the pool variables against each other: the minimum
// follows the maximum that is actually set, and a zero maximum in a Config
// built in code means the default, not a pool of none.
func TestPoolBounds(t *testing.T) {
	for _, tc := range []struct {
		env     []string
		wantErr string
	}{
		{[]string{"PARLEY_DB_MAX_CONNS=40", "PARLEY_DB_MIN_OPEN_CONNS=40"}, ""},
		{[]string{"PARLEY_DB_MAX_CONNS=4", "PARLEY_DB_MIN_OPEN_CONNS=5"}, "PARLEY_DB_MIN_OPEN_CONNS"},
		{[]string{"PARLEY_DB_MAX_CONNS=0"}, "PARLEY_DB_MAX_CONNS"},
		{[]string{"PARLEY_DB_MIN_OPEN_CONNS=-1"}, "PARLEY_DB_MIN_OPEN_CONNS"},
	} {
		_, _, err := Load(tc.env, nil)
		if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("%v: got %v, want error naming %q", tc.env, err, tc.wantErr)
		}
	}
	c := Config{}.WithDefaults()
	if c.DBMaxConns != 20 || c.DBMinConns != 0 || c.DBConnLifetime != time.Hour {
		t.Fatalf("WithDefaults: max %d min %d lifetime %v; want 20, 0 (a setting), 1h", c.DBMaxConns, c.DBMinConns, c.DBConnLifetime)
	}
}

func TestLoadReportsEveryInvalidVariable(t *testing.T) {
	t.Parallel()
	_, _, err := Load([]string{"PARLEY_ACCOUNT_TIMEOUT=abc", "PARLEY_KEY_QUOTA=-1", "PARLEY_LOG_LEVEL=loud", "PARLEY_LISTEN=:8081"}, nil)
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{`PARLEY_ACCOUNT_TIMEOUT="abc"`, `PARLEY_KEY_QUOTA="-1"`, `PARLEY_LOG_LEVEL="loud"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q missing from %v", want, err)
		}
	}
	if strings.Contains(err.Error(), "PARLEY_LISTEN") {
		t.Errorf("valid variable reported: %v", err)
	}
}

func TestFlagsOverrideEnvironmentAndAreNamed(t *testing.T) {
	t.Parallel()
	c, _, err := Load([]string{"PARLEY_LISTEN=:1", "PARLEY_LOG_LEVEL=debug"}, map[string]string{"listen": ":2"})
	if err != nil || c.Listen != ":2" || c.LogLevel != "debug" {
		t.Fatalf("%v %+v", err, c)
	}
	_, _, err = Load([]string{"PARLEY_LOG_LEVEL=debug"}, map[string]string{"log-level": "chatty"})
	var ce *Error
	if !errors.As(err, &ce) || ce.Flag != "log-level" || !strings.Contains(err.Error(), `--log-level="chatty" (PARLEY_LOG_LEVEL)`) {
		t.Fatalf("flag error: %v", err)
	}
	// A flag set to empty is a value, not "unset": --data-dir "" is refused.
	if _, _, err = Load(nil, map[string]string{"data-dir": ""}); err == nil || !strings.Contains(err.Error(), "--data-dir") {
		t.Fatalf("empty flag: %v", err)
	}
	if _, _, err = Load(nil, map[string]string{"no-such": "x"}); err == nil {
		t.Fatal("unknown flag accepted")
	}
}

func TestSecretsNeverShown(t *testing.T) {
	t.Parallel()
	_, _, err := Load([]string{"PARLEY_DATABASE_URL=mysql://parley:hunter2@db/parley"}, nil)
	if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "PARLEY_DATABASE_URL") {
		t.Fatalf("%v", err)
	}
	_, _, err = Load([]string{"PARLEY_DATABASE_URL=postgres://parley:hunter2@db:port/parley"}, nil) // unparseable port
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("%v", err)
	}
	// A bare key, its id forgotten: secrets.ParseKeyRing would quote it.
	_, _, err = Load([]string{"PARLEY_SECRET_KEYS=QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY="}, nil)
	if err == nil || strings.Contains(err.Error(), "QUJDREVG") || !strings.Contains(err.Error(), "entry 1 of 1 has no id") {
		t.Fatalf("%v", err)
	}
	_, _, err = Load([]string{"PARLEY_SECRET_KEYS=k1:c2VjcmV0"}, nil)
	if err == nil || strings.Contains(err.Error(), "c2VjcmV0") || !strings.Contains(err.Error(), "32 bytes") {
		t.Fatalf("%v", err)
	}
}

func TestUnknownVariables(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, closest string
		refused       bool
	}{
		{"PARLEY_DATABSE_URL", "PARLEY_DATABASE_URL", true},
		{"PARLEY_LISTN", "PARLEY_LISTEN", true},
		{"parley_listen", "PARLEY_LISTEN", true},
		{"PARLEY_KEY_QUOTAS", "PARLEY_KEY_QUOTA", true},
		{"PARLEY_FEATURE_FLAGS", "", false},
		{"PARLEY_SOMETHING_ELSE_ENTIRELY", "", false},
	} {
		c, warnings, err := Load([]string{tc.name + "=x", "PARLEY_URL=http://x", "PARLEY_API_KEY=k", "PARLEY_TEST_DATABASE_URL=postgres://"}, nil)
		var ue *UnknownError
		if tc.refused {
			if !errors.As(err, &ue) || ue.Name != tc.name || ue.Closest != tc.closest || !strings.Contains(err.Error(), "did you mean "+tc.closest) {
				t.Errorf("%s: got %v, want refused naming %s", tc.name, err, tc.closest)
			}
			continue
		}
		if err != nil || c != Defaults() {
			t.Errorf("%s: %v", tc.name, err)
		}
		if len(warnings) != 1 || !strings.Contains(warnings[0], tc.name) || !strings.Contains(warnings[0], "closest: PARLEY_") {
			t.Errorf("%s: warnings %q", tc.name, warnings)
		}
	}
	if _, warnings, err := Load([]string{"PATH=/bin", "HOME=/root", "PARLEY_URL=http://x"}, nil); err != nil || len(warnings) != 0 {
		t.Fatalf("known or unrelated names flagged: %v %q", err, warnings)
	}
}

// TestKnownNamesFarApart: a name added later within typoDistance of an
// existing one would make an older Parley (after a rollback) refuse to
// start with the newer environment. PARLEY_URL and PARLEY_X_URL predate
// the rule.
func TestKnownNamesFarApart(t *testing.T) {
	t.Parallel()
	var names []string
	for _, v := range Variables() {
		names = append(names, v.Name)
	}
	names = append(names, OtherVariables()...)
	for i, a := range names {
		for _, b := range names[i+1:] {
			if (a == "PARLEY_URL" && b == "PARLEY_X_URL") || (a == "PARLEY_X_URL" && b == "PARLEY_URL") {
				continue
			}
			if d := distance(a, b); d <= typoDistance {
				t.Errorf("%s and %s are %d edits apart", a, b, d)
			}
		}
	}
}

func TestDistance(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"abc", "", 3}, {"kitten", "sitting", 3}, {"PARLEY_DATABSE_URL", "PARLEY_DATABASE_URL", 1}, {"flaw", "lawn", 2}} {
		if got := distance(tc.a, tc.b); got != tc.d || distance(tc.b, tc.a) != tc.d {
			t.Errorf("distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.d)
		}
	}
}

func TestValidateZeroConfigNamesUnsetRequiredFields(t *testing.T) {
	t.Parallel()
	// Validate is meant for defaulted configs; on a raw zero Config it names
	// what WithDefaults would have filled, rather than passing it.
	err := Config{}.Validate()
	for _, name := range []string{"PARLEY_LISTEN", "PARLEY_DATA_DIR", "PARLEY_ACCOUNT_TIMEOUT", "PARLEY_LOG_LEVEL"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s not reported: %v", name, err)
		}
	}
}
