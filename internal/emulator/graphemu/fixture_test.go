package graphemu

import (
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/platform"
)

// Fixed clock and seed: golden answers depend on both.
var fixedNow = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

const (
	pageID        = "104857600000001"
	pageToken     = "EAAGmessengerTOKEN"
	igID          = "17841400000000001"
	igToken       = "IGAAinstagramTOKEN"
	igFBID        = "17841400000000002"
	igFBPageID    = "104857600000002"
	igFBPageToken = "EAAGinstagramPAGETOKEN"
)

// fixture is an emulator seeded with one account per flavour and three
// threads each: one inside the 24 h window, one inside HUMAN_AGENT's 7 days
// only, one older than both.
type fixture struct {
	emu   *Emulator
	clock *time.Time
	// thread ids by account, then by name: "jane", "bob", "carol".
	threads map[string]map[string]string
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	now := fixedNow
	fx := &fixture{clock: &now, threads: map[string]map[string]string{}}
	fx.emu = New(Options{Now: func() time.Time { return *fx.clock }, Rand: rand.NewPCG(7, 11)})
	accounts := []Account{
		{Platform: platform.Messenger, ID: pageID, Token: pageToken, Name: "Acme Coffee"},
		{Platform: platform.Instagram, ID: igID, Token: igToken, Name: "Acme Coffee", Username: "acmecoffee"},
		{Platform: platform.Instagram, ID: igFBID, Token: igFBPageToken, Name: "Acme Tea", Username: "acmetea", Variant: VariantFacebookLogin, PageID: igFBPageID},
	}
	for i, a := range accounts {
		if _, err := fx.emu.AddAccount(a); err != nil {
			t.Fatal(err)
		}
		fx.threads[a.ID] = map[string]string{}
		people := []struct {
			key, name string
			msgs      []SeedMessage
		}{
			{"jane", "Jane Doe", []SeedMessage{
				{Inbound: true, Text: "Hi, is the shop open today?", At: now.Add(-2 * time.Hour)},
				{Inbound: false, Text: "Yes, until 6pm.", At: now.Add(-90 * time.Minute)},
				{Inbound: true, Text: "Great, thanks!", At: now.Add(-30 * time.Minute),
					Attachments: []Attachment{{Type: "image", URL: "https://cdn.example.com/photos/cup.jpg"}}},
			}},
			{"bob", "Bob Stone", []SeedMessage{
				{Inbound: true, Text: "Do you ship to Lyon?", At: now.Add(-3 * 24 * time.Hour)},
			}},
			{"carol", "Carol Vance", []SeedMessage{
				{Inbound: true, Text: "Order 1234 arrived broken", At: now.Add(-10 * 24 * time.Hour)},
				{Inbound: false, Text: "Sorry! Refund issued.", At: now.Add(-10*24*time.Hour + time.Hour)},
			}},
		}
		for j, p := range people {
			id, err := fx.emu.AddConversation(a.ID, Conversation{
				Participant: Participant{ID: psid(i, j), Name: p.name},
				Messages:    p.msgs,
			})
			if err != nil {
				t.Fatal(err)
			}
			fx.threads[a.ID][p.key] = id
		}
	}
	return fx
}

// psid gives each account's participants distinct scoped ids, as Meta does.
func psid(acct, person int) string {
	return "70000000000" + string(rune('1'+acct)) + "000" + string(rune('1'+person))
}

// do runs one request against the handler directly, as if sent to host.
func (fx *fixture) do(t *testing.T, method, url, token, contentType, body string) (int, map[string]any, http.Header) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, url, r)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	fx.emu.ServeHTTP(rec, req)
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("%s %s: body is not JSON: %v\n%s", method, url, err, rec.Body.String())
	}
	return rec.Code, out, rec.Header()
}

func sendBody(recipient, text, mtype, tag string) string {
	m := map[string]any{"recipient": map[string]any{"id": recipient}, "message": map[string]any{"text": text}}
	if mtype != "" {
		m["messaging_type"] = mtype
	}
	if tag != "" {
		m["tag"] = tag
	}
	b, _ := json.Marshal(m)
	return string(b)
}
