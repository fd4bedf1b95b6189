package people_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/people"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/sqlstore"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// rig is People behind a real loopback server, with a page that says who
// is signed in and a form action that needs a session.
type rig struct {
	db  *sqlstore.DB
	ppl *people.People
	srv *httptest.Server
	org store.Organization
}

func newRig(t *testing.T, db *sqlstore.DB) *rig {
	t.Helper()
	ctx := context.Background()
	r := &rig{db: db, org: store.Organization{ID: store.NewID("org"), Name: "Acme", CreatedAt: time.Now()}}
	if err := db.CreateOrganization(ctx, r.org); err != nil {
		t.Fatal(err)
	}
	r.ppl = people.New(people.Config{Store: db, FailureLimit: 3})
	mux := http.NewServeMux()
	r.ppl.Register(mux)
	mux.Handle("/app/", r.ppl.Require(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		who, _ := people.FromContext(req.Context())
		io.WriteString(w, "hello "+who.Email+" of "+who.OrgID+" csrf="+people.CSRFToken(req.Context()))
	})))
	r.srv = httptest.NewServer(mux)
	t.Cleanup(r.srv.Close)
	return r
}

// browser is a cookie-keeping client that does not follow redirects, so
// each step's answer can be checked.
func (r *rig) browser(t *testing.T) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (r *rig) person(t *testing.T, email, role string) (people.Person, string) {
	t.Helper()
	p, err := r.ppl.Create(context.Background(), r.org.ID, email, "", role)
	if err != nil {
		t.Fatal(err)
	}
	link, _, err := r.ppl.SignInLink(context.Background(), r.org.ID, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	return p, link
}

func post(t *testing.T, c *http.Client, u string, form url.Values, hdr ...string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res
}

func get(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// signInWithLink follows a link as a person would: open it, press the button.
func (r *rig) signInWithLink(t *testing.T, c *http.Client, link string) *http.Response {
	t.Helper()
	token := link[strings.LastIndex(link, "/")+1:]
	if code, body := get(t, c, r.srv.URL+"/app/signin/link/"+token); code != 200 || !strings.Contains(body, token) {
		t.Fatalf("link page: %d %s", code, body)
	}
	return post(t, c, r.srv.URL+"/app/signin/link", url.Values{"token": {token}, "next": {"/app/inbox"}})
}

func sessionCookie(res *http.Response) *http.Cookie {
	for _, c := range res.Cookies() {
		if c.Name == people.CookieName {
			return c
		}
	}
	return nil
}

func csrfOf(t *testing.T, c *http.Client, base string) string {
	t.Helper()
	_, body := get(t, c, base+"/app/")
	i := strings.Index(body, "csrf=")
	if i < 0 {
		t.Fatalf("not signed in: %s", body)
	}
	return body[i+5:]
}

func TestSignInLinkOnceAndCookie(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		r := newRig(t, db)
		p, link := r.person(t, "Ana@Acme.example", store.RoleAdmin)
		if p.Email != "ana@acme.example" {
			t.Fatalf("email kept as %q", p.Email)
		}
		c := r.browser(t)
		// Opening the link page spends nothing: a mail scanner may fetch it.
		token := link[strings.LastIndex(link, "/")+1:]
		get(t, r.browser(t), r.srv.URL+"/app/signin/link/"+token)

		res := r.signInWithLink(t, c, link)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/app/inbox" {
			t.Fatalf("sign-in answered %d → %q", res.StatusCode, res.Header.Get("Location"))
		}
		ck := sessionCookie(res)
		if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Secure || ck.Path != "/" {
			t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, Path=/ (not Secure over plain http)", ck)
		}
		if code, body := get(t, c, r.srv.URL+"/app/"); code != 200 || !strings.Contains(body, "hello ana@acme.example of "+r.org.ID) {
			t.Fatalf("signed-in page: %d %s", code, body)
		}
		// The link is spent: a second browser gets 410 and no session.
		other := r.browser(t)
		res = r.signInWithLink(t, other, link)
		if res.StatusCode != http.StatusGone || sessionCookie(res) != nil {
			t.Fatalf("second use answered %d with cookie %v", res.StatusCode, sessionCookie(res))
		}
	})
}

// Behind TLS (an https public URL) the cookie is Secure.
func TestSecureCookieBehindTLS(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		r := newRig(t, db)
		r.ppl = people.New(people.Config{Store: db, PublicURL: "https://parley.example"})
		mux := http.NewServeMux()
		r.ppl.Register(mux)
		r.srv.Config.Handler = mux
		_, link := r.person(t, "ana@acme.example", store.RoleAgent)
		res := r.signInWithLink(t, r.browser(t), link)
		if ck := sessionCookie(res); ck == nil || !ck.Secure {
			t.Fatalf("cookie %+v is not Secure", ck)
		}
	})
}

// A session id planted in the browser before sign-in is not the one
// signed in, and is dead after.
func TestSessionFixation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		r := newRig(t, db)
		_, link := r.person(t, "ana@acme.example", store.RoleAgent)
		c := r.browser(t)
		u, _ := url.Parse(r.srv.URL)
		planted := "attacker-chosen-session-id"
		c.Jar.SetCookies(u, []*http.Cookie{{Name: people.CookieName, Value: planted, Path: "/"}})
		res := r.signInWithLink(t, c, link)
		ck := sessionCookie(res)
		if ck == nil || ck.Value == planted {
			t.Fatalf("sign-in kept the planted session id: %+v", ck)
		}
		attacker := r.browser(t)
		attacker.Jar.SetCookies(u, []*http.Cookie{{Name: people.CookieName, Value: planted, Path: "/"}})
		if code, _ := get(t, attacker, r.srv.URL+"/app/"); code != http.StatusSeeOther {
			t.Fatalf("planted session answered %d, want a redirect to sign-in", code)
		}
	})
}

// State-changing requests need the session's token and a same-origin
// browser; a signed-out session is refused.
func TestForgeryAndSignOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		r := newRig(t, db)
		_, link := r.person(t, "ana@acme.example", store.RoleAgent)
		c := r.browser(t)
		r.signInWithLink(t, c, link)
		token := csrfOf(t, c, r.srv.URL)
		form := url.Values{"password": {"a long enough password"}}
		for _, tc := range []struct {
			name string
			csrf string
			hdr  []string
		}{
			{"missing token", "", nil},
			{"forged token", map[bool]string{true: "B", false: "A"}[token[0] == 'A'] + token[1:], nil},
			{"right token from another site", token, []string{"Sec-Fetch-Site", "cross-site"}},
			{"right token, foreign Origin", token, []string{"Origin", "https://evil.example"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				f := url.Values{"password": form["password"], "csrf": {tc.csrf}}
				if res := post(t, c, r.srv.URL+"/app/password", f, tc.hdr...); res.StatusCode != http.StatusForbidden {
					t.Fatalf("answered %d, want 403", res.StatusCode)
				}
			})
		}
		p, _ := db.PersonByEmail(context.Background(), "ana@acme.example")
		if p.PasswordHash != "" {
			t.Fatal("a refused request set the password")
		}
		if res := post(t, c, r.srv.URL+"/app/password", url.Values{"password": form["password"], "csrf": {token}},
			"Sec-Fetch-Site", "same-origin"); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("same-origin request with the token answered %d", res.StatusCode)
		}

		// Sign out: the old cookie value no longer works, even replayed.
		u, _ := url.Parse(r.srv.URL)
		old := c.Jar.Cookies(u)
		post(t, c, r.srv.URL+"/app/signout", url.Values{"csrf": {token}})
		replay := r.browser(t)
		replay.Jar.SetCookies(u, old)
		if code, _ := get(t, replay, r.srv.URL+"/app/"); code != http.StatusSeeOther {
			t.Fatalf("signed-out session answered %d", code)
		}
		if res := post(t, replay, r.srv.URL+"/app/password", url.Values{"password": form["password"], "csrf": {token}}); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("signed-out session's post answered %d, want 401", res.StatusCode)
		}
	})
}

// Password sign-in, sign out everywhere, and throttling after failures.
func TestPasswordSignInEverywhereAndThrottle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		r := newRig(t, db)
		who, _ := r.person(t, "ana@acme.example", store.RoleAgent)
		if err := r.ppl.SetPassword(context.Background(), who, "", "short"); err == nil {
			t.Fatal("a short password was accepted")
		}
		if err := r.ppl.SetPassword(context.Background(), who, "", "a long enough password"); err != nil {
			t.Fatal(err)
		}
		signIn := func(c *http.Client, pw string) int {
			return post(t, c, r.srv.URL+"/app/signin", url.Values{"email": {"ANA@acme.example"}, "password": {pw}, "next": {"//evil.example"}}).StatusCode
		}
		laptop, phone := r.browser(t), r.browser(t)
		for _, c := range []*http.Client{laptop, phone} {
			res := post(t, c, r.srv.URL+"/app/signin", url.Values{"email": {"ana@acme.example"}, "password": {"a long enough password"}, "next": {"//evil.example"}})
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/app/" {
				t.Fatalf("password sign-in: %d → %q (an outside next must fall back)", res.StatusCode, res.Header.Get("Location"))
			}
		}
		post(t, laptop, r.srv.URL+"/app/signout/everywhere", url.Values{"csrf": {csrfOf(t, laptop, r.srv.URL)}})
		if code, _ := get(t, phone, r.srv.URL+"/app/"); code != http.StatusSeeOther {
			t.Fatalf("after sign-out everywhere the phone still answered %d", code)
		}

		c := r.browser(t)
		for i := range 3 {
			if code := signIn(c, "wrong"); code != http.StatusUnauthorized {
				t.Fatalf("failure %d answered %d", i+1, code)
			}
		}
		// Past the limit even the right password is refused, before hashing.
		if code := signIn(c, "a long enough password"); code != http.StatusTooManyRequests {
			t.Fatalf("throttled sign-in answered %d, want 429", code)
		}
		// An unknown email answers like a wrong password.
		res := post(t, r.browser(t), r.srv.URL+"/app/signin", url.Values{"email": {"nobody@acme.example"}, "password": {"x"}})
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("unknown email answered %d", res.StatusCode)
		}
	})
}
