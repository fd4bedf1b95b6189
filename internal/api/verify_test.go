package api_test

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/convid"
	"github.com/parleyhq/parley/internal/emulator/graphemu"
	"github.com/parleyhq/parley/internal/emulator/liemu"
	"github.com/parleyhq/parley/internal/emulator/waemu"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/testsupport/parleytest"
)

// Issue 10: any organisation could connect any native id with any token,
// and then received that account's inbound messages. These tests run the
// whole path over loopback: REST → Parley → emulators, and emulator
// webhooks → Parley → users' endpoints.

var dmPlatforms = []platform.Name{platform.Instagram, platform.Messenger, platform.WhatsApp, platform.X, platform.LinkedIn}

// Webhook secrets of the platform apps the emulators sign with.
const (
	vMetaSecret = "meta-app-secret"
	vXSecret    = "x-consumer-secret"
	vLISecret   = "linkedin-client-secret"
)

// newVerifyEnv is the seeded live Parley (organisation "Live" holds one
// account per platform) with its job workers running, loopback endpoints
// allowed, and every emulator posting its signed webhooks to it.
func newVerifyEnv(t *testing.T, b storetest.Backend) *liveEnv {
	t.Helper()
	cfg := config.Config{AllowPrivateWebhooks: true, MetaAppSecret: vMetaSecret, MetaVerifyToken: "verify",
		XConsumerSecret: vXSecret, LinkedInClientSecret: vLISecret}
	l := fromLive(t, parleytest.StartLive(t, b, cfg, server.Options{PollInterval: 20 * time.Millisecond,
		RetrySchedule: []time.Duration{0, 30 * time.Millisecond, 30 * time.Millisecond}}))
	ctx, cancel := context.WithCancel(context.Background())
	if err := l.srv.Jobs.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop, done := context.WithTimeout(context.Background(), 10*time.Second)
		defer done()
		_ = l.srv.Jobs.Stop(stop)
		cancel()
	})
	l.emu.Graph.SetWebhook(l.url+"/webhooks/meta", vMetaSecret)
	l.emu.WhatsApp.SetWebhook(l.url+"/webhooks/meta", vMetaSecret)
	l.emu.X.SetWebhook(l.url+"/webhooks/x", vXSecret)
	l.emu.LinkedIn.SetWebhook(l.url+"/webhooks/linkedin", vLISecret)
	return l
}

// customer writes to one of the seeded business accounts: the emulator
// records the message and posts its signed webhook to Parley, which has
// made it durable when the post returns. It returns the platform's id of the
// message.
func customer(t *testing.T, l *liveEnv, p platform.Name, text string) string {
	t.Helper()
	native := l.seeded.NativeIDs[p]
	var id string
	var err error
	switch p {
	case platform.Instagram, platform.Messenger:
		var m graphemu.Message
		m, err = l.emu.Graph.Inbound(native, "6100000000000001", text)
		id = m.ID
	case platform.WhatsApp:
		var m waemu.InboundMessage
		m, err = l.emu.WhatsApp.InboundAndNotify(native, "16505551234", "Ana", text)
		id = m.ID
	case platform.X:
		ev, xerr := l.emu.X.Inbound(native, "1500000000000000002", text)
		id, err = ev.ID, xerr
	case platform.LinkedIn:
		var m liemu.Message
		m, err = l.emu.LinkedIn.Inbound(native, "urn:li:person:sandboxEli", text)
		id = m.ID
	}
	if err != nil || id == "" {
		t.Fatalf("%s inbound: %q, %v", p, id, err)
	}
	return id
}

// received maps the message ids of an organisation's message.received
// events to the account and conversation they were recorded for.
func received(t *testing.T, e *env, key string) map[string][2]string {
	t.Helper()
	r := e.do("GET", "/v1/events?limit=100", key, nil)
	expect(t, r, 200, "")
	out := map[string][2]string{}
	for _, d := range r.body["data"].([]any) {
		ev := d.(map[string]any)
		if ev["type"] != "message.received" {
			continue
		}
		data := ev["data"].(map[string]any)
		out[data["message_id"].(string)] = [2]string{data["account_id"].(string), data["conversation_id"].(string)}
	}
	return out
}

func (e *env) brand(key, name string) string {
	e.t.Helper()
	r := e.do("POST", "/v1/brands", key, map[string]any{"name": name})
	expect(e.t, r, 201, "")
	return r.data(e.t)["id"].(string)
}

func (e *env) connect(key, brand string, p platform.Name, native, token string, extra ...string) response {
	e.t.Helper()
	body := map[string]any{"brand_id": brand, "platform": string(p), "native_id": native, "access_token": token}
	for i := 0; i+1 < len(extra); i += 2 {
		body[extra[i]] = extra[i+1]
	}
	return e.do("POST", "/v1/accounts", key, body)
}

func expectAccountErr(t *testing.T, r response, code string, p platform.Name, native string) {
	t.Helper()
	expect(t, r, 422, code)
	meta := r.body["error"].(map[string]any)["meta"].(map[string]any)
	if meta["platform"] != string(p) || meta["native_id"] != native {
		t.Fatalf("meta does not name the claimed account: %s", r.raw)
	}
	if strings.Contains(string(r.raw), "error_subcode") || strings.Contains(string(r.raw), "fbtrace") {
		t.Fatalf("raw platform body leaked: %s", r.raw)
	}
}

// ownAccounts seeds, on the emulators, one account per platform that the
// given prefix's organisation really holds, and returns native ids and tokens.
func ownAccounts(t *testing.T, l *liveEnv) (native, token map[platform.Name]string) {
	t.Helper()
	native = map[platform.Name]string{platform.Instagram: "17841400000000999", platform.Messenger: "100000000000999",
		platform.WhatsApp: "106540352242999", platform.X: "1500000000000000999", platform.LinkedIn: "urn:li:organization:5000999"}
	token = map[platform.Name]string{platform.Instagram: "IGQW-b-own", platform.Messenger: "EAAG-b-own-page",
		platform.WhatsApp: "EAAG-b-own-wa", platform.X: "x-b-own", platform.LinkedIn: "AQV-b-own"}
	for _, p := range []platform.Name{platform.Instagram, platform.Messenger} {
		if _, err := l.emu.Graph.AddAccount(graphemu.Account{Platform: p, ID: native[p], Token: token[p], Name: "Bravo " + string(p)}); err != nil {
			t.Fatal(err)
		}
	}
	l.emu.WhatsApp.AddPhoneNumber(waemu.PhoneNumber{ID: native[platform.WhatsApp], DisplayPhoneNumber: "+1 555 010 0999",
		VerifiedName: "Bravo", WABAID: "102290129340999", Token: token[platform.WhatsApp]})
	l.emu.X.AddAccount(native[platform.X], "bravo", "Bravo on X", token[platform.X])
	if err := l.emu.LinkedIn.AddAccount(native[platform.LinkedIn], "Bravo", token[platform.LinkedIn]); err != nil {
		t.Fatal(err)
	}
	return native, token
}

// TestConnectRequiresThePlatformsGrant: organisation B claims each of
// organisation A's accounts — with a made-up token, and with a valid token
// of an account B really holds — and is refused with 422 account.* every
// time, storing nothing. B can still connect what it holds (named as the
// platform names it). A PATCH with a bad token leaves A's account as it was.
func TestConnectRequiresThePlatformsGrant(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		l := newLiveEnv(t, b)
		keyB := l.org("B")
		brandB := l.brand(keyB, "Bravo")
		ownNative, ownToken := ownAccounts(t, l)
		for _, p := range dmPlatforms {
			victim := l.seeded.NativeIDs[p]
			expectAccountErr(t, l.connect(keyB, brandB, p, victim, "fake"), "account.token_invalid", p, victim)
			r := l.connect(keyB, brandB, p, victim, ownToken[p])
			expectAccountErr(t, r, "account.not_granted", p, victim)
			// A Page, Instagram or X token names the one account it acts for;
			// WhatsApp answers "no such object" for another business's number
			// and LinkedIn lists roles, so they name none.
			if p != platform.LinkedIn && p != platform.WhatsApp {
				if got := r.body["error"].(map[string]any)["meta"].(map[string]any)["token_native_id"]; got != ownNative[p] {
					t.Errorf("%s: token_native_id = %v, want %s", p, got, ownNative[p])
				}
			}
		}
		// B's own number under A's WhatsApp Business Account.
		r := l.connect(keyB, brandB, platform.WhatsApp, ownNative[platform.WhatsApp], ownToken[platform.WhatsApp],
			"business_account_id", "102290129340398")
		expectAccountErr(t, r, "account.not_granted", platform.WhatsApp, ownNative[platform.WhatsApp])

		// Nothing was stored for B.
		list := l.do("GET", "/v1/accounts", keyB, nil)
		expect(t, list, 200, "")
		if n := len(list.body["data"].([]any)); n != 0 {
			t.Fatalf("B has %d accounts after refused connections: %s", n, list.raw)
		}

		// What B holds it can connect; the platform's name is the default.
		names := map[platform.Name]string{platform.Instagram: "Bravo instagram", platform.Messenger: "Bravo messenger",
			platform.WhatsApp: "Bravo", platform.X: "Bravo on X", platform.LinkedIn: "Bravo"}
		for _, p := range dmPlatforms {
			r := l.connect(keyB, brandB, p, ownNative[p], ownToken[p])
			expect(t, r, 201, "")
			if d := r.data(t); d["display_name"] != names[p] || d["verified_at"] == nil || d["status"] != "active" {
				t.Errorf("%s: %s", p, r.raw)
			}
		}

		// A PATCH with a refused token, or with another account's token,
		// changes nothing: not the token, not the status, not verified_at.
		acct := l.seeded.Accounts[platform.Instagram]
		before := l.do("GET", "/v1/accounts/"+acct, l.key, nil).data(t)
		sealed := func() []byte {
			var c []byte
			if err := l.srv.Store.SQL().QueryRow(l.srv.Store.Rebind(`SELECT credentials FROM accounts WHERE id = ?`), acct).Scan(&c); err != nil {
				t.Fatal(err)
			}
			return c
		}
		was := sealed()
		expectAccountErr(t, l.do("PATCH", "/v1/accounts/"+acct, l.key, map[string]any{"access_token": "fake"}),
			"account.token_invalid", platform.Instagram, l.seeded.NativeIDs[platform.Instagram])
		expectAccountErr(t, l.do("PATCH", "/v1/accounts/"+acct, l.key, map[string]any{"access_token": ownToken[platform.Instagram], "display_name": "renamed"}),
			"account.not_granted", platform.Instagram, l.seeded.NativeIDs[platform.Instagram])
		after := l.do("GET", "/v1/accounts/"+acct, l.key, nil).data(t)
		for _, f := range []string{"status", "verified_at", "updated_at", "display_name"} {
			if after[f] != before[f] {
				t.Errorf("%s changed by a refused PATCH: %v → %v", f, before[f], after[f])
			}
		}
		if string(sealed()) != string(was) {
			t.Error("a refused PATCH replaced the stored token")
		}
		expect(t, l.do("GET", "/v1/inbox/conversations/"+l.conv("instagram/open"), l.key, nil), 200, "")

		// Moving A's number under B's WhatsApp Business Account is checked
		// with A's stored token, and refused.
		wa := l.seeded.Accounts[platform.WhatsApp]
		r = l.do("PATCH", "/v1/accounts/"+wa, l.key, map[string]any{"business_account_id": "102290129340999"})
		expectAccountErr(t, r, "account.not_granted", platform.WhatsApp, l.seeded.NativeIDs[platform.WhatsApp])
		if f := r.body["error"].(map[string]any)["meta"].(map[string]any)["field"]; f != "business_account_id" {
			t.Fatalf("meta.field = %v", f)
		}
		if got := l.do("GET", "/v1/accounts/"+wa, l.key, nil).data(t)["business_account_id"]; got != "102290129340398" {
			t.Fatalf("business_account_id changed to %v", got)
		}
	})
}

// TestInboundReachesOnlyVerifiedActiveAccounts: a customer writes to each of
// A's five accounts. A (who holds them) and C (who legitimately holds a
// second token for each) both get message.received at their endpoints; B,
// whose claims were refused, gets nothing anywhere. C's WhatsApp account
// then loses its token: it gets nothing while reauth_required, a bad token
// does not reconnect it, a verified one does, and its history holds only
// what arrived while its token was valid.
func TestInboundReachesOnlyVerifiedActiveAccounts(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		l := newVerifyEnv(t, b)
		s := l.seeded
		keyB, keyC := l.org("B"), l.org("C")
		brandB, brandC := l.brand(keyB, "Bravo"), l.brand(keyC, "Charlie")
		rcv := map[string]*receiver{}
		for who, key := range map[string]string{"A": l.key, "B": keyB, "C": keyC} {
			rcv[who] = newReceiver(t)
			expect(t, l.do("POST", "/v1/webhooks", key, map[string]any{"url": rcv[who].srv.URL, "events": []string{"message.received"}}), 201, "")
		}

		// B claims A's accounts with made-up tokens: refused.
		for _, p := range dmPlatforms {
			expectAccountErr(t, l.connect(keyB, brandB, p, s.NativeIDs[p], "fake"), "account.token_invalid", p, s.NativeIDs[p])
		}
		// C is granted its own token for each of A's accounts (another
		// admin of the Page, system user of the business, …).
		tokC := map[platform.Name]string{platform.Instagram: "IGQW-c-granted", platform.Messenger: "EAAG-c-granted-page",
			platform.WhatsApp: "EAAG-c-granted-wa", platform.X: "x-c-granted", platform.LinkedIn: "AQV-c-granted"}
		for _, p := range []platform.Name{platform.Instagram, platform.Messenger} {
			if err := l.emu.Graph.GrantToken(s.NativeIDs[p], tokC[p]); err != nil {
				t.Fatal(err)
			}
		}
		l.emu.WhatsApp.GrantToken(tokC[platform.WhatsApp], s.NativeIDs[platform.WhatsApp])
		l.emu.X.AddAccount(s.NativeIDs[platform.X], "acme", "Acme", tokC[platform.X])
		if err := l.emu.LinkedIn.AddAccount(s.NativeIDs[platform.LinkedIn], "", tokC[platform.LinkedIn]); err != nil {
			t.Fatal(err)
		}
		acctC := map[platform.Name]string{}
		for _, p := range dmPlatforms {
			r := l.connect(keyC, brandC, p, s.NativeIDs[p], tokC[p])
			expect(t, r, 201, "")
			acctC[p] = r.data(t)["id"].(string)
		}

		first := map[platform.Name]string{}
		for _, p := range dmPlatforms {
			first[p] = customer(t, l, p, "hello from a customer of "+string(p))
		}
		gotA, gotB, gotC := received(t, l.env, l.key), received(t, l.env, keyB), received(t, l.env, keyC)
		for _, p := range dmPlatforms {
			if gotA[first[p]][0] != s.Accounts[p] {
				t.Errorf("%s: A's message.received for %s is %v, want account %s", p, first[p], gotA[first[p]], s.Accounts[p])
			}
			if gotC[first[p]][0] != acctC[p] {
				t.Errorf("%s: C's message.received for %s is %v, want account %s", p, first[p], gotC[first[p]], acctC[p])
			}
		}
		if len(gotB) != 0 {
			t.Fatalf("B received %v", gotB)
		}
		// Both endpoints get the five deliveries; B's endpoint, whose
		// organisation has no event to deliver, none.
		for _, who := range []string{"A", "C"} {
			ds := rcv[who].wait(t, len(dmPlatforms))
			for _, p := range dmPlatforms {
				found := false
				for _, d := range ds {
					found = found || strings.Contains(d.body, first[p])
				}
				if !found {
					t.Errorf("%s's endpoint never got %s's message %s", who, p, first[p])
				}
			}
		}
		bConvs := l.do("GET", "/v1/inbox/conversations", keyB, nil)
		expect(t, bConvs, 200, "")
		if len(bConvs.body["data"].([]any)) != 0 || bConvs.body["meta"] != nil {
			t.Fatalf("B's inbox: %s", bConvs.raw)
		}

		// C's WhatsApp token expires; the next platform call finds out.
		wa := acctC[platform.WhatsApp]
		convC := gotC[first[platform.WhatsApp]][1]
		l.emu.WhatsApp.ExpireToken(tokC[platform.WhatsApp])
		expect(t, l.do("POST", "/v1/inbox/conversations/"+convC+"/messages", keyC, map[string]any{"text": "on it"}), 409, "account.reauth_required")
		if st := l.do("GET", "/v1/accounts/"+wa, keyC, nil).data(t)["status"]; st != "reauth_required" {
			t.Fatalf("C's WhatsApp account is %v", st)
		}
		second := customer(t, l, platform.WhatsApp, "are you there?")
		if got := received(t, l.env, l.key)[second]; got[0] != s.Accounts[platform.WhatsApp] {
			t.Fatalf("A's message.received for %s: %v", second, got)
		}
		if got, ok := received(t, l.env, keyC)[second]; ok {
			t.Fatalf("reauth_required account received %s: %v", second, got)
		}

		// A refused token does not reconnect it; a verified one does.
		expectAccountErr(t, l.do("PATCH", "/v1/accounts/"+wa, keyC, map[string]any{"access_token": "fake"}),
			"account.token_invalid", platform.WhatsApp, s.NativeIDs[platform.WhatsApp])
		if st := l.do("GET", "/v1/accounts/"+wa, keyC, nil).data(t)["status"]; st != "reauth_required" {
			t.Fatalf("a refused PATCH changed the status to %v", st)
		}
		var sealed []byte
		if err := l.srv.Store.SQL().QueryRow(l.srv.Store.Rebind(`SELECT credentials FROM accounts WHERE id = ?`), wa).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if tok, err := l.srv.Keys.Open(sealed, []byte(wa)); err != nil || string(tok) != tokC[platform.WhatsApp] {
			t.Fatalf("stored token after a refused PATCH: %q, %v", tok, err)
		}
		l.emu.WhatsApp.GrantToken("EAAG-c-granted-wa-2", s.NativeIDs[platform.WhatsApp])
		re := l.do("PATCH", "/v1/accounts/"+wa, keyC, map[string]any{"access_token": "EAAG-c-granted-wa-2"})
		expect(t, re, 200, "")
		if re.data(t)["status"] != "active" {
			t.Fatalf("reconnected: %s", re.raw)
		}
		third := customer(t, l, platform.WhatsApp, "hello again")
		if got := received(t, l.env, keyC)[third]; got[0] != wa {
			t.Fatalf("reconnected account did not receive %s: %v", third, got)
		}
		// C's journal holds what arrived while its token was valid, only.
		h := l.do("GET", "/v1/inbox/conversations/"+convC+"/messages", keyC, nil)
		expect(t, h, 200, "")
		var ids []string
		for _, m := range h.body["data"].([]any) {
			ids = append(ids, m.(map[string]any)["platform_id"].(string))
		}
		// (Both may carry the same second, WhatsApp's resolution: compare as a set.)
		sort.Strings(ids)
		want := []string{third, first[platform.WhatsApp]}
		sort.Strings(want)
		if strings.Join(ids, ",") != strings.Join(want, ",") {
			t.Fatalf("C's WhatsApp history %v, want %v and not %s", ids, want, second)
		}
		if n := len(rcv["B"].deliveries); n != 0 {
			t.Fatalf("B's endpoint got %d deliveries", n)
		}
	})
}

// TestUnverifiedAccountsReceiveNothing: a row connected before tokens were
// verified (as a claim like B's was stored before this fix) gets no inbound
// events and its WhatsApp journal stays closed, until its organisation
// reconnects it with a token the platform confirms.
func TestUnverifiedAccountsReceiveNothing(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		l := newVerifyEnv(t, b)
		s := l.seeded
		keyD := l.org("D")
		brandD := l.brand(keyD, "Delta")
		c, err := l.srv.Service.Authenticate(context.Background(), "Bearer "+keyD)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		legacy := store.Account{ID: store.NewID("acct"), OrgID: c.OrgID, BrandID: brandD, Platform: string(platform.WhatsApp),
			NativeID: s.NativeIDs[platform.WhatsApp], DisplayName: "claimed", Status: store.AccountActive, CreatedAt: now, UpdatedAt: now}
		if legacy.Credentials, err = l.srv.Keys.Seal([]byte("fake"), []byte(legacy.ID)); err != nil {
			t.Fatal(err)
		}
		if err := l.srv.Store.CreateAccount(context.Background(), legacy); err != nil {
			t.Fatal(err)
		}
		if v := l.do("GET", "/v1/accounts/"+legacy.ID, keyD, nil).data(t)["verified_at"]; v != nil {
			t.Fatalf("legacy row verified_at = %v", v)
		}
		m := customer(t, l, platform.WhatsApp, "for Acme only")
		if got := received(t, l.env, l.key)[m]; got[0] != s.Accounts[platform.WhatsApp] {
			t.Fatalf("A did not receive %s: %v", m, got)
		}
		if got := received(t, l.env, keyD); len(got) != 0 {
			t.Fatalf("unverified account received %v", got)
		}
		conv := convid.Encode(legacy.ID, "16505551234")
		expect(t, l.do("GET", "/v1/inbox/conversations/"+conv+"/messages", keyD, nil), 409, "account.unverified")

		// Reconnecting needs a token the platform confirms.
		expectAccountErr(t, l.do("PATCH", "/v1/accounts/"+legacy.ID, keyD, map[string]any{"access_token": "fake"}),
			"account.token_invalid", platform.WhatsApp, s.NativeIDs[platform.WhatsApp])
		expect(t, l.do("GET", "/v1/inbox/conversations/"+conv+"/messages", keyD, nil), 409, "account.unverified")
		l.emu.WhatsApp.GrantToken("EAAG-d-granted", s.NativeIDs[platform.WhatsApp])
		r := l.do("PATCH", "/v1/accounts/"+legacy.ID, keyD, map[string]any{"access_token": "EAAG-d-granted"})
		expect(t, r, 200, "")
		if r.data(t)["verified_at"] == nil {
			t.Fatalf("reconnected without verified_at: %s", r.raw)
		}
		m2 := customer(t, l, platform.WhatsApp, "for both now")
		if got := received(t, l.env, keyD)[m2]; got[0] != legacy.ID {
			t.Fatalf("verified account did not receive %s: %v", m2, got)
		}
	})
}
