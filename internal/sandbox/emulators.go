package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/convid"
	"github.com/parleyhq/parley/internal/emulator/graphemu"
	"github.com/parleyhq/parley/internal/emulator/liemu"
	"github.com/parleyhq/parley/internal/emulator/metaoauth"
	"github.com/parleyhq/parley/internal/emulator/waemu"
	"github.com/parleyhq/parley/internal/emulator/xemu"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/service"
)

// EmulatorOptions tunes the emulators (benchmarks add latency).
type EmulatorOptions struct {
	Latency     time.Duration
	FailureRate float64
}

// Emulators are the five platform emulators, each served on its own loopback
// port like the real hosts they stand in for.
type Emulators struct {
	Graph    *graphemu.Emulator
	WhatsApp *waemu.Emulator
	X        *xemu.Emulator
	LinkedIn *liemu.Emulator

	FacebookURL, InstagramURL, WhatsAppURL, XURL, LinkedInURL string

	servers []*http.Server
}

// StartEmulators serves every emulator on 127.0.0.1.
func StartEmulators(opts EmulatorOptions) (*Emulators, error) {
	e := &Emulators{
		Graph:    graphemu.New(graphemu.Options{Latency: opts.Latency, FailureRate: opts.FailureRate}),
		WhatsApp: waemu.New(waemu.Options{Latency: opts.Latency, FailureRate: opts.FailureRate}),
		X:        xemu.New(xemu.Options{Latency: opts.Latency, FailureRate: opts.FailureRate}),
		LinkedIn: liemu.New(liemu.Options{Latency: opts.Latency, FailureRate: opts.FailureRate}),
	}
	for _, s := range []struct {
		h   http.Handler
		url *string
	}{
		{e.Graph.FacebookHost(), &e.FacebookURL},
		{e.Graph.InstagramHost(), &e.InstagramURL},
		{e.WhatsApp, &e.WhatsAppURL},
		{e.X, &e.XURL},
		{e.LinkedIn, &e.LinkedInURL},
	} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			e.Close()
			return nil, err
		}
		srv := &http.Server{Handler: s.h, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		e.servers = append(e.servers, srv)
		*s.url = "http://" + ln.Addr().String()
	}
	return e, nil
}

// Configure points a configuration's platform URLs at the emulators.
func (e *Emulators) Configure(cfg *config.Config) {
	cfg.GraphFacebookURL, cfg.GraphInstagramURL = e.FacebookURL, e.InstagramURL
	cfg.WhatsAppURL, cfg.XURL, cfg.LinkedInURL = e.WhatsAppURL, e.XURL, e.LinkedInURL
}

// The X app the sandbox connects accounts through, and the emulated X
// account that is not yet connected: signing in as it on the consent page
// connects a new account.
const (
	xSandboxClientID = "parley-sandbox"
	XConnectUserID   = "1500000000000000003"
	XConnectUsername = "acme_help"
)

// ConfigureConnect registers an OAuth app in the X emulator, with
// cfg.PublicURL's callback as its redirect URI, and gives Parley its client
// id and secret and the emulator's consent page. The secret is new on every
// run, like the emulator's state.
func (e *Emulators) ConfigureConnect(cfg *config.Config) error {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	cfg.XClientID, cfg.XClientSecret = xSandboxClientID, base64.RawURLEncoding.EncodeToString(b)
	cfg.XAuthorizeURL = e.XURL + "/i/oauth2/authorize"
	e.X.RegisterClient(xemu.OAuthClient{ID: cfg.XClientID, Secret: cfg.XClientSecret,
		RedirectURIs: []string{strings.TrimRight(cfg.PublicURL, "/") + "/oauth/callback/x"}})
	e.configureOtherConnect(cfg, base64.RawURLEncoding.EncodeToString(b))
	return nil
}

// The Meta, Instagram and LinkedIn apps of the sandbox, and who signs in
// on their consent pages: a Facebook user who administers the seeded Page
// and WABA, the seeded Instagram account, a LinkedIn member who administers
// the seeded organisation. Connecting them reconnects the seeded accounts.
const (
	metaSandboxAppID  = "1000000000000001"
	igSandboxAppID    = "1000000000000002"
	liSandboxClientID = "parley-sandbox-li"
	fbSandboxUserID   = "100000000000077"
	esSandboxConfigID = "2000000000000001"
	liSandboxMember   = "urn:li:person:SandboxAdmin1"
)

func (e *Emulators) configureOtherConnect(cfg *config.Config, secret string) {
	public := strings.TrimRight(cfg.PublicURL, "/")
	if cfg.MetaAppSecret == "" {
		cfg.MetaAppSecret = "meta-" + secret
	}
	cfg.MetaAppID, cfg.WhatsAppConfigID = metaSandboxAppID, esSandboxConfigID
	cfg.MetaAuthorizeURL, cfg.WhatsAppAuthorizeURL = e.FacebookURL+"/v25.0/dialog/oauth", e.WhatsAppURL+"/v25.0/dialog/oauth"
	cfg.InstagramAppID, cfg.InstagramAppSecret = igSandboxAppID, "ig-"+secret
	cfg.InstagramAuthorizeURL, cfg.InstagramTokenURL = e.InstagramURL+"/oauth/authorize", e.InstagramURL+"/oauth/access_token"
	cfg.LinkedInClientID, cfg.LinkedInAuthorizeURL = liSandboxClientID, e.LinkedInURL+"/oauth/v2/authorization"
	if cfg.LinkedInClientSecret == "" {
		cfg.LinkedInClientSecret = "li-" + secret
	}
	meta := metaoauth.App{ID: cfg.MetaAppID, Secret: cfg.MetaAppSecret, DeauthorizeURL: public + "/oauth/meta/deauthorize",
		RedirectURIs: []string{public + "/oauth/callback/messenger", public + "/oauth/callback/instagram", public + "/oauth/callback/whatsapp"},
		Configs:      map[string]metaoauth.LoginConfig{esSandboxConfigID: {Scopes: []string{"whatsapp_business_management", "whatsapp_business_messaging"}, SystemUser: true}}}
	admin := metaoauth.User{ID: fbSandboxUserID, Name: "Acme Admin", Grants: map[string][]string{
		"pages_show_list": {pageID}, "pages_messaging": {pageID}, "pages_manage_metadata": {pageID},
		"whatsapp_business_management": {waWABAID}, "whatsapp_business_messaging": {waWABAID}}}
	for _, o := range []*metaoauth.Server{e.Graph.OAuth(), e.WhatsApp.OAuth()} {
		o.RegisterApp(meta)
		o.AddUser(admin)
	}
	e.Graph.OAuth().RegisterApp(metaoauth.App{ID: igSandboxAppID, Secret: cfg.InstagramAppSecret, Instagram: true,
		RedirectURIs: []string{public + "/oauth/callback/instagram"}})
	e.Graph.OAuth().AddUser(metaoauth.User{ID: igID, Name: "acme (Instagram)", Instagram: true})
	e.LinkedIn.RegisterClient(liemu.OAuthClient{ID: cfg.LinkedInClientID, Secret: cfg.LinkedInClientSecret,
		RedirectURIs: []string{public + "/oauth/callback/linkedin"}})
}

// Close stops the emulators.
func (e *Emulators) Close() {
	for _, s := range e.servers {
		_ = s.Close()
	}
}

// Seeded names what Seed created, for the banner and for tests.
type Seeded struct {
	// Accounts maps a platform to its account id.
	Accounts map[platform.Name]string
	// NativeIDs maps a platform to its account's native id on the emulator.
	NativeIDs map[platform.Name]string
	// Tokens maps a platform to the access token its emulator accepts.
	Tokens map[platform.Name]string
	// Conversations maps a scenario name (e.g. "instagram/open") to a
	// conversation id.
	Conversations map[string]string
	// Threads maps a scenario name to the platform's own thread id on the
	// emulator (what a platform SDK would use).
	Threads map[string]string
}

// Native ids and tokens of the seeded accounts.
const (
	igID       = "17841400000000001"
	pageID     = "100000000000001"
	waPhoneID  = "106540352242922"
	waWABAID   = "102290129340398"
	xUserID    = "1500000000000000001"
	liOrgURN   = "urn:li:organization:5000001"
	tokenIG    = "IGQWRsandbox-instagram-token"
	tokenPage  = "EAAGsandbox-messenger-page-token"
	tokenWA    = "EAAGsandbox-whatsapp-system-user-token"
	tokenX     = "sandbox-x-oauth2-user-token"
	tokenLI    = "AQVsandbox-linkedin-token"
	sampleWaID = "16505551234"
)

// Seed creates one account per platform in the caller's brand, with
// conversations in each reply-window state, on the emulators and in Parley.
// Seeding twice reuses what exists. With a nil svc only the emulators are
// seeded (`parley sandbox emulators`): Seeded then has no Accounts or
// Conversations, only NativeIDs, Tokens and Threads.
func (e *Emulators) Seed(ctx context.Context, svc *service.Service, c service.Caller, brandID string, now time.Time) (Seeded, error) {
	out := Seeded{Accounts: map[platform.Name]string{}, Conversations: map[string]string{}, NativeIDs: map[platform.Name]string{
		platform.Instagram: igID, platform.Messenger: pageID, platform.WhatsApp: waPhoneID, platform.X: xUserID, platform.LinkedIn: liOrgURN,
	}, Tokens: map[platform.Name]string{
		platform.Instagram: tokenIG, platform.Messenger: tokenPage, platform.WhatsApp: tokenWA, platform.X: tokenX, platform.LinkedIn: tokenLI,
	}, Threads: map[string]string{}}
	// conv records a scenario's conversation: its platform thread id, and
	// its Parley id when Parley holds the account.
	conv := func(scenario, accountID, threadID string) {
		out.Threads[scenario] = threadID
		if accountID != "" {
			out.Conversations[scenario] = convid.Encode(accountID, threadID)
		}
	}
	h := func(d time.Duration) time.Time { return now.Add(-d) }
	var errs []error
	// Each account is seeded on its emulator first: Parley verifies the
	// token with the platform before it stores it.
	add := func(p platform.Name, native, name, token, waba string) string {
		if svc == nil {
			return "" // emulators only
		}
		acct, err := svc.CreateAccount(ctx, c, service.AccountInput{BrandID: brandID, Platform: string(p), NativeID: native,
			DisplayName: name, AccessToken: token, BusinessAccountID: waba})
		if err != nil && apierr.HasCode(err, "resource.conflict") {
			// Already connected on an earlier run: reconnect it with this
			// run's token, which verifies it again (and, for a database
			// from before tokens were verified, for the first time).
			l, lerr := svc.ListAccounts(ctx, c, service.AccountFilter{PageRequest: service.PageRequest{Limit: 100}, Platform: string(p)})
			if lerr == nil {
				for _, a := range l.Data {
					if a.NativeID == native {
						if _, uerr := svc.UpdateAccount(ctx, c, a.ID, service.AccountUpdate{AccessToken: &token}); uerr != nil {
							errs = append(errs, fmt.Errorf("%s account: reconnect: %w", p, uerr))
						}
						return a.ID
					}
				}
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s account: %w", p, err))
			return ""
		}
		return acct.ID
	}

	// Instagram and Messenger: one conversation open, one HUMAN_AGENT-only,
	// one closed.
	for _, m := range []struct {
		p            platform.Name
		id, token, n string
	}{
		{platform.Instagram, igID, tokenIG, "Acme on Instagram"},
		{platform.Messenger, pageID, tokenPage, "Acme on Messenger"},
	} {
		if _, err := e.Graph.AddAccount(graphemu.Account{Platform: m.p, ID: m.id, Token: m.token, Name: m.n}); err != nil {
			return out, err
		}
		out.Accounts[m.p] = add(m.p, m.id, m.n, m.token, "")
		for _, sc := range []struct {
			scenario, who, pid string
			inbound            time.Duration
		}{
			{"open", "Maya Lopez", "6100000000000001", time.Hour},
			{"human_agent_only", "Jonas Berg", "6100000000000002", 3 * 24 * time.Hour},
			{"closed", "Ana Souza", "6100000000000003", 10 * 24 * time.Hour},
		} {
			tid, err := e.Graph.AddConversation(m.id, graphemu.Conversation{Participant: graphemu.Participant{ID: sc.pid, Name: sc.who},
				Messages: []graphemu.SeedMessage{
					{Inbound: true, Text: "Hi! Is the blue jacket still in stock?", At: h(sc.inbound + 10*time.Minute)},
					{Text: "It is. Which size?", At: h(sc.inbound + 5*time.Minute)},
					{Inbound: true, Text: "Medium, please.", At: h(sc.inbound)},
				}})
			if err != nil {
				return out, err
			}
			conv(string(m.p)+"/"+sc.scenario, out.Accounts[m.p], tid)
		}
	}
	// Messenger: a conversation that ends with the customer tapping one of
	// the quick replies the business offered (issue 18); a further tap
	// (graphemu TapQuickReply) arrives as message.received with its payload.
	qrThread, err := e.Graph.AddConversation(pageID, graphemu.Conversation{Participant: graphemu.Participant{ID: "6100000000000004", Name: "Lea Martin"},
		Messages: []graphemu.SeedMessage{
			{Inbound: true, Text: "Hi! Do you have the rain jacket in blue?", At: h(40 * time.Minute)},
			{Text: "We do! Which size?", At: h(35 * time.Minute), QuickReplies: []graphemu.QuickReply{
				{Title: "Small", Payload: "SIZE_S"}, {Title: "Medium", Payload: "SIZE_M"}, {Title: "Large", Payload: "SIZE_L"}}},
			{Inbound: true, Text: "Medium", QuickReplyPayload: "SIZE_M", At: h(30 * time.Minute)},
		}})
	if err != nil {
		return out, err
	}
	conv("messenger/quick_reply", out.Accounts[platform.Messenger], qrThread)

	// WhatsApp: open, closed (template required), and opened from an ad.
	e.WhatsApp.AddPhoneNumber(waemu.PhoneNumber{ID: waPhoneID, DisplayPhoneNumber: "+1 555 010 0100", VerifiedName: "Acme", WABAID: waWABAID, Token: tokenWA})
	e.WhatsApp.AddTemplate(waWABAID, waemu.Template{Name: "order_update", Language: "en_US", Status: "APPROVED", Category: "UTILITY"})
	e.WhatsApp.AddTemplate(waWABAID, waemu.Template{Name: "spring_sale", Language: "en_US", Status: "APPROVED", Category: "MARKETING"})
	e.WhatsApp.AddTemplate(waWABAID, waemu.Template{Name: "new_terms", Language: "en_US", Status: "PENDING", Category: "UTILITY"})
	waAcct := add(platform.WhatsApp, waPhoneID, "Acme on WhatsApp", tokenWA, waWABAID)
	out.Accounts[platform.WhatsApp] = waAcct
	for _, w := range []struct {
		scenario, waID, name, text string
		ago                        time.Duration
		referral                   bool
	}{
		{"open", sampleWaID, "Ana", "Hi, where is my order #1042?", 2 * time.Hour, false},
		{"closed", "447700900123", "Bo", "Thanks for the help last week!", 30 * time.Hour, false},
		{"ad_referral", "5511987654321", "Carla", "Hi, I saw your ad for the spring sale", 20 * time.Minute, true},
	} {
		conv(("whatsapp/" + w.scenario), waAcct, w.waID)
		id := out.Conversations["whatsapp/"+w.scenario]
		at, text := h(w.ago), w.text
		opts := []waemu.InboundOption{}
		// The emulator starts empty on every run, but the journal persists
		// with the data: on a restart, hand the emulator the message the
		// journal already holds instead of journalling a second one, so the
		// history is not duplicated and both agree on its id and time (a
		// read receipt names it; the window runs from it).
		prior, err := latestInbound(ctx, svc, c, waAcct, id)
		if err != nil {
			return out, err
		}
		if prior != nil {
			at, text = prior.CreatedAt, prior.Text
			opts = append(opts, waemu.WithID(prior.PlatformID))
		}
		opts = append(opts, waemu.At(at))
		var referralAt time.Time
		if w.referral {
			opts = append(opts, waemu.WithReferral(waemu.Referral{SourceURL: "https://fb.me/sandbox-ad", SourceID: "120200000000000001", SourceType: "ad"}))
			referralAt = at
		}
		in := e.WhatsApp.Inbound(waPhoneID, w.waID, w.name, text, opts...)
		if waAcct != "" && prior == nil {
			// What the webhook pipeline does on a real inbound message.
			if _, err := svc.RecordInbound(ctx, c.OrgID, waAcct, w.waID, platform.Message{PlatformID: in.ID, Direction: "incoming",
				SenderID: w.waID, SenderName: w.name, Text: w.text, CreatedAt: in.Timestamp}, referralAt); err != nil {
				return out, err
			}
		}
	}

	// X: a one-to-one DM thread.
	e.X.AddAccount(xUserID, "acme", "Acme", tokenX)
	e.X.AddUser(xemu.User{ID: "1500000000000000002", Username: "dana_dev", Name: "Dana"})
	// An X account of the brand's that Parley does not hold yet: the
	// banner's connect link connects it.
	e.X.AddUser(xemu.User{ID: XConnectUserID, Username: XConnectUsername, Name: "Acme Help"})
	out.Accounts[platform.X] = add(platform.X, xUserID, "Acme on X", tokenX, "")
	xConv, err := e.X.AddConversation(xUserID, "1500000000000000002",
		xemu.SeedMessage{SenderID: "1500000000000000002", Text: "Does the API support webhooks?", At: h(3 * time.Hour)},
		xemu.SeedMessage{SenderID: xUserID, Text: "Yes, signed ones.", At: h(2 * time.Hour)},
		xemu.SeedMessage{SenderID: "1500000000000000002", Text: "Great, thanks!", At: h(time.Hour)})
	if err != nil {
		return out, err
	}
	conv("x/open", out.Accounts[platform.X], xConv)

	// LinkedIn: a member writing to the organisation page.
	if err := e.LinkedIn.AddAccount(liOrgURN, "Acme", tokenLI); err != nil {
		return out, err
	}
	out.Accounts[platform.LinkedIn] = add(platform.LinkedIn, liOrgURN, "Acme on LinkedIn", tokenLI, "")
	// Who signs in on LinkedIn's consent page to (re)connect the organisation.
	if err := e.LinkedIn.AddMember(liemu.Member{URN: liSandboxMember, FirstName: "Acme", LastName: "Admin", Orgs: []string{liOrgURN}}); err != nil {
		return out, err
	}
	member := liemu.Person{URN: "urn:li:person:sandboxEli", FirstName: "Eli", LastName: "Novak"}
	liConv, err := e.LinkedIn.AddConversation(liOrgURN, []liemu.Person{member},
		liemu.SeedMessage{From: member.URN, Text: "Hello, are you hiring engineers?", At: h(4 * time.Hour)})
	if err != nil {
		return out, err
	}
	conv("linkedin/open", out.Accounts[platform.LinkedIn], liConv)
	if svc == nil {
		clear(out.Accounts) // no Parley, no Parley account ids
	}
	return out, errors.Join(errs...)
}

// latestInbound is the newest message the customer wrote in a journalled
// WhatsApp conversation, or nil when the journal has none.
func latestInbound(ctx context.Context, svc *service.Service, c service.Caller, accountID, conv string) (*service.Message, error) {
	if accountID == "" {
		return nil, nil
	}
	l, err := svc.ListMessages(ctx, c, conv, service.PageRequest{Limit: 200})
	if apierr.HasCode(err, "resource.not_found") {
		return nil, nil // a first run: the journal has no such thread yet
	}
	if err != nil {
		return nil, err
	}
	for _, m := range l.Data {
		if m.Direction == "incoming" {
			return &m, nil
		}
	}
	return nil, nil
}
