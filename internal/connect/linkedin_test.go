package connect_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/emulator/liemu"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/testsupport/parleytest"
)

// LinkedIn: a member who administers two organisations picks one; a
// partner app's refresh token is kept for the refresh job.
func TestConnectLinkedInOrganisationPicker(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		const orgA, orgB, member = "urn:li:organization:2414183", "urn:li:organization:5515715", "urn:li:person:AbC123xYz"
		r := &rig{clk: &clock{t: time.Now().UTC().Truncate(time.Second)}}
		emu := liemu.New(liemu.Options{Now: r.clk.Now})
		for _, o := range []struct{ urn, name string }{{orgA, "Acme Corp"}, {orgB, "Acme Labs"}} {
			if err := emu.AddAccount(o.urn, o.name, "seed-"+o.name); err != nil {
				t.Fatal(err)
			}
		}
		if err := emu.AddMember(liemu.Member{URN: member, FirstName: "Ada", LastName: "Admin", Orgs: []string{orgA, orgB}}); err != nil {
			t.Fatal(err)
		}
		emuSrv := httptest.NewServer(emu)
		t.Cleanup(emuSrv.Close)
		r.app = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			r.mu.Lock()
			r.returns = append(r.returns, req.URL.Query())
			r.mu.Unlock()
			_, _ = io.WriteString(w, "welcome back")
		}))
		t.Cleanup(r.app.Close)
		cfg := config.Config{LinkedInURL: emuSrv.URL, LinkedInClientID: "li-client", LinkedInClientSecret: "li-secret",
			LinkedInAuthorizeURL: emuSrv.URL + "/oauth/v2/authorization"}
		r.srv = parleytest.Start(t, b, cfg, "", server.Options{Now: r.clk.Now, PollInterval: 50 * time.Millisecond})
		emu.RegisterClient(liemu.OAuthClient{ID: "li-client", Secret: "li-secret", RedirectURIs: []string{r.srv.URL + "/oauth/callback/linkedin"}, RefreshTokens: true})
		r.key = r.srv.Org(t, "Acme")
		_, brand := call(t, r.srv.URL, r.key, "POST", "/v1/brands", map[string]any{"name": "Shop"})
		r.brand = brand["id"].(string)

		c := browser(t)
		res := submit(t, c, open(t, c, r.sessionFor(t, "linkedin", "")), url.Values{"member": {member}, "decision": {"allow"}})
		page, _ := io.ReadAll(res.Body)
		if !strings.Contains(string(page), "Acme Corp") || !strings.Contains(string(page), "Acme Labs") {
			t.Fatalf("picker: %d %s", res.StatusCode, page)
		}
		res.Body = io.NopCloser(strings.NewReader(string(page)))
		submit(t, c, res, url.Values{"asset": {orgB}}).Body.Close()
		back := r.lastReturn(t)
		if back.Get("status") != "connected" {
			t.Fatalf("returned with %v", back)
		}
		a := r.account(t, back.Get("account_id"))
		if a.NativeID != orgB || a.DisplayName != "Acme Labs" || a.RefreshCredentials == nil || a.TokenExpiresAt == nil {
			t.Fatalf("account: %+v", a)
		}
		// A week before the 60 days end, the refresh token buys 60 more.
		r.clk.Add(54 * 24 * time.Hour)
		if err := r.srv.Connect.RefreshDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		after := r.account(t, a.ID)
		if after.CredentialsVersion != a.CredentialsVersion+1 || after.TokenExpiresAt.Sub(r.clk.Now()) < 59*24*time.Hour ||
			string(after.Credentials) == string(a.Credentials) {
			t.Fatalf("not refreshed: %+v", after)
		}
	})
}
