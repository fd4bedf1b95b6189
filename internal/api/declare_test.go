package api_test

import (
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/api"
	"github.com/parleyhq/parley/internal/convid"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// declared is one operation of the route table with the statuses its
// published document lists.
type declared struct {
	rt       api.Route
	key      string // the organisation's key, or the operator token
	path     string // with {id} filled in
	statuses []int
}

// setup runs Parley with one organisation and an account, and pairs every
// JSON operation of the route table with what /openapi.json documents for it.
func setup(t *testing.T) (*env, string, []declared) {
	t.Helper()
	e := newEnv(t, storetest.Backend{Name: "sqlite", DataDir: t.TempDir()})
	key := e.org("A")
	_, acct, _ := e.seedA(key)
	_, a, err := api.New(api.Config{Service: e.srv.Service, Plans: e.srv.Plans})
	if err != nil {
		t.Fatal(err)
	}
	r := e.do("GET", "/openapi.json", "", nil)
	expect(t, r, 200, "")
	var doc struct {
		Paths map[string]map[string]struct {
			Responses map[string]json.RawMessage `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(r.raw, &doc); err != nil {
		t.Fatal(err)
	}
	var ops []declared
	for _, rt := range a.Routes() {
		if rt.Raw != "" {
			continue // metrics, this document: not built by op or list
		}
		d := declared{rt: rt, key: key, path: strings.ReplaceAll(rt.Path, "{id}", convid.Encode(acct, "t_1"))}
		if rt.Operator {
			d.key = operatorToken
		}
		for code := range doc.Paths[rt.Path][strings.ToLower(rt.Method)].Responses {
			n, _ := strconv.Atoi(code)
			d.statuses = append(d.statuses, n)
		}
		ops = append(ops, d)
	}
	if len(ops) < 30 {
		t.Fatalf("only %d operations in the route table", len(ops))
	}
	return e, key, ops
}

// TestWrapperRefusalsAreDocumented provokes, on every operation, each
// refusal the shared wrapper makes before a handler runs, and checks the
// operation's document lists that status: a client generated from the
// document can then handle every answer it gets.
func TestWrapperRefusalsAreDocumented(t *testing.T) {
	t.Parallel()
	e, _, ops := setup(t)
	check := func(t *testing.T, d declared, r response, status int, code string) {
		t.Helper()
		expect(t, r, status, code)
		if !slices.Contains(d.statuses, status) {
			t.Errorf("%s %s answers %d (%s), which its document does not list", d.rt.Method, d.rt.Path, status, code)
		}
	}
	for _, d := range ops {
		t.Run(d.rt.OperationID, func(t *testing.T) {
			var body any
			if d.rt.Body != nil {
				body = map[string]any{}
			}
			// A misspelt filter is refused, never ignored (which would
			// answer an unfiltered list as if it were filtered).
			key := d.key
			r := e.do(d.rt.Method, d.path+"?stauts=open", key, body)
			check(t, d, r, 400, "validation.unknown_parameter")
			if meta := r.body["error"].(map[string]any)["meta"].(map[string]any); meta["field"] != "stauts" {
				t.Fatalf("the refusal does not name the parameter: %s", r.raw)
			}
			switch {
			case d.rt.Operator:
				check(t, d, e.do(d.rt.Method, d.path, "", body), 401, "auth.invalid_operator_token")
			case !d.rt.Public:
				check(t, d, e.do(d.rt.Method, d.path, "", body), 401, "auth.missing_key")
			}
			for _, q := range d.rt.Query {
				if q.Type == "boolean" {
					check(t, d, e.do(d.rt.Method, d.path+"?"+q.Name+"=maybe", key, nil), 422, "validation.invalid_field")
				}
			}
			if d.rt.Body == nil {
				return
			}
			check(t, d, e.do(d.rt.Method, d.path, key, `{"name":`), 400, "validation.malformed_json")
			check(t, d, e.do(d.rt.Method, d.path, key, map[string]any{"no_such_field": 1}), 422, "validation.unknown_field")
			check(t, d, e.do(d.rt.Method, d.path, key, `{"name":"x"}`, "Content-Type", "text/plain"), 415, "validation.unsupported_media_type")
			big := `{"name":"` + strings.Repeat("x", api.MaxBodyBytes) + `"}`
			check(t, d, e.do(d.rt.Method, d.path, key, big), 413, "validation.body_too_large")
		})
	}
}

// TestEveryDeclaredParameterIsRead calls every operation with each of its
// declared query parameters and headers set. The wrapper answers 500 when
// a handler leaves a declared parameter unread (a documented filter that
// filters nothing), so no operation may answer 500 here.
func TestEveryDeclaredParameterIsRead(t *testing.T) {
	t.Parallel()
	e, _, ops := setup(t)
	for _, d := range ops {
		key := d.key
		q := url.Values{}
		for _, p := range d.rt.Query {
			switch {
			case p.Name == "cursor":
			case p.Type == "integer":
				q.Set(p.Name, strconv.Itoa(p.Min))
			case p.Type == "boolean":
				q.Set(p.Name, "false")
			default:
				q.Set(p.Name, "x")
			}
		}
		var headers []string
		for _, h := range d.rt.Headers {
			headers = append(headers, h.Name, "declared-"+h.Name)
		}
		var body any
		if d.rt.Body != nil {
			body = map[string]any{}
		}
		path := d.path
		if len(q) > 0 {
			path += "?" + q.Encode()
		}
		r := e.do(d.rt.Method, path, key, body, headers...)
		if r.status >= 500 && r.status != 501 && r.status != 502 && r.status != 503 && r.status != 504 {
			t.Errorf("%s %s: %d %s", d.rt.Method, path, r.status, r.raw)
		}
		if !slices.Contains(d.statuses, r.status) {
			t.Errorf("%s %s answered %d, which its document does not list: %s", d.rt.Method, path, r.status, r.raw)
		}
	}
}
