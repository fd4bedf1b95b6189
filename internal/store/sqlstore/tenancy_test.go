package sqlstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/sqlstore"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// tenant is one organisation with a record of every kind the store scopes.
type tenant struct {
	fixture
	key         store.APIKey
	thread      string
	idemDone    string // a completed Idempotency-Key
	idemPending string // a claimed, unfinished one
	month       string
	event       store.Event
	endpoint    store.Endpoint
	attempt     store.Attempt
	person      store.Person
	session     []byte // a web session's id hash
}

func seedTenant(t *testing.T, db *sqlstore.DB, name, native string) tenant {
	t.Helper()
	ctx := context.Background()
	f := fixture{org: store.Organization{ID: store.NewID("org"), Name: name, CreatedAt: t0}}
	f.brand = store.Brand{ID: store.NewID("brand"), OrgID: f.org.ID, Name: name + " brand", CreatedAt: t0, UpdatedAt: t0}
	f.acct = store.Account{ID: store.NewID("acct"), OrgID: f.org.ID, BrandID: f.brand.ID, Platform: "whatsapp",
		NativeID: native, DisplayName: name + " WA", Status: store.AccountActive, Credentials: []byte(name + "-sealed"),
		CreatedAt: t0, UpdatedAt: t0}
	tn := tenant{fixture: f, thread: "15550001111", idemDone: name + "-order-1", idemPending: name + "-order-2", month: "2026-11"}
	tn.key = store.APIKey{ID: store.NewID("key"), OrgID: f.org.ID, Name: name, Hash: []byte(name + "-hash-0123456789abcdef0123456789"), Hint: "abcd", CreatedAt: t0}
	tn.event = store.Event{ID: store.NewID("evt"), OrgID: f.org.ID, Type: "message.received", DedupeKey: "in:wamid." + name,
		Payload: []byte(`{"text":"` + name + ` secret message"}`), CreatedAt: t0}
	tn.endpoint = store.Endpoint{ID: store.NewID("whep"), OrgID: f.org.ID, URL: "https://" + strings.ToLower(name) + ".example/hook",
		Secret: []byte(name + "-whsec"), Enabled: true, CreatedAt: t0, UpdatedAt: t0}
	tn.attempt = store.Attempt{ID: store.NewID("att"), OrgID: f.org.ID, EventID: tn.event.ID, EndpointID: tn.endpoint.ID,
		Attempt: 1, StatusCode: 500, Error: "endpoint answered 500", CreatedAt: t0}
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("seed %s: %s: %v", name, what, err)
		}
	}
	must("org", db.CreateOrganization(ctx, f.org))
	must("brand", db.CreateBrand(ctx, f.brand))
	must("account", db.CreateAccount(ctx, f.acct))
	must("key", db.CreateAPIKey(ctx, tn.key))
	must("inbound", db.NoteInbound(ctx, store.ConversationMeta{OrgID: f.org.ID, AccountID: f.acct.ID, ThreadID: tn.thread,
		ParticipantID: tn.thread, LastInboundAt: t0}, 2))
	must("outbound", db.NoteOutbound(ctx, f.org.ID, f.acct.ID, tn.thread, t0.Add(-time.Hour), false))
	for _, k := range []string{tn.idemDone, tn.idemPending} {
		_, claimed, err := db.ClaimIdempotencyKey(ctx, store.IdempotencyRecord{OrgID: f.org.ID, Key: k, RequestHash: []byte(name), CreatedAt: t0}, time.Hour)
		must("claim", err)
		if !claimed {
			t.Fatalf("seed %s: key %s not claimed", name, k)
		}
	}
	must("complete", db.CompleteIdempotencyKey(ctx, f.org.ID, tn.idemDone, 201, []byte(`{"text":"`+name+` sent"}`)))
	must("usage", db.CountUsage(ctx, f.org.ID, f.acct.ID, tn.month, "service", true))
	_, err := db.InsertEvent(ctx, tn.event)
	must("event", err)
	must("endpoint", db.CreateEndpoint(ctx, tn.endpoint))
	must("attempt", db.InsertAttempt(ctx, tn.attempt))
	_, err = db.ReserveInteraction(ctx, f.org.ID, tn.month, 10)
	must("reserve", err)
	must("count inbound", db.CountInbound(ctx, f.org.ID, tn.month))
	tn.person = store.Person{ID: store.NewID("person"), OrgID: f.org.ID, Email: strings.ToLower(name) + "@" + strings.ToLower(name) + ".example",
		Role: store.RoleAdmin, PasswordHash: "$argon2id$" + name, CreatedAt: t0, UpdatedAt: t0}
	must("person", db.CreatePerson(ctx, tn.person))
	tn.session = []byte(name + "-session-hash")
	must("session", db.CreateWebSession(ctx, store.WebSession{IDHash: tn.session, OrgID: f.org.ID, PersonID: tn.person.ID,
		CreatedAt: t0, ExpiresAt: t0.Add(24 * time.Hour)}))
	return tn
}

// snapshot is everything a tenant can read of its own records, by what was
// read, to check that nothing another organisation did changed any of it.
func snapshot(t *testing.T, db *sqlstore.DB, a tenant) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	add := func(what string, v any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("snapshot of %s: %s: %v", a.org.Name, what, err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out[what] = string(b)
	}
	b, err := db.GetBrand(ctx, a.org.ID, a.brand.ID)
	add("GetBrand", b, err)
	bs, err := db.ListBrands(ctx, a.org.ID, store.Page{Limit: 100})
	add("ListBrands", bs, err)
	ac, err := db.GetAccount(ctx, a.org.ID, a.acct.ID)
	add("GetAccount", ac, err)
	acs, err := db.ListAccounts(ctx, a.org.ID, store.AccountFilter{Page: store.Page{Limit: 100}})
	add("ListAccounts", acs, err)
	ks, err := db.ListAPIKeys(ctx, a.org.ID, store.Page{Limit: 100})
	add("ListAPIKeys", ks, err)
	m, err := db.ConversationMeta(ctx, a.org.ID, a.acct.ID, a.thread)
	add("ConversationMeta", m, err)
	id1, err := db.GetIdempotencyKey(ctx, a.org.ID, a.idemDone)
	add("GetIdempotencyKey(done)", id1, err)
	id2, err := db.GetIdempotencyKey(ctx, a.org.ID, a.idemPending)
	add("GetIdempotencyKey(pending)", id2, err)
	u, err := db.Usage(ctx, a.org.ID, a.acct.ID, "")
	add("Usage", u, err)
	ev, err := db.GetEvent(ctx, a.org.ID, a.event.ID)
	add("GetEvent", ev, err)
	evs, err := db.ListEvents(ctx, a.org.ID, store.Page{Limit: 100})
	add("ListEvents", evs, err)
	ep, err := db.GetEndpoint(ctx, a.org.ID, a.endpoint.ID)
	add("GetEndpoint", ep, err)
	eps, err := db.ListEndpoints(ctx, a.org.ID, store.Page{Limit: 100})
	add("ListEndpoints", eps, err)
	en, err := db.EnabledEndpoints(ctx, a.org.ID)
	add("EnabledEndpoints", en, err)
	at, err := db.ListAttempts(ctx, a.org.ID, "", "", store.Page{Limit: 100})
	add("ListAttempts", at, err)
	pu, err := db.PlanUsage(ctx, a.org.ID, a.month)
	add("PlanUsage", pu, err)
	nb, err := db.CountBrands(ctx, a.org.ID)
	add("CountBrands", nb, err)
	pe, err := db.GetPerson(ctx, a.org.ID, a.person.ID)
	add("GetPerson", pe, err)
	ps, err := db.ListPeople(ctx, a.org.ID, store.Page{Limit: 100})
	add("ListPeople", ps, err)
	ws, err := db.WebSessionByHash(ctx, a.session, t0)
	add("WebSessionByHash", ws, err)
	return out
}

// crossCase runs one Store method as organisation b against a's records.
type crossCase struct {
	method string
	run    func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant)
}

func wantNotFound(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("err = %v, want store.ErrNotFound", err)
	}
}

// only fails unless every listed record belongs to org.
func only[T any](t *testing.T, org string, rows []T, err error, orgOf func(T) string) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if orgOf(r) != org {
			t.Fatalf("listed another organisation's record: %+v", r)
		}
	}
}

// crossCases has one row per Store method that takes an organisation id
// (as an argument or in its record); TestStoreTenancyCoversEveryMethod
// keeps it complete.
var crossCases = []crossCase{
	{"GetBrand", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		_, err := db.GetBrand(ctx, b.org.ID, a.brand.ID)
		wantNotFound(t, err)
	}},
	{"ListBrands", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		rows, err := db.ListBrands(ctx, b.org.ID, store.Page{Limit: 100})
		only(t, b.org.ID, rows, err, func(r store.Brand) string { return r.OrgID })
	}},
	{"UpdateBrand", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		wantNotFound(t, db.UpdateBrand(ctx, store.Brand{ID: a.brand.ID, OrgID: b.org.ID, Name: "taken", UpdatedAt: t0.Add(time.Hour)}))
	}},
	{"DeleteBrand", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		wantNotFound(t, db.DeleteBrand(ctx, b.org.ID, a.brand.ID))
	}},
	{"CreateAccount", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		acct := b.acct
		acct.ID, acct.NativeID, acct.BrandID = store.NewID("acct"), "other-native", a.brand.ID
		wantNotFound(t, db.CreateAccount(ctx, acct))
	}},
	{"GetAccount", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		_, err := db.GetAccount(ctx, b.org.ID, a.acct.ID)
		wantNotFound(t, err)
	}},
	{"ListAccounts", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		rows, err := db.ListAccounts(ctx, b.org.ID, store.AccountFilter{Page: store.Page{Limit: 100}})
		only(t, b.org.ID, rows, err, func(r store.Account) string { return r.OrgID })
		rows, err = db.ListAccounts(ctx, b.org.ID, store.AccountFilter{BrandID: a.brand.ID})
		if err != nil || len(rows) != 0 {
			t.Fatalf("B lists accounts of A's brand: %v, %v", rows, err)
		}
	}},
	{"SetAccountStatus", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		wantNotFound(t, db.SetAccountStatus(ctx, b.org.ID, a.acct.ID, store.AccountDisabled))
	}},
	{"UpdateAccount", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		hijack := a.acct
		hijack.OrgID, hijack.Credentials, hijack.DisplayName, hijack.UpdatedAt = b.org.ID, []byte("attacker token"), "hijacked", t0.Add(time.Hour)
		wantNotFound(t, db.UpdateAccount(ctx, hijack))
	}},
	{"DeleteAccount", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		wantNotFound(t, db.DeleteAccount(ctx, b.org.ID, a.acct.ID))
	}},
	{"CreateConnectSession", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		// B may neither connect into A's brand nor reconnect A's account
		// from its own brand.
		s := store.ConnectSession{ID: store.NewID("cs"), OrgID: b.org.ID, BrandID: a.brand.ID, Platform: "whatsapp",
			SecretHash: []byte("b-cs-hash-1"), Status: store.ConnectPending, ExpiresAt: t0.Add(time.Hour), CreatedAt: t0, UpdatedAt: t0}
		wantNotFound(t, db.CreateConnectSession(ctx, s))
		s.ID, s.BrandID, s.AccountID, s.SecretHash = store.NewID("cs"), b.brand.ID, a.acct.ID, []byte("b-cs-hash-2")
		wantNotFound(t, db.CreateConnectSession(ctx, s))
	}},
	{"AccountByNative", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		_, err := db.AccountByNative(ctx, b.org.ID, a.acct.Platform, a.acct.NativeID)
		wantNotFound(t, err)
	}},
	{"SetAccountGrantor", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		wantNotFound(t, db.SetAccountGrantor(ctx, b.org.ID, a.acct.ID, "attacker", t0))
	}},
	{"MarkTokenChecked", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		wantNotFound(t, db.MarkTokenChecked(ctx, b.org.ID, a.acct.ID, t0))
	}},
	{"LeaseRefresh", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		wantNotFound(t, db.LeaseRefresh(ctx, b.org.ID, a.acct.ID, a.acct.CredentialsVersion, t0, t0.Add(time.Minute)))
	}},
	{"ReplaceRefreshedCredentials", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		hijack := a.acct
		hijack.OrgID, hijack.Credentials, hijack.RefreshCredentials = b.org.ID, []byte("attacker token"), []byte("attacker refresh")
		wantNotFound(t, db.ReplaceRefreshedCredentials(ctx, hijack))
	}},
	{"ListAPIKeys", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		rows, err := db.ListAPIKeys(ctx, b.org.ID, store.Page{Limit: 100})
		only(t, b.org.ID, rows, err, func(r store.APIKey) string { return r.OrgID })
	}},
	{"RevokeAPIKey", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		wantNotFound(t, db.RevokeAPIKey(ctx, b.org.ID, a.key.ID, t0.Add(time.Hour)))
	}},
	{"ConversationMeta", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		m, err := db.ConversationMeta(ctx, b.org.ID, a.acct.ID, a.thread)
		if err != nil || !m.LastInboundAt.IsZero() || !m.LastOutboundAt.IsZero() || m.UnreadCount != 0 || m.ParticipantID != "" {
			t.Fatalf("B reads A's conversation: %+v, %v", m, err)
		}
	}},
	{"NoteInbound", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		for _, thread := range []string{a.thread, "15559999999"} {
			if err := db.NoteInbound(ctx, store.ConversationMeta{OrgID: b.org.ID, AccountID: a.acct.ID, ThreadID: thread,
				ParticipantID: "attacker", LastInboundAt: t0.Add(time.Hour), ReferralAt: t0.Add(time.Hour)}, 5); err != nil {
				t.Fatal(err)
			}
		}
		if m, _ := db.ConversationMeta(ctx, a.org.ID, a.acct.ID, "15559999999"); !m.LastInboundAt.IsZero() {
			t.Fatalf("B created a conversation under A's account: %+v", m)
		}
	}},
	{"NoteOutbound", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		for _, thread := range []string{a.thread, "15559999998"} {
			if err := db.NoteOutbound(ctx, b.org.ID, a.acct.ID, thread, t0.Add(time.Hour), true); err != nil {
				t.Fatal(err)
			}
		}
		if m, _ := db.ConversationMeta(ctx, a.org.ID, a.acct.ID, "15559999998"); !m.LastOutboundAt.IsZero() {
			t.Fatalf("B created a conversation under A's account: %+v", m)
		}
	}},
	{"NoteReceipt", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		for _, thread := range []string{a.thread, "15559999997"} {
			if err := db.NoteReceipt(ctx, b.org.ID, a.acct.ID, thread, true, t0.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		if m, _ := db.ConversationMeta(ctx, a.org.ID, a.acct.ID, "15559999997"); !m.ReadAt.IsZero() || !m.UpdatedAt.IsZero() {
			t.Fatalf("B created a conversation under A's account: %+v", m)
		}
	}},
	{"SetArchived", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		// Neither A's thread (the snapshot would show it) nor a new one
		// under A's account can be archived by B.
		for _, thread := range []string{a.thread, "15559999996"} {
			if err := db.SetArchived(ctx, b.org.ID, a.acct.ID, thread, t0.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		if m, _ := db.ConversationMeta(ctx, a.org.ID, a.acct.ID, "15559999996"); !m.ArchivedAt.IsZero() || !m.UpdatedAt.IsZero() {
			t.Fatalf("B created a conversation under A's account: %+v", m)
		}
	}},
	{"ArchivedThreads", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		// With an archived thread of A's (TestArchive), as here without.
		if got, err := db.ArchivedThreads(ctx, b.org.ID, []string{a.thread}); err != nil || len(got) != 0 {
			t.Fatalf("B lists A's archived threads: %v %v", got, err)
		}
	}},
	{"ClearUnread", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		if err := db.ClearUnread(ctx, b.org.ID, a.acct.ID, a.thread); err != nil {
			t.Fatal(err)
		}
	}},
	{"ClaimIdempotencyKey", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		// The same key in another organisation is another key: B claims
		// it afresh and never sees A's stored response.
		rec, claimed, err := db.ClaimIdempotencyKey(ctx, store.IdempotencyRecord{OrgID: b.org.ID, Key: a.idemDone,
			RequestHash: []byte("B"), CreatedAt: t0.Add(2 * time.Hour)}, time.Minute)
		if err != nil || !claimed || rec.OrgID != b.org.ID || len(rec.ResponseBody) != 0 {
			t.Fatalf("B's claim of a key A used: %+v, claimed=%v, %v", rec, claimed, err)
		}
		if err := db.ReleaseIdempotencyKey(ctx, b.org.ID, a.idemDone); err != nil {
			t.Fatal(err)
		}
	}},
	{"CompleteIdempotencyKey", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		wantNotFound(t, db.CompleteIdempotencyKey(ctx, b.org.ID, a.idemPending, 200, []byte(`{"forged":true}`)))
	}},
	{"ReleaseIdempotencyKey", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		if err := db.ReleaseIdempotencyKey(ctx, b.org.ID, a.idemPending); err != nil {
			t.Fatal(err)
		}
	}},
	{"GetIdempotencyKey", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		_, err := db.GetIdempotencyKey(ctx, b.org.ID, a.idemDone)
		wantNotFound(t, err)
	}},
	{"CountUsage", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		if err := db.CountUsage(ctx, b.org.ID, a.acct.ID, a.month, "service", true); err != nil {
			t.Fatal(err)
		}
	}},
	{"Usage", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		rows, err := db.Usage(ctx, b.org.ID, a.acct.ID, "")
		if err != nil || len(rows) != 0 {
			t.Fatalf("B reads A's usage: %v, %v", rows, err)
		}
	}},
	{"InsertEvent", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		// Dedupe keys are per organisation: A's key does not swallow B's event.
		ev := store.Event{ID: store.NewID("evt"), OrgID: b.org.ID, Type: "message.received", DedupeKey: a.event.DedupeKey,
			Payload: []byte(`{}`), CreatedAt: t0}
		if ok, err := db.InsertEvent(ctx, ev); err != nil || !ok {
			t.Fatalf("B's event with A's dedupe key: inserted=%v, %v", ok, err)
		}
	}},
	{"GetEvent", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		_, err := db.GetEvent(ctx, b.org.ID, a.event.ID)
		wantNotFound(t, err)
	}},
	{"ListEvents", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		rows, err := db.ListEvents(ctx, b.org.ID, store.Page{Limit: 100})
		only(t, b.org.ID, rows, err, func(r store.Event) string { return r.OrgID })
	}},
	{"GetEndpoint", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		_, err := db.GetEndpoint(ctx, b.org.ID, a.endpoint.ID)
		wantNotFound(t, err)
	}},
	{"ListEndpoints", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		rows, err := db.ListEndpoints(ctx, b.org.ID, store.Page{Limit: 100})
		only(t, b.org.ID, rows, err, func(r store.Endpoint) string { return r.OrgID })
	}},
	{"EnabledEndpoints", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		rows, err := db.EnabledEndpoints(ctx, b.org.ID)
		only(t, b.org.ID, rows, err, func(r store.Endpoint) string { return r.OrgID })
	}},
	{"UpdateEndpoint", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		ep := a.endpoint
		ep.OrgID, ep.URL, ep.UpdatedAt = b.org.ID, "https://attacker.example/collect", t0.Add(time.Hour)
		wantNotFound(t, db.UpdateEndpoint(ctx, ep))
	}},
	{"DeleteEndpoint", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		wantNotFound(t, db.DeleteEndpoint(ctx, b.org.ID, a.endpoint.ID))
	}},
	{"SetEndpointHealth", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		at := t0.Add(-48 * time.Hour)
		wantNotFound(t, db.SetEndpointHealth(ctx, b.org.ID, a.endpoint.ID, &at, ""))
		wantNotFound(t, db.SetEndpointHealth(ctx, b.org.ID, a.endpoint.ID, &at, "disabled by B"))
		wantNotFound(t, db.SetEndpointHealth(ctx, b.org.ID, a.endpoint.ID, nil, ""))
	}},
	{"ListAttempts", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		for _, f := range [][2]string{{"", ""}, {a.event.ID, ""}, {"", a.endpoint.ID}, {a.event.ID, a.endpoint.ID}} {
			rows, err := db.ListAttempts(ctx, b.org.ID, f[0], f[1], store.Page{Limit: 100})
			only(t, b.org.ID, rows, err, func(r store.Attempt) string { return r.OrgID })
		}
	}},
	{"CountBrands", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		if n, err := db.CountBrands(ctx, b.org.ID); err != nil || n != 1 {
			t.Fatalf("B counts %d brands (%v), want its own 1", n, err)
		}
	}},
	{"CreateAccountWithin", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		acct := b.acct
		acct.ID, acct.NativeID, acct.BrandID = store.NewID("acct"), "other-native", a.brand.ID
		_, err := db.CreateAccountWithin(ctx, acct, 5)
		wantNotFound(t, err)
	}},
	{"ReserveInteraction", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		if n, err := db.ReserveInteraction(ctx, b.org.ID, a.month, 10); err != nil || n != 2 {
			t.Fatalf("B's reservation = %d, %v; want its own second", n, err)
		}
	}},
	{"ReleaseInteraction", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		if err := db.ReleaseInteraction(ctx, b.org.ID, a.month); err != nil {
			t.Fatal(err)
		}
	}},
	{"CountInbound", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		if err := db.CountInbound(ctx, b.org.ID, a.month); err != nil {
			t.Fatal(err)
		}
	}},
	{"PlanUsage", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		_, _ = db.ReserveInteraction(ctx, a.org.ID, "2026-12", 10) // A's next month
		if u, err := db.PlanUsage(ctx, b.org.ID, "2026-12"); err != nil || u != (store.PlanUsage{}) {
			t.Fatalf("B reads %+v (%v) in a month only A used", u, err)
		}
	}},
	{"GetPerson", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		_, err := db.GetPerson(ctx, b.org.ID, a.person.ID)
		wantNotFound(t, err)
	}},
	{"ListPeople", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		rows, err := db.ListPeople(ctx, b.org.ID, store.Page{Limit: 100})
		only(t, b.org.ID, rows, err, func(r store.Person) string { return r.OrgID })
	}},
	{"SetPassword", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		wantNotFound(t, db.SetPassword(ctx, b.org.ID, a.person.ID, "$argon2id$attacker", t0.Add(time.Hour)))
	}},
	{"DeleteWebSessions", func(t *testing.T, ctx context.Context, db *sqlstore.DB, a, b tenant) {
		if n, err := db.DeleteWebSessions(ctx, b.org.ID, a.person.ID); err != nil || n != 0 {
			t.Fatalf("B ended %d of A's sessions, %v", n, err)
		}
	}},
}

// notCrossable are the org-carrying methods with no other organisation's
// record to reach, and why.
var notCrossable = map[string]string{
	"CreateBrand":       "creates a brand in the caller's organisation; it references no other record",
	"CreateBrandWithin": "creates a brand in the caller's organisation and counts its brands; TestPlanLimitsStore checks the count is per organisation",
	"CreateAPIKey":      "creates a key in the caller's organisation; it references no other record",
	"CreateEndpoint":    "creates an endpoint in the caller's organisation; it references no other record",
	"InsertAttempt":     "written by the delivery worker for its own job's organisation; ListAttempts scopes reading",
	"InsertAttempts":    "InsertAttempt for several jobs' attempts, each for its own job's organisation",
	"CountInbounds":     "counts messages ingestion recorded for each organisation; TestBatchCountsAndAttempts checks the counts stay per organisation",
}

// TestStoreTenancy: as organisation B, every Store method that takes an
// organisation id finds nothing of organisation A's, changes nothing of
// it, and A still reads exactly what it had.
func TestStoreTenancy(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		a := seedTenant(t, db, "A", "106540352242922")
		b := seedTenant(t, db, "B", "106540352242923")
		for _, c := range crossCases {
			t.Run(c.method, func(t *testing.T) {
				before := snapshot(t, db, a)
				c.run(t, ctx, db, a, b)
				after := snapshot(t, db, a)
				for what, was := range before {
					if after[what] != was {
						t.Errorf("%s as B changed what A reads with %s:\nbefore %s\nafter  %s", c.method, what, was, after[what])
					}
				}
			})
		}
	})
}

// TestStoreTenancyCoversEveryMethod reads the Store interfaces and checks
// that each method taking an organisation id (a parameter named orgID, or
// a record carrying OrgID) has a row in crossCases or a reason in
// notCrossable, so a new method cannot skip the tenancy test unnoticed.
func TestStoreTenancyCoversEveryMethod(t *testing.T) {
	t.Parallel()
	withOrg := map[string]bool{"ConnectSession": true, "Brand": true, "Account": true, "APIKey": true, "ConversationMeta": true,
		"IdempotencyRecord": true, "Event": true, "Endpoint": true, "Attempt": true}
	f, err := parser.ParseFile(token.NewFileSet(), "../store.go", nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	var methods []string
	ast.Inspect(f, func(n ast.Node) bool {
		it, ok := n.(*ast.InterfaceType)
		if !ok {
			return true
		}
		for _, m := range it.Methods.List {
			ft, ok := m.Type.(*ast.FuncType)
			if !ok || len(m.Names) == 0 {
				continue
			}
			for _, p := range ft.Params.List {
				takesOrg := false
				for _, name := range p.Names {
					takesOrg = takesOrg || name.Name == "orgID"
				}
				if id, ok := p.Type.(*ast.Ident); ok && withOrg[id.Name] {
					takesOrg = true
				}
				if takesOrg {
					methods = append(methods, m.Names[0].Name)
					break
				}
			}
		}
		return true
	})
	if len(methods) < 30 {
		t.Fatalf("found only %d org-scoped methods in store.go: %v", len(methods), methods)
	}
	covered := map[string]bool{}
	for _, c := range crossCases {
		if !slices.Contains(methods, c.method) {
			t.Errorf("crossCases tests %s, which no longer takes an organisation id", c.method)
		}
		covered[c.method] = true
	}
	for _, m := range methods {
		if _, ok := notCrossable[m]; !covered[m] && !ok {
			t.Errorf("store method %s takes an organisation id but has no row in crossCases", m)
		}
	}
}
