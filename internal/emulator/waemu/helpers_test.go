package waemu

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/testsupport/golden"
)

const (
	phoneID = "106540352242922"
	wabaID  = "102290129340398"
	token   = "EAAJBtest"
	user    = "16505551234"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var epoch = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// newEmu returns a seeded emulator with one number, its WABA and a set of
// templates in every status and category.
func newEmu(t testing.TB, mod func(*Options)) (*Emulator, *clock) {
	t.Helper()
	c := &clock{t: epoch}
	opts := Options{Now: c.Now, Rand: rand.New(rand.NewPCG(1, 2))}
	if mod != nil {
		mod(&opts)
	}
	e := New(opts)
	e.AddPhoneNumber(PhoneNumber{ID: phoneID, DisplayPhoneNumber: "15550783881", WABAID: wabaID, Token: token})
	e.AddTemplate(wabaID, Template{Name: "order_update", Category: "UTILITY",
		Components: []map[string]any{{"type": "BODY", "text": "Hi {{1}}, your order {{2}} has shipped."}}})
	e.AddTemplate(wabaID, Template{Name: "spring_sale", Category: "MARKETING",
		Components: []map[string]any{
			{"type": "HEADER", "format": "IMAGE"},
			{"type": "BODY", "text": "Spring sale: {{1}} off everything!"},
		}})
	e.AddTemplate(wabaID, Template{Name: "login_code", Category: "AUTHENTICATION",
		Components: []map[string]any{{"type": "BODY", "text": "{{1}} is your verification code."}}})
	e.AddTemplate(wabaID, Template{Name: "new_terms", Status: "PENDING", Category: "UTILITY",
		Components: []map[string]any{{"type": "BODY", "text": "Our terms changed."}}})
	e.AddTemplate(wabaID, Template{Name: "win_big", Status: "REJECTED", Category: "MARKETING",
		Components: []map[string]any{{"type": "BODY", "text": "You won!"}}})
	e.AddTemplate(wabaID, Template{Name: "old_promo", Status: "PAUSED", Category: "MARKETING",
		Components: []map[string]any{{"type": "BODY", "text": "Old promo."}}})
	e.AddTemplate(wabaID, Template{Name: "dead_promo", Status: "DISABLED", Category: "MARKETING",
		Components: []map[string]any{{"type": "BODY", "text": "Dead promo."}}})
	e.AddTemplate(wabaID, Template{Name: "hello", Category: "UTILITY", ParameterFormat: "NAMED",
		Components: []map[string]any{{"type": "BODY", "text": "Hello {{first_name}}!"}}})
	return e, c
}

// do runs one request against the handler and returns status and body.
func do(t *testing.T, h http.Handler, method, path, tok string, body any) (int, []byte) {
	t.Helper()
	var rd *bytes.Reader
	switch b := body.(type) {
	case nil:
		rd = bytes.NewReader(nil)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, "http://graph.test"+path, rd)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

// errCode decodes a Graph error body's code (0 when the body is no error).
func errCode(t *testing.T, body []byte) int {
	t.Helper()
	var eb ErrorBody
	if err := json.Unmarshal(body, &eb); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return eb.Error.Code
}

// compareGolden compares body with testdata/name.json (indented), rewriting it under
// -update.
func compareGolden(t *testing.T, name string, body []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, bytes.TrimSpace(body), "", "  "); err != nil {
		t.Fatalf("%s: not JSON: %s", name, body)
	}
	buf.WriteByte('\n')
	path := filepath.Join("testdata", name+".json")
	if *golden.Update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if !bytes.Equal(bytes.TrimSpace(want), bytes.TrimSpace(buf.Bytes())) {
		t.Errorf("%s differs from golden:\n got: %s\nwant: %s", name, buf.String(), want)
	}
}

func textMsg(to, body string) map[string]any {
	return map[string]any{"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
		"type": "text", "text": map[string]any{"body": body}}
}

func tplMsg(to, name string, comps ...map[string]any) map[string]any {
	tpl := map[string]any{"name": name, "language": map[string]any{"code": "en_US"}}
	if len(comps) > 0 {
		tpl["components"] = comps
	}
	return map[string]any{"messaging_product": "whatsapp", "to": to, "type": "template", "template": tpl}
}

func bodyParams(vals ...string) map[string]any {
	ps := []map[string]any{}
	for _, v := range vals {
		ps = append(ps, map[string]any{"type": "text", "text": v})
	}
	return map[string]any{"type": "body", "parameters": ps}
}

func msgsPath() string { return "/v23.0/" + phoneID + "/messages" }
